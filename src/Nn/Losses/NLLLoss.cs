using System.Numerics;
using Autograd.Kernels;

namespace Autograd.Nn;

/// <summary>
/// Negative log-likelihood of class targets under log-probabilities, like <c>torch.nn.NLLLoss</c>.
/// A one-line wrapper over <see cref="Functional.NllLoss"/> (whose docs give the numerics); feed it
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

public static partial class Functional
{
    /// <summary>
    /// The negative log-likelihood of class-index targets under log-probabilities
    /// <paramref name="input"/> (like <c>torch.nn.functional.nll_loss</c>), as one fused op. Use it
    /// after <see cref="Tensor.LogSoftmax"/>; <see cref="CrossEntropy"/> does both in one pass.
    /// </summary>
    /// <remarks>
    /// <para><b>Per position</b>: ℓ = -w[t] · x_t (the input at the target class), 0 where t = <paramref name="ignoreIndex"/>.</para>
    /// <para><b>Reduction.</b> None: ℓ per position (the target's shape). Sum: Σ ℓ. Mean: Σ ℓ / Σ w[t] over
    /// the non-ignored positions (NaN if every target is ignored).</para>
    /// <para><b>Gradient</b>: -w[t] · s at each target position and 0 elsewhere, with s = g / Σ w[t] for
    /// Mean and g (the gradient of the result) for Sum and None.</para>
    /// <para><b>Shapes.</b> input (C), (N, C) or (N, C, d1, ..., dk), Float32 or Float64, classes on dim 1 (dim
    /// 0 unbatched); target Int64 of shape (), (N) or (N, d1, ..., dk), in [0, C) or equal to ignoreIndex.</para>
    /// <para><b>Numerics.</b> The Mean and Sum add in the input's dtype, in the order of PyTorch's cascade
    /// sum, so results equal PyTorch 1.13's bit for bit.</para>
    /// <code>
    /// var logProbs = Tensor.FromArray(new float[,] { { 4, 8, 3 } }).LogSoftmax(1);
    /// var loss = Functional.NllLoss(logProbs, Tensor.FromArray(new long[] { 1 }, 1)); // 0.0247449
    /// loss.Backward();
    /// </code>
    /// </remarks>
    /// <param name="input">The log-probabilities.</param>
    /// <param name="target">Class indices, Int64.</param>
    /// <param name="weight">A rescaling weight per class, 1-D of length C and the input's dtype; null for all ones.</param>
    /// <param name="ignoreIndex">A target equal to this contributes nothing (loss and gradient 0, left out of the mean).</param>
    /// <param name="reduction">None, Mean (the default) or Sum; see the remarks.</param>
    /// <returns>The loss: 0-d for Mean and Sum, the target's shape for None.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> or <paramref name="target"/> is null.</exception>
    /// <exception cref="ArgumentException">A shape or dtype does not fit (the message names the shapes), or a weight that requires grad (as PyTorch).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A target outside [0, C) that is not ignoreIndex, or an unknown reduction.</exception>
    public static Tensor NllLoss(Tensor input, Tensor target, Tensor? weight = null, long ignoreIndex = -100, Reduction reduction = Reduction.Mean)
    {
        var layout = ClassificationChecks.Check("NllLoss", input, target, weight, ignoreIndex, reduction, 0.0, allowProbabilities: false);
        var op = new NllLossFunction(layout, ignoreIndex, reduction);
        return weight is null ? op.Apply(input, target) : op.Apply(input, target, weight);
    }
}

/// <summary>NLL loss as one op: a weighted gather and reduction; the gradient is -w[t] · s at the targets.</summary>
internal sealed class NllLossFunction(ClassLayout layout, long ignoreIndex, Reduction reduction) : BuiltInFunction
{

    private readonly ClassReduction _reduce = new(reduction);
    private double _totalWeight;
    private int _counted;

    public override string Name => "NllLoss";

    protected override Tensor Forward(IReadOnlyList<Tensor> inputs)
    {
        SaveForBackward([.. inputs]);
        return DTypeDispatch.RunFloat<ComputeLossCall, Tensor>(inputs[0].DType, new(this, inputs));
    }

    private Tensor ComputeLoss<T>(IReadOnlyList<Tensor> inputs) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ReadOnlySpan<long> t = inputs[1].Buffer<long>();
        ReadOnlySpan<T> w = inputs.Count > 2 ? inputs[2].Buffer<T>() : [];
        _counted = 0;
        foreach (long v in t) if (v != ignoreIndex) _counted++;
        var result = Tensor.Zeroed(_reduce.ResultShape(layout), inputs[0].DType);
        if (_reduce.PerPosition)
        {
            ClassificationLossKernels.Nll(inputs[0].Buffer<T>(), layout, t, w, ignoreIndex, [], [], result.Buffer<T>());
            return result;
        }
        var (nll, total) = ClassificationLossKernels.Nll(inputs[0].Buffer<T>(), layout, t, w, ignoreIndex, [], [], []);
        _totalWeight = double.CreateChecked(total);
        result.Buffer<T>()[0] = _reduce.Of(nll, total);
        return result;
    }

    protected override IReadOnlyList<Tensor?> Backward(Tensor gradOutput)
    {
        var saved = SavedTensors;
        var x = saved[0];
        var weight = saved.Count > 2 ? saved[2] : null;
        var g = _reduce.PerClass(gradOutput, layout);
        var a = NeedsInputGrad(0)
            ? ClassificationGradients.IndexTargets(layout, x.DType, saved[1], weight, null, ignoreIndex, _reduce, 0.0, g, _totalWeight, _totalWeight, _counted)
            : null;
        return weight is null ? [a, null] : [a, null, null];
    }

    private readonly struct ComputeLossCall(NllLossFunction f, IReadOnlyList<Tensor> inputs) : IFloatKernelCall<Tensor>
    {
        public Tensor Run<T>() where T : unmanaged, IFloatingPointIeee754<T> => f.ComputeLoss<T>(inputs);
    }
}
