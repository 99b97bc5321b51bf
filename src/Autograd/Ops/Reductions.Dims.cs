using System.Numerics;
using Autograd.Kernels;

namespace Autograd;

/// <summary>
/// Reductions over a list of dims (<c>torch.sum(x, dims)</c> and its kin) and the arg-forms over
/// all elements.
/// </summary>
/// <remarks>
/// The order of a sum over several dims is fixed: the reduced dims are moved after the kept ones
/// (each group in its original order), and the elements of each output are summed in that
/// row-major order by <see cref="FixedOrderSum"/> (16 partial sums in double, rounded once), as
/// <see cref="Sum()"/> sums the whole tensor. A list of one dim is <see cref="Sum(int, bool, DType?)"/>,
/// bit for bit. An empty list reduces every dim, as PyTorch 1.13.
/// </remarks>
public sealed partial class Tensor
{
    /// <summary>
    /// The sum over <paramref name="dims"/> (negative dims count from the end; an empty list sums
    /// every dim), as <c>torch.sum(x, dims, keepdim, dtype=dtype)</c>; the input is converted to
    /// <paramref name="dtype"/> first when one is given. Backward: the gradient repeated over the
    /// summed dims.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A dim is out of range.</exception>
    /// <exception cref="ArgumentException">A dim appears twice (counting a negative dim as its positive twin).</exception>
    public Tensor Sum(int[] dims, bool keepDim = false, DType? dtype = null)
    {
        var reduced = ReducedDims(dims);
        var x = dtype is { } t ? To(t) : this;
        return x.SumDims(reduced, keepDim);
    }

    /// <summary>The sum of all elements after converting to <paramref name="dtype"/>, as <c>torch.sum(x, dtype=dtype)</c>.</summary>
    public Tensor Sum(DType dtype) => To(dtype).Sum();

    /// <summary>
    /// The mean over <paramref name="dims"/> (an empty list: every dim): Sum(dims) / n, n the
    /// number of elements summed into each output, as <c>torch.mean(x, dims, keepdim, dtype=dtype)</c>.
    /// d/dx = 1/n. Needs a floating point tensor, or a floating point <paramref name="dtype"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A dim appears twice, or the tensor (after <paramref name="dtype"/>) is Int64.</exception>
    public Tensor Mean(int[] dims, bool keepDim = false, DType? dtype = null)
    {
        var reduced = ReducedDims(dims);
        var x = dtype is { } t ? To(t) : this;
        x.RequireFloat("Mean");
        return x.MeanDims(reduced, keepDim);
    }

    /// <summary>The mean of all elements after converting to <paramref name="dtype"/>, as <c>torch.mean(x, dtype=dtype)</c>.</summary>
    public Tensor Mean(DType dtype) => To(dtype).Mean();

    /// <summary>
    /// The largest value over <paramref name="dims"/> (an empty list: every dim), as
    /// <c>torch.amax</c>; NaN if the slice holds a NaN. The gradient is split evenly among the
    /// elements equal to the maximum, as PyTorch: <c>(grad / mask.sum(dims)) · mask</c>, mask = (x == result).
    /// </summary>
    /// <exception cref="ArgumentException">A dim appears twice, or a reduced dim has size 0.</exception>
    public Tensor Amax(int[] dims, bool keepDim = false) => ExtremeDims(ReducedDims(dims), keepDim, max: true);

    /// <summary>The smallest value over <paramref name="dims"/>, as <c>torch.amin</c>; ties share the gradient as in <see cref="Amax"/>.</summary>
    /// <exception cref="ArgumentException">A dim appears twice, or a reduced dim has size 0.</exception>
    public Tensor Amin(int[] dims, bool keepDim = false) => ExtremeDims(ReducedDims(dims), keepDim, max: false);

