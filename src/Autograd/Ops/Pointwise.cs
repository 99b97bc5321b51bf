using System.Numerics;
using Autograd.Kernels;

namespace Autograd;

/// <summary>Elementwise math: each op's forward, and its derivative beside it.</summary>
public sealed partial class Tensor
{
    /// <summary>e^x. d/dx = e^x (the result).</summary>
    public Tensor Exp()
    {
        var r = Map(UnaryKind.Exp, "Exp");
        return Tape.Record(r, "Exp", [this], g => [g * r], r);
    }

    /// <summary>Natural logarithm. d/dx = 1/x.</summary>
    public Tensor Log()
    {
        var r = Map(UnaryKind.Log, "Log");
        return Tape.Record(r, "Log", [this], g => [g / this], this);
    }

    /// <summary>Square root. d/dx = 1 / (2 sqrt(x)) = 1 / (2 result).</summary>
    public Tensor Sqrt()
    {
        var r = Map(UnaryKind.Sqrt, "Sqrt");
        return Tape.Record(r, "Sqrt", [this], g => [g / (2 * r)], r);
    }

    /// <summary>|x|. d/dx = sign(x), taken as 0 at x = 0 as in PyTorch.</summary>
    public Tensor Abs()
    {
        var r = Map(UnaryKind.Abs);
        return Tape.Record(r, "Abs", [this], g => [g * Sign()], this);
    }

    /// <summary>-1, 0 or 1 by the sign of each element (NaN stays NaN). Its gradient is 0, as PyTorch's.</summary>
    public Tensor Sign() => Piecewise(UnaryKind.Sign, "Sign");

    /// <summary>x^p for a constant exponent. d/dx = p x^(p-1) (0 when p = 0).</summary>
    public Tensor Pow(double exponent)
    {
        RequireFloat("Pow");
        var r = UninitializedLike();
        DTypeDispatch.RunFloat(DType, new PowCall(this, exponent, r));
        return Tape.Record(r, "Pow", [this], g =>
            [exponent == 0 ? ZerosLike(g) : g * (exponent * Pow(exponent - 1))], this);
    }

    /// <summary>
    /// x^y elementwise with a tensor exponent, broadcast, like <c>torch.pow(x, y)</c> (Float32 and
    /// Float64; the C library's pow per element).
    /// Derivatives (PyTorch's <c>pow_backward_self</c>, <c>pow_backward_exponent</c>):
    /// d/dx = y x^(y-1), taken as 0 where y = 0; d/dy = x^y ln x, taken as 0 where x = 0 and y &gt;= 0
    /// (so at x = 0 and y &lt; 0 it is -inf).
    /// </summary>
    public Tensor Pow(Tensor exponent)
    {
        ArgumentNullException.ThrowIfNull(exponent);
        var (x, y) = Promote(this, exponent, BinaryKind.Mul);
        x.RequireFloat("Pow");
        var r = PowForward(x, y);
        return Tape.Record(r, "Pow", [x, y], g =>
        [
            x.RequiresGrad ? Where(y.Eq(0), Scalar(0, g.DType), g * (y * x.Pow(y - 1))).SumTo(x.Dims) : null,
            y.RequiresGrad ? (g * Where(x.Eq(0) * y.Ge(0), Scalar(0, g.DType), r * x.Log())).SumTo(y.Dims) : null,
        ], x, y, r);
    }

    /// <summary>
    /// A scalar raised to each element of <paramref name="exponent"/>, like <c>torch.pow(self, exponent)</c>
    /// with a number as <c>self</c>. d/dy = base^y ln(base) (ln(base) in double, rounded to the
    /// tensor's dtype), taken as 0 where base = 0 and y &gt;= 0.
    /// </summary>
    /// <exception cref="ArgumentException">An Int64 exponent with an integral base (integer powers are not supported).</exception>
    public static Tensor Pow(double self, Tensor exponent)
    {
        var b = ScalarFor(exponent, self, BinaryKind.Mul);
        var (x, y) = Promote(b, exponent, BinaryKind.Mul);
        x.RequireFloat("Pow");
        var r = PowForward(x, y);
        return Tape.Record(r, "Pow", [y], g =>
        [
            self == 0
                ? g * Where(y.Ge(0), Scalar(0, g.DType), r * Math.Log(self))
                : g * (r * Math.Log(self)),
        ], y, r);
    }

    private static Tensor PowForward(Tensor x, Tensor y)
    {
        var r = Uninitialized(Shapes.Broadcast(x.Dims, y.Dims), x.DType);
        DTypeDispatch.RunFloat(x.DType, new PowTensorCall(x, y, r));
        return r;
    }

    /// <summary>sin x, the C library's per element. d/dx = cos x.</summary>
    public Tensor Sin()
    {
        var r = Map(UnaryKind.Sin, "Sin");
        return Tape.Record(r, "Sin", [this], g => [g * Cos()], this);
    }

    /// <summary>cos x, the C library's per element. d/dx = -sin x.</summary>
    public Tensor Cos()
    {
        var r = Map(UnaryKind.Cos, "Cos");
        return Tape.Record(r, "Cos", [this], g => [g * -Sin()], this);
    }

