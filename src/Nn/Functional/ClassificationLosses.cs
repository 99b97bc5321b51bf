using System.Numerics;

namespace Autograd.Nn;

/// <summary>The classification losses: cross entropy (from logits) and negative log-likelihood (from log-probabilities).</summary>
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

/// <summary>Argument checks of the classification losses; every message names the shapes at fault.</summary>
internal static class ClassificationChecks
{
    public static ClassLayout Check(string loss, Tensor input, Tensor target, Tensor? weight, long ignoreIndex, Reduction reduction,
        double labelSmoothing, bool allowProbabilities)
    {
        LossChecks.NotNull(input, loss, nameof(input));
        LossChecks.NotNull(target, loss, nameof(target));
        LossChecks.Float(input, loss, nameof(input));
        LossChecks.Reduction(reduction, loss);
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, $"{loss}: labelSmoothing must be in [0, 1], got {labelSmoothing}.");
        int[] dims = input.Dims;
        if (dims.Length == 0 || dims[dims.Length == 1 ? 0 : 1] == 0)
            throw new ArgumentException($"{loss}: input must have shape (C), (N, C) or (N, C, d1, ..., dk) with C >= 1 classes, got {Shapes.Format(dims)}.", nameof(input));

        int classDim = dims.Length == 1 ? 0 : 1;
        int classes = dims[classDim];
        int[] positionShape = Shapes.Remove(dims, classDim);
        bool probabilities = allowProbabilities && Shapes.Equal(target.Dims, dims);
        if (probabilities)
        {
            if (target.DType != input.DType)
                throw new ArgumentException(
                    $"{loss}: a target of the input's shape {Shapes.Format(dims)} holds class probabilities and must have the input's dtype {input.DType}, got {target.DType}. " +
                    $"(Class indices are Int64 of shape {Shapes.Format(positionShape)}.)", nameof(target));
            if (ignoreIndex >= 0)
                throw new ArgumentException($"{loss}: ignoreIndex ({ignoreIndex}) is not supported for class-probability targets (target shape {Shapes.Format(target.Dims)} = the input's); leave it at its default.", nameof(ignoreIndex));
        }
        else
        {
            string expected = allowProbabilities
                ? $"Int64 class indices of shape {Shapes.Format(positionShape)}, or class probabilities of the input's shape {Shapes.Format(dims)} and dtype {input.DType}"
                : $"Int64 class indices of shape {Shapes.Format(positionShape)}";
            if (target.DType != DType.Int64 || !Shapes.Equal(target.Dims, positionShape))
                throw new ArgumentException(
                    $"{loss}: for input of shape {Shapes.Format(dims)} the target must be {expected}; got {target.DType} of shape {Shapes.Format(target.Dims)}.", nameof(target));
        }

        if (weight is not null)
        {
            if (weight.DType != input.DType || weight.Rank != 1 || weight.Dims[0] != classes)
                throw new ArgumentException(
                    $"{loss}: weight must be a 1-D {input.DType} tensor with one entry per class (C = {classes}, input shape {Shapes.Format(dims)}); got {weight.DType} of shape {Shapes.Format(weight.Dims)} (length {weight.NumberOfElements}).", nameof(weight));
            if (!probabilities && weight.RequiresGrad && Tape.IsGradEnabled)
                throw new ArgumentException(
                    $"{loss}: weight requires grad, but with class-index targets the loss is not differentiable with respect to the weight (as in PyTorch). Pass weight.Detach().", nameof(weight));
        }

        if (!probabilities)
        {
            foreach (long t in target.Buffer<long>())
                if (t != ignoreIndex && (t < 0 || t >= classes))
                    throw new ArgumentOutOfRangeException(nameof(target), t,
                        $"{loss}: Target {t} is out of bounds. Class indices must be in [0, {classes}) for C = {classes} classes (input shape {Shapes.Format(dims)}), or equal ignoreIndex ({ignoreIndex}).");
        }

        var (outer, _, inner) = Shapes.SplitAt(dims, classDim);
        return new ClassLayout(outer, classes, inner, classDim, probabilities, positionShape);
    }
}

