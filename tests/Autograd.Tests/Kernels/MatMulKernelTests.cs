using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using Autograd.Kernels;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Tests.Kernels;

/// <summary>
/// Tests of the GEMM kernel against a compensated (nearly exact) reference.
/// </summary>
/// <remarks>
/// Tolerances are rigorous forward error bounds, not fudge factors. Each C element is one chain of
/// k fused multiply-adds (k + 1 terms with the old C when accumulating), so with unit roundoff u
/// (2^-24 for float, 2^-53 for double) the standard bound is
/// |computed - exact| ≤ γ(k+1) · (Σ_p |a_ip|·|b_pj| + |c_ij|), γ(j) = j·u / (1 - j·u).
/// The reference is a compensated dot product (error ~u² relative), so the bound is never
/// exceeded by a correct kernel, while a missing, duplicated or misplaced term (error ~|a·b|, far
/// above k·u·Σ|a||b| for the shapes used) always is.
/// </remarks>
[TestFixture]
public sealed class MatMulKernelTests
{
    private const double FloatRoundoff = 1.0 / (1 << 24);
    private const double DoubleRoundoff = 1.0 / (1L << 53);

    private static readonly (int M, int N, int K)[] Shapes =
    [
        (1, 1, 1), (1, 7, 3), (3, 1, 7), (7, 3, 1), (1, 1, 257), (3, 3, 3),
        (17, 31, 33), (33, 17, 31), (31, 33, 17), (7, 17, 65),
        (65, 127, 3), (127, 65, 33), (129, 1, 255), (1, 129, 257), (255, 17, 7),
        (257, 33, 17), (7, 257, 129), (129, 33, 65), (31, 17, 600), (300, 17, 40),
        (569, 30, 1), (255, 33, 31), (3, 3100, 5),
    ];

