namespace Autograd.Nn;

/// <summary>
/// The batch normalisations (like PyTorch's <c>_BatchNorm</c>): <see cref="BatchNorm1d"/> and
/// <see cref="BatchNorm2d"/>. Parameters <c>weight</c> (γ, ones) and <c>bias</c> (β, zeros) when
/// affine; buffers <c>running_mean</c> (zeros), <c>running_var</c> (ones) and
/// <c>num_batches_tracked</c> (an Int64 scalar) when tracking running statistics, in PyTorch's
/// state-dict order. In training mode each call normalises with the batch's statistics and updates
/// the running ones in place (the variance unbiased; momentum null gives the cumulative average
/// 1/num_batches_tracked); in eval mode it uses the running statistics. See docs/normalization.md.
/// </summary>
public abstract class BatchNorm : Module
{
    private readonly string _expected;

    private protected BatchNorm(int numFeatures, double eps, double? momentum, bool affine, bool trackRunningStats, DType dtype, string expected)
    {
        if (numFeatures <= 0)
            throw new ArgumentOutOfRangeException(nameof(numFeatures), numFeatures, $"{GetType().Name}: numFeatures must be positive, got {numFeatures}.");
        if (!(eps >= 0))
            throw new ArgumentOutOfRangeException(nameof(eps), eps, $"{GetType().Name}: eps must be non-negative, got {eps}.");
        if (momentum is double m && !double.IsFinite(m))
            throw new ArgumentOutOfRangeException(nameof(momentum), m, $"{GetType().Name}: momentum must be finite (or null for the cumulative average), got {m}.");
        if (!dtype.IsFloatingPoint())
            throw new ArgumentException($"{GetType().Name}: parameters must be Float32 or Float64, got {dtype}.", nameof(dtype));
        NumFeatures = numFeatures;
        Eps = eps;
        Momentum = momentum;
        Affine = affine;
        TrackRunningStats = trackRunningStats;
        _expected = expected;
        if (affine)
        {
            RegisterParameter("weight", Tensor.Ones([numFeatures], dtype));
            RegisterParameter("bias", Tensor.Zeros([numFeatures], dtype));
        }
        if (trackRunningStats)
        {
            RegisterBuffer("running_mean", Tensor.Zeros([numFeatures], dtype));
            RegisterBuffer("running_var", Tensor.Ones([numFeatures], dtype));
            RegisterBuffer("num_batches_tracked", Tensor.Scalar(0L));
        }
    }

    /// <summary>C, the number of channels.</summary>
    public int NumFeatures { get; }

    /// <summary>Added to the variance.</summary>
    public double Eps { get; }

    /// <summary>The running statistics' update factor; null for the cumulative moving average.</summary>
    public double? Momentum { get; }

    /// <summary>Whether the layer has the parameters γ and β.</summary>
    public bool Affine { get; }

    /// <summary>Whether the layer keeps running statistics (else it always uses the batch's).</summary>
    public bool TrackRunningStats { get; }

    /// <summary>γ, registered as <c>weight</c>; null when not affine.</summary>
    public Tensor? Weight => Affine ? GetParameter("weight") : null;

    /// <summary>β, registered as <c>bias</c>; null when not affine.</summary>
    public Tensor? Bias => Affine ? GetParameter("bias") : null;

    /// <summary>The running mean buffer (C); null when not tracking.</summary>
    public Tensor? RunningMean => TrackRunningStats ? GetBuffer("running_mean") : null;

    /// <summary>The running (unbiased) variance buffer (C); null when not tracking.</summary>
    public Tensor? RunningVar => TrackRunningStats ? GetBuffer("running_var") : null;

    /// <summary>The number of training batches seen, an Int64 scalar buffer; null when not tracking.</summary>
    public Tensor? NumBatchesTracked => TrackRunningStats ? GetBuffer("num_batches_tracked") : null;

    /// <summary>Whether the module accepts an input of this rank.</summary>
    private protected abstract bool AcceptsRank(int rank);

