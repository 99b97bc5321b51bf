namespace Autograd.Nn;

/// <summary>
/// 2-D max pooling (like <c>torch.nn.MaxPool2d</c>): input (N, C, H, W) or (C, H, W); see
/// <see cref="Functional.MaxPool2d"/> (and <see cref="Functional.MaxPool2dWithIndices"/> for PyTorch's
/// <c>return_indices=True</c>). No parameters.
/// </summary>
/// <remarks>
/// The printed form writes a size as one number when both are equal, "(2, 3)" otherwise (PyTorch
/// prints what it was given, so <c>MaxPool2d((2, 2))</c> prints "(2, 2)" there and "2" here).
/// </remarks>
public sealed class MaxPool2d : Module
{
    /// <summary>Creates the layer.</summary>
    /// <param name="kernelSize">The window's (height, width), or one number for both.</param>
    /// <param name="stride">The step between windows; the kernel size when null.</param>
    /// <param name="padding">-∞ around the input, at most half the dilated kernel; 0 when null.</param>
    /// <param name="dilation">The spacing of the taps; 1 when null.</param>
    /// <param name="ceilMode">Round the output size up.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size, stride or dilation is not positive, or a padding is negative or more than half the dilated kernel.</exception>
    public MaxPool2d(IntPair kernelSize, IntPair? stride = null, IntPair? padding = null, IntPair? dilation = null, bool ceilMode = false)
    {
        Stride = Functional.CheckPoolSettings("MaxPool2d", 2, kernelSize, stride, padding ?? 0, dilation ?? 1, max: true);
        (KernelSize, Padding, Dilation, CeilMode) = (kernelSize, padding ?? 0, dilation ?? 1, ceilMode);
    }

    /// <summary>The window's (height, width).</summary>
    public IntPair KernelSize { get; }

    /// <summary>The step between windows.</summary>
    public IntPair Stride { get; }

    /// <summary>The padding on each side.</summary>
    public IntPair Padding { get; }

    /// <summary>The spacing of the taps.</summary>
    public IntPair Dilation { get; }

    /// <summary>Whether the output size is rounded up.</summary>
    public bool CeilMode { get; }

    /// <summary>The pooled input; see <see cref="Functional.MaxPool2d"/>.</summary>
    /// <param name="input">(N, C, H, W) or (C, H, W), Float32 or Float64.</param>
    /// <returns>(N, C, OH, OW) or (C, OH, OW).</returns>
    /// <exception cref="ArgumentException">The rank or dtype does not fit, or the output would be empty.</exception>
    public override Tensor Forward(Tensor input) => Functional.MaxPool2d(input, KernelSize, Stride, Padding, Dilation, CeilMode);

    /// <summary>
    /// The pooled input and each maximum's position h·W + w in its input plane, as PyTorch's
    /// <c>MaxPool2d(return_indices=True)</c> returns them (TorchSharp's <c>forward_with_indices</c>);
    /// see <see cref="Functional.MaxPool2dWithIndices"/>.
    /// </summary>
    /// <param name="input">(N, C, H, W) or (C, H, W), Float32 or Float64.</param>
    /// <returns>The output, as <see cref="Forward"/>, and the Int64 indices of the same shape.</returns>
    /// <exception cref="ArgumentException">The rank or dtype does not fit, or the output would be empty.</exception>
    public (Tensor Output, Tensor Indices) ForwardWithIndices(Tensor input)
        => Functional.MaxPool2dWithIndices(input, KernelSize, Stride, Padding, Dilation, CeilMode);

    /// <inheritdoc/>
    protected override string ExtraRepr()
        => $"kernel_size={PoolRepr.Size(KernelSize)}, stride={PoolRepr.Size(Stride)}, padding={PoolRepr.Size(Padding)}, dilation={PoolRepr.Size(Dilation)}, ceil_mode={PoolRepr.Bool(CeilMode)}";
}

