using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Autograd.Kernels;

namespace Autograd.Nn;

/// <summary>
/// The shape of one 2-D convolution: input (N, C, H, W), weight (O, C / groups, KH, KW), output
/// (N, O, OH, OW), with the padding before each spatial dimension (the padding after it is
/// implied by the output size, which is how the asymmetric "same" padding of an even kernel fits).
/// </summary>
internal readonly record struct ConvGeometry(
    int N, int C, int H, int W, int O, int KH, int KW,
    int StrideH, int StrideW, int PadH, int PadW, int DilationH, int DilationW, int Groups, int OH, int OW)
{
    /// <summary>Rows of the column matrix: C · KH · KW (group g owns rows g·Kg .. (g+1)·Kg - 1).</summary>
    public int Rows => C * KH * KW;

    /// <summary>Rows of one group's column matrix, (C / groups) · KH · KW: the depth of its products.</summary>
    public int GroupRows => C / Groups * KH * KW;

    /// <summary>Output positions of one sample, OH · OW.</summary>
    public int L => OH * OW;

    /// <summary>Columns of the column matrix: N · OH · OW.</summary>
    public int Columns => N * OH * OW;

    /// <summary>
    /// True when every tap of every window is inside the input (no padding before, and none
    /// implied after, as "same" with an even kernel has) and the column stride is 1: im2col then
    /// copies whole rows.
    /// </summary>
    public bool UnpaddedRows => PadH == 0 && PadW == 0 && StrideW == 1
        && (OH - 1) * StrideH + (KH - 1) * DilationH < H && OW - 1 + (KW - 1) * DilationW < W;
}

/// <summary>
/// The span loops of the convolutions (src/Nn/Functional/Conv.cs): im2col, col2im, the forward
/// and the input gradient a sample at a time (im2col or col2im around that sample's products),
/// the output gradient's layout change, and the weight and bias gradients. The products
/// themselves go through <see cref="MatMulKernel"/>; nothing here depends on the vector width or
/// the thread count, and col2im adds each input element's contributions in one fixed order
/// (kernel row, kernel column, output position).
/// </summary>
internal static class ConvKernels
{
    /// <summary>
    /// im2col: cols[(c·KH + i)·KW + j, n·L + oh·OW + ow] = x[n, c, oh·sh - ph + i·dh, ow·sw - pw + j·dw],
    /// 0 where that index falls in the padding. cols is (C·KH·KW, N·OH·OW), row-major. The (n, c)
    /// planes are split over threads (<see cref="PlaneParallel"/>): each writes its own segments of cols.
    /// </summary>
    public static void Im2Col<T>(T[] x, ConvGeometry g, T[] cols) where T : unmanaged, INumberBase<T>
        => PlaneParallel.For(g.N * g.C, (long)g.KH * g.KW * g.L, (first, end) => Im2ColPlanes<T>(x, g, cols, first, end));

    /// <summary><see cref="Im2Col{T}"/> for the planes p = n·C + c in <paramref name="first"/> .. <paramref name="end"/> - 1.</summary>
    public static void Im2ColPlanes<T>(ReadOnlySpan<T> x, in ConvGeometry g, Span<T> cols, int first, int end) where T : unmanaged, INumberBase<T>
    {
        int hw = g.H * g.W, l = g.L, columns = g.Columns;
        for (int p = first; p < end; p++)
        {
            int n = p / g.C, c = p % g.C;
            var plane = x.Slice(p * hw, hw);
            for (int i = 0; i < g.KH; i++)
                for (int j = 0; j < g.KW; j++)
                {
                    var dst = cols.Slice(((c * g.KH + i) * g.KW + j) * columns + n * l, l);
                    if (g.UnpaddedRows)
                    {
                        // No padding, unit column stride: output row oh is input row oh·sh + i·dh from column j·dw on.
                        int offset = i * g.DilationH * g.W + j * g.DilationW;
                        ShortSpans.CopyRows(plane.Slice(offset, (g.OH - 1) * g.StrideH * g.W + g.OW), g.StrideH * g.W, dst, g.OW, g.OH);
                        continue;
                    }
                    var (w0, lo, hi) = ValidColumns(g, j);
                    for (int oh = 0; oh < g.OH; oh++)
                    {
                        int h = oh * g.StrideH - g.PadH + i * g.DilationH;
                        var line = dst.Slice(oh * g.OW, g.OW);
                        if ((uint)h >= (uint)g.H) { line.Clear(); continue; }
                        var src = plane.Slice(h * g.W, g.W);
                        if (lo > 0) line[..lo].Clear();
                        if (hi < line.Length) line[hi..].Clear();
                        if (g.StrideW == 1) ShortSpans.Copy(src.Slice(w0 + lo, hi - lo), line[lo..hi]);
                        else
                            for (int ow = lo; ow < hi; ow++) line[ow] = src[w0 + ow * g.StrideW];
                    }
                }
        }
    }