    /// <summary>
    /// log Σ e^x over <paramref name="dims"/>, computed as m + log Σ e^(x - m) with m =
    /// <see cref="Amax"/> (0 where m is infinite), as PyTorch. An empty list reduces every dim
    /// (what PyTorch 1.13 returns with keepdim=True; without it 1.13 fails with a shape error).
    /// Backward: g · e^(x - result).
    /// </summary>
    /// <exception cref="ArgumentException">A dim appears twice, or the tensor is Int64.</exception>
    public Tensor LogSumExp(int[] dims, bool keepDim = false)
    {
        var reduced = ReducedDims(dims);
        RequireFloat("LogSumExp");
        if (Rank == 0) return LogSumExp(0, keepDim);
        if (NumberOfElements > 0 && CountReduced(reduced) == 1) return LogSumExp(Array.IndexOf(reduced, true), keepDim);
        var keepShape = KeepShape(reduced);
        Tensor r;
        using (Tape.Override(gradEnabled: false))
        {
            if (NumberOfElements == 0) r = Exp().SumDims(reduced, keepDim: true).Log(); // Σ over nothing: log 0 = -inf
            else
            {
                var max = ExtremeDims(reduced, keepDim: true, max: true);
                // An all -inf (or +inf) slice would give inf - inf; shift by 0 there instead.
                max = Where(max.Abs().Eq(double.PositiveInfinity), Scalar(0, DType), max);
                r = (this - max).Exp().SumDims(reduced, keepDim: true).Log() + max;
            }
            if (!keepDim) r = r.Reshape(OutShape(reduced, keepDim: false));
        }
        r = r.Detach();
        return Tape.Record(r, "LogSumExp", [this], g => [g.Reshape(keepShape) * (this - r.Reshape(keepShape)).Exp()], this, r);
    }

    /// <summary>
    /// The index (Int64, 0-d) of the largest element in the flattened tensor, as
    /// <c>torch.argmax(x)</c>: the first one on ties; a NaN counts as the largest (the first NaN wins).
    /// </summary>
    /// <exception cref="ArgumentException">The tensor has no elements.</exception>
    public Tensor ArgMax() => ArgExtremeAll(max: true);

    /// <summary>The index (Int64, 0-d) of the smallest element in the flattened tensor, the first on ties; a NaN counts as the smallest.</summary>
    /// <exception cref="ArgumentException">The tensor has no elements.</exception>
    public Tensor ArgMin() => ArgExtremeAll(max: false);

    private Tensor ArgExtremeAll(bool max)
    {
        if (NumberOfElements == 0)
            throw new ArgumentException($"{(max ? "ArgMax" : "ArgMin")}() of a tensor with no elements (shape {Shapes.Format(Dims)}): give a dim, as torch.{(max ? "argmax" : "argmin")} requires.");
        using (Tape.Override(gradEnabled: false)) return Reshape(-1).ArgExtreme(0, keepDim: false, max);
    }

