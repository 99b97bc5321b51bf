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

    /// <summary>-1, 0 or 1 by the sign of each element (not differentiable: its gradient is 0).</summary>
    public Tensor Sign() => Detach().Map(UnaryKind.Sign);

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
}
