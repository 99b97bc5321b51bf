using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Autograd.Nn;

/// <summary>
/// The shape of one 2-D pooling: <see cref="Planes"/> = N · C planes of (H, W) pooled to (OH, OW).
/// A window either follows the kernel (start o·s - p, taps every d, <see cref="Adaptive"/> false)
/// or PyTorch's adaptive formula (rows ⌊o·H/OH⌋ .. ⌈(o+1)·H/OH⌉ - 1, <see cref="Adaptive"/> true).
/// </summary>
internal readonly record struct PoolGeometry(
    int Planes, int H, int W, int OH, int OW, int KH, int KW, int SH, int SW, int PH, int PW, int DH, int DW,
    bool Adaptive, bool CountIncludePad = true, int DivisorOverride = 0)
{
    /// <summary>
    /// A (1, 1) adaptive average: PyTorch 1.13 computes it as <c>mean((-1, -2))</c>, a cascade sum
    /// (<see cref="TorchSum.Contiguous{T}"/>) divided once by H·W, and so does the kernel here.
    /// </summary>
    public bool IsGlobalMean => Adaptive && OH == 1 && OW == 1;

    /// <summary>The window of output row <paramref name="o"/>: input rows start, start + step, ... below end.</summary>
    public (int Start, int End, int Step) Rows(int o) => Window(o, OH, H, KH, SH, PH, DH);

    /// <summary>The window of output column <paramref name="o"/>.</summary>
    public (int Start, int End, int Step) Cols(int o) => Window(o, OW, W, KW, SW, PW, DW);

    private (int, int, int) Window(int o, int outSize, int inSize, int k, int s, int p, int d)
    {
        if (Adaptive) return ((int)((long)o * inSize / outSize), (int)(((long)(o + 1) * inSize + outSize - 1) / outSize), 1);
        // PyTorch's cpu_max_pool: end = min(start + (k - 1) d + 1, size); start stepped by d past the padding.
        int start = o * s - p, end = Math.Min(start + (k - 1) * d + 1, inSize);
        while (start < 0) start += d;
        return (start, end, d);
    }
}

/// <summary>
/// The span loops of the poolings (src/Nn/Functional/Pooling.cs), each written as PyTorch 1.13's CPU
/// kernel for contiguous (N, C, H, W) tensors (<c>MaxPoolKernel.cpp</c>, <c>AvgPoolKernel.cpp</c>,
/// <c>AdaptiveAvgPoolKernel.cpp</c>, <c>AdaptiveMaxPoolKernel.cpp</c>): one scalar loop per output
/// element, the window scanned row by row, sums accumulated in T in that order. Nothing depends on
/// the vector width, so the bits are PyTorch's on every machine.
/// </summary>
internal static class PoolKernels
{
    /// <summary>
    /// y[p, o] = the window's maximum, index[p, o] = its position h·W + w in the plane: the first
    /// strict maximum in scan order, or the last NaN (PyTorch's <c>val &gt; max || isnan(val)</c>).
    /// A window of -∞ only keeps its first position. The planes are split over threads
    /// (<see cref="PlaneParallel"/>); the common 2×2, stride-2 pool takes <see cref="MaxForward2x2"/>.
    /// </summary>
    public static void MaxForward<T>(T[] x, PoolGeometry g, T[] y, long[] index) where T : unmanaged, IFloatingPointIeee754<T>
        => PlaneParallel.For(g.Planes, (long)g.H * g.W, (first, end) =>
        {
            int hw = g.H * g.W, l = g.OH * g.OW;
            var src = x.AsSpan(first * hw, (end - first) * hw);
            var dst = y.AsSpan(first * l, (end - first) * l);
            var idx = index.AsSpan(first * l, (end - first) * l);
            if (Is2x2(g)) MaxForward2x2(src, g, end - first, dst, idx);
            else MaxForwardPlanes(src, g, end - first, dst, idx);
        });

    /// <summary>
    /// True for a 2×2 window with stride 2, no padding, no dilation, not adaptive, every window
    /// inside the input (so no window is clipped): <c>MaxPool2d(2)</c>.
    /// </summary>
    public static bool Is2x2(in PoolGeometry g)
        => !g.Adaptive && g.KH == 2 && g.KW == 2 && g.SH == 2 && g.SW == 2 && g.PH == 0 && g.PW == 0
           && g.DH == 1 && g.DW == 1 && 2 * g.OH <= g.H && 2 * g.OW <= g.W;

