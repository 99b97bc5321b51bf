namespace Autograd.Nn;

/// <summary>
/// Binary cross entropy on logits, a sigmoid and <see cref="BCELoss"/> fused into one numerically
/// stable op, like <c>torch.nn.BCEWithLogitsLoss</c>. A one-line wrapper over
/// <see cref="Functional.BinaryCrossEntropyWithLogits"/>.
/// </summary>
/// <remarks>
/// <para>Unreduced, each element is <c>ℓ = -w · [p · y · log σ(x) + (1 - y) · log(1 - σ(x))]</c>,
/// where p (<see cref="PosWeight"/>) weighs the positive term per class (the last dimension), so
/// p &gt; 1 raises recall and p &lt; 1 precision. <see cref="Reduction.Mean"/> (default) is Σ ℓ / N
/// over all N elements, <see cref="Reduction.Sum"/> is Σ ℓ, <see cref="Reduction.None"/> returns ℓ
/// shaped like the input.</para>
/// <para>Numerics: computed with the log-sum-exp trick, m = max(-x, 0),
/// ℓ = (1 - y) x + ((p - 1) y + 1) (m + log(e^(-m) + e^(-x - m))), so logits of ±1e4 give finite
/// losses and gradients.</para>
/// <para>Gradient: ∂ℓ/∂x = w · (σ(x) (p y + 1 - y) - p y), divided by N for the mean.</para>
/// <para>Shapes: input any shape; target the same shape and dtype; weight and posWeight
/// broadcastable to the input (posWeight usually (C) for an (N, C) multi-label input).</para>
/// <code>
/// var criterion = new BCEWithLogitsLoss(posWeight: Tensor.FromArray(new[] { 1f, 3f, 0.5f }, 3));
/// var logits = model.Forward(x);                         // (N, 3)
/// var loss = criterion.Forward(logits, y);               // y: (N, 3), in [0, 1]
/// </code>
/// </remarks>
public sealed class BCEWithLogitsLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="weight">Optional rescaling weight of each element, broadcast to the input (it gets no gradient).</param>
    /// <param name="posWeight">Optional weight of the positive term, broadcast to the input, usually one per class (it gets no gradient).</param>
    /// <param name="reduction">How to reduce the per-element losses (default: the mean).</param>
    /// <exception cref="ArgumentException">weight or posWeight is not Float32 or Float64.</exception>
    /// <exception cref="ArgumentOutOfRangeException">reduction is not a defined value.</exception>
    public BCEWithLogitsLoss(Tensor? weight = null, Tensor? posWeight = null, Reduction reduction = Reduction.Mean)
    {
        if (weight is not null) LossChecks.Float(weight, nameof(BCEWithLogitsLoss), nameof(weight));
        if (posWeight is not null) LossChecks.Float(posWeight, nameof(BCEWithLogitsLoss), nameof(posWeight));
        LossChecks.Reduction(reduction, nameof(BCEWithLogitsLoss));
        Weight = weight;
        PosWeight = posWeight;
        Reduction = reduction;
    }

    /// <summary>The rescaling weight of each element, or null.</summary>
    public Tensor? Weight { get; }

    /// <summary>The weight of the positive term (per class), or null.</summary>
    public Tensor? PosWeight { get; }

    /// <summary>How the per-element losses are reduced.</summary>
    public Reduction Reduction { get; }

    /// <summary>The loss of logits <paramref name="input"/> against <paramref name="target"/>; see <see cref="Functional.BinaryCrossEntropyWithLogits"/>.</summary>
    /// <param name="input">Logits, any real values.</param>
    /// <param name="target">Targets of the input's shape and dtype.</param>
    public Tensor Forward(Tensor input, Tensor target) => Functional.BinaryCrossEntropyWithLogits(input, target, Weight, PosWeight, Reduction);
}
