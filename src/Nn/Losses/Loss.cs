namespace Autograd.Nn;

/// <summary>
/// The base of the loss modules, like PyTorch's <c>_Loss</c> and TorchSharp's <c>Loss</c>: it holds
/// the <see cref="Reduction"/> and checks it once. A loss module adds its own options and a
/// one-line <see cref="Forward"/> that calls its functional form in <see cref="Functional"/>.
/// </summary>
public abstract class Loss
{
    /// <summary>Checks and keeps the reduction.</summary>
    /// <param name="reduction">How to reduce the per-element losses.</param>
    /// <exception cref="ArgumentOutOfRangeException">reduction is not a defined value (the message names the loss type).</exception>
    protected Loss(Reduction reduction)
        : this(reduction, checkFirst: null)
    {
    }

    /// <summary>Runs <paramref name="checkFirst"/> (given the loss type's name), then checks and keeps the reduction: the order of the checks the losses had before these bases.</summary>
    private protected Loss(Reduction reduction, Action<string>? checkFirst)
    {
        checkFirst?.Invoke(GetType().Name);
        LossChecks.Reduction(reduction, GetType().Name);
        Reduction = reduction;
    }

    /// <summary>How the per-element (or per-sample) losses are reduced.</summary>
    public Reduction Reduction { get; }

    /// <summary>The loss of <paramref name="input"/> against <paramref name="target"/>, reduced by <see cref="Reduction"/>.</summary>
    /// <param name="input">The predictions (probabilities, logits, log-probabilities: see the loss).</param>
    /// <param name="target">The targets.</param>
    /// <returns>A 0-d tensor, or the unreduced losses for <see cref="Reduction.None"/>.</returns>
    public abstract Tensor Forward(Tensor input, Tensor target);
}

/// <summary>
/// The base of the loss modules with an optional rescaling weight, like PyTorch's
/// <c>_WeightedLoss</c>: it holds <see cref="Weight"/> and checks it once.
/// </summary>
public abstract class WeightedLoss : Loss
{
    /// <summary>Checks and keeps the reduction and the weight.</summary>
    /// <param name="weight">An optional rescaling weight (it gets no gradient).</param>
    /// <param name="reduction">How to reduce the per-element losses.</param>
    /// <param name="perClass">The weight holds one entry per class, so it must be 1-D.</param>
    /// <exception cref="ArgumentException">weight is not Float32 or Float64, or, with <paramref name="perClass"/>, not 1-D.</exception>
    /// <exception cref="ArgumentOutOfRangeException">reduction is not a defined value.</exception>
    protected WeightedLoss(Tensor? weight, Reduction reduction, bool perClass = false)
        : base(reduction, loss => CheckWeight(weight, perClass, loss))
    {
        Weight = weight;
    }

    /// <summary>As the protected constructor, with <paramref name="checkAfterWeight"/> run between the weight's check and the reduction's.</summary>
    private protected WeightedLoss(Tensor? weight, Reduction reduction, Action<string> checkAfterWeight)
        : base(reduction, loss =>
        {
            CheckWeight(weight, false, loss);
            checkAfterWeight(loss);
        })
    {
        Weight = weight;
    }

    private static void CheckWeight(Tensor? weight, bool perClass, string loss)
    {
        if (weight is null) return;
        LossChecks.Float(weight, loss, nameof(weight));
        if (perClass && weight.Rank != 1)
            throw new ArgumentException($"{loss}: weight must be 1-D, one entry per class; got shape {LossChecks.Format(weight)}.", nameof(weight));
    }

    /// <summary>The rescaling weight (of each element, or of each class), or null.</summary>
    public Tensor? Weight { get; }
}
