namespace Autograd.Nn;

/// <summary>
/// Cross entropy between the softmax of logits and class targets, like
/// <c>torch.nn.CrossEntropyLoss</c>: log-softmax and negative log-likelihood fused into one
/// numerically stable op. A one-line wrapper over <see cref="Functional.CrossEntropy"/>.
/// </summary>
/// <remarks>
/// <para>Unreduced, each position (a sample, or one spatial site of a sample) with class-index
/// target t is <c>ℓ = (1 - e) · w[t] · (-log p_t) + (e / C) · Σ_c w[c] · (-log p_c)</c>, where
/// log p = log_softmax(x) over the class dim and e is <see cref="LabelSmoothing"/>; 0 where
/// t = <see cref="IgnoreIndex"/>. With class-probability targets q (the input's shape),
/// <c>ℓ = -Σ_c w[c] · q'_c · log p_c</c>, q' = (1 - e) q + e / C.</para>
/// <para><see cref="Reduction.Mean"/> (default) with class indices is Σ ℓ / Σ w[t] over the
/// non-ignored positions (the weighted mean: not a division by N; NaN when every target is
/// ignored); with probabilities Σ ℓ / (number of positions). <see cref="Reduction.Sum"/> is Σ ℓ,
/// <see cref="Reduction.None"/> returns ℓ per position.</para>
/// <para>Gradient: ∂loss/∂x = s · (1 - e) · w[t] · (softmax(x) - onehot(t)) + s · (e / C) ·
/// (softmax(x) · Σ_c w[c] - w), with s = 1 / Σ w[t] for the mean (1 for sum); for probabilities
/// s · (softmax(x) · Σ_c w[c] q'_c - w q') with s = 1 / (number of positions) for the mean.</para>
/// <para>Shapes: input (C), (N, C) or (N, C, d1, ..., dk) with the classes on dim 1; target Int64
/// indices of shape (), (N) or (N, d1, ..., dk), or probabilities of the input's shape and dtype;
/// weight (C). Numerics: log p = (x - max) - log Σ e^(x - max), so logits of ±1e4 are fine.</para>
/// <code>
/// var criterion = new CrossEntropyLoss(labelSmoothing: 0.1);
/// var logits = model.Forward(x);                         // (N, C)
/// var loss = criterion.Forward(logits, labels);          // labels: Int64 (N)
/// </code>
/// </remarks>
public sealed class CrossEntropyLoss : WeightedLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="weight">Optional rescaling weight per class, 1-D of length C with the input's dtype.</param>
    /// <param name="ignoreIndex">A class-index target equal to this is left out of the loss and the mean (default -100).</param>
    /// <param name="reduction">How to reduce the per-position losses (default: the weighted mean).</param>
    /// <param name="labelSmoothing">e in [0, 1]: the share of the target spread uniformly over the classes (default 0).</param>
    /// <exception cref="ArgumentException">weight is not a 1-D Float32 or Float64 tensor.</exception>
    /// <exception cref="ArgumentOutOfRangeException">reduction is not a defined value, or labelSmoothing is outside [0, 1].</exception>
    public CrossEntropyLoss(Tensor? weight = null, long ignoreIndex = -100, Reduction reduction = Reduction.Mean, double labelSmoothing = 0.0)
        : base(weight, reduction, perClass: true)
    {
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, $"{nameof(CrossEntropyLoss)}: labelSmoothing must be in [0, 1], got {labelSmoothing}.");
        IgnoreIndex = ignoreIndex;
        LabelSmoothing = labelSmoothing;
    }

    /// <summary>The class-index target that is ignored.</summary>
    public long IgnoreIndex { get; }

    /// <summary>The label smoothing e in [0, 1].</summary>
    public double LabelSmoothing { get; }

    /// <summary>The loss of logits <paramref name="input"/> against <paramref name="target"/>; see <see cref="Functional.CrossEntropy"/>.</summary>
    /// <param name="input">Logits (C), (N, C) or (N, C, d1, ..., dk).</param>
    /// <param name="target">Int64 class indices, or class probabilities of the input's shape.</param>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.CrossEntropy(input, target, Weight, IgnoreIndex, Reduction, LabelSmoothing);
}