/// <summary>
/// Cross entropy as one op: log-softmax and the weighted reduction in one pass over the spans;
/// the backward is the closed-form gradient.
/// </summary>
internal sealed class CrossEntropyFunction(ClassLayout layout, long ignoreIndex, Reduction reduction, double labelSmoothing) : BuiltInFunction
{

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
            logp = new Tensor(x.DType == DType.Float32 ? BufferPool.Rent<float>(x.NumberOfElements) : BufferPool.Rent<double>(x.NumberOfElements), (int[])x.Dims.Clone());
            ReturnOnRelease(logp.Data);
        }
        var result = x.DType == DType.Float32 ? Run<float>(inputs, logp) : Run<double>(inputs, logp);
        if (logp is not null) SaveForBackward([.. inputs, logp]);
        return result;
    }

    private Tensor Run<T>(IReadOnlyList<Tensor> inputs, Tensor? logpOut) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ReadOnlySpan<T> x = inputs[0].Buffer<T>();
        ReadOnlySpan<T> w = inputs.Count > 2 ? inputs[2].Buffer<T>() : [];
        int n = layout.Positions;
        var max = BufferPool.Rent<T>(n); // scratch, back to the pool below
        var logSum = BufferPool.Rent<T>(n);
        ClassificationLossKernels.LogSumExp(x, layout, max, logSum, logpOut is null ? [] : logpOut.Buffer<T>());

        var result = Tensor.Empty(reduction == Reduction.None ? (int[])layout.PositionShape.Clone() : [], inputs[0].DType);
        if (layout.Probabilities) ProbabilityTargets(x, inputs[1].Buffer<T>(), w, max, logSum, result.Buffer<T>());
        else IndexTargets(x, inputs[1].Buffer<long>(), w, max, logSum, result.Buffer<T>());
        BufferPool.Return(max);
        BufferPool.Return(logSum);
        return result;
    }

    // PyTorch: -(log p · q' · w).sum(classDim) for None, -(log p · q' · w).sum() [/ (numel / C)] otherwise.
    private void ProbabilityTargets<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> q, ReadOnlySpan<T> w, T[] max, T[] logSum, Span<T> r)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T keep = T.CreateChecked(1 - labelSmoothing), spread = T.CreateChecked(labelSmoothing / layout.Classes);
        var terms = new T[x.Length];
        ClassificationLossKernels.Products(x, layout, q, w, labelSmoothing > 0, keep, spread, max, logSum, terms);
        if (reduction == Reduction.None)
        {
            ClassificationLossKernels.SumOverClasses<T>(terms, layout, r);
            for (int k = 0; k < r.Length; k++) r[k] = -r[k];
            return;
        }
        T total = -TorchSum.Contiguous<T>(terms);
        r[0] = reduction == Reduction.Mean ? total / T.CreateChecked(layout.Positions) : total;
    }

    private void IndexTargets<T>(ReadOnlySpan<T> x, ReadOnlySpan<long> t, ReadOnlySpan<T> w, T[] max, T[] logSum, Span<T> r)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = layout.Positions;
        _counted = 0;
        foreach (long v in t) if (v != ignoreIndex) _counted++;
        var perPosition = reduction == Reduction.None ? new T[n] : [];
        var (nll, totalWeight) = ClassificationLossKernels.Nll(x, layout, t, w, ignoreIndex, max, logSum, perPosition);
        _totalWeight = double.CreateChecked(totalWeight);
        if (!(labelSmoothing > 0))
        {
            if (reduction == Reduction.None) perPosition.CopyTo(r);
            else r[0] = reduction == Reduction.Mean ? nll / totalWeight : nll;
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
        switch (reduction)
        {
            case Reduction.None:
                for (int k = 0; k < n; k++) r[k] = keep * perPosition[k] + smooth[k] * spread;
                break;
            case Reduction.Sum:
                r[0] = keep * nll + TorchSum.Contiguous<T>(smooth) * spread;
                break;
            default:
                r[0] = keep * (nll / totalWeight) + TorchSum.Contiguous<T>(smooth) / smoothWeight * spread;
                break;
        }
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
        var g = reduction == Reduction.None && d == 1 ? gradOutput.Unsqueeze(1) : gradOutput;
        var wRow = weight is null ? null : d == 1 ? weight.Reshape(ClassificationGradients.ClassShape(x.Rank, layout.Classes)) : weight;

        Tensor a; // ∂loss/∂log p
        Tensor? gradTarget = null, gradWeight = null;
        if (layout.Probabilities)
        {
            // loss = -(Σ log p · q' · w) [/ positions]
            var s = reduction == Reduction.Mean ? -(g / layout.Positions) : -g;
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
            a = ClassificationGradients.IndexTargets(layout, x.DType, target, weight, wRow, ignoreIndex, reduction, labelSmoothing, g, _totalWeight, _smoothWeight, _counted);
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
    /// The common case in one kernel: class-index targets on the last dim, no label smoothing, a
    /// backward that is not recorded. The same values as the tensor formula above, which is
    /// what runs otherwise (null here).
    /// </summary>
    private Tensor? FusedInputGradient(Tensor gradOutput, Tensor x, Tensor target, Tensor? weight, Tensor logp)
    {
        if (Tape.IsGradEnabled || layout.Probabilities || labelSmoothing > 0 || layout.Inner != 1 || !NeedsInputGrad(0)
            || (reduction == Reduction.Mean && _counted == 0))
            return null;
        // As IndexTargets: s = -(g / Σw) for the mean, else -g, and +0 on the non-target classes.
        var r = Tensor.Uninitialized((int[])x.Dims.Clone(), x.DType);
        if (x.DType == DType.Float32) Run<float>(gradOutput, target, weight, logp, r);
        else Run<double>(gradOutput, target, weight, logp, r);
        return r;
    }

    private void Run<T>(Tensor gradOutput, Tensor target, Tensor? weight, Tensor logp, Tensor r)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = gradOutput.Buffer<T>();
        var s = g.Length == 1 ? new T[1] : new T[g.Length];
        T total = T.CreateTruncating(_totalWeight);
        for (int k = 0; k < s.Length; k++) s[k] = reduction == Reduction.Mean ? -(g[k] / total) : -g[k];
        ClassificationLossKernels.IndexTargetsInputGradient<T>(layout, target.Buffer<long>(), weight is null ? [] : weight.Buffer<T>(), ignoreIndex,
            s, logp.Buffer<T>(), r.Buffer<T>());
    }
}

