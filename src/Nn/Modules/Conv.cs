namespace Autograd.Nn;

/// <summary>
/// A 2-D convolution layer (like <c>torch.nn.Conv2d</c>): input (N, C_in, H, W) or (C_in, H, W),
/// output (N, C_out, OH, OW) or (C_out, OH, OW); see <see cref="Functional.Conv2d"/>.
/// </summary>
/// <remarks>
/// Initialised as PyTorch's <c>_ConvNd.reset_parameters</c>: the weight (C_out, C_in / groups, KH, KW)
/// with Kaiming-uniform, a = √5 (U(-1/√fan_in, 1/√fan_in), fan_in = C_in / groups · KH · KW), then the
/// bias (C_out) with U(-1/√fan_in, 1/√fan_in). The numbers come from the given <see cref="Generator"/>,
/// so they differ from PyTorch's but follow the same distribution. Padding modes "zeros" (the
/// convolution's own), "reflect", "replicate" and "circular" (the input padded first, as PyTorch does).
/// </remarks>
public sealed class Conv2d : Module
{
    private readonly ConvLayer _layer;

    /// <summary>Creates the layer with freshly initialised parameters.</summary>
    /// <param name="inChannels">Channels of the input, positive.</param>
    /// <param name="outChannels">Channels of the output, positive.</param>
    /// <param name="kernelSize">The kernel's (height, width), or one number for both.</param>
    /// <param name="stride">The step between output positions; 1 when null.</param>
    /// <param name="padding">Zeros around the input (numbers, "valid" or "same"); 0 when null.</param>
    /// <param name="dilation">The spacing of the kernel's taps; 1 when null.</param>
    /// <param name="groups">Channel groups, dividing both channel counts (groups = inChannels is depthwise).</param>
    /// <param name="bias">False for a layer without the additive bias.</param>
    /// <param name="paddingMode">"zeros", "reflect", "replicate" or "circular": what the padding holds.</param>
    /// <param name="generator">The random source of the initial values; <see cref="Generator.Default"/> when null.</param>
    /// <param name="dtype">The dtype of the parameters (and so of the inputs it accepts).</param>
    /// <exception cref="ArgumentOutOfRangeException">A size, channel count or groups is not positive, or a padding is negative.</exception>
    /// <exception cref="ArgumentException">groups does not divide the channels, a padding string or mode is unknown, "same" with a stride, or dtype Int64.</exception>
    public Conv2d(int inChannels, int outChannels, IntPair kernelSize, IntPair? stride = null, ConvPadding? padding = null, IntPair? dilation = null,
        int groups = 1, bool bias = true, string paddingMode = "zeros", Generator? generator = null, DType dtype = DType.Float32)
    {
        _layer = new ConvLayer("Conv2d", 2, inChannels, outChannels, kernelSize, stride ?? 1, padding ?? 0, dilation ?? 1, groups, bias, paddingMode, dtype);
        var (weight, biasValues) = _layer.CreateParameters(generator);
        RegisterParameter("weight", weight);
        if (biasValues is not null) RegisterParameter("bias", biasValues);
    }

    /// <summary>Channels of the input.</summary>
    public int InChannels => _layer.InChannels;

    /// <summary>Channels of the output.</summary>
    public int OutChannels => _layer.OutChannels;

    /// <summary>The kernel's (height, width).</summary>
    public IntPair KernelSize => _layer.KernelSize;

    /// <summary>The step between output positions.</summary>
    public IntPair Stride => _layer.Stride;

    /// <summary>The padding (sizes, or the mode "valid"/"same").</summary>
    public ConvPadding Padding => _layer.Padding;

    /// <summary>The spacing of the kernel's taps.</summary>
    public IntPair Dilation => _layer.Dilation;

    /// <summary>Channel groups.</summary>
    public int Groups => _layer.Groups;

    /// <summary>"zeros", "reflect", "replicate" or "circular".</summary>
    public string PaddingMode => _layer.PaddingMode;

    /// <summary>The weight, (out_channels, in_channels / groups, KH, KW), registered as <c>weight</c>.</summary>
    public Tensor Weight => GetParameter("weight");