    /// <summary>ln(1 + x), accurate for small x. d/dx = 1 / (x + 1).</summary>
    public Tensor Log1p()
    {
        var r = Map(UnaryKind.Log1p, "Log1p");
        return Tape.Record(r, "Log1p", [this], g => [g / (this + 1)], this);
    }

    /// <summary>e^x - 1, accurate for small x. d/dx = e^x = result + 1.</summary>
    public Tensor Expm1()
    {
        var r = Map(UnaryKind.Expm1, "Expm1");
        return Tape.Record(r, "Expm1", [this], g => [g * (r + 1)], r);
    }

    /// <summary>The error function erf x = 2/√π ∫₀ˣ e^(-t²) dt. d/dx = 2/√π · e^(-x²).</summary>
    public Tensor Erf()
    {
        var r = Map(UnaryKind.Erf, "Erf");
        return Tape.Record(r, "Erf", [this], g => [2 / Math.Sqrt(Math.PI) * (-(this * this)).Exp() * g], this);
    }

    /// <summary>x² (any dtype). d/dx = 2x.</summary>
    public Tensor Square()
    {
        var r = Compute(BinaryKind.Mul, this, this);
        return Tape.Record(r, "Square", [this], g => [g * (2 * this)], this);
    }

    /// <summary>1 / x. d/dx = -1/x² = -result².</summary>
    public Tensor Reciprocal()
    {
        var r = Map(UnaryKind.Reciprocal, "Reciprocal");
        return Tape.Record(r, "Reciprocal", [this], g => [-g * (r * r)], r);
    }

    /// <summary>The largest integer &lt;= x (Int64 unchanged). Its gradient is 0.</summary>
    public Tensor Floor() => Piecewise(UnaryKind.Floor, "Floor");

    /// <summary>The smallest integer &gt;= x (Int64 unchanged). Its gradient is 0.</summary>
    public Tensor Ceil() => Piecewise(UnaryKind.Ceil, "Ceil");

    /// <summary>The nearest integer, halves to even as <c>torch.round</c> (0.5 → 0, 1.5 → 2; Int64 unchanged). Its gradient is 0.</summary>
    public Tensor Round() => Piecewise(UnaryKind.Round, "Round");

    /// <summary>A piecewise constant map: recorded (the result requires grad, as PyTorch's) with a zero gradient.</summary>
    private Tensor Piecewise(UnaryKind kind, string name)
    {
        var r = Map(kind);
        if (!DType.IsFloatingPoint()) return r;
        return Tape.Record(r, name, [this], g => [ZerosLike(g)]);
    }

    /// <summary>
    /// Limits each element to [min, max] (either bound may be omitted). d/dx = 1 where
    /// min &lt;= x &lt;= max (bounds included, as PyTorch), else 0.
    /// </summary>
    public Tensor Clamp(double? min = null, double? max = null)
    {
        if (min is null && max is null) throw new ArgumentException("Clamp needs at least one of min and max.");
        if (min > max) throw new ArgumentException($"Clamp needs min <= max, got min={min}, max={max}.");
        var r = UninitializedLike();
        DTypeDispatch.Run(DType, new ClampCall(this, min, max, r));
        return Tape.Record(r, "Clamp", [this], g =>
        {
            var inside = min is double lo ? Detach().Ge(lo) : OnesLike(g);
            if (max is double hi) inside = inside * Detach().Le(hi);
            return [Where(inside, g, Scalar(0, g.DType))];
        }, this);
    }

    internal Tensor Map(UnaryKind kind, string? floatOnlyOp = null)
    {
        if (floatOnlyOp is not null) RequireFloat(floatOnlyOp);
        var r = UninitializedLike();
        DTypeDispatch.Run(DType, new MapCall(kind, this, r));
        return r;
    }

    private readonly struct MapCall(UnaryKind kind, Tensor x, Tensor r) : IKernelCall
    {
        public void Run<T>() where T : unmanaged, INumber<T> => UnaryKernels.Map(kind, x.Buffer<T>(), r.Buffer<T>());
    }

    private readonly struct PowCall(Tensor x, double exponent, Tensor r) : IFloatKernelCall
    {
        public void Run<T>() where T : unmanaged, IFloatingPointIeee754<T> => UnaryKernels.Pow(x.Buffer<T>(), T.CreateTruncating(exponent), r.Buffer<T>());
    }

    private readonly struct ClampCall(Tensor x, double? min, double? max, Tensor r) : IKernelCall
    {
        public void Run<T>() where T : unmanaged, INumber<T> => UnaryKernels.ClampToBounds(x.Buffer<T>(), min, max, r.Buffer<T>());
    }

    private readonly struct PowTensorCall(Tensor x, Tensor y, Tensor r) : IFloatKernelCall
    {
        public void Run<T>() where T : unmanaged, IFloatingPointIeee754<T> =>
            BinaryKernels.Broadcast<T, PowOp<T>>(x.Buffer<T>(), x.Dims, y.Buffer<T>(), y.Dims, r.Buffer<T>(), r.Dims);
    }
}
