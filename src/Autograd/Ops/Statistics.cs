using System.Numerics;
using Autograd.Kernels;

namespace Autograd;

/// <summary>Variance, standard deviation and the running sum.</summary>
public sealed partial class Tensor
{
    /// <summary>
    /// The variance over <paramref name="dims"/> (null or empty: every dim), as
    /// <c>torch.var(x, dims, correction=correction, keepdim=keepDim)</c>:
    /// Σ (x - mean)² / max(0, N - correction), N the number of elements reduced into each output
    /// (correction 1 is the unbiased estimate, 0 the population variance; a divisor of 0 gives NaN
    /// or infinity, as PyTorch). The sum is the fixed-order one of <see cref="Sum(int[], bool, DType?)"/>.
    /// Backward, as PyTorch's <c>var_backward</c>: g · 2 (x - mean) / (N - correction).
    /// </summary>
    /// <exception cref="ArgumentException">A dim appears twice, or the tensor is Int64.</exception>
    public Tensor Var(int[]? dims = null, int correction = 1, bool keepDim = false)
    {
        RequireFloat("Var");
        var reduced = ReducedDims(dims ?? []);
        return VarDims(reduced, correction, keepDim);
    }

    /// <summary>The variance along <paramref name="dim"/>, as <see cref="Var(int[], int, bool)"/> with one dim.</summary>
    public Tensor Var(int dim, int correction = 1, bool keepDim = false) => Var([dim], correction, keepDim);

    /// <summary>
    /// The standard deviation over <paramref name="dims"/> (null or empty: every dim): the square
    /// root of <see cref="Var(int[], int, bool)"/>, as <c>torch.std(x, dims, correction=correction, keepdim=keepDim)</c>.
    /// Backward: g · (x - mean) / ((N - correction) · std).
    /// </summary>
    /// <exception cref="ArgumentException">A dim appears twice, or the tensor is Int64.</exception>
    public Tensor Std(int[]? dims = null, int correction = 1, bool keepDim = false) => Var(dims, correction, keepDim).Sqrt();

    /// <summary>The standard deviation along <paramref name="dim"/>, as <see cref="Std(int[], int, bool)"/> with one dim.</summary>
    public Tensor Std(int dim, int correction = 1, bool keepDim = false) => Std([dim], correction, keepDim);

    private Tensor VarDims(bool[] reduced, int correction, bool keepDim)
    {
        int[] dims = Rank == 0 ? [] : [.. Enumerable.Range(0, Rank).Where(i => reduced[i])];
        int n = 1;
        foreach (int d in dims) n *= Dims[d];
        double divisor = Math.Max(0, n - correction);
        var keepShape = Rank == 0 ? [] : KeepShape(reduced);
        Tensor r;
        using (Tape.Override(gradEnabled: false))
        {
            var centred = this - Mean(dims, keepDim: true);
            r = (centred * centred).Sum(dims, keepDim) / divisor;
        }
        r = r.Detach();
        // The mean is taken again inside the backward, so that a second derivative sees it depend on x.
        return Tape.Record(r, "Var", [this], g => [g.Reshape(keepShape) * (this - Mean(dims, keepDim: true)) * (2 / divisor)], this);
    }

    /// <summary>
    /// The running sum along <paramref name="dim"/>: <c>y[..., j, ...] = Σ_{k ≤ j} x[..., k, ...]</c>,
    /// as <c>torch.cumsum(x, dim, dtype=dtype)</c> (converted to <paramref name="dtype"/> first when
    /// one is given). Each output is accumulated in order in double and rounded once, as PyTorch's
    /// CPU kernel, so the values match PyTorch's bit for bit. Backward: the reversed running sum of g,
    /// <c>Σ_{k ≥ j} g[..., k, ...]</c>.
    /// </summary>
    public Tensor CumSum(int dim, DType? dtype = null)
    {
        int d = Shapes.NormalizeDim(dim, Rank);
        if (dtype is not { } t || t == DType) return Scan(d, reverse: false);
        // As PyTorch: the sum runs in dtype, the gradient is converted back before its reversed
        // running sum (cumsum_backward(grad.to(self.scalar_type()), dim)).
        Tensor r;
        using (Tape.Override(gradEnabled: false)) r = To(t).Scan(d, reverse: false);
        if (t == DType.Int64) return r;
        var from = DType;
        return Tape.Record(r, "CumSum", [this], g => [g.To(from).Scan(d, reverse: true)]);
    }

    /// <summary>The running sum forwards or backwards; each is the other's adjoint.</summary>
    private Tensor Scan(int d, bool reverse)
    {
        var (outer, size, inner) = Shapes.SplitAt(Dims, d);
        var r = UninitializedLike();
        DTypeDispatch.Run(DType, new CumSumCall(this, outer, size, inner, r, reverse));
        if (DType == DType.Int64) return r;
        return Tape.Record(r, reverse ? "ReversedCumSum" : "CumSum", [this], g => [g.Scan(d, !reverse)]);
    }

    private readonly struct CumSumCall(Tensor x, int outer, int size, int inner, Tensor r, bool reverse) : IKernelCall
    {
        public void Run<T>() where T : unmanaged, INumber<T> => ScanKernels.CumSum<T>(x.Buffer<T>(), outer, size, inner, r.Buffer<T>(), reverse);
    }
}
