using System.Numerics;
using Autograd.Kernels;

namespace Autograd.Nn;

/// <summary><see cref="Pad"/>, and the padding of the convolutions' padding modes, which is the same op.</summary>
public static partial class Functional
{
    /// <summary>
    /// Pads the last dimensions (like <c>torch.nn.functional.pad</c>): <paramref name="pad"/> is
    /// PyTorch's tuple from the last dimension backwards, (left, right), (left, right, top, bottom),
    /// (left, right, top, bottom, front, back), ... Modes: "constant" (<paramref name="value"/>
    /// outside; any number of dimensions; a negative padding crops), "reflect" (the input mirrored
    /// about its edge elements, padding smaller than the size), "replicate" (the edge element
    /// repeated) and "circular" (the input wrapped around, padding at most the size); those three
    /// pad one, two or three dimensions. Each output element copies one input element or is the
    /// constant, so the backward adds each element's gradient onto the input element it copies (a
    /// scatter, recorded: its own backward is the same gather, so gradients of gradients work).
    /// </summary>
    /// <param name="input">A Float32 or Float64 tensor; for reflect and replicate (C, W) or (N, C, W) with 2 pads, (C, H, W) or (N, C, H, W) with 4, (C, D, H, W) or (N, C, D, H, W) with 6; for circular the batched shapes only (as PyTorch 1.13).</param>
    /// <param name="pad">An even number of paddings, at most twice the input's rank (6 outside constant mode): (left, right) of the last dimension, then (top, bottom) of the one before, and so on.</param>
    /// <param name="mode">"constant", "reflect", "replicate" or "circular".</param>
    /// <param name="value">The fill of "constant" padding.</param>
    /// <returns>The padded tensor: each padded dimension grown by its two paddings.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> or <paramref name="pad"/> is null.</exception>
    /// <exception cref="ArgumentException">The pad's length, the mode, the input's rank or dtype, or a padding too large for its dimension (the message names the shapes).</exception>
    /// <remarks>
    /// Three or more dimensions are padded one pair at a time after the last two (each pass a
    /// gather of whole rows), which gives PyTorch's values exactly; in reflect and replicate modes
    /// an input element copied several times adds its gradient terms in another order than
    /// PyTorch's 3-D kernels, so those gradients agree to rounding, not bit for bit.
    /// </remarks>
    public static Tensor Pad(Tensor input, int[] pad, string mode = "constant", double value = 0)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(pad);
        string shown = $"({string.Join(", ", pad)})";
        if (pad.Length == 0 || pad.Length % 2 != 0 || pad.Length / 2 > input.Rank)
            throw new ArgumentException($"Pad: the padding {shown} must have an even, non-zero length of at most twice the input's rank {input.Rank} (input {Shapes.Format(input.Dims)}).", nameof(pad));
        if (mode is not ("constant" or "reflect" or "replicate" or "circular"))
            throw new ArgumentException($"Pad: mode must be \"constant\", \"reflect\", \"replicate\" or \"circular\", got \"{mode}\".", nameof(mode));
        int dims = pad.Length / 2;
        if (mode != "constant" && dims > 3)
            throw new ArgumentException($"Pad: {mode} padding pads at most 3 dimensions, got {dims} {shown} (only constant padding takes more).", nameof(pad));
        input.RequireFloat("Pad");
        if (mode != "constant")
        {
            // PyTorch 1.13: reflect and replicate take an optional batch dimension, circular needs it.
            if ((input.Rank != dims + 1 || mode == "circular") && input.Rank != dims + 2)
                throw new ArgumentException($"Pad: {mode} padding of {dims} dimension{(dims == 1 ? "" : "s")} expects {(mode == "circular" ? "" : $"a {dims + 1}-D or ")}a {dims + 2}-D input, got shape {Shapes.Format(input.Dims)}.", nameof(input));
            if (pad.Any(p => p < 0))
                throw new ArgumentException($"Pad: {mode} padding must be non-negative, got {shown}.", nameof(pad));
        }
        // Check every dimension's padding before any work, so a bad one fails with nothing done.
        var maps = new int[dims][];
        for (int k = 0; k < dims; k++) maps[k] = PadMap("Pad", mode, input.Dims[input.Rank - 1 - k], pad[2 * k], pad[2 * k + 1], input);