    private static IEnumerable<TestCaseData> ShapeCases()
    {
        foreach (var (m, n, k) in Shapes)
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

    private static IEnumerable<TestCaseData> EdgeShapeCases()
    {
        // Ragged edges around the micro-tile sizes (6×16, 6×8, 12×32, 12×16, 4×4) and block sizes.
        foreach (var (m, n, k) in new[] { (5, 15, 9), (13, 33, 31), (25, 17, 257), (7, 33, 300), (145, 9, 3) })
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

    private static IEnumerable<VectorWidth> AllIsas() => Enum.GetValues<VectorWidth>();

    // ------------------------------------------------------------------ accuracy, default path

    [TestCaseSource(nameof(ShapeCases))]
    public void Gemm_Float_MatchesReferenceWithinErrorBound(int m, int n, int k, bool transA, bool transB)
    {
        var rng = new Random(HashCode.Combine(m, n, k, transA, transB));
        float[] a = RandomFloats(rng, m * k), b = RandomFloats(rng, k * n);
        float[] c = new float[m * n];
        Array.Fill(c, float.NaN); // must be overwritten, not read

        MatMulKernel.Gemm(transA, transB, m, n, k, a, b, c);

        AssertWithinBound(transA, transB, m, n, k, ToDouble(a), ToDouble(b), null, ToDouble(c), FloatRoundoff);
    }

    [TestCaseSource(nameof(ShapeCases))]
    public void Gemm_Double_MatchesReferenceWithinErrorBound(int m, int n, int k, bool transA, bool transB)
    {
        var rng = new Random(HashCode.Combine(m, n, k, transA, transB, 2));
        double[] a = RandomDoubles(rng, m * k), b = RandomDoubles(rng, k * n);
        double[] c = new double[m * n];
        Array.Fill(c, double.NaN);

        MatMulKernel.Gemm(transA, transB, m, n, k, a, b, c);

        AssertWithinBound(transA, transB, m, n, k, a, b, null, c, DoubleRoundoff);
    }

    [TestCaseSource(nameof(ShapeCases))]
    public void Gemm_FloatAccumulate_AddsProductToExistingC(int m, int n, int k, bool transA, bool transB)
    {
        var rng = new Random(HashCode.Combine(m, n, k, transA, transB, 3));
        float[] a = RandomFloats(rng, m * k), b = RandomFloats(rng, k * n), c0 = RandomFloats(rng, m * n);
        float[] c = (float[])c0.Clone();

        MatMulKernel.Gemm(transA, transB, m, n, k, a, b, c, accumulate: true);

        AssertWithinBound(transA, transB, m, n, k, ToDouble(a), ToDouble(b), ToDouble(c0), ToDouble(c), FloatRoundoff);
    }

    [TestCaseSource(nameof(ShapeCases))]
    public void Gemm_DoubleAccumulate_AddsProductToExistingC(int m, int n, int k, bool transA, bool transB)
    {
        var rng = new Random(HashCode.Combine(m, n, k, transA, transB, 4));
        double[] a = RandomDoubles(rng, m * k), b = RandomDoubles(rng, k * n), c0 = RandomDoubles(rng, m * n);
        double[] c = (double[])c0.Clone();

        MatMulKernel.Gemm(transA, transB, m, n, k, a, b, c, accumulate: true);

        AssertWithinBound(transA, transB, m, n, k, a, b, c0, c, DoubleRoundoff);
    }

    // ------------------------------------------------------------------ every micro-kernel family

    [TestCaseSource(nameof(EdgeShapeCases))]
    public void Gemm_EveryIsaFloat_MatchesReferenceWithinErrorBound(int m, int n, int k, bool transA, bool transB)
    {
        var rng = new Random(HashCode.Combine(m, n, k, transA, transB, 5));
        float[] a = RandomFloats(rng, m * k), b = RandomFloats(rng, k * n), c0 = RandomFloats(rng, m * n);
        foreach (VectorWidth isa in AllIsas())
        {
            foreach (bool accumulate in new[] { false, true })
            {
                float[] c = (float[])c0.Clone();
                MatMulKernel.Gemm(transA, transB, m, n, k, a, b, c, accumulate, isa, threads: 1);
                AssertWithinBound(transA, transB, m, n, k, ToDouble(a), ToDouble(b), accumulate ? ToDouble(c0) : null,
                    ToDouble(c), FloatRoundoff, $"{isa}, accumulate={accumulate}");
            }
        }
    }

    [TestCaseSource(nameof(EdgeShapeCases))]
    public void Gemm_EveryIsaDouble_MatchesReferenceWithinErrorBound(int m, int n, int k, bool transA, bool transB)
    {
        var rng = new Random(HashCode.Combine(m, n, k, transA, transB, 6));
        double[] a = RandomDoubles(rng, m * k), b = RandomDoubles(rng, k * n), c0 = RandomDoubles(rng, m * n);
        foreach (VectorWidth isa in AllIsas())
        {
            foreach (bool accumulate in new[] { false, true })
            {
                double[] c = (double[])c0.Clone();
                MatMulKernel.Gemm(transA, transB, m, n, k, a, b, c, accumulate, isa, threads: 1);
                AssertWithinBound(transA, transB, m, n, k, a, b, accumulate ? c0 : null, c, DoubleRoundoff,
                    $"{isa}, accumulate={accumulate}");
            }
        }
    }

    [Test]
    public void Gemm_EveryWidth_BitIdentical()
    {
        // Every width fuses each multiply-add (in software where the machine has no FMA), so all agree on any machine.
        var rng = new Random(7);
        foreach (var (m, n, k) in new[] { (29, 47, 300), (13, 70, 9) })
        {
            float[] af = RandomFloats(rng, m * k), bf = RandomFloats(rng, k * n);
            double[] ad = RandomDoubles(rng, m * k), bd = RandomDoubles(rng, k * n);
            float[] expectedF = new float[m * n];
            double[] expectedD = new double[m * n];
            MatMulKernel.Gemm(false, true, m, n, k, af, bf, expectedF, false, VectorWidth.Scalar, 1);
            MatMulKernel.Gemm(false, true, m, n, k, ad, bd, expectedD, false, VectorWidth.Scalar, 1);
            foreach (VectorWidth isa in AllIsas())
            {
                float[] cf = new float[m * n];
                double[] cd = new double[m * n];
                MatMulKernel.Gemm(false, true, m, n, k, af, bf, cf, false, isa, 1);
                MatMulKernel.Gemm(false, true, m, n, k, ad, bd, cd, false, isa, 1);
                AssertBitIdentical(expectedF, cf, $"float {isa} {m}x{n}x{k}");
                AssertBitIdentical(expectedD, cd, $"double {isa} {m}x{n}x{k}");
            }
        }
    }

    [Test]
    public void Gemm_WideTileShapes_EveryWidthAndThreadCountBitIdentical()
    {
        // Shapes big enough for the 512-bit 12 × (2 vectors) tile, with ragged row and column
        // edges and more than one k slice: its full tiles, its zero-padded ragged tiles (with and
        // without accumulation) and its threaded schedule give the bits of the scalar chain. The
        // last shape has few rows: the 512-bit few-rows path (B not transposed), else the 256-bit
        // kernels.
        var rng = new Random(11);
        foreach (var (m, n, k) in new[] { (50, 70, 300), (97, 65, 520), (10, 70, 300) })
        {
            foreach (bool transA in new[] { false, true })
            {
                foreach (bool transB in new[] { false, true })
                {
                    float[] af = RandomFloats(rng, m * k), bf = RandomFloats(rng, k * n), cf0 = RandomFloats(rng, m * n);
                    double[] ad = RandomDoubles(rng, m * k), bd = RandomDoubles(rng, k * n), cd0 = RandomDoubles(rng, m * n);
                    foreach (bool accumulate in new[] { false, true })
                    {
                        float[] expectedF = (float[])cf0.Clone();
                        double[] expectedD = (double[])cd0.Clone();
                        MatMulKernel.Gemm(transA, transB, m, n, k, af, bf, expectedF, accumulate, VectorWidth.Scalar, 1);
                        MatMulKernel.Gemm(transA, transB, m, n, k, ad, bd, expectedD, accumulate, VectorWidth.Scalar, 1);
                        foreach (VectorWidth isa in new[] { VectorWidth.Vector512, VectorWidth.Vector256 })
                        {
                            foreach (int threads in new[] { 1, 2 })
                            {
                                float[] cf = (float[])cf0.Clone();
                                double[] cd = (double[])cd0.Clone();
                                MatMulKernel.Gemm(transA, transB, m, n, k, af, bf, cf, accumulate, isa, threads, parallelThreshold: 0);
                                MatMulKernel.Gemm(transA, transB, m, n, k, ad, bd, cd, accumulate, isa, threads, parallelThreshold: 0);
                                string what = $"{m}x{n}x{k} {(transA ? "At" : "A")}{(transB ? "Bt" : "B")} accumulate={accumulate} {isa} threads={threads}";
                                AssertBitIdentical(expectedF, cf, "float " + what);
                                AssertBitIdentical(expectedD, cd, "double " + what);
                            }
                        }
                    }
                }
            }
        }
    }

    [TestCase(false, false)]
    [TestCase(false, true)]
    [TestCase(true, false)]
    [TestCase(true, true)]
    public void Gemm_SingleRowOrColumn_BitIdenticalToSliceOfFullProduct(bool transA, bool transB)
    {
        // m = 1 and n = 1 take the matrix-vector path, everything else the packed one; both must
        // give every element the same in-order FMA chain (batch invariance).
        const int m = 23, n = 37, k = 45;
        var rng = new Random(11);
        float[] a = RandomFloats(rng, m * k), b = RandomFloats(rng, k * n), c0 = RandomFloats(rng, m * n);
        foreach (bool accumulate in new[] { false, true })
        {
            float[] full = (float[])c0.Clone();
            MatMulKernel.Gemm(transA, transB, m, n, k, a, b, full, accumulate);
            foreach (int i in new[] { 0, 5, m - 1 })
            {
                float[] rowA = new float[k];
                for (int p = 0; p < k; p++) rowA[p] = At(a, transA, m, k, i, p);
                float[] row = c0.AsSpan(i * n, n).ToArray();
                MatMulKernel.Gemm(transA, transB, 1, n, k, rowA, b, row, accumulate);
                AssertBitIdentical(full.AsSpan(i * n, n).ToArray(), row, $"row {i} accumulate={accumulate}");
            }

            foreach (int j in new[] { 0, 17, n - 1 })
            {
                float[] colB = new float[k], col = new float[m];
                for (int p = 0; p < k; p++) colB[p] = At(b, transB, k, n, p, j);
                for (int i = 0; i < m; i++) col[i] = c0[(i * n) + j];
                MatMulKernel.Gemm(transA, transB, m, 1, k, a, colB, col, accumulate);
                float[] expected = new float[m];
                for (int i = 0; i < m; i++) expected[i] = full[(i * n) + j];
                AssertBitIdentical(expected, col, $"column {j} accumulate={accumulate}");
            }
        }
    }

    [Test]
    public void Gemm_MatrixVectorShapes_MatchReferenceWithinErrorBound()
    {
        // Long vectors (vector body + ragged tail) and the multi-threaded split of the m = 1 / n = 1 path.
        var rng = new Random(12);
        foreach (var (m, n, k) in new[] { (1, 1000, 70), (1000, 1, 70), (1, 77, 1), (77, 1, 1), (1, 1, 500), (2000, 1, 100) })
        {
            float[] a = RandomFloats(rng, m * k), b = RandomFloats(rng, k * n), c0 = RandomFloats(rng, m * n);
            foreach (bool transA in new[] { false, true })
            {
                foreach (bool transB in new[] { false, true })
                {
                    float[] c = (float[])c0.Clone();
                    MatMulKernel.Gemm(transA, transB, m, n, k, a, b, c, true, KernelWidth.Current, threads: 2, parallelThreshold: 0);
                    AssertWithinBound(transA, transB, m, n, k, ToDouble(a), ToDouble(b), ToDouble(c0), ToDouble(c), FloatRoundoff);
                }
            }
        }
    }

    // ------------------------------------------------------------------ exactness and special values

    [Test]
    public void Gemm_SmallIntegerOperands_ExactResult()
    {
        // Integers with |sum| < 2^24 are exact in float: any blocking or ordering bug shows up as an
        // exact mismatch, whatever the rounding.
        const int m = 37, n = 41, k = 301;
        var rng = new Random(8);
        float[] a = new float[m * k], b = new float[k * n];
        for (int i = 0; i < a.Length; i++) a[i] = rng.Next(-8, 9);
        for (int i = 0; i < b.Length; i++) b[i] = rng.Next(-8, 9);
        foreach (bool transA in new[] { false, true })
        {
            foreach (bool transB in new[] { false, true })
            {
                float[] c = new float[m * n];
                MatMulKernel.Gemm(transA, transB, m, n, k, a, b, c);
                for (int i = 0; i < m; i++)
                {
                    for (int j = 0; j < n; j++)
                    {
                        double exact = 0;
                        for (int p = 0; p < k; p++)
                        {
                            exact += (double)At(a, transA, m, k, i, p) * At(b, transB, k, n, p, j);
                        }

                        c[(i * n) + j].ShouldBe((float)exact, $"C[{i},{j}] transA={transA} transB={transB}");
                    }
                }
            }
        }
    }

    [Test]
    public void Gemm_InfinityInOneColumnOfB_OnlyThatColumnOfCIsInfinite()
    {
        // The zero padding of ragged micro-tiles must not leak NaN (0 · ∞) into real elements.
        const int m = 13, n = 19, k = 11;
        float[] a = new float[m * k], b = new float[k * n];
        Array.Fill(a, 0.5f);
        Array.Fill(b, 0.25f);
        b[(4 * n) + 17] = float.PositiveInfinity;
        float[] c = new float[m * n];

        MatMulKernel.Gemm(false, false, m, n, k, a, b, c);

        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float expected = j == 17 ? float.PositiveInfinity : 0.5f * 0.25f * k;
                c[(i * n) + j].ShouldBe(expected, $"C[{i},{j}]");
            }
        }
    }

