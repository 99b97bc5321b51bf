namespace Autograd.Nn;

/// <summary>
/// Huber loss, quadratic for small errors and linear for large ones, like
/// <c>torch.nn.HuberLoss</c>. A one-line wrapper over <see cref="Functional.HuberLoss"/>.
/// </summary>
/// <remarks>
/// <para>Unreduced, with d = x - y, each element is <c>ℓ = ½ d²</c> if |d| &lt; δ, else
/// <c>δ (|d| - ½ δ)</c>. <see cref="Reduction.Mean"/> (default) is Σ ℓ / N,
/// <see cref="Reduction.Sum"/> is Σ ℓ, <see cref="Reduction.None"/> returns ℓ shaped like the
/// input. Gradient: ∂ℓ/∂x = d if |d| &lt; δ, else δ sign(d) (continuous at |d| = δ), times 1/N
/// for the mean.</para>
/// <para>Shapes: input any shape; target exactly the same shape and dtype.</para>
/// <code>
/// var criterion = new HuberLoss(delta: 0.5);
/// var prediction = model.Forward(x);
/// var loss = criterion.Forward(prediction, y);
/// </code>
/// </remarks>
public sealed class HuberLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="reduction">How to reduce the per-element losses (default: the mean).</param>
    /// <param name="delta">Where the loss turns linear; must be positive.</param>
    /// <exception cref="ArgumentOutOfRangeException">reduction is not a defined value, or delta is not positive.</exception>
    public HuberLoss(Reduction reduction = Reduction.Mean, double delta = 1.0)
    {
        LossChecks.Reduction(reduction, nameof(HuberLoss));
        ElementwiseLoss.CheckDelta(delta, nameof(HuberLoss));
        Reduction = reduction;
        Delta = delta;
    }

    /// <summary>How the per-element losses are reduced.</summary>
    public Reduction Reduction { get; }

    /// <summary>Where the loss turns from quadratic to linear.</summary>
    public double Delta { get; }

    /// <summary>The loss of <paramref name="input"/> against <paramref name="target"/>; see <see cref="Functional.HuberLoss"/>.</summary>
    /// <param name="input">The predictions.</param>
    /// <param name="target">The targets: the input's shape and dtype.</param>
    public Tensor Forward(Tensor input, Tensor target) => Functional.HuberLoss(input, target, Reduction, Delta);
}
