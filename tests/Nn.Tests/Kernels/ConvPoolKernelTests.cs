using System.Numerics;
using NUnit.Framework;
using Shouldly;
using Autograd.Kernels;

namespace Autograd.Nn.Tests.Kernels;

/// <summary>
/// The fast paths of the convolution and pooling kernels against the loops they replace, bit for
/// bit: im2col's row copies and col2im's row additions against the element-by-element loops
/// (written out here as they were: rows in order, then samples, output rows and columns), the
/// 2×2 max pool against the general window loop (ties, NaN, ±∞), and every plane-split kernel at
/// 1, 2 and 3 threads. Shapes are large enough that the split really happens.
/// </summary>
[TestFixture]
public sealed class ConvPoolKernelTests
{
    private static readonly int[] ThreadCounts = [1, 2, 3];

    private static T[] Values<T>(int n, int seed, bool specials = false) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Random(seed);
        T[] special = [T.Zero, -T.Zero, T.NaN, T.PositiveInfinity, T.NegativeInfinity, T.One, T.One];
        var x = new T[n];
        for (int i = 0; i < n; i++)
            x[i] = specials && rng.Next(5) == 0 ? special[rng.Next(special.Length)]
                : specials && rng.Next(3) == 0 ? T.CreateTruncating(rng.Next(-2, 3)) // many ties
                : T.CreateTruncating(rng.NextDouble() * 2 - 1);
        return x;
    }

    private static void ShouldBeBitwise<T>(ReadOnlySpan<T> actual, ReadOnlySpan<T> expected, string what) where T : unmanaged, IFloatingPointIeee754<T>
    {
        actual.Length.ShouldBe(expected.Length, what);
        for (int i = 0; i < actual.Length; i++)
        {
            bool same = typeof(T) == typeof(float)
                ? BitConverter.SingleToInt32Bits((float)(object)actual[i]) == BitConverter.SingleToInt32Bits((float)(object)expected[i])
                : BitConverter.DoubleToInt64Bits((double)(object)actual[i]) == BitConverter.DoubleToInt64Bits((double)(object)expected[i]);
            if (!same) Assert.Fail($"{what}: element {i} is {actual[i]}, expected {expected[i]}.");
        }
    }

    private static void WithThreads(Action<int> body)
    {
        int before = Threading.NumThreads;
        try
        {
            foreach (int threads in ThreadCounts)
            {
                Threading.NumThreads = threads;
                body(threads);
            }
        }
        finally
        {
            Threading.NumThreads = before;
        }
    }

    /// <summary>Geometries: plain (LeNet's), padded, strided, dilated, a 1-D one (H = 1), and a padding wider than the kernel's reach.</summary>
    private static IEnumerable<TestCaseData> Geometries()
    {
        // N, C, H, W, KH, KW, stride (h, w), pad (h, w), dilation (h, w)
        yield return new TestCaseData(16, 1, 28, 28, 5, 5, 1, 1, 0, 0, 1, 1).SetName("Geometry_LeNetConv1");
        yield return new TestCaseData(16, 6, 12, 12, 5, 5, 1, 1, 0, 0, 1, 1).SetName("Geometry_LeNetConv2");
        yield return new TestCaseData(8, 3, 13, 11, 3, 3, 1, 1, 1, 1, 1, 1).SetName("Geometry_Padded");
        yield return new TestCaseData(8, 3, 17, 19, 3, 4, 2, 3, 1, 2, 1, 1).SetName("Geometry_StridedPadded");
        yield return new TestCaseData(8, 2, 15, 16, 3, 3, 1, 1, 2, 3, 2, 3).SetName("Geometry_DilatedPadded");
        yield return new TestCaseData(16, 4, 1, 70, 1, 5, 1, 2, 0, 4, 1, 2).SetName("Geometry_OneDimensional");
        yield return new TestCaseData(8, 2, 6, 5, 2, 2, 1, 1, 4, 5, 1, 1).SetName("Geometry_PaddingBeyondTheKernel");
        yield return new TestCaseData(8, 3, 19, 17, 3, 2, 2, 1, 0, 0, 2, 3).SetName("Geometry_NoPaddingRowStrideDilated");
    }

    private static ConvGeometry Geometry(int n, int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw)
    {
        int oh = (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1, ow = (w + 2 * pw - dw * (kw - 1) - 1) / sw + 1;
        return new ConvGeometry(n, c, h, w, 1, kh, kw, sh, sw, ph, pw, dh, dw, 1, oh, ow);
    }

    /// <summary>The element-by-element im2col the row copies replace.</summary>
    private static void Im2ColReference<T>(T[] x, ConvGeometry g, T[] cols) where T : unmanaged, INumberBase<T>
    {
        for (int c = 0; c < g.C; c++)
            for (int i = 0; i < g.KH; i++)
                for (int j = 0; j < g.KW; j++)
                    for (int n = 0; n < g.N; n++)
                        for (int oh = 0; oh < g.OH; oh++)
                            for (int ow = 0; ow < g.OW; ow++)
                            {
                                int h = oh * g.StrideH - g.PadH + i * g.DilationH, w = ow * g.StrideW - g.PadW + j * g.DilationW;
                                cols[((c * g.KH + i) * g.KW + j) * g.Columns + n * g.L + oh * g.OW + ow] =
                                    (uint)h < (uint)g.H && (uint)w < (uint)g.W ? x[((n * g.C + c) * g.H + h) * g.W + w] : T.Zero;
                            }
    }

    /// <summary>The element-by-element col2im the row additions replace: rows in order, then samples, output rows, columns.</summary>
    private static void Col2ImReference<T>(T[] cols, ConvGeometry g, T[] x) where T : unmanaged, INumberBase<T>
    {
        Array.Clear(x);
        for (int c = 0; c < g.C; c++)
            for (int i = 0; i < g.KH; i++)
                for (int j = 0; j < g.KW; j++)
                    for (int n = 0; n < g.N; n++)
                        for (int oh = 0; oh < g.OH; oh++)
                            for (int ow = 0; ow < g.OW; ow++)
                            {
                                int h = oh * g.StrideH - g.PadH + i * g.DilationH, w = ow * g.StrideW - g.PadW + j * g.DilationW;
                                if ((uint)h < (uint)g.H && (uint)w < (uint)g.W)
                                    x[((n * g.C + c) * g.H + h) * g.W + w] += cols[((c * g.KH + i) * g.KW + j) * g.Columns + n * g.L + oh * g.OW + ow];
                            }
    }

    [TestCaseSource(nameof(Geometries))]
    public void Im2ColAndCol2Im_EqualTheElementLoops_AtEveryThreadCount(int n, int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw)
        => CheckIm2ColAndCol2Im(Geometry(n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw));

    /// <summary>"same" with an even kernel: no padding before, one implied after, so the last windows reach past the input.</summary>
    [Test]
    public void Im2ColAndCol2Im_SameWithAnEvenKernel_EqualTheElementLoops()
    {
        var g = new ConvGeometry(8, 3, 10, 9, 1, 2, 2, 1, 1, 0, 0, 1, 1, 1, 10, 9);
        g.UnpaddedRows.ShouldBeFalse();
        Geometry(8, 3, 10, 9, 2, 2, 1, 1, 0, 0, 1, 1).UnpaddedRows.ShouldBeTrue(); // the same kernel, valid: rows copied whole
        CheckIm2ColAndCol2Im(g);
    }

    private static void CheckIm2ColAndCol2Im(ConvGeometry g)
    {
        Check<float>(g);
        Check<double>(g);

        static void Check<T>(ConvGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var x = Values<T>(g.N * g.C * g.H * g.W, 1, specials: true);
            var cols = Values<T>(g.Rows * g.Columns, 2, specials: true);
            var expectedCols = new T[cols.Length];
            Im2ColReference(x, g, expectedCols);
            var expectedX = new T[x.Length];
            Col2ImReference(cols, g, expectedX);
            WithThreads(threads =>
            {
                var actualCols = Values<T>(cols.Length, 3); // garbage: every element must be written
                ConvKernels.Im2Col(x, g, actualCols);
                ShouldBeBitwise<T>(actualCols, expectedCols, $"{typeof(T).Name} im2col, threads={threads}");
                var actualX = Values<T>(x.Length, 4);
                ConvKernels.Col2Im(cols, g, actualX);
                ShouldBeBitwise<T>(actualX, expectedX, $"{typeof(T).Name} col2im, threads={threads}");
            });
        }
    }

    private static IEnumerable<TestCaseData> BySampleCases()
    {
        // N, C, H, W, O, KH, KW, stride, pad, dilation, groups, bias
        yield return new TestCaseData(12, 1, 28, 28, 6, 5, 5, 1, 0, 1, 1, true).SetName("BySample_LeNetConv1");
        yield return new TestCaseData(12, 6, 12, 12, 16, 5, 5, 1, 0, 1, 1, true).SetName("BySample_LeNetConv2");
        yield return new TestCaseData(9, 4, 11, 10, 6, 3, 3, 2, 1, 1, 2, false).SetName("BySample_GroupsStridedPaddedNoBias");
        yield return new TestCaseData(7, 3, 13, 12, 5, 3, 2, 1, 0, 2, 1, true).SetName("BySample_DilatedNoPadding");
    }

    /// <summary>
    /// The sample-at-a-time forward, input gradient and weight gradient against the whole-batch
    /// form they replace: im2col of the batch, one product per group over all N·L columns, the
    /// (O, N·L) → (N, O, L) layout change plus the bias; Wᵀ·G over all columns, then col2im; and
    /// G·colsᵀ over all columns (one FMA chain per element, which the samples' accumulating
    /// products must continue exactly). Bit for bit, at every thread count.
    /// </summary>
    [TestCaseSource(nameof(BySampleCases))]
    public void ForwardAndInputGradientBySample_EqualTheWholeBatchProducts(int n, int c, int h, int w, int o, int kh, int kw, int s, int p, int d, int groups, bool hasBias)
    {
        int oh = (h + 2 * p - d * (kh - 1) - 1) / s + 1, ow = (w + 2 * p - d * (kw - 1) - 1) / s + 1;
        var g = new ConvGeometry(n, c, h, w, o, kh, kw, s, s, p, p, d, d, groups, oh, ow);
        int og = o / groups, kg = g.GroupRows, columns = g.Columns, l = g.L;
        var x = Values<float>(n * c * h * w, 11);
        var weight = Values<float>(o * kg, 12);
        var bias = hasBias ? Values<float>(o, 13) : null;
        var gradOutput = Values<float>(n * o * l, 14);

        var cols = new float[g.Rows * columns];
        ConvKernels.Im2Col(x, g, cols);
        var rows = new float[o * columns];
        for (int k = 0; k < groups; k++)
            MatMulKernel.Gemm(false, false, og, columns, kg, weight.AsSpan(k * og * kg, og * kg), cols.AsSpan(k * kg * columns, kg * columns), rows.AsSpan(k * og * columns, og * columns));
        var expectedY = new float[n * o * l];
        for (int sample = 0; sample < n; sample++)
            for (int ch = 0; ch < o; ch++)
                for (int q = 0; q < l; q++)
                    expectedY[(sample * o + ch) * l + q] = bias is null ? rows[(ch * n + sample) * l + q] : rows[(ch * n + sample) * l + q] + bias[ch];

        var gradRows = new float[o * columns];
        ConvKernels.OutputToRows(gradOutput, n, o, l, gradRows);
        var gradCols = new float[g.Rows * columns];
        for (int k = 0; k < groups; k++)
            MatMulKernel.Gemm(true, false, kg, columns, og, weight.AsSpan(k * og * kg, og * kg), gradRows.AsSpan(k * og * columns, og * columns), gradCols.AsSpan(k * kg * columns, kg * columns));
        var expectedDx = new float[x.Length];
        ConvKernels.Col2Im(gradCols, g, expectedDx);
        var expectedDw = new float[o * kg];
        for (int k = 0; k < groups; k++)
            MatMulKernel.Gemm(false, true, og, kg, columns, gradRows.AsSpan(k * og * columns, og * columns), cols.AsSpan(k * kg * columns, kg * columns), expectedDw.AsSpan(k * og * kg, og * kg));
        var bySample = new float[cols.Length]; // (N, C·KH·KW, L)
        for (int r = 0; r < g.Rows; r++)
            for (int sample = 0; sample < n; sample++)
                cols.AsSpan(r * columns + sample * l, l).CopyTo(bySample.AsSpan((sample * g.Rows + r) * l, l));

        WithThreads(threads =>
        {
            var y = Values<float>(expectedY.Length, 15);
            var kept = Values<float>(cols.Length, 16);
            ConvKernels.ForwardBySample(x, weight, bias, g, kept, y);
            ShouldBeBitwise<float>(y, expectedY, $"forward, threads={threads}");
            ShouldBeBitwise<float>(kept, bySample, $"kept columns, threads={threads}");
            var recomputed = Values<float>(cols.Length, 18);
            ConvKernels.Im2ColBySample(x, g, recomputed);
            ShouldBeBitwise<float>(recomputed, bySample, $"im2col by sample, threads={threads}");
            var dw = Values<float>(expectedDw.Length, 19);
            ConvKernels.WeightGradientBySample(gradOutput, kept, g, dw);
            ShouldBeBitwise<float>(dw, expectedDw, $"weight gradient, threads={threads}");
            ConvKernels.ForwardBySample(x, weight, bias, g, null, y);
            ShouldBeBitwise<float>(y, expectedY, $"forward without kept columns, threads={threads}");
            var dx = Values<float>(x.Length, 17);
            ConvKernels.InputGradientBySample(weight, gradOutput, g, dx);
            ShouldBeBitwise<float>(dx, expectedDx, $"input gradient, threads={threads}");
        });
    }

    private static IEnumerable<TestCaseData> PoolShapes()
    {
        // planes, H, W, kernel, stride, padding, dilation
        yield return new TestCaseData(64 * 6, 24, 24, 2, 2, 0, 1).SetName("MaxPool_2x2_LeNetPool1");
        yield return new TestCaseData(64 * 16, 8, 8, 2, 2, 0, 1).SetName("MaxPool_2x2_LeNetPool2");
        yield return new TestCaseData(200, 13, 19, 2, 2, 0, 1).SetName("MaxPool_2x2_OddSizes");
        yield return new TestCaseData(300, 6, 2, 2, 2, 0, 1).SetName("MaxPool_2x2_OneWindowPerRow");
        yield return new TestCaseData(200, 14, 14, 3, 2, 1, 1).SetName("MaxPool_General_K3S2P1");
        yield return new TestCaseData(200, 14, 15, 2, 1, 0, 2).SetName("MaxPool_General_Dilated");
    }

    [TestCaseSource(nameof(PoolShapes))]
    public void MaxPool_EqualsTheGeneralWindowLoop_TiesNaNAndInfinities_AtEveryThreadCount(int planes, int h, int w, int k, int s, int p, int d)
    {
        int oh = (h + 2 * p - d * (k - 1) - 1) / s + 1, ow = (w + 2 * p - d * (k - 1) - 1) / s + 1;
        var g = new PoolGeometry(planes, h, w, oh, ow, k, k, s, s, p, p, d, d, Adaptive: false);
        PoolKernels.Is2x2(g).ShouldBe(k == 2 && s == 2 && p == 0 && d == 1);
        Check<float>(g);
        Check<double>(g);

        static void Check<T>(PoolGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
        {
            int l = g.OH * g.OW;
            foreach (bool specials in new[] { false, true })
            {
                var x = Values<T>(g.Planes * g.H * g.W, 7, specials);
                var expected = new T[g.Planes * l];
                var expectedIndex = new long[g.Planes * l];
                PoolKernels.MaxForwardPlanes<T>(x, g, g.Planes, expected, expectedIndex);
                var grad = Values<T>(expected.Length, 8, specials);
                var expectedDx = new T[x.Length];
                for (int q = 0; q < g.Planes; q++)
                    for (int o = 0; o < l; o++) expectedDx[q * g.H * g.W + expectedIndex[q * l + o]] += grad[q * l + o];
                WithThreads(threads =>
                {
                    var y = Values<T>(expected.Length, 9);
                    var index = new long[expected.Length];
                    index.AsSpan().Fill(-1);
                    PoolKernels.MaxForward(x, g, y, index);
                    string what = $"{typeof(T).Name}, specials={specials}, threads={threads}";
                    ShouldBeBitwise<T>(y, expected, what + " values");
                    index.ShouldBe(expectedIndex, what + " indices");
                    var dx = Values<T>(x.Length, 10);
                    PoolKernels.MaxScatter(grad, index, g.Planes, g.H * g.W, l, dx);
                    ShouldBeBitwise<T>(dx, expectedDx, what + " scatter");
                });
            }
        }
    }

    [Test]
    public void MaxPool2x2_AllMinusInfinityAndAllNaNWindows_KeepTheGeneralLoopsIndices()
    {
        // Per window: all -∞ (index of the first tap), all NaN (the last NaN), NaN then a number (the NaN stays
        // unless a later NaN comes), ties (the first), a number then NaN.
        float ninf = float.NegativeInfinity, nan = float.NaN;
        float[][] windows =
        [
            [ninf, ninf, ninf, ninf], [nan, nan, nan, nan], [nan, 5, 6, 7], [3, 3, 3, 3], [1, nan, 2, 0],
            [1, 2, nan, 9], [ninf, 0, ninf, 0], [-0f, 0f, 0f, -0f],
        ];
        int planes = 3, ow = windows.Length, w = 2 * ow, h = 4;
        var x = new float[planes * h * w];
        for (int q = 0; q < planes; q++)
            for (int r = 0; r < 2; r++) // both output rows get every window
                for (int k = 0; k < ow; k++)
                {
                    var win = windows[(k + q + r) % ow];
                    int at = q * h * w + 2 * r * w + 2 * k;
                    (x[at], x[at + 1], x[at + w], x[at + w + 1]) = (win[0], win[1], win[2], win[3]);
                }
        var g = new PoolGeometry(planes, h, w, 2, ow, 2, 2, 2, 2, 0, 0, 1, 1, Adaptive: false);
        var expected = new float[planes * 2 * ow];
        var expectedIndex = new long[expected.Length];
        PoolKernels.MaxForwardPlanes<float>(x, g, planes, expected, expectedIndex);
        var y = new float[expected.Length];
        var index = new long[expected.Length];
        PoolKernels.MaxForward(x, g, y, index);
        ShouldBeBitwise<float>(y, expected, "values");
        index.ShouldBe(expectedIndex);
        expectedIndex[0].ShouldBe(0); // the all -∞ window keeps its first tap
        expectedIndex[1].ShouldBe(2 + w + 1); // the all-NaN window takes its last NaN
    }

    [Test]
    public void ShortSpans_CopyAndAdd_EqualTheScalarLoops()
    {
        for (int n = 0; n <= 40; n++)
        {
            var src = Values<float>(n, n, specials: true);
            var dst = Values<float>(n, n + 100, specials: true);
            var expected = new float[n];
            for (int k = 0; k < n; k++) expected[k] = dst[k] + src[k];
            ShortSpans.AddTo<float>(src, dst);
            ShouldBeBitwise<float>(dst, expected, $"add, n={n}");
            var copy = new float[n];
            ShortSpans.Copy<float>(src, copy);
            ShouldBeBitwise<float>(copy, src, $"copy, n={n}");
            var d = Values<double>(n, n + 200, specials: true);
            var dcopy = new double[n];
            ShortSpans.Copy<double>(d, dcopy);
            ShouldBeBitwise<double>(dcopy, d, $"double copy, n={n}");
        }
    }
}