        var x = input.Rank == 1 ? input.Unsqueeze(0) : input;
        int h = x.Dims[^2];
        var y = PadGather(x, dims >= 2 ? maps[1] : Enumerable.Range(0, h).ToArray(), maps[0], value);
        if (input.Rank == 1) y = y.Squeeze(0);
        // Further dimensions one at a time: dimension d of y as the rows of (outer, size, inner).
        for (int k = 2; k < dims; k++)
        {
            int d = input.Rank - 1 - k;
            int[] dimsNow = y.Dims;
            int outer = Shapes.Size(dimsNow[..d]), inner = Shapes.Size(dimsNow[(d + 1)..]);
            var folded = y.Reshape(outer, dimsNow[d], inner);
            var padded = PadGather(folded, maps[k], Enumerable.Range(0, inner).ToArray(), value);
            int[] shape = (int[])dimsNow.Clone();
            shape[d] = maps[k].Length;
            y = padded.Reshape(shape);
        }
        return y;
    }

    /// <summary>
    /// The padding of <c>nn.Conv1d</c>/<c>nn.Conv2d</c> with <c>padding_mode</c> "reflect",
    /// "replicate" or "circular" (PyTorch pads with <c>F.pad</c>, then convolves with padding 0):
    /// the last two dimensions of <paramref name="x"/> grow by (top, bottom) and (left, right).
    /// </summary>
    internal static Tensor PadForConv(string op, Tensor x, string mode, int top, int bottom, int left, int right)
    {
        int h = x.Dims[^2], w = x.Dims[^1];
        int[] rows = PadMap(op, mode, h, top, bottom, x), cols = PadMap(op, mode, w, left, right, x);
        return PadGather(x, rows, cols, 0);
    }

    /// <summary>For each padded index, the input index it copies (-1: the constant).</summary>
    private static int[] PadMap(string op, string mode, int size, int before, int after, Tensor x)
    {
        if (before == 0 && after == 0) return Enumerable.Range(0, size).ToArray();
        bool ok = mode switch
        {
            "reflect" => before < size && after < size,
            "circular" => before <= size && after <= size,
            "constant" => before + size + after >= 0,
            _ => size > 0,
        };
        if (!ok)
        {
            string need = mode switch { "reflect" => "smaller than", "constant" => "leaving a non-negative size from", _ => "at most" };
            throw new ArgumentException($"{op}: {(op == "Pad" ? "mode" : "padding_mode")} '{mode}' needs a padding ({before}, {after}) {need} the input size {size} of that dimension (input {Shapes.Format(x.Dims)}).", "input");
        }
        var map = new int[before + size + after];
        for (int i = 0; i < map.Length; i++)
        {
            int s = i - before;
            map[i] = mode switch
            {
                "constant" => (uint)s < (uint)size ? s : -1,
                "reflect" => s < 0 ? -s : s >= size ? 2 * (size - 1) - s : s,
                "replicate" => Math.Clamp(s, 0, size - 1),
                _ => ((s % size) + size) % size,
            };
        }
        return map;
    }

    /// <summary>y[..., i, j] = x[..., rows[i], cols[j]] (the fill where either is -1), recorded: its backward is the scatter.</summary>
    private static Tensor PadGather(Tensor x, int[] rows, int[] cols, double fill)
    {
        int h = x.Dims[^2], w = x.Dims[^1], planes = x.NumberOfElements / Math.Max(1, h * w);
        if (h * w == 0) planes = Shapes.Size(x.Dims[..^2]);
        var y = Tensor.Uninitialized([.. x.Dims[..^2], rows.Length, cols.Length], x.DType);
        DTypeDispatch.RunFloat(x.DType, new PadCall(x, planes, h, w, rows, cols, fill, y, scatter: false));
        return Tape.Record(y, "Pad", [x], grad => [PadScatter(grad, h, w, rows, cols)]);
    }

    /// <summary>dx = 0; dx[..., rows[i], cols[j]] += g[..., i, j] where neither is -1, recorded: its backward is the gather (fill 0).</summary>
    private static Tensor PadScatter(Tensor grad, int h, int w, int[] rows, int[] cols)
    {
        int planes = Shapes.Size(grad.Dims[..^2]);
        var x = Tensor.Uninitialized([.. grad.Dims[..^2], h, w], grad.DType);
        DTypeDispatch.RunFloat(grad.DType, new PadCall(grad, planes, h, w, rows, cols, 0, x, scatter: true));
        return Tape.Record(x, "PadBackward", [grad], g => [PadGather(g, rows, cols, 0)]);
    }

    private readonly struct PadCall(Tensor src, int planes, int h, int w, int[] rows, int[] cols, double fill, Tensor dst, bool scatter) : IFloatKernelCall
    {
        public void Run<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            if (scatter) PadKernels.Scatter<T>(src.Buffer<T>(), planes, h, w, rows, cols, dst.Buffer<T>());
            else PadKernels.Gather<T>(src.Buffer<T>(), planes, h, w, rows, cols, T.CreateTruncating(fill), dst.Buffer<T>());
        }
    }
}
