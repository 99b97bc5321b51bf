namespace Autograd.Nn;

/// <summary>
/// Mean absolute error, like <c>torch.nn.L1Loss</c>. A one-line wrapper over
/// <see cref="Functional.L1Loss"/>.
/// </summary>
/// <remarks>
/// <para>Unreduced, each element is <c>ℓ = |x - y|</c>. <see cref="Reduction.Mean"/> (default) is
/// Σ ℓ / N, <see cref="Reduction.Sum"/> is Σ ℓ, <see cref="Reduction.None"/> returns ℓ shaped like
/// the input. Gradient: ∂ℓ/∂x = sign(x - y), 0 where x = y, divided by N for the mean.</para>
/// <para>Shapes: input any shape; target exactly the same shape and dtype.</para>
/// <code>
/// var criterion = new L1Loss(reduction: Reduction.Sum);
/// var prediction = model.Forward(x);
/// var loss = criterion.Forward(prediction, y);
/// </code>
/// </remarks>
public sealed class L1Loss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="reduction">How to reduce the per-element losses (default: the mean).</param>
    /// <exception cref="ArgumentOutOfRangeException">reduction is not a defined value.</exception>
    public L1Loss(Reduction reduction = Reduction.Mean)
    {
        LossChecks.Reduction(reduction, nameof(L1Loss));
        Reduction = reduction;
    }

    /// <summary>How the per-element losses are reduced.</summary>
    public Reduction Reduction { get; }

    /// <summary>The loss of <paramref name="input"/> against <paramref name="target"/>; see <see cref="Functional.L1Loss"/>.</summary>
    /// <param name="input">The predictions.</param>
    /// <param name="target">The targets: the input's shape and dtype.</param>
    public Tensor Forward(Tensor input, Tensor target) => Functional.L1Loss(input, target, Reduction);
}