    /// <summary>
    /// The output columns ow in lo .. hi - 1 whose input column w0 + ow·sw (w0 = j·dw - pw) lies
    /// inside the input; the others read the padding.
    /// </summary>
    private static (int W0, int Lo, int Hi) ValidColumns(in ConvGeometry g, int j)
    {
        int w0 = j * g.DilationW - g.PadW;
        int lo = w0 >= 0 ? 0 : Math.Min(g.OW, (-w0 + g.StrideW - 1) / g.StrideW);
        int hi = w0 > g.W - 1 ? 0 : Math.Min(g.OW, (g.W - 1 - w0) / g.StrideW + 1);
        return (w0, lo, Math.Max(lo, hi));
    }

    /// <summary>
    /// col2im, the adjoint of <see cref="Im2Col{T}"/>: x = 0, then x[n, c, h, w] += cols[row, column]
    /// for every (row, column) that im2col read from (n, c, h, w), rows in order, columns in order.
    /// Each (n, c) plane is summed by one thread, in that order (<see cref="PlaneParallel"/>).
    /// </summary>
    public static void Col2Im<T>(T[] cols, ConvGeometry g, T[] x) where T : unmanaged, INumberBase<T>
        => PlaneParallel.For(g.N * g.C, (long)g.KH * g.KW * g.L, (first, end) => Col2ImPlanes<T>(cols, g, x, first, end));

    /// <summary>
    /// <see cref="Col2Im{T}"/> for the planes p = n·C + c in <paramref name="first"/> .. <paramref name="end"/> - 1.
    /// An element of a plane receives at most one term per kernel tap (i, j), and the taps are
    /// visited in order, so each element's sum is the one of the row-by-row loop; a stride-1 line
    /// adds its in-range terms with <see cref="ShortSpans.AddTo{T}"/> (one rounding per element, as the scalar loop).
    /// </summary>
    public static void Col2ImPlanes<T>(ReadOnlySpan<T> cols, in ConvGeometry g, Span<T> x, int first, int end) where T : unmanaged, INumberBase<T>
    {
        int hw = g.H * g.W, l = g.L, columns = g.Columns;
        for (int p = first; p < end; p++)
        {
            int n = p / g.C, c = p % g.C;
            var plane = x.Slice(p * hw, hw);
            plane.Clear();
            for (int i = 0; i < g.KH; i++)
                for (int j = 0; j < g.KW; j++)
                {
                    var src = cols.Slice(((c * g.KH + i) * g.KW + j) * columns + n * l, l);
                    if (g.UnpaddedRows)
                    {
                        int offset = i * g.DilationH * g.W + j * g.DilationW;
                        ShortSpans.AddRows(src, g.OW, g.OH, plane.Slice(offset, (g.OH - 1) * g.StrideH * g.W + g.OW), g.StrideH * g.W);
                        continue;
                    }
                    var (w0, lo, hi) = ValidColumns(g, j);
                    if (lo == hi) continue;
                    for (int oh = 0; oh < g.OH; oh++)
                    {
                        int h = oh * g.StrideH - g.PadH + i * g.DilationH;
                        if ((uint)h >= (uint)g.H) continue;
                        var dst = plane.Slice(h * g.W, g.W);
                        var line = src.Slice(oh * g.OW, g.OW);
                        if (g.StrideW == 1)
                        {
                            ShortSpans.AddTo(line[lo..hi], dst.Slice(w0 + lo, hi - lo));
                        }
                        else
                            for (int ow = lo; ow < hi; ow++) dst[w0 + ow * g.StrideW] += line[ow];
                    }
                }
        }
    }

