using System.Numerics;
using Autograd.Kernels;

namespace Autograd.Nn;

/// <summary>
/// The poolings: <see cref="MaxPool2d"/>, <see cref="AvgPool2d"/>, their 1-D forms, and the adaptive
/// ones. Each is one recorded op over a kernel of src/Nn/Kernels/PoolKernels.cs, and its backward is
/// again a recorded op (a scatter, an average's adjoint) whose own backward is the matching gather or
/// average, so gradients of gradients (createGraph) work.
/// </summary>
public static partial class Functional
{
    /// <summary>
    /// 2-D max pooling (like <c>torch.nn.functional.max_pool2d</c>): y[n, c, p, q] = the maximum of
    /// x[n, c, p·sh - ph + i·dh, q·sw - pw + j·dw] over the kernel's taps inside the input (the padding
    /// is -∞). Backward: each output's gradient goes to the one input it copied, the window's first
    /// maximum in row-by-row scan order (or its last NaN, which wins the comparison as in PyTorch);
    /// gradients of outputs sharing an input add up.
    /// </summary>
    /// <param name="input">(N, C, H, W) or unbatched (C, H, W), Float32 or Float64.</param>
    /// <param name="kernelSize">The window's (height, width), positive.</param>
    /// <param name="stride">The step between windows; the kernel size when null.</param>
    /// <param name="padding">-∞ rows and columns on each side, at most half the dilated kernel; 0 when null.</param>
    /// <param name="dilation">The spacing of the taps, positive; 1 when null.</param>
    /// <param name="ceilMode">Round the output size up (a last window may start in the input and run past it).</param>
    /// <returns>(N, C, OH, OW), OH = ⌊(H + 2 ph - dh (KH - 1) - 1) / sh⌋ + 1 (⌈⌉ with ceilMode, unless that window would start in the padding); (C, OH, OW) unbatched.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> is null.</exception>
    /// <exception cref="ArgumentException">The rank or dtype does not fit, or the output would be empty (the message names the shapes).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size, stride or dilation is not positive, or a padding is negative or more than half the kernel.</exception>
    public static Tensor MaxPool2d(Tensor input, IntPair kernelSize, IntPair? stride = null, IntPair? padding = null, IntPair? dilation = null, bool ceilMode = false)
        => MaxPool("MaxPool2d", 2, input, kernelSize, stride, padding ?? 0, dilation ?? 1, ceilMode).Output;

    /// <summary>
    /// <see cref="MaxPool2d"/> with its indices (<c>return_indices=True</c>): each output's input
    /// position h·W + w in its (H, W) plane, Int64, the output's shape.
    /// </summary>
    /// <inheritdoc cref="MaxPool2d" path="/param"/>
    /// <inheritdoc cref="MaxPool2d" path="/exception"/>
    /// <returns>The output and the indices of the maxima.</returns>
    public static (Tensor Output, Tensor Indices) MaxPool2dWithIndices(Tensor input, IntPair kernelSize, IntPair? stride = null, IntPair? padding = null, IntPair? dilation = null, bool ceilMode = false)
        => MaxPool("MaxPool2d", 2, input, kernelSize, stride, padding ?? 0, dilation ?? 1, ceilMode);

    /// <summary>
    /// 1-D max pooling (like <c>torch.nn.functional.max_pool1d</c>): <see cref="MaxPool2d"/> on a height of 1.
    /// </summary>
    /// <param name="input">(N, C, L) or unbatched (C, L), Float32 or Float64.</param>
    /// <param name="kernelSize">The window's length, positive.</param>
    /// <param name="stride">The step between windows; the kernel size when null.</param>
    /// <param name="padding">-∞ on each end, at most half the dilated kernel.</param>
    /// <param name="dilation">The spacing of the taps, positive.</param>
    /// <param name="ceilMode">Round the output length up.</param>
    /// <returns>(N, C, OL) or (C, OL), OL = ⌊(L + 2 pad - d (K - 1) - 1) / s⌋ + 1.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> is null.</exception>
    /// <exception cref="ArgumentException">The rank or dtype does not fit, or the output would be empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size, stride or dilation is not positive, or a padding is negative or too large.</exception>
    public static Tensor MaxPool1d(Tensor input, int kernelSize, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false)
        => MaxPool1dWithIndices(input, kernelSize, stride, padding, dilation, ceilMode).Output;

