using System.Numerics;
using Autograd.Kernels;

namespace Autograd.Nn;

/// <summary>The normalisations: batch norm, layer norm and group norm (docs/normalization.md).</summary>
public static partial class Functional
{
    /// <summary>
    /// Batch normalisation (like <c>torch.nn.functional.batch_norm</c>): per channel c,
    /// y = (x − mean_c) / √(var_c + eps) · γ_c + β_c. With <paramref name="training"/> the mean and
    /// the biased variance are the batch's, over every dimension but 1, and the running statistics
    /// (when given) are updated in place: running = (1 − momentum)·running + momentum·batch, with
    /// the unbiased variance for running_var. Otherwise the running statistics are used.
    /// One fused op (<c>BatchNorm</c> in graphs); its backward is PyTorch's formula
    /// (docs/normalization.md), composed of differentiable ops when the backward is itself recorded.
    /// </summary>
    /// <param name="input">(N, C, *) with at least 2 dimensions, Float32 or Float64.</param>
    /// <param name="runningMean">(C) of the input's dtype, or null; required when not training.</param>
    /// <param name="runningVar">(C) of the input's dtype, or null; required when not training.</param>
    /// <param name="weight">γ, (C), or null for 1.</param>
    /// <param name="bias">β, (C), or null for 0.</param>
    /// <param name="training">True to normalise with the batch's statistics (and update the running ones).</param>
    /// <param name="momentum">The running statistics' update factor.</param>
    /// <param name="eps">Added to the variance, positive or zero.</param>
    /// <returns>A tensor of the input's shape.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> is null.</exception>
    /// <exception cref="ArgumentException">A rank, size or dtype does not fit, a running statistic is missing in eval mode, or a training batch has a single value per channel.</exception>
    public static Tensor BatchNorm(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight = null, Tensor? bias = null,
        bool training = false, double momentum = 0.1, double eps = 1e-5)
    {
        CheckBatchNorm("BatchNorm", input, runningMean, runningVar, weight, bias, training, eps);
        int n = input.Dims[0], c = input.Dims[1];
        int l = n == 0 || c == 0 ? 0 : input.NumberOfElements / (n * c);
        var x = input.Reshape(n, c, l);
        var dtype = input.DType;
        var w = weight ?? Tensor.Ones([c], dtype);
        var b = bias ?? Tensor.Zeros([c], dtype);
        var fn = new BatchNormFunction(training, eps, runningMean, runningVar);
        var y = fn.Apply(x, w, b).Reshape(input.Dims);
        if (training && runningMean is not null && runningVar is not null)
            fn.UpdateRunningStats(runningMean, runningVar, momentum, (long)n * l);
        return y;
    }

