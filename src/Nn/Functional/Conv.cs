using System.Numerics;
using Autograd.Kernels;

namespace Autograd.Nn;

/// <summary>
/// A size given for each spatial dimension of a convolution, as PyTorch's <c>_size_2_t</c>: one
/// number for every dimension (<c>3</c>) or one per dimension (<c>(3, 5)</c>, height then width).
/// </summary>
/// <param name="Height">The size along the height (the only one of a 1-D convolution's pair that is not 1).</param>
/// <param name="Width">The size along the width.</param>
public readonly record struct IntPair(int Height, int Width)
{
    /// <summary>The same size along both dimensions.</summary>
    public static implicit operator IntPair(int size) => new(size, size);

    /// <summary>(height, width).</summary>
    public static implicit operator IntPair((int Height, int Width) sizes) => new(sizes.Height, sizes.Width);

    /// <summary>True when both sizes are equal (so a 1-D convolution accepts it).</summary>
    internal bool IsSquare => Height == Width;

    /// <summary>PyTorch's tuple repr, "(3, 5)".</summary>
    internal string Repr() => $"({Height}, {Width})";
}

/// <summary>
/// A convolution's padding, as PyTorch's <c>padding</c> argument: a number of zeros on both
/// sides of every spatial dimension (<c>1</c>), one per dimension (<c>(1, 2)</c>), or
/// <c>"valid"</c> (none) or <c>"same"</c> (the output as large as the input; stride 1 only; an
/// odd total padding puts the extra zero after, as PyTorch does).
/// </summary>
public readonly record struct ConvPadding
{
    private ConvPadding(IntPair sizes, string? mode) => (Sizes, Mode) = (sizes, mode);

    /// <summary>The explicit padding, (0, 0) for "valid" and "same".</summary>
    public IntPair Sizes { get; }

    /// <summary>"valid", "same", or null for an explicit padding.</summary>
    public string? Mode { get; }

    /// <summary>The same padding on every side.</summary>
    public static implicit operator ConvPadding(int size) => new(size, null);

    /// <summary>(height, width) padding.</summary>
    public static implicit operator ConvPadding((int Height, int Width) sizes) => new(sizes, null);

    /// <summary>(height, width) padding.</summary>
    public static implicit operator ConvPadding(IntPair sizes) => new(sizes, null);

    /// <summary>"valid" or "same" (checked when the convolution runs).</summary>
    public static implicit operator ConvPadding(string mode) => new(new IntPair(0, 0), mode);
}

/// <summary>The convolutions: <see cref="Conv1d"/> and <see cref="Conv2d"/>.</summary>
public static partial class Functional
{
    /// <summary>
    /// A 2-D cross-correlation (like <c>torch.nn.functional.conv2d</c>):
    /// y[n, o, p, q] = b[o] + Σ_{c in o's group, i, j} w[o, c, i, j] · x[n, g·C/groups + c, p·sh - ph + i·dh, q·sw - pw + j·dw],
    /// zeros outside the input. Computed as matrix products (docs/convolution.md): the input
    /// is unfolded into columns (im2col), then Y_g = W_g · cols_g per group. Backward:
    /// dW_g = G_g · cols_gᵀ, dcols_g = W_gᵀ · G_g folded back onto the input (col2im), db = Σ G.
    /// One fused op (<c>Conv2d</c> in graphs); when the backward is itself recorded it is
    /// composed of differentiable ops, so higher-order gradients work.
    /// </summary>
    /// <param name="input">(N, C, H, W) or unbatched (C, H, W), Float32 or Float64.</param>
    /// <param name="weight">(O, C / groups, KH, KW), the input's dtype.</param>
    /// <param name="bias">(O), or null for none.</param>
    /// <param name="stride">The step between output positions, positive; 1 when null.</param>
    /// <param name="padding">Zeros around the input (numbers or "valid"/"same"); 0 when null.</param>
    /// <param name="dilation">The spacing of the kernel's taps, positive; 1 when null.</param>
    /// <param name="groups">Channel groups, dividing C and O (groups = C is depthwise).</param>
    /// <returns>(N, O, OH, OW), OH = ⌊(H + 2 ph - dh (KH - 1) - 1) / sh⌋ + 1 (likewise OW); (O, OH, OW) for an unbatched input.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> or <paramref name="weight"/> is null.</exception>
    /// <exception cref="ArgumentException">A rank, dtype, channel count or padding mode does not fit (the message names the shapes).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A stride, dilation or groups is not positive, or a padding is negative.</exception>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, IntPair? stride = null, ConvPadding? padding = null, IntPair? dilation = null, int groups = 1)
        => Convolution("Conv2d", 2, input, weight, bias, stride ?? 1, padding ?? 0, dilation ?? 1, groups);