/// <summary>NLL loss as one op: a weighted gather and reduction; the gradient is -w[t] · s at the targets.</summary>
internal sealed class NllLossFunction(ClassLayout layout, long ignoreIndex, Reduction reduction) : BuiltInFunction
{

    private double _totalWeight;
    private int _counted;

    public override string Name => "NllLoss";

    protected override Tensor Forward(IReadOnlyList<Tensor> inputs)
    {
        SaveForBackward([.. inputs]);
        return inputs[0].DType == DType.Float32 ? Run<float>(inputs) : Run<double>(inputs);
    }

    private Tensor Run<T>(IReadOnlyList<Tensor> inputs) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ReadOnlySpan<long> t = inputs[1].Buffer<long>();
        ReadOnlySpan<T> w = inputs.Count > 2 ? inputs[2].Buffer<T>() : [];
        _counted = 0;
        foreach (long v in t) if (v != ignoreIndex) _counted++;
        var result = Tensor.Empty(reduction == Reduction.None ? (int[])layout.PositionShape.Clone() : [], inputs[0].DType);
        if (reduction == Reduction.None)
        {
            ClassificationLossKernels.Nll(inputs[0].Buffer<T>(), layout, t, w, ignoreIndex, [], [], result.Buffer<T>());
            return result;
        }
        var (nll, total) = ClassificationLossKernels.Nll(inputs[0].Buffer<T>(), layout, t, w, ignoreIndex, [], [], []);
        _totalWeight = double.CreateChecked(total);
        result.Buffer<T>()[0] = reduction == Reduction.Mean ? nll / total : nll;
        return result;
    }

    protected override IReadOnlyList<Tensor?> Backward(Tensor gradOutput)
    {
        var saved = SavedTensors;
        var x = saved[0];
        var weight = saved.Count > 2 ? saved[2] : null;
        var g = reduction == Reduction.None && layout.ClassDim == 1 ? gradOutput.Unsqueeze(1) : gradOutput;
        var a = NeedsInputGrad(0)
            ? ClassificationGradients.IndexTargets(layout, x.DType, saved[1], weight, null, ignoreIndex, reduction, 0.0, g, _totalWeight, _totalWeight, _counted)
            : null;
        return weight is null ? [a, null] : [a, null, null];
    }
}

/// <summary>The closed-form gradients with respect to the log-probabilities, written with tensor ops.</summary>
internal static class ClassificationGradients
{
    /// <summary>
    /// ∂loss/∂log p for class-index targets, in PyTorch's rounding order: the nll part
    /// w[t] · (-(g (1 - e) / Σw)) at the target positions, plus the smoothing part
    /// -(g e / C / Σw) · w[c] on every class of a non-ignored position (no /Σw for Sum and None).
    /// </summary>
    public static Tensor IndexTargets(ClassLayout layout, DType dtype, Tensor target, Tensor? weight, Tensor? wRow, long ignoreIndex,
        Reduction reduction, double labelSmoothing, Tensor g, double totalWeight, double smoothWeight, int counted)
    {
        int[] shape = Shapes.Insert(layout.PositionShape, layout.ClassDim, layout.Classes);
        if (reduction == Reduction.Mean && counted == 0)
            return Tensor.Zeros(shape, dtype) * g; // every target ignored: PyTorch writes no gradient anywhere

        var targetWeights = TargetWeights(layout, target, weight, ignoreIndex, shape, dtype);
        var total = Tensor.Scalar(totalWeight, dtype);
        var gNll = labelSmoothing > 0 ? g * (1 - labelSmoothing) : g;
        var sNll = reduction == Reduction.Mean ? -(gNll / total) : -gNll;
        var a = targetWeights * sNll;
        // PyTorch writes w[t] · s at the targets into zeros, so the other classes hold +0, where
        // 0 · s would give -0 (for s < 0) and, when Σ w[t] = 0 with targets present (all their
        // weights 0: s infinite), 0 · inf = NaN; PyTorch has that NaN at the targets only.
        bool infinite = (totalWeight == 0 || smoothWeight == 0) && reduction == Reduction.Mean;
        if (infinite || !(labelSmoothing > 0))
        {
            // Without weights the target weights are the 1/0 target mask already.
            var isTarget = weight is null ? targetWeights : TargetWeights(layout, target, null, ignoreIndex, shape, dtype);
            a = Tensor.Where(isTarget, a, Tensor.Scalar(0, dtype));
        }
        if (!(labelSmoothing > 0)) return a;

        var gSmooth = g * (labelSmoothing / layout.Classes);
        if (reduction == Reduction.Mean) gSmooth /= Tensor.Scalar(smoothWeight, dtype);
        var sSmooth = -gSmooth;
        var smooth = wRow is null ? sSmooth.Expand(shape) : sSmooth * wRow;
        var valid = ValidMask(layout, target, ignoreIndex, dtype);
        smooth = infinite
            ? Tensor.Where(valid, smooth, Tensor.Scalar(0, dtype))
            : smooth * valid;
        return a + smooth;
    }

