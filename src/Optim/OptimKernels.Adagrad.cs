using System.Numerics;

namespace Autograd.Optim;

// Adagrad's per-element update, with the rounding of PyTorch 1.13's _single_tensor_adagrad
// (dense gradients; the rules are in OptimKernels.cs's header).
internal static partial class OptimKernels
{
    /// <summary>The scalars of one Adagrad step, already converted to the parameter's dtype.</summary>
    internal readonly record struct AdagradScalars<T>(T NegativeClr, T Eps, T WeightDecay, bool UseWeightDecay, bool Maximize);

    /// <summary>
    /// One Adagrad step (torch/optim/adagrad.py, <c>_single_tensor_adagrad</c>): <paramref name="sum"/>
    /// is the running sum of squared gradients; the decayed learning rate <c>clr</c> arrives negated.
    /// </summary>
    public static void Adagrad<T>(Span<T> param, ReadOnlySpan<T> grad, Span<T> sum, in AdagradScalars<T> s)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < param.Length; i++)
        {
            T g = s.Maximize ? -grad[i] : grad[i];                                        // grad = -grad if maximize
            if (s.UseWeightDecay) g = T.FusedMultiplyAdd(param[i], s.WeightDecay, g);     // grad.add(param, alpha=wd)
            T acc = T.FusedMultiplyAdd(g, g, sum[i]);                                     // state_sum.addcmul_(grad, grad, value=1)
            sum[i] = acc;
            T std = T.Sqrt(acc) + s.Eps;                                                  // state_sum.sqrt().add_(eps)
            param[i] = param[i] + s.NegativeClr * g / std;                                // param.addcdiv_(grad, std, value=-clr)
        }
    }
}