    // ------------------------------------------------------------------ empty dimensions

    [TestCase(0, 5, 7)]
    [TestCase(5, 0, 7)]
    [TestCase(0, 0, 0)]
    public void Gemm_EmptyOutput_LeavesBuffersUntouched(int m, int n, int k)
    {
        float[] a = new float[m * k], b = new float[k * n];
        float[] c = [42f, 43f];

        MatMulKernel.Gemm(false, false, m, n, k, a, b, c);
        MatMulKernel.Gemm(true, true, m, n, k, a, b, c, accumulate: true);

        c.ShouldBe([42f, 43f]);
    }

    [Test]
    public void Gemm_ZeroDepth_WritesZeros()
    {
        float[] c = [1f, 2f, 3f, 4f, 5f, 6f, 99f];
        double[] cd = [1, 2, 3, 4, 5, 6, 99];

        MatMulKernel.Gemm(false, false, 2, 3, 0, ReadOnlySpan<float>.Empty, ReadOnlySpan<float>.Empty, c);
        MatMulKernel.Gemm(true, false, 2, 3, 0, ReadOnlySpan<double>.Empty, ReadOnlySpan<double>.Empty, cd);

        c.ShouldBe([0f, 0f, 0f, 0f, 0f, 0f, 99f]);
        cd.ShouldBe([0d, 0d, 0d, 0d, 0d, 0d, 99d]);
    }