    /// <summary>Normalises <paramref name="input"/> per channel (dimension 1); see <see cref="Functional.BatchNorm"/>.</summary>
    /// <param name="input">The shape the layer accepts, with C = NumFeatures channels, of the parameters' dtype.</param>
    /// <returns>A tensor of the input's shape.</returns>
    /// <exception cref="ArgumentException">The rank, channels or dtype do not fit, or a training batch has one value per channel. The state is then unchanged.</exception>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!AcceptsRank(input.Rank))
            throw new ArgumentException($"{GetType().Name}: expected {_expected} input, got shape {Shapes.Format(input.Dims)}.", nameof(input));
        if (input.Dims[1] != NumFeatures)
            throw new ArgumentException($"{GetType().Name}({NumFeatures}): expected input with {NumFeatures} channels (dimension 1), got shape {Shapes.Format(input.Dims)}.", nameof(input));
        var (weight, bias) = (Weight, Bias);
        bool useBatch = Training || !TrackRunningStats;
        // PyTorch passes the running statistics only when they are to be used or updated.
        var rm = !Training || TrackRunningStats ? RunningMean : null;
        var rv = !Training || TrackRunningStats ? RunningVar : null;
        Functional.CheckBatchNorm(GetType().Name, input, rm, rv, weight, bias, useBatch, Eps);
        double factor = Momentum ?? 0.0;
        if (Training && TrackRunningStats)
        {
            var count = NumBatchesTracked!;
            count.Buffer<long>()[0]++;
            count.BumpVersion();
            if (Momentum is null) factor = 1.0 / count.Buffer<long>()[0];
        }
        return Functional.BatchNorm(input, rm, rv, weight, bias, useBatch, factor, Eps);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr()
        => $"{NumFeatures}, eps={Dropout.PythonFloat(Eps)}, momentum={(Momentum is double m ? Dropout.PythonFloat(m) : "None")}, affine={Py(Affine)}, track_running_stats={Py(TrackRunningStats)}";

    private static string Py(bool b) => b ? "True" : "False";
}

/// <summary>
/// Batch normalisation over (N, C) or (N, C, L) inputs (like <c>torch.nn.BatchNorm1d</c>): the
/// statistics of each channel are over N (and L). See <see cref="BatchNorm"/>.
/// </summary>
public sealed class BatchNorm1d : BatchNorm
{
    /// <summary>Creates the layer: γ = 1, β = 0, running_mean = 0, running_var = 1, num_batches_tracked = 0.</summary>
    /// <param name="numFeatures">C, positive.</param>
    /// <param name="eps">Added to the variance, non-negative.</param>
    /// <param name="momentum">The running statistics' update factor; null for the cumulative moving average.</param>
    /// <param name="affine">False for a layer without γ and β.</param>
    /// <param name="trackRunningStats">False to always use the batch's statistics (no buffers).</param>
    /// <param name="dtype">The dtype of the parameters and running statistics.</param>
    /// <exception cref="ArgumentOutOfRangeException">numFeatures is not positive, eps negative or momentum not finite.</exception>
    /// <exception cref="ArgumentException"><paramref name="dtype"/> is Int64.</exception>
    public BatchNorm1d(int numFeatures, double eps = 1e-5, double? momentum = 0.1, bool affine = true, bool trackRunningStats = true, DType dtype = DType.Float32)
        : base(numFeatures, eps, momentum, affine, trackRunningStats, dtype, "a 2-D (N, C) or 3-D (N, C, L)")
    {
    }

    private protected override bool AcceptsRank(int rank) => rank is 2 or 3;
}

/// <summary>
/// Batch normalisation over (N, C, H, W) inputs (like <c>torch.nn.BatchNorm2d</c>): the statistics
/// of each channel are over N, H and W. See <see cref="BatchNorm"/>.
/// </summary>
public sealed class BatchNorm2d : BatchNorm
{
    /// <summary>Creates the layer: γ = 1, β = 0, running_mean = 0, running_var = 1, num_batches_tracked = 0.</summary>
    /// <param name="numFeatures">C, positive.</param>
    /// <param name="eps">Added to the variance, non-negative.</param>
    /// <param name="momentum">The running statistics' update factor; null for the cumulative moving average.</param>
    /// <param name="affine">False for a layer without γ and β.</param>
    /// <param name="trackRunningStats">False to always use the batch's statistics (no buffers).</param>
    /// <param name="dtype">The dtype of the parameters and running statistics.</param>
    /// <exception cref="ArgumentOutOfRangeException">numFeatures is not positive, eps negative or momentum not finite.</exception>
    /// <exception cref="ArgumentException"><paramref name="dtype"/> is Int64.</exception>
    public BatchNorm2d(int numFeatures, double eps = 1e-5, double? momentum = 0.1, bool affine = true, bool trackRunningStats = true, DType dtype = DType.Float32)
        : base(numFeatures, eps, momentum, affine, trackRunningStats, dtype, "a 4-D (N, C, H, W)")
    {
    }

