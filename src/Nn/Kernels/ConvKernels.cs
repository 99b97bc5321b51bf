using System.Numerics;
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
}

/// <summary>
/// The span loops of the convolutions (src/Nn/Functional/Conv.cs): im2col, col2im, the output
/// layout change with the bias, and the bias gradient. The products themselves go through
/// <see cref="MatMulKernel"/>; nothing here depends on the vector width, and col2im adds each
/// input element's contributions in one fixed order (kernel row, kernel column, output position).
/// </summary>
internal static class ConvKernels
{
    /// <summary>
    /// im2col: cols[(c·KH + i)·KW + j, n·L + oh·OW + ow] = x[n, c, oh·sh - ph + i·dh, ow·sw - pw + j·dw],
    /// 0 where that index falls in the padding. cols is (C·KH·KW, N·OH·OW), row-major.
    /// </summary>
    public static void Im2Col<T>(ReadOnlySpan<T> x, in ConvGeometry g, Span<T> cols) where T : unmanaged, INumberBase<T>
    {
        int hw = g.H * g.W, l = g.L, columns = g.Columns;
        for (int c = 0; c < g.C; c++)
            for (int i = 0; i < g.KH; i++)
                for (int j = 0; j < g.KW; j++)
                {
                    var row = cols.Slice(((c * g.KH + i) * g.KW + j) * columns, columns);
                    for (int n = 0; n < g.N; n++)
                    {
                        var plane = x.Slice((n * g.C + c) * hw, hw);
                        var dst = row.Slice(n * l, l);
                        for (int oh = 0; oh < g.OH; oh++)
                        {
                            int h = oh * g.StrideH - g.PadH + i * g.DilationH;
                            var line = dst.Slice(oh * g.OW, g.OW);
                            if ((uint)h >= (uint)g.H) { line.Clear(); continue; }
                            var src = plane.Slice(h * g.W, g.W);
                            int w0 = j * g.DilationW - g.PadW;
                            for (int ow = 0; ow < g.OW; ow++)
                            {
                                int w = w0 + ow * g.StrideW;
                                line[ow] = (uint)w < (uint)g.W ? src[w] : T.Zero;
                            }
                        }
                    }
                }
    }

    /// <summary>
    /// col2im, the adjoint of <see cref="Im2Col{T}"/>: x = 0, then x[n, c, h, w] += cols[row, column]
    /// for every (row, column) that im2col read from (n, c, h, w), rows in order, columns in order.
    /// </summary>
    public static void Col2Im<T>(ReadOnlySpan<T> cols, in ConvGeometry g, Span<T> x) where T : unmanaged, INumberBase<T>
    {
        x.Clear();
        int hw = g.H * g.W, l = g.L, columns = g.Columns;
        for (int c = 0; c < g.C; c++)
            for (int i = 0; i < g.KH; i++)
                for (int j = 0; j < g.KW; j++)
                {
                    var row = cols.Slice(((c * g.KH + i) * g.KW + j) * columns, columns);
                    for (int n = 0; n < g.N; n++)
                    {
                        var plane = x.Slice((n * g.C + c) * hw, hw);
                        var src = row.Slice(n * l, l);
                        for (int oh = 0; oh < g.OH; oh++)
                        {
                            int h = oh * g.StrideH - g.PadH + i * g.DilationH;
                            if ((uint)h >= (uint)g.H) continue;
                            var dst = plane.Slice(h * g.W, g.W);
                            var line = src.Slice(oh * g.OW, g.OW);
                            int w0 = j * g.DilationW - g.PadW;
                            for (int ow = 0; ow < g.OW; ow++)
                            {
                                int w = w0 + ow * g.StrideW;
                                if ((uint)w < (uint)g.W) dst[w] += line[ow];
                            }
                        }
                    }
                }
    }

    /// <summary>
    /// The forward products, one per group: Y_g (O/groups, N·L) = W_g (O/groups, Kg) · cols_g (Kg, N·L),
    /// each element one FMA chain over the Kg terms in order (<see cref="MatMulKernel"/>).
    /// </summary>
    public static void Forward<T>(ReadOnlySpan<T> weight, ReadOnlySpan<T> cols, in ConvGeometry g, Span<T> y) where T : unmanaged
    {
        int og = g.O / g.Groups, kg = g.GroupRows, columns = g.Columns;
        for (int k = 0; k < g.Groups; k++)
            MatMulKernel.Gemm(false, false, og, columns, kg,
                weight.Slice(k * og * kg, og * kg), cols.Slice(k * kg * columns, kg * columns), y.Slice(k * og * columns, og * columns),
                false, KernelWidth.Current, Threading.NumThreads, MatMulKernel.ParallelThreshold);
    }

    /// <summary>The weight gradient, one product per group: dW_g (O/groups, Kg) = G_g (O/groups, N·L) · cols_gᵀ.</summary>
    public static void WeightGradient<T>(ReadOnlySpan<T> gradRows, ReadOnlySpan<T> cols, in ConvGeometry g, Span<T> gradWeight) where T : unmanaged
    {
        int og = g.O / g.Groups, kg = g.GroupRows, columns = g.Columns;
        for (int k = 0; k < g.Groups; k++)
            MatMulKernel.Gemm(false, true, og, kg, columns,
                gradRows.Slice(k * og * columns, og * columns), cols.Slice(k * kg * columns, kg * columns), gradWeight.Slice(k * og * kg, og * kg),
                false, KernelWidth.Current, Threading.NumThreads, MatMulKernel.ParallelThreshold);
    }

    /// <summary>The column gradient, one product per group: dcols_g (Kg, N·L) = W_gᵀ · G_g (O/groups, N·L).</summary>
    public static void ColumnGradient<T>(ReadOnlySpan<T> weight, ReadOnlySpan<T> gradRows, in ConvGeometry g, Span<T> gradCols) where T : unmanaged
    {
        int og = g.O / g.Groups, kg = g.GroupRows, columns = g.Columns;
        for (int k = 0; k < g.Groups; k++)
            MatMulKernel.Gemm(true, false, kg, columns, og,
                weight.Slice(k * og * kg, og * kg), gradRows.Slice(k * og * columns, og * columns), gradCols.Slice(k * kg * columns, kg * columns),
                false, KernelWidth.Current, Threading.NumThreads, MatMulKernel.ParallelThreshold);
    }

    /// <summary>
    /// y[n, o, p] = rows[o, n·L + p] + bias[o] (no bias when <paramref name="bias"/> is empty):
    /// the products' (O, N·L) layout to PyTorch's (N, O, L).
    /// </summary>
    public static void RowsToOutput<T>(ReadOnlySpan<T> rows, ReadOnlySpan<T> bias, int n, int o, int l, Span<T> y) where T : unmanaged, INumberBase<T>
    {
        for (int s = 0; s < n; s++)
            for (int c = 0; c < o; c++)
            {
                var src = rows.Slice((c * n + s) * l, l);
                var dst = y.Slice((s * o + c) * l, l);
                if (bias.IsEmpty) src.CopyTo(dst);
                else
                {
                    T b = bias[c];
                    for (int p = 0; p < l; p++) dst[p] = src[p] + b;
                }
            }
    }

    /// <summary>rows[o, n·L + p] = g[n, o, p]: an output gradient in the products' layout.</summary>
    public static void OutputToRows<T>(ReadOnlySpan<T> g, int n, int o, int l, Span<T> rows) where T : unmanaged
    {
        for (int s = 0; s < n; s++)
            for (int c = 0; c < o; c++)
                g.Slice((s * o + c) * l, l).CopyTo(rows.Slice((c * n + s) * l, l));
    }

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