    [Test]
    public void Gemm_ZeroDepthAccumulate_LeavesCUnchanged()
    {
        float[] c = [1f, 2f, 3f, 4f, 5f, 6f];

        MatMulKernel.Gemm(false, true, 2, 3, 0, ReadOnlySpan<float>.Empty, ReadOnlySpan<float>.Empty, c, accumulate: true);

        c.ShouldBe([1f, 2f, 3f, 4f, 5f, 6f]);
    }

    [Test]
    public void Gemm_LongerOutputSpan_OnlyFirstMTimesNElementsWritten()
    {
        const int m = 9, n = 21, k = 5;
        var rng = new Random(9);
        float[] a = RandomFloats(rng, m * k), b = RandomFloats(rng, k * n);
        float[] c = new float[(m * n) + 3];
        c[^3] = 7f;
        c[^2] = 8f;
        c[^1] = 9f;

        MatMulKernel.Gemm(false, false, m, n, k, a, b, c);

        c[^3..].ShouldBe([7f, 8f, 9f]);
    }

    // ------------------------------------------------------------------ argument validation

    [Test]
    public void Gemm_OperandTooShort_ThrowsArgumentException()
    {
        float[] small = new float[5], ok = new float[12];

        Should.Throw<ArgumentException>(() => MatMulKernel.Gemm(false, false, 3, 4, 2, small, ok, ok)).ParamName.ShouldBe("a");
        Should.Throw<ArgumentException>(() => MatMulKernel.Gemm(false, false, 3, 4, 2, ok, small, ok)).ParamName.ShouldBe("b");
        Should.Throw<ArgumentException>(() => MatMulKernel.Gemm(false, false, 3, 4, 2, ok, ok, small)).ParamName.ShouldBe("c");
    }