    /// <summary>
    /// A 1-D cross-correlation (like <c>torch.nn.functional.conv1d</c>):
    /// y[n, o, p] = b[o] + Σ_{c in o's group, j} w[o, c, j] · x[n, g·C/groups + c, p·s - pad + j·d]. It runs as
    /// <see cref="Conv2d"/> on a height of 1 (views, no copy), with the same products and backward.
    /// </summary>
    /// <param name="input">(N, C, L) or unbatched (C, L), Float32 or Float64.</param>
    /// <param name="weight">(O, C / groups, K), the input's dtype.</param>
    /// <param name="bias">(O), or null for none.</param>
    /// <param name="stride">The step between output positions, positive.</param>
    /// <param name="padding">Zeros on both ends (a number, "valid" or "same"); 0 when null.</param>
    /// <param name="dilation">The spacing of the kernel's taps, positive.</param>
    /// <param name="groups">Channel groups, dividing C and O.</param>
    /// <returns>(N, O, OL), OL = ⌊(L + 2 pad - d (K - 1) - 1) / s⌋ + 1; (O, OL) for an unbatched input.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> or <paramref name="weight"/> is null.</exception>
    /// <exception cref="ArgumentException">A rank, dtype, channel count or padding does not fit (the message names the shapes).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A stride, dilation or groups is not positive, or a padding is negative.</exception>
    public static Tensor Conv1d(Tensor input, Tensor weight, Tensor? bias = null, int stride = 1, ConvPadding? padding = null, int dilation = 1, int groups = 1)
    {
        var pad = padding ?? 0;
        if (pad.Mode is null && !pad.Sizes.IsSquare)
            throw new ArgumentException($"Conv1d: padding must be one number, \"valid\" or \"same\", got {pad.Sizes.Repr()}.", nameof(padding));
        return Convolution("Conv1d", 1, input, weight, bias, stride, pad, dilation, groups);
    }

    /// <summary>Checks the arguments as PyTorch does, then runs the 2-D convolution (a 1-D one on a height of 1).</summary>
    private static Tensor Convolution(string op, int dims, Tensor input, Tensor weight, Tensor? bias, IntPair stride, ConvPadding padding, IntPair dilation, int groups)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        string expected = dims == 1 ? "(N, C, L) or (C, L)" : "(N, C, H, W) or (C, H, W)";
        if (weight.Rank != dims + 2)
            throw new ArgumentException($"{op}: weight must be {dims + 2}-D {(dims == 1 ? "(out_channels, in_channels / groups, K)" : "(out_channels, in_channels / groups, KH, KW)")}, got shape {Shapes.Format(weight.Dims)}.", nameof(weight));
        if (input.Rank != dims + 1 && input.Rank != dims + 2)
            throw new ArgumentException($"{op}: expected a {dims + 1}-D (unbatched) or {dims + 2}-D (batched) input {expected}, got shape {Shapes.Format(input.Dims)}.", nameof(input));
        if (!input.DType.IsFloatingPoint() || input.DType != weight.DType)
            throw new ArgumentException($"{op}: input ({input.DType}, shape {Shapes.Format(input.Dims)}) and weight ({weight.DType}, shape {Shapes.Format(weight.Dims)}) must have the same floating point dtype; convert with To(DType).", nameof(input));
        if (groups <= 0)
            throw new ArgumentOutOfRangeException(nameof(groups), groups, $"{op}: groups must be positive, got {groups}.");
        CheckPositive(op, nameof(stride), stride, dims);
        CheckPositive(op, nameof(dilation), dilation, dims);
        if (padding.Mode is null && (padding.Sizes.Height < 0 || padding.Sizes.Width < 0))
            throw new ArgumentOutOfRangeException(nameof(padding), padding.Sizes, $"{op}: padding must be non-negative, got {(dims == 1 ? padding.Sizes.Width.ToString() : padding.Sizes.Repr())}.");
        if (padding.Mode is not null and not "valid" and not "same")
            throw new ArgumentException($"{op}: padding must be a number, \"valid\" or \"same\", got \"{padding.Mode}\".", nameof(padding));
        if (padding.Mode == "same" && (stride.Height != 1 || stride.Width != 1))
            throw new ArgumentException($"{op}: padding=\"same\" is not supported for strided convolutions (stride {(dims == 1 ? stride.Width.ToString() : stride.Repr())}).", nameof(padding));

