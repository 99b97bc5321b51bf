using System.Numerics;

namespace Autograd.Optim;

// RMSprop's per-element update, with the rounding of PyTorch 1.13's _single_tensor_rmsprop
// (the rules are in OptimKernels.cs's header).
internal static partial class OptimKernels
{
    /// <summary>The scalars of one RMSprop step, already converted to the parameter's dtype.</summary>
    internal readonly record struct RMSpropScalars<T>(
        T NegativeLr, T Alpha, T OneMinusAlpha, T Eps, T WeightDecay, T Momentum,
        bool UseWeightDecay, bool UseMomentum, bool Centered, bool Maximize);

    /// <summary>
    /// One RMSprop step (torch/optim/rmsprop.py, <c>_single_tensor_rmsprop</c>).
    /// <paramref name="gradAvg"/> is empty unless centered, <paramref name="buffer"/> empty without momentum.
    /// </summary>
    public static void RMSprop<T>(Span<T> param, ReadOnlySpan<T> grad, Span<T> squareAvg, Span<T> gradAvg, Span<T> buffer, in RMSpropScalars<T> s)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < param.Length; i++)
        {
            T g = s.Maximize ? -grad[i] : grad[i];                                        // grad = -grad if maximize
            if (s.UseWeightDecay) g = T.FusedMultiplyAdd(param[i], s.WeightDecay, g);     // grad.add(param, alpha=wd)
            T v = T.FusedMultiplyAdd(s.OneMinusAlpha * g, g, squareAvg[i] * s.Alpha);     // square_avg.mul_(a).addcmul_(grad, grad, value=1-a)
            squareAvg[i] = v;
            T avg;
            if (s.Centered)
            {
                T m = T.FusedMultiplyAdd(g, s.OneMinusAlpha, gradAvg[i] * s.Alpha);       // grad_avg.mul_(a).add_(grad, alpha=1-a)
                gradAvg[i] = m;
                avg = T.Sqrt(T.FusedMultiplyAdd(-m, m, v));                              // square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()
            }
            else avg = T.Sqrt(v);                                                         // square_avg.sqrt()
            avg += s.Eps;                                                                 // avg.add_(eps)
            if (s.UseMomentum)
            {
                T b = buffer[i] * s.Momentum + g / avg;                                   // buf.mul_(mu).addcdiv_(grad, avg)
                buffer[i] = b;
                param[i] = T.FusedMultiplyAdd(b, s.NegativeLr, param[i]);                 // param.add_(buf, alpha=-lr)
            }
            else param[i] = param[i] + s.NegativeLr * g / avg;                            // param.addcdiv_(grad, avg, value=-lr)
        }
    }
}
