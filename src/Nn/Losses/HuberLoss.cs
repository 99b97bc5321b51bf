using System.Numerics;

namespace Autograd.Nn;

/// <summary>
/// Huber loss, quadratic for small errors and linear for large ones, like
/// <c>torch.nn.HuberLoss</c>. A one-line wrapper over <see cref="Functional.HuberLoss"/>, whose
/// docs give the gradient and the numerics.
/// </summary>
/// <remarks>
/// <para>Unreduced, with d = x - y, each element is <c>ℓ = ½ d²</c> if |d| &lt; δ, else
/// <c>δ (|d| - ½ δ)</c>. <see cref="Reduction.Mean"/> (default) is Σ ℓ / N,
/// <see cref="Reduction.Sum"/> is Σ ℓ, <see cref="Reduction.None"/> returns ℓ shaped like the
/// input. Gradient: d if |d| &lt; δ, else δ sign(d), times 1/N for the mean.</para>
/// <para>Shapes: input any shape; target exactly the same shape and dtype.</para>
/// <code>
/// var criterion = new HuberLoss(delta: 0.5);
/// var prediction = model.Forward(x);
/// var loss = criterion.Forward(prediction, y);
/// </code>
/// </remarks>
public sealed class HuberLoss : Loss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="reduction">How to reduce the per-element losses (default: the mean).</param>
    /// <param name="delta">Where the loss turns linear; must be positive.</param>
    /// <exception cref="ArgumentOutOfRangeException">reduction is not a defined value, or delta is not positive.</exception>
    public HuberLoss(Reduction reduction = Reduction.Mean, double delta = 1.0)
        : base(reduction)
    {
        ElementwiseLoss.CheckDelta(delta, nameof(HuberLoss));
        Delta = delta;
    }

    /// <summary>Where the loss turns from quadratic to linear.</summary>
    public double Delta { get; }

    /// <summary>The loss of <paramref name="input"/> against <paramref name="target"/>; see <see cref="Functional.HuberLoss"/>.</summary>
    /// <param name="input">The predictions.</param>
    /// <param name="target">The targets: the input's shape and dtype.</param>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.HuberLoss(input, target, Reduction, Delta);
}

public static partial class Functional
{
    /// <summary>
    /// Huber loss, like <c>torch.nn.functional.huber_loss</c>: quadratic for small errors, linear
    /// (slope δ) for large ones. With d = x - y, each element is <c>ℓ = ½ d²</c> if |d| &lt; δ,
    /// else <c>δ (|d| - ½ δ)</c>.
    /// </summary>
    /// <remarks>
    /// <para><b>Reduction.</b> <see cref="Reduction.None"/>: the per-element losses, shaped like the
    /// input; <see cref="Reduction.Sum"/>: Σ ℓ; <see cref="Reduction.Mean"/> (default): Σ ℓ / N
    /// (NaN for an empty input).</para>
    /// <para><b>Gradient.</b> ∂ℓ/∂x = d if |d| &lt; δ, else δ · sign(d) (the two agree at |d| = δ, so
    /// the gradient is continuous), times 1/N for the mean; ∂ℓ/∂y = -∂ℓ/∂x. Written with tensor ops
    /// (∂²ℓ/∂x² = 1 inside, 0 outside). Huber with δ equals δ · SmoothL1 with β = δ.</para>
    /// <para><b>Shapes.</b> input: any shape, Float32 or Float64; target: exactly the input's shape
    /// and dtype.</para>
    /// <code>
    /// var x = Tensor.FromArray(new[] { 0f, 0f, 0f }, 3);
    /// var y = Tensor.FromArray(new[] { 0.5f, -2f, 3f }, 3);
    /// var loss = Functional.HuberLoss(x, y, delta: 1.0);   // (0.125 + 1.5 + 2.5) / 3 = 1.375
    /// </code>
    /// </remarks>
    /// <param name="input">The predictions.</param>
    /// <param name="target">The targets: the input's shape and dtype.</param>
    /// <param name="reduction">How to reduce the per-element losses.</param>
    /// <param name="delta">Where the loss turns linear; must be positive.</param>
    /// <returns>A 0-d tensor, or the per-element losses for <see cref="Reduction.None"/>.</returns>
    /// <exception cref="ArgumentNullException">input or target is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">delta is not positive (or NaN).</exception>
    /// <exception cref="ArgumentException">A dtype is not floating point, the dtypes differ, or the shapes differ.</exception>
    public static Tensor HuberLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, double delta = 1.0)
    {
        ElementwiseLoss.CheckPair(input, target, reduction, nameof(HuberLoss));
        ElementwiseLoss.CheckDelta(delta, nameof(HuberLoss));
        return new HuberLossFunction(reduction, delta).Apply(input, target);
    }
}

/// <summary>Huber loss as one op.</summary>
internal sealed class HuberLossFunction(Reduction reduction, double delta) : ElementwiseLossFunction<HuberLossFunction.Op>(reduction, delta)
{
    internal readonly struct Op : IElementwiseLoss
    {
        public static T Loss<T>(T x, T y, T delta) where T : unmanaged, IFloatingPointIeee754<T>
        {
            T z = T.Abs(x - y), half = T.CreateTruncating(0.5);
            return z < delta ? half * z * z : delta * (z - half * delta);
        }
    }

    // ∂ℓ/∂x = d inside, δ·sign(d) outside (|d| >= δ, PyTorch's branch), times norm = 1/N for the mean.
    protected override Tensor InputGradient(Tensor x, Tensor y, Tensor grad)
    {
        double delta = Parameter;
        var d = x - y;
        var slope = Tensor.Where(d.Abs().Ge(delta), d.Sign() * delta, d);
        return ScaledForMean(slope, x.NumberOfElements) * grad;
    }
}