    private protected override bool AcceptsRank(int rank) => rank == 4;
}

/// <summary>
/// Layer normalisation over the trailing dimensions normalizedShape (like <c>torch.nn.LayerNorm</c>):
/// parameters <c>weight</c> (ones) and <c>bias</c> (zeros) of that shape when elementwiseAffine.
/// </summary>
public sealed class LayerNorm : Module
{
    /// <summary>Creates the layer.</summary>
    /// <param name="normalizedShape">The trailing dimensions to normalise over, non-empty and positive.</param>
    /// <param name="eps">Added to the variance, non-negative.</param>
    /// <param name="elementwiseAffine">False for a layer without γ and β.</param>
    /// <param name="dtype">The dtype of the parameters.</param>
    /// <exception cref="ArgumentException">normalizedShape is empty or has a non-positive size, or dtype is Int64.</exception>
    /// <exception cref="ArgumentOutOfRangeException">eps is negative.</exception>
    public LayerNorm(int[] normalizedShape, double eps = 1e-5, bool elementwiseAffine = true, DType dtype = DType.Float32)
    {
        ArgumentNullException.ThrowIfNull(normalizedShape);
        if (normalizedShape.Length == 0 || normalizedShape.Any(d => d <= 0))
            throw new ArgumentException($"LayerNorm: normalizedShape must be non-empty with positive sizes, got {Shapes.Format(normalizedShape)}.", nameof(normalizedShape));
        if (!(eps >= 0))
            throw new ArgumentOutOfRangeException(nameof(eps), eps, $"LayerNorm: eps must be non-negative, got {eps}.");
        if (!dtype.IsFloatingPoint())
            throw new ArgumentException($"LayerNorm: parameters must be Float32 or Float64, got {dtype}.", nameof(dtype));
        NormalizedShape = (int[])normalizedShape.Clone();
        Eps = eps;
        ElementwiseAffine = elementwiseAffine;
        if (elementwiseAffine)
        {
            RegisterParameter("weight", Tensor.Ones(NormalizedShape, dtype));
            RegisterParameter("bias", Tensor.Zeros(NormalizedShape, dtype));
        }
    }

    /// <summary>Creates the layer over the last dimension of size <paramref name="normalizedShape"/>.</summary>
    /// <param name="normalizedShape">The size of the last dimension, positive.</param>
    /// <param name="eps">Added to the variance, non-negative.</param>
    /// <param name="elementwiseAffine">False for a layer without γ and β.</param>
    /// <param name="dtype">The dtype of the parameters.</param>
    public LayerNorm(int normalizedShape, double eps = 1e-5, bool elementwiseAffine = true, DType dtype = DType.Float32)
        : this([normalizedShape], eps, elementwiseAffine, dtype)
    {
    }

    /// <summary>The trailing dimensions normalised over (a copy).</summary>
    public int[] NormalizedShape { get; }

    /// <summary>Added to the variance.</summary>
    public double Eps { get; }

    /// <summary>Whether the layer has γ and β.</summary>
    public bool ElementwiseAffine { get; }

    /// <summary>γ, registered as <c>weight</c>; null without elementwise affine.</summary>
    public Tensor? Weight => ElementwiseAffine ? GetParameter("weight") : null;

    /// <summary>β, registered as <c>bias</c>; null without elementwise affine.</summary>
    public Tensor? Bias => ElementwiseAffine ? GetParameter("bias") : null;

    /// <summary>See <see cref="Functional.LayerNorm"/>.</summary>
    /// <param name="input">(*, normalizedShape...), of the parameters' dtype.</param>
    /// <returns>A tensor of the input's shape.</returns>
    /// <exception cref="ArgumentException">The trailing dimensions or the dtype do not fit.</exception>
    public override Tensor Forward(Tensor input) => Functional.LayerNorm(input, NormalizedShape, Weight, Bias, Eps);