    /// <summary>The bias, (out_channels), registered as <c>bias</c>; null for a layer built with <c>bias: false</c>.</summary>
    public Tensor? Bias => _layer.HasBias ? GetParameter("bias") : null;

    /// <summary>The convolution of <paramref name="input"/>; see <see cref="Functional.Conv2d"/>.</summary>
    /// <param name="input">(N, in_channels, H, W) or (in_channels, H, W), of the parameters' dtype.</param>
    /// <returns>(N, out_channels, OH, OW) or (out_channels, OH, OW).</returns>
    /// <exception cref="ArgumentException">The rank, channel count or dtype does not fit, the kernel is larger than the padded input, or a reflect padding is not smaller than the input.</exception>
    public override Tensor Forward(Tensor input)
    {
        var (x, padding) = _layer.Prepare(input, Weight);
        return Functional.Conv2d(x, Weight, Bias, Stride, padding, Dilation, Groups);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => _layer.Repr(Bias is not null);
}

/// <summary>
/// A 1-D convolution layer (like <c>torch.nn.Conv1d</c>): input (N, C_in, L) or (C_in, L), output
/// (N, C_out, OL) or (C_out, OL); see <see cref="Functional.Conv1d"/>.
/// </summary>
/// <remarks>
/// Initialised as PyTorch's <c>_ConvNd.reset_parameters</c>: the weight (C_out, C_in / groups, K)
/// with Kaiming-uniform, a = √5, then the bias with U(-1/√fan_in, 1/√fan_in), fan_in = C_in / groups · K.
/// Padding modes "zeros", "reflect", "replicate" and "circular", as <see cref="Conv2d"/>.
/// </remarks>
public sealed class Conv1d : Module
{
    private readonly ConvLayer _layer;

    /// <summary>Creates the layer with freshly initialised parameters.</summary>
    /// <param name="inChannels">Channels of the input, positive.</param>
    /// <param name="outChannels">Channels of the output, positive.</param>
    /// <param name="kernelSize">The kernel's length, positive.</param>
    /// <param name="stride">The step between output positions, positive.</param>
    /// <param name="padding">Zeros on both ends (a number, "valid" or "same"); 0 when null.</param>
    /// <param name="dilation">The spacing of the kernel's taps, positive.</param>
    /// <param name="groups">Channel groups, dividing both channel counts.</param>
    /// <param name="bias">False for a layer without the additive bias.</param>
    /// <param name="paddingMode">"zeros", "reflect", "replicate" or "circular": what the padding holds.</param>
    /// <param name="generator">The random source of the initial values; <see cref="Generator.Default"/> when null.</param>
    /// <param name="dtype">The dtype of the parameters (and so of the inputs it accepts).</param>
    /// <exception cref="ArgumentOutOfRangeException">A size, channel count or groups is not positive, or the padding is negative.</exception>
    /// <exception cref="ArgumentException">groups does not divide the channels, the padding is a pair or an unknown string, "same" with a stride, or dtype Int64.</exception>
    public Conv1d(int inChannels, int outChannels, int kernelSize, int stride = 1, ConvPadding? padding = null, int dilation = 1,
        int groups = 1, bool bias = true, string paddingMode = "zeros", Generator? generator = null, DType dtype = DType.Float32)
    {
        var pad = padding ?? 0;
        if (pad.Mode is null && !pad.Sizes.IsSquare)
            throw new ArgumentException($"Conv1d: padding must be one number, \"valid\" or \"same\", got {pad.Sizes.Repr()}.", nameof(padding));
        _layer = new ConvLayer("Conv1d", 1, inChannels, outChannels, kernelSize, stride, pad, dilation, groups, bias, paddingMode, dtype);
        var (weight, biasValues) = _layer.CreateParameters(generator);
        RegisterParameter("weight", weight);
        if (biasValues is not null) RegisterParameter("bias", biasValues);
    }

    /// <summary>Channels of the input.</summary>
    public int InChannels => _layer.InChannels;

    /// <summary>Channels of the output.</summary>
    public int OutChannels => _layer.OutChannels;

    /// <summary>The kernel's length.</summary>
    public int KernelSize => _layer.KernelSize.Width;

