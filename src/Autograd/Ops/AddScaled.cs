using System.Numerics;

namespace Autograd;

/// <summary><c>torch.add(x, y, alpha=)</c> and <c>torch.sub(x, y, alpha=)</c>: x ± alpha·y rounded once.</summary>
public sealed partial class Tensor
{
    /// <summary>
    /// this + <paramref name="alpha"/> · <paramref name="other"/>, broadcasting, as
    /// <c>torch.add(x, other, alpha=alpha)</c>. With alpha ≠ 1 the product and the sum are rounded
    /// once (a fused multiply-add, as PyTorch's CPU kernel); alpha is first rounded to the result's
    /// dtype. Promotes as <c>+</c>. d/dthis = 1, d/dother = alpha (summed over broadcast dims).
    /// </summary>
    /// <exception cref="ArgumentException">The shapes do not broadcast, or alpha is fractional and both operands are Int64 (as PyTorch).</exception>
    public Tensor Add(Tensor other, double alpha = 1) => AddScaled("Add", other, alpha);

    /// <summary>
    /// this - <paramref name="alpha"/> · <paramref name="other"/>, as <c>torch.sub(x, other, alpha=alpha)</c>:
    /// <see cref="Add(Tensor, double)"/> with -alpha. d/dthis = 1, d/dother = -alpha.
    /// </summary>
    /// <exception cref="ArgumentException">The shapes do not broadcast, or alpha is fractional and both operands are Int64.</exception>
    public Tensor Sub(Tensor other, double alpha = 1) => AddScaled("Sub", other, -alpha);

    private Tensor AddScaled(string name, Tensor other, double alpha)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (alpha == 1) return this + other;
        if (alpha == -1) return this - other;
        var (a, b) = Promote(this, other, BinaryKind.Add);
        if (a.DType == DType.Int64 && alpha != Math.Floor(alpha))
            throw new ArgumentException($"{name}: for integral input tensors, argument alpha must not be a floating point number (got {(name == "Sub" ? -alpha : alpha)}).", nameof(alpha));
        var r = ScaledSum(a, b, alpha);
        return Tape.Record(r, name, [a, b], g => [g.SumTo(a.Dims), b.RequiresGrad ? (name == "Sub" ? -g * -alpha : g * alpha).SumTo(b.Dims) : null]);
    }

    /// <summary>a + alpha·b elementwise, broadcasting, with one rounding per element (a and b of one dtype).</summary>
    internal static Tensor ScaledSum(Tensor a, Tensor b, double alpha)
    {
        var shape = Shapes.Broadcast(a.Dims, b.Dims);
        Tensor x, y;
        using (Tape.NoGrad())
        {
            x = Shapes.Equal(a.Dims, shape) ? a : a.Expand(shape);
            y = Shapes.Equal(b.Dims, shape) ? b : b.Expand(shape);
        }
        var r = Uninitialized(shape, a.DType);
        switch (a.DType)
        {
            case DType.Float32:
            {
                ReadOnlySpan<float> xs = x.Buffer<float>(), ys = y.Buffer<float>();
                Span<float> d = r.Buffer<float>();
                float s = (float)alpha;
                for (int i = 0; i < d.Length; i++) d[i] = MathF.FusedMultiplyAdd(ys[i], s, xs[i]);
                break;
            }
            case DType.Float64:
            {
                ReadOnlySpan<double> xs = x.Buffer<double>(), ys = y.Buffer<double>();
                Span<double> d = r.Buffer<double>();
                for (int i = 0; i < d.Length; i++) d[i] = Math.FusedMultiplyAdd(ys[i], alpha, xs[i]);
                break;
            }
            default:
            {
                ReadOnlySpan<long> xs = x.Buffer<long>(), ys = y.Buffer<long>();
                Span<long> d = r.Buffer<long>();
                long s = (long)alpha;
                for (int i = 0; i < d.Length; i++) d[i] = unchecked(xs[i] + s * ys[i]);
                break;
            }
        }
        return r;
    }
}
