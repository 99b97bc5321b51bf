using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Autograd.Kernels;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Tests.Kernels;

/// <summary>
/// The skinny paths of the GEMM kernel (<c>MatMulKernel.Skinny.cs</c>): C with few rows and B not
/// transposed (column strips, 5-row tiles), and float32 C with 9 or 10 columns (8-row tiles with
/// the last two columns of four rows in one vector).
/// </summary>
/// <remarks>
/// The kernel's contract is that every C element is one sequential chain of fused multiply-adds
/// over p = 0..k-1 starting from +0 (or the old C). The reference below computes exactly that
/// chain with the scalar <c>FusedMultiplyAdd</c>, so the comparisons are bit for bit: a missing,
/// duplicated, misplaced or reordered term, a wrong lane or an element written by the wrong tile
/// changes the bits. The shapes straddle every tile edge (5 rows, 2 vectors of columns, 8 rows,
/// the 128-deep k slice) and the limits of each path (15/16 rows, 9/10/11 columns).
/// </remarks>
[TestFixture]
public sealed class MatMulKernelSkinnyTests
{

    private static IEnumerable<TestCaseData> FewRowsCases()
    {
        // m around the 5-row tiles and the 15-row limit; n around the 16-float / 8-double strips.
        foreach (int m in new[] { 2, 3, 4, 5, 6, 7, 9, 10, 11, 14, 15, 16 })
        {
            foreach (var (n, k) in new[] { (2, 3), (7, 129), (8, 1), (15, 64), (16, 128), (17, 300), (33, 40), (64, 257), (70, 9) })
            {
                foreach (bool transA in new[] { false, true })
                {
                    yield return new TestCaseData(m, n, k, transA).SetArgDisplayNames($"{m}x{n}x{k}", transA ? "At" : "A");
                }
            }
        }
    }

    private static IEnumerable<TestCaseData> NarrowCases()
    {
        // m around the 8-row tiles (and the softmax-regression shape); n = 9 and 10 take the path,
        // 8 and 11 must still be right on the blocked one.
        foreach (int m in new[] { 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 1797 })
        {
            foreach (var (n, k) in new[] { (10, 64), (9, 7), (10, 1), (9, 130), (8, 5), (11, 33) })
            {
                foreach (bool transA in new[] { false, true })
                {
                    foreach (bool transB in new[] { false, true })
                    {
                        yield return new TestCaseData(m, n, k, transA, transB)
                            .SetArgDisplayNames($"{m}x{n}x{k}", transA ? "At" : "A", transB ? "Bt" : "B");
                    }
                }
            }
        }
    }

    // Both widths on any machine: emulated in software where not accelerated, with the same bits.
    private static IEnumerable<VectorWidth> VectorIsas() => [VectorWidth.Vector256, VectorWidth.Vector128];

    [TestCaseSource(nameof(FewRowsCases))]
    public void FewRows_EveryThreadCountAndAccumulate_BitIdenticalToSequentialFmaChain(int m, int n, int k, bool transA)
    {
        var rng = new Random(HashCode.Combine(m, n, k, transA));
        float[] af = RandomFloats(rng, m * k), bf = RandomFloats(rng, k * n), c0f = RandomFloats(rng, m * n);
        double[] ad = RandomDoubles(rng, m * k), bd = RandomDoubles(rng, k * n), c0d = RandomDoubles(rng, m * n);
        foreach (bool accumulate in new[] { false, true })
        {
            float[] expectedF = Reference(transA, false, m, n, k, af, bf, c0f, accumulate);
            double[] expectedD = Reference(transA, false, m, n, k, ad, bd, c0d, accumulate);
            foreach (VectorWidth isa in VectorIsas())
            {
                foreach (int threads in new[] { 1, 2, 3 })
                {
                    string what = $"{isa} threads={threads} accumulate={accumulate}";
                    AssertBitIdentical(expectedF, RunFloat(transA, false, m, n, k, af, bf, c0f, accumulate, isa, threads), "float " + what);
                    AssertBitIdentical(expectedD, RunDouble(transA, false, m, n, k, ad, bd, c0d, accumulate, isa, threads), "double " + what);
                }
            }
        }
    }

