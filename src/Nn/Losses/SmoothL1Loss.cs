using System.Numerics;

namespace Autograd.Nn;

/// <summary>
/// Smooth L1 loss, quadratic for small errors and |d| for large ones, like
/// <c>torch.nn.SmoothL1Loss</c>. A one-line wrapper over <see cref="Functional.SmoothL1Loss"/>,
/// whose docs give the gradient and the numerics.
/// </summary>
/// <remarks>
/// <para>Unreduced, with d = x - y, each element is <c>ℓ = ½ d² / β</c> if |d| &lt; β, else
/// <c>|d| - ½ β</c>; β = 0 is the L1 loss. <see cref="Reduction.Mean"/> (default) is Σ ℓ / N,
/// <see cref="Reduction.Sum"/> is Σ ℓ, <see cref="Reduction.None"/> returns ℓ shaped like the
/// input. Gradient: d / β if |d| &lt; β, else sign(d), times 1/N for the mean.</para>
/// <para>Shapes: input any shape; target exactly the same shape and dtype.</para>
/// <code>
/// var criterion = new SmoothL1Loss(beta: 0.5);
/// var boxes = model.Forward(x);
/// var loss = criterion.Forward(boxes, targetBoxes);
/// </code>
/// </remarks>
public sealed class SmoothL1Loss : Loss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="reduction">How to reduce the per-element losses (default: the mean).</param>
    /// <param name="beta">Where the loss turns linear; must be &gt;= 0 (0 gives the L1 loss).</param>
    /// <exception cref="ArgumentOutOfRangeException">reduction is not a defined value, or beta is negative.</exception>
    public SmoothL1Loss(Reduction reduction = Reduction.Mean, double beta = 1.0)
        : base(reduction)
    {
        ElementwiseLoss.CheckBeta(beta, nameof(SmoothL1Loss));
        Beta = beta;
    }

    /// <summary>Where the loss turns from quadratic to linear.</summary>
    public double Beta { get; }

    /// <summary>The loss of <paramref name="input"/> against <paramref name="target"/>; see <see cref="Functional.SmoothL1Loss"/>.</summary>
    /// <param name="input">The predictions.</param>
    /// <param name="target">The targets: the input's shape and dtype.</param>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.SmoothL1Loss(input, target, Reduction, Beta);
}

public static partial class Functional
{
    /// <summary>
    /// Smooth L1 loss, like <c>torch.nn.functional.smooth_l1_loss</c>: quadratic for small errors,
    /// |d| for large ones. With d = x - y, each element is <c>ℓ = ½ d² / β</c> if |d| &lt; β, else
    /// <c>|d| - ½ β</c>; β = 0 is exactly <see cref="L1Loss"/>.
    /// </summary>
    /// <remarks>
    /// <para><b>Reduction.</b> <see cref="Reduction.None"/>: the per-element losses, shaped like the
    /// input; <see cref="Reduction.Sum"/>: Σ ℓ; <see cref="Reduction.Mean"/> (default): Σ ℓ / N
    /// (NaN for an empty input).</para>
    /// <para><b>Gradient.</b> ∂ℓ/∂x = d / β if |d| &lt; β, else sign(d) (the two agree at |d| = β),
    /// times 1/N for the mean; with β = 0, sign(d) and 0 at d = 0 (L1's). ∂ℓ/∂y = -∂ℓ/∂x.
    /// Written with tensor ops (∂²ℓ/∂x² = 1/β inside, 0 outside).</para>
    /// <para><b>Shapes.</b> input: any shape, Float32 or Float64; target: exactly the input's shape
    /// and dtype.</para>
    /// <code>
    /// var x = Tensor.FromArray(new[] { 0f, 0f, 0f }, 3);
    /// var y = Tensor.FromArray(new[] { 0.5f, -2f, 3f }, 3);
    /// var loss = Functional.SmoothL1Loss(x, y, beta: 1.0); // (0.125 + 1.5 + 2.5) / 3 = 1.375
    /// </code>
    /// </remarks>
    /// <param name="input">The predictions.</param>
    /// <param name="target">The targets: the input's shape and dtype.</param>
    /// <param name="reduction">How to reduce the per-element losses.</param>
    /// <param name="beta">Where the loss turns linear; must be &gt;= 0 (0 gives the L1 loss).</param>
    /// <returns>A 0-d tensor, or the per-element losses for <see cref="Reduction.None"/>.</returns>
    /// <exception cref="ArgumentNullException">input or target is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">beta is negative (or NaN).</exception>
    /// <exception cref="ArgumentException">A dtype is not floating point, the dtypes differ, or the shapes differ.</exception>
    public static Tensor SmoothL1Loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, double beta = 1.0)
    {
        ElementwiseLoss.CheckPair(input, target, reduction, nameof(SmoothL1Loss));
        ElementwiseLoss.CheckBeta(beta, nameof(SmoothL1Loss));
        return beta == 0
            ? new L1LossFunction(reduction).Apply(input, target)
            : new SmoothL1LossFunction(reduction, beta).Apply(input, target);
    }
}

/// <summary>Smooth L1 loss (β &gt; 0) as one op.</summary>
internal sealed class SmoothL1LossFunction(Reduction reduction, double beta) : ElementwiseLossFunction<SmoothL1LossFunction.Op>(reduction, beta)
{
    internal readonly struct Op : IElementwiseLoss
    {
        public static T Loss<T>(T x, T y, T beta) where T : unmanaged, IFloatingPointIeee754<T>
        {
            T z = T.Abs(x - y), half = T.CreateTruncating(0.5);
            return z < beta ? half * z * z / beta : z - half * beta;
        }
    }

    // ∂ℓ/∂x = d/β inside, sign(d) outside (|d| >= β, PyTorch's branch), times norm = 1/N for the mean.
    protected override Tensor InputGradient(Tensor x, Tensor y, Tensor grad)
    {
        double beta = Parameter;
        var d = x - y;
        var slope = Tensor.Where(d.Abs().Ge(beta), d.Sign(), d / beta);
        return ScaledForMean(slope, x.NumberOfElements) * grad;
    }
}
