using System.Numerics;
using Autograd.Kernels;

namespace Autograd.Nn;

/// <summary>
/// Cross entropy between the softmax of logits and class targets, like
/// <c>torch.nn.CrossEntropyLoss</c>: log-softmax and negative log-likelihood fused into one
/// numerically stable op. A one-line wrapper over <see cref="Functional.CrossEntropy"/>, whose
/// docs give the gradient in full and the numerics.
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
/// <para>Gradient: without label smoothing, ∂loss/∂x = s · w[t] · (softmax(x) - onehot(t)), with
/// s = 1 / Σ w[t] for the mean (1 for sum); the smoothed and probability forms are in
/// <see cref="Functional.CrossEntropy"/>.</para>
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

public static partial class Functional
{
    /// <summary>
    /// The cross entropy between the softmax of <paramref name="input"/> (unnormalised logits) and
    /// <paramref name="target"/> (like <c>torch.nn.functional.cross_entropy</c>), as one fused op.
    /// </summary>
    /// <remarks>
    /// <para><b>Per position</b> (a sample, or one spatial site of a sample), with
    /// log p_c = x_c - log Σ_j e^(x_j) over the class dim and e = <paramref name="labelSmoothing"/>:</para>
    /// <para>class-index target t: ℓ = (1 - e) · w[t] · (-log p_t) + (e / C) · Σ_c w[c] · (-log p_c), and 0 where
    /// t = <paramref name="ignoreIndex"/>;</para>
    /// <para>class-probability target q: ℓ = -Σ_c w[c] · q'_c · log p_c with q' = (1 - e) q + e / C.</para>
    /// <para><b>Reduction.</b> None: ℓ per position (the target's shape; the input's without the class
    /// dim for probabilities). Sum: Σ ℓ. Mean, class indices: Σ ℓ / Σ w[t] over the non-ignored
    /// positions (a weighted mean, not a division by N; NaN if every target is ignored). Mean,
    /// probabilities: Σ ℓ / (number of positions); the weights are not normalised.</para>
    /// <para><b>Gradient</b> (g = the gradient of the result; s = g / Σ w[t] for Mean with class indices,
    /// g / positions for Mean with probabilities, g for Sum and None): with a = ∂loss/∂log p, the
    /// input gets a - softmax(x) · Σ_c a_c (the log-softmax backward). Class indices:
    /// a = -s · ((1 - e) · w[t] · onehot(t) + (e / C) · w) on non-ignored positions, so without
    /// smoothing the gradient is s · w[t] · (softmax(x) - onehot(t)). Probabilities: a = -s · w · q';
    /// the target gets -s · w · log p · (1 - e) and the weight -Σ s · q' · log p over the positions.
    /// The backward is written with tensor ops, so <c>createGraph</c> gives second derivatives
    /// (Hessian-vector products).</para>
    /// <para><b>Shapes.</b> input (C), (N, C) or (N, C, d1, ..., dk), Float32 or Float64, classes on dim 1
    /// (dim 0 unbatched). target: Int64 class indices of shape (), (N) or (N, d1, ..., dk) - in [0, C) or
    /// equal to <paramref name="ignoreIndex"/> - or class probabilities of the input's shape and dtype.</para>
    /// <para><b>Numerics.</b> log p = (x - max) - log Σ e^(x - max) (the log-sum-exp trick), so logits of
    /// ±1e4 give finite losses and gradients. Float32 is computed in float32 with PyTorch's exp, log
    /// and order of additions, so float32 losses equal PyTorch 1.13's bit for bit (gradients agree
    /// to an ulp or two of their largest term).</para>
    /// <code>
    /// var logits = Tensor.FromArray(new float[,] { { 4, 8, 3 } });
    /// var loss = Functional.CrossEntropy(logits, Tensor.FromArray(new long[] { 1 }, 1)); // 0.0247449
    /// loss.Backward();
    /// </code>
    /// </remarks>
    /// <param name="input">The logits.</param>
    /// <param name="target">Class indices (Int64) or class probabilities (the input's shape and dtype).</param>
    /// <param name="weight">A rescaling weight per class, 1-D of length C and the input's dtype; null for all ones.</param>
    /// <param name="ignoreIndex">A class-index target equal to this contributes nothing (loss and gradient 0, left out of the mean). Must be negative with probability targets.</param>
    /// <param name="reduction">None, Mean (the default) or Sum; see the remarks.</param>
    /// <param name="labelSmoothing">e in [0, 1]: the target mixes (1 - e) of itself with e of the uniform distribution over the C classes.</param>
    /// <returns>The loss: 0-d for Mean and Sum, one value per position for None.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> or <paramref name="target"/> is null.</exception>
    /// <exception cref="ArgumentException">A shape or dtype does not fit (the message names the shapes), a weight that requires grad with class-index targets (as PyTorch), or ignoreIndex ≥ 0 with probability targets.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A target outside [0, C) that is not ignoreIndex, labelSmoothing outside [0, 1], or an unknown reduction.</exception>
    public static Tensor CrossEntropy(Tensor input, Tensor target, Tensor? weight = null, long ignoreIndex = -100,
        Reduction reduction = Reduction.Mean, double labelSmoothing = 0.0)
    {
        var layout = ClassificationChecks.Check("CrossEntropy", input, target, weight, ignoreIndex, reduction, labelSmoothing, allowProbabilities: true);
        var op = new CrossEntropyFunction(layout, ignoreIndex, reduction, labelSmoothing);
        return weight is null ? op.Apply(input, target) : op.Apply(input, target, weight);
    }
}

