using System.Globalization;
using System.Numerics;
using Autograd.Kernels;

namespace Autograd.Nn;

/// <summary>The embedding lookup and one-hot encoding.</summary>
public static partial class Functional
{
    /// <summary>
    /// Looks up rows of <paramref name="weight"/> (like <c>torch.nn.functional.embedding</c>):
    /// out[i₁, …, iₖ, :] = W[x[i₁, …, iₖ], :] for an Int64 index tensor x of any shape, so the output
    /// has x's shape plus the embedding dimension. It is a matrix product with one-hot rows,
    /// onehot(x) · W, computed without the product. One fused op (<c>Embedding</c> in graphs).
    /// </summary>
    /// <remarks>
    /// <para><b>Gradient.</b> dL/dW[k] = s_k · Σ_{i : x_i = k} dL/dout_i, accumulated into zeros in
    /// the order of the indices (as PyTorch's <c>embedding_dense_backward_cpu</c>, so repeated
    /// indices round as PyTorch's), with s_k = 1, or 1 / (number of occurrences of k in x) when
    /// <paramref name="scaleGradByFreq"/> (added as one fused multiply-add per element, as PyTorch).
    /// The row <paramref name="paddingIdx"/> gets no gradient. The indices get none. The weight
    /// gradient is linear in the output gradient; its own backward (second-order gradients) is, as
    /// PyTorch's <c>embedding_dense_double_backward</c>, the lookup of the incoming rows with zeros
    /// at the padding positions, and without the 1 / count factor: PyTorch 1.13 leaves it out
    /// ("the first backward takes care of scaling by frequency"), so with
    /// <paramref name="scaleGradByFreq"/> the second-order gradients are PyTorch's, not the
    /// derivative of the scaled weight gradient (which would carry the factor once more).</para>
    /// <para><b>maxNorm.</b> Before the lookup, each distinct row k of x whose p-norm
    /// (p = <paramref name="normType"/>, PyTorch's summation order) exceeds maxNorm is rescaled in
    /// place to maxNorm / (‖W[k]‖ + 1e-7) times itself, outside the graph, as PyTorch's
    /// <c>embedding_renorm_</c>: <paramref name="weight"/>'s values and its version counter change.</para>
    /// <code>
    /// var w = Tensor.FromArray(new float[] { 0, 0, 1, 1, 2, 2 }, 3, 2);
    /// var rows = Functional.Embedding(Tensor.FromArray(new long[] { 2, 0, 2 }, 3), w);  // [[2, 2], [0, 0], [2, 2]]
    /// </code>
    /// </remarks>
    /// <param name="input">Int64 indices in [0, num_embeddings), any shape (0-d included).</param>
    /// <param name="weight">The embedding matrix (num_embeddings, embedding_dim), Float32 or Float64.</param>
    /// <param name="paddingIdx">A row that receives no gradient; negative counts from the end, as PyTorch. Null for none.</param>
    /// <param name="maxNorm">Rescale the looked-up rows whose norm exceeds this (at least 0) in place; null for no rescaling.</param>
    /// <param name="normType">The order p of the norm for <paramref name="maxNorm"/> (2 by default).</param>
    /// <param name="scaleGradByFreq">True to divide each row's gradient by the number of times it occurs in <paramref name="input"/>.</param>
    /// <param name="sparse">Must be false: sparse gradients are not supported.</param>
    /// <returns>The rows, shape input.shape + [embedding_dim], of the weight's dtype.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> or <paramref name="weight"/> is null.</exception>
    /// <exception cref="ArgumentException">The input is not Int64, or the weight is not a 2-D floating point tensor.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside [0, num_embeddings) (the message names it and the range), <paramref name="paddingIdx"/> is outside [-num_embeddings, num_embeddings), <paramref name="maxNorm"/> is negative or NaN, or <paramref name="normType"/> is NaN.</exception>
    /// <exception cref="NotSupportedException"><paramref name="sparse"/> is true.</exception>
    public static Tensor Embedding(Tensor input, Tensor weight, int? paddingIdx = null, double? maxNorm = null, double normType = 2,
        bool scaleGradByFreq = false, bool sparse = false)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        CheckEmbeddingSparse(sparse);
        if (weight.Rank != 2 || !weight.DType.IsFloatingPoint())
            throw new ArgumentException($"Embedding: weight must be a 2-D Float32 or Float64 tensor (num_embeddings, embedding_dim), got {weight.DType} with shape {Shapes.Format(weight.Dims)}.", nameof(weight));
        int numEmbeddings = weight.Dims[0];
        int? padding = NormalizePaddingIdx(paddingIdx, numEmbeddings);
        CheckEmbeddingNorm(maxNorm, normType);
        CheckEmbeddingIndices(input, numEmbeddings);

