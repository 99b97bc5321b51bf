using System.Numerics;

namespace Autograd.Nn;

/// <summary>
/// Binary cross entropy between probabilities and (soft) targets, like <c>torch.nn.BCELoss</c>.
/// A one-line wrapper over <see cref="Functional.BinaryCrossEntropy"/>, whose docs give the
/// gradient and the numerics.
/// </summary>
/// <remarks>
/// <para>Unreduced, each element is <c>ℓ = -w · [y · log(x) + (1 - y) · log(1 - x)]</c>, each log
/// clamped at -100 (so x = 0 or 1 gives a finite loss, at most 100 w). <see cref="Reduction.Mean"/>
/// (default) is Σ ℓ / N over all N elements, <see cref="Reduction.Sum"/> is Σ ℓ,
/// <see cref="Reduction.None"/> returns ℓ shaped like the input.</para>
/// <para>Gradient: w · (x - y) / max(x (1 - x), 1e-12), divided by N for the mean.</para>
/// <para>Shapes: input any shape with every element in [0, 1]; target the same shape and dtype;
/// weight broadcastable to the input. For logits use <see cref="BCEWithLogitsLoss"/>, which is
/// numerically stable.</para>
/// <code>
/// var criterion = new BCELoss();
/// var p = x.Sigmoid();                                  // probabilities
/// var loss = criterion.Forward(p, y);                    // y: same shape, in [0, 1]
/// </code>
/// </remarks>
/// <param name="weight">Optional rescaling weight of each element, broadcast to the input (it gets no gradient).</param>
/// <param name="reduction">How to reduce the per-element losses (default: the mean).</param>
/// <exception cref="ArgumentException">weight is not Float32 or Float64.</exception>
/// <exception cref="ArgumentOutOfRangeException">reduction is not a defined value.</exception>
public sealed class BCELoss(Tensor? weight = null, Reduction reduction = Reduction.Mean) : WeightedLoss(weight, reduction)
{
    /// <summary>The loss of probabilities <paramref name="input"/> against <paramref name="target"/>; see <see cref="Functional.BinaryCrossEntropy"/>.</summary>
    /// <param name="input">Probabilities in [0, 1].</param>
    /// <param name="target">Targets of the input's shape and dtype.</param>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.BinaryCrossEntropy(input, target, Weight, Reduction);
}

