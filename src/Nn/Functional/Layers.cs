using System.Numerics;
using Autograd.Kernels;

namespace Autograd.Nn;

/// <summary>The functional forms of the layers: linear map, activations, dropout.</summary>
public static partial class Functional
{
    /// <summary>
    /// The affine map y = x Wᵀ + b applied to the last dimension of <paramref name="input"/>
    /// (like <c>torch.nn.functional.linear</c>): input (in), (N, in) or (N, *, in) gives output
    /// (out), (N, out) or (N, *, out). One fused op (<c>Linear</c> in graphs): a GEMM on the
    /// untransposed weight (no copy) with the bias added to its rows; leading dimensions are
    /// folded into one batch dimension by a view. With X the input as (rows, in) and G the
    /// output gradient as (rows, out): dX = G W, dW = Gᵀ X, db = Σ_rows G. The backward is made
    /// of differentiable ops, so higher-order gradients work.
    /// </summary>
    /// <param name="input">Float32 or Float64, at least 1-D, last dimension in_features.</param>
    /// <param name="weight">(out_features, in_features), same dtype as the input.</param>
    /// <param name="bias">(out_features) or null for none, same dtype as the input.</param>
    /// <returns>The output, shape of <paramref name="input"/> with the last dimension replaced by out_features.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> or <paramref name="weight"/> is null.</exception>
    /// <exception cref="ArgumentException">A dtype or shape does not fit (the message names both shapes).</exception>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Rank != 2)
            throw new ArgumentException($"Linear: weight must be 2-D (out_features, in_features), got shape {Shapes.Format(weight.Dims)}.", nameof(weight));
        int outFeatures = weight.Dims[0], inFeatures = weight.Dims[1];
        if (!input.DType.IsFloatingPoint() || input.DType != weight.DType)
            throw new ArgumentException($"Linear: input ({input.DType}, shape {Shapes.Format(input.Dims)}) and weight ({weight.DType}, shape {Shapes.Format(weight.Dims)}) must have the same floating point dtype; convert with To(DType).", nameof(input));
        if (input.Rank == 0 || input.Dims[^1] != inFeatures)
            throw new ArgumentException($"Linear: the input's last dimension must equal in_features={inFeatures}, got input shape {Shapes.Format(input.Dims)} (weight shape {Shapes.Format(weight.Dims)}).", nameof(input));
        if (bias is not null && (bias.DType != weight.DType || bias.Rank != 1 || bias.Dims[0] != outFeatures))
            throw new ArgumentException($"Linear: bias must be a {weight.DType} vector of out_features={outFeatures} elements, got {bias.DType} with shape {Shapes.Format(bias.Dims)} (weight shape {Shapes.Format(weight.Dims)}).", nameof(bias));