        if (maxNorm is double max) RenormRows(weight, input, max, normType);
        var lookup = new EmbeddingLookup(input.Detach(), numEmbeddings, weight.Dims[1], padding ?? -1, scaleGradByFreq);
        return new EmbeddingFunction(lookup).Apply(weight);
    }

    /// <summary>
    /// One-hot encoding (like <c>torch.nn.functional.one_hot</c>): out[i₁, …, iₖ, c] = 1 if
    /// x[i₁, …, iₖ] = c, else 0, an Int64 tensor of x's shape plus numClasses. Not differentiable
    /// (the indices carry no gradient); convert with <c>To(DType.Float32)</c> to use it in arithmetic.
    /// <code>
    /// Functional.OneHot(Tensor.FromArray(new long[] { 0, 2 }, 2), 3);  // [[1, 0, 0], [0, 0, 1]]
    /// </code>
    /// </summary>
    /// <param name="indices">Int64 class values, non-negative, any shape.</param>
    /// <param name="numClasses">The number of classes, larger than every value; -1 (the default) infers max + 1.</param>
    /// <returns>An Int64 tensor of shape indices.shape + [numClasses].</returns>
    /// <exception cref="ArgumentNullException"><paramref name="indices"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="indices"/> is not Int64, or it is empty and the number of classes is to be inferred.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A value is negative or not smaller than <paramref name="numClasses"/>, or <paramref name="numClasses"/> is below -1.</exception>
    public static Tensor OneHot(Tensor indices, int numClasses = -1)
    {
        ArgumentNullException.ThrowIfNull(indices);
        if (indices.DType != DType.Int64)
            throw new ArgumentException($"OneHot is only applicable to an index tensor (Int64), got {indices.DType} with shape {Shapes.Format(indices.Dims)}.", nameof(indices));
        if (numClasses < -1)
            throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, $"OneHot: numClasses must be positive, or -1 to infer it, got {numClasses}.");
        var values = indices.Buffer<long>();
        if (values.Length == 0 && numClasses <= 0)
            throw new ArgumentException($"OneHot: can not infer the total number of classes from an empty tensor (shape {Shapes.Format(indices.Dims)}); pass numClasses.", nameof(numClasses));
        long largest = -1;
        foreach (long v in values)
        {
            if (v < 0)
                throw new ArgumentOutOfRangeException(nameof(indices), v, $"OneHot: class values must be non-negative, got {v} (indices of shape {Shapes.Format(indices.Dims)}).");
            largest = Math.Max(largest, v);
        }
        if (numClasses == -1)
        {
            if (largest >= int.MaxValue)
                throw new ArgumentOutOfRangeException(nameof(indices), largest, $"OneHot: the largest class value {largest} gives more classes than a dimension can hold.");
            numClasses = (int)largest + 1;
        }
        else if (largest >= numClasses)
            throw new ArgumentOutOfRangeException(nameof(indices), largest, $"OneHot: class values must be smaller than numClasses={numClasses}, got {largest} (indices of shape {Shapes.Format(indices.Dims)}).");

        var result = Tensor.Zeroed([.. indices.Dims, numClasses], DType.Int64);
        var ones = result.Buffer<long>();
        for (int i = 0; i < values.Length; i++) ones[(long)i * numClasses + values[i]] = 1;
        return result;
    }

    /// <summary>PyTorch's padding_idx: within [-num_embeddings, num_embeddings), negative counting from the end.</summary>
    internal static int? NormalizePaddingIdx(int? paddingIdx, int numEmbeddings)
    {
        if (paddingIdx is not int p) return null;
        if (p < -numEmbeddings || p >= numEmbeddings)
            throw new ArgumentOutOfRangeException(nameof(paddingIdx), p, $"Embedding: paddingIdx must be within num_embeddings, in [{-numEmbeddings}, {numEmbeddings - 1}], got {p}.");
        return p < 0 ? p + numEmbeddings : p;
    }

    internal static void CheckEmbeddingNorm(double? maxNorm, double normType)
    {
        if (maxNorm is double m && !(m >= 0))
            throw new ArgumentOutOfRangeException(nameof(maxNorm), m, $"Embedding: maxNorm must be at least 0 (or null for no rescaling), got {m.ToString(CultureInfo.InvariantCulture)}.");
        if (double.IsNaN(normType))
            throw new ArgumentOutOfRangeException(nameof(normType), normType, "Embedding: normType must be a number (2 by default), got NaN.");
    }

    internal static void CheckEmbeddingSparse(bool sparse)
    {
        if (sparse)
            throw new NotSupportedException("Embedding: sparse gradients (sparse: true) are not supported; this library has dense tensors only, so the weight gradient is always dense. Pass sparse: false.");
    }

    private static void CheckEmbeddingIndices(Tensor input, int numEmbeddings)
    {
        if (input.DType != DType.Int64)
            throw new ArgumentException($"Embedding: input must be an Int64 tensor of indices, got {input.DType} with shape {Shapes.Format(input.Dims)}.", nameof(input));
        foreach (long i in input.Buffer<long>())
            if (i < 0 || i >= numEmbeddings)
                throw new ArgumentOutOfRangeException(nameof(input), i, $"Embedding: index {i} is out of range for {numEmbeddings} embeddings (valid indices are 0 to {numEmbeddings - 1}); input shape {Shapes.Format(input.Dims)}.");
    }

    /// <summary>
    /// PyTorch's <c>embedding_renorm_</c>: each distinct looked-up row whose norm (in its dtype,
    /// PyTorch's order, compared as a double) exceeds maxNorm is multiplied by the weight's dtype's
    /// rounding of maxNorm / (norm + 1e-7). Writes the weight's data outside the graph and bumps its
    /// version, as an in-place op under no_grad.
    /// </summary>
    private static void RenormRows(Tensor weight, Tensor input, double maxNorm, double normType)
    {
        var rows = input.Buffer<long>().Distinct().Order().ToArray();
        DTypeDispatch.RunFloat(weight.DType, new RenormCall(weight, rows, maxNorm, normType));
        weight.BumpVersion();
    }

    private readonly struct RenormCall(Tensor weight, long[] rows, double maxNorm, double normType) : IFloatKernelCall
    {
        public void Run<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            var w = weight.Buffer<T>();
            int dim = weight.Dims[1];
            foreach (long k in rows)
            {
                var row = w.AsSpan((int)k * dim, dim);
                double norm = double.CreateTruncating(TorchNorm.Norm<T>(row, normType));
                if (!(norm > maxNorm)) continue;
                T scale = T.CreateTruncating(maxNorm / (norm + 1e-7));
                for (int j = 0; j < row.Length; j++) row[j] *= scale;
            }
        }
    }
}

