namespace Autograd.Nn;

/// <summary>
/// Binary cross entropy between probabilities and (soft) targets, like <c>torch.nn.BCELoss</c>.
/// A one-line wrapper over <see cref="Functional.BinaryCrossEntropy"/>.
/// </summary>
/// <remarks>
/// <para>Unreduced, each element is <c>ℓ = -w · [y · log(x) + (1 - y) · log(1 - x)]</c>, each log
/// clamped at -100 (so x = 0 or 1 gives a finite loss, at most 100 w). <see cref="Reduction.Mean"/>
/// (default) is Σ ℓ / N over all N elements, <see cref="Reduction.Sum"/> is Σ ℓ,
/// <see cref="Reduction.None"/> returns ℓ shaped like the input.</para>
/// <para>Gradient: ∂ℓ/∂x = w · (x - y) / max(x (1 - x), 1e-12), divided by N for the mean.</para>
/// <para>Shapes: input any shape with every element in [0, 1]; target the same shape and dtype;
/// weight broadcastable to the input. For logits use <see cref="BCEWithLogitsLoss"/>, which is
/// numerically stable.</para>
/// <code>
/// var criterion = new BCELoss();
/// var p = x.Sigmoid();                                  // probabilities
/// var loss = criterion.Forward(p, y);                    // y: same shape, in [0, 1]
/// </code>
/// </remarks>
public sealed class BCELoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="weight">Optional rescaling weight of each element, broadcast to the input (it gets no gradient).</param>
    /// <param name="reduction">How to reduce the per-element losses (default: the mean).</param>
    /// <exception cref="ArgumentException">weight is not Float32 or Float64.</exception>
    /// <exception cref="ArgumentOutOfRangeException">reduction is not a defined value.</exception>
    public BCELoss(Tensor? weight = null, Reduction reduction = Reduction.Mean)
    {
        if (weight is not null) LossChecks.Float(weight, nameof(BCELoss), nameof(weight));
        LossChecks.Reduction(reduction, nameof(BCELoss));
        Weight = weight;
        Reduction = reduction;
    }

    /// <summary>The rescaling weight of each element, or null.</summary>
    public Tensor? Weight { get; }

    /// <summary>How the per-element losses are reduced.</summary>
    public Reduction Reduction { get; }

    /// <summary>The loss of probabilities <paramref name="input"/> against <paramref name="target"/>; see <see cref="Functional.BinaryCrossEntropy"/>.</summary>
    /// <param name="input">Probabilities in [0, 1].</param>
    /// <param name="target">Targets of the input's shape and dtype.</param>
    public Tensor Forward(Tensor input, Tensor target) => Functional.BinaryCrossEntropy(input, target, Weight, Reduction);
}
