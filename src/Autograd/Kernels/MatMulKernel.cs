using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Autograd.Kernels;

/// <summary>
/// The single entry point for dense matrix products. Everything above this file calls
/// <see cref="Gemm(bool, bool, int, int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, bool)"/>;
/// the implementation can be replaced without touching the math.
/// </summary>
/// <remarks>
/// <para>
/// The implementation follows the BLIS/GotoBLAS design: C is cut into NC-wide column blocks, the
/// k dimension into KC-deep slices and the rows into MC-tall blocks. For each (column block, k slice)
/// a KC×NC panel of op(B) is packed into NR-wide micro-panels, for each row block an MC×KC panel of
/// op(A) is packed into MR-tall micro-panels, and an MR×NR register-tiled micro-kernel (FMA on
/// 512-, 256- or 128-bit vectors, or scalar) walks over them. Transposed operands are handled by the
/// packing routines, so no transpose is ever materialised.
/// </para>
/// <para>
/// Skinny products skip packing where it would cost as much as the arithmetic: m = 1 or n = 1
/// (matrix-vector) use streaming kernels; with at most two column tiles A is read in place, and
/// with at most two row tiles an untransposed B is (the shapes of small models, e.g. 1797×64 ·
/// 64×10 and its gradients). On 256- and 128-bit vectors, C with at most 15 rows and an
/// untransposed B (a weight gradient Gᵀ·X) takes column strips with 5-row tiles instead, and a
/// float32 C with 9 or 10 columns (a 10-class linear layer) 8-row tiles that put the last two
/// columns of four rows in one vector (<c>MatMulKernel.Skinny.cs</c>): the 6×16 tile would
/// compute mostly padding there.
/// </para>
/// <para>
/// Threads: products of at least <see cref="ParallelThreshold"/> multiply-adds are split over
/// <see cref="Threading.NumThreads"/> threads. Per (column block, k slice) the B panel is packed
/// once, then (row block × column range) work units are claimed dynamically by the caller and
/// thread-pool helpers (<see cref="ForkJoin"/>); the k dimension is never split.
/// </para>
/// <para>
/// Numerics and determinism: every element of C is computed as one sequential chain of fused
/// multiply-adds over p = 0, 1, ..., k-1, starting from 0 (or from the old C when accumulating);
/// the micro-kernel reloads its partial sums from C between k slices, so the blocking never
/// changes the order. Each element is computed by exactly one thread, hence results are
/// bit-identical whatever <see cref="Threading.NumThreads"/> is, whichever code path (blocked,
/// skinny or matrix-vector) and vector width (<see cref="KernelWidth"/>) is taken, and a row of C
/// does not depend on the other rows in the batch. Without FMA hardware the fused multiply-adds
/// are computed in software (exactly, and slowly), never as a separate multiply and add.
/// </para>
/// </remarks>
internal static unsafe partial class MatMulKernel
{
    /// <summary>
    /// Products with fewer multiply-adds than this (m·n·k) always run on the calling thread:
    /// below it, waking a helper thread costs about as much as it saves (measured on a 2-core
    /// AVX2 machine: 128³ is roughly break-even, 96³ a loss).
    /// </summary>
    internal const long ParallelThreshold = 128L * 128 * 128;

    /// <summary>Minimum number of multiply-adds worth giving to one extra thread.</summary>
    private const long MinWorkPerThread = 64L * 64 * 64;

    /// <summary>Alignment, in bytes, of the packed panels.</summary>
    private const int PanelAlignment = 64;


    /// <summary>
    /// Computes <c>C = op(A) · op(B)</c> (or <c>C += ...</c> when <paramref name="accumulate"/>),
    /// where C is m×n row-major, op(A) is m×k and op(B) is k×n. A is stored row-major as m×k,
    /// or as k×m when <paramref name="transA"/>; B as k×n, or as n×k when <paramref name="transB"/>.
    /// </summary>
    public static void Gemm(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, bool accumulate = false)
        => Gemm(transA, transB, m, n, k, a, b, c, accumulate, KernelWidth.Current, Threading.NumThreads);

    /// <inheritdoc cref="Gemm(bool, bool, int, int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, bool)"/>
    public static void Gemm(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> c, bool accumulate = false)
        => Gemm(transA, transB, m, n, k, a, b, c, accumulate, KernelWidth.Current, Threading.NumThreads);

