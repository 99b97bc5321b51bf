namespace Autograd.Nn;

/// <summary>
/// A lookup table of <see cref="NumEmbeddings"/> vectors of size <see cref="EmbeddingDim"/>
/// (like <c>torch.nn.Embedding</c>): an Int64 index tensor of any shape gives its rows,
/// output shape input.shape + [embedding_dim]. See <see cref="Functional.Embedding"/> for the
/// gradient, <c>paddingIdx</c> and <c>maxNorm</c>.
/// </summary>
/// <remarks>
/// Initialised as PyTorch does: the weight (num_embeddings, embedding_dim) from N(0, 1), then the
/// padding row set to zeros. The numbers come from the given <see cref="Generator"/>, so they
/// differ from PyTorch's but follow the same distribution. The parameter is registered as
/// <c>weight</c>, so a PyTorch state dict loads as is.
/// <code>
/// var embed = new Embedding(10, 3, paddingIdx: 0);
/// var vectors = embed.Forward(Tensor.FromArray(new long[] { 1, 2, 0, 5 }, 2, 2));  // shape [2, 2, 3]
/// </code>
/// </remarks>
public sealed class Embedding : Module
{
    /// <summary>Creates the table with weights drawn from N(0, 1) (the padding row zero).</summary>
    /// <param name="numEmbeddings">The number of rows (the size of the vocabulary), positive.</param>
    /// <param name="embeddingDim">The size of each vector, positive.</param>
    /// <param name="paddingIdx">A row that stays zero at initialisation and receives no gradient; negative counts from the end. Null for none.</param>
    /// <param name="maxNorm">If set, each looked-up row whose norm exceeds it is rescaled in place to this norm (at least 0).</param>
    /// <param name="normType">The order p of the norm for <paramref name="maxNorm"/>.</param>
    /// <param name="scaleGradByFreq">True to divide each row's gradient by the number of times it occurs in the input batch.</param>
    /// <param name="sparse">Must be false: sparse gradients are not supported.</param>
    /// <param name="generator">The random source of the initial values; <see cref="Generator.Default"/> when null.</param>
    /// <param name="dtype">The dtype of the weight.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, <paramref name="paddingIdx"/> is outside [-numEmbeddings, numEmbeddings), <paramref name="maxNorm"/> is negative or NaN, or <paramref name="normType"/> is NaN.</exception>
    /// <exception cref="ArgumentException"><paramref name="dtype"/> is Int64.</exception>
    /// <exception cref="NotSupportedException"><paramref name="sparse"/> is true.</exception>
    public Embedding(int numEmbeddings, int embeddingDim, int? paddingIdx = null, double? maxNorm = null, double normType = 2,
        bool scaleGradByFreq = false, bool sparse = false, Generator? generator = null, DType dtype = DType.Float32)
    {
        if (numEmbeddings <= 0)
            throw new ArgumentOutOfRangeException(nameof(numEmbeddings), numEmbeddings, $"Embedding: numEmbeddings must be positive, got {numEmbeddings}.");
        if (embeddingDim <= 0)
            throw new ArgumentOutOfRangeException(nameof(embeddingDim), embeddingDim, $"Embedding: embeddingDim must be positive, got {embeddingDim}.");
        if (!dtype.IsFloatingPoint())
            throw new ArgumentException($"Embedding: the weight must be Float32 or Float64, got {dtype}.", nameof(dtype));
        Functional.CheckEmbeddingSparse(sparse);
        PaddingIdx = Functional.NormalizePaddingIdx(paddingIdx, numEmbeddings);
        Functional.CheckEmbeddingNorm(maxNorm, normType);
        (NumEmbeddings, EmbeddingDim, MaxNorm, NormType, ScaleGradByFreq) = (numEmbeddings, embeddingDim, maxNorm, normType, scaleGradByFreq);

        // PyTorch's reset_parameters: normal_(weight), then the padding row filled with zeros.
        var weight = Init.Normal(Tensor.Zeros([numEmbeddings, embeddingDim], dtype), 0, 1, generator);
        if (PaddingIdx is int pad)
        {
            if (weight.Data is float[] f) Array.Clear(f, pad * embeddingDim, embeddingDim);
            else Array.Clear(weight.Buffer<double>(), pad * embeddingDim, embeddingDim);
        }
        RegisterParameter("weight", weight);
    }

    private Embedding(Tensor weight, bool freeze, int? paddingIdx, double? maxNorm, double normType, bool scaleGradByFreq)
    {
        NumEmbeddings = weight.Dims[0];
        EmbeddingDim = weight.Dims[1];
        PaddingIdx = Functional.NormalizePaddingIdx(paddingIdx, NumEmbeddings);
        Functional.CheckEmbeddingNorm(maxNorm, normType);
        (MaxNorm, NormType, ScaleGradByFreq) = (maxNorm, normType, scaleGradByFreq);
        RegisterParameter("weight", weight);
        weight.RequiresGrad = !freeze;
    }