    /// <summary>The argument checks of <see cref="BatchNorm"/> (also run by the modules before they change their state).</summary>
    internal static void CheckBatchNorm(string op, Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias, bool training, double eps)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank < 2)
            throw new ArgumentException($"{op}: input must have at least 2 dimensions (N, C, *), got shape {Shapes.Format(input.Dims)}.", nameof(input));
        if (!input.DType.IsFloatingPoint())
            throw new ArgumentException($"{op}: input must be Float32 or Float64, got {input.DType} with shape {Shapes.Format(input.Dims)}.", nameof(input));
        if (!(eps >= 0))
            throw new ArgumentOutOfRangeException(nameof(eps), eps, $"{op}: eps must be non-negative, got {eps}.");
        int c = input.Dims[1];
        CheckChannelVector(op, "runningMean", runningMean, input);
        CheckChannelVector(op, "runningVar", runningVar, input);
        CheckChannelVector(op, "weight", weight, input);
        CheckChannelVector(op, "bias", bias, input);
        if (!training && (runningMean is null || runningVar is null))
            throw new ArgumentException($"{op}: runningMean and runningVar must be given in evaluation mode (training: false).", runningMean is null ? nameof(runningMean) : nameof(runningVar));
        if (training && (long)input.NumberOfElements / Math.Max(c, 1) <= 1)
            throw new ArgumentException($"{op}: expected more than 1 value per channel when training, got input size {Shapes.Format(input.Dims)}.", nameof(input));
        if ((runningMean is null) != (runningVar is null))
            throw new ArgumentException($"{op}: give both runningMean and runningVar, or neither.", runningMean is null ? nameof(runningMean) : nameof(runningVar));
    }

    private static void CheckChannelVector(string op, string name, Tensor? t, Tensor input)
    {
        if (t is null) return;
        int c = input.Dims[1];
        if (t.Rank != 1 || t.Dims[0] != c || t.DType != input.DType)
            throw new ArgumentException($"{op}: {name} must be a {input.DType} vector of {c} elements (the channels of input {Shapes.Format(input.Dims)}), got {t.DType} with shape {Shapes.Format(t.Dims)}.", name);
    }

    /// <summary>
    /// y = (x − mean)·invstd·γ + β on x (N, C, L), inputs x, γ, β. The statistics are the batch's
    /// (training) or the running ones (eval), in the element type as PyTorch keeps them.
    /// </summary>
    private sealed class BatchNormFunction(bool training, double eps, Tensor? runningMean, Tensor? runningVar) : BuiltInFunction
    {
        private Tensor _mean = null!, _invstd = null!, _varSum = null!;

        protected override Tensor Forward(IReadOnlyList<Tensor> inputs)
        {
            var (x, w, b) = (inputs[0], inputs[1], inputs[2]);
            SaveForBackward(x, w);
            int c = x.Dims[1];
            _mean = Tensor.Uninitialized([c], x.DType);
            _invstd = Tensor.Uninitialized([c], x.DType);
            _varSum = Tensor.Uninitialized([c], x.DType);
            var y = Tensor.Uninitialized((int[])x.Dims.Clone(), x.DType);
            DTypeDispatch.RunFloat(x.DType, new BatchNormForwardCall(x, w, b, training, eps, runningMean, runningVar, _mean, _invstd, _varSum, y));
            return y;
        }

        /// <summary>PyTorch's update: running = momentum·batch + (1 − momentum)·running, the variance unbiased (var_sum / (M − 1)), rounded as PyTorch's CPU code; in place, with a version bump.</summary>
        public void UpdateRunningStats(Tensor runningMean, Tensor runningVar, double momentum, long count)
        {
            DTypeDispatch.RunFloat(runningMean.DType, new RunningStatsCall(_mean, _varSum, runningMean, runningVar, momentum, count));
            runningMean.BumpVersion();
            runningVar.BumpVersion();
        }

        protected override IReadOnlyList<Tensor?> Backward(Tensor gradOutput)
        {
            var (x, w) = (SavedTensors[0], SavedTensors[1]);
            var grads = new Tensor?[3];
            if (Tape.IsGradEnabled) return ComposedBackward(x, w, gradOutput);
            if (NeedsInputGrad(0)) grads[0] = Tensor.Uninitialized((int[])x.Dims.Clone(), x.DType);
            if (NeedsInputGrad(1)) grads[1] = Tensor.Uninitialized([x.Dims[1]], x.DType);
            if (NeedsInputGrad(2)) grads[2] = Tensor.Uninitialized([x.Dims[1]], x.DType);
            DTypeDispatch.RunFloat(x.DType, new BatchNormBackwardCall(x, gradOutput, _mean, _invstd, w, training, grads[0], grads[1], grads[2]));
            return grads;
        }

        /// <summary>
        /// The same formula from recorded ops, so that it can be differentiated again; in training the
        /// statistics are recomputed from x (they depend on it), in eval they are constants.
        /// </summary>
        private Tensor?[] ComposedBackward(Tensor x, Tensor w, Tensor dy)
        {
            int[] dims = [0, 2];
            int c = x.Dims[1];
            double m = (double)x.Dims[0] * x.Dims[2];
            var gamma = w.Reshape(1, c, 1);
            Tensor centred, invstd;
            if (training)
            {
                centred = x - x.Mean(dims, keepDim: true);
                invstd = 1.0 / ((centred * centred).Mean(dims, keepDim: true) + eps).Sqrt();
            }
            else
            {
                centred = x - _mean.Reshape(1, c, 1);
                invstd = _invstd.Reshape(1, c, 1);
            }
            var xhat = centred * invstd;
            var sumDy = dy.Sum(dims, keepDim: true);
            var sumDyXhat = (dy * xhat).Sum(dims, keepDim: true);
            var grads = new Tensor?[3];
            if (NeedsInputGrad(0))
                grads[0] = training
                    ? gamma * invstd / m * (dy * m - sumDy - xhat * sumDyXhat)
                    : dy * (gamma * invstd);
            if (NeedsInputGrad(1)) grads[1] = sumDyXhat.Reshape(c);
            if (NeedsInputGrad(2)) grads[2] = sumDy.Reshape(c);
            return grads;
        }
    }

    private readonly struct BatchNormForwardCall(Tensor x, Tensor w, Tensor b, bool training, double eps, Tensor? runningMean, Tensor? runningVar,
        Tensor mean, Tensor invstd, Tensor varSum, Tensor y) : IFloatKernelCall
    {
        public void Run<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            int n = x.Dims[0], c = x.Dims[1], l = x.Dims[2];
            var meanT = mean.Buffer<T>();
            var invT = invstd.Buffer<T>();
            var varSumT = varSum.Buffer<T>();
            if (training)
            {
                NormalizationKernels.CollectStats<T>(x.Buffer<T>(), n, c, l, meanT, varSumT);
                long count = (long)n * l;
                for (int ch = 0; ch < c; ch++)
                {
                    // PyTorch: var = var_sum / M in T, invstd = 1 / √(var + eps) in double, stored as T.
                    T variance = varSumT[ch] / T.CreateTruncating((double)count);
                    invT[ch] = T.CreateTruncating(1.0 / Math.Sqrt(double.CreateTruncating(variance) + eps));
                }
            }
            else
            {
                var rm = runningMean!.Buffer<T>();
                var rv = runningVar!.Buffer<T>();
                for (int ch = 0; ch < c; ch++)
                {
                    // PyTorch: invstd = 1 / √(running_var + eps) in T.
                    meanT[ch] = rm[ch];
                    invT[ch] = T.One / T.Sqrt(rv[ch] + T.CreateTruncating(eps));
                    varSumT[ch] = T.Zero;
                }
            }
            NormalizationKernels.Transform<T>(x.Buffer<T>(), n, c, l, meanT, invT, w.Buffer<T>(), b.Buffer<T>(), y.Buffer<T>());
        }
    }

    private readonly struct RunningStatsCall(Tensor mean, Tensor varSum, Tensor runningMean, Tensor runningVar, double momentum, long count) : IFloatKernelCall
    {
        public void Run<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            var meanT = mean.Buffer<T>();
            var varSumT = varSum.Buffer<T>();
            var rm = runningMean.Buffer<T>();
            var rv = runningVar.Buffer<T>();
            // PyTorch rounds momentum to T first; the mean update is all in T, the variance's first
            // product in double (the unbiased variance is held in double there), the second in T.
            T m = T.CreateTruncating(momentum);
            T keep = T.One - m;
            for (int ch = 0; ch < rm.Length; ch++)
            {
                T newPart = m * meanT[ch];
                T oldPart = keep * rm[ch];
                rm[ch] = newPart + oldPart;
                T unbiased = varSumT[ch] / T.CreateTruncating((double)(count - 1));
                T oldVar = keep * rv[ch];
                rv[ch] = T.CreateTruncating(double.CreateTruncating(m) * double.CreateTruncating(unbiased) + double.CreateTruncating(oldVar));
            }
        }
    }

    private readonly struct BatchNormBackwardCall(Tensor x, Tensor dy, Tensor mean, Tensor invstd, Tensor w, bool training,
        Tensor? dx, Tensor? dWeight, Tensor? dBias) : IFloatKernelCall
    {
        public void Run<T>() where T : unmanaged, IFloatingPointIeee754<T>
            => NormalizationKernels.Backward<T>(x.Buffer<T>(), dy.Buffer<T>(), x.Dims[0], x.Dims[1], x.Dims[2], mean.Buffer<T>(), invstd.Buffer<T>(),
                w.Buffer<T>(), training, dx is null ? default : dx.Buffer<T>(), dWeight is null ? default : dWeight.Buffer<T>(), dBias is null ? default : dBias.Buffer<T>());
    }

    /// <summary>
    /// Layer normalisation (like <c>torch.nn.functional.layer_norm</c>): over the last
    /// normalizedShape.Length dimensions, y = (x − mean) / √(var + eps) · γ + β with the biased
    /// variance. Composed of differentiable ops.
    /// </summary>
    /// <param name="input">(*, normalizedShape...), Float32 or Float64.</param>
    /// <param name="normalizedShape">The trailing dimensions to normalise over, non-empty.</param>
    /// <param name="weight">γ of shape normalizedShape, or null for 1.</param>
    /// <param name="bias">β of shape normalizedShape, or null for 0.</param>
    /// <param name="eps">Added to the variance, non-negative.</param>
    /// <returns>A tensor of the input's shape.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> or <paramref name="normalizedShape"/> is null.</exception>
    /// <exception cref="ArgumentException">The input's trailing dimensions, or γ's or β's shape or dtype, do not fit.</exception>
    public static Tensor LayerNorm(Tensor input, int[] normalizedShape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(normalizedShape);
        int k = normalizedShape.Length;
        if (k == 0)
            throw new ArgumentException("LayerNorm: normalizedShape must not be empty.", nameof(normalizedShape));
        if (!input.DType.IsFloatingPoint())
            throw new ArgumentException($"LayerNorm: input must be Float32 or Float64, got {input.DType} with shape {Shapes.Format(input.Dims)}.", nameof(input));
        if (!(eps >= 0))
            throw new ArgumentOutOfRangeException(nameof(eps), eps, $"LayerNorm: eps must be non-negative, got {eps}.");
        if (input.Rank < k || !input.Dims[(input.Rank - k)..].SequenceEqual(normalizedShape))
            throw new ArgumentException($"LayerNorm: input {Shapes.Format(input.Dims)} must end with normalizedShape {Shapes.Format(normalizedShape)}.", nameof(input));
        foreach (var (t, name) in new[] { (weight, nameof(weight)), (bias, nameof(bias)) })
            if (t is not null && (!t.Dims.SequenceEqual(normalizedShape) || t.DType != input.DType))
                throw new ArgumentException($"LayerNorm: {name} must be {input.DType} with shape normalizedShape {Shapes.Format(normalizedShape)}, got {t.DType} with shape {Shapes.Format(t.Dims)}.", name);
        int[] dims = Enumerable.Range(input.Rank - k, k).ToArray();
        var y = Normalize(input, dims, eps);
        if (weight is not null) y = y * weight;
        if (bias is not null) y = y + bias;
        return y;
    }

    /// <summary>
    /// Group normalisation (like <c>torch.nn.functional.group_norm</c>): the C channels of each
    /// sample are split into numGroups groups, each normalised over its channels and positions with
    /// the biased variance, then y = x̂·γ_c + β_c per channel. Composed of differentiable ops.
    /// </summary>
    /// <param name="input">(N, C, *) with at least 2 dimensions, Float32 or Float64.</param>
    /// <param name="numGroups">The number of groups, positive and dividing C.</param>
    /// <param name="weight">γ, (C), or null for 1.</param>
    /// <param name="bias">β, (C), or null for 0.</param>
    /// <param name="eps">Added to the variance, non-negative.</param>
    /// <returns>A tensor of the input's shape.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> is null.</exception>
    /// <exception cref="ArgumentException">A rank, size or dtype does not fit, or numGroups does not divide C.</exception>
    public static Tensor GroupNorm(Tensor input, int numGroups, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank < 2)
            throw new ArgumentException($"GroupNorm: input must have at least 2 dimensions (N, C, *), got shape {Shapes.Format(input.Dims)}.", nameof(input));
        if (!input.DType.IsFloatingPoint())
            throw new ArgumentException($"GroupNorm: input must be Float32 or Float64, got {input.DType} with shape {Shapes.Format(input.Dims)}.", nameof(input));
        if (!(eps >= 0))
            throw new ArgumentOutOfRangeException(nameof(eps), eps, $"GroupNorm: eps must be non-negative, got {eps}.");
        int n = input.Dims[0], c = input.Dims[1];
        if (numGroups <= 0 || c % numGroups != 0)
            throw new ArgumentException($"GroupNorm: numGroups={numGroups} must be positive and divide the {c} channels of input {Shapes.Format(input.Dims)}.", nameof(numGroups));
        CheckChannelVector("GroupNorm", nameof(weight), weight, input);
        CheckChannelVector("GroupNorm", nameof(bias), bias, input);
        var y = Normalize(input.Reshape(n, numGroups, -1), [2], eps).Reshape(input.Dims);
        int[] channelShape = [1, c, .. Enumerable.Repeat(1, input.Rank - 2)];
        if (weight is not null) y = y * weight.Reshape(channelShape);
        if (bias is not null) y = y + bias.Reshape(channelShape);
        return y;
    }

    /// <summary>(x − mean) · 1/√(var + eps) over <paramref name="dims"/>, the variance biased; differentiable.</summary>
    private static Tensor Normalize(Tensor x, int[] dims, double eps)
    {
        var centred = x - x.Mean(dims, keepDim: true);
        var variance = (centred * centred).Mean(dims, keepDim: true);
        return centred * (1.0 / (variance + eps).Sqrt());
    }
}