    [TestCaseSource(nameof(NarrowCases))]
    public void NarrowColumns_EveryThreadCountAndAccumulate_BitIdenticalToSequentialFmaChain(int m, int n, int k, bool transA, bool transB)
    {
        var rng = new Random(HashCode.Combine(m, n, k, transA, transB));
        float[] a = RandomFloats(rng, m * k), b = RandomFloats(rng, k * n), c0 = RandomFloats(rng, m * n);
        foreach (bool accumulate in new[] { false, true })
        {
            float[] expected = Reference(transA, transB, m, n, k, a, b, c0, accumulate);
            foreach (VectorWidth isa in VectorIsas())
            {
                foreach (int threads in new[] { 1, 2, 3 })
                {
                    AssertBitIdentical(expected, RunFloat(transA, transB, m, n, k, a, b, c0, accumulate, isa, threads),
                        $"{isa} threads={threads} accumulate={accumulate}");
                }
            }
        }
    }

    [TestCase(9)]
    [TestCase(10)]
    public void NarrowColumns_SignedZerosAndSpecialValues_BitIdenticalToSequentialFmaChain(int n)
    {
        // -0 products (a chain from +0 stays +0), infinities and NaN in single rows and columns:
        // the lanes of columns 8-9 and the aliased rows of a ragged tile must not leak into
        // other elements.
        const int m = 21, k = 13;
        var rng = new Random(n);
        float[] a = RandomFloats(rng, m * k), b = RandomFloats(rng, k * n), c0 = RandomFloats(rng, m * n);
        for (int p = 0; p < k; p++) a[(3 * k) + p] = -0f;       // row 3: every product ±0
        a[(20 * k) + 5] = float.PositiveInfinity;                // last row (in the ragged tile)
        a[(0 * k) + 2] = float.NaN;                              // row 0 (which ragged rows alias)
        b[(4 * n) + 8] = float.NegativeInfinity;                 // column 8 at p = 4
        b[(6 * n) + (n - 1)] = 0f;
        foreach (bool accumulate in new[] { false, true })
        {
            float[] expected = Reference(false, false, m, n, k, a, b, c0, accumulate);
            foreach (int threads in new[] { 1, 2 })
            {
                AssertBitIdentical(expected, RunFloat(false, false, m, n, k, a, b, c0, accumulate, KernelWidth.Current, threads),
                    $"threads={threads} accumulate={accumulate}");
            }
        }
    }

    [TestCase(10, 10, 20)]
    [TestCase(3, 9, 20)]
    [TestCase(10, 21, 200)]
    [TestCase(7, 64, 130)]
    public void SkinnyPaths_LongerOutputSpan_NothingWrittenPastMTimesN(int m, int n, int k)
    {
        var rng = new Random(HashCode.Combine(m, n, k));
        float[] a = RandomFloats(rng, m * k), b = RandomFloats(rng, k * n);
        double[] ad = RandomDoubles(rng, m * k), bd = RandomDoubles(rng, k * n);
        foreach (bool transA in new[] { false, true })
        {
            foreach (int threads in new[] { 1, 2 })
            {
                float[] c = new float[(m * n) + 17];
                double[] cd = new double[(m * n) + 9];
                Array.Fill(c, 7f);
                Array.Fill(cd, 7d);

                MatMulKernel.Gemm(transA, false, m, n, k, a, b, c.AsSpan(), false, KernelWidth.Current, threads, parallelThreshold: 0);
                MatMulKernel.Gemm(transA, false, m, n, k, ad, bd, cd.AsSpan(), false, KernelWidth.Current, threads, parallelThreshold: 0);

                c[(m * n)..].ShouldAllBe(v => v == 7f, $"float transA={transA} threads={threads}");
                cd[(m * n)..].ShouldAllBe(v => v == 7d, $"double transA={transA} threads={threads}");
                c[..(m * n)].ShouldNotContain(7f);
            }
        }
    }

