// Part of MatMulKernel: register-tiled micro-kernels (6×2 and 12×2 vectors, 4×4 scalar).

using System.Numerics;
using System.Runtime.CompilerServices;

namespace Autograd.Kernels;

internal static unsafe partial class MatMulKernel
{
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

        // 32 KB B micro-panels (256 × 128 bytes) and 384 KB A blocks. Measured on AMD Zen 5 (48 KB
        // L1, 1 MB L2): k slices of 256 took the 1024³ product from 258 to 330 GFLOP/s on two
        // threads, against 128 (docs/performance.md).
        public static int KC => 256;

        public static int MC => sizeof(T) == 4 ? 384 : 192;

        public static int NC => 3072;

        public static void MatrixVector(in Problem<T> p, int threads) => VectorMatVec<T, TVec, TOps>.Run(p, threads);

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Run(int kc, T* a, T* b, T* c, nint ldc, bool load, int rows, int cols)
        {
            if (rows == 12 && cols == 2 * TOps.Count)
            {
                Full(kc, a, b, c, ldc, load);
                return;
            }

            // A ragged tile runs the full kernel on a zero-padded copy of its block of C, so each
            // element gets the same chain of fused multiply-adds as in a full tile. (Keeping the
            // ragged loads and stores out of Full keeps its 24 accumulators in registers: with them
            // in one method the JIT spilled ten accumulators on every step of the loop.)
            int nr = 2 * TOps.Count;
            T* tile = stackalloc T[12 * 32];
            if (load) PadInto(tile, c, ldc, rows, cols);

            Full(kc, a, b, tile, nr, load);
            CopyOut(tile, c, ldc, rows, cols);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
        private static void Full(int kc, T* a, T* b, T* c, nint ldc, bool load)
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

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void RunStrided(int kc, T* a, nint aLane, nint aDepth, T* b, nint bDepth, T* c, nint ldc, bool load, int rows, int cols)
        {
            if (rows == 12 && cols == 2 * TOps.Count)
            {
                FullStrided(kc, a, aLane, aDepth, b, bDepth, c, ldc, load, rows);
                return;
            }

            // As in Run: a ragged tile goes through a zero-padded copy of its block of C.
            int nr = 2 * TOps.Count;
            T* tile = stackalloc T[12 * 32];
            if (load) PadInto(tile, c, ldc, rows, cols);

            FullStrided(kc, a, aLane, aDepth, b, bDepth, tile, nr, load, rows);
            CopyOut(tile, c, ldc, rows, cols);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
        private static void FullStrided(int kc, T* a, nint aLane, nint aDepth, T* b, nint bDepth, T* c, nint ldc, bool load, int rows)
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

        /// <summary>The rows × cols block of C at <paramref name="c"/> into a zeroed 12 × (2 vectors) tile.</summary>
        private static void PadInto(T* tile, T* c, nint ldc, int rows, int cols)
        {
            int nr = 2 * TOps.Count;
            new Span<T>(tile, 12 * nr).Clear();
            for (int i = 0; i < rows; i++) new ReadOnlySpan<T>(c + (i * ldc), cols).CopyTo(new Span<T>(tile + (i * nr), cols));
        }

        /// <summary>The rows × cols block of a 12 × (2 vectors) tile back into C.</summary>
        private static void CopyOut(T* tile, T* c, nint ldc, int rows, int cols)
        {
            int nr = 2 * TOps.Count;
            for (int i = 0; i < rows; i++) new ReadOnlySpan<T>(tile + (i * nr), cols).CopyTo(new Span<T>(c + (i * ldc), cols));
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
            => new MatVec<T>(p).Run(threads, &MatVec<T>.Scalar);

        public static void Run(int kc, T* a, T* b, T* c, nint ldc, bool load, int rows, int cols)
            => RunStrided(kc, a, 1, 4, b, 4, c, ldc, load, rows, cols);

        public static void RunStrided(int kc, T* a, nint aLane, nint aDepth, T* b, nint bDepth, T* c, nint ldc, bool load, int rows, int cols)
        {
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
                        sum = T.FusedMultiplyAdd(x, y, sum); // exact without FMA hardware too (then in software), so every width agrees
                    }

                    c[(i * ldc) + j] = sum;
                }
            }
        }
    }
}