    /// <summary>The float or double product below, for a caller generic over the element type.</summary>
    internal static void Gemm<T>(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, bool accumulate, VectorWidth isa, int threads, long parallelThreshold)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
            Gemm(transA, transB, m, n, k, MemoryMarshal.Cast<T, float>(a), MemoryMarshal.Cast<T, float>(b), MemoryMarshal.Cast<T, float>(c), accumulate, isa, threads, parallelThreshold);
        else if (typeof(T) == typeof(double))
            Gemm(transA, transB, m, n, k, MemoryMarshal.Cast<T, double>(a), MemoryMarshal.Cast<T, double>(b), MemoryMarshal.Cast<T, double>(c), accumulate, isa, threads, parallelThreshold);
        else throw new NotSupportedException($"No matrix product for {typeof(T).Name}.");
    }

    /// <summary>
    /// <see cref="Gemm(bool, bool, int, int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, bool)"/>
    /// with an explicit micro-kernel family and thread budget (for tests and benchmarks). An
    /// <paramref name="isa"/> the machine does not accelerate still works, emulated in software.
    /// Products with fewer than <paramref name="parallelThreshold"/> multiply-adds run on the
    /// calling thread whatever <paramref name="threads"/> is.
    /// </summary>
    internal static void Gemm(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, bool accumulate, VectorWidth isa, int threads,
        long parallelThreshold = ParallelThreshold)
    {
        if (!Prologue(m, n, k, a.Length, b.Length, c.Length, threads))
        {
            if (k == 0 && !accumulate) c[..(m * n)].Clear();
            return;
        }

        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        {
            var problem = new Problem<float>(transA, transB, m, n, k, pa, pb, pc, accumulate);
            threads = ThreadsFor(m, n, k, threads, parallelThreshold);
            if (TrySkinny(problem, isa, threads)) return;
            if (isa == VectorWidth.Vector512 && !WideTilePays(m, n))
            {
                isa = VectorWidth.Vector256;
                if (TrySkinny(problem, isa, threads)) return;
            }

            switch (isa)
            {
                case VectorWidth.Vector512:
                    Driver<float, Tile12x2<float, Vector512<float>, V512F>>.Run(problem, threads);
                    break;
                case VectorWidth.Vector256:
                    Driver<float, Tile6x2<float, Vector256<float>, V256F>>.Run(problem, threads);
                    break;
                case VectorWidth.Vector128:
                    Driver<float, Tile6x2<float, Vector128<float>, V128F>>.Run(problem, threads);
                    break;
                default:
                    Driver<float, ScalarTile<float>>.Run(problem, threads);
                    break;
            }
        }
    }

    /// <inheritdoc cref="Gemm(bool, bool, int, int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, bool, VectorWidth, int, long)"/>
    internal static void Gemm(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> c, bool accumulate, VectorWidth isa, int threads,
        long parallelThreshold = ParallelThreshold)
    {
        if (!Prologue(m, n, k, a.Length, b.Length, c.Length, threads))
        {
            if (k == 0 && !accumulate) c[..(m * n)].Clear();
            return;
        }

        fixed (double* pa = a)
        fixed (double* pb = b)
        fixed (double* pc = c)
        {
            var problem = new Problem<double>(transA, transB, m, n, k, pa, pb, pc, accumulate);
            threads = ThreadsFor(m, n, k, threads, parallelThreshold);
            if (TrySkinny(problem, isa, threads)) return;
            if (isa == VectorWidth.Vector512 && !WideTilePays(m, n))
            {
                isa = VectorWidth.Vector256;
                if (TrySkinny(problem, isa, threads)) return;
            }

            switch (isa)
            {
                case VectorWidth.Vector512:
                    Driver<double, Tile12x2<double, Vector512<double>, V512D>>.Run(problem, threads);
                    break;
                case VectorWidth.Vector256:
                    Driver<double, Tile6x2<double, Vector256<double>, V256D>>.Run(problem, threads);
                    break;
                case VectorWidth.Vector128:
                    Driver<double, Tile6x2<double, Vector128<double>, V128D>>.Run(problem, threads);
                    break;
                default:
                    Driver<double, ScalarTile<double>>.Run(problem, threads);
                    break;
            }
        }
    }

    /// <summary>
    /// Whether the 512-bit kernels suit a product: matrix-vector products, and products big enough
    /// to fill the 12 × (2 vectors) tile, at least 4 row tiles by 2 column tiles. The rest (the
    /// skinny and small products of small models, e.g. a convolution's 6 × 25 · 25 × 576) run the
    /// 256-bit kernels, whose tiles and skinny paths fit them better. Both give the same bits, so
    /// this decides speed alone (measured on AMD Zen 5: docs/performance.md).
    /// </summary>
    private static bool WideTilePays(int m, int n) => m == 1 || n == 1 || (m >= 48 && n >= 64);

    /// <summary>How many threads a product of this size should use, given a budget.</summary>
    private static int ThreadsFor(int m, int n, int k, int threads, long parallelThreshold)
    {
        long work = (long)m * n * k;
        if (threads <= 1 || work < parallelThreshold) return 1;
        return (int)Math.Min(threads, Math.Max(2, work / MinWorkPerThread));
    }

    /// <summary>Validates the arguments; returns false when there is no multiply-add to do.</summary>
    private static bool Prologue(int m, int n, int k, int aLength, int bLength, int cLength, int threads)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        if ((long)m * k > aLength) throw new ArgumentException($"A holds {aLength} elements; op(A) is {m}x{k}.", "a");
        if ((long)k * n > bLength) throw new ArgumentException($"B holds {bLength} elements; op(B) is {k}x{n}.", "b");
        if ((long)m * n > cLength) throw new ArgumentException($"C holds {cLength} elements; C is {m}x{n}.", "c");
        return m != 0 && n != 0 && k != 0;
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    private static int CeilDiv(int value, int divisor) => (value + divisor - 1) / divisor;

    private static T* Align<T>(T* pointer)
        where T : unmanaged
        => (T*)(((nint)pointer + (PanelAlignment - 1)) & ~(nint)(PanelAlignment - 1));

    /// <summary>
    /// One product, as raw pointers and strides: element (i, p) of op(A) is at
    /// <c>A[i*ARow + p*ADepth]</c>, element (p, j) of op(B) at <c>B[p*BDepth + j*BCol]</c>,
    /// element (i, j) of C at <c>C[i*N + j]</c>.
    /// </summary>
    private readonly struct Problem<T>
        where T : unmanaged
    {
        public readonly T* A;
        public readonly T* B;
        public readonly T* C;
        public readonly nint ARow;
        public readonly nint ADepth;
        public readonly nint BDepth;
        public readonly nint BCol;
        public readonly int M;
        public readonly int N;
        public readonly int K;
        public readonly bool Accumulate;

        public Problem(bool transA, bool transB, int m, int n, int k, T* a, T* b, T* c, bool accumulate)
        {
            A = a;
            B = b;
            C = c;
            ARow = transA ? 1 : k;
            ADepth = transA ? m : 1;
            BDepth = transB ? 1 : n;
            BCol = transB ? k : 1;
            M = m;
            N = n;
            K = k;
            Accumulate = accumulate;
        }
    }

    /// <summary>An MR×NR register-tiled micro-kernel together with the cache blocking that suits it.</summary>
    private interface IMicroTile<T>
        where T : unmanaged
    {
        /// <summary>Rows of C per micro-tile (the width of a packed A micro-panel).</summary>
        static abstract int MR { get; }

        /// <summary>Columns of C per micro-tile (the width of a packed B micro-panel).</summary>
        static abstract int NR { get; }

        /// <summary>Depth of a k slice (a packed KC×NR B micro-panel should sit in L1).</summary>
        static abstract int KC { get; }

        /// <summary>Rows per packed A block (MC×KC should sit in L2).</summary>
        static abstract int MC { get; }

        /// <summary>Columns per packed B block (KC×NC should sit in L3).</summary>
        static abstract int NC { get; }

        /// <summary>
        /// C[i, j] = (<paramref name="load"/> ? C[i, j] : 0) + Σ_p a[p*MR + i] · b[p*NR + j], one fused
        /// multiply-add per p, in order, for i &lt; <paramref name="rows"/> ≤ MR and
        /// j &lt; <paramref name="cols"/> ≤ NR (row stride <paramref name="ldc"/>); the rest of the
        /// tile is neither read nor written.
        /// </summary>
        static abstract void Run(int kc, T* a, T* b, T* c, nint ldc, bool load, int rows, int cols);

        /// <summary>
        /// As <see cref="Run"/>, with A and B read through strides: A(i, p) at
        /// <c>a[i*aLane + p*aDepth]</c> (rows i ≥ <paramref name="rows"/> are never read) and the
        /// B row p at <c>b + p*bDepth</c> (NR contiguous elements, all readable).
        /// </summary>
        static abstract void RunStrided(int kc, T* a, nint aLane, nint aDepth, T* b, nint bDepth, T* c, nint ldc, bool load, int rows, int cols);

        /// <summary>The whole product when m = 1 or n = 1, without packing.</summary>
        static abstract void MatrixVector(in Problem<T> p, int threads);
    }
}