/// <summary>
/// What an embedding lookup reads and where its gradient goes: the indices, the weight's size,
/// the padding row (-1 for none) and the per-row gradient scale (1 / count when scaling by frequency).
/// </summary>
internal sealed class EmbeddingLookup(Tensor indices, int numEmbeddings, int embeddingDim, int paddingIdx, bool scaleGradByFreq)
{
    private double[]? _scales;

    public Tensor Indices { get; } = indices;

    public int NumEmbeddings { get; } = numEmbeddings;

    public int EmbeddingDim { get; } = embeddingDim;

    public int PaddingIdx { get; } = paddingIdx;

    public bool ScaleGradByFreq { get; } = scaleGradByFreq;

    /// <summary>The shape of a lookup's output: the indices' shape plus the embedding dimension.</summary>
    public int[] OutputShape => [.. Indices.Dims, EmbeddingDim];

    /// <summary>Per weight row, 1 / (its count in the indices), as PyTorch's double <c>scale /= counts[k]</c>; null when not scaling.</summary>
    public double[]? Scales
    {
        get
        {
            if (!ScaleGradByFreq) return null;
            if (_scales is not null) return _scales;
            var counts = new int[NumEmbeddings];
            foreach (long k in Indices.Buffer<long>()) counts[k]++;
            return _scales = counts.Select(c => c == 0 ? 0.0 : 1.0 / c).ToArray();
        }
    }

    /// <summary>out[i] = W[x_i] (the forward lookup: the padding row is read like any other).</summary>
    public Tensor Gather(Tensor weight)
    {
        var r = Tensor.Uninitialized(OutputShape, weight.DType);
        DTypeDispatch.RunFloat(weight.DType, new GatherCall(this, weight, r, zeroPadding: false));
        return r;
    }

    /// <summary>
    /// The weight gradient: zeros, then s_k · g_i added to row k = x_i for each i in order, the
    /// padding row skipped (PyTorch's <c>embedding_dense_backward_cpu</c>); s_k = 1 unless
    /// <paramref name="scaled"/> and the lookup scales by frequency.
    /// </summary>
    public Tensor ScatterAdd(Tensor g, bool scaled)
    {
        var r = Tensor.Zeroed([NumEmbeddings, EmbeddingDim], g.DType);
        DTypeDispatch.RunFloat(g.DType, new ScatterAddCall(this, g, r, scaled ? Scales : null));
        return r;
    }