    /// <summary>Which dims of this tensor <paramref name="dims"/> names (all of them for an empty list), validated as PyTorch does.</summary>
    private bool[] ReducedDims(int[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        // A 0-d tensor accepts dim 0 or -1, as a 1-D one.
        var reduced = new bool[Math.Max(Rank, 1)];
        if (dims.Length == 0)
        {
            Array.Fill(reduced, true);
            return reduced;
        }
        foreach (int dim in dims)
        {
            int d = Shapes.NormalizeDim(dim, Rank, nameof(dims));
            if (reduced[d])
                throw new ArgumentException($"Dim {d} appears multiple times in the list of dims {Shapes.Format(dims)} (tensor of shape {Shapes.Format(Dims)}).", nameof(dims));
            reduced[d] = true;
        }
        return reduced;
    }

    private static int CountReduced(bool[] reduced) => reduced.Count(r => r);

    /// <summary>The shape with each reduced dim set to 1.</summary>
    private int[] KeepShape(bool[] reduced) => [.. Dims.Select((n, i) => reduced[i] ? 1 : n)];

    private int[] OutShape(bool[] reduced, bool keepDim) => keepDim ? KeepShape(reduced) : [.. Dims.Where((_, i) => !reduced[i])];

    private Tensor SumDims(bool[] reduced, bool keepDim)
    {
        if (Rank == 0) return Sum();
        if (CountReduced(reduced) == 1) return Sum(Array.IndexOf(reduced, true), keepDim);
        var (rows, size) = RowsOf(reduced, out var gathered);
        var r = Uninitialized(OutShape(reduced, keepDim), DType);
        DTypeDispatch.Run(DType, new SumCall(gathered, rows, size, 1, r));
        var keepShape = KeepShape(reduced);
        return Tape.Record(r, "Sum", [this], g => [g.Reshape(keepShape).Expand(Dims)]);
    }

    private Tensor MeanDims(bool[] reduced, bool keepDim)
    {
        if (Rank == 0) return Mean();
        if (CountReduced(reduced) == 1) return Mean(Array.IndexOf(reduced, true), keepDim);
        int n = 1;
        for (int i = 0; i < Rank; i++) if (reduced[i]) n *= Dims[i];
        Tensor r;
        using (Tape.Override(gradEnabled: false)) r = SumDims(reduced, keepDim) / n;
        var keepShape = KeepShape(reduced);
        return Tape.Record(r, "Mean", [this], g => [g.Reshape(keepShape).Expand(Dims) / n]);
    }

    private Tensor ExtremeDims(bool[] reduced, bool keepDim, bool max)
    {
        string op = max ? "Amax" : "Amin";
        if (Rank == 0) return this * 1;
        for (int i = 0; i < Rank; i++)
            if (reduced[i] && Dims[i] == 0)
                throw new ArgumentException($"{op}: reduced dim {i} has size 0 (shape {Shapes.Format(Dims)}); the {(max ? "max" : "min")} of nothing is undefined.");
        var (rows, size) = RowsOf(reduced, out var gathered);
        var r = Uninitialized(OutShape(reduced, keepDim), DType);
        DTypeDispatch.Run(DType, new ExtremeRowsCall(gathered, rows, size, r, max));
        var keepShape = KeepShape(reduced);
        var x = this;
        return Tape.Record(r, op, [x], g =>
        {
            // scale_grad_by_count: (grad / mask.sum(dims, keepdim)) * mask, mask = (x == result).
            var mask = x.Eq(r.Reshape(keepShape)).To(g.DType);
            var count = mask.SumDims(reduced, keepDim: true);
            return [g.Reshape(keepShape) / count * mask];
        }, x, r);
    }

    /// <summary>
    /// This tensor's elements as (rows, size): the kept dims first, then the reduced ones, each in
    /// order (a copy unless the reduced dims already come last).
    /// </summary>
    private (int Rows, int Size) RowsOf(bool[] reduced, out Tensor gathered)
    {
        int[] perm = [.. Enumerable.Range(0, Rank).Where(i => !reduced[i]), .. Enumerable.Range(0, Rank).Where(i => reduced[i])];
        int size = 1;
        for (int i = 0; i < Rank; i++) if (reduced[i]) size *= Dims[i];
        int rows = size == 0 ? Shapes.Size(OutShape(reduced, keepDim: false)) : NumberOfElements / size;
        if (perm.Select((p, i) => p == i).All(b => b))
        {
            gathered = this;
            return (rows, size);
        }
        gathered = Uninitialized([rows * size], DType);
        DTypeDispatch.Run(DType, new PermuteCall(this, perm, gathered));
        return (rows, size);
    }

    private readonly struct PermuteCall(Tensor x, int[] perm, Tensor r) : IKernelCall
    {
        public void Run<T>() where T : unmanaged, INumber<T> => PermuteKernels.Permute(x.Buffer<T>(), x.Dims, perm, r.Buffer<T>());
    }

    private readonly struct ExtremeRowsCall(Tensor x, int rows, int size, Tensor r, bool max) : IKernelCall
    {
        public void Run<T>() where T : unmanaged, INumber<T>
        {
            var index = new long[rows];
            var src = x.Buffer<T>();
            var dst = r.Buffer<T>();
            ReduceKernels.ArgExtreme<T>(src, rows, size, 1, index, max);
            for (int o = 0; o < rows; o++) dst[o] = src[o * size + (int)index[o]];
        }
    }
}
