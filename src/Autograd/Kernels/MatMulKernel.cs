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
/// Numerics and determinism: every element of C is computed as one sequential chain of fused
/// multiply-adds over p = 0, 1, ..., k-1, starting from 0 (or from the old C when accumulating);
/// the micro-kernel reloads its partial sums from C between k slices, so the blocking never
/// changes the order. Each element is computed by exactly one thread, hence results are
/// bit-identical whatever <see cref="Threading.NumThreads"/> is, and (on hardware with FMA) whichever
/// vector width is used.
/// </para>
/// </remarks>
internal static unsafe class MatMulKernel
{
    /// <summary>
    /// Products with fewer multiply-adds than this (m·n·k) always run on the calling thread:
    /// waking the thread pool costs more than the work.
    /// </summary>
    internal const long ParallelThreshold = 96L * 96 * 96;

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

        /// <summary>Depth of a k slice (packed B micro-panel of KC×NR should sit in L1).</summary>
        static abstract int KC { get; }

        /// <summary>Rows per packed A block (MC×KC should sit in L2).</summary>
        static abstract int MC { get; }

        /// <summary>Columns per packed B block (KC×NC should sit in L3).</summary>
        static abstract int NC { get; }

        /// <summary>
        /// C[0..MR, 0..NR] (row stride <paramref name="ldc"/>) = (<paramref name="load"/> ? C : 0)
        /// + Σ_p a[p*MR + i] * b[p*NR + j], one fused multiply-add per p, in order.
        /// </summary>
        static abstract void Run(int kc, T* a, T* b, T* c, nint ldc, bool load);
    }

    /// <summary>The cache-blocked loops around a micro-kernel, and the split across threads.</summary>
    private static class Driver<T, TTile>
        where T : unmanaged
        where TTile : struct, IMicroTile<T>
    {
        /// <summary>Computes the product with up to <paramref name="threads"/> threads (1: on the calling thread).</summary>
        public static void Run(in Problem<T> p, int threads)
        {
            if (threads <= 1)
            {
                Blocked(p, 0, p.M, 0, p.N);
            }
            else
            {
                RunParallel(p, threads);
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
            int nc = RoundUp(CeilDiv(p.N, CeilDiv(p.N, TTile.NC)), nr);
            nc = Math.Min(nc, RoundUp(p.N, nr));

            // Aim for a few units per thread so the dynamic hand-out can balance the load.
            int targetUnits = 4 * threads;
            int mc = Math.Clamp(RoundUp(CeilDiv(p.M, targetUnits), mr), 4 * mr, RoundUp(TTile.MC, mr));
            int rowBlocks = CeilDiv(p.M, mc);
            mc = RoundUp(CeilDiv(p.M, rowBlocks), mr);

            var state = new ParallelState
            {
                Problem = p,
                Kc = kc,
                Mc = mc,
                RowBlocks = rowBlocks,
            };
            T[] bBuffer = ArrayPool<T>.Shared.Rent(nc * kc + (PanelAlignment / sizeof(T)));
            var options = new ParallelOptions { MaxDegreeOfParallelism = threads };
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
                            if (packChunks > 1)
                            {
                                state.PackChunk = CeilDiv(panels, packChunks);
                                Parallel.For(0, packChunks, options, state.PackBChunk);
                            }
                            else
                            {
                                PackB(p, pc, state.KcCur, jc, ncCur, state.BPack);
                            }

                            Parallel.For(0, rowBlocks * state.ColChunks, options, state.ComputeUnit);
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
            public Problem<T> Problem;
            public T* BPack;
            public int Kc;
            public int Mc;
            public int RowBlocks;
            public int Jc;
            public int Nc;
            public int PanelsPerChunk;
            public int ColChunks;
            public int Pc;
            public int KcCur;
            public int PackChunk;
            public bool Load;

            private Action<int>? packBChunk;
            private Action<int>? computeUnit;

            public Action<int> PackBChunk => packBChunk ??= PackBPanels;

            public Action<int> ComputeUnit => computeUnit ??= Compute;

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
                int nr = TTile.NR;
                int rowBlock = unit / ColChunks, colChunk = unit % ColChunks;
                int ic = rowBlock * Mc;
                int mcCur = Math.Min(Mc, Problem.M - ic);
                int j0 = colChunk * PanelsPerChunk * nr;
                int j1 = Math.Min(Nc, j0 + (PanelsPerChunk * nr));
                if (mcCur <= 0 || j1 <= j0)
                {
                    return;
                }

                T[] aBuffer = ArrayPool<T>.Shared.Rent((Mc * Kc) + (PanelAlignment / sizeof(T)));
                try
                {
                    fixed (T* aRaw = aBuffer)
                    {
                        T* aPack = Align(aRaw);
                        T* edge = stackalloc T[TTile.MR * TTile.NR];
                        PackA(Problem, ic, mcCur, Pc, KcCur, aPack);
                        Macro(Problem.C + ((nint)ic * Problem.N) + Jc + j0, Problem.N, mcCur, j1 - j0, KcCur,
                            aPack, BPack + ((nint)j0 * KcCur), edge, Load);
                    }
                }
                finally
                {
                    ArrayPool<T>.Shared.Return(aBuffer);
                }
            }
        }

        /// <summary>Computes the block C[i0..i1, j0..j1] on the calling thread.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Blocked(in Problem<T> p, int i0, int i1, int j0, int j1)
        {
            int mr = TTile.MR, nr = TTile.NR;
            int mLen = i1 - i0, nLen = j1 - j0, k = p.K;

            // Balanced block sizes: e.g. k = 300 gives two slices of 150, not 256 + 44.
            int kc = CeilDiv(k, CeilDiv(k, TTile.KC));
            int mc = RoundUp(CeilDiv(mLen, CeilDiv(mLen, TTile.MC)), mr);
            int nc = RoundUp(CeilDiv(nLen, CeilDiv(nLen, TTile.NC)), nr);
            mc = Math.Min(mc, RoundUp(mLen, mr));
            nc = Math.Min(nc, RoundUp(nLen, nr));

            int alignPad = PanelAlignment / sizeof(T);
            T[] aBuffer = ArrayPool<T>.Shared.Rent(mc * kc + alignPad);
            T[] bBuffer = ArrayPool<T>.Shared.Rent(nc * kc + alignPad);
            T* edge = stackalloc T[TTile.MR * TTile.NR];
            try
            {
                fixed (T* aRaw = aBuffer)
                fixed (T* bRaw = bBuffer)
                {
                    T* aPack = Align(aRaw);
                    T* bPack = Align(bRaw);
                    for (int jc = j0; jc < j1; jc += nc)
                    {
                        int ncCur = Math.Min(nc, j1 - jc);
                        for (int pc = 0; pc < k; pc += kc)
                        {
                            int kcCur = Math.Min(kc, k - pc);
                            bool load = p.Accumulate || pc > 0;
                            PackB(p, pc, kcCur, jc, ncCur, bPack);
                            for (int ic = i0; ic < i1; ic += mc)
                            {
                                int mcCur = Math.Min(mc, i1 - ic);
                                PackA(p, ic, mcCur, pc, kcCur, aPack);
                                Macro(p.C + (nint)ic * p.N + jc, p.N, mcCur, ncCur, kcCur, aPack, bPack, edge, load);
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

        private static T* Align(T* pointer)
            => (T*)(((nint)pointer + (PanelAlignment - 1)) & ~(nint)(PanelAlignment - 1));

        /// <summary>Runs the micro-kernel over an mc×nc block of C from packed panels.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Macro(T* c, nint ldc, int mc, int nc, int kc, T* aPack, T* bPack, T* edge, bool load)
        {
            int mr = TTile.MR, nr = TTile.NR;
            for (int jr = 0; jr < nc; jr += nr)
            {
                int nrCur = Math.Min(nr, nc - jr);
                T* bPanel = bPack + (nint)jr * kc;
                for (int ir = 0; ir < mc; ir += mr)
                {
                    int mrCur = Math.Min(mr, mc - ir);
                    T* aPanel = aPack + (nint)ir * kc;
                    T* cTile = c + ir * ldc + jr;
                    if (mrCur == mr && nrCur == nr)
                    {
                        TTile.Run(kc, aPanel, bPanel, cTile, ldc, load);
                    }
                    else
                    {
                        // Ragged edge: run the full kernel on a scratch tile. Lanes outside C see
                        // zero-padded panels; lanes inside C get exactly the same operations as in a
                        // full tile, so results do not depend on where the edges fall.
                        for (int i = 0; i < mr; i++)
                        {
                            for (int j = 0; j < nr; j++)
                            {
                                edge[i * nr + j] = load && i < mrCur && j < nrCur ? cTile[i * ldc + j] : default;
                            }
                        }

                        TTile.Run(kc, aPanel, bPanel, edge, nr, load);
                        for (int i = 0; i < mrCur; i++)
                        {
                            for (int j = 0; j < nrCur; j++)
                            {
                                cTile[i * ldc + j] = edge[i * nr + j];
                            }
                        }
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
            for (int ir = 0; ir < mc; ir += mr)
            {
                int rows = Math.Min(mr, mc - ir);
                T* src = p.A + (ic + ir) * p.ARow + pc * p.ADepth;
                PackPanel(src, p.ARow, p.ADepth, rows, mr, kc, dst + (nint)ir * kc);
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
            for (int jr = 0; jr < nc; jr += nr)
            {
                int cols = Math.Min(nr, nc - jr);
                T* src = p.B + (jc + jr) * p.BCol + pc * p.BDepth;
                PackPanel(src, p.BCol, p.BDepth, cols, nr, kc, dst + (nint)jr * kc);
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
                nint bytes = width * sizeof(T);
                for (int q = 0; q < kc; q++)
                {
                    Unsafe.CopyBlockUnaligned(dst + (nint)q * width, src + q * depthStride, (uint)bytes);
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
                    T* s = src + l * laneStride;
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
                    T* s = src + q * depthStride;
                    T* d = dst + (nint)q * width;
                    for (int l = 0; l < lanes; l++)
                    {
                        d[l] = s[l * laneStride];
                    }
                }
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
        public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c)
            => Vector512.FusedMultiplyAdd(a, b, c);
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
        public static Vector512<double> MultiplyAdd(Vector512<double> a, Vector512<double> b, Vector512<double> c)
            => Vector512.FusedMultiplyAdd(a, b, c);
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
        public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c)
            => Vector256.FusedMultiplyAdd(a, b, c);
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
        public static Vector256<double> MultiplyAdd(Vector256<double> a, Vector256<double> b, Vector256<double> c)
            => Vector256.FusedMultiplyAdd(a, b, c);
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
        public static Vector128<float> MultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c)
            => Vector128.FusedMultiplyAdd(a, b, c);
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
        public static Vector128<double> MultiplyAdd(Vector128<double> a, Vector128<double> b, Vector128<double> c)
            => Vector128.FusedMultiplyAdd(a, b, c);
    }

    /// <summary>
    /// A 6 × (2 vectors) micro-kernel: 12 accumulators + 2 B vectors + 1 broadcast fit the 16
    /// registers of AVX2 (6×16 floats, 6×8 doubles) and leave NEON room to spare.
    /// </summary>
    private readonly struct Tile6x2<T, TVec, TOps> : IMicroTile<T>
        where T : unmanaged
        where TVec : struct
        where TOps : struct, IVectorOps<TVec, T>
    {
        public static int MR => 6;

        public static int NR => 2 * TOps.Count;

        public static int KC => 256;

        public static int MC => sizeof(T) == 4 ? 144 : 72;

        public static int NC => 3072;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Run(int kc, T* a, T* b, T* c, nint ldc, bool load)
        {
            int w = TOps.Count;
            TVec c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
            if (load)
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
    }

    /// <summary>
    /// A 12 × (2 vectors) micro-kernel for the 32 registers of AVX-512: 24 accumulators
    /// (12×32 floats, 12×16 doubles) + 2 B vectors + 1 broadcast.
    /// </summary>
    private readonly struct Tile12x2<T, TVec, TOps> : IMicroTile<T>
        where T : unmanaged
        where TVec : struct
        where TOps : struct, IVectorOps<TVec, T>
    {
        public static int MR => 12;

        public static int NR => 2 * TOps.Count;

        public static int KC => 256;

        public static int MC => sizeof(T) == 4 ? 144 : 72;

        public static int NC => 3072;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Run(int kc, T* a, T* b, T* c, nint ldc, bool load)
        {
            int w = TOps.Count;
            TVec c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71, c80, c81, c90, c91, c100, c101, c110, c111;
            if (load)
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

        public static void Run(int kc, T* a, T* b, T* c, nint ldc, bool load)
        {
            bool fma = ScalarFma;
            for (int i = 0; i < 4; i++)
            {
                for (int j = 0; j < 4; j++)
                {
                    T sum = load ? c[i * ldc + j] : T.Zero;
                    T* pa = a + i;
                    T* pb = b + j;
                    for (int p = 0; p < kc; p++)
                    {
                        sum = fma ? T.FusedMultiplyAdd(pa[p * 4], pb[p * 4], sum) : sum + (pa[p * 4] * pb[p * 4]);
                    }

                    c[i * ldc + j] = sum;
                }
            }
        }
    }
}
