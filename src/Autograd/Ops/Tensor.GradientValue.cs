using Autograd.Kernels;

namespace Autograd;

// The tensor as a value a derivative formula is written in: the formula's arithmetic becomes
// recorded tensor ops. The operators are the tensor's own; the rest is spelled here.
public sealed partial class Tensor : IGradientValue<Tensor>
{
    static Tensor IGradientValue<Tensor>.OneMinus(Tensor x) => 1 - x;

    static Tensor IGradientValue<Tensor>.ThresholdBackward(Tensor g, Tensor r) => Where(r.Detach().Gt(0), g, Scalar(0, g.DType));

    /// <summary>
    /// An elementwise gradient from the result <paramref name="r"/>: under createGraph the formula
    /// runs as recorded tensor ops; otherwise the same formula runs as one fused loop.
    /// </summary>
    private static Tensor Gradient<TFormula>(Tensor r, Tensor g) where TFormula : IElementwiseGradient
    {
        if (Tape.IsGradEnabled) return TFormula.Apply(r, g);
        var d = r.UninitializedLike();
        DTypeDispatch.RunFloat(r.DType, new FusedGradient<TFormula>(r, g, d));
        return d;
    }

    private readonly struct FusedGradient<TFormula>(Tensor r, Tensor g, Tensor d) : IFloatKernelCall where TFormula : IElementwiseGradient
    {
        public void Run<T>() where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
            => ElementwiseGradient.Apply<T, TFormula>(r.Buffer<T>(), g.Buffer<T>(), d.Buffer<T>());
    }
}