/// <summary>
/// Cross entropy as one op: log-softmax and the weighted reduction in one pass over the spans;
/// the backward is the closed-form gradient.
/// </summary>
internal sealed class CrossEntropyFunction(ClassLayout layout, long ignoreIndex, Reduction reduction, double labelSmoothing) : BuiltInFunction
{
    private readonly ClassReduction _reduce = new(reduction);
    private double _totalWeight; // Σ w[t] over the non-ignored targets, as the forward added it (exact in double for either dtype)
    private double _smoothWeight; // the same Σ w[t], as the smoothing term's mean adds it (PyTorch sums it anew, in another order)
    private int _counted;        // the non-ignored targets

    public override string Name => "CrossEntropy";

    protected override Tensor Forward(IReadOnlyList<Tensor> inputs)
    {
        // The backward reads log p; keep it when any input will get a gradient.
        var x = inputs[0];
        bool needLogp = NeedsInputGrad(0) || NeedsInputGrad(1) || (inputs.Count > 2 && NeedsInputGrad(2));
        // Only the backward reads log p (every element is written below): its array goes back to
        // the pool when the graph is released.
        Tensor? logp = null;
        if (needLogp)
        {
            logp = new Tensor(DTypeDispatch.RunFloat<RentCall, Array>(x.DType, new(x.NumberOfElements)), (int[])x.Dims.Clone());
            ReturnOnRelease(logp.Data);
        }
        var result = DTypeDispatch.RunFloat<ComputeLossCall, Tensor>(x.DType, new(this, inputs, logp));
        if (logp is not null) SaveForBackward([.. inputs, logp]);
        return result;
    }

    private Tensor ComputeLoss<T>(IReadOnlyList<Tensor> inputs, Tensor? logpOut) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ReadOnlySpan<T> x = inputs[0].Buffer<T>();
        ReadOnlySpan<T> w = inputs.Count > 2 ? inputs[2].Buffer<T>() : [];
        int n = layout.Positions;
        var max = BufferPool.Rent<T>(n); // scratch, back to the pool below
        var logSum = BufferPool.Rent<T>(n);
        ClassificationLossKernels.LogSumExp(x, layout, max, logSum, logpOut is null ? [] : logpOut.Buffer<T>());