    /// <summary>
    /// <see cref="MaxForward{T}"/>'s general loop over <paramref name="planes"/> planes: any
    /// window (kernel, stride, padding, dilation or adaptive), clipped to the input.
    /// </summary>
    public static void MaxForwardPlanes<T>(ReadOnlySpan<T> x, in PoolGeometry g, int planes, Span<T> y, Span<long> index) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int hw = g.H * g.W, l = g.OH * g.OW;
        for (int p = 0; p < planes; p++)
        {
            var plane = x.Slice(p * hw, hw);
            for (int oh = 0; oh < g.OH; oh++)
            {
                var (h0, h1, dh) = g.Rows(oh);
                for (int ow = 0; ow < g.OW; ow++)
                {
                    var (w0, w1, dw) = g.Cols(ow);
                    long best = (long)h0 * g.W + w0;
                    T max = T.NegativeInfinity;
                    for (int h = h0; h < h1; h += dh)
                        for (int w = w0; w < w1; w += dw)
                        {
                            T v = plane[h * g.W + w];
                            if (v > max || T.IsNaN(v)) { max = v; best = h * g.W + w; }
                        }
                    y[p * l + oh * g.OW + ow] = max;
                    index[p * l + oh * g.OW + ow] = best;
                }
            }
        }
    }

    /// <summary>
    /// The general loop specialised to <see cref="Is2x2"/> windows: the four taps a, b (row h) and
    /// c, d (row h + 1) compared in scan order with the same rule. The general loop starts from
    /// max = -∞ and position a; its first step leaves max = a and position a whatever a is (-∞
    /// included), so starting from a gives the same value and index.
    /// </summary>
    public static void MaxForward2x2<T>(ReadOnlySpan<T> x, in PoolGeometry g, int planes, Span<T> y, Span<long> index) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = g.W, hw = g.H * g.W, ow = g.OW, l = g.OH * g.OW;
        for (int p = 0; p < planes; p++)
        {
            var plane = x.Slice(p * hw, hw);
            var yp = y.Slice(p * l, l);
            var ip = index.Slice(p * l, l);
            for (int oh = 0; oh < g.OH; oh++)
            {
                int r = 2 * oh * w;
                var top = plane.Slice(r, 2 * ow);
                var bottom = plane.Slice(r + w, 2 * ow);
                var yl = yp.Slice(oh * ow, ow);
                var il = ip.Slice(oh * ow, ow);
                int done = typeof(T) == typeof(float)
                    ? MaxRow2x2(MemoryMarshal.Cast<T, float>(top), MemoryMarshal.Cast<T, float>(bottom), r, w, MemoryMarshal.Cast<T, float>(yl), il)
                    : 0;
                for (int q = done; q < yl.Length && q < il.Length; q++)
                {
                    int at = r + 2 * q;
                    T max = top[2 * q], v = top[2 * q + 1];
                    if (v > max || T.IsNaN(v)) { max = v; at = r + 2 * q + 1; }
                    v = bottom[2 * q];
                    if (v > max || T.IsNaN(v)) { max = v; at = r + w + 2 * q; }
                    v = bottom[2 * q + 1];
                    if (v > max || T.IsNaN(v)) { max = v; at = r + w + 2 * q + 1; }
                    yl[q] = max;
                    il[q] = at;
                }
            }
        }
    }

    /// <summary>
    /// Four windows at a time of one output row of <see cref="MaxForward2x2{T}"/> in Float32 on SSE:
    /// the taps a, b (top row) and c, d (bottom row) of four windows deinterleaved into vectors, then
    /// the same three steps "v &gt; max || isnan(v)" lane by lane (compare, select), so each window
    /// gets the scalar loop's value and index. Returns the windows done (a multiple of 4); the caller
    /// does the rest.
    /// </summary>
    private static int MaxRow2x2(ReadOnlySpan<float> top, ReadOnlySpan<float> bottom, int r, int w, Span<float> y, Span<long> index)
    {
        if (!Sse.IsSupported) return 0;
        int windows = Math.Min(y.Length, index.Length);
        if (top.Length < 2 * windows || bottom.Length < 2 * windows) return 0;
        ref float t = ref MemoryMarshal.GetReference(top);
        ref float b = ref MemoryMarshal.GetReference(bottom);
        ref float yr = ref MemoryMarshal.GetReference(y);
        ref long ir = ref MemoryMarshal.GetReference(index);
        var first = Vector128.Create(r) + Vector128.Create(0, 2, 4, 6); // position of tap a of the 4 windows
        var offB = Vector128.Create(1);
        var offC = Vector128.Create(w);
        var offD = Vector128.Create(w + 1);
        int q = 0;
        for (; q + 4 <= windows; q += 4)
        {
            var t0 = Vector128.LoadUnsafe(ref t, (nuint)(2 * q));
            var t1 = Vector128.LoadUnsafe(ref t, (nuint)(2 * q + 4));
            var b0 = Vector128.LoadUnsafe(ref b, (nuint)(2 * q));
            var b1 = Vector128.LoadUnsafe(ref b, (nuint)(2 * q + 4));
            var max = Sse.Shuffle(t0, t1, 0b10_00_10_00); // a: the even elements
            var off = Vector128<int>.Zero;
            Step(Sse.Shuffle(t0, t1, 0b11_01_11_01), offB, ref max, ref off); // b
            Step(Sse.Shuffle(b0, b1, 0b10_00_10_00), offC, ref max, ref off); // c
            Step(Sse.Shuffle(b0, b1, 0b11_01_11_01), offD, ref max, ref off); // d
            max.StoreUnsafe(ref yr, (nuint)q);
            var at = first + Vector128.Create(2 * q) + off;
            Vector128.WidenLower(at).StoreUnsafe(ref ir, (nuint)q);
            Vector128.WidenUpper(at).StoreUnsafe(ref ir, (nuint)(q + 2));
        }
        return q;

        // max, off = v, offset where v > max || isnan(v) (lane by lane).
        static void Step(Vector128<float> v, Vector128<int> offset, ref Vector128<float> max, ref Vector128<int> off)
        {
            var take = Vector128.GreaterThan(v, max) | ~Vector128.Equals(v, v);
            max = Vector128.ConditionalSelect(take, v, max);
            off = Vector128.ConditionalSelect(take.AsInt32(), offset, off);
        }
    }

    /// <summary>The max pool's backward: dx = 0, then dx[p, index[p, o]] += grad[p, o], outputs in order; the planes split over threads.</summary>
    public static void MaxScatter<T>(T[] grad, long[] index, int planes, int hw, int l, T[] dx) where T : unmanaged, INumberBase<T>
        => PlaneParallel.For(planes, hw, (first, end) =>
        {
            for (int p = first; p < end; p++)
            {
                var plane = dx.AsSpan(p * hw, hw);
                plane.Clear();
                var g = grad.AsSpan(p * l, l);
                var at = index.AsSpan(p * l, l);
                for (int o = 0; o < g.Length && o < at.Length; o++) plane[(int)at[o]] += g[o];
            }
        });

    /// <summary>The adjoint of <see cref="MaxScatter{T}"/>: y[p, o] = x[p, index[p, o]].</summary>
    public static void MaxGather<T>(ReadOnlySpan<T> x, ReadOnlySpan<long> index, int planes, int hw, int l, Span<T> y) where T : unmanaged
    {
        for (int p = 0; p < planes; p++)
            for (int o = 0; o < l; o++) y[p * l + o] = x[p * hw + (int)index[p * l + o]];
    }

    /// <summary>
    /// y[p, o] = (Σ window) / divisor, summed in T in scan order; 0 for a window wholly in the
    /// padding. The divisor: the override if given; else the window clipped to the padded input
    /// (countIncludePad) or to the input. Adaptive windows divide twice, sum / kh / kw, as PyTorch does;
    /// a (1, 1) adaptive output is PyTorch's mean (<see cref="PoolGeometry.IsGlobalMean"/>).
    /// </summary>
    public static void AvgForward<T>(ReadOnlySpan<T> x, in PoolGeometry g, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int hw = g.H * g.W, l = g.OH * g.OW;
        for (int p = 0; p < g.Planes; p++)
        {
            var plane = x.Slice(p * hw, hw);
            for (int oh = 0; oh < g.OH; oh++)
                for (int ow = 0; ow < g.OW; ow++)
                {
                    var w = AvgWindow(g, oh, ow);
                    T sum = T.Zero;
                    if (g.IsGlobalMean) sum = TorchSum.Contiguous(plane);
                    else
                        for (int h = w.H0; h < w.H1; h++)
                            for (int c = w.W0; c < w.W1; c++) sum += plane[h * g.W + c];
                    y[p * l + oh * g.OW + ow] = w.Empty ? T.Zero : Divide(g, sum, w);
                }
        }
    }

    /// <summary>
    /// The avg pool's backward: dx = 0, then each output's grad[p, o] / divisor (the same division
    /// as the forward) added to every input of its window, outputs in order, windows in scan order.
    /// </summary>
    public static void AvgBackward<T>(ReadOnlySpan<T> grad, in PoolGeometry g, Span<T> dx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        dx.Clear();
        int hw = g.H * g.W, l = g.OH * g.OW;
        for (int p = 0; p < g.Planes; p++)
        {
            var plane = dx.Slice(p * hw, hw);
            for (int oh = 0; oh < g.OH; oh++)
                for (int ow = 0; ow < g.OW; ow++)
                {
                    var w = AvgWindow(g, oh, ow);
                    if (w.Empty) continue;
                    T delta = Divide(g, grad[p * l + oh * g.OW + ow], w);
                    for (int h = w.H0; h < w.H1; h++)
                        for (int c = w.W0; c < w.W1; c++) plane[h * g.W + c] += delta;
                }
        }
    }

    private readonly record struct Box(int H0, int H1, int W0, int W1, int PoolSize)
    {
        public bool Empty => H0 >= H1 || W0 >= W1;
    }

    /// <summary>PyTorch's cpu_avg_pool window: the kernel clipped to the padded input (pool size), then to the input.</summary>
    private static Box AvgWindow(in PoolGeometry g, int oh, int ow)
    {
        if (g.Adaptive)
        {
            var (h0, h1, _) = g.Rows(oh);
            var (w0, w1, _) = g.Cols(ow);
            return new Box(h0, h1, w0, w1, 0);
        }
        int ih0 = oh * g.SH - g.PH, iw0 = ow * g.SW - g.PW;
        int ih1 = Math.Min(ih0 + g.KH, g.H + g.PH), iw1 = Math.Min(iw0 + g.KW, g.W + g.PW);
        int poolSize = (ih1 - ih0) * (iw1 - iw0);
        return new Box(Math.Max(ih0, 0), Math.Min(ih1, g.H), Math.Max(iw0, 0), Math.Min(iw1, g.W), poolSize);
    }

    private static T Divide<T>(in PoolGeometry g, T value, Box w) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (g.IsGlobalMean) return value / T.CreateTruncating(g.H * g.W);
        if (g.Adaptive) return value / T.CreateTruncating(w.H1 - w.H0) / T.CreateTruncating(w.W1 - w.W0);
        int divisor = g.DivisorOverride != 0 ? g.DivisorOverride : g.CountIncludePad ? w.PoolSize : (w.H1 - w.H0) * (w.W1 - w.W0);
        return value / T.CreateTruncating(divisor);
    }
}