/// <summary>1-D max pooling (like <c>torch.nn.MaxPool1d</c>): input (N, C, L) or (C, L); see <see cref="Functional.MaxPool1d"/>.</summary>
public sealed class MaxPool1d : Module
{
    /// <summary>Creates the layer.</summary>
    /// <param name="kernelSize">The window's length.</param>
    /// <param name="stride">The step between windows; the kernel size when null.</param>
    /// <param name="padding">-∞ on each end, at most half the dilated kernel.</param>
    /// <param name="dilation">The spacing of the taps.</param>
    /// <param name="ceilMode">Round the output length up.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size, stride or dilation is not positive, or a padding is negative or too large.</exception>
    public MaxPool1d(int kernelSize, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false)
    {
        Stride = Functional.CheckPoolSettings("MaxPool1d", 1, (1, kernelSize), stride is int s ? (1, s) : null, (0, padding), (1, dilation), max: true).Width;
        (KernelSize, Padding, Dilation, CeilMode) = (kernelSize, padding, dilation, ceilMode);
    }

    /// <summary>The window's length.</summary>
    public int KernelSize { get; }

    /// <summary>The step between windows.</summary>
    public int Stride { get; }

    /// <summary>The padding on each end.</summary>
    public int Padding { get; }

    /// <summary>The spacing of the taps.</summary>
    public int Dilation { get; }

    /// <summary>Whether the output length is rounded up.</summary>
    public bool CeilMode { get; }

    /// <summary>The pooled input; see <see cref="Functional.MaxPool1d"/>.</summary>
    /// <param name="input">(N, C, L) or (C, L), Float32 or Float64.</param>
    /// <returns>(N, C, OL) or (C, OL).</returns>
    /// <exception cref="ArgumentException">The rank or dtype does not fit, or the output would be empty.</exception>
    public override Tensor Forward(Tensor input) => Functional.MaxPool1d(input, KernelSize, Stride, Padding, Dilation, CeilMode);

    /// <summary>
    /// The pooled input and each maximum's position in its input row, as PyTorch's
    /// <c>MaxPool1d(return_indices=True)</c> returns them; see <see cref="Functional.MaxPool1dWithIndices"/>.
    /// </summary>
    /// <param name="input">(N, C, L) or (C, L), Float32 or Float64.</param>
    /// <returns>The output, as <see cref="Forward"/>, and the Int64 indices of the same shape.</returns>
    /// <exception cref="ArgumentException">The rank or dtype does not fit, or the output would be empty.</exception>
    public (Tensor Output, Tensor Indices) ForwardWithIndices(Tensor input)
        => Functional.MaxPool1dWithIndices(input, KernelSize, Stride, Padding, Dilation, CeilMode);

    /// <inheritdoc/>
    protected override string ExtraRepr()
        => $"kernel_size={KernelSize}, stride={Stride}, padding={Padding}, dilation={Dilation}, ceil_mode={PoolRepr.Bool(CeilMode)}";
}

/// <summary>
/// 2-D average pooling (like <c>torch.nn.AvgPool2d</c>): input (N, C, H, W) or (C, H, W); see
/// <see cref="Functional.AvgPool2d"/>. Printed as PyTorch does (kernel, stride and padding only).
/// </summary>
public sealed class AvgPool2d : Module
{
    /// <summary>Creates the layer.</summary>
    /// <param name="kernelSize">The window's (height, width), or one number for both.</param>
    /// <param name="stride">The step between windows; the kernel size when null.</param>
    /// <param name="padding">Zeros around the input, at most half the kernel; 0 when null.</param>
    /// <param name="ceilMode">Round the output size up.</param>
    /// <param name="countIncludePad">Count the padding's zeros in the divisor.</param>
    /// <param name="divisorOverride">A fixed divisor, non-zero; null for the window's size.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size or stride is not positive, a padding is negative or more than half the kernel, or the divisor is 0.</exception>
    public AvgPool2d(IntPair kernelSize, IntPair? stride = null, IntPair? padding = null, bool ceilMode = false, bool countIncludePad = true, int? divisorOverride = null)
    {
        Stride = Functional.CheckPoolSettings("AvgPool2d", 2, kernelSize, stride, padding ?? 0, 1, max: false);
        if (divisorOverride == 0)
            throw new ArgumentOutOfRangeException(nameof(divisorOverride), 0, "AvgPool2d: divisorOverride must be non-zero.");
        (KernelSize, Padding, CeilMode, CountIncludePad, DivisorOverride) = (kernelSize, padding ?? 0, ceilMode, countIncludePad, divisorOverride);
    }

