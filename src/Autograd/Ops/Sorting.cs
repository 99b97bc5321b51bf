using System.Numerics;
using Autograd.Kernels;

namespace Autograd;

/// <summary>Sort, ArgSort and TopK: an order computed without gradient, then a Gather of the values.</summary>
public sealed partial class Tensor
{
    /// <summary>
    /// The elements sorted along <paramref name="dim"/>, with their positions (Int64), as
    /// <c>torch.sort</c>. NaN sorts as the largest value. Equal elements always keep their order
    /// here (what <paramref name="stable"/> asks for; PyTorch's unstable order among ties is
    /// unspecified). Backward: the gradient scattered back to the positions.
    /// </summary>
    public (Tensor Values, Tensor Indices) Sort(int dim = -1, bool descending = false, bool stable = false)
    {
        _ = stable; // always stable
        var indices = ArgSort(dim, descending);
        int d = Shapes.NormalizeDim(dim, Rank);
        return (Rank == 0 ? Reshape(Dims) : Gather(d, indices), indices);
    }

    /// <summary>
    /// The positions (Int64) that sort the elements along <paramref name="dim"/>, as
    /// <c>torch.argsort</c>: the indices of <see cref="Sort"/>.
    /// </summary>
    public Tensor ArgSort(int dim = -1, bool descending = false, bool stable = false)
    {
        _ = stable; // always stable
        int d = Shapes.NormalizeDim(dim, Rank);
        var r = Zeroed((int[])Dims.Clone(), DType.Int64);
        if (Rank == 0 || NumberOfElements == 0) return r;
        var (outer, size, inner) = Shapes.SplitAt(Dims, d);
        DTypeDispatch.Run(DType, new ArgSortCall(this, outer, size, inner, descending, r));
        return r;
    }

    /// <summary>
    /// The <paramref name="k"/> largest (or smallest) elements along <paramref name="dim"/> and their
    /// positions, as <c>torch.topk</c>; NaN counts as the largest. The result is always sorted
    /// (<paramref name="sorted"/> = false allows any order in PyTorch); among ties the earlier
    /// positions come first. Backward: the gradient scattered back to the positions.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is negative or larger than the dim's size.</exception>
    public (Tensor Values, Tensor Indices) TopK(int k, int dim = -1, bool largest = true, bool sorted = true)
    {
        _ = sorted; // always sorted
        int d = Shapes.NormalizeDim(dim, Rank);
        int size = Rank == 0 ? 1 : Dims[d];
        if (k < 0 || k > size)
            throw new ArgumentOutOfRangeException(nameof(k), k, $"TopK: k ({k}) must be in [0, {size}], the size of dimension {d} (shape {Shapes.Format(Dims)}).");
        if (Rank == 0) return (Reshape(Dims), Zeroed([], DType.Int64));
        var indices = ArgSort(d, descending: largest).Narrow(d, 0, k);
        return (Gather(d, indices), indices);
    }

    private readonly struct ArgSortCall(Tensor x, int outer, int size, int inner, bool descending, Tensor r) : IKernelCall
    {
        public void Run<T>() where T : unmanaged, INumber<T> => SortKernels.ArgSort(x.Buffer<T>(), outer, size, inner, descending, r.Buffer<long>());
    }
}
