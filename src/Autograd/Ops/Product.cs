using System.Numerics;
using Autograd.Kernels;

namespace Autograd;

/// <summary>The product along a dim or of all elements.</summary>
public sealed partial class Tensor
{
    /// <summary>
    /// The product along <paramref name="dim"/>, multiplied in order, as
    /// <c>torch.prod(x, dim, keepdim, dtype=dtype)</c> (converted to <paramref name="dtype"/> first
    /// when one is given). Backward, as PyTorch's <c>prod_backward</c>: g · result / x when the
    /// tensor holds no zero; otherwise g · Π_{k≠j} x_k, the product of the others, which stays
    /// right at zeros (computed here as the product over a copy of each slice with x_j set to 1:
    /// n² elements per slice of n).
    /// </summary>
    public Tensor Prod(int dim, bool keepDim = false, DType? dtype = null)
    {
        if (dtype is { } t) return To(t).Prod(dim, keepDim);
        int d = Shapes.NormalizeDim(dim, Rank);
        var (outer, size, inner) = Shapes.SplitAt(Dims, d);
        var r = Uninitialized(Rank == 0 ? [] : keepDim ? Shapes.With(Dims, d, 1) : Shapes.Remove(Dims, d), DType);
        DTypeDispatch.Run(DType, new ProdCall(this, outer, size, inner, r));
        if (DType == DType.Int64) return r;
        return Tape.Record(r, "Prod", [this], g =>
        {
            if (Rank == 0) return [g];
            var (gk, rk) = keepDim ? (g, r) : (g.Unsqueeze(d), r.Unsqueeze(d));
            bool anyZero;
            using (Tape.Override(gradEnabled: false)) anyZero = Eq(0).Sum().Item() != 0;
            return [anyZero ? gk * ProductOfOthers(d) : gk * (rk / this)];
        }, this, r);
    }

    /// <summary>The product of all elements (0-d), as <c>torch.prod(x, dtype=dtype)</c>: <see cref="Prod(int, bool, DType?)"/> of the flattened tensor.</summary>
    public Tensor Prod(DType? dtype = null) => Reshape(-1).Prod(0, dtype: dtype).Reshape();

    /// <summary>y_j = Π_{k≠j} x_k along <paramref name="d"/>, from differentiable ops (valid at zeros).</summary>
    private Tensor ProductOfOthers(int d)
    {
        var (outer, n, inner) = Shapes.SplitAt(Dims, d);
        // (outer, j, k, inner): x_k everywhere but 1 where k == j, then the product over k.
        var copies = Reshape(outer, 1, n, inner).Expand(outer, n, n, inner);
        var diagonal = Eye(n, DType).Reshape(1, n, n, 1);
        return Where(diagonal, Scalar(1, DType), copies).Prod(2).Reshape(Dims);
    }

    private readonly struct ProdCall(Tensor x, int outer, int size, int inner, Tensor r) : IKernelCall
    {
        public void Run<T>() where T : unmanaged, INumber<T> => ProductKernels.Prod<T>(x.Buffer<T>(), outer, size, inner, r.Buffer<T>());
    }
}