    /// <summary>
    /// The whole forward, a sample at a time: cols_n = im2col(x[n]) (C·KH·KW, L) in a scratch
    /// array, y[n, group k] (O/groups, L) = W_k · cols_n,k, then y[n, o, :] += bias[o]. Samples are
    /// split over threads (<see cref="PlaneParallel"/>), each product on its own thread. Each
    /// element is the same FMA chain over the Kg terms in order as in the whole-batch product
    /// Y = W · cols (<see cref="MatMulKernel"/>: the bits of an element never depend on the other
    /// columns), plus the bias, so this equals the whole-batch form bit for bit, with the columns
    /// of one sample still in cache for its product. When <paramref name="keptCols"/> is given,
    /// the columns are written there instead of a scratch array, sample after sample
    /// ((N, C·KH·KW, L), <see cref="WeightGradientBySample{T}"/>'s layout), for the weight gradient.
    /// </summary>
    public static void ForwardBySample<T>(T[] x, T[] weight, T[]? bias, ConvGeometry g, T[]? keptCols, T[] y) where T : unmanaged, INumberBase<T>
        => PlaneParallel.For(g.N, (long)g.Rows * g.L + (long)g.O * g.L, (first, end) =>
        {
            var one = g with { N = 1 };
            int chw = g.C * g.H * g.W, l = g.L, rows = g.Rows, og = g.O / g.Groups, kg = g.GroupRows;
            var scratch = keptCols is null ? BufferPool.Rent<T>(rows * l) : null;
            for (int n = first; n < end; n++)
            {
                Span<T> cols = scratch is not null ? scratch : keptCols.AsSpan(n * rows * l, rows * l);
                Im2ColPlanes<T>(x.AsSpan(n * chw, chw), one, cols, 0, g.C);
                var yn = y.AsSpan(n * g.O * l, g.O * l);
                for (int k = 0; k < g.Groups; k++)
                    MatMulKernel.Gemm<T>(false, false, og, l, kg,
                        weight.AsSpan(k * og * kg, og * kg), cols.Slice(k * kg * l, kg * l), yn.Slice(k * og * l, og * l),
                        false, KernelWidth.Current, 1, MatMulKernel.ParallelThreshold);
                if (bias is not null)
                    for (int o = 0; o < g.O; o++)
                    {
                        var line = yn.Slice(o * l, l);
                        TensorPrimitives.Add(line, bias[o], line);
                    }
            }
            if (scratch is not null) BufferPool.Return(scratch);
        });

    /// <summary>
    /// cols[n] = im2col(x[n]) (C·KH·KW, L) for every sample, samples after one another (the layout
    /// <see cref="ForwardBySample{T}"/> keeps), samples split over threads.
    /// </summary>
    public static void Im2ColBySample<T>(T[] x, ConvGeometry g, T[] cols) where T : unmanaged, INumberBase<T>
        => PlaneParallel.For(g.N, (long)g.Rows * g.L, (first, end) =>
        {
            var one = g with { N = 1 };
            int chw = g.C * g.H * g.W, block = g.Rows * g.L;
            for (int n = first; n < end; n++) Im2ColPlanes<T>(x.AsSpan(n * chw, chw), one, cols.AsSpan(n * block, block), 0, g.C);
        });