    /// <summary><see cref="MaxPool1d"/> with its indices: each output's input position in its row, Int64.</summary>
    /// <inheritdoc cref="MaxPool1d" path="/param"/>
    /// <inheritdoc cref="MaxPool1d" path="/exception"/>
    /// <returns>The output and the indices of the maxima.</returns>
    public static (Tensor Output, Tensor Indices) MaxPool1dWithIndices(Tensor input, int kernelSize, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false)
        => MaxPool("MaxPool1d", 1, input, (1, kernelSize), stride is int s ? (1, s) : null, (0, padding), (1, dilation), ceilMode);

    /// <summary>
    /// 2-D average pooling (like <c>torch.nn.functional.avg_pool2d</c>): y = (Σ of the window's inputs) / divisor,
    /// the sum in scan order. The divisor is <paramref name="divisorOverride"/> if given, else the
    /// window's size clipped to the padded input (<paramref name="countIncludePad"/>) or to the input.
    /// Backward: each output's g / divisor is added to every input of its window.
    /// </summary>
    /// <param name="input">(N, C, H, W) or unbatched (C, H, W), Float32 or Float64.</param>
    /// <param name="kernelSize">The window's (height, width), positive.</param>
    /// <param name="stride">The step between windows; the kernel size when null.</param>
    /// <param name="padding">Zeros on each side, at most half the kernel; 0 when null.</param>
    /// <param name="ceilMode">Round the output size up.</param>
    /// <param name="countIncludePad">Count the padding's zeros in the divisor.</param>
    /// <param name="divisorOverride">A fixed divisor, non-zero; null for the window's size.</param>
    /// <returns>(N, C, OH, OW), OH = ⌊(H + 2 ph - KH) / sh⌋ + 1; (C, OH, OW) unbatched.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> is null.</exception>
    /// <exception cref="ArgumentException">The rank or dtype does not fit, or the output would be empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size or stride is not positive, a padding is negative or more than half the kernel, or the divisor is 0.</exception>
    public static Tensor AvgPool2d(Tensor input, IntPair kernelSize, IntPair? stride = null, IntPair? padding = null, bool ceilMode = false, bool countIncludePad = true, int? divisorOverride = null)
        => AvgPool("AvgPool2d", 2, input, kernelSize, stride, padding ?? 0, ceilMode, countIncludePad, divisorOverride);

    /// <summary>1-D average pooling (like <c>torch.nn.functional.avg_pool1d</c>): <see cref="AvgPool2d"/> on a height of 1.</summary>
    /// <param name="input">(N, C, L) or unbatched (C, L), Float32 or Float64.</param>
    /// <param name="kernelSize">The window's length, positive.</param>
    /// <param name="stride">The step between windows; the kernel size when null.</param>
    /// <param name="padding">Zeros on each end, at most half the kernel.</param>
    /// <param name="ceilMode">Round the output length up.</param>
    /// <param name="countIncludePad">Count the padding's zeros in the divisor.</param>
    /// <returns>(N, C, OL) or (C, OL), OL = ⌊(L + 2 pad - K) / s⌋ + 1.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> is null.</exception>
    /// <exception cref="ArgumentException">The rank or dtype does not fit, or the output would be empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size or stride is not positive, or a padding is negative or too large.</exception>
    public static Tensor AvgPool1d(Tensor input, int kernelSize, int? stride = null, int padding = 0, bool ceilMode = false, bool countIncludePad = true)
        => AvgPool("AvgPool1d", 1, input, (1, kernelSize), stride is int s ? (1, s) : null, (0, padding), ceilMode, countIncludePad, null);

    /// <summary>
    /// Adaptive 2-D average pooling (like <c>torch.nn.functional.adaptive_avg_pool2d</c>): output
    /// (p, q) averages input rows ⌊p·H/OH⌋ .. ⌈(p+1)·H/OH⌉ - 1 and columns likewise, as sum / kh / kw
    /// (PyTorch's two divisions). A (1, 1) output is the mean over (H, W) summed as PyTorch's mean
    /// (a cascade sum, then one division).
    /// </summary>
    /// <param name="input">(N, C, H, W) or unbatched (C, H, W), Float32 or Float64.</param>
    /// <param name="outputSize">The output's (height, width), positive.</param>
    /// <returns>(N, C, OH, OW) or (C, OH, OW).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> is null.</exception>
    /// <exception cref="ArgumentException">The rank or dtype does not fit, or a non-batch dimension is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An output size is not positive.</exception>
    public static Tensor AdaptiveAvgPool2d(Tensor input, IntPair outputSize)
    {
        var (x, batched, g) = AdaptiveGeometry("AdaptiveAvgPool2d", input, outputSize);
        var y = AvgPooled(x, g);
        return batched ? y : y.Squeeze(0);
    }

