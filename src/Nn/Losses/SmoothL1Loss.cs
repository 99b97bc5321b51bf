namespace Autograd.Nn;

/// <summary>
/// Smooth L1 loss, quadratic for small errors and |d| for large ones, like
/// <c>torch.nn.SmoothL1Loss</c>. A one-line wrapper over <see cref="Functional.SmoothL1Loss"/>.
/// </summary>
/// <remarks>
/// <para>Unreduced, with d = x - y, each element is <c>ℓ = ½ d² / β</c> if |d| &lt; β, else
/// <c>|d| - ½ β</c>; β = 0 is the L1 loss. <see cref="Reduction.Mean"/> (default) is Σ ℓ / N,
/// <see cref="Reduction.Sum"/> is Σ ℓ, <see cref="Reduction.None"/> returns ℓ shaped like the
/// input. Gradient: ∂ℓ/∂x = d / β if |d| &lt; β, else sign(d), times 1/N for the mean.</para>
/// <para>Shapes: input any shape; target exactly the same shape and dtype.</para>
/// <code>
/// var criterion = new SmoothL1Loss(beta: 0.5);
/// var boxes = model.Forward(x);
/// var loss = criterion.Forward(boxes, targetBoxes);
/// </code>
/// </remarks>
public sealed class SmoothL1Loss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="reduction">How to reduce the per-element losses (default: the mean).</param>
    /// <param name="beta">Where the loss turns linear; must be &gt;= 0 (0 gives the L1 loss).</param>
    /// <exception cref="ArgumentOutOfRangeException">reduction is not a defined value, or beta is negative.</exception>
    public SmoothL1Loss(Reduction reduction = Reduction.Mean, double beta = 1.0)
    {
        LossChecks.Reduction(reduction, nameof(SmoothL1Loss));
        ElementwiseLoss.CheckBeta(beta, nameof(SmoothL1Loss));
        Reduction = reduction;
        Beta = beta;
    }

    /// <summary>How the per-element losses are reduced.</summary>
    public Reduction Reduction { get; }

    /// <summary>Where the loss turns from quadratic to linear.</summary>
    public double Beta { get; }

    /// <summary>The loss of <paramref name="input"/> against <paramref name="target"/>; see <see cref="Functional.SmoothL1Loss"/>.</summary>
    /// <param name="input">The predictions.</param>
    /// <param name="target">The targets: the input's shape and dtype.</param>
    public Tensor Forward(Tensor input, Tensor target) => Functional.SmoothL1Loss(input, target, Reduction, Beta);
}
