namespace Autograd.Nn;

/// <summary>
/// Negative log-likelihood of class targets under log-probabilities, like <c>torch.nn.NLLLoss</c>.
/// A one-line wrapper over <see cref="Functional.NllLoss"/>; feed it
/// <see cref="Tensor.LogSoftmax"/> output, or use <see cref="CrossEntropyLoss"/> on logits.
/// </summary>
/// <remarks>
/// <para>Unreduced, each position (a sample, or one spatial site of a sample) with target t is
/// <c>ℓ = -w[t] · x_t</c>, 0 where t = <see cref="IgnoreIndex"/>.
/// <see cref="Reduction.Mean"/> (default) is Σ ℓ / Σ w[t] over the non-ignored positions (the
/// weighted mean: not a division by N; NaN when every target is ignored),
/// <see cref="Reduction.Sum"/> is Σ ℓ, <see cref="Reduction.None"/> returns ℓ shaped like the target.</para>
/// <para>Gradient: ∂loss/∂x = -w[t] · s at each target position and 0 elsewhere, with
/// s = 1 / Σ w[t] for the mean (1 for sum).</para>
/// <para>Shapes: input (C), (N, C) or (N, C, d1, ..., dk) with the classes on dim 1; target Int64 of
/// shape (), (N) or (N, d1, ..., dk) with values in [0, C) or equal to the ignore index; weight (C).</para>
/// <code>
/// var criterion = new NLLLoss();
/// var logProbs = model.Forward(x).LogSoftmax(1);         // (N, C)
/// var loss = criterion.Forward(logProbs, labels);        // labels: Int64 (N)
/// </code>
/// </remarks>
public sealed class NLLLoss : WeightedLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="weight">Optional rescaling weight per class, 1-D of length C with the input's dtype.</param>
    /// <param name="ignoreIndex">A target equal to this is left out of the loss and the mean (default -100).</param>
    /// <param name="reduction">How to reduce the per-position losses (default: the weighted mean).</param>
    /// <exception cref="ArgumentException">weight is not a 1-D Float32 or Float64 tensor.</exception>
    /// <exception cref="ArgumentOutOfRangeException">reduction is not a defined value.</exception>
    public NLLLoss(Tensor? weight = null, long ignoreIndex = -100, Reduction reduction = Reduction.Mean)
        : base(weight, reduction, perClass: true)
    {
        IgnoreIndex = ignoreIndex;
    }

    /// <summary>The target that is ignored.</summary>
    public long IgnoreIndex { get; }

    /// <summary>The loss of log-probabilities <paramref name="input"/> against <paramref name="target"/>; see <see cref="Functional.NllLoss"/>.</summary>
    /// <param name="input">Log-probabilities (C), (N, C) or (N, C, d1, ..., dk).</param>
    /// <param name="target">Int64 class indices.</param>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.NllLoss(input, target, Weight, IgnoreIndex, Reduction);
}