    /// <inheritdoc/>
    protected override string ExtraRepr()
        => $"({string.Join(", ", NormalizedShape)}{(NormalizedShape.Length == 1 ? "," : "")}), eps={Dropout.PythonFloat(Eps)}, elementwise_affine={(ElementwiseAffine ? "True" : "False")}";
}

/// <summary>
/// Group normalisation (like <c>torch.nn.GroupNorm</c>): the channels of each sample split into
/// numGroups groups, each normalised; parameters <c>weight</c> (ones) and <c>bias</c> (zeros) of
/// numChannels when affine.
/// </summary>
public sealed class GroupNorm : Module
{
    /// <summary>Creates the layer.</summary>
    /// <param name="numGroups">The number of groups, positive and dividing numChannels.</param>
    /// <param name="numChannels">C, positive.</param>
    /// <param name="eps">Added to the variance, non-negative.</param>
    /// <param name="affine">False for a layer without γ and β.</param>
    /// <param name="dtype">The dtype of the parameters.</param>
    /// <exception cref="ArgumentOutOfRangeException">A count is not positive, or eps is negative.</exception>
    /// <exception cref="ArgumentException">numGroups does not divide numChannels, or dtype is Int64.</exception>
    public GroupNorm(int numGroups, int numChannels, double eps = 1e-5, bool affine = true, DType dtype = DType.Float32)
    {
        if (numGroups <= 0)
            throw new ArgumentOutOfRangeException(nameof(numGroups), numGroups, $"GroupNorm: numGroups must be positive, got {numGroups}.");
        if (numChannels <= 0)
            throw new ArgumentOutOfRangeException(nameof(numChannels), numChannels, $"GroupNorm: numChannels must be positive, got {numChannels}.");
        if (numChannels % numGroups != 0)
            throw new ArgumentException($"GroupNorm: numChannels={numChannels} must be divisible by numGroups={numGroups}.", nameof(numGroups));
        if (!(eps >= 0))
            throw new ArgumentOutOfRangeException(nameof(eps), eps, $"GroupNorm: eps must be non-negative, got {eps}.");
        if (!dtype.IsFloatingPoint())
            throw new ArgumentException($"GroupNorm: parameters must be Float32 or Float64, got {dtype}.", nameof(dtype));
        (NumGroups, NumChannels, Eps, Affine) = (numGroups, numChannels, eps, affine);
        if (affine)
        {
            RegisterParameter("weight", Tensor.Ones([numChannels], dtype));
            RegisterParameter("bias", Tensor.Zeros([numChannels], dtype));
        }
    }

    /// <summary>The number of groups.</summary>
    public int NumGroups { get; }

    /// <summary>C, the number of channels.</summary>
    public int NumChannels { get; }

    /// <summary>Added to the variance.</summary>
    public double Eps { get; }

    /// <summary>Whether the layer has γ and β.</summary>
    public bool Affine { get; }

    /// <summary>γ, registered as <c>weight</c>; null when not affine.</summary>
    public Tensor? Weight => Affine ? GetParameter("weight") : null;

    /// <summary>β, registered as <c>bias</c>; null when not affine.</summary>
    public Tensor? Bias => Affine ? GetParameter("bias") : null;

    /// <summary>See <see cref="Functional.GroupNorm"/>.</summary>
    /// <param name="input">(N, C, *) with C = numChannels, of the parameters' dtype.</param>
    /// <returns>A tensor of the input's shape.</returns>
    /// <exception cref="ArgumentException">The rank, channels or dtype do not fit.</exception>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank < 2 || input.Dims[1] != NumChannels)
            throw new ArgumentException($"GroupNorm({NumGroups}, {NumChannels}): expected input (N, {NumChannels}, *), got shape {Shapes.Format(input.Dims)}.", nameof(input));
        return Functional.GroupNorm(input, NumGroups, Weight, Bias, Eps);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr()
        => $"{NumGroups}, {NumChannels}, eps={Dropout.PythonFloat(Eps)}, affine={(Affine ? "True" : "False")}";
}