        if (input.Rank == 2) return Affine(input, weight, bias);
        int[] lead = input.Dims[..^1];
        var x = input.Reshape(Shapes.Size(lead), inFeatures);
        return Affine(x, weight, bias).Reshape([.. lead, outFeatures]);
    }

    private static Tensor Affine(Tensor x, Tensor weight, Tensor? bias)
        => bias is null ? new LinearFunction().Apply(x, weight) : new LinearFunction().Apply(x, weight, bias);

    /// <summary>Y = X Wᵀ (+ b) for X (rows, in), W (out, in), b (out).</summary>
    private sealed class LinearFunction : BuiltInFunction
    {

        private int _inputs;

        protected override Tensor Forward(IReadOnlyList<Tensor> inputs)
        {
            var (x, w) = (inputs[0], inputs[1]);
            _inputs = inputs.Count;
            SaveForBackward(x, w);
            var y = x.MatMul2D(w, transA: false, transB: true);
            if (inputs.Count == 3) AddToRows(y, inputs[2]);
            return y;
        }

        protected override IReadOnlyList<Tensor?> Backward(Tensor gradOutput)
        {
            var (x, w) = (SavedTensors[0], SavedTensors[1]);
            var grads = new Tensor?[_inputs];
            if (NeedsInputGrad(0)) grads[0] = gradOutput.MatMul2D(w, transA: false, transB: false); // G W
            if (NeedsInputGrad(1)) grads[1] = gradOutput.MatMul2D(x, transA: true, transB: false);  // Gᵀ X
            // Σ_rows G; recorded (so differentiable again) only when the backward itself is.
            if (_inputs == 3 && NeedsInputGrad(2)) grads[2] = Tape.IsGradEnabled ? new SumRowsFunction().Apply(gradOutput) : SumRowsFunction.SumRows(gradOutput);
            return grads;
        }

        private static void AddToRows(Tensor y, Tensor bias)
        {
            DTypeDispatch.RunFloat(y.DType, new AddToRowsCall(y, bias));
        }
    }

    /// <summary>s = Σ_rows G for G (rows, cols): the bias gradient. Backward: the gradient repeated over the rows.</summary>
    private sealed class SumRowsFunction : BuiltInFunction
    {

        private int _rows;

        protected override Tensor Forward(IReadOnlyList<Tensor> inputs)
        {
            _rows = inputs[0].Dims[0];
            return SumRows(inputs[0]);
        }

        /// <summary>
        /// Σ_rows G, accumulated in double and rounded once: for Float32 more accurate than
        /// PyTorch's float cascade sum; for Float64 the sequential error (at most rows · 2^-53 · Σ|g|)
        /// is far below anything a batch gradient can resolve.
        /// </summary>
        public static Tensor SumRows(Tensor g)
        {
            int cols = g.Dims[1];
            var sums = Tensor.Uninitialized([cols], g.DType);
            DTypeDispatch.RunFloat(g.DType, new SumRowsCall(g, cols, sums));
            return sums;
        }

        protected override IReadOnlyList<Tensor?> Backward(Tensor gradOutput)
            => [gradOutput.Unsqueeze(0).Expand(_rows, -1)];
    }

    /// <summary>σ(x) = 1 / (1 + e^-x), element-wise (like <c>torch.sigmoid</c>). dσ/dx = σ(x) (1 - σ(x)).</summary>
    /// <param name="input">A floating point tensor of any shape.</param>
    /// <returns>A tensor of the input's shape.</returns>
    public static Tensor Sigmoid(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.Sigmoid();
    }

    /// <summary>tanh(x), element-wise (like <c>torch.tanh</c>). d/dx = 1 - tanh²(x).</summary>
    /// <param name="input">A floating point tensor of any shape.</param>
    /// <returns>A tensor of the input's shape.</returns>
    public static Tensor Tanh(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.Tanh();
    }

    /// <summary>max(x, 0), element-wise (like <c>torch.nn.functional.relu</c>). d/dx = 1 where x &gt; 0, else 0 (also at 0).</summary>
    /// <param name="input">A floating point tensor of any shape.</param>
    /// <returns>A tensor of the input's shape.</returns>
    public static Tensor Relu(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.Relu();
    }

    /// <summary>
    /// softmax(x)_i = e^(x_i - max) / Σ_j e^(x_j - max) along <paramref name="dim"/> (like
    /// <c>torch.nn.functional.softmax</c>; stable for any logits).
    /// </summary>
    /// <param name="input">A floating point tensor.</param>
    /// <param name="dim">The dimension that sums to one; negative counts from the end.</param>
    /// <returns>A tensor of the input's shape.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dim"/> is not a dimension of the input.</exception>
    public static Tensor Softmax(Tensor input, int dim)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.Softmax(dim);
    }

    /// <summary>
    /// log softmax(x)_i = x_i - max - log Σ_j e^(x_j - max) along <paramref name="dim"/> (like
    /// <c>torch.nn.functional.log_softmax</c>; more accurate than the log of a softmax).
    /// </summary>
    /// <param name="input">A floating point tensor.</param>
    /// <param name="dim">The dimension to normalise; negative counts from the end.</param>
    /// <returns>A tensor of the input's shape.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dim"/> is not a dimension of the input.</exception>
    public static Tensor LogSoftmax(Tensor input, int dim)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.LogSoftmax(dim);
    }

    /// <summary>
    /// Inverted dropout (like <c>torch.nn.functional.dropout</c>): in training, each element is
    /// zeroed with probability <paramref name="p"/> and the survivors are scaled by 1 / (1 - p),
    /// so the expected value is unchanged; otherwise the input is returned as is. The result is
    /// x ⊙ m with m_i ∈ {0, 1 / (1 - p)}, so the gradient is g ⊙ m. As in PyTorch the scale is
    /// computed in the input's dtype: 1 / float32(1 - p) for Float32. p = 0 returns the input,
    /// p = 1 returns zeros (with a zero gradient).
    /// </summary>
    /// <param name="input">A floating point tensor of any shape.</param>
    /// <param name="p">The probability of zeroing an element, in [0, 1].</param>
    /// <param name="training">False makes this the identity (evaluation mode).</param>
    /// <param name="generator">The random source of the mask; <see cref="Generator.Default"/> when null.</param>
    /// <returns>The input itself when not training or p = 0; otherwise a new tensor of its shape.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside [0, 1] or NaN.</exception>
    public static Tensor Dropout(Tensor input, double p = 0.5, bool training = true, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        CheckDropoutProbability(p);
        input.RequireFloat("Dropout");
        if (!training || p == 0 || input.NumberOfElements == 0) return input;
        return MaskedDropout(input, (int[])input.Dims.Clone(), p, generator);
    }

    /// <summary>
    /// y = x · m, m of shape <paramref name="maskDims"/> (broadcast to the input): each element of m
    /// is 0 with probability p, else 1 / (1 - p), drawn in order from the generator. The one body of
    /// <see cref="Dropout"/> (a mask of the input's shape) and <see cref="Dropout2d"/> (one per channel).
    /// </summary>
    internal static Tensor MaskedDropout(Tensor input, int[] maskDims, double p, Generator? generator)
    {
        if (p == 1) return input * Tensor.Scalar(0, input.DType);
        var mask = Tensor.Zeroed(maskDims, input.DType);
        double keep = 1 - p;
        (generator ?? Generator.Default).Locked(g =>
        {
            DTypeDispatch.RunFloat(mask.DType, new DropoutMaskCall(g, keep, mask));
            return 0;
        });
        return input * mask;
    }

    internal static void CheckDropoutProbability(double p)
    {
        if (!(p >= 0 && p <= 1))
            throw new ArgumentOutOfRangeException(nameof(p), p, $"Dropout probability has to be between 0 and 1, but got {p}.");
    }

    private readonly struct AddToRowsCall(Tensor y, Tensor bias) : IFloatKernelCall
    {
        public void Run<T>() where T : unmanaged, IFloatingPointIeee754<T> => BinaryKernels.AddToRows<T>(y.Buffer<T>(), bias.Buffer<T>());
    }

    private readonly struct SumRowsCall(Tensor g, int cols, Tensor sums) : IFloatKernelCall
    {
        public void Run<T>() where T : unmanaged, IFloatingPointIeee754<T> => ReduceKernels.SumRowsInDouble<T>(g.Buffer<T>(), cols, sums.Buffer<T>());
    }

    /// <summary>Dropout's mask: 1 / keep where a draw is below keep, else 0 (one draw per element, in order).</summary>
    private readonly struct DropoutMaskCall(Generator g, double keep, Tensor mask) : IFloatKernelCall
    {
        public void Run<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            var d = mask.Buffer<T>();
            T scale = T.One / T.CreateTruncating(keep);
            for (int i = 0; i < d.Length; i++) d[i] = g.NextDouble() < keep ? scale : T.Zero;
        }
    }
}
