using System.Numerics;
using Autograd.Kernels;

namespace Autograd;

/// <summary>Elementwise maximum and minimum of two tensors, and Clamp with tensor bounds.</summary>
public sealed partial class Tensor
{
    /// <summary>
    /// The elementwise maximum of this tensor and <paramref name="other"/>, broadcast, like
    /// <c>torch.maximum</c>: NaN where either element is NaN.
    /// Derivatives (PyTorch's <c>derivatives.yaml</c>): d/da = g where a &gt; b, g/2 where a = b, 0
    /// where a &lt; b; d/db the mirror image (a NaN on either side gives both the whole g).
    /// </summary>
    public Tensor Maximum(Tensor other) => Extremum(other, BinaryKind.Maximum, "Maximum");

    /// <summary>
    /// The elementwise minimum of this tensor and <paramref name="other"/>, broadcast, like
    /// <c>torch.minimum</c>: NaN where either element is NaN.
    /// Derivatives: d/da = g where a &lt; b, g/2 where a = b, 0 where a &gt; b; d/db the mirror image.
    /// </summary>
    public Tensor Minimum(Tensor other) => Extremum(other, BinaryKind.Minimum, "Minimum");

    /// <summary>
    /// Maximum or Minimum: the side that loses (a &lt; b for the maximum, a &gt; b for the
    /// minimum) gets 0, ties split g.
    /// </summary>
    private Tensor Extremum(Tensor other, BinaryKind kind, string name)
    {
        ArgumentNullException.ThrowIfNull(other);
        var (a, b) = Promote(this, other, BinaryKind.Add);
        var r = Compute(kind, a, b);
        bool max = kind == BinaryKind.Maximum;
        return Tape.Record(r, name, [a, b], g =>
        [
            a.RequiresGrad ? TieSplit(a, b, g, loser: max ? a.Lt(b) : a.Gt(b)).SumTo(a.Dims) : null,
            b.RequiresGrad ? TieSplit(a, b, g, loser: max ? a.Gt(b) : a.Lt(b)).SumTo(b.Dims) : null,
        ], a, b);
    }

    /// <summary>
    /// PyTorch's <c>result_type</c> of up to three tensors: the dimensioned ones promote among
    /// themselves, and the 0-d ones decide only when of a higher category (a float beside Int64).
    /// </summary>
    private static DType ResultType(Tensor a, Tensor? b, Tensor? c)
    {
        DType? dimensioned = null, zeroDim = null;
        foreach (var t in new[] { a, b, c })
        {
            if (t is null) continue;
            if (t.Rank == 0) zeroDim = zeroDim is DType z ? DTypeExtensions.Promote(z, t.DType) : t.DType;
            else dimensioned = dimensioned is DType d ? DTypeExtensions.Promote(d, t.DType) : t.DType;
        }
        if (dimensioned is not DType dims) return zeroDim!.Value;
        return zeroDim is DType zero && zero.IsFloatingPoint() && !dims.IsFloatingPoint() ? zero : dims;
    }

    /// <summary><c>where(a == b, g / 2, g).masked_fill_(loser, 0)</c>, as PyTorch's maximum/minimum backward.</summary>
    private static Tensor TieSplit(Tensor a, Tensor b, Tensor g, Tensor loser) =>
        Where(loser, Scalar(0, g.DType), Where(a.Eq(b), g / 2, g));

    /// <summary>
    /// Limits each element to [min, max] given as tensors (either may be null), broadcast together,
    /// like <c>torch.clamp(x, min, max)</c>: <c>minimum(maximum(x, min), max)</c>, so where min &gt; max
    /// the result is max, and a NaN in x or a bound gives NaN.
    /// Derivatives (PyTorch's <c>clamp_backward</c> and <c>clamp_backward_min_max</c>):
    /// d/dx = g where min &lt;= x &lt;= max (bounds included), else 0;
    /// d/dmin = g where x &lt; min and min &lt; max (or x &lt; min without max), else 0;
    /// d/dmax = g where x &gt; max or max &lt; min, else 0.
    /// </summary>
    /// <exception cref="ArgumentException">Both bounds are null.</exception>
    public Tensor Clamp(Tensor? min, Tensor? max)
    {
        if (min is null && max is null) throw new ArgumentException("Clamp needs at least one of min and max.", nameof(min));
        var dtype = ResultType(this, min, max);
        var x = To(dtype);
        var lo = min?.To(dtype);
        var hi = max?.To(dtype);
        var r = x.Detach();
        if (lo is not null) r = Compute(BinaryKind.Maximum, r, lo.Detach());
        if (hi is not null) r = Compute(BinaryKind.Minimum, r, hi.Detach());

        var inputs = new List<Tensor> { x };
        if (lo is not null) inputs.Add(lo);
        if (hi is not null) inputs.Add(hi);
        return Tape.Record(r, "Clamp", [.. inputs], g =>
        {
            var zero = Scalar(0, g.DType);
            var inside = lo is null ? x.Le(hi!) : hi is null ? x.Ge(lo) : x.Ge(lo) * x.Le(hi);
            var grads = new List<Tensor?> { x.RequiresGrad ? Where(inside, g, zero).SumTo(x.Dims) : null };
            if (lo is not null)
                grads.Add(lo.RequiresGrad ? Where(hi is null ? x.Lt(lo) : x.Lt(lo) * lo.Lt(hi), g, zero).SumTo(lo.Dims) : null);
            if (hi is not null)
                grads.Add(hi.RequiresGrad ? Where(lo is null ? x.Gt(hi) : x.Gt(hi) + hi.Lt(lo), g, zero).SumTo(hi.Dims) : null);
            return [.. grads];
        }, [.. inputs]);
    }
}