    /// <summary>The window's (height, width).</summary>
    public IntPair KernelSize { get; }

    /// <summary>The step between windows.</summary>
    public IntPair Stride { get; }

    /// <summary>The padding on each side.</summary>
    public IntPair Padding { get; }

    /// <summary>Whether the output size is rounded up.</summary>
    public bool CeilMode { get; }

    /// <summary>Whether the padding's zeros count in the divisor.</summary>
    public bool CountIncludePad { get; }

    /// <summary>The fixed divisor, or null.</summary>
    public int? DivisorOverride { get; }

    /// <summary>The pooled input; see <see cref="Functional.AvgPool2d"/>.</summary>
    /// <param name="input">(N, C, H, W) or (C, H, W), Float32 or Float64.</param>
    /// <returns>(N, C, OH, OW) or (C, OH, OW).</returns>
    /// <exception cref="ArgumentException">The rank or dtype does not fit, or the output would be empty.</exception>
    public override Tensor Forward(Tensor input) => Functional.AvgPool2d(input, KernelSize, Stride, Padding, CeilMode, CountIncludePad, DivisorOverride);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"kernel_size={PoolRepr.Size(KernelSize)}, stride={PoolRepr.Size(Stride)}, padding={PoolRepr.Size(Padding)}";
}

/// <summary>
/// 1-D average pooling (like <c>torch.nn.AvgPool1d</c>): input (N, C, L) or (C, L); see
/// <see cref="Functional.AvgPool1d"/>. Printed as PyTorch does, sizes as 1-tuples ("(3,)").
/// </summary>
public sealed class AvgPool1d : Module
{
    /// <summary>Creates the layer.</summary>
    /// <param name="kernelSize">The window's length.</param>
    /// <param name="stride">The step between windows; the kernel size when null.</param>
    /// <param name="padding">Zeros on each end, at most half the kernel.</param>
    /// <param name="ceilMode">Round the output length up.</param>
    /// <param name="countIncludePad">Count the padding's zeros in the divisor.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size or stride is not positive, or a padding is negative or too large.</exception>
    public AvgPool1d(int kernelSize, int? stride = null, int padding = 0, bool ceilMode = false, bool countIncludePad = true)
    {
        Stride = Functional.CheckPoolSettings("AvgPool1d", 1, (1, kernelSize), stride is int s ? (1, s) : null, (0, padding), 1, max: false).Width;
        (KernelSize, Padding, CeilMode, CountIncludePad) = (kernelSize, padding, ceilMode, countIncludePad);
    }

    /// <summary>The window's length.</summary>
    public int KernelSize { get; }

    /// <summary>The step between windows.</summary>
    public int Stride { get; }

    /// <summary>The padding on each end.</summary>
    public int Padding { get; }

    /// <summary>Whether the output length is rounded up.</summary>
    public bool CeilMode { get; }

    /// <summary>Whether the padding's zeros count in the divisor.</summary>
    public bool CountIncludePad { get; }

    /// <summary>The pooled input; see <see cref="Functional.AvgPool1d"/>.</summary>
    /// <param name="input">(N, C, L) or (C, L), Float32 or Float64.</param>
    /// <returns>(N, C, OL) or (C, OL).</returns>
    /// <exception cref="ArgumentException">The rank or dtype does not fit, or the output would be empty.</exception>
    public override Tensor Forward(Tensor input) => Functional.AvgPool1d(input, KernelSize, Stride, Padding, CeilMode, CountIncludePad);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"kernel_size=({KernelSize},), stride=({Stride},), padding=({Padding},)";
}