        var result = Tensor.Zeroed(_reduce.ResultShape(layout), inputs[0].DType);
        if (layout.Probabilities) ProbabilityTargetsLoss(x, inputs[1].Buffer<T>(), w, max, logSum, result.Buffer<T>());
        else IndexTargetsLoss(x, inputs[1].Buffer<long>(), w, max, logSum, result.Buffer<T>());
        BufferPool.Return(max);
        BufferPool.Return(logSum);
        return result;
    }

    // PyTorch: -(log p · q' · w).sum(classDim) for None, -(log p · q' · w).sum() [/ (numel / C)] otherwise.
    private void ProbabilityTargetsLoss<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> q, ReadOnlySpan<T> w, T[] max, T[] logSum, Span<T> r)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T keep = T.CreateChecked(1 - labelSmoothing), spread = T.CreateChecked(labelSmoothing / layout.Classes);
        var terms = new T[x.Length];
        ClassificationLossKernels.Products(x, layout, q, w, labelSmoothing > 0, keep, spread, max, logSum, terms);
        if (_reduce.PerPosition)
        {
            ClassificationLossKernels.SumOverClasses<T>(terms, layout, r);
            for (int k = 0; k < r.Length; k++) r[k] = -r[k];
            return;
        }
        r[0] = _reduce.Of(-TorchSum.Contiguous<T>(terms), T.CreateChecked(layout.Positions));
    }

    private void IndexTargetsLoss<T>(ReadOnlySpan<T> x, ReadOnlySpan<long> t, ReadOnlySpan<T> w, T[] max, T[] logSum, Span<T> r)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = layout.Positions;
        _counted = 0;
        foreach (long v in t) if (v != ignoreIndex) _counted++;
        var perPosition = _reduce.PerPosition ? new T[n] : [];
        var (nll, totalWeight) = ClassificationLossKernels.Nll(x, layout, t, w, ignoreIndex, max, logSum, perPosition);
        _totalWeight = double.CreateChecked(totalWeight);
        if (!(labelSmoothing > 0))
        {
            if (_reduce.PerPosition) perPosition.CopyTo(r);
            else r[0] = _reduce.Of(nll, totalWeight);
            return;
        }

        // PyTorch composes (1 - e) · nll_loss + smooth · (e / C), each part reduced on its own:
        // smooth = -(log p · w).sum(classDim), 0 where ignored; its mean divides by Σ w[t] summed anew.
        var products = new T[x.Length];
        ClassificationLossKernels.Products(x, layout, [], w, false, T.One, T.Zero, max, logSum, products);
        var smooth = new T[n];
        ClassificationLossKernels.SumOverClasses<T>(products, layout, smooth);
        var keptWeights = new T[w.IsEmpty ? 0 : _counted];
        for (int k = 0, j = 0; k < n; k++)
        {
            bool ignored = t[k] == ignoreIndex;
            smooth[k] = ignored ? T.Zero : -smooth[k];
            if (!ignored && !w.IsEmpty) keptWeights[j++] = w[(int)t[k]];
        }
        T smoothWeight = w.IsEmpty ? T.CreateChecked(_counted) : TorchSum.Contiguous<T>(keptWeights);
        _smoothWeight = double.CreateChecked(smoothWeight);

        T keep = T.CreateChecked(1 - labelSmoothing), spread = T.CreateChecked(labelSmoothing / layout.Classes);
        if (_reduce.PerPosition)
            for (int k = 0; k < n; k++) r[k] = keep * perPosition[k] + smooth[k] * spread;
        else
            r[0] = keep * _reduce.Of(nll, totalWeight) + _reduce.Of(TorchSum.Contiguous<T>(smooth), smoothWeight) * spread;
    }

    protected override IReadOnlyList<Tensor?> Backward(Tensor gradOutput)
    {
        var saved = SavedTensors; // x, target, [weight], log p
        var x = saved[0];
        var target = saved[1];
        var weight = saved.Count == 4 ? saved[2] : null;
        if (FusedInputGradient(gradOutput, x, target, weight, saved[^1]) is Tensor fused) return weight is null ? [fused, null] : [fused, null, null];
        int d = layout.ClassDim;
        // Under createGraph log p must be a function of x, so that the gradient is differentiable again.
        var logp = Tape.IsGradEnabled ? x.LogSoftmax(d) : saved[^1];
        var g = _reduce.PerClass(gradOutput, layout);
        var wRow = weight is null ? null : d == 1 ? weight.Reshape(ClassificationGradients.ClassShape(x.Rank, layout.Classes)) : weight;

        Tensor a; // ∂loss/∂log p
        Tensor? gradTarget = null, gradWeight = null;
        if (layout.Probabilities)
        {
            // loss = -(Σ log p · q' · w) [/ positions]
            var s = -_reduce.Of(g, layout.Positions);
            var sw = wRow is null ? s : s * wRow;
            var q = labelSmoothing > 0 ? target * (1 - labelSmoothing) + labelSmoothing / layout.Classes : target;
            a = sw * q;
            if (NeedsInputGrad(1))
            {
                var gq = sw * logp;
                gradTarget = labelSmoothing > 0 ? gq * (1 - labelSmoothing) : gq;
            }
            if (weight is not null && NeedsInputGrad(2)) gradWeight = ClassificationGradients.SumToClasses(s * (logp * q), d);
        }
        else
        {
            a = ClassificationGradients.IndexTargets(layout, x.DType, target, weight, wRow, ignoreIndex, _reduce, labelSmoothing, g, _totalWeight, _smoothWeight, _counted);
        }

        // The log-softmax backward: ∂/∂x = a - softmax(x) · Σ_c a_c. Outside createGraph softmax(x)
        // is a constant, exponentiated as PyTorch does (Sleef's expf): Tensor.Exp's approximation
        // rounds differently, and an error in p lands on every class.
        Tensor? gradInput = null;
        if (NeedsInputGrad(0))
        {
            var p = Tape.IsGradEnabled ? logp.Exp() : ClassificationGradients.ExpConstant(logp);
            var rowSums = Tape.IsGradEnabled || layout.Inner != 1 ? a.Sum(d, keepDim: true) : ClassificationGradients.RowSumsConstant(a);
            gradInput = a - p * rowSums;
        }
        return weight is null ? [gradInput, gradTarget] : [gradInput, gradTarget, gradWeight];
    }

    /// <summary>
    /// The common case without recording the backward: class-index targets on the last dim, no
    /// label smoothing. The same values as the tensor formula above, which runs otherwise (null here).
    /// </summary>
    private Tensor? FusedInputGradient(Tensor gradOutput, Tensor x, Tensor target, Tensor? weight, Tensor logp)
    {
        if (Tape.IsGradEnabled || layout.Probabilities || labelSmoothing > 0 || layout.Inner != 1 || !NeedsInputGrad(0)
            || _reduce.MeanOfNothing(_counted))
            return null;
        var r = Tensor.Uninitialized((int[])x.Dims.Clone(), x.DType);
        DTypeDispatch.RunFloat(x.DType, new SoftmaxMinusOneHotCall(this, gradOutput, target, weight, logp, r));
        return r;
    }

    /// <summary>
    /// ∂loss/∂x = (softmax(x) - onehot(t)) · w[t] · s, with s = g / Σ w[t] for the mean and g
    /// otherwise, as llm.c's crossentropy_softmax_backward. Written, as PyTorch rounds it, as the
    /// log-softmax backward <c>a - p · Σ_c a</c> of <c>a = ∂loss/∂log p</c>, which is -w[t] · s
    /// at the target and +0 at the other classes.
    /// </summary>
    private void SoftmaxMinusOneHot<T>(ReadOnlySpan<T> g, ReadOnlySpan<long> target, ReadOnlySpan<T> w, ReadOnlySpan<T> logp, Span<T> d)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T total = T.CreateTruncating(_totalWeight);
        var minusS = new T[g.Length]; // one value, or one per position for None
        for (int k = 0; k < minusS.Length; k++) minusS[k] = -_reduce.Of(g[k], total);
        int classes = layout.Classes;
        if (ClassificationLossKernels.UniformRows<T>(target, classes, minusS, w, ignoreIndex, logp, d)) return; // the same values, a vector at a time

        ClassificationLossKernels.Exp(logp, d); // d = p = softmax(x)
        Span<T> scratch = classes <= 256 ? stackalloc T[classes] : new T[classes];
        for (int k = 0; k < layout.Positions; k++)
        {
            long t = target[k];
            bool counted = t != ignoreIndex;
            T a = counted ? (w.IsEmpty ? T.One : w[(int)t]) * minusS[minusS.Length == 1 ? 0 : k] : T.Zero; // -w[t] · s
            T sum = ClassificationLossKernels.OneHotSum(a, counted ? t : -1, scratch);           // Σ_c a, with PyTorch's sign of a zero
            var p = d.Slice(k * classes, classes);
            T pt = counted ? p[(int)t] : T.Zero;
            ClassificationLossKernels.ZeroMinusScaled(p, sum);   // d[c] = +0 - p[c] · Σa
            if (counted) p[(int)t] = a - pt * sum;               // d[t] = a - p[t] · Σa
        }
    }

    /// <summary>An array of the dtype from <see cref="BufferPool"/> (contents undefined).</summary>
    private readonly struct RentCall(int n) : IFloatKernelCall<Array>
    {
        public Array Run<T>() where T : unmanaged, IFloatingPointIeee754<T> => BufferPool.Rent<T>(n);
    }

    private readonly struct ComputeLossCall(CrossEntropyFunction f, IReadOnlyList<Tensor> inputs, Tensor? logp) : IFloatKernelCall<Tensor>
    {
        public Tensor Run<T>() where T : unmanaged, IFloatingPointIeee754<T> => f.ComputeLoss<T>(inputs, logp);
    }

    private readonly struct SoftmaxMinusOneHotCall(CrossEntropyFunction f, Tensor g, Tensor target, Tensor? weight, Tensor logp, Tensor r) : IFloatKernelCall
    {
        public void Run<T>() where T : unmanaged, IFloatingPointIeee754<T>
            => f.SoftmaxMinusOneHot<T>(g.Buffer<T>(), target.Buffer<long>(), weight is null ? [] : weight.Buffer<T>(), logp.Buffer<T>(), r.Buffer<T>());
    }
}