    [Test]
    public void Gemm_NegativeDimension_ThrowsArgumentOutOfRangeException()
    {
        double[] buffer = new double[4];

        Should.Throw<ArgumentOutOfRangeException>(() => MatMulKernel.Gemm(false, false, -1, 2, 2, buffer, buffer, buffer));
        Should.Throw<ArgumentOutOfRangeException>(() => MatMulKernel.Gemm(false, false, 2, -1, 2, buffer, buffer, buffer));
        Should.Throw<ArgumentOutOfRangeException>(() => MatMulKernel.Gemm(false, false, 2, 2, -1, buffer, buffer, buffer));
    }

    // ------------------------------------------------------------------ threading and determinism

    // parallelThreshold: 0 makes threads > 1 really split even these small products.
    [TestCase(90, 70, 40)]
    [TestCase(300, 33, 10)]
    [TestCase(5, 3100, 16)]
    [TestCase(20, 61, 300)]
    [TestCase(7, 9, 3)]
    [TestCase(300, 20, 50)]
    [TestCase(9, 200, 40)]
    public void Gemm_AnyThreadCount_BitIdenticalToSingleThread(int m, int n, int k)
    {
        var rng = new Random(HashCode.Combine(m, n, k));
        float[] af = RandomFloats(rng, m * k), bf = RandomFloats(rng, k * n), c0f = RandomFloats(rng, m * n);
        double[] ad = RandomDoubles(rng, m * k), bd = RandomDoubles(rng, k * n), c0d = RandomDoubles(rng, m * n);
        foreach (bool transA in new[] { false, true })
        {
            foreach (bool transB in new[] { false, true })
            {
                bool accumulate = transA;
                float[] expectedF = (float[])c0f.Clone();
                double[] expectedD = (double[])c0d.Clone();
                MatMulKernel.Gemm(transA, transB, m, n, k, af, bf, expectedF, accumulate, KernelWidth.Current, threads: 1);
                MatMulKernel.Gemm(transA, transB, m, n, k, ad, bd, expectedD, accumulate, KernelWidth.Current, threads: 1);
                foreach (int threads in new[] { 2, 3 })
                {
                    float[] cf = (float[])c0f.Clone();
                    double[] cd = (double[])c0d.Clone();
                    MatMulKernel.Gemm(transA, transB, m, n, k, af, bf, cf, accumulate, KernelWidth.Current, threads, parallelThreshold: 0);
                    MatMulKernel.Gemm(transA, transB, m, n, k, ad, bd, cd, accumulate, KernelWidth.Current, threads, parallelThreshold: 0);
                    string what = $"{m}x{n}x{k} transA={transA} transB={transB} threads={threads}";
                    AssertBitIdentical(expectedF, cf, "float " + what);
                    AssertBitIdentical(expectedD, cd, "double " + what);
                }
            }
        }
    }