    /// <summary>
    /// Adaptive 2-D max pooling (like <c>torch.nn.functional.adaptive_max_pool2d</c>): the maximum over
    /// the adaptive windows of <see cref="AdaptiveAvgPool2d"/>, with <see cref="MaxPool2d"/>'s ties and NaN rule.
    /// </summary>
    /// <param name="input">(N, C, H, W) or unbatched (C, H, W), Float32 or Float64.</param>
    /// <param name="outputSize">The output's (height, width), positive.</param>
    /// <returns>(N, C, OH, OW) or (C, OH, OW).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> is null.</exception>
    /// <exception cref="ArgumentException">The rank or dtype does not fit, or a non-batch dimension is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An output size is not positive.</exception>
    public static Tensor AdaptiveMaxPool2d(Tensor input, IntPair outputSize) => AdaptiveMaxPool2dWithIndices(input, outputSize).Output;

    /// <summary><see cref="AdaptiveMaxPool2d"/> with its indices (h·W + w in each plane, Int64).</summary>
    /// <inheritdoc cref="AdaptiveMaxPool2d" path="/param"/>
    /// <inheritdoc cref="AdaptiveMaxPool2d" path="/exception"/>
    /// <returns>The output and the indices of the maxima.</returns>
    public static (Tensor Output, Tensor Indices) AdaptiveMaxPool2dWithIndices(Tensor input, IntPair outputSize)
    {
        var (x, batched, g) = AdaptiveGeometry("AdaptiveMaxPool2d", input, outputSize);
        var (y, index) = MaxPooled("AdaptiveMaxPool2d", x, g);
        return batched ? (y, index) : (y.Squeeze(0), index.Squeeze(0));
    }

    // ------------------------------------------------------------ argument checks and geometry

    private static (Tensor X, bool Batched) PoolInput(string op, int dims, Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        string expected = dims == 1 ? "(N, C, L) or (C, L)" : "(N, C, H, W) or (C, H, W)";
        if (input.Rank != dims + 1 && input.Rank != dims + 2)
            throw new ArgumentException($"{op}: expected a {dims + 1}-D (unbatched) or {dims + 2}-D (batched) input {expected}, got shape {Shapes.Format(input.Dims)}.", nameof(input));
        if (!input.DType.IsFloatingPoint())
            throw new ArgumentException($"{op}: the input must be Float32 or Float64, got {input.DType} (shape {Shapes.Format(input.Dims)}); convert with To(DType).", nameof(input));
        bool batched = input.Rank == dims + 2;
        for (int d = batched ? 1 : 0; d < input.Rank; d++)
            if (input.Dims[d] == 0)
                throw new ArgumentException($"{op}: expected an input with non-zero channel and spatial sizes (only the batch may be empty), got shape {Shapes.Format(input.Dims)}.", nameof(input));
        var x = batched ? input : input.Unsqueeze(0);
        if (dims == 1) x = x.Unsqueeze(2);
        return (x, batched);
    }

    private static string Show(int dims, IntPair p) => dims == 1 ? p.Width.ToString() : p.Repr();

    /// <summary>PyTorch's pooling_output_shape: floor (or ceil) division, and with ceilMode no window starting in the right padding.</summary>
    private static int PoolOutputSize(int size, int kernel, int pad, int stride, int dilation, bool ceilMode)
    {
        long numerator = (long)size + 2 * pad - (long)dilation * (kernel - 1) - 1 + (ceilMode ? stride - 1 : 0);
        long output = (long)Math.Floor((double)numerator / stride) + 1;
        if (ceilMode && (output - 1) * stride >= size + pad) output--;
        return (int)Math.Max(output, -1);
    }