    /// <summary>The step between output positions.</summary>
    public int Stride => _layer.Stride.Width;

    /// <summary>The padding (a size, or the mode "valid"/"same").</summary>
    public ConvPadding Padding => _layer.Padding;

    /// <summary>The spacing of the kernel's taps.</summary>
    public int Dilation => _layer.Dilation.Width;

    /// <summary>Channel groups.</summary>
    public int Groups => _layer.Groups;

    /// <summary>"zeros", "reflect", "replicate" or "circular".</summary>
    public string PaddingMode => _layer.PaddingMode;

    /// <summary>The weight, (out_channels, in_channels / groups, K), registered as <c>weight</c>.</summary>
    public Tensor Weight => GetParameter("weight");

    /// <summary>The bias, (out_channels), registered as <c>bias</c>; null for a layer built with <c>bias: false</c>.</summary>
    public Tensor? Bias => _layer.HasBias ? GetParameter("bias") : null;

    /// <summary>The convolution of <paramref name="input"/>; see <see cref="Functional.Conv1d"/>.</summary>
    /// <param name="input">(N, in_channels, L) or (in_channels, L), of the parameters' dtype.</param>
    /// <returns>(N, out_channels, OL) or (out_channels, OL).</returns>
    /// <exception cref="ArgumentException">The rank, channel count or dtype does not fit, the kernel is larger than the padded input, or a reflect padding is not smaller than the input.</exception>
    public override Tensor Forward(Tensor input)
    {
        var (x, padding) = _layer.Prepare(input, Weight);
        return Functional.Conv1d(x, Weight, Bias, Stride, padding, Dilation, Groups);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => _layer.Repr(Bias is not null);
}

/// <summary>What Conv1d and Conv2d share: the argument checks, the parameters' creation and the repr.</summary>
internal sealed class ConvLayer
{
    private readonly string _op;
    private readonly int _dims;
    private readonly DType _dtype;

    public ConvLayer(string op, int dims, int inChannels, int outChannels, IntPair kernelSize, IntPair stride, ConvPadding padding, IntPair dilation,
        int groups, bool bias, string paddingMode, DType dtype)
    {
        (_op, _dims) = (op, dims);
        if (inChannels <= 0) throw new ArgumentOutOfRangeException(nameof(inChannels), inChannels, $"{op}: inChannels must be positive, got {inChannels}.");
        if (outChannels <= 0) throw new ArgumentOutOfRangeException(nameof(outChannels), outChannels, $"{op}: outChannels must be positive, got {outChannels}.");
        if (groups <= 0) throw new ArgumentOutOfRangeException(nameof(groups), groups, $"{op}: groups must be positive, got {groups}.");
        if (inChannels % groups != 0) throw new ArgumentException($"{op}: in_channels={inChannels} must be divisible by groups={groups}.", nameof(groups));
        if (outChannels % groups != 0) throw new ArgumentException($"{op}: out_channels={outChannels} must be divisible by groups={groups}.", nameof(groups));
        CheckPositive(nameof(kernelSize), kernelSize);
        CheckPositive(nameof(stride), stride);
        CheckPositive(nameof(dilation), dilation);
        if (padding.Mode is not null and not "valid" and not "same")
            throw new ArgumentException($"{op}: invalid padding string '{padding.Mode}', should be one of {{'valid', 'same'}}.", nameof(padding));
        if (padding.Mode == "same" && (stride.Height != 1 || stride.Width != 1))
            throw new ArgumentException($"{op}: padding='same' is not supported for strided convolutions.", nameof(padding));
        if (padding.Mode is null && (padding.Sizes.Height < 0 || padding.Sizes.Width < 0))
            throw new ArgumentOutOfRangeException(nameof(padding), padding.Sizes, $"{op}: padding must be non-negative, got {Format(padding.Sizes)}.");
        ArgumentNullException.ThrowIfNull(paddingMode);
        if (paddingMode is not ("zeros" or "reflect" or "replicate" or "circular"))
            throw new ArgumentException($"{op}: padding_mode must be one of 'zeros', 'reflect', 'replicate' or 'circular', but got padding_mode='{paddingMode}'.", nameof(paddingMode));
        if (!dtype.IsFloatingPoint())
            throw new ArgumentException($"{op}: parameters must be Float32 or Float64, got {dtype}.", nameof(dtype));
        (InChannels, OutChannels, KernelSize, Stride, Padding, Dilation, Groups, HasBias, PaddingMode, _dtype)
            = (inChannels, outChannels, kernelSize, stride, padding, dilation, groups, bias, paddingMode, dtype);
    }