        bool batched = input.Rank == dims + 2;
        var x = batched ? input : input.Unsqueeze(0);
        int outChannels = weight.Dims[0], channels = x.Dims[1];
        if (weight.Dims[1] * groups != channels)
            throw new ArgumentException($"{op}: expected input {Shapes.Format(input.Dims)} to have {weight.Dims[1] * groups} channels (weight {Shapes.Format(weight.Dims)}, groups={groups}), but got {channels} channels instead.", nameof(input));
        if (outChannels % groups != 0)
            throw new ArgumentException($"{op}: out_channels={outChannels} (weight {Shapes.Format(weight.Dims)}) must be divisible by groups={groups}.", nameof(groups));
        if (bias is not null && (bias.DType != weight.DType || bias.Rank != 1 || bias.Dims[0] != outChannels))
            throw new ArgumentException($"{op}: bias must be a {weight.DType} vector of out_channels={outChannels} elements, got {bias.DType} with shape {Shapes.Format(bias.Dims)} (weight shape {Shapes.Format(weight.Dims)}).", nameof(bias));

        if (dims == 1)
        {
            x = x.Unsqueeze(2);
            weight = weight.Unsqueeze(2);
            stride = new IntPair(1, stride.Width);
            dilation = new IntPair(1, dilation.Width);
            if (padding.Mode is null) padding = new IntPair(0, padding.Sizes.Width);
        }
        var g = Geometry(op, dims, input, weight, x, stride, padding, dilation, groups);
        var fn = new Conv2dFunction(g);
        var y = bias is null ? fn.Apply(x, weight) : fn.Apply(x, weight, bias);
        if (dims == 1) y = y.Squeeze(2);
        return batched ? y : y.Squeeze(0);
    }

    private static void CheckPositive(string op, string name, IntPair size, int dims)
    {
        if (size.Height <= 0 || size.Width <= 0)
            throw new ArgumentOutOfRangeException(name, size, $"{op}: {name} must be positive, got {(dims == 1 ? size.Width.ToString() : size.Repr())}.");
    }

    /// <summary>The output size of each spatial dimension, with PyTorch's check that the (dilated) kernel fits the padded input.</summary>
    private static ConvGeometry Geometry(string op, int dims, Tensor input, Tensor originalWeight, Tensor x, IntPair stride, ConvPadding padding, IntPair dilation, int groups)
    {
        var w = originalWeight;
        int h = x.Dims[2], wd = x.Dims[3], kh = w.Dims[2], kw = w.Dims[3];
        int extentH = dilation.Height * (kh - 1) + 1, extentW = dilation.Width * (kw - 1) + 1;
        int padH, padW, oh, ow;
        if (padding.Mode == "same")
        {
            // PyTorch pads d (k - 1) in total, half before; an odd total puts the extra zero after.
            padH = (extentH - 1) / 2;
            padW = (extentW - 1) / 2;
            (oh, ow) = (h, wd);
        }
        else
        {
            (padH, padW) = (padding.Sizes.Height, padding.Sizes.Width);
            if (h + 2 * padH < extentH || wd + 2 * padW < extentW)
            {
                string size = dims == 1 ? $"{wd + 2 * padW}" : $"({h + 2 * padH} x {wd + 2 * padW})";
                string kernel = dims == 1 ? $"{extentW}" : $"({extentH} x {extentW})";
                throw new ArgumentException($"{op}: the padded input size per channel {size} is smaller than the (dilated) kernel size {kernel}: input {Shapes.Format(input.Dims)}, weight {Shapes.Format(w.Dims)}.", nameof(input));
            }
            oh = (h + 2 * padH - extentH) / stride.Height + 1;
            ow = (wd + 2 * padW - extentW) / stride.Width + 1;
        }
        return new ConvGeometry(x.Dims[0], x.Dims[1], h, wd, w.Dims[0], kh, kw, stride.Height, stride.Width, padH, padW, dilation.Height, dilation.Width, groups, oh, ow);
    }

    /// <summary>
    /// cols = im2col(x), (C·KH·KW, N·OH·OW), recorded: its backward is col2im, so the recorded
    /// backward of a convolution is differentiable again.
    /// </summary>
    private static Tensor Unfold(Tensor x, ConvGeometry g)
    {
        var cols = Tensor.Uninitialized([g.Rows, g.Columns], x.DType);
        DTypeDispatch.RunFloat(x.DType, new Im2ColCall(x, g, cols));
        return Tape.Record(cols, "Im2Col", [x], grad => [Fold(grad, g)]);
    }

    /// <summary>x = col2im(cols), (N, C, H, W), recorded: its backward is im2col.</summary>
    private static Tensor Fold(Tensor cols, ConvGeometry g)
    {
        var x = Tensor.Uninitialized([g.N, g.C, g.H, g.W], cols.DType);
        DTypeDispatch.RunFloat(cols.DType, new Col2ImCall(cols, g, x));
        return Tape.Record(x, "Col2Im", [cols], grad => [Unfold(grad, g)]);
    }

    /// <summary>Y = conv(X, W) (+ b) for X (N, C, H, W), W (O, C/groups, KH, KW), b (O).</summary>
    private sealed class Conv2dFunction(ConvGeometry g) : BuiltInFunction
    {
        private int _inputs;
        private Array? _cols; // the forward's im2col(x), kept for the weight gradient (null when the weight needs none)

        protected override Tensor Forward(IReadOnlyList<Tensor> inputs)
        {
            var (x, w) = (inputs[0], inputs[1]);
            _inputs = inputs.Count;
            SaveForBackward(x, w);
            var y = Tensor.Uninitialized([g.N, g.O, g.OH, g.OW], x.DType);
            // The weight gradient reads the same columns: keep them rather than unfold x again (x
            // cannot change unseen: SaveForBackward detects an in-place change). Only the fused
            // backward reads them; the array goes back to the pool when the graph is released.
            if (NeedsInputGrad(1))
            {
                _cols = DTypeDispatch.RunFloat<RentCall, Array>(x.DType, new((long)g.Rows * g.Columns));
                ReturnOnRelease(_cols);
            }
            DTypeDispatch.RunFloat(x.DType, new ForwardCall(x, w, inputs.Count == 3 ? inputs[2] : null, g, _cols, y));
            return y;
        }

        protected override IReadOnlyList<Tensor?> Backward(Tensor gradOutput)
        {
            var (x, w) = (SavedTensors[0], SavedTensors[1]);
            var grads = new Tensor?[_inputs];
            bool bias = _inputs == 3 && NeedsInputGrad(2);
            if (Tape.IsGradEnabled)
            {
                // The same products as the fused path below, from recorded ops (a second derivative needs them).
                int og = g.O / g.Groups;
                var rows = gradOutput.Reshape(g.N, g.O, g.L).Permute(1, 0, 2).Reshape(g.Groups, og, g.Columns); // G in the products' layout
                if (NeedsInputGrad(0))
                    grads[0] = Fold(w.Reshape(g.Groups, og, g.GroupRows).BatchedMatMul(rows, transA: true, transB: false).Reshape(g.Rows, g.Columns), g); // col2im(Wᵀ G)
                if (NeedsInputGrad(1))
                    grads[1] = rows.BatchedMatMul(Unfold(x, g).Reshape(g.Groups, g.GroupRows, g.Columns), transA: false, transB: true).Reshape(w.Dims); // G colsᵀ
                if (bias) grads[2] = rows.Reshape(g.O, g.Columns).Sum(1); // Σ G
                return grads;
            }

            if (NeedsInputGrad(0)) grads[0] = Tensor.Uninitialized([g.N, g.C, g.H, g.W], x.DType);
            if (NeedsInputGrad(1)) grads[1] = Tensor.Uninitialized((int[])w.Dims.Clone(), x.DType);
            if (bias) grads[2] = Tensor.Uninitialized([g.O], x.DType);
            DTypeDispatch.RunFloat(x.DType, new BackwardCall(x, w, gradOutput, g, _cols, grads[0], grads[1], bias ? grads[2] : null));
            return grads;
        }
    }

    private readonly struct Im2ColCall(Tensor x, ConvGeometry g, Tensor cols) : IFloatKernelCall
    {
        public void Run<T>() where T : unmanaged, IFloatingPointIeee754<T> => ConvKernels.Im2Col<T>(x.Buffer<T>(), g, cols.Buffer<T>());
    }

    private readonly struct Col2ImCall(Tensor cols, ConvGeometry g, Tensor x) : IFloatKernelCall
    {
        public void Run<T>() where T : unmanaged, IFloatingPointIeee754<T> => ConvKernels.Col2Im<T>(cols.Buffer<T>(), g, x.Buffer<T>());
    }

    private readonly struct RentCall(long n) : IFloatKernelCall<Array>
    {
        public Array Run<T>() where T : unmanaged, IFloatingPointIeee754<T> => BufferPool.Rent<T>(checked((int)n));
    }

    /// <summary>
    /// cols = im2col(x) (into <paramref name="keptCols"/> when the backward will read it); Y_g = W_g cols_g
    /// per group; y = Y in (N, O, L) order, plus the bias.
    /// </summary>
    private readonly struct ForwardCall(Tensor x, Tensor w, Tensor? bias, ConvGeometry g, Array? keptCols, Tensor y) : IFloatKernelCall
    {
        public void Run<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            ConvKernels.ForwardBySample<T>(x.Buffer<T>(), w.Buffer<T>(), bias?.Buffer<T>(), g, keptCols as T[], y.Buffer<T>());
        }
    }

    /// <summary>
    /// dW = Σ_n G[n] · cols[n]ᵀ (cols from the forward when it kept them), dx = col2im(Wᵀ G) a
    /// sample at a time, db = Σ G (in the products' (O, N·L) layout, summed in a fixed order), each
    /// only where asked for.
    /// </summary>
    private readonly struct BackwardCall(Tensor x, Tensor w, Tensor gradOutput, ConvGeometry g, Array? keptCols, Tensor? gradInput, Tensor? gradWeight, Tensor? gradBias) : IFloatKernelCall
    {
        public void Run<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            if (gradWeight is not null)
            {
                using var scratch = keptCols is null ? Tensor.Uninitialized([g.N, g.Rows, g.L], x.DType) : null;
                var cols = keptCols as T[] ?? scratch!.Buffer<T>();
                if (keptCols is null) ConvKernels.Im2ColBySample<T>(x.Buffer<T>(), g, cols);
                ConvKernels.WeightGradientBySample<T>(gradOutput.Buffer<T>(), cols, g, gradWeight.Buffer<T>());
            }
            if (gradInput is not null) ConvKernels.InputGradientBySample<T>(w.Buffer<T>(), gradOutput.Buffer<T>(), g, gradInput.Buffer<T>());
            if (gradBias is not null)
            {
                using var gradRows = Tensor.Uninitialized([g.O, g.Columns], x.DType);
                ConvKernels.OutputToRows<T>(gradOutput.Buffer<T>(), g.N, g.O, g.L, gradRows.Buffer<T>());
                ConvKernels.BiasGradient<T>(gradRows.Buffer<T>(), g.O, g.Columns, gradBias.Buffer<T>());
            }
        }
    }
}