    [Test]
    public void Gemm_ConcurrentCallers_EachGetsCorrectResult()
    {
        const int m = 150, n = 130, k = 120;
        var rng = new Random(10);
        float[] a = RandomFloats(rng, m * k), b = RandomFloats(rng, k * n);
        float[] expected = new float[m * n];
        MatMulKernel.Gemm(false, false, m, n, k, a, b, expected, false, KernelWidth.Current, 1);

        float[][] results = new float[8][];
        Parallel.For(0, results.Length, i =>
        {
            results[i] = new float[m * n];
            MatMulKernel.Gemm(false, false, m, n, k, a, b, results[i]);
        });

        foreach (float[] result in results)
        {
            AssertBitIdentical(expected, result, "concurrent call");
        }
    }

    [TestCase(false, true, 569, 1, 30)]
    [TestCase(false, false, 569, 30, 1)]
    [TestCase(true, false, 1, 30, 569)]
    [TestCase(false, true, 97, 10, 64)]
    [TestCase(true, false, 10, 64, 97)]
    [TestCase(false, false, 64, 64, 64)]
    public void Gemm_SmallProductAfterWarmUp_AllocatesNothing(bool transA, bool transB, int m, int n, int k)
    {
        // Small models call the kernel thousands of times per epoch: only pooled buffers allowed.
        float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
        for (int i = 0; i < 3; i++)
        {
            MatMulKernel.Gemm(transA, transB, m, n, k, a, b, c, false, KernelWidth.Current, threads: 1);
        }

        // The packing buffers come from ArrayPool<T>.Shared, which may drop its buffers when a
        // full collection runs (another test's garbage, on a loaded 2-core CI machine did once),
        // so one round can refill the pool. A kernel that allocates per call allocates in every
        // round: the quietest of three rounds must allocate nothing.
        long quietest = long.MaxValue;
        for (int round = 0; round < 3 && quietest != 0; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 10; i++)
            {
                MatMulKernel.Gemm(transA, transB, m, n, k, a, b, c, false, KernelWidth.Current, threads: 1);
            }

            quietest = Math.Min(quietest, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        quietest.ShouldBe(0L);
    }

    [Test]
    public void NumThreads_SetBelowOne_ThrowsArgumentOutOfRangeNamingValue()
    {
        int before = Threading.NumThreads;

        var ex = Should.Throw<ArgumentOutOfRangeException>(() => Threading.NumThreads = 0);

        ex.ParamName.ShouldBe("value");
        ex.ActualValue.ShouldBe(0);
        Threading.NumThreads.ShouldBe(before);
    }

    [Test]
    public void NumThreads_SetValidValue_RoundTrips()
    {
        int before = Threading.NumThreads;
        try
        {
            Threading.NumThreads = 3;
            Threading.NumThreads.ShouldBe(3);
        }
        finally
        {
            Threading.NumThreads = before;
        }

        before.ShouldBeGreaterThanOrEqualTo(1);
    }

    [Test]
    public void Gemm_MatrixColumnOfRowDots_EveryWidthBitIdentical()
    {
        // n = 1 with A not transposed: 8-row blocks transposed in registers at 256 bits (four blocks
        // at a time), scalar chains otherwise; every row is the same in-order FMA chain either way.
        var rng = new Random(21);
        foreach (var (m, k) in new[] { (100, 37), (64, 8), (33, 7), (569, 30), (31, 16), (96, 200) })
        {
            float[] a = RandomFloats(rng, m * k), b = RandomFloats(rng, k), c0 = RandomFloats(rng, m);
            foreach (bool accumulate in new[] { false, true })
            {
                float[] expected = (float[])c0.Clone();
                MatMulKernel.Gemm(false, false, m, 1, k, a, b, expected, accumulate, VectorWidth.Scalar, 1);
                foreach (var width in new[] { VectorWidth.Vector128, VectorWidth.Vector256, VectorWidth.Vector512 })
                {
                    float[] c = (float[])c0.Clone();
                    MatMulKernel.Gemm(false, false, m, 1, k, a, b, c, accumulate, width, 1);
                    AssertBitIdentical(expected, c, $"{m}x1x{k} accumulate={accumulate} {width}");
                }
            }
        }
    }

    // ------------------------------------------------------------------ helpers

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

    private static double[] ToDouble(float[] values) => Array.ConvertAll(values, v => (double)v);

    /// <summary>Element (row, col) of op(X), where op(X) is rows×cols and X is stored transposed when <paramref name="trans"/>.</summary>
    private static T At<T>(T[] x, bool trans, int rows, int cols, int row, int col)
        => trans ? x[(col * rows) + row] : x[(row * cols) + col];

    private static double Gamma(int terms, double roundoff) => terms * roundoff / (1 - (terms * roundoff));

    /// <summary>
    /// Checks every element against a compensated dot product (Ogita–Rump–Oishi Dot2) with the
    /// γ(k+1)·(Σ|a||b| + |c0|) bound; reports the worst element on failure.
    /// </summary>
    private static void AssertWithinBound(bool transA, bool transB, int m, int n, int k,
        double[] a, double[] b, double[]? c0, double[] actual, double roundoff, string context = "")
    {
        double gamma = Gamma(k + 1, roundoff);

        // op(A) by rows and op(B) by columns, so the reference loop below is a plain dot product.
        double[] rowsA = new double[m * k], colsB = new double[n * k];
        for (int i = 0; i < m; i++)
        {
            for (int p = 0; p < k; p++)
            {
                rowsA[(i * k) + p] = At(a, transA, m, k, i, p);
            }
        }

        for (int j = 0; j < n; j++)
        {
            for (int p = 0; p < k; p++)
            {
                colsB[(j * k) + p] = At(b, transB, k, n, p, j);
            }
        }

        double worstRatio = 0;
        string worst = "";
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = c0?[(i * n) + j] ?? 0, compensation = 0, magnitude = Math.Abs(sum);
                int rowBase = i * k, colBase = j * k;
                for (int p = 0; p < k; p++)
                {
                    // Dot2: TwoProduct via FMA, TwoSum, errors accumulated separately.
                    double x = rowsA[rowBase + p], y = colsB[colBase + p];
                    double product = x * y;
                    double newSum = sum + product;
                    double z = newSum - sum;
                    compensation += (sum - (newSum - z)) + (product - z) + Math.FusedMultiplyAdd(x, y, -product);
                    sum = newSum;
                    magnitude += Math.Abs(product);
                }

                double exact = sum + compensation;
                double value = actual[(i * n) + j];

                // The reference itself is good to ~u·|exact| + γ(k)²·Σ|a||b|; allow for that too.
                double bound = (gamma * magnitude) + (4 * roundoff * roundoff * magnitude) + double.Epsilon;
                double error = Math.Abs(value - exact);
                double ratio = double.IsNaN(value) ? double.PositiveInfinity : error / bound;
                if (ratio > worstRatio)
                {
                    worstRatio = ratio;
                    worst = $"C[{i},{j}] = {value:R}, reference {exact:R}, error {error:G3} > bound {bound:G3}";
                }
            }
        }

        worstRatio.ShouldBeLessThanOrEqualTo(1.0,
            $"{m}x{n}x{k} transA={transA} transB={transB} {context}: worst element {worst}");
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
