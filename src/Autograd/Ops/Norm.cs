namespace Autograd;

/// <summary>The vector p-norm over some dims (<c>torch.norm</c>, <c>torch.linalg.vector_norm</c>).</summary>
public sealed partial class Tensor
{
    /// <summary>
    /// The vector p-norm over <paramref name="dims"/> (null or empty: every element), as
    /// <c>torch.norm(x, p, dims, keepdim)</c> and <c>torch.linalg.vector_norm(x, p, dims, keepdim, dtype=dtype)</c>:
    /// <c>(Σ |x|^p)^(1/p)</c>; p = ∞ is max |x|, p = -∞ min |x|, p = 0 the number of nonzero elements.
    /// A reduction over no elements gives 0, as <c>torch.norm</c>. The input is converted to
    /// <paramref name="dtype"/> first when one is given.
    /// </summary>
    /// <remarks>
    /// <para>The norm is computed in double and rounded once to the tensor's dtype: |x| and x² of a
    /// Float32 element are exact in double, and the sum is the fixed-order one of
    /// <see cref="Sum(int[], bool, DType?)"/>, so the result does not depend on the machine. PyTorch
    /// accumulates a Float32 norm in Float32, so the two may differ by an ulp or two; p = 0, 1 (Float64),
    /// ±∞ agree bit for bit. A general p uses <see cref="Math.Pow"/> (the platform's libm).</para>
    /// <para>Backward, as PyTorch's <c>norm_backward</c> (g the incoming gradient, r the norm):
    /// p = 2: g · (x / r), 0 where r = 0; p = 1: sgn(x) · g; p = ±∞: the gradient split evenly among
    /// the elements whose |x| equals r (or is NaN), with their sign; p = 0: zero; other p:
    /// sgn(x) |x|^(p-1) · g / r^(p-1) (x |x|^(p-2) for p &gt; 2; 0 where r = 0; for p &lt; 1,
    /// sgn(x) |x|^(p-1) · g · r^(1-p), 0 where x = 0). The backward is made of differentiable ops,
    /// so second derivatives work.</para>
    /// </remarks>
    /// <param name="p">The order: any number but NaN; <see cref="double.PositiveInfinity"/> and <see cref="double.NegativeInfinity"/> for the max and min norms.</param>
    /// <param name="dims">The dims to reduce (negative dims count from the end); null or empty: every dim.</param>
    /// <param name="keepDim">Keep each reduced dim with size 1.</param>
    /// <param name="dtype">A floating point dtype to convert to first.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is NaN, or a dim is out of range.</exception>
    /// <exception cref="ArgumentException">A dim appears twice, or the tensor (after <paramref name="dtype"/>) is Int64.</exception>
    public Tensor Norm(double p = 2, int[]? dims = null, bool keepDim = false, DType? dtype = null)
    {
        if (double.IsNaN(p))
            throw new ArgumentOutOfRangeException(nameof(p), p, "Norm: the order p is NaN; use a number, or double.PositiveInfinity / NegativeInfinity for the max / min norm.");
        var x = dtype is { } t ? To(t) : this;
        if (x.DType == DType.Int64)
            throw new ArgumentException($"Norm: the input dtype should be floating point (Float32 or Float64), got Int64 with shape {Shapes.Format(Dims)}. Convert with To(DType.Float32) or pass dtype.", dtype is null ? null : nameof(dtype));
        return x.NormDims(p, x.ReducedDims(dims ?? []), keepDim);
    }

    /// <summary>The vector p-norm along <paramref name="dim"/>, as <see cref="Norm(double, int[], bool, DType?)"/> with one dim.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is NaN, or <paramref name="dim"/> is out of range.</exception>
    /// <exception cref="ArgumentException">The tensor is Int64.</exception>
    public Tensor Norm(double p, int dim, bool keepDim = false) => Norm(p, [dim], keepDim);

    private Tensor NormDims(double p, bool[] reduced, bool keepDim)
    {
        int[] dims = Rank == 0 ? [] : [.. Enumerable.Range(0, Rank).Where(i => reduced[i])];
        var keepShape = Rank == 0 ? [] : KeepShape(reduced);
        bool empty = Rank > 0 && dims.Any(d => Dims[d] == 0);
        Tensor r;
        using (Tape.Override(gradEnabled: false))
        {
            var a = To(DType.Float64).Abs();
            Tensor norm;
            if (empty) norm = a.Sum(dims, keepDim);   // zeros of the output's shape, as torch.norm for every p
            else if (p == 0) norm = a.Ne(0).Sum(dims, keepDim);
            else if (p == 1) norm = a.Sum(dims, keepDim);
            else if (p == 2) norm = (a * a).Sum(dims, keepDim).Sqrt();
            else if (double.IsPositiveInfinity(p)) norm = a.Amax(dims, keepDim);
            else if (double.IsNegativeInfinity(p)) norm = a.Amin(dims, keepDim);
            else norm = a.Pow(p).Sum(dims, keepDim).Pow(1 / p);
            r = norm.To(DType).Detach();
        }
        if (empty) return Tape.Record(r, "Norm", [this], g => [Zeros(Dims, DType)]);
        return Tape.Record(r, "Norm", [this], g =>
        {
            var (gk, rk) = (g.Reshape(keepShape), r.Reshape(keepShape));
            if (p == 0) return [Zeros(Dims, DType)];
            if (p == 1) return [Sign() * gk];
            if (p == 2) return [gk * (this / rk).MaskedFill(rk.Eq(0), 0)];
            if (double.IsInfinity(p))
            {
                Tensor mask;
                using (Tape.Override(gradEnabled: false))
                {
                    var abs = Abs();
                    mask = abs.Eq(rk) + abs.Ne(abs);   // |x| == r, or NaN (disjoint: NaN equals nothing)
                }
                return [Sign() * ((gk / mask.Sum(dims, keepDim: true)) * mask)];
            }
            if (p < 1) return [Sign() * Abs().Pow(p - 1).MaskedFill(Eq(0), 0) * gk * rk.Pow(1 - p)];
            var scale = (gk / rk.Pow(p - 1)).MaskedFill(rk.Eq(0), 0);
            return [(p < 2 ? Sign() * Abs().Pow(p - 1) : this * Abs().Pow(p - 2)) * scale];
        }, this, r);
    }
}