public static partial class Functional
{
    /// <summary>
    /// Binary cross entropy between probabilities and (soft) targets, like
    /// <c>torch.nn.functional.binary_cross_entropy</c>. For each element
    /// <c>ℓ = -w · [y · log(x) + (1 - y) · log(1 - x)]</c>, where each log is clamped at
    /// <c>-100</c> so that <c>x = 0</c> or <c>x = 1</c> gives a finite loss (at most <c>100 · w</c>).
    /// </summary>
    /// <remarks>
    /// <para><b>Reduction.</b> <see cref="Reduction.None"/>: the per-element losses, shaped like the
    /// input; <see cref="Reduction.Sum"/>: Σ ℓ; <see cref="Reduction.Mean"/> (default): Σ ℓ / N over
    /// all N elements (the weights are not normalised; NaN for an empty input).</para>
    /// <para><b>Gradient.</b> ∂ℓ/∂x = w · (x - y) / max(x (1 - x), ε) with ε = 1e-12 (the float
    /// <c>EPSILON</c> of PyTorch's <c>binary_cross_entropy_backward</c>, so about ±1e12, finite, at
    /// x = 0 or 1), divided by N for the mean. ∂ℓ/∂y = w · (log(1 - x) - log x) = -w · logit(x)
    /// (±∞ at x = 0 or 1, as PyTorch). Both are written with tensor ops, so they can be
    /// differentiated again (<c>createGraph: true</c>). The weight gets no gradient: a weight
    /// that requires grad is an error while recording, as in PyTorch.</para>
    /// <para><b>Numerics.</b> Computed in the input's dtype in PyTorch's order of operations,
    /// <c>(y - 1) · max(log(1 - x), -100) - y · max(log x, -100)</c> (note: <c>log(1 - x)</c>, not
    /// <c>log1p(-x)</c>, as PyTorch 1.13); the sum is accumulated in double and rounded once. For
    /// logits, prefer <see cref="BinaryCrossEntropyWithLogits"/>, which is exact where
    /// <c>Sigmoid</c> rounds to 0 or 1.</para>
    /// <para><b>Shapes.</b> input: any shape (0-d included), Float32 or Float64, every element in
    /// [0, 1]; target: the input's shape and dtype (soft targets are allowed and, as in PyTorch, not
    /// range-checked); weight: broadcastable to the input's shape, the input's dtype.</para>
    /// <code>
    /// var p = Tensor.FromArray(new[] { 0.9f, 0.2f, 0.6f }, 3);            // probabilities
    /// var y = Tensor.FromArray(new[] { 1f, 0f, 1f }, 3);
    /// var loss = Functional.BinaryCrossEntropy(p, y);                     // 0.2798…
    /// </code>
    /// </remarks>
    /// <param name="input">Probabilities in [0, 1].</param>
    /// <param name="target">Targets, usually in [0, 1]; the input's shape and dtype.</param>
    /// <param name="weight">Optional rescaling weight of each element, broadcast to the input.</param>
    /// <param name="reduction">How to reduce the per-element losses.</param>
    /// <returns>A 0-d tensor, or the per-element losses for <see cref="Reduction.None"/>.</returns>
    /// <exception cref="ArgumentNullException">input or target is null.</exception>
    /// <exception cref="ArgumentException">A dtype is not floating point or differs from the input's,
    /// the target's shape differs from the input's, the weight does not broadcast to the input or
    /// requires grad while recording, or an input element is outside [0, 1] (or NaN).</exception>
    public static Tensor BinaryCrossEntropy(Tensor input, Tensor target, Tensor? weight = null, Reduction reduction = Reduction.Mean)
    {
        const string loss = nameof(BinaryCrossEntropy);
        ElementwiseLoss.CheckPair(input, target, reduction, loss);
        ElementwiseLoss.CheckWeight(weight, input, loss, nameof(weight));
        return new BinaryCrossEntropyFunction(weight, reduction).Apply(input, target);
    }
}

/// <summary>BCE on probabilities as one op: the loss and its reduction in one pass, the closed-form gradient in backward.</summary>
internal sealed class BinaryCrossEntropyFunction(Tensor? weight, Reduction reduction)
    : ElementwiseLossFunction<BinaryCrossEntropyFunction.Op>(reduction, weight: weight)
{
    // PyTorch's `constexpr float EPSILON = 1e-12`: a float, so in Float64 the floor is
    // (double)1e-12f = 9.9999999600419720e-13, not 1e-12.
    private const double Epsilon = 1e-12f;

    internal readonly struct Op : IElementwiseLoss
    {
        // PyTorch's order of operations, each log clamped at -100.
        public static T Loss<T>(T x, T y, T _) where T : unmanaged, IFloatingPointIeee754<T>
        {
            T floor = T.CreateTruncating(-100);
            return (y - T.One) * T.Max(T.Log(T.One - x), floor) - y * T.Max(T.Log(x), floor);
        }

        public static bool InDomain<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => x >= T.Zero && x <= T.One;

        public static Exception OutOfDomain<T>(T x, string index) where T : unmanaged, IFloatingPointIeee754<T> =>
            new ArgumentException(
                $"BinaryCrossEntropy: all elements of input should be between 0 and 1, but input{index} = {x}. " +
                "Pass probabilities (e.g. Sigmoid() of logits), or use BinaryCrossEntropyWithLogits on the logits.", "input");
    }

    // dℓ/dx = (x - y) / (x (1 - x)), with the denominator floored at EPSILON (PyTorch's order of operations).
    protected override Tensor InputGradient(Tensor x, Tensor y, Tensor grad) =>
        DividedForMean(Weighted(grad * (x - y) / ((1 - x) * x).Clamp(min: Epsilon)), x.NumberOfElements);

    // dℓ/dy = log(1 - x) - log(x) (= -logit(x), in the form PyTorch 1.13 evaluates).
    protected override Tensor TargetGradient(Tensor x, Tensor y, Tensor grad, Tensor? inputGradient) =>
        DividedForMean(Weighted(((1 - x).Log() - x.Log()) * grad), x.NumberOfElements);
}