    public int InChannels { get; }
    public int OutChannels { get; }
    public IntPair KernelSize { get; }
    public IntPair Stride { get; }
    public ConvPadding Padding { get; }
    public IntPair Dilation { get; }
    public int Groups { get; }
    public bool HasBias { get; }
    public string PaddingMode { get; }

    /// <summary>
    /// For a padding mode other than "zeros", the input padded as PyTorch's <c>_conv_forward</c>
    /// does (<c>F.pad</c> with <c>_reversed_padding_repeated_twice</c>; "same" puts the odd zero
    /// after), and the padding left for the convolution (0); otherwise the input and the padding as
    /// they are. An input of the wrong rank or dtype is passed on for the convolution to refuse.
    /// </summary>
    public (Tensor Input, ConvPadding Padding) Prepare(Tensor input, Tensor weight)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (PaddingMode == "zeros" || Padding.Mode == "valid" || (input.Rank != _dims + 1 && input.Rank != _dims + 2) || input.DType != weight.DType)
            return (input, Padding);
        int top, bottom, left, right;
        if (Padding.Mode == "same")
        {
            int totalH = _dims == 1 ? 0 : Dilation.Height * (KernelSize.Height - 1), totalW = Dilation.Width * (KernelSize.Width - 1);
            (top, bottom, left, right) = (totalH / 2, totalH - totalH / 2, totalW / 2, totalW - totalW / 2);
        }
        else
        {
            int ph = _dims == 1 ? 0 : Padding.Sizes.Height;
            (top, bottom, left, right) = (ph, ph, Padding.Sizes.Width, Padding.Sizes.Width);
        }
        return (Functional.PadForConv(_op, input, PaddingMode, top, bottom, left, right), 0);
    }

    /// <summary>PyTorch's reset_parameters: the weight first, then the bias, from one random stream.</summary>
    public (Tensor Weight, Tensor? Bias) CreateParameters(Generator? generator)
    {
        int[] shape = _dims == 1
            ? [OutChannels, InChannels / Groups, KernelSize.Width]
            : [OutChannels, InChannels / Groups, KernelSize.Height, KernelSize.Width];
        var weight = Init.KaimingUniform(Tensor.Zeros(shape, _dtype), Math.Sqrt(5), generator);
        if (!HasBias) return (weight, null);
        double bound = 1 / Math.Sqrt(Init.CalculateFanInAndFanOut(weight).FanIn);
        return (weight, Init.Uniform(Tensor.Zeros([OutChannels], _dtype), -bound, bound, generator));
    }

    /// <summary>PyTorch's <c>_ConvNd.extra_repr</c>: tuples for the sizes, defaults left out.</summary>
    public string Repr(bool bias)
    {
        var s = $"{InChannels}, {OutChannels}, kernel_size={Format(KernelSize)}, stride={Format(Stride)}";
        if (Padding.Mode is not null) s += $", padding={Padding.Mode}";
        else if (Padding.Sizes != new IntPair(0, 0)) s += $", padding={Format(Padding.Sizes)}";
        if (Dilation != new IntPair(1, 1)) s += $", dilation={Format(Dilation)}";
        if (Groups != 1) s += $", groups={Groups}";
        if (!bias) s += ", bias=False";
        if (PaddingMode != "zeros") s += $", padding_mode={PaddingMode}";
        return s;
    }

    private string Format(IntPair size) => _dims == 1 ? $"({size.Width},)" : size.Repr();

    private void CheckPositive(string name, IntPair size)
    {
        if (size.Height <= 0 || size.Width <= 0)
            throw new ArgumentOutOfRangeException(name, size, $"{_op}: {name} must be positive, got {(_dims == 1 ? size.Width.ToString() : size.Repr())}.");
    }
}