    /// <summary>The checks of a pooling's settings (also run by the modules' constructors); the stride, kernel-sized when null.</summary>
    internal static IntPair CheckPoolSettings(string op, int dims, IntPair kernel, IntPair? stride, IntPair padding, IntPair dilation, bool max)
    {
        if (kernel.Height <= 0 || kernel.Width <= 0)
            throw new ArgumentOutOfRangeException("kernelSize", kernel, $"{op}: kernelSize must be positive, got {Show(dims, kernel)}.");
        var s = stride ?? kernel;
        if (s.Height <= 0 || s.Width <= 0)
            throw new ArgumentOutOfRangeException(nameof(stride), s, $"{op}: stride must be positive, got {Show(dims, s)}.");
        if (dilation.Height <= 0 || dilation.Width <= 0)
            throw new ArgumentOutOfRangeException(nameof(dilation), dilation, $"{op}: dilation must be positive, got {Show(dims, dilation)}.");
        int extentH = dilation.Height * (kernel.Height - 1) + 1, extentW = dilation.Width * (kernel.Width - 1) + 1;
        // PyTorch: max pools allow half the dilated kernel, average pools half the kernel.
        int limitH = max ? extentH / 2 : kernel.Height / 2, limitW = max ? extentW / 2 : kernel.Width / 2;
        if (padding.Height < 0 || padding.Width < 0 || padding.Height > limitH || padding.Width > limitW)
            throw new ArgumentOutOfRangeException(nameof(padding), padding, $"{op}: padding must be non-negative and at most half the {(max ? "dilated " : "")}kernel size {Show(dims, max ? new IntPair(extentH, extentW) : kernel)}, got {Show(dims, padding)}.");
        return s;
    }

    private static PoolGeometry KernelGeometry(string op, int dims, Tensor input, Tensor x, IntPair kernel, IntPair? stride, IntPair padding, IntPair dilation, bool ceilMode, bool max)
    {
        var s = CheckPoolSettings(op, dims, kernel, stride, padding, dilation, max);
        int h = x.Dims[2], w = x.Dims[3];
        int oh = PoolOutputSize(h, kernel.Height, padding.Height, s.Height, dilation.Height, ceilMode);
        int ow = PoolOutputSize(w, kernel.Width, padding.Width, s.Width, dilation.Width, ceilMode);
        if (oh < 1 || ow < 1)
        {
            string size = dims == 1 ? $"{ow}" : $"({oh} x {ow})";
            throw new ArgumentException($"{op}: the output size {size} is too small for input {Shapes.Format(input.Dims)} with kernel {Show(dims, kernel)}, stride {Show(dims, s)}, padding {Show(dims, padding)}, dilation {Show(dims, dilation)}.", nameof(input));
        }
        return new PoolGeometry(x.Dims[0] * x.Dims[1], h, w, oh, ow, kernel.Height, kernel.Width, s.Height, s.Width, padding.Height, padding.Width, dilation.Height, dilation.Width, Adaptive: false);
    }

    private static (Tensor X, bool Batched, PoolGeometry G) AdaptiveGeometry(string op, Tensor input, IntPair outputSize)
    {
        if (outputSize.Height <= 0 || outputSize.Width <= 0)
            throw new ArgumentOutOfRangeException(nameof(outputSize), outputSize, $"{op}: outputSize must be positive, got {outputSize.Repr()}.");
        var (x, batched) = PoolInput(op, 2, input);
        var g = new PoolGeometry(x.Dims[0] * x.Dims[1], x.Dims[2], x.Dims[3], outputSize.Height, outputSize.Width, 0, 0, 1, 1, 0, 0, 1, 1, Adaptive: true);
        return (x, batched, g);
    }

    private static (Tensor Output, Tensor Indices) MaxPool(string op, int dims, Tensor input, IntPair kernel, IntPair? stride, IntPair padding, IntPair dilation, bool ceilMode)
    {
        var (x, batched) = PoolInput(op, dims, input);
        var g = KernelGeometry(op, dims, input, x, kernel, stride, padding, dilation, ceilMode, max: true);
        var (y, index) = MaxPooled(op, x, g);
        if (dims == 1) (y, index) = (y.Squeeze(2), index.Squeeze(2));
        return batched ? (y, index) : (y.Squeeze(0), index.Squeeze(0));
    }

    private static Tensor AvgPool(string op, int dims, Tensor input, IntPair kernel, IntPair? stride, IntPair padding, bool ceilMode, bool countIncludePad, int? divisorOverride)
    {
        if (divisorOverride == 0)
            throw new ArgumentOutOfRangeException(nameof(divisorOverride), 0, $"{op}: divisorOverride must be non-zero.");
        var (x, batched) = PoolInput(op, dims, input);
        var g = KernelGeometry(op, dims, input, x, kernel, stride, padding, 1, ceilMode, max: false)
            with { CountIncludePad = countIncludePad, DivisorOverride = divisorOverride ?? 0 };
        var y = AvgPooled(x, g);
        if (dims == 1) y = y.Squeeze(2);
        return batched ? y : y.Squeeze(0);
    }

    // ------------------------------------------------------------ the recorded ops