    [Test]
    public void SoftmaxRegressionShapes_SameBitsAsTheBlockedDriverOnEveryIsa()
    {
        // The three products of a 1797×64 → 10 linear layer: forward x·Wᵀ, weight gradient Gᵀ·x,
        // input gradient G·W. The scalar ISA never takes a skinny path; with hardware FMA every ISA
        // must give its bits.
        var rng = new Random(1797);
        float[] x = RandomFloats(rng, 1797 * 64), w = RandomFloats(rng, 10 * 64), g = RandomFloats(rng, 1797 * 10);
        foreach (var (transA, transB, m, n, k, a, b) in new[]
        {
            (false, true, 1797, 10, 64, x, w),
            (true, false, 10, 64, 1797, g, x),
            (false, false, 1797, 64, 10, g, w),
        })
        {
            float[] expected = new float[m * n];
            MatMulKernel.Gemm(transA, transB, m, n, k, a, b, expected, false, VectorWidth.Scalar, 1);
            foreach (VectorWidth isa in VectorIsas())
            {
                foreach (int threads in new[] { 1, 2 })
                {
                    float[] c = new float[m * n];
                    MatMulKernel.Gemm(transA, transB, m, n, k, a, b, c, false, isa, threads, parallelThreshold: 0);
                    AssertBitIdentical(expected, c, $"{m}x{n}x{k} transA={transA} transB={transB} {isa} threads={threads}");
                }
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    private static float[] RunFloat(bool transA, bool transB, int m, int n, int k, float[] a, float[] b, float[] c0, bool accumulate, VectorWidth isa, int threads)
    {
        float[] c = (float[])c0.Clone();
        if (!accumulate) Array.Fill(c, float.NaN); // must be overwritten, not read
        MatMulKernel.Gemm(transA, transB, m, n, k, a, b, c, accumulate, isa, threads, parallelThreshold: 0);
        return c;
    }

    private static double[] RunDouble(bool transA, bool transB, int m, int n, int k, double[] a, double[] b, double[] c0, bool accumulate, VectorWidth isa, int threads)
    {
        double[] c = (double[])c0.Clone();
        if (!accumulate) Array.Fill(c, double.NaN);
        MatMulKernel.Gemm(transA, transB, m, n, k, a, b, c, accumulate, isa, threads, parallelThreshold: 0);
        return c;
    }

    /// <summary>C[i, j] = FMA chain over p = 0..k-1 of op(A)(i, p) · op(B)(p, j), from +0 or the old C.</summary>
    private static float[] Reference(bool transA, bool transB, int m, int n, int k, float[] a, float[] b, float[] c0, bool accumulate)
    {
        float[] c = new float[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float s = accumulate ? c0[(i * n) + j] : 0f;
                for (int p = 0; p < k; p++)
                {
                    s = MathF.FusedMultiplyAdd(At(a, transA, m, k, i, p), At(b, transB, k, n, p, j), s);
                }

                c[(i * n) + j] = s;
            }
        }

        return c;
    }

    /// <inheritdoc cref="Reference(bool, bool, int, int, int, float[], float[], float[], bool)"/>
    private static double[] Reference(bool transA, bool transB, int m, int n, int k, double[] a, double[] b, double[] c0, bool accumulate)
    {
        double[] c = new double[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double s = accumulate ? c0[(i * n) + j] : 0d;
                for (int p = 0; p < k; p++)
                {
                    s = Math.FusedMultiplyAdd(At(a, transA, m, k, i, p), At(b, transB, k, n, p, j), s);
                }

                c[(i * n) + j] = s;
            }
        }

        return c;
    }

    /// <summary>Element (row, col) of op(X), where op(X) is rows×cols and X is stored transposed when <paramref name="trans"/>.</summary>
    private static T At<T>(T[] x, bool trans, int rows, int cols, int row, int col)
        => trans ? x[(col * rows) + row] : x[(row * cols) + col];

    private static float[] RandomFloats(Random rng, int length)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (float)((rng.NextDouble() * 2) - 1);
        }

        return values;
    }

    private static double[] RandomDoubles(Random rng, int length)
    {
        var values = new double[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (rng.NextDouble() * 2) - 1;
        }

        return values;
    }

    private static void AssertBitIdentical(float[] expected, float[] actual, string context)
        => AssertBitIdentical(Array.ConvertAll(expected, BitConverter.SingleToInt32Bits),
            Array.ConvertAll(actual, BitConverter.SingleToInt32Bits), context);

    private static void AssertBitIdentical(double[] expected, double[] actual, string context)
        => AssertBitIdentical(Array.ConvertAll(expected, BitConverter.DoubleToInt64Bits),
            Array.ConvertAll(actual, BitConverter.DoubleToInt64Bits), context);

    /// <summary>Compares raw bit patterns (so -0 differs from +0, and NaN payloads count).</summary>
    private static void AssertBitIdentical<T>(T[] expectedBits, T[] actualBits, string context)
        where T : struct, IEquatable<T>
    {
        actualBits.Length.ShouldBe(expectedBits.Length);
        for (int i = 0; i < expectedBits.Length; i++)
        {
            if (!expectedBits[i].Equals(actualBits[i]))
            {
                actualBits[i].ShouldBe(expectedBits[i], $"{context}: first difference at flat index {i}");
            }
        }
    }
}