    /// <summary>
    /// An embedding whose weight is <paramref name="embeddings"/> (like
    /// <c>torch.nn.Embedding.from_pretrained</c>): the weight shares the given tensor's data (a
    /// <see cref="Tensor.Detach"/>ed view, as PyTorch's <c>Parameter(embeddings)</c>), and the padding
    /// row is left as given (not zeroed).
    /// </summary>
    /// <remarks>
    /// A frozen weight (the default) does not require grad; the optimizers of this library refuse
    /// such tensors, so pass only the trainable ones: <c>model.Parameters().Where(p =&gt; p.RequiresGrad)</c>.
    /// </remarks>
    /// <param name="embeddings">The table (num_embeddings, embedding_dim), Float32 or Float64.</param>
    /// <param name="freeze">True (the default) for a weight that does not require grad, so training leaves it unchanged.</param>
    /// <param name="paddingIdx">A row that receives no gradient; negative counts from the end. Null for none.</param>
    /// <param name="maxNorm">If set, each looked-up row whose norm exceeds it is rescaled in place to this norm.</param>
    /// <param name="normType">The order p of the norm for <paramref name="maxNorm"/>.</param>
    /// <param name="scaleGradByFreq">True to divide each row's gradient by the number of times it occurs in the input batch.</param>
    /// <param name="sparse">Must be false: sparse gradients are not supported.</param>
    /// <returns>The module.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="embeddings"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="embeddings"/> is not a 2-D floating point tensor.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="paddingIdx"/> is outside [-num_embeddings, num_embeddings), <paramref name="maxNorm"/> is negative or NaN, or <paramref name="normType"/> is NaN.</exception>
    /// <exception cref="NotSupportedException"><paramref name="sparse"/> is true.</exception>
    public static Embedding FromPretrained(Tensor embeddings, bool freeze = true, int? paddingIdx = null, double? maxNorm = null,
        double normType = 2, bool scaleGradByFreq = false, bool sparse = false)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        if (embeddings.Rank != 2 || !embeddings.DType.IsFloatingPoint())
            throw new ArgumentException($"Embedding.FromPretrained: embeddings are expected to be a 2-D Float32 or Float64 tensor (num_embeddings, embedding_dim), got {embeddings.DType} with shape {Shapes.Format(embeddings.Dims)}.", nameof(embeddings));
        Functional.CheckEmbeddingSparse(sparse);
        return new Embedding(embeddings.Detach(), freeze, paddingIdx, maxNorm, normType, scaleGradByFreq);
    }

    /// <summary>The number of rows (the size of the vocabulary).</summary>
    public int NumEmbeddings { get; }

    /// <summary>The size of each vector.</summary>
    public int EmbeddingDim { get; }

    /// <summary>The row that receives no gradient, as a non-negative index (PyTorch stores it so); null for none.</summary>
    public int? PaddingIdx { get; }

    /// <summary>The norm above which a looked-up row is rescaled in place; null for none.</summary>
    public double? MaxNorm { get; }

    /// <summary>The order p of the norm for <see cref="MaxNorm"/>.</summary>
    public double NormType { get; }

    /// <summary>Whether each row's gradient is divided by its number of occurrences in the batch.</summary>
    public bool ScaleGradByFreq { get; }

    /// <summary>The table (num_embeddings, embedding_dim), registered as <c>weight</c>.</summary>
    public Tensor Weight => GetParameter("weight");

    /// <summary>The rows of <see cref="Weight"/> at <paramref name="input"/>; see <see cref="Functional.Embedding"/>.</summary>
    /// <param name="input">Int64 indices in [0, num_embeddings), any shape.</param>
    /// <returns>Shape input.shape + [embedding_dim], of the weight's dtype.</returns>
    /// <exception cref="ArgumentException">The input is not Int64.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index is out of range (the message names it and the range).</exception>
    public override Tensor Forward(Tensor input)
        => Functional.Embedding(input, Weight, PaddingIdx, MaxNorm, NormType, ScaleGradByFreq);

    /// <inheritdoc/>
    protected override string ExtraRepr()
    {
        string s = $"{NumEmbeddings}, {EmbeddingDim}";
        if (PaddingIdx is int p) s += $", padding_idx={p}";
        if (MaxNorm is double m) s += $", max_norm={Utils.PythonFloat(m)}";
        if (NormType != 2) s += $", norm_type={Utils.PythonFloat(NormType)}";
        if (ScaleGradByFreq) s += ", scale_grad_by_freq=True";
        return s;
    }
}