    /// <summary>y, index = max over each window of x (N, C, H, W), recorded: its backward scatters g to the indices.</summary>
    private static (Tensor Output, Tensor Indices) MaxPooled(string op, Tensor x, PoolGeometry g)
    {
        int n = x.Dims[0], c = x.Dims[1];
        var y = Tensor.Uninitialized([n, c, g.OH, g.OW], x.DType);
        var index = Tensor.Uninitialized([n, c, g.OH, g.OW], DType.Int64);
        DTypeDispatch.RunFloat(x.DType, new MaxForwardCall(x, g, y, index));
        int[] inputDims = (int[])x.Dims.Clone();
        Tape.Record(y, op, [x], grad => [MaxScatter(grad, index, inputDims)], index);
        return (y, index);
    }

    /// <summary>dx = 0; dx[n, c, index[n, c, o]] += g[n, c, o]. Linear in g, recorded: its backward is the gather.</summary>
    private static Tensor MaxScatter(Tensor grad, Tensor index, int[] inputDims)
    {
        var dx = Tensor.Uninitialized((int[])inputDims.Clone(), grad.DType);
        DTypeDispatch.RunFloat(grad.DType, new MaxIndexCall(grad, index, dx, scatter: true));
        return Tape.Record(dx, "MaxPoolBackward", [grad], gg => [MaxGather(gg, index)], index);
    }

    /// <summary>y[n, c, o] = x[n, c, index[n, c, o]], recorded: its backward is the scatter.</summary>
    private static Tensor MaxGather(Tensor x, Tensor index)
    {
        var y = Tensor.Uninitialized((int[])index.Dims.Clone(), x.DType);
        DTypeDispatch.RunFloat(x.DType, new MaxIndexCall(x, index, y, scatter: false));
        int[] inputDims = (int[])x.Dims.Clone();
        return Tape.Record(y, "MaxPoolGather", [x], grad => [MaxScatter(grad, index, inputDims)], index);
    }

    /// <summary>y = the windows' averages of x (N, C, H, W), recorded: linear, its backward is the adjoint spread.</summary>
    private static Tensor AvgPooled(Tensor x, PoolGeometry g)
    {
        var y = Tensor.Uninitialized([x.Dims[0], x.Dims[1], g.OH, g.OW], x.DType);
        DTypeDispatch.RunFloat(x.DType, new AvgCall(x, g, y, backward: false));
        return Tape.Record(y, g.Adaptive ? "AdaptiveAvgPool2d" : "AvgPool2d", [x], grad => [AvgSpread(grad, g)]);
    }

    /// <summary>dx = each output's g / divisor added over its window; recorded: its backward is the average again.</summary>
    private static Tensor AvgSpread(Tensor grad, PoolGeometry g)
    {
        var dx = Tensor.Uninitialized([grad.Dims[0], grad.Dims[1], g.H, g.W], grad.DType);
        DTypeDispatch.RunFloat(grad.DType, new AvgCall(grad, g, dx, backward: true));
        return Tape.Record(dx, "AvgPoolBackward", [grad], gg => [AvgPooled(gg, g)]);
    }

    private readonly struct MaxForwardCall(Tensor x, PoolGeometry g, Tensor y, Tensor index) : IFloatKernelCall
    {
        public void Run<T>() where T : unmanaged, IFloatingPointIeee754<T> => PoolKernels.MaxForward<T>(x.Buffer<T>(), g, y.Buffer<T>(), index.Buffer<long>());
    }

    private readonly struct MaxIndexCall(Tensor src, Tensor index, Tensor dst, bool scatter) : IFloatKernelCall
    {
        public void Run<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            int planes = index.Dims[0] * index.Dims[1], l = index.Dims[2] * index.Dims[3];
            if (scatter) PoolKernels.MaxScatter<T>(src.Buffer<T>(), index.Buffer<long>(), planes, dst.Dims[2] * dst.Dims[3], l, dst.Buffer<T>());
            else PoolKernels.MaxGather<T>(src.Buffer<T>(), index.Buffer<long>(), planes, src.Dims[2] * src.Dims[3], l, dst.Buffer<T>());
        }
    }

    private readonly struct AvgCall(Tensor src, PoolGeometry g, Tensor dst, bool backward) : IFloatKernelCall
    {
        public void Run<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            if (backward) PoolKernels.AvgBackward<T>(src.Buffer<T>(), g, dst.Buffer<T>());
            else PoolKernels.AvgForward<T>(src.Buffer<T>(), g, dst.Buffer<T>());
        }
    }
}