    /// <summary>The adjoint of the unscaled <see cref="ScatterAdd"/>: out[i] = G[x_i], zero where x_i is the padding row.</summary>
    public Tensor GatherAdjoint(Tensor gradWeight)
    {
        var r = Tensor.Uninitialized(OutputShape, gradWeight.DType);
        DTypeDispatch.RunFloat(gradWeight.DType, new GatherCall(this, gradWeight, r, zeroPadding: true));
        return r;
    }

    private readonly struct GatherCall(EmbeddingLookup lookup, Tensor table, Tensor r, bool zeroPadding) : IFloatKernelCall
    {
        public void Run<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            var index = lookup.Indices.Buffer<long>();
            var w = table.Buffer<T>();
            var o = r.Buffer<T>();
            int dim = lookup.EmbeddingDim;
            for (int i = 0; i < index.Length; i++)
            {
                var dst = o.AsSpan(i * dim, dim);
                long k = index[i];
                if (zeroPadding && k == lookup.PaddingIdx) dst.Clear();
                else w.AsSpan((int)k * dim, dim).CopyTo(dst);
            }
        }
    }

    private readonly struct ScatterAddCall(EmbeddingLookup lookup, Tensor g, Tensor r, double[]? scales) : IFloatKernelCall
    {
        public void Run<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            var index = lookup.Indices.Buffer<long>();
            var src = g.Buffer<T>();
            var gw = r.Buffer<T>();
            int dim = lookup.EmbeddingDim;
            for (int i = 0; i < index.Length; i++)
            {
                long k = index[i];
                if (k == lookup.PaddingIdx) continue;
                var row = gw.AsSpan((int)k * dim, dim);
                var gi = src.AsSpan(i * dim, dim);
                if (scales is null)
                {
                    for (int j = 0; j < dim; j++) row[j] += gi[j];
                }
                else
                {
                    // PyTorch: grad_weight[k].add_(grad[i], alpha=1/count), alpha in the dtype, one FMA.
                    T s = T.CreateTruncating(scales[k]);
                    for (int j = 0; j < dim; j++) row[j] = T.FusedMultiplyAdd(s, gi[j], row[j]);
                }
            }
        }
    }
}

/// <summary>y = W[x] (rows of the weight). Backward: <see cref="EmbeddingBackwardFunction"/>.</summary>
internal sealed class EmbeddingFunction(EmbeddingLookup lookup) : BuiltInFunction
{
    protected override Tensor Forward(IReadOnlyList<Tensor> inputs)
    {
        SaveForBackward(lookup.Indices);
        return lookup.Gather(inputs[0]);
    }

    protected override IReadOnlyList<Tensor?> Backward(Tensor gradOutput)
        => [Tape.IsGradEnabled ? new EmbeddingBackwardFunction(lookup, scaled: true).Apply(gradOutput) : lookup.ScatterAdd(gradOutput, scaled: true)];
}

/// <summary>
/// The weight gradient G = Σ_i s_k e_k g_iᵀ (k = x_i), linear in g (PyTorch's
/// <c>embedding_dense_backward</c>). Backward: the lookup of the gradient's rows with zeros at the
/// padding positions and, as PyTorch's <c>embedding_dense_double_backward</c>, without s_k.
/// </summary>
internal sealed class EmbeddingBackwardFunction(EmbeddingLookup lookup, bool scaled) : BuiltInFunction
{
    public override string Name => "EmbeddingDenseBackward";

    protected override Tensor Forward(IReadOnlyList<Tensor> inputs)
    {
        SaveForBackward(lookup.Indices);
        return lookup.ScatterAdd(inputs[0], scaled);
    }

    protected override IReadOnlyList<Tensor?> Backward(Tensor gradOutput)
        => [Tape.IsGradEnabled ? new EmbeddingDoubleBackwardFunction(lookup).Apply(gradOutput) : lookup.GatherAdjoint(gradOutput)];
}

/// <summary>
/// G[x] with zeros at the padding positions (PyTorch's <c>embedding_dense_double_backward</c>:
/// <c>index_select</c>, then <c>masked_fill</c>). Backward: its adjoint, the unscaled weight gradient.
/// </summary>
internal sealed class EmbeddingDoubleBackwardFunction(EmbeddingLookup lookup) : BuiltInFunction
{
    protected override Tensor Forward(IReadOnlyList<Tensor> inputs)
    {
        SaveForBackward(lookup.Indices);
        return lookup.GatherAdjoint(inputs[0]);
    }

    protected override IReadOnlyList<Tensor?> Backward(Tensor gradOutput)
        => [Tape.IsGradEnabled ? new EmbeddingBackwardFunction(lookup, scaled: false).Apply(gradOutput) : lookup.ScatterAdd(gradOutput, scaled: false)];
}