    /// <summary>
    /// The weight gradient from the columns a sample at a time ((N, C·KH·KW, L), as
    /// <see cref="ForwardBySample{T}"/> keeps them): per group, dW_k = Σ_n G[n, group k] · cols[n, group k]ᵀ,
    /// the samples' products accumulated into dW in order. A product that accumulates continues
    /// each element's FMA chain from C (<see cref="MatMulKernel"/>), so every element is the one
    /// chain over all N·L columns in order of the whole-batch product G · colsᵀ, bit for bit. The
    /// kernel taps (columns of dW) are split over threads (each range is its own chains, and each
    /// part packs only its rows of the columns).
    /// </summary>
    public static void WeightGradientBySample<T>(T[] gradOutput, T[] cols, ConvGeometry g, T[] gradWeight) where T : unmanaged, INumberBase<T>
    {
        int og = g.O / g.Groups, kg = g.GroupRows, l = g.L, rows = g.Rows * g.L;
        if (g.N == 0)
        {
            gradWeight.AsSpan(0, g.O * kg).Clear(); // no columns: every sum is empty
            return;
        }
        for (int k = 0; k < g.Groups; k++)
        {
            int group = k;
            // Columns of dW_k (kernel taps) split over threads: each part reads only its rows of
            // the columns matrix, accumulates its (O/groups, taps) block in a scratch array, and
            // copies it into dW's rows at the end.
            PlaneParallel.For(kg, (long)og * g.Columns, (first, end) =>
            {
                int taps = end - first;
                var block = BufferPool.Rent<T>(og * taps);
                for (int n = 0; n < g.N; n++)
                    MatMulKernel.Gemm<T>(false, true, og, taps, l,
                        gradOutput.AsSpan((n * g.O + group * og) * l, og * l), cols.AsSpan(n * rows + (group * kg + first) * l, taps * l), block.AsSpan(0, og * taps),
                        n > 0, KernelWidth.Current, 1, MatMulKernel.ParallelThreshold);
                for (int o = 0; o < og; o++) block.AsSpan(o * taps, taps).CopyTo(gradWeight.AsSpan((group * og + o) * kg + first, taps));
                BufferPool.Return(block);
            }, maxParts: Threading.NumThreads);
        }
    }

    /// <summary>
    /// The input gradient, a sample at a time: dcols_n (C·KH·KW, L) = W_kᵀ · G[n, group k] per group
    /// (G[n] is the output gradient's (O, L) block, read in place), then dx[n] = col2im(dcols_n).
    /// Samples are split over threads. Each dcols element is the same FMA chain over the O/groups
    /// terms in order as in the whole-batch product, and col2im adds each element's terms in the
    /// same order, so this equals the whole-batch form bit for bit.
    /// </summary>
    public static void InputGradientBySample<T>(T[] weight, T[] gradOutput, ConvGeometry g, T[] gradInput) where T : unmanaged, INumberBase<T>
        => PlaneParallel.For(g.N, (long)g.Rows * g.L + (long)g.C * g.H * g.W, (first, end) =>
        {
            var one = g with { N = 1 };
            int chw = g.C * g.H * g.W, l = g.L, rows = g.Rows, og = g.O / g.Groups, kg = g.GroupRows;
            var cols = BufferPool.Rent<T>(rows * l);
            for (int n = first; n < end; n++)
            {
                var gn = gradOutput.AsSpan(n * g.O * l, g.O * l);
                for (int k = 0; k < g.Groups; k++)
                    MatMulKernel.Gemm<T>(true, false, kg, l, og,
                        weight.AsSpan(k * og * kg, og * kg), gn.Slice(k * og * l, og * l), cols.AsSpan(k * kg * l, kg * l),
                        false, KernelWidth.Current, 1, MatMulKernel.ParallelThreshold);
                Col2ImPlanes<T>(cols, one, gradInput.AsSpan(n * chw, chw), 0, g.C);
            }
            BufferPool.Return(cols);
        });

    /// <summary>rows[o, n·L + p] = g[n, o, p]: an output gradient in the products' layout, the (n, o) planes split over threads.</summary>
    public static void OutputToRows<T>(T[] g, int n, int o, int l, T[] rows) where T : unmanaged
        => PlaneParallel.For(n * o, l, (first, end) =>
        {
            for (int p = first; p < end; p++)
            {
                int s = p / o, c = p % o;
                g.AsSpan(p * l, l).CopyTo(rows.AsSpan((c * n + s) * l, l));
            }
        });

    /// <summary>
    /// The bias gradient db[o] = Σ rows[o, :], each row summed by <see cref="FixedOrderSum"/>
    /// (16 partial sums in double, a fixed tree), rounded once to T.
    /// </summary>
    public static void BiasGradient<T>(ReadOnlySpan<T> rows, int o, int columns, Span<T> gradBias) where T : unmanaged, INumberBase<T>
    {
        for (int c = 0; c < o; c++)
        {
            var row = rows.Slice(c * columns, columns);
            double s = typeof(T) == typeof(float)
                ? FixedOrderSum.Sum(MemoryMarshal.Cast<T, float>(row))
                : FixedOrderSum.Sum(MemoryMarshal.Cast<T, double>(row));
            gradBias[c] = T.CreateTruncating(s);
        }
    }
}
