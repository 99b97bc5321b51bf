namespace Autograd.Nn;

/// <summary>
/// Mean squared error, like <c>torch.nn.MSELoss</c>. A one-line wrapper over
/// <see cref="Functional.MseLoss"/>.
/// </summary>
/// <remarks>
/// <para>Unreduced, each element is <c>ℓ = (x - y)²</c>. <see cref="Reduction.Mean"/> (default) is
/// Σ ℓ / N, <see cref="Reduction.Sum"/> is Σ ℓ, <see cref="Reduction.None"/> returns ℓ shaped like
/// the input. Gradient: ∂ℓ/∂x = 2 (x - y), times 1/N for the mean.</para>
/// <para>Shapes: input any shape; target exactly the same shape and dtype. PyTorch only warns on
/// a (4) target for a (4, 1) input and silently broadcasts to (4, 4); here that is an error.</para>
/// <code>
/// var criterion = new MSELoss();
/// var prediction = model.Forward(x);                     // (N, 1)
/// var loss = criterion.Forward(prediction, y);           // y: (N, 1), not (N)
/// </code>
/// </remarks>
public sealed class MSELoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="reduction">How to reduce the per-element losses (default: the mean).</param>
    /// <exception cref="ArgumentOutOfRangeException">reduction is not a defined value.</exception>
    public MSELoss(Reduction reduction = Reduction.Mean)
    {
        LossChecks.Reduction(reduction, nameof(MSELoss));
        Reduction = reduction;
    }

    /// <summary>How the per-element losses are reduced.</summary>
    public Reduction Reduction { get; }

    /// <summary>The loss of <paramref name="input"/> against <paramref name="target"/>; see <see cref="Functional.MseLoss"/>.</summary>
    /// <param name="input">The predictions.</param>
    /// <param name="target">The targets: the input's shape and dtype.</param>
    public Tensor Forward(Tensor input, Tensor target) => Functional.MseLoss(input, target, Reduction);
}