    /// <summary>A constant of the input's shape: w[t] (1 without weights) at each non-ignored target, 0 elsewhere.</summary>
    private static Tensor TargetWeights(ClassLayout layout, Tensor target, Tensor? weight, long ignoreIndex, int[] shape, DType dtype)
    {
        var r = Tensor.Empty(shape, dtype);
        if (dtype == DType.Float32)
            ClassificationLossKernels.ScatterTargetWeights<float>(layout, target.Buffer<long>(), weight is null ? [] : weight.Buffer<float>(), ignoreIndex, r.Buffer<float>());
        else
            ClassificationLossKernels.ScatterTargetWeights<double>(layout, target.Buffer<long>(), weight is null ? [] : weight.Buffer<double>(), ignoreIndex, r.Buffer<double>());
        return r;
    }

    /// <summary>1 at the non-ignored positions, with a length-1 class dim to broadcast over the classes.</summary>
    private static Tensor ValidMask(ClassLayout layout, Tensor target, long ignoreIndex, DType dtype)
    {
        var t = target.Buffer<long>();
        var mask = new double[t.Length];
        for (int k = 0; k < t.Length; k++) mask[k] = t[k] == ignoreIndex ? 0 : 1;
        return Tensor.FromArray(mask, Shapes.Insert(layout.PositionShape, layout.ClassDim, 1)).To(dtype);
    }

    /// <summary>e^x elementwise, as a constant, with the exp of PyTorch's kernels (see ClassificationLossKernels.Exp).</summary>
    public static Tensor ExpConstant(Tensor x)
    {
        var r = Tensor.Empty((int[])x.Dims.Clone(), x.DType);
        if (x.DType == DType.Float32) ClassificationLossKernels.Exp<float>(x.Buffer<float>(), r.Buffer<float>());
        else ClassificationLossKernels.Exp<double>(x.Buffer<double>(), r.Buffer<double>());
        return r;
    }

    /// <summary>
    /// Σ_c a over the classes on the last dim, keeping the dim, as a constant, added in the order of
    /// PyTorch's log-softmax backward (<see cref="TorchSum.ReduceAll{T}"/>): a fixed order, unlike a
    /// sum whose lanes follow the hardware's vector width.
    /// </summary>
    public static Tensor RowSumsConstant(Tensor a)
    {
        var shape = (int[])a.Dims.Clone();
        int classes = shape[^1];
        shape[^1] = 1;
        var r = Tensor.Empty(shape, a.DType);
        if (a.DType == DType.Float32) RowSums<float>(a.Buffer<float>(), classes, r.Buffer<float>());
        else RowSums<double>(a.Buffer<double>(), classes, r.Buffer<double>());
        return r;
    }

    private static void RowSums<T>(ReadOnlySpan<T> a, int classes, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int k = 0; k < d.Length; k++) d[k] = TorchSum.ReduceAll(a.Slice(k * classes, classes));
    }

    /// <summary>(1, C, 1, ..., 1) for an input of rank <paramref name="rank"/>: a per-class vector that broadcasts along dim 1.</summary>
    public static int[] ClassShape(int rank, int classes)
    {
        var shape = Enumerable.Repeat(1, rank).ToArray();
        shape[1] = classes;
        return shape;
    }

    /// <summary>Sums an input-shaped gradient over every dim but the class dim, giving a (C) vector.</summary>
    public static Tensor SumToClasses(Tensor grad, int classDim)
    {
        if (classDim == 0) return grad;
        for (int dim = grad.Rank - 1; dim >= 0; dim--)
            if (dim != classDim) grad = grad.Sum(dim);
        return grad;
    }
}