/// <summary>Adaptive 2-D average pooling (like <c>torch.nn.AdaptiveAvgPool2d</c>); see <see cref="Functional.AdaptiveAvgPool2d"/>.</summary>
public sealed class AdaptiveAvgPool2d : Module
{
    /// <summary>Creates the layer.</summary>
    /// <param name="outputSize">The output's (height, width), or one number for both.</param>
    /// <exception cref="ArgumentOutOfRangeException">An output size is not positive.</exception>
    public AdaptiveAvgPool2d(IntPair outputSize)
    {
        if (outputSize.Height <= 0 || outputSize.Width <= 0)
            throw new ArgumentOutOfRangeException(nameof(outputSize), outputSize, $"AdaptiveAvgPool2d: outputSize must be positive, got {outputSize.Repr()}.");
        OutputSize = outputSize;
    }

    /// <summary>The output's (height, width).</summary>
    public IntPair OutputSize { get; }

    /// <summary>The pooled input; see <see cref="Functional.AdaptiveAvgPool2d"/>.</summary>
    /// <param name="input">(N, C, H, W) or (C, H, W), Float32 or Float64.</param>
    /// <returns>(N, C, OH, OW) or (C, OH, OW).</returns>
    /// <exception cref="ArgumentException">The rank or dtype does not fit.</exception>
    public override Tensor Forward(Tensor input) => Functional.AdaptiveAvgPool2d(input, OutputSize);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"output_size={PoolRepr.Size(OutputSize)}";
}

/// <summary>Adaptive 2-D max pooling (like <c>torch.nn.AdaptiveMaxPool2d</c>); see <see cref="Functional.AdaptiveMaxPool2d"/>.</summary>
public sealed class AdaptiveMaxPool2d : Module
{
    /// <summary>Creates the layer.</summary>
    /// <param name="outputSize">The output's (height, width), or one number for both.</param>
    /// <exception cref="ArgumentOutOfRangeException">An output size is not positive.</exception>
    public AdaptiveMaxPool2d(IntPair outputSize)
    {
        if (outputSize.Height <= 0 || outputSize.Width <= 0)
            throw new ArgumentOutOfRangeException(nameof(outputSize), outputSize, $"AdaptiveMaxPool2d: outputSize must be positive, got {outputSize.Repr()}.");
        OutputSize = outputSize;
    }

    /// <summary>The output's (height, width).</summary>
    public IntPair OutputSize { get; }

    /// <summary>The pooled input; see <see cref="Functional.AdaptiveMaxPool2d"/>.</summary>
    /// <param name="input">(N, C, H, W) or (C, H, W), Float32 or Float64.</param>
    /// <returns>(N, C, OH, OW) or (C, OH, OW).</returns>
    /// <exception cref="ArgumentException">The rank or dtype does not fit.</exception>
    public override Tensor Forward(Tensor input) => Functional.AdaptiveMaxPool2d(input, OutputSize);

    /// <summary>
    /// The pooled input and each maximum's position h·W + w in its input plane, as PyTorch's
    /// <c>AdaptiveMaxPool2d(return_indices=True)</c> returns them; see
    /// <see cref="Functional.AdaptiveMaxPool2dWithIndices"/>.
    /// </summary>
    /// <param name="input">(N, C, H, W) or (C, H, W), Float32 or Float64.</param>
    /// <returns>The output, as <see cref="Forward"/>, and the Int64 indices of the same shape.</returns>
    /// <exception cref="ArgumentException">The rank or dtype does not fit.</exception>
    public (Tensor Output, Tensor Indices) ForwardWithIndices(Tensor input) => Functional.AdaptiveMaxPool2dWithIndices(input, OutputSize);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"output_size={PoolRepr.Size(OutputSize)}";
}

/// <summary>The pooling modules' printed sizes: one number when both are equal (PyTorch prints what it was given).</summary>
internal static class PoolRepr
{
    public static string Size(IntPair p) => p.IsSquare ? p.Height.ToString(System.Globalization.CultureInfo.InvariantCulture) : p.Repr();

    public static string Bool(bool b) => b ? "True" : "False";
}
