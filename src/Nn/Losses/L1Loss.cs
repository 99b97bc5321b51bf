using System.Numerics;

namespace Autograd.Nn;

/// <summary>
/// Mean absolute error, like <c>torch.nn.L1Loss</c>. A one-line wrapper over
/// <see cref="Functional.L1Loss"/>, whose docs give the gradient and the numerics.
/// </summary>
/// <remarks>
/// <para>Unreduced, each element is <c>ℓ = |x - y|</c>. <see cref="Reduction.Mean"/> (default) is
/// Σ ℓ / N, <see cref="Reduction.Sum"/> is Σ ℓ, <see cref="Reduction.None"/> returns ℓ shaped like
/// the input. Gradient: sign(x - y), 0 where x = y, divided by N for the mean.</para>
/// <para>Shapes: input any shape; target exactly the same shape and dtype.</para>
/// <code>
/// var criterion = new L1Loss(reduction: Reduction.Sum);
/// var prediction = model.Forward(x);
/// var loss = criterion.Forward(prediction, y);
/// </code>
/// </remarks>
/// <param name="reduction">How to reduce the per-element losses (default: the mean).</param>
/// <exception cref="ArgumentOutOfRangeException">reduction is not a defined value.</exception>
public sealed class L1Loss(Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <summary>The loss of <paramref name="input"/> against <paramref name="target"/>; see <see cref="Functional.L1Loss"/>.</summary>
    /// <param name="input">The predictions.</param>
    /// <param name="target">The targets: the input's shape and dtype.</param>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.L1Loss(input, target, Reduction);
}

public static partial class Functional
{
    /// <summary>
    /// Mean absolute error, like <c>torch.nn.functional.l1_loss</c>. For each element
    /// <c>ℓ = |x - y|</c>.
    /// </summary>
    /// <remarks>
    /// <para><b>Reduction.</b> <see cref="Reduction.None"/>: the per-element losses, shaped like the
    /// input; <see cref="Reduction.Sum"/>: Σ ℓ; <see cref="Reduction.Mean"/> (default): Σ ℓ / N
    /// (NaN for an empty input).</para>
    /// <para><b>Gradient.</b> ∂ℓ/∂x = sign(x - y), taken as 0 where x = y (PyTorch's subgradient),
    /// divided by N for the mean; ∂ℓ/∂y = -∂ℓ/∂x. The second derivative is 0.</para>
    /// <para><b>Shapes.</b> input: any shape, Float32 or Float64; target: exactly the input's shape
    /// and dtype (an error otherwise, where PyTorch warns and broadcasts).</para>
    /// <code>
    /// var x = Tensor.FromArray(new[] { 1f, 2f, 4f }, 3);
    /// var y = Tensor.FromArray(new[] { 1.5f, 2f, 3f }, 3);
    /// var loss = Functional.L1Loss(x, y);                  // (0.5 + 0 + 1) / 3 = 0.5
    /// </code>
    /// </remarks>
    /// <param name="input">The predictions.</param>
    /// <param name="target">The targets: the input's shape and dtype.</param>
    /// <param name="reduction">How to reduce the per-element losses.</param>
    /// <returns>A 0-d tensor, or the per-element losses for <see cref="Reduction.None"/>.</returns>
    /// <exception cref="ArgumentNullException">input or target is null.</exception>
    /// <exception cref="ArgumentException">A dtype is not floating point, the dtypes differ, or the shapes differ.</exception>
    public static Tensor L1Loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        ElementwiseLoss.CheckPair(input, target, reduction, nameof(L1Loss));
        return new L1LossFunction(reduction).Apply(input, target);
    }
}

/// <summary>|x - y| as one op (also SmoothL1 with β = 0).</summary>
internal sealed class L1LossFunction(Reduction reduction) : ElementwiseLossFunction<L1LossFunction.Op>(reduction)
{
    internal readonly struct Op : IElementwiseLoss
    {
        public static T Loss<T>(T x, T y, T _) where T : unmanaged, IFloatingPointIeee754<T> => T.Abs(x - y);
    }

    // ∂ℓ/∂x = sign(x - y) (0 at x = y), applied to the gradient already divided by N for the mean
    // (PyTorch 1.13 composes l1_loss from abs and mean, whose backwards do exactly this).
    protected override Tensor InputGradient(Tensor x, Tensor y, Tensor grad) =>
        DividedForMean(grad, x.NumberOfElements) * (x - y).Sign();
}
