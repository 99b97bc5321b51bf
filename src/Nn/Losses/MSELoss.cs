using System.Numerics;

namespace Autograd.Nn;

/// <summary>
/// Mean squared error, like <c>torch.nn.MSELoss</c>. A one-line wrapper over
/// <see cref="Functional.MseLoss"/>, whose docs give the gradient and the numerics.
/// </summary>
/// <remarks>
/// <para>Unreduced, each element is <c>ℓ = (x - y)²</c>. <see cref="Reduction.Mean"/> (default) is
/// Σ ℓ / N, <see cref="Reduction.Sum"/> is Σ ℓ, <see cref="Reduction.None"/> returns ℓ shaped like
/// the input. Gradient: 2 (x - y), times 1/N for the mean.</para>
/// <para>Shapes: input any shape; target exactly the same shape and dtype. PyTorch only warns on
/// a (4) target for a (4, 1) input and silently broadcasts to (4, 4); here that is an error.</para>
/// <code>
/// var criterion = new MSELoss();
/// var prediction = model.Forward(x);                     // (N, 1)
/// var loss = criterion.Forward(prediction, y);           // y: (N, 1), not (N)
/// </code>
/// </remarks>
/// <param name="reduction">How to reduce the per-element losses (default: the mean).</param>
/// <exception cref="ArgumentOutOfRangeException">reduction is not a defined value.</exception>
public sealed class MSELoss(Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <summary>The loss of <paramref name="input"/> against <paramref name="target"/>; see <see cref="Functional.MseLoss"/>.</summary>
    /// <param name="input">The predictions.</param>
    /// <param name="target">The targets: the input's shape and dtype.</param>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.MseLoss(input, target, Reduction);
}

public static partial class Functional
{
    /// <summary>
    /// Mean squared error, like <c>torch.nn.functional.mse_loss</c>. For each element
    /// <c>ℓ = (x - y)²</c>.
    /// </summary>
    /// <remarks>
    /// <para><b>Reduction.</b> <see cref="Reduction.None"/>: the per-element losses, shaped like the
    /// input; <see cref="Reduction.Sum"/>: Σ ℓ; <see cref="Reduction.Mean"/> (default): Σ ℓ / N
    /// (NaN for an empty input).</para>
    /// <para><b>Gradient.</b> ∂ℓ/∂x = 2 (x - y), times 1/N for the mean (PyTorch multiplies by the
    /// rounded factor 2/N); ∂ℓ/∂y = -∂ℓ/∂x. Written with tensor ops, so it can be differentiated
    /// again (∂²ℓ/∂x² = 2).</para>
    /// <para><b>Shapes.</b> input: any shape, Float32 or Float64; target: exactly the input's shape
    /// and dtype. PyTorch only warns on a target of another shape and broadcasts (a (4, 1) input
    /// against a (4) target silently averages 16 differences); here that is an error.</para>
    /// <para><b>Numerics.</b> Each element in the input's dtype; the sum is accumulated in double
    /// and rounded once.</para>
    /// <code>
    /// var x = Tensor.FromArray(new[] { 1f, 2f, 4f }, 3);
    /// var y = Tensor.FromArray(new[] { 1.5f, 2f, 3f }, 3);
    /// var loss = Functional.MseLoss(x, y);                 // (0.25 + 0 + 1) / 3 = 0.41667
    /// </code>
    /// </remarks>
    /// <param name="input">The predictions.</param>
    /// <param name="target">The targets: the input's shape and dtype.</param>
    /// <param name="reduction">How to reduce the per-element losses.</param>
    /// <returns>A 0-d tensor, or the per-element losses for <see cref="Reduction.None"/>.</returns>
    /// <exception cref="ArgumentNullException">input or target is null.</exception>
    /// <exception cref="ArgumentException">A dtype is not floating point, the dtypes differ, or the shapes differ.</exception>
    public static Tensor MseLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        ElementwiseLoss.CheckPair(input, target, reduction, nameof(MseLoss));
        return new MseLossFunction(reduction).Apply(input, target);
    }
}

/// <summary>(x - y)² as one op.</summary>
internal sealed class MseLossFunction(Reduction reduction) : ElementwiseLossFunction<MseLossFunction.Op>(reduction)
{
    internal readonly struct Op : IElementwiseLoss
    {
        public static T Loss<T>(T x, T y, T _) where T : unmanaged, IFloatingPointIeee754<T> => (x - y) * (x - y);
    }

    // ∂ℓ/∂x = norm (x - y), ∂ℓ/∂y = norm (y - x): norm = 2, or 2/N rounded to the dtype first, as PyTorch's mse_loss_backward.
    protected override Tensor InputGradient(Tensor x, Tensor y, Tensor grad) => (x - y) * Norm(x) * grad;

    protected override Tensor TargetGradient(Tensor x, Tensor y, Tensor grad, Tensor? inputGradient) => (y - x) * Norm(x) * grad;

    private double Norm(Tensor x) => FactorForMean(2.0, x.NumberOfElements);
}