/// <summary>
/// The span loops of <see cref="Functional.Pad"/> (and of the convolutions' padding modes): a
/// padded copy through index maps, and its adjoint.
/// </summary>
internal static class PadKernels
{
    /// <summary>
    /// For each of <paramref name="planes"/> planes of (H, W): dst[p, i, j] = src[p, rows[i], cols[j]],
    /// or <paramref name="fill"/> where rows[i] or cols[j] is -1 (constant padding).
    /// </summary>
    public static void Gather<T>(ReadOnlySpan<T> src, int planes, int h, int w, int[] rows, int[] cols, T fill, Span<T> dst) where T : unmanaged
    {
        int ph = rows.Length, pw = cols.Length;
        for (int p = 0; p < planes; p++)
        {
            var plane = src.Slice(p * h * w, h * w);
            var outPlane = dst.Slice(p * ph * pw, ph * pw);
            for (int i = 0; i < ph; i++)
            {
                var outLine = outPlane.Slice(i * pw, pw);
                if (rows[i] < 0) { outLine.Fill(fill); continue; }
                var line = plane.Slice(rows[i] * w, w);
                for (int j = 0; j < pw; j++) outLine[j] = cols[j] < 0 ? fill : line[cols[j]];
            }
        }
    }

    /// <summary>The adjoint of <see cref="Gather{T}"/>: dst = 0, then dst[p, rows[i], cols[j]] += src[p, i, j], padded positions in order, -1 skipped.</summary>
    public static void Scatter<T>(ReadOnlySpan<T> src, int planes, int h, int w, int[] rows, int[] cols, Span<T> dst) where T : unmanaged, INumberBase<T>
    {
        dst.Clear();
        int ph = rows.Length, pw = cols.Length;
        for (int p = 0; p < planes; p++)
        {
            var plane = dst.Slice(p * h * w, h * w);
            var inPlane = src.Slice(p * ph * pw, ph * pw);
            for (int i = 0; i < ph; i++)
            {
                if (rows[i] < 0) continue;
                var line = plane.Slice(rows[i] * w, w);
                var inLine = inPlane.Slice(i * pw, pw);
                for (int j = 0; j < pw; j++)
                    if (cols[j] >= 0) line[cols[j]] += inLine[j];
            }
        }
    }
}
