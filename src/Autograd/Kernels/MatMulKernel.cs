using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Autograd.Kernels;

/// <summary>The instruction-set family a <see cref="MatMulKernel"/> micro-kernel is written for.</summary>
internal enum GemmIsa
{
    /// <summary>Plain scalar code: the fallback when no vector unit is accelerated.</summary>
    Scalar,

    /// <summary>128-bit vectors (SSE/NEON) with fused multiply-add.</summary>
    Vector128,

    /// <summary>256-bit vectors (AVX2 + FMA3).</summary>
    Vector256,

    /// <summary>512-bit vectors (AVX-512F).</summary>
    Vector512,
}

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
/// bit-identical whatever <see cref="Threading.NumThreads"/> is, whichever code path (blocked or
/// matrix-vector, any vector width) is taken on hardware with FMA, and a row of C does not depend
/// on the other rows in the batch.
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

    /// <summary>The fastest micro-kernel family this machine accelerates.</summary>
    internal static readonly GemmIsa BestIsa = DetectIsa();

    /// <summary>Whether the scalar fallback uses a hardware fused multiply-add (then all ISAs agree bit for bit).</summary>
    private static readonly bool ScalarFma = Fma.IsSupported || AdvSimd.IsSupported;

    /// <summary>
    /// Computes <c>C = op(A) · op(B)</c> (or <c>C += ...</c> when <paramref name="accumulate"/>),
    /// where C is m×n row-major, op(A) is m×k and op(B) is k×n. A is stored row-major as m×k,
    /// or as k×m when <paramref name="transA"/>; B as k×n, or as n×k when <paramref name="transB"/>.
    /// </summary>
    public static void Gemm(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, bool accumulate = false)
        => Gemm(transA, transB, m, n, k, a, b, c, accumulate, BestIsa, Threading.NumThreads);

    /// <inheritdoc cref="Gemm(bool, bool, int, int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, bool)"/>
    public static void Gemm(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> c, bool accumulate = false)
        => Gemm(transA, transB, m, n, k, a, b, c, accumulate, BestIsa, Threading.NumThreads);

    /// <summary>
    /// <see cref="Gemm(bool, bool, int, int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, bool)"/>
    /// with an explicit micro-kernel family and thread budget (for tests and benchmarks). An
    /// <paramref name="isa"/> the machine does not accelerate still works, emulated in software.
    /// Products with fewer than <paramref name="parallelThreshold"/> multiply-adds run on the
    /// calling thread whatever <paramref name="threads"/> is.
    /// </summary>
    internal static void Gemm(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, bool accumulate, GemmIsa isa, int threads,
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
            switch (isa)
            {
                case GemmIsa.Vector512:
                    Driver<float, Tile12x2<float, Vector512<float>, V512F>>.Run(problem, threads);
                    break;
                case GemmIsa.Vector256:
                    Driver<float, Tile6x2<float, Vector256<float>, V256F>>.Run(problem, threads);
                    break;
                case GemmIsa.Vector128:
                    Driver<float, Tile6x2<float, Vector128<float>, V128F>>.Run(problem, threads);
                    break;
                default:
                    Driver<float, ScalarTile<float>>.Run(problem, threads);
                    break;
            }
        }
    }

    /// <inheritdoc cref="Gemm(bool, bool, int, int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, bool, GemmIsa, int, long)"/>
    internal static void Gemm(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> c, bool accumulate, GemmIsa isa, int threads,
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
            switch (isa)
            {
                case GemmIsa.Vector512:
                    Driver<double, Tile12x2<double, Vector512<double>, V512D>>.Run(problem, threads);
                    break;
                case GemmIsa.Vector256:
                    Driver<double, Tile6x2<double, Vector256<double>, V256D>>.Run(problem, threads);
                    break;
                case GemmIsa.Vector128:
                    Driver<double, Tile6x2<double, Vector128<double>, V128D>>.Run(problem, threads);
                    break;
                default:
                    Driver<double, ScalarTile<double>>.Run(problem, threads);
                    break;
            }
        }
    }

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

    private static GemmIsa DetectIsa()
    {
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported) return GemmIsa.Vector512;
        if (Vector256.IsHardwareAccelerated && Fma.IsSupported) return GemmIsa.Vector256;
        if (Vector128.IsHardwareAccelerated && (Fma.IsSupported || AdvSimd.IsSupported)) return GemmIsa.Vector128;
        return GemmIsa.Scalar;
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    private static int CeilDiv(int value, int divisor) => (value + divisor - 1) / divisor;

    private static T* Align<T>(T* pointer)
        where T : unmanaged
        => (T*)(((nint)pointer + (PanelAlignment - 1)) & ~(nint)(PanelAlignment - 1));

    /// <summary>
    /// A minimal fork-join over work items 0..count-1, for the parallel schedules. The calling
    /// thread works too, and items are claimed one at a time from a shared counter, so a helper
    /// that starts late (the machine is busy) just finds less to do; the caller waits only for
    /// items already claimed, never for a helper to be scheduled. Which thread runs an item never
    /// changes what the item computes. Also used by other row-parallel kernels
    /// (<see cref="ParallelKernels.ForParts"/>).
    /// </summary>
    internal sealed class ForkJoin
    {
        private readonly Action<int> body;
        private readonly int count;
        private readonly ManualResetEventSlim done = new(false, 64);
        private int next = -1;
        private int pending;
        private Exception? error;

        private ForkJoin(int count, Action<int> body)
        {
            this.count = count;
            this.body = body;
            pending = count;
        }

        /// <summary>Runs <paramref name="body"/> for every item, on up to <paramref name="threads"/> threads.</summary>
        public static void Run(int count, int threads, Action<int> body)
        {
            if (threads <= 1 || count <= 1)
            {
                for (int i = 0; i < count; i++)
                {
                    body(i);
                }

                return;
            }

            var job = new ForkJoin(count, body);
            int helpers = Math.Min(threads, count) - 1;
            for (int h = 0; h < helpers; h++)
            {
                ThreadPool.UnsafeQueueUserWorkItem(static j => j.Work(), job, preferLocal: false);
            }

            job.Work();
            if (Volatile.Read(ref job.pending) != 0)
            {
                job.done.Wait();
            }

            if (job.error is { } error)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
            }
        }

        private void Work()
        {
            int item;
            while ((item = Interlocked.Increment(ref next)) < count)
            {
                try
                {
                    body(item);
                }
                catch (Exception ex)
                {
                    Interlocked.CompareExchange(ref error, ex, null);
                }
                finally
                {
                    if (Interlocked.Decrement(ref pending) == 0)
                    {
                        done.Set();
                    }
                }
            }
        }
    }

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

    /// <summary>The cache-blocked loops around a micro-kernel, and the split across threads.</summary>
    private static class Driver<T, TTile>
        where T : unmanaged
        where TTile : struct, IMicroTile<T>
    {
        /// <summary>Computes the product with up to <paramref name="threads"/> threads (1: on the calling thread).</summary>
        public static void Run(in Problem<T> p, int threads)
        {
            if (p.M == 1 || p.N == 1)
            {
                TTile.MatrixVector(p, threads);
                return;
            }

            if (threads > 1)
            {
                // A work unit is at least 4 row tiles × 4 column tiles; never split k (that would
                // change the order of the sums).
                long units = (long)CeilDiv(p.M, 4 * TTile.MR) * CeilDiv(p.N, 4 * TTile.NR);
                threads = (int)Math.Min(threads, units);
            }

            if (threads <= 1)
            {
                Blocked(p);
            }
            else
            {
                RunParallel(p, threads);
            }
        }

        /// <summary>
        /// Whether op(A) is read in place instead of packed: when C has at most two column tiles,
        /// each A element is used by at most two micro-kernel calls and packing it would cost about
        /// as much as the arithmetic (the skinny shapes of small models, e.g. 1797×64 · 64×10).
        /// </summary>
        private static bool DirectA(in Problem<T> p) => p.N <= 2 * TTile.NR;

        /// <summary>
        /// Whether op(B) is read in place: B not transposed (micro-panel rows contiguous) and at most
        /// two row tiles, e.g. the weight gradient 10×1797 · 1797×64.
        /// </summary>
        private static bool DirectB(in Problem<T> p) => p.BCol == 1 && p.M <= 2 * TTile.MR;

        /// <summary>The single-threaded schedule: the classic five loops around the micro-kernel.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Blocked(in Problem<T> p)
        {
            int mr = TTile.MR, nr = TTile.NR;
            int m = p.M, n = p.N, k = p.K;
            bool directA = DirectA(p), directB = DirectB(p);

            // Balanced block sizes: e.g. k = 300 gives two slices of 150, not 256 + 44.
            int kc = CeilDiv(k, CeilDiv(k, TTile.KC));
            int mc = Math.Min(RoundUp(CeilDiv(m, CeilDiv(m, TTile.MC)), mr), RoundUp(m, mr));
            int nc = Math.Min(RoundUp(CeilDiv(n, CeilDiv(n, TTile.NC)), nr), RoundUp(n, nr));

            int alignPad = PanelAlignment / sizeof(T);
            T[] aBuffer = ArrayPool<T>.Shared.Rent((directA ? 0 : mc * kc) + alignPad);
            T[] bBuffer = ArrayPool<T>.Shared.Rent(((directB ? nr : nc) * kc) + alignPad);
            try
            {
                fixed (T* aRaw = aBuffer)
                fixed (T* bRaw = bBuffer)
                {
                    T* aPack = Align(aRaw);
                    T* bPack = Align(bRaw);
                    for (int jc = 0; jc < n; jc += nc)
                    {
                        int ncCur = Math.Min(nc, n - jc);
                        for (int pc = 0; pc < k; pc += kc)
                        {
                            int kcCur = Math.Min(kc, k - pc);
                            bool load = p.Accumulate || pc > 0;
                            Panels bPanels;
                            if (directB)
                            {
                                bPanels = Panels.Direct(p.B + jc + (pc * p.BDepth), nr, 1, p.BDepth);
                            }
                            else
                            {
                                PackB(p, pc, kcCur, jc, ncCur, bPack);
                                bPanels = Panels.PackedPanels(bPack, nr, kcCur);
                            }

                            for (int ic = 0; ic < m; ic += mc)
                            {
                                int mcCur = Math.Min(mc, m - ic);
                                Panels aPanels;
                                if (directA)
                                {
                                    aPanels = Panels.Direct(p.A + (ic * p.ARow) + (pc * p.ADepth), mr, p.ARow, p.ADepth);
                                }
                                else
                                {
                                    PackA(p, ic, mcCur, pc, kcCur, aPack);
                                    aPanels = Panels.PackedPanels(aPack, mr, kcCur);
                                }

                                Macro(p.C + ((nint)ic * n) + jc, n, mcCur, ncCur, kcCur, aPanels, bPanels, bPack, load);
                            }
                        }
                    }
                }
            }
            finally
            {
                ArrayPool<T>.Shared.Return(aBuffer);
                ArrayPool<T>.Shared.Return(bBuffer);
            }
        }

        /// <summary>
        /// The multi-threaded schedule. For each (column block, k slice) the B panel is packed once,
        /// by all threads, then the block of C is cut into work units (a row block × a range of B
        /// micro-panels) handed out dynamically, so a thread slowed down by another process simply
        /// takes fewer units. Each unit packs its own A block.
        /// </summary>
        private static void RunParallel(in Problem<T> p, int threads)
        {
            int mr = TTile.MR, nr = TTile.NR, k = p.K;
            int kc = CeilDiv(k, CeilDiv(k, TTile.KC));
            int nc = Math.Min(RoundUp(CeilDiv(p.N, CeilDiv(p.N, TTile.NC)), nr), RoundUp(p.N, nr));

            // Aim for a few units per thread so the dynamic hand-out can balance the load.
            int targetUnits = 4 * threads;
            int mc = Math.Clamp(RoundUp(CeilDiv(p.M, targetUnits), mr), 4 * mr, RoundUp(TTile.MC, mr));
            int rowBlocks = CeilDiv(p.M, mc);
            mc = CeilDiv(CeilDiv(p.M, mr), rowBlocks) * mr; // the tallest block; see RowStart

            var state = new ParallelState(p, kc, mc, rowBlocks, DirectA(p), DirectB(p));
            T[] bBuffer = ArrayPool<T>.Shared.Rent((state.DirectB ? 0 : nc * kc) + (PanelAlignment / sizeof(T)));
            try
            {
                fixed (T* bRaw = bBuffer)
                {
                    state.BPack = Align(bRaw);
                    for (int jc = 0; jc < p.N; jc += nc)
                    {
                        int ncCur = Math.Min(nc, p.N - jc);
                        int panels = CeilDiv(ncCur, nr);
                        int colChunks = Math.Clamp(CeilDiv(targetUnits, rowBlocks), 1, CeilDiv(panels, 4));
                        state.Jc = jc;
                        state.Nc = ncCur;
                        state.PanelsPerChunk = CeilDiv(panels, colChunks);
                        state.ColChunks = CeilDiv(panels, state.PanelsPerChunk);
                        for (int pc = 0; pc < k; pc += kc)
                        {
                            state.Pc = pc;
                            state.KcCur = Math.Min(kc, k - pc);
                            state.Load = p.Accumulate || pc > 0;

                            // Pack the B panel: in parallel when it is big enough to be worth it.
                            int packChunks = Math.Min(threads, CeilDiv(panels, 16));
                            if (state.DirectB)
                            {
                                // Read in place; units pack their own ragged edge panel.
                            }
                            else if (packChunks > 1)
                            {
                                state.PackChunk = CeilDiv(panels, packChunks);
                                ForkJoin.Run(packChunks, threads, state.PackBChunk);
                            }
                            else
                            {
                                PackB(p, pc, state.KcCur, jc, ncCur, state.BPack);
                            }

                            ForkJoin.Run(rowBlocks * state.ColChunks, threads, state.ComputeUnit);
                        }
                    }
                }
            }
            finally
            {
                ArrayPool<T>.Shared.Return(bBuffer);
            }
        }

        /// <summary>What the workers of <see cref="RunParallel"/> share for one (column block, k slice) step.</summary>
        private sealed class ParallelState
        {
            public readonly Problem<T> Problem;
            public readonly int Kc;
            public readonly int Mc;
            public readonly int RowBlocks;
            public readonly bool DirectA;
            public readonly bool DirectB;
            public readonly Action<int> PackBChunk;
            public readonly Action<int> ComputeUnit;
            public T* BPack;
            public int Jc;
            public int Nc;
            public int PanelsPerChunk;
            public int ColChunks;
            public int Pc;
            public int KcCur;
            public int PackChunk;
            public bool Load;

            public ParallelState(in Problem<T> problem, int kc, int mc, int rowBlocks, bool directA, bool directB)
            {
                Problem = problem;
                Kc = kc;
                Mc = mc;
                RowBlocks = rowBlocks;
                DirectA = directA;
                DirectB = directB;
                PackBChunk = PackBPanels;
                ComputeUnit = Compute;
            }

            /// <summary>First row of a row block: the MR-row tiles are shared out as evenly as possible.</summary>
            private int RowStart(int rowBlock)
            {
                int mr = TTile.MR;
                long tiles = CeilDiv(Problem.M, mr);
                return (int)Math.Min(Problem.M, tiles * rowBlock / RowBlocks * mr);
            }

            private void PackBPanels(int chunk)
            {
                int nr = TTile.NR;
                int j0 = chunk * PackChunk * nr;
                int j1 = Math.Min(Nc, j0 + (PackChunk * nr));
                if (j1 > j0)
                {
                    PackB(Problem, Pc, KcCur, Jc + j0, j1 - j0, BPack + ((nint)j0 * KcCur));
                }
            }

            private void Compute(int unit)
            {
                int mr = TTile.MR, nr = TTile.NR;
                int rowBlock = unit / ColChunks, colChunk = unit % ColChunks;
                int ic = RowStart(rowBlock);
                int mcCur = RowStart(rowBlock + 1) - ic;
                int j0 = colChunk * PanelsPerChunk * nr;
                int j1 = Math.Min(Nc, j0 + (PanelsPerChunk * nr));
                if (mcCur <= 0 || j1 <= j0)
                {
                    return;
                }

                // One buffer for this unit's packed A block and (direct B) its ragged B edge panel.
                int aLength = DirectA ? 0 : RoundUp(Mc * Kc, PanelAlignment / sizeof(T));
                T[] buffer = ArrayPool<T>.Shared.Rent(aLength + (DirectB ? nr * Kc : 0) + (PanelAlignment / sizeof(T)));
                try
                {
                    fixed (T* raw = buffer)
                    {
                        T* aPack = Align(raw);
                        ref readonly Problem<T> p = ref Problem;
                        Panels aPanels, bPanels;
                        if (DirectA)
                        {
                            aPanels = Panels.Direct(p.A + (ic * p.ARow) + (Pc * p.ADepth), mr, p.ARow, p.ADepth);
                        }
                        else
                        {
                            PackA(p, ic, mcCur, Pc, KcCur, aPack);
                            aPanels = Panels.PackedPanels(aPack, mr, KcCur);
                        }

                        bPanels = DirectB
                            ? Panels.Direct(p.B + Jc + j0 + (Pc * p.BDepth), nr, 1, p.BDepth)
                            : Panels.PackedPanels(BPack + ((nint)j0 * KcCur), nr, KcCur);
                        Macro(p.C + ((nint)ic * p.N) + Jc + j0, p.N, mcCur, j1 - j0, KcCur, aPanels, bPanels, aPack + aLength, Load);
                    }
                }
                finally
                {
                    ArrayPool<T>.Shared.Return(buffer);
                }
            }
        }

        /// <summary>
        /// Where the micro-panels of one operand block are: packed (panel after panel, each
        /// p-major with unit lane stride) or read in place from the operand with its own strides.
        /// </summary>
        private readonly struct Panels
        {
            /// <summary>The first micro-panel.</summary>
            public readonly T* Base;

            /// <summary>Pointer step from one micro-panel to the next.</summary>
            public readonly nint PanelStep;

            /// <summary>Step between the lanes (rows of A, columns of B) of a micro-panel.</summary>
            public readonly nint LaneStride;

            /// <summary>Step between consecutive p.</summary>
            public readonly nint DepthStride;

            public readonly bool Packed;

            private Panels(T* first, nint panelStep, nint laneStride, nint depthStride, bool packed)
            {
                Base = first;
                PanelStep = panelStep;
                LaneStride = laneStride;
                DepthStride = depthStride;
                Packed = packed;
            }

            public static Panels PackedPanels(T* buffer, int width, int kc) => new(buffer, (nint)width * kc, 1, width, true);

            public static Panels Direct(T* first, int width, nint laneStride, nint depthStride)
                => new(first, width * laneStride, laneStride, depthStride, false);
        }

        /// <summary>
        /// Runs the micro-kernel over an mc×nc block of C. <paramref name="edge"/> (NR×kc) holds the
        /// ragged last B panel when B is read in place.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Macro(T* c, nint ldc, int mc, int nc, int kc, in Panels a, in Panels b, T* edge, bool load)
        {
            int mr = TTile.MR, nr = TTile.NR;
            for (int jr = 0, jt = 0; jr < nc; jr += nr, jt++)
            {
                int cols = Math.Min(nr, nc - jr);
                T* bPanel = b.Base + (jt * b.PanelStep);
                nint bStride = b.DepthStride;
                bool bPacked = b.Packed;
                if (!bPacked && cols < nr)
                {
                    // Vector loads would run past the last column: pack this one panel (zero-padded).
                    PackPanel(bPanel, b.LaneStride, b.DepthStride, cols, nr, kc, edge);
                    bPanel = edge;
                    bStride = nr;
                    bPacked = true;
                }

                for (int ir = 0, it = 0; ir < mc; ir += mr, it++)
                {
                    // Ragged edges run the same kernel (lanes outside C see zero padding or are
                    // never stored), so results do not depend on where edges fall.
                    T* aPanel = a.Base + (it * a.PanelStep);
                    T* cTile = c + (ir * ldc) + jr;
                    int rows = Math.Min(mr, mc - ir);
                    if (a.Packed && bPacked)
                    {
                        TTile.Run(kc, aPanel, bPanel, cTile, ldc, load, rows, cols);
                    }
                    else
                    {
                        TTile.RunStrided(kc, aPanel, a.LaneStride, a.DepthStride, bPanel, bStride, cTile, ldc, load, rows, cols);
                    }
                }
            }
        }

        /// <summary>
        /// Packs rows [ic, ic+mc) × depth [pc, pc+kc) of op(A) into MR-tall micro-panels laid out
        /// p-major (panel[p*MR + i]), zero-padding the last panel.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void PackA(in Problem<T> p, int ic, int mc, int pc, int kc, T* dst)
        {
            int mr = TTile.MR;
            if (p.ARow == 1)
            {
                PackContiguousLanes(p.A + ic + (pc * p.ADepth), p.ADepth, mc, mr, kc, dst);
                return;
            }

            for (int ir = 0; ir < mc; ir += mr)
            {
                int rows = Math.Min(mr, mc - ir);
                T* src = p.A + ((ic + ir) * p.ARow) + (pc * p.ADepth);
                PackPanel(src, p.ARow, p.ADepth, rows, mr, kc, dst + ((nint)ir * kc));
            }
        }

        /// <summary>
        /// Packs depth [pc, pc+kc) × columns [jc, jc+nc) of op(B) into NR-wide micro-panels laid out
        /// p-major (panel[p*NR + j]), zero-padding the last panel.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void PackB(in Problem<T> p, int pc, int kc, int jc, int nc, T* dst)
        {
            int nr = TTile.NR;
            if (p.BCol == 1)
            {
                PackContiguousLanes(p.B + jc + (pc * p.BDepth), p.BDepth, nc, nr, kc, dst);
                return;
            }

            for (int jr = 0; jr < nc; jr += nr)
            {
                int cols = Math.Min(nr, nc - jr);
                T* src = p.B + ((jc + jr) * p.BCol) + (pc * p.BDepth);
                PackPanel(src, p.BCol, p.BDepth, cols, nr, kc, dst + ((nint)jr * kc));
            }
        }

        /// <summary>
        /// Packs a block whose lanes are contiguous in memory (A transposed, or B not transposed):
        /// lane l of depth q at <c>src[q*depthStride + l]</c>, l &lt; <paramref name="lanes"/>, into
        /// <paramref name="width"/>-wide micro-panels. Goes depth by depth over the whole block, so
        /// every source row is read once, contiguously (panel by panel, a power-of-two
        /// <paramref name="depthStride"/> would make the partial cache lines thrash L1 and L2).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void PackContiguousLanes(T* src, nint depthStride, int lanes, int width, int kc, T* dst)
        {
            int fullPanels = lanes / width, rest = lanes - (fullPanels * width);
            uint bytes = (uint)(width * sizeof(T));
            nint panelStep = (nint)width * kc;
            T* restPanel = dst + (fullPanels * panelStep);
            if (rest > 0)
            {
                new Span<T>(restPanel, width * kc).Clear();
            }

            for (int q = 0; q < kc; q++)
            {
                T* s = src + (q * depthStride);
                T* d = dst + ((nint)q * width);
                for (int panel = 0; panel < fullPanels; panel++)
                {
                    Unsafe.CopyBlockUnaligned(d, s, bytes);
                    s += width;
                    d += panelStep;
                }

                T* e = restPanel + ((nint)q * width);
                for (int l = 0; l < rest; l++)
                {
                    e[l] = s[l];
                }
            }
        }

        /// <summary>
        /// dst[q*width + l] = src[l*laneStride + q*depthStride] for l &lt; lanes, 0 for lanes ≤ l &lt; width.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void PackPanel(T* src, nint laneStride, nint depthStride, int lanes, int width, int kc, T* dst)
        {
            if (laneStride == 1 && lanes == width)
            {
                // Lanes contiguous in memory (A transposed, or B not transposed): row copies.
                uint bytes = (uint)(width * sizeof(T));
                for (int q = 0; q < kc; q++)
                {
                    Unsafe.CopyBlockUnaligned(dst + ((nint)q * width), src + (q * depthStride), bytes);
                }

                return;
            }

            if (lanes < width)
            {
                new Span<T>(dst, width * kc).Clear();
            }

            if (depthStride == 1)
            {
                // Each lane contiguous along depth (A not transposed, or B transposed): gather by lane.
                for (int l = 0; l < lanes; l++)
                {
                    T* s = src + (l * laneStride);
                    T* d = dst + l;
                    for (int q = 0; q < kc; q++)
                    {
                        d[(nint)q * width] = s[q];
                    }
                }
            }
            else
            {
                for (int q = 0; q < kc; q++)
                {
                    T* s = src + (q * depthStride);
                    T* d = dst + ((nint)q * width);
                    for (int l = 0; l < lanes; l++)
                    {
                        d[l] = s[l * laneStride];
                    }
                }
            }
        }
    }

    /// <summary>
    /// Matrix-vector products (m = 1 or n = 1), streamed without packing. Written as
    /// <c>out[t] = (accumulate ? out[t] : 0) + Σ_p s[p] · M(t, p)</c>: for n = 1, out is the column
    /// C, s is op(B) and M(t, p) = op(A)(t, p); for m = 1, out is the row C, s is op(A) and
    /// M(t, p) = op(B)(p, t). Each out[t] is still one in-order chain of fused multiply-adds.
    /// </summary>
    private readonly struct MatVec<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public readonly T* Out;
        public readonly T* S;
        public readonly T* Mat;
        public readonly nint SStride;
        public readonly nint TStride;
        public readonly nint PStride;
        public readonly int Length;
        public readonly int K;
        public readonly bool Accumulate;

        public MatVec(in Problem<T> p)
        {
            Out = p.C;
            K = p.K;
            Accumulate = p.Accumulate;
            if (p.N == 1)
            {
                Length = p.M;
                S = p.B;
                SStride = p.BDepth;
                Mat = p.A;
                TStride = p.ARow;
                PStride = p.ADepth;
            }
            else
            {
                Length = p.N;
                S = p.A;
                SStride = p.ADepth;
                Mat = p.B;
                TStride = p.BCol;
                PStride = p.BDepth;
            }
        }

        /// <summary>Runs over out[0..Length), split over threads in contiguous ranges when asked.</summary>
        public void Run(int threads, bool fused, delegate*<in MatVec<T>, int, int, bool, void> kernel)
        {
            if (threads <= 1 || Length < 64 * threads)
            {
                kernel(this, 0, Length, fused);
                return;
            }

            RunParallel(this, threads, fused, kernel);
        }

        /// <summary>
        /// A few contiguous chunks per thread, on multiples of 64 elements (whole vector blocks).
        /// A separate method so the closure is only allocated when the work is split.
        /// </summary>
        private static void RunParallel(MatVec<T> v, int threads, bool fused, delegate*<in MatVec<T>, int, int, bool, void> kernel)
        {
            int blocks = CeilDiv(v.Length, 64);
            int parts = Math.Min(blocks, 4 * threads);
            ForkJoin.Run(parts, threads, part =>
            {
                int t0 = (int)Math.Min(v.Length, (long)blocks * part / parts * 64);
                int t1 = (int)Math.Min(v.Length, (long)blocks * (part + 1) / parts * 64);
                if (t1 > t0)
                {
                    kernel(v, t0, t1, fused);
                }
            });
        }

        /// <summary>
        /// Scalar kernel for any strides, 8 outputs at a time (8 independent chains keep both FMA
        /// pipes busy despite the latency). Used when M(t, p) is contiguous along p (row dot products).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Scalar(in MatVec<T> v, int t0, int t1, bool fused)
        {
            int k = v.K;
            T* s = v.S;
            T* output = v.Out;
            nint ss = v.SStride, ts = v.TStride, ps = v.PStride;
            int t = t0;
            for (; t + 8 <= t1; t += 8)
            {
                T* r = v.Mat + (t * ts);
                T acc0 = T.Zero, acc1 = T.Zero, acc2 = T.Zero, acc3 = T.Zero, acc4 = T.Zero, acc5 = T.Zero, acc6 = T.Zero, acc7 = T.Zero;
                if (v.Accumulate)
                {
                    acc0 = output[t];
                    acc1 = output[t + 1];
                    acc2 = output[t + 2];
                    acc3 = output[t + 3];
                    acc4 = output[t + 4];
                    acc5 = output[t + 5];
                    acc6 = output[t + 6];
                    acc7 = output[t + 7];
                }

                if (fused)
                {
                    for (int p = 0; p < k; p++)
                    {
                        T sp = s[p * ss];
                        T* q = r + (p * ps);
                        acc0 = T.FusedMultiplyAdd(sp, q[0], acc0);
                        acc1 = T.FusedMultiplyAdd(sp, q[1 * ts], acc1);
                        acc2 = T.FusedMultiplyAdd(sp, q[2 * ts], acc2);
                        acc3 = T.FusedMultiplyAdd(sp, q[3 * ts], acc3);
                        acc4 = T.FusedMultiplyAdd(sp, q[4 * ts], acc4);
                        acc5 = T.FusedMultiplyAdd(sp, q[5 * ts], acc5);
                        acc6 = T.FusedMultiplyAdd(sp, q[6 * ts], acc6);
                        acc7 = T.FusedMultiplyAdd(sp, q[7 * ts], acc7);
                    }
                }
                else
                {
                    for (int p = 0; p < k; p++)
                    {
                        T sp = s[p * ss];
                        T* q = r + (p * ps);
                        acc0 += sp * q[0];
                        acc1 += sp * q[1 * ts];
                        acc2 += sp * q[2 * ts];
                        acc3 += sp * q[3 * ts];
                        acc4 += sp * q[4 * ts];
                        acc5 += sp * q[5 * ts];
                        acc6 += sp * q[6 * ts];
                        acc7 += sp * q[7 * ts];
                    }
                }

                output[t] = acc0;
                output[t + 1] = acc1;
                output[t + 2] = acc2;
                output[t + 3] = acc3;
                output[t + 4] = acc4;
                output[t + 5] = acc5;
                output[t + 6] = acc6;
                output[t + 7] = acc7;
            }

            for (; t < t1; t++)
            {
                T* r = v.Mat + (t * ts);
                T acc = v.Accumulate ? output[t] : T.Zero;
                for (int p = 0; p < k; p++)
                {
                    acc = fused ? T.FusedMultiplyAdd(s[p * ss], r[p * ps], acc) : acc + (s[p * ss] * r[p * ps]);
                }

                output[t] = acc;
            }
        }
    }

    /// <summary>The vectorised matrix-vector kernel, for M(t, p) contiguous along t.</summary>
    private static class VectorMatVec<T, TVec, TOps>
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : struct
        where TOps : struct, IVectorOps<TVec, T>
    {
        public static void Run(in Problem<T> p, int threads)
        {
            var v = new MatVec<T>(p);
            v.Run(threads, fused: true, v.TStride == 1 ? &Streaming : &MatVec<T>.Scalar);
        }

        /// <summary>out[t0..t1) for unit t stride: four vectors of outputs at a time, one broadcast of s[p] each step.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Streaming(in MatVec<T> v, int t0, int t1, bool fused)
        {
            int w = TOps.Count, k = v.K;
            T* s = v.S, o = v.Out;
            nint ss = v.SStride, ps = v.PStride;
            bool load = v.Accumulate;
            int t = t0;
            for (; t + (4 * w) <= t1; t += 4 * w)
            {
                T* col = v.Mat + t;
                TVec acc0 = load ? TOps.Load(o + t) : TOps.Zero;
                TVec acc1 = load ? TOps.Load(o + t + w) : TOps.Zero;
                TVec acc2 = load ? TOps.Load(o + t + (2 * w)) : TOps.Zero;
                TVec acc3 = load ? TOps.Load(o + t + (3 * w)) : TOps.Zero;
                for (int p = 0; p < k; p++)
                {
                    TVec sv = TOps.Broadcast(s + (p * ss));
                    T* row = col + (p * ps);
                    acc0 = TOps.MultiplyAdd(sv, TOps.Load(row), acc0);
                    acc1 = TOps.MultiplyAdd(sv, TOps.Load(row + w), acc1);
                    acc2 = TOps.MultiplyAdd(sv, TOps.Load(row + (2 * w)), acc2);
                    acc3 = TOps.MultiplyAdd(sv, TOps.Load(row + (3 * w)), acc3);
                }

                TOps.Store(acc0, o + t);
                TOps.Store(acc1, o + t + w);
                TOps.Store(acc2, o + t + (2 * w));
                TOps.Store(acc3, o + t + (3 * w));
            }

            for (; t < t1; t += w)
            {
                int count = Math.Min(w, t1 - t);
                T* col = v.Mat + t;
                TVec acc = load ? LoadAt(o + t, count) : TOps.Zero;
                for (int p = 0; p < k; p++)
                {
                    acc = TOps.MultiplyAdd(TOps.Broadcast(s + (p * ss)), LoadAt(col + (p * ps), count), acc);
                }

                StoreAt(acc, o + t, count);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static TVec LoadAt(T* source, int count)
            => count >= TOps.Count ? TOps.Load(source) : TOps.LoadPartial(source, count);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void StoreAt(TVec value, T* destination, int count)
        {
            if (count >= TOps.Count)
            {
                TOps.Store(value, destination);
            }
            else
            {
                TOps.StorePartial(value, destination, count);
            }
        }
    }

    /// <summary>The vector operations the generic micro-kernels need, for one vector type.</summary>
    private interface IVectorOps<TVec, T>
        where TVec : struct
        where T : unmanaged
    {
        static abstract int Count { get; }

        static abstract TVec Zero { get; }

        static abstract TVec Load(T* source);

        static abstract void Store(TVec value, T* destination);

        /// <summary>Loads the first <paramref name="count"/> (0 &lt; count &lt; Count) elements, zero elsewhere, reading nothing beyond.</summary>
        static abstract TVec LoadPartial(T* source, int count);

        /// <summary>Stores the first <paramref name="count"/> (0 &lt; count &lt; Count) elements, writing nothing beyond.</summary>
        static abstract void StorePartial(TVec value, T* destination, int count);

        static abstract TVec Broadcast(T* source);

        /// <summary><c>a * b + c</c> with a single rounding.</summary>
        static abstract TVec MultiplyAdd(TVec a, TVec b, TVec c);
    }

    private readonly struct V512F : IVectorOps<Vector512<float>, float>
    {
        public static int Count => Vector512<float>.Count;

        public static Vector512<float> Zero => Vector512<float>.Zero;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Load(float* source) => Vector512.Load(source);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Vector512<float> value, float* destination) => value.Store(destination);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Broadcast(float* source) => Vector512.Create(*source);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);

        public static Vector512<float> LoadPartial(float* source, int count)
            => count <= 8
                ? Vector512.Create(count == 8 ? Vector256.Load(source) : V256F.LoadPartial(source, count), Vector256<float>.Zero)
                : Vector512.Create(Vector256.Load(source), V256F.LoadPartial(source + 8, count - 8));

        public static void StorePartial(Vector512<float> value, float* destination, int count)
        {
            if (count <= 8)
            {
                if (count == 8) value.GetLower().Store(destination);
                else V256F.StorePartial(value.GetLower(), destination, count);
            }
            else
            {
                value.GetLower().Store(destination);
                V256F.StorePartial(value.GetUpper(), destination + 8, count - 8);
            }
        }
    }

    private readonly struct V512D : IVectorOps<Vector512<double>, double>
    {
        public static int Count => Vector512<double>.Count;

        public static Vector512<double> Zero => Vector512<double>.Zero;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<double> Load(double* source) => Vector512.Load(source);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Vector512<double> value, double* destination) => value.Store(destination);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<double> Broadcast(double* source) => Vector512.Create(*source);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<double> MultiplyAdd(Vector512<double> a, Vector512<double> b, Vector512<double> c) => Vector512.FusedMultiplyAdd(a, b, c);

        public static Vector512<double> LoadPartial(double* source, int count)
            => count <= 4
                ? Vector512.Create(count == 4 ? Vector256.Load(source) : V256D.LoadPartial(source, count), Vector256<double>.Zero)
                : Vector512.Create(Vector256.Load(source), V256D.LoadPartial(source + 4, count - 4));

        public static void StorePartial(Vector512<double> value, double* destination, int count)
        {
            if (count <= 4)
            {
                if (count == 4) value.GetLower().Store(destination);
                else V256D.StorePartial(value.GetLower(), destination, count);
            }
            else
            {
                value.GetLower().Store(destination);
                V256D.StorePartial(value.GetUpper(), destination + 4, count - 4);
            }
        }
    }

    private readonly struct V256F : IVectorOps<Vector256<float>, float>
    {
        public static int Count => Vector256<float>.Count;

        public static Vector256<float> Zero => Vector256<float>.Zero;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Load(float* source) => Vector256.Load(source);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Vector256<float> value, float* destination) => value.Store(destination);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Broadcast(float* source) => Vector256.Create(*source);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);

        public static Vector256<float> LoadPartial(float* source, int count)
        {
            if (Avx.IsSupported)
            {
                return Avx.MaskLoad(source, Mask(count));
            }

            Vector256<float> value = Vector256<float>.Zero;
            for (int i = 0; i < count; i++)
            {
                value = value.WithElement(i, source[i]);
            }

            return value;
        }

        public static void StorePartial(Vector256<float> value, float* destination, int count)
        {
            if (Avx.IsSupported)
            {
                Avx.MaskStore(destination, Mask(count), value);
                return;
            }

            for (int i = 0; i < count; i++)
            {
                destination[i] = value.GetElement(i);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<float> Mask(int count)
            => Vector256.LessThan(Vector256<int>.Indices, Vector256.Create((int)count)).AsSingle();
    }

    private readonly struct V256D : IVectorOps<Vector256<double>, double>
    {
        public static int Count => Vector256<double>.Count;

        public static Vector256<double> Zero => Vector256<double>.Zero;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<double> Load(double* source) => Vector256.Load(source);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Vector256<double> value, double* destination) => value.Store(destination);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<double> Broadcast(double* source) => Vector256.Create(*source);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<double> MultiplyAdd(Vector256<double> a, Vector256<double> b, Vector256<double> c) => Vector256.FusedMultiplyAdd(a, b, c);

        public static Vector256<double> LoadPartial(double* source, int count)
        {
            if (Avx.IsSupported)
            {
                return Avx.MaskLoad(source, Mask(count));
            }

            Vector256<double> value = Vector256<double>.Zero;
            for (int i = 0; i < count; i++)
            {
                value = value.WithElement(i, source[i]);
            }

            return value;
        }

        public static void StorePartial(Vector256<double> value, double* destination, int count)
        {
            if (Avx.IsSupported)
            {
                Avx.MaskStore(destination, Mask(count), value);
                return;
            }

            for (int i = 0; i < count; i++)
            {
                destination[i] = value.GetElement(i);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<double> Mask(int count)
            => Vector256.LessThan(Vector256<long>.Indices, Vector256.Create((long)count)).AsDouble();
    }

    private readonly struct V128F : IVectorOps<Vector128<float>, float>
    {
        public static int Count => Vector128<float>.Count;

        public static Vector128<float> Zero => Vector128<float>.Zero;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Load(float* source) => Vector128.Load(source);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Vector128<float> value, float* destination) => value.Store(destination);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Broadcast(float* source) => Vector128.Create(*source);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> MultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.FusedMultiplyAdd(a, b, c);

        public static Vector128<float> LoadPartial(float* source, int count)
        {
            if (Avx.IsSupported)
            {
                return Avx.MaskLoad(source, Mask(count));
            }

            Vector128<float> value = Vector128<float>.Zero;
            for (int i = 0; i < count; i++)
            {
                value = value.WithElement(i, source[i]);
            }

            return value;
        }

        public static void StorePartial(Vector128<float> value, float* destination, int count)
        {
            if (Avx.IsSupported)
            {
                Avx.MaskStore(destination, Mask(count), value);
                return;
            }

            for (int i = 0; i < count; i++)
            {
                destination[i] = value.GetElement(i);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector128<float> Mask(int count)
            => Vector128.LessThan(Vector128<int>.Indices, Vector128.Create((int)count)).AsSingle();
    }

    private readonly struct V128D : IVectorOps<Vector128<double>, double>
    {
        public static int Count => Vector128<double>.Count;

        public static Vector128<double> Zero => Vector128<double>.Zero;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<double> Load(double* source) => Vector128.Load(source);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Vector128<double> value, double* destination) => value.Store(destination);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<double> Broadcast(double* source) => Vector128.Create(*source);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<double> MultiplyAdd(Vector128<double> a, Vector128<double> b, Vector128<double> c) => Vector128.FusedMultiplyAdd(a, b, c);

        public static Vector128<double> LoadPartial(double* source, int count)
        {
            if (Avx.IsSupported)
            {
                return Avx.MaskLoad(source, Mask(count));
            }

            Vector128<double> value = Vector128<double>.Zero;
            for (int i = 0; i < count; i++)
            {
                value = value.WithElement(i, source[i]);
            }

            return value;
        }

        public static void StorePartial(Vector128<double> value, double* destination, int count)
        {
            if (Avx.IsSupported)
            {
                Avx.MaskStore(destination, Mask(count), value);
                return;
            }

            for (int i = 0; i < count; i++)
            {
                destination[i] = value.GetElement(i);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector128<double> Mask(int count)
            => Vector128.LessThan(Vector128<long>.Indices, Vector128.Create((long)count)).AsDouble();
    }

    /// <summary>
    /// A 6 × (2 vectors) micro-kernel: 12 accumulators + 2 B vectors + 1 broadcast fit the 16
    /// registers of AVX2 (6×16 floats, 6×8 doubles) and leave NEON room to spare.
    /// </summary>
    private readonly struct Tile6x2<T, TVec, TOps> : IMicroTile<T>
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : struct
        where TOps : struct, IVectorOps<TVec, T>
    {
        public static int MR => 6;

        public static int NR => 2 * TOps.Count;

        public static int KC => 256;

        public static int MC => sizeof(T) == 4 ? 144 : 72;

        public static int NC => 3072;

        public static void MatrixVector(in Problem<T> p, int threads) => VectorMatVec<T, TVec, TOps>.Run(p, threads);

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Run(int kc, T* a, T* b, T* c, nint ldc, bool load, int rows, int cols)
        {
            int w = TOps.Count;
            TVec c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
            bool full = rows == 6 && cols == 2 * w;
            if (load && full)
            {
                T* r = c;
                c00 = TOps.Load(r);
                c01 = TOps.Load(r + w);
                r += ldc;
                c10 = TOps.Load(r);
                c11 = TOps.Load(r + w);
                r += ldc;
                c20 = TOps.Load(r);
                c21 = TOps.Load(r + w);
                r += ldc;
                c30 = TOps.Load(r);
                c31 = TOps.Load(r + w);
                r += ldc;
                c40 = TOps.Load(r);
                c41 = TOps.Load(r + w);
                r += ldc;
                c50 = TOps.Load(r);
                c51 = TOps.Load(r + w);
            }
            else if (load)
            {
                c00 = 0 < rows ? LoadAt(c + (0 * ldc), cols) : TOps.Zero;
                c01 = 0 < rows ? LoadAt(c + (0 * ldc) + w, cols - w) : TOps.Zero;
                c10 = 1 < rows ? LoadAt(c + (1 * ldc), cols) : TOps.Zero;
                c11 = 1 < rows ? LoadAt(c + (1 * ldc) + w, cols - w) : TOps.Zero;
                c20 = 2 < rows ? LoadAt(c + (2 * ldc), cols) : TOps.Zero;
                c21 = 2 < rows ? LoadAt(c + (2 * ldc) + w, cols - w) : TOps.Zero;
                c30 = 3 < rows ? LoadAt(c + (3 * ldc), cols) : TOps.Zero;
                c31 = 3 < rows ? LoadAt(c + (3 * ldc) + w, cols - w) : TOps.Zero;
                c40 = 4 < rows ? LoadAt(c + (4 * ldc), cols) : TOps.Zero;
                c41 = 4 < rows ? LoadAt(c + (4 * ldc) + w, cols - w) : TOps.Zero;
                c50 = 5 < rows ? LoadAt(c + (5 * ldc), cols) : TOps.Zero;
                c51 = 5 < rows ? LoadAt(c + (5 * ldc) + w, cols - w) : TOps.Zero;
            }
            else
            {
                c00 = TOps.Zero;
                c01 = TOps.Zero;
                c10 = TOps.Zero;
                c11 = TOps.Zero;
                c20 = TOps.Zero;
                c21 = TOps.Zero;
                c30 = TOps.Zero;
                c31 = TOps.Zero;
                c40 = TOps.Zero;
                c41 = TOps.Zero;
                c50 = TOps.Zero;
                c51 = TOps.Zero;
            }

            for (int p = 0; p < kc; p++)
            {
                TVec b0 = TOps.Load(b);
                TVec b1 = TOps.Load(b + w);
                TVec av;
                av = TOps.Broadcast(a + 0);
                c00 = TOps.MultiplyAdd(av, b0, c00);
                c01 = TOps.MultiplyAdd(av, b1, c01);
                av = TOps.Broadcast(a + 1);
                c10 = TOps.MultiplyAdd(av, b0, c10);
                c11 = TOps.MultiplyAdd(av, b1, c11);
                av = TOps.Broadcast(a + 2);
                c20 = TOps.MultiplyAdd(av, b0, c20);
                c21 = TOps.MultiplyAdd(av, b1, c21);
                av = TOps.Broadcast(a + 3);
                c30 = TOps.MultiplyAdd(av, b0, c30);
                c31 = TOps.MultiplyAdd(av, b1, c31);
                av = TOps.Broadcast(a + 4);
                c40 = TOps.MultiplyAdd(av, b0, c40);
                c41 = TOps.MultiplyAdd(av, b1, c41);
                av = TOps.Broadcast(a + 5);
                c50 = TOps.MultiplyAdd(av, b0, c50);
                c51 = TOps.MultiplyAdd(av, b1, c51);
                a += 6;
                b += 2 * w;
            }

            if (full)
            {
                T* o = c;
                TOps.Store(c00, o);
                TOps.Store(c01, o + w);
                o += ldc;
                TOps.Store(c10, o);
                TOps.Store(c11, o + w);
                o += ldc;
                TOps.Store(c20, o);
                TOps.Store(c21, o + w);
                o += ldc;
                TOps.Store(c30, o);
                TOps.Store(c31, o + w);
                o += ldc;
                TOps.Store(c40, o);
                TOps.Store(c41, o + w);
                o += ldc;
                TOps.Store(c50, o);
                TOps.Store(c51, o + w);
            }
            else
            {
                StoreRow(c00, c01, c + (0 * ldc), cols);
                if (1 < rows) StoreRow(c10, c11, c + (1 * ldc), cols);
                if (2 < rows) StoreRow(c20, c21, c + (2 * ldc), cols);
                if (3 < rows) StoreRow(c30, c31, c + (3 * ldc), cols);
                if (4 < rows) StoreRow(c40, c41, c + (4 * ldc), cols);
                if (5 < rows) StoreRow(c50, c51, c + (5 * ldc), cols);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void RunStrided(int kc, T* a, nint aLane, nint aDepth, T* b, nint bDepth, T* c, nint ldc, bool load, int rows, int cols)
        {
            int w = TOps.Count;

            // Rows past the edge alias row 0: read, never stored, and never out of bounds.
            T* a0 = a;
            T* a1 = 1 < rows ? a + (1 * aLane) : a;
            T* a2 = 2 < rows ? a + (2 * aLane) : a;
            T* a3 = 3 < rows ? a + (3 * aLane) : a;
            T* a4 = 4 < rows ? a + (4 * aLane) : a;
            T* a5 = 5 < rows ? a + (5 * aLane) : a;
            TVec c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
            bool full = rows == 6 && cols == 2 * w;
            if (load && full)
            {
                T* r = c;
                c00 = TOps.Load(r);
                c01 = TOps.Load(r + w);
                r += ldc;
                c10 = TOps.Load(r);
                c11 = TOps.Load(r + w);
                r += ldc;
                c20 = TOps.Load(r);
                c21 = TOps.Load(r + w);
                r += ldc;
                c30 = TOps.Load(r);
                c31 = TOps.Load(r + w);
                r += ldc;
                c40 = TOps.Load(r);
                c41 = TOps.Load(r + w);
                r += ldc;
                c50 = TOps.Load(r);
                c51 = TOps.Load(r + w);
            }
            else if (load)
            {
                c00 = 0 < rows ? LoadAt(c + (0 * ldc), cols) : TOps.Zero;
                c01 = 0 < rows ? LoadAt(c + (0 * ldc) + w, cols - w) : TOps.Zero;
                c10 = 1 < rows ? LoadAt(c + (1 * ldc), cols) : TOps.Zero;
                c11 = 1 < rows ? LoadAt(c + (1 * ldc) + w, cols - w) : TOps.Zero;
                c20 = 2 < rows ? LoadAt(c + (2 * ldc), cols) : TOps.Zero;
                c21 = 2 < rows ? LoadAt(c + (2 * ldc) + w, cols - w) : TOps.Zero;
                c30 = 3 < rows ? LoadAt(c + (3 * ldc), cols) : TOps.Zero;
                c31 = 3 < rows ? LoadAt(c + (3 * ldc) + w, cols - w) : TOps.Zero;
                c40 = 4 < rows ? LoadAt(c + (4 * ldc), cols) : TOps.Zero;
                c41 = 4 < rows ? LoadAt(c + (4 * ldc) + w, cols - w) : TOps.Zero;
                c50 = 5 < rows ? LoadAt(c + (5 * ldc), cols) : TOps.Zero;
                c51 = 5 < rows ? LoadAt(c + (5 * ldc) + w, cols - w) : TOps.Zero;
            }
            else
            {
                c00 = TOps.Zero;
                c01 = TOps.Zero;
                c10 = TOps.Zero;
                c11 = TOps.Zero;
                c20 = TOps.Zero;
                c21 = TOps.Zero;
                c30 = TOps.Zero;
                c31 = TOps.Zero;
                c40 = TOps.Zero;
                c41 = TOps.Zero;
                c50 = TOps.Zero;
                c51 = TOps.Zero;
            }

            nint ao = 0;
            for (int p = 0; p < kc; p++)
            {
                TVec b0 = TOps.Load(b);
                TVec b1 = TOps.Load(b + w);
                TVec av;
                av = TOps.Broadcast(a0 + ao);
                c00 = TOps.MultiplyAdd(av, b0, c00);
                c01 = TOps.MultiplyAdd(av, b1, c01);
                av = TOps.Broadcast(a1 + ao);
                c10 = TOps.MultiplyAdd(av, b0, c10);
                c11 = TOps.MultiplyAdd(av, b1, c11);
                av = TOps.Broadcast(a2 + ao);
                c20 = TOps.MultiplyAdd(av, b0, c20);
                c21 = TOps.MultiplyAdd(av, b1, c21);
                av = TOps.Broadcast(a3 + ao);
                c30 = TOps.MultiplyAdd(av, b0, c30);
                c31 = TOps.MultiplyAdd(av, b1, c31);
                av = TOps.Broadcast(a4 + ao);
                c40 = TOps.MultiplyAdd(av, b0, c40);
                c41 = TOps.MultiplyAdd(av, b1, c41);
                av = TOps.Broadcast(a5 + ao);
                c50 = TOps.MultiplyAdd(av, b0, c50);
                c51 = TOps.MultiplyAdd(av, b1, c51);
                ao += aDepth;
                b += bDepth;
            }

            if (full)
            {
                T* o = c;
                TOps.Store(c00, o);
                TOps.Store(c01, o + w);
                o += ldc;
                TOps.Store(c10, o);
                TOps.Store(c11, o + w);
                o += ldc;
                TOps.Store(c20, o);
                TOps.Store(c21, o + w);
                o += ldc;
                TOps.Store(c30, o);
                TOps.Store(c31, o + w);
                o += ldc;
                TOps.Store(c40, o);
                TOps.Store(c41, o + w);
                o += ldc;
                TOps.Store(c50, o);
                TOps.Store(c51, o + w);
            }
            else
            {
                StoreRow(c00, c01, c + (0 * ldc), cols);
                if (1 < rows) StoreRow(c10, c11, c + (1 * ldc), cols);
                if (2 < rows) StoreRow(c20, c21, c + (2 * ldc), cols);
                if (3 < rows) StoreRow(c30, c31, c + (3 * ldc), cols);
                if (4 < rows) StoreRow(c40, c41, c + (4 * ldc), cols);
                if (5 < rows) StoreRow(c50, c51, c + (5 * ldc), cols);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static TVec LoadAt(T* source, int count)
            => count >= TOps.Count ? TOps.Load(source) : count > 0 ? TOps.LoadPartial(source, count) : TOps.Zero;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void StoreRow(TVec v0, TVec v1, T* destination, int cols)
        {
            int w = TOps.Count;
            if (cols >= w)
            {
                TOps.Store(v0, destination);
                if (cols == 2 * w) TOps.Store(v1, destination + w);
                else if (cols > w) TOps.StorePartial(v1, destination + w, cols - w);
            }
            else
            {
                TOps.StorePartial(v0, destination, cols);
            }
        }
    }

    /// <summary>
    /// A 12 × (2 vectors) micro-kernel for the 32 registers of AVX-512: 24 accumulators
    /// (12×32 floats, 12×16 doubles) + 2 B vectors + 1 broadcast.
    /// </summary>
    private readonly struct Tile12x2<T, TVec, TOps> : IMicroTile<T>
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : struct
        where TOps : struct, IVectorOps<TVec, T>
    {
        public static int MR => 12;

        public static int NR => 2 * TOps.Count;

        // 16 KB B micro-panels (128 × 128 bytes) and ~192 KB A blocks.
        public static int KC => 128;

        public static int MC => sizeof(T) == 4 ? 384 : 192;

        public static int NC => 3072;

        public static void MatrixVector(in Problem<T> p, int threads) => VectorMatVec<T, TVec, TOps>.Run(p, threads);

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Run(int kc, T* a, T* b, T* c, nint ldc, bool load, int rows, int cols)
        {
            int w = TOps.Count;
            TVec c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71, c80, c81, c90, c91, c100, c101, c110, c111;
            bool full = rows == 12 && cols == 2 * w;
            if (load && full)
            {
                T* r = c;
                c00 = TOps.Load(r);
                c01 = TOps.Load(r + w);
                r += ldc;
                c10 = TOps.Load(r);
                c11 = TOps.Load(r + w);
                r += ldc;
                c20 = TOps.Load(r);
                c21 = TOps.Load(r + w);
                r += ldc;
                c30 = TOps.Load(r);
                c31 = TOps.Load(r + w);
                r += ldc;
                c40 = TOps.Load(r);
                c41 = TOps.Load(r + w);
                r += ldc;
                c50 = TOps.Load(r);
                c51 = TOps.Load(r + w);
                r += ldc;
                c60 = TOps.Load(r);
                c61 = TOps.Load(r + w);
                r += ldc;
                c70 = TOps.Load(r);
                c71 = TOps.Load(r + w);
                r += ldc;
                c80 = TOps.Load(r);
                c81 = TOps.Load(r + w);
                r += ldc;
                c90 = TOps.Load(r);
                c91 = TOps.Load(r + w);
                r += ldc;
                c100 = TOps.Load(r);
                c101 = TOps.Load(r + w);
                r += ldc;
                c110 = TOps.Load(r);
                c111 = TOps.Load(r + w);
            }
            else if (load)
            {
                c00 = 0 < rows ? LoadAt(c + (0 * ldc), cols) : TOps.Zero;
                c01 = 0 < rows ? LoadAt(c + (0 * ldc) + w, cols - w) : TOps.Zero;
                c10 = 1 < rows ? LoadAt(c + (1 * ldc), cols) : TOps.Zero;
                c11 = 1 < rows ? LoadAt(c + (1 * ldc) + w, cols - w) : TOps.Zero;
                c20 = 2 < rows ? LoadAt(c + (2 * ldc), cols) : TOps.Zero;
                c21 = 2 < rows ? LoadAt(c + (2 * ldc) + w, cols - w) : TOps.Zero;
                c30 = 3 < rows ? LoadAt(c + (3 * ldc), cols) : TOps.Zero;
                c31 = 3 < rows ? LoadAt(c + (3 * ldc) + w, cols - w) : TOps.Zero;
                c40 = 4 < rows ? LoadAt(c + (4 * ldc), cols) : TOps.Zero;
                c41 = 4 < rows ? LoadAt(c + (4 * ldc) + w, cols - w) : TOps.Zero;
                c50 = 5 < rows ? LoadAt(c + (5 * ldc), cols) : TOps.Zero;
                c51 = 5 < rows ? LoadAt(c + (5 * ldc) + w, cols - w) : TOps.Zero;
                c60 = 6 < rows ? LoadAt(c + (6 * ldc), cols) : TOps.Zero;
                c61 = 6 < rows ? LoadAt(c + (6 * ldc) + w, cols - w) : TOps.Zero;
                c70 = 7 < rows ? LoadAt(c + (7 * ldc), cols) : TOps.Zero;
                c71 = 7 < rows ? LoadAt(c + (7 * ldc) + w, cols - w) : TOps.Zero;
                c80 = 8 < rows ? LoadAt(c + (8 * ldc), cols) : TOps.Zero;
                c81 = 8 < rows ? LoadAt(c + (8 * ldc) + w, cols - w) : TOps.Zero;
                c90 = 9 < rows ? LoadAt(c + (9 * ldc), cols) : TOps.Zero;
                c91 = 9 < rows ? LoadAt(c + (9 * ldc) + w, cols - w) : TOps.Zero;
                c100 = 10 < rows ? LoadAt(c + (10 * ldc), cols) : TOps.Zero;
                c101 = 10 < rows ? LoadAt(c + (10 * ldc) + w, cols - w) : TOps.Zero;
                c110 = 11 < rows ? LoadAt(c + (11 * ldc), cols) : TOps.Zero;
                c111 = 11 < rows ? LoadAt(c + (11 * ldc) + w, cols - w) : TOps.Zero;
            }
            else
            {
                c00 = TOps.Zero;
                c01 = TOps.Zero;
                c10 = TOps.Zero;
                c11 = TOps.Zero;
                c20 = TOps.Zero;
                c21 = TOps.Zero;
                c30 = TOps.Zero;
                c31 = TOps.Zero;
                c40 = TOps.Zero;
                c41 = TOps.Zero;
                c50 = TOps.Zero;
                c51 = TOps.Zero;
                c60 = TOps.Zero;
                c61 = TOps.Zero;
                c70 = TOps.Zero;
                c71 = TOps.Zero;
                c80 = TOps.Zero;
                c81 = TOps.Zero;
                c90 = TOps.Zero;
                c91 = TOps.Zero;
                c100 = TOps.Zero;
                c101 = TOps.Zero;
                c110 = TOps.Zero;
                c111 = TOps.Zero;
            }

            for (int p = 0; p < kc; p++)
            {
                TVec b0 = TOps.Load(b);
                TVec b1 = TOps.Load(b + w);
                TVec av;
                av = TOps.Broadcast(a + 0);
                c00 = TOps.MultiplyAdd(av, b0, c00);
                c01 = TOps.MultiplyAdd(av, b1, c01);
                av = TOps.Broadcast(a + 1);
                c10 = TOps.MultiplyAdd(av, b0, c10);
                c11 = TOps.MultiplyAdd(av, b1, c11);
                av = TOps.Broadcast(a + 2);
                c20 = TOps.MultiplyAdd(av, b0, c20);
                c21 = TOps.MultiplyAdd(av, b1, c21);
                av = TOps.Broadcast(a + 3);
                c30 = TOps.MultiplyAdd(av, b0, c30);
                c31 = TOps.MultiplyAdd(av, b1, c31);
                av = TOps.Broadcast(a + 4);
                c40 = TOps.MultiplyAdd(av, b0, c40);
                c41 = TOps.MultiplyAdd(av, b1, c41);
                av = TOps.Broadcast(a + 5);
                c50 = TOps.MultiplyAdd(av, b0, c50);
                c51 = TOps.MultiplyAdd(av, b1, c51);
                av = TOps.Broadcast(a + 6);
                c60 = TOps.MultiplyAdd(av, b0, c60);
                c61 = TOps.MultiplyAdd(av, b1, c61);
                av = TOps.Broadcast(a + 7);
                c70 = TOps.MultiplyAdd(av, b0, c70);
                c71 = TOps.MultiplyAdd(av, b1, c71);
                av = TOps.Broadcast(a + 8);
                c80 = TOps.MultiplyAdd(av, b0, c80);
                c81 = TOps.MultiplyAdd(av, b1, c81);
                av = TOps.Broadcast(a + 9);
                c90 = TOps.MultiplyAdd(av, b0, c90);
                c91 = TOps.MultiplyAdd(av, b1, c91);
                av = TOps.Broadcast(a + 10);
                c100 = TOps.MultiplyAdd(av, b0, c100);
                c101 = TOps.MultiplyAdd(av, b1, c101);
                av = TOps.Broadcast(a + 11);
                c110 = TOps.MultiplyAdd(av, b0, c110);
                c111 = TOps.MultiplyAdd(av, b1, c111);
                a += 12;
                b += 2 * w;
            }

            if (full)
            {
                T* o = c;
                TOps.Store(c00, o);
                TOps.Store(c01, o + w);
                o += ldc;
                TOps.Store(c10, o);
                TOps.Store(c11, o + w);
                o += ldc;
                TOps.Store(c20, o);
                TOps.Store(c21, o + w);
                o += ldc;
                TOps.Store(c30, o);
                TOps.Store(c31, o + w);
                o += ldc;
                TOps.Store(c40, o);
                TOps.Store(c41, o + w);
                o += ldc;
                TOps.Store(c50, o);
                TOps.Store(c51, o + w);
                o += ldc;
                TOps.Store(c60, o);
                TOps.Store(c61, o + w);
                o += ldc;
                TOps.Store(c70, o);
                TOps.Store(c71, o + w);
                o += ldc;
                TOps.Store(c80, o);
                TOps.Store(c81, o + w);
                o += ldc;
                TOps.Store(c90, o);
                TOps.Store(c91, o + w);
                o += ldc;
                TOps.Store(c100, o);
                TOps.Store(c101, o + w);
                o += ldc;
                TOps.Store(c110, o);
                TOps.Store(c111, o + w);
            }
            else
            {
                StoreRow(c00, c01, c + (0 * ldc), cols);
                if (1 < rows) StoreRow(c10, c11, c + (1 * ldc), cols);
                if (2 < rows) StoreRow(c20, c21, c + (2 * ldc), cols);
                if (3 < rows) StoreRow(c30, c31, c + (3 * ldc), cols);
                if (4 < rows) StoreRow(c40, c41, c + (4 * ldc), cols);
                if (5 < rows) StoreRow(c50, c51, c + (5 * ldc), cols);
                if (6 < rows) StoreRow(c60, c61, c + (6 * ldc), cols);
                if (7 < rows) StoreRow(c70, c71, c + (7 * ldc), cols);
                if (8 < rows) StoreRow(c80, c81, c + (8 * ldc), cols);
                if (9 < rows) StoreRow(c90, c91, c + (9 * ldc), cols);
                if (10 < rows) StoreRow(c100, c101, c + (10 * ldc), cols);
                if (11 < rows) StoreRow(c110, c111, c + (11 * ldc), cols);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void RunStrided(int kc, T* a, nint aLane, nint aDepth, T* b, nint bDepth, T* c, nint ldc, bool load, int rows, int cols)
        {
            int w = TOps.Count;

            // Rows past the edge alias row 0: read, never stored, and never out of bounds.
            T* a0 = a;
            T* a1 = 1 < rows ? a + (1 * aLane) : a;
            T* a2 = 2 < rows ? a + (2 * aLane) : a;
            T* a3 = 3 < rows ? a + (3 * aLane) : a;
            T* a4 = 4 < rows ? a + (4 * aLane) : a;
            T* a5 = 5 < rows ? a + (5 * aLane) : a;
            T* a6 = 6 < rows ? a + (6 * aLane) : a;
            T* a7 = 7 < rows ? a + (7 * aLane) : a;
            T* a8 = 8 < rows ? a + (8 * aLane) : a;
            T* a9 = 9 < rows ? a + (9 * aLane) : a;
            T* a10 = 10 < rows ? a + (10 * aLane) : a;
            T* a11 = 11 < rows ? a + (11 * aLane) : a;
            TVec c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71, c80, c81, c90, c91, c100, c101, c110, c111;
            bool full = rows == 12 && cols == 2 * w;
            if (load && full)
            {
                T* r = c;
                c00 = TOps.Load(r);
                c01 = TOps.Load(r + w);
                r += ldc;
                c10 = TOps.Load(r);
                c11 = TOps.Load(r + w);
                r += ldc;
                c20 = TOps.Load(r);
                c21 = TOps.Load(r + w);
                r += ldc;
                c30 = TOps.Load(r);
                c31 = TOps.Load(r + w);
                r += ldc;
                c40 = TOps.Load(r);
                c41 = TOps.Load(r + w);
                r += ldc;
                c50 = TOps.Load(r);
                c51 = TOps.Load(r + w);
                r += ldc;
                c60 = TOps.Load(r);
                c61 = TOps.Load(r + w);
                r += ldc;
                c70 = TOps.Load(r);
                c71 = TOps.Load(r + w);
                r += ldc;
                c80 = TOps.Load(r);
                c81 = TOps.Load(r + w);
                r += ldc;
                c90 = TOps.Load(r);
                c91 = TOps.Load(r + w);
                r += ldc;
                c100 = TOps.Load(r);
                c101 = TOps.Load(r + w);
                r += ldc;
                c110 = TOps.Load(r);
                c111 = TOps.Load(r + w);
            }
            else if (load)
            {
                c00 = 0 < rows ? LoadAt(c + (0 * ldc), cols) : TOps.Zero;
                c01 = 0 < rows ? LoadAt(c + (0 * ldc) + w, cols - w) : TOps.Zero;
                c10 = 1 < rows ? LoadAt(c + (1 * ldc), cols) : TOps.Zero;
                c11 = 1 < rows ? LoadAt(c + (1 * ldc) + w, cols - w) : TOps.Zero;
                c20 = 2 < rows ? LoadAt(c + (2 * ldc), cols) : TOps.Zero;
                c21 = 2 < rows ? LoadAt(c + (2 * ldc) + w, cols - w) : TOps.Zero;
                c30 = 3 < rows ? LoadAt(c + (3 * ldc), cols) : TOps.Zero;
                c31 = 3 < rows ? LoadAt(c + (3 * ldc) + w, cols - w) : TOps.Zero;
                c40 = 4 < rows ? LoadAt(c + (4 * ldc), cols) : TOps.Zero;
                c41 = 4 < rows ? LoadAt(c + (4 * ldc) + w, cols - w) : TOps.Zero;
                c50 = 5 < rows ? LoadAt(c + (5 * ldc), cols) : TOps.Zero;
                c51 = 5 < rows ? LoadAt(c + (5 * ldc) + w, cols - w) : TOps.Zero;
                c60 = 6 < rows ? LoadAt(c + (6 * ldc), cols) : TOps.Zero;
                c61 = 6 < rows ? LoadAt(c + (6 * ldc) + w, cols - w) : TOps.Zero;
                c70 = 7 < rows ? LoadAt(c + (7 * ldc), cols) : TOps.Zero;
                c71 = 7 < rows ? LoadAt(c + (7 * ldc) + w, cols - w) : TOps.Zero;
                c80 = 8 < rows ? LoadAt(c + (8 * ldc), cols) : TOps.Zero;
                c81 = 8 < rows ? LoadAt(c + (8 * ldc) + w, cols - w) : TOps.Zero;
                c90 = 9 < rows ? LoadAt(c + (9 * ldc), cols) : TOps.Zero;
                c91 = 9 < rows ? LoadAt(c + (9 * ldc) + w, cols - w) : TOps.Zero;
                c100 = 10 < rows ? LoadAt(c + (10 * ldc), cols) : TOps.Zero;
                c101 = 10 < rows ? LoadAt(c + (10 * ldc) + w, cols - w) : TOps.Zero;
                c110 = 11 < rows ? LoadAt(c + (11 * ldc), cols) : TOps.Zero;
                c111 = 11 < rows ? LoadAt(c + (11 * ldc) + w, cols - w) : TOps.Zero;
            }
            else
            {
                c00 = TOps.Zero;
                c01 = TOps.Zero;
                c10 = TOps.Zero;
                c11 = TOps.Zero;
                c20 = TOps.Zero;
                c21 = TOps.Zero;
                c30 = TOps.Zero;
                c31 = TOps.Zero;
                c40 = TOps.Zero;
                c41 = TOps.Zero;
                c50 = TOps.Zero;
                c51 = TOps.Zero;
                c60 = TOps.Zero;
                c61 = TOps.Zero;
                c70 = TOps.Zero;
                c71 = TOps.Zero;
                c80 = TOps.Zero;
                c81 = TOps.Zero;
                c90 = TOps.Zero;
                c91 = TOps.Zero;
                c100 = TOps.Zero;
                c101 = TOps.Zero;
                c110 = TOps.Zero;
                c111 = TOps.Zero;
            }

            nint ao = 0;
            for (int p = 0; p < kc; p++)
            {
                TVec b0 = TOps.Load(b);
                TVec b1 = TOps.Load(b + w);
                TVec av;
                av = TOps.Broadcast(a0 + ao);
                c00 = TOps.MultiplyAdd(av, b0, c00);
                c01 = TOps.MultiplyAdd(av, b1, c01);
                av = TOps.Broadcast(a1 + ao);
                c10 = TOps.MultiplyAdd(av, b0, c10);
                c11 = TOps.MultiplyAdd(av, b1, c11);
                av = TOps.Broadcast(a2 + ao);
                c20 = TOps.MultiplyAdd(av, b0, c20);
                c21 = TOps.MultiplyAdd(av, b1, c21);
                av = TOps.Broadcast(a3 + ao);
                c30 = TOps.MultiplyAdd(av, b0, c30);
                c31 = TOps.MultiplyAdd(av, b1, c31);
                av = TOps.Broadcast(a4 + ao);
                c40 = TOps.MultiplyAdd(av, b0, c40);
                c41 = TOps.MultiplyAdd(av, b1, c41);
                av = TOps.Broadcast(a5 + ao);
                c50 = TOps.MultiplyAdd(av, b0, c50);
                c51 = TOps.MultiplyAdd(av, b1, c51);
                av = TOps.Broadcast(a6 + ao);
                c60 = TOps.MultiplyAdd(av, b0, c60);
                c61 = TOps.MultiplyAdd(av, b1, c61);
                av = TOps.Broadcast(a7 + ao);
                c70 = TOps.MultiplyAdd(av, b0, c70);
                c71 = TOps.MultiplyAdd(av, b1, c71);
                av = TOps.Broadcast(a8 + ao);
                c80 = TOps.MultiplyAdd(av, b0, c80);
                c81 = TOps.MultiplyAdd(av, b1, c81);
                av = TOps.Broadcast(a9 + ao);
                c90 = TOps.MultiplyAdd(av, b0, c90);
                c91 = TOps.MultiplyAdd(av, b1, c91);
                av = TOps.Broadcast(a10 + ao);
                c100 = TOps.MultiplyAdd(av, b0, c100);
                c101 = TOps.MultiplyAdd(av, b1, c101);
                av = TOps.Broadcast(a11 + ao);
                c110 = TOps.MultiplyAdd(av, b0, c110);
                c111 = TOps.MultiplyAdd(av, b1, c111);
                ao += aDepth;
                b += bDepth;
            }

            if (full)
            {
                T* o = c;
                TOps.Store(c00, o);
                TOps.Store(c01, o + w);
                o += ldc;
                TOps.Store(c10, o);
                TOps.Store(c11, o + w);
                o += ldc;
                TOps.Store(c20, o);
                TOps.Store(c21, o + w);
                o += ldc;
                TOps.Store(c30, o);
                TOps.Store(c31, o + w);
                o += ldc;
                TOps.Store(c40, o);
                TOps.Store(c41, o + w);
                o += ldc;
                TOps.Store(c50, o);
                TOps.Store(c51, o + w);
                o += ldc;
                TOps.Store(c60, o);
                TOps.Store(c61, o + w);
                o += ldc;
                TOps.Store(c70, o);
                TOps.Store(c71, o + w);
                o += ldc;
                TOps.Store(c80, o);
                TOps.Store(c81, o + w);
                o += ldc;
                TOps.Store(c90, o);
                TOps.Store(c91, o + w);
                o += ldc;
                TOps.Store(c100, o);
                TOps.Store(c101, o + w);
                o += ldc;
                TOps.Store(c110, o);
                TOps.Store(c111, o + w);
            }
            else
            {
                StoreRow(c00, c01, c + (0 * ldc), cols);
                if (1 < rows) StoreRow(c10, c11, c + (1 * ldc), cols);
                if (2 < rows) StoreRow(c20, c21, c + (2 * ldc), cols);
                if (3 < rows) StoreRow(c30, c31, c + (3 * ldc), cols);
                if (4 < rows) StoreRow(c40, c41, c + (4 * ldc), cols);
                if (5 < rows) StoreRow(c50, c51, c + (5 * ldc), cols);
                if (6 < rows) StoreRow(c60, c61, c + (6 * ldc), cols);
                if (7 < rows) StoreRow(c70, c71, c + (7 * ldc), cols);
                if (8 < rows) StoreRow(c80, c81, c + (8 * ldc), cols);
                if (9 < rows) StoreRow(c90, c91, c + (9 * ldc), cols);
                if (10 < rows) StoreRow(c100, c101, c + (10 * ldc), cols);
                if (11 < rows) StoreRow(c110, c111, c + (11 * ldc), cols);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static TVec LoadAt(T* source, int count)
            => count >= TOps.Count ? TOps.Load(source) : count > 0 ? TOps.LoadPartial(source, count) : TOps.Zero;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void StoreRow(TVec v0, TVec v1, T* destination, int cols)
        {
            int w = TOps.Count;
            if (cols >= w)
            {
                TOps.Store(v0, destination);
                if (cols == 2 * w) TOps.Store(v1, destination + w);
                else if (cols > w) TOps.StorePartial(v1, destination + w, cols - w);
            }
            else
            {
                TOps.StorePartial(v0, destination, cols);
            }
        }
    }

    /// <summary>A 4×4 scalar micro-kernel: the fallback when no vector unit is accelerated.</summary>
    private readonly struct ScalarTile<T> : IMicroTile<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static int MR => 4;

        public static int NR => 4;

        public static int KC => 256;

        public static int MC => 128;

        public static int NC => 2048;

        public static void MatrixVector(in Problem<T> p, int threads)
            => new MatVec<T>(p).Run(threads, ScalarFma, &MatVec<T>.Scalar);

        public static void Run(int kc, T* a, T* b, T* c, nint ldc, bool load, int rows, int cols)
            => RunStrided(kc, a, 1, 4, b, 4, c, ldc, load, rows, cols);

        public static void RunStrided(int kc, T* a, nint aLane, nint aDepth, T* b, nint bDepth, T* c, nint ldc, bool load, int rows, int cols)
        {
            bool fused = ScalarFma;
            for (int i = 0; i < rows; i++)
            {
                for (int j = 0; j < cols; j++)
                {
                    T sum = load ? c[(i * ldc) + j] : T.Zero;
                    T* pa = a + (i * aLane);
                    T* pb = b + j;
                    for (int p = 0; p < kc; p++)
                    {
                        T x = pa[p * aDepth], y = pb[p * bDepth];
                        sum = fused ? T.FusedMultiplyAdd(x, y, sum) : sum + (x * y);
                    }

                    c[(i * ldc) + j] = sum;
                }
            }
        }
    }
}
