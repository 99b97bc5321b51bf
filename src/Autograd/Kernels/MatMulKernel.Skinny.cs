using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Autograd.Kernels;

/// <summary>
/// The skinny paths of <see cref="MatMulKernel"/>: products with few rows or few columns in C
/// (the shapes of a small classifier: 1797×64 · (10×64)ᵀ forward, (1797×10)ᵀ · 1797×64 weight
/// gradient), where the blocked driver's 6×16 register tile would compute mostly padding.
/// </summary>
/// <remarks>
/// Both paths keep the kernel's determinism contract: every element of C is one sequential chain
/// of fused multiply-adds over p = 0, 1, ..., k-1 starting from +0 (or from the old C when
/// accumulating), carried in a register or stored to C and reloaded between k slices (a float
/// store and load is exact), and each element is computed by exactly one thread. They therefore
/// give the blocked driver's bits, whatever the thread count; only which lanes hold which
/// elements differs. Threads split rows (<see cref="NarrowColumns"/>) or columns
/// (<see cref="FewRows{T, TVec, TOps}"/>), never k.
/// </remarks>
internal static unsafe partial class MatMulKernel
{
    /// <summary>
    /// Runs the float product on a skinny path when one fits its shape (m, n ≥ 2: matrix-vector
    /// products keep their own path); returns false when the blocked driver should run it.
    /// </summary>
    private static bool TrySkinny(in Problem<float> p, VectorWidth isa, int threads)
    {
        if (p.M < 2 || p.N < 2) return false;
        if (isa == VectorWidth.Vector256 && NarrowColumns.Applies(p))
        {
            NarrowColumns.Run(p, threads);
            return true;
        }

        switch (isa)
        {
            case VectorWidth.Vector512 when FewRows<float, Vector512<float>, V512F>.Applies(p):
                FewRows<float, Vector512<float>, V512F>.Run(p, threads);
                return true;
            case VectorWidth.Vector256 when FewRows<float, Vector256<float>, V256F>.Applies(p):
                FewRows<float, Vector256<float>, V256F>.Run(p, threads);
                return true;
            case VectorWidth.Vector128 when FewRows<float, Vector128<float>, V128F>.Applies(p):
                FewRows<float, Vector128<float>, V128F>.Run(p, threads);
                return true;
            default:
                return false;
        }
    }

    /// <inheritdoc cref="TrySkinny(in Problem{float}, VectorWidth, int)"/>
    private static bool TrySkinny(in Problem<double> p, VectorWidth isa, int threads)
    {
        if (p.M < 2 || p.N < 2) return false;
        switch (isa)
        {
            case VectorWidth.Vector512 when FewRows<double, Vector512<double>, V512D>.Applies(p):
                FewRows<double, Vector512<double>, V512D>.Run(p, threads);
                return true;
            case VectorWidth.Vector256 when FewRows<double, Vector256<double>, V256D>.Applies(p):
                FewRows<double, Vector256<double>, V256D>.Run(p, threads);
                return true;
            case VectorWidth.Vector128 when FewRows<double, Vector128<double>, V128D>.Applies(p):
                FewRows<double, Vector128<double>, V128D>.Run(p, threads);
                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// C with few rows (2 ≤ m ≤ <see cref="MaxRows"/>) and op(B) not transposed, e.g. a weight
    /// gradient Gᵀ·X = (1797×10)ᵀ · 1797×64: C is cut into strips of two vectors of columns, each
    /// strip into row tiles of at most <see cref="TileRows"/> rows (balanced: m = 10 gives 5 + 5,
    /// where the 6-row tile of the blocked driver computes 12), and a 5 × (2 vectors) micro-kernel
    /// broadcasts A(i, p) and reads the row p of the strip of B in place. A and B are never packed
    /// (only the ragged last strip of B, zero-padded, a k slice at a time).
    /// </summary>
    /// <remarks>
    /// Loop order: k slices of <see cref="SliceDepth"/> outermost, then strips, then row tiles, so
    /// that each slice of B is read from memory once and then from L1 (a slice of 128 rows of 64
    /// floats is 32 KB); the partial sums go to C between slices. Threads take contiguous ranges of
    /// strips (column ranges of C, so each element is still one chain computed by one thread).
    /// </remarks>
    private static class FewRows<T, TVec, TOps>
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : struct
        where TOps : struct, IVectorOps<TVec, T>
    {
        /// <summary>The most rows of C this path takes (three row tiles).</summary>
        public const int MaxRows = 3 * TileRows;

        /// <summary>Rows per micro-tile.</summary>
        private const int TileRows = 5;

        /// <summary>Depth of a k slice.</summary>
        private const int SliceDepth = 128;

        /// <summary>Whether the product has this path's shape: few rows of C, B rows contiguous.</summary>
        public static bool Applies(in Problem<T> p) => p.BCol == 1 && p.M <= MaxRows;

        /// <summary>Computes the product, splitting the column strips over up to <paramref name="threads"/> threads.</summary>
        public static void Run(in Problem<T> p, int threads)
        {
            int strips = CeilDiv(p.N, 2 * TOps.Count);
            int parts = Math.Min(threads, strips);
            if (parts <= 1)
            {
                Strips(p, 0, strips, strips);
            }
            else
            {
                RunParallel(p, strips, parts, threads);
            }
        }

        /// <summary>Contiguous ranges of strips, one per part (a separate method: the closure is only allocated here).</summary>
        private static void RunParallel(Problem<T> p, int strips, int parts, int threads)
            => ForkJoin.Run(parts, threads, part => Strips(p, strips * part / parts, strips * (part + 1) / parts, strips));

        /// <summary>Strips [<paramref name="s0"/>, <paramref name="s1"/>) of C, over the whole depth.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Strips(in Problem<T> p, int s0, int s1, int strips)
        {
            int sw = 2 * TOps.Count, m = p.M, n = p.N, k = p.K;
            int rowTiles = CeilDiv(m, TileRows);
            int kc = CeilDiv(k, CeilDiv(k, SliceDepth));
            bool ragged = s1 == strips && n % sw != 0;
            Span<T> edgeBuffer = ragged ? stackalloc T[kc * sw] : default;
            fixed (T* edge = edgeBuffer)
            {
                for (int pc = 0; pc < k; pc += kc)
                {
                    int kcCur = Math.Min(kc, k - pc);
                    bool load = p.Accumulate || pc > 0;
                    for (int s = s0; s < s1; s++)
                    {
                        int j0 = s * sw, cols = Math.Min(sw, n - j0);
                        T* b = p.B + (pc * p.BDepth) + j0;
                        nint ldb = p.BDepth;
                        if (cols < sw)
                        {
                            // Vector loads would run past the last column: copy this slice, zero-padded.
                            for (int q = 0; q < kcCur; q++)
                            {
                                T* src = b + (q * ldb);
                                T* dst = edge + (q * sw);
                                for (int j = 0; j < cols; j++) dst[j] = src[j];
                                for (int j = cols; j < sw; j++) dst[j] = T.Zero;
                            }

                            b = edge;
                            ldb = sw;
                        }

                        for (int t = 0; t < rowTiles; t++)
                        {
                            // Balanced tiles: m = 11 gives 3 + 4 + 4 rows.
                            int i0 = m * t / rowTiles, rows = (m * (t + 1) / rowTiles) - i0;
                            Tile(kcCur, p.A + (i0 * p.ARow) + (pc * p.ADepth), p.ARow, p.ADepth, b, ldb, p.C + ((nint)i0 * n) + j0, n, load, rows, cols);
                        }
                    }
                }
            }
        }

        /// <summary>
        /// C[i, j] = (<paramref name="load"/> ? C[i, j] : 0) + Σ_p A(i, p) · B(p, j), one fused
        /// multiply-add per p in order, for i &lt; <paramref name="rows"/> ≤ 5 and
        /// j &lt; <paramref name="cols"/> ≤ 2 vectors; A(i, p) at <c>a[i*aLane + p*aDepth]</c>, the
        /// B row p at <c>b + p*ldb</c> (two vectors, all readable). Rows past the edge alias row 0:
        /// read, never stored.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Tile(int kc, T* a, nint aLane, nint aDepth, T* b, nint ldb, T* c, nint ldc, bool load, int rows, int cols)
        {
            int w = TOps.Count;
            T* a0 = a;
            T* a1 = 1 < rows ? a + aLane : a;
            T* a2 = 2 < rows ? a + (2 * aLane) : a;
            T* a3 = 3 < rows ? a + (3 * aLane) : a;
            T* a4 = 4 < rows ? a + (4 * aLane) : a;
            TVec c00, c01, c10, c11, c20, c21, c30, c31, c40, c41;
            if (load)
            {
                c00 = LoadAt(c, cols);
                c01 = LoadAt(c + w, cols - w);
                c10 = 1 < rows ? LoadAt(c + ldc, cols) : TOps.Zero;
                c11 = 1 < rows ? LoadAt(c + ldc + w, cols - w) : TOps.Zero;
                c20 = 2 < rows ? LoadAt(c + (2 * ldc), cols) : TOps.Zero;
                c21 = 2 < rows ? LoadAt(c + (2 * ldc) + w, cols - w) : TOps.Zero;
                c30 = 3 < rows ? LoadAt(c + (3 * ldc), cols) : TOps.Zero;
                c31 = 3 < rows ? LoadAt(c + (3 * ldc) + w, cols - w) : TOps.Zero;
                c40 = 4 < rows ? LoadAt(c + (4 * ldc), cols) : TOps.Zero;
                c41 = 4 < rows ? LoadAt(c + (4 * ldc) + w, cols - w) : TOps.Zero;
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
            }

            nint ao = 0;
            for (int p = 0; p < kc; p++)
            {
                TVec b0 = TOps.Load(b);
                TVec b1 = TOps.Load(b + w);
                TVec av = TOps.Broadcast(a0 + ao);
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
                ao += aDepth;
                b += ldb;
            }

            StoreRow(c00, c01, c, cols);
            if (1 < rows) StoreRow(c10, c11, c + ldc, cols);
            if (2 < rows) StoreRow(c20, c21, c + (2 * ldc), cols);
            if (3 < rows) StoreRow(c30, c31, c + (3 * ldc), cols);
            if (4 < rows) StoreRow(c40, c41, c + (4 * ldc), cols);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static TVec LoadAt(T* source, int count)
            => count >= TOps.Count ? TOps.Load(source) : count > 0 ? TOps.LoadPartial(source, count) : TOps.Zero;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void StoreRow(TVec v0, TVec v1, T* destination, int cols)
        {
            int w = TOps.Count;
            if (cols == 2 * w)
            {
                TOps.Store(v0, destination);
                TOps.Store(v1, destination + w);
            }
            else if (cols > w)
            {
                TOps.Store(v0, destination);
                TOps.StorePartial(v1, destination + w, cols - w);
            }
            else if (cols == w)
            {
                TOps.Store(v0, destination);
            }
            else
            {
                TOps.StorePartial(v0, destination, cols);
            }
        }
    }

    /// <summary>
    /// Float32 C with 9 or 10 columns (a 10-class linear layer: 1797×64 · (10×64)ᵀ), on AVX.
    /// The blocked driver's 6×16 tile would leave 6 of every 16 lanes idle; here a tile of 8 rows
    /// holds columns 0-7 of each row in one vector (A(i, p) broadcast, B(p, 0..7) loaded) and
    /// columns 8-9 of four rows in one more, <c>(c[i,8], c[i,9], c[i+1,8], ..., c[i+3,9])</c>,
    /// multiplied by <c>(A(i,p), A(i,p), A(i+1,p), ..., A(i+3,p))</c> (blended from the broadcasts
    /// already loaded) and <c>(B(p,8), B(p,9)) × 4</c>: 10 multiply-adds per 8 rows per p instead of
    /// 16, with every lane used.
    /// </summary>
    /// <remarks>
    /// op(B) is first copied into a k×16 panel (row p: B(p, 0..7), then B(p, 8), B(p, 9) four
    /// times; B(p, 9) = 0 when n = 9), tiny next to A. A is read in place through its strides.
    /// Threads take contiguous ranges of 8-row tiles (each element is one chain computed by one
    /// thread). Every C element is the same in-order chain of fused multiply-adds as in the blocked
    /// driver, so the bits are the same.
    /// </remarks>
    private static class NarrowColumns
    {
        /// <summary>Rows per micro-tile.</summary>
        private const int TileRows = 8;

        /// <summary>Floats per row p of the packed B panel.</summary>
        private const int PanelWidth = 16;

        /// <summary>Whether the product has this path's shape (and the machine the blend instruction).</summary>
        public static bool Applies(in Problem<float> p) => Avx.IsSupported && (p.N == 9 || p.N == 10);

        /// <summary>Packs op(B), then computes the row tiles on up to <paramref name="threads"/> threads.</summary>
        public static void Run(in Problem<float> p, int threads)
        {
            int k = p.K, tiles = CeilDiv(p.M, TileRows);
            int pad = PanelAlignment / sizeof(float);
            float[] buffer = ArrayPool<float>.Shared.Rent((k * PanelWidth) + pad);
            try
            {
                fixed (float* raw = buffer)
                {
                    float* panel = Align(raw);
                    PackB(p, panel);
                    int parts = Math.Min(threads, tiles);
                    if (parts <= 1)
                    {
                        Tiles(p, panel, 0, tiles);
                    }
                    else
                    {
                        RunParallel(p, panel, tiles, parts, threads);
                    }
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(buffer);
            }
        }

        private static void RunParallel(Problem<float> p, float* panel, int tiles, int parts, int threads)
        {
            nint panelAddress = (nint)panel;
            ForkJoin.Run(parts, threads, part => Tiles(p, (float*)panelAddress, tiles * part / parts, tiles * (part + 1) / parts));
        }

        /// <summary>panel[p*16 + j] = B(p, j) for j &lt; 8; panel[p*16 + 8 + 2q + e] = B(p, 8 + e) (0 past n).</summary>
        private static void PackB(in Problem<float> p, float* panel)
        {
            float* b = p.B;
            nint depth = p.BDepth, col = p.BCol;
            bool ten = p.N == 10;
            for (int q = 0; q < p.K; q++)
            {
                float* src = b + (q * depth);
                float* dst = panel + (q * PanelWidth);
                for (int j = 0; j < 8; j++) dst[j] = src[j * col];
                float b8 = src[8 * col], b9 = ten ? src[9 * col] : 0f;
                for (int e = 8; e < PanelWidth; e += 2)
                {
                    dst[e] = b8;
                    dst[e + 1] = b9;
                }
            }
        }

        /// <summary>Row tiles [<paramref name="t0"/>, <paramref name="t1"/>) of C.</summary>
        private static void Tiles(in Problem<float> p, float* panel, int t0, int t1)
        {
            for (int t = t0; t < t1; t++)
            {
                int i0 = t * TileRows;
                Tile(p, panel, i0, Math.Min(TileRows, p.M - i0));
            }
        }

        /// <summary>Rows [<paramref name="i0"/>, <paramref name="i0"/> + <paramref name="rows"/>) of C, rows ≤ 8; rows past the edge alias the first (read, never stored).</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Tile(in Problem<float> p, float* panel, int i0, int rows)
        {
            nint lane = p.ARow, depth = p.ADepth, ldc = p.N;
            float* a = p.A + (i0 * lane);
            float* a0 = a;
            float* a1 = 1 < rows ? a + lane : a;
            float* a2 = 2 < rows ? a + (2 * lane) : a;
            float* a3 = 3 < rows ? a + (3 * lane) : a;
            float* a4 = 4 < rows ? a + (4 * lane) : a;
            float* a5 = 5 < rows ? a + (5 * lane) : a;
            float* a6 = 6 < rows ? a + (6 * lane) : a;
            float* a7 = 7 < rows ? a + (7 * lane) : a;
            float* c = p.C + (i0 * ldc);
            bool ten = p.N == 10;
            Vector256<float> c0, c1, c2, c3, c4, c5, c6, c7, d0, d1;
            if (p.Accumulate)
            {
                c0 = Vector256.Load(c);
                c1 = 1 < rows ? Vector256.Load(c + ldc) : Vector256<float>.Zero;
                c2 = 2 < rows ? Vector256.Load(c + (2 * ldc)) : Vector256<float>.Zero;
                c3 = 3 < rows ? Vector256.Load(c + (3 * ldc)) : Vector256<float>.Zero;
                c4 = 4 < rows ? Vector256.Load(c + (4 * ldc)) : Vector256<float>.Zero;
                c5 = 5 < rows ? Vector256.Load(c + (5 * ldc)) : Vector256<float>.Zero;
                c6 = 6 < rows ? Vector256.Load(c + (6 * ldc)) : Vector256<float>.Zero;
                c7 = 7 < rows ? Vector256.Load(c + (7 * ldc)) : Vector256<float>.Zero;
                d0 = LoadPairs(c, ldc, rows, ten);
                d1 = LoadPairs(c + (4 * ldc), ldc, rows - 4, ten);
            }
            else
            {
                c0 = Vector256<float>.Zero;
                c1 = Vector256<float>.Zero;
                c2 = Vector256<float>.Zero;
                c3 = Vector256<float>.Zero;
                c4 = Vector256<float>.Zero;
                c5 = Vector256<float>.Zero;
                c6 = Vector256<float>.Zero;
                c7 = Vector256<float>.Zero;
                d0 = Vector256<float>.Zero;
                d1 = Vector256<float>.Zero;
            }

            float* b = panel;
            nint ao = 0;
            for (int q = p.K; q > 0; q--)
            {
                var bv = Vector256.Load(b);
                var bw = Vector256.Load(b + 8);

                // Rows 0-3: columns 0-7 from the broadcasts, then (x0, x0, x1, x1, x2, x2, x3, x3) for columns 8-9.
                var x0 = Vector256.Create(a0[ao]);
                c0 = Vector256.FusedMultiplyAdd(x0, bv, c0);
                var x1 = Vector256.Create(a1[ao]);
                c1 = Vector256.FusedMultiplyAdd(x1, bv, c1);
                x0 = Avx.Blend(x0, x1, 0b0000_1100);
                var x2 = Vector256.Create(a2[ao]);
                c2 = Vector256.FusedMultiplyAdd(x2, bv, c2);
                var x3 = Vector256.Create(a3[ao]);
                c3 = Vector256.FusedMultiplyAdd(x3, bv, c3);
                x2 = Avx.Blend(x2, x3, 0b1100_0000);
                x0 = Avx.Blend(x0, x2, 0b1111_0000);
                d0 = Vector256.FusedMultiplyAdd(x0, bw, d0);

                // Rows 4-7.
                x0 = Vector256.Create(a4[ao]);
                c4 = Vector256.FusedMultiplyAdd(x0, bv, c4);
                x1 = Vector256.Create(a5[ao]);
                c5 = Vector256.FusedMultiplyAdd(x1, bv, c5);
                x0 = Avx.Blend(x0, x1, 0b0000_1100);
                x2 = Vector256.Create(a6[ao]);
                c6 = Vector256.FusedMultiplyAdd(x2, bv, c6);
                x3 = Vector256.Create(a7[ao]);
                c7 = Vector256.FusedMultiplyAdd(x3, bv, c7);
                x2 = Avx.Blend(x2, x3, 0b1100_0000);
                x0 = Avx.Blend(x0, x2, 0b1111_0000);
                d1 = Vector256.FusedMultiplyAdd(x0, bw, d1);

                b += PanelWidth;
                ao += depth;
            }

            c0.Store(c);
            if (1 < rows) c1.Store(c + ldc);
            if (2 < rows) c2.Store(c + (2 * ldc));
            if (3 < rows) c3.Store(c + (3 * ldc));
            if (4 < rows) c4.Store(c + (4 * ldc));
            if (5 < rows) c5.Store(c + (5 * ldc));
            if (6 < rows) c6.Store(c + (6 * ldc));
            if (7 < rows) c7.Store(c + (7 * ldc));
            StorePairs(d0, c, ldc, rows, ten);
            StorePairs(d1, c + (4 * ldc), ldc, rows - 4, ten);
        }

        /// <summary>(C[r, 8], C[r, 9]) for the first <paramref name="rows"/> (at most 4) rows from <paramref name="c"/>, zeros elsewhere (and for column 9 when n = 9).</summary>
        private static Vector256<float> LoadPairs(float* c, nint ldc, int rows, bool ten)
        {
            var pairs = Vector256<float>.Zero;
            for (int r = 0; r < Math.Min(rows, 4); r++)
            {
                pairs = pairs.WithElement(2 * r, c[(r * ldc) + 8]);
                if (ten) pairs = pairs.WithElement((2 * r) + 1, c[(r * ldc) + 9]);
            }

            return pairs;
        }

        /// <summary>Stores columns 8 (and 9) of the first <paramref name="rows"/> (at most 4) rows from their pair vector.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void StorePairs(Vector256<float> pairs, float* c, nint ldc, int rows, bool ten)
        {
            if (ten)
            {
                // Each pair as one 64-bit integer: a plain copy of the two floats' bits.
                var d = pairs.AsUInt64();
                if (0 < rows) *(ulong*)(c + 8) = d.GetElement(0);
                if (1 < rows) *(ulong*)(c + ldc + 8) = d.GetElement(1);
                if (2 < rows) *(ulong*)(c + (2 * ldc) + 8) = d.GetElement(2);
                if (3 < rows) *(ulong*)(c + (3 * ldc) + 8) = d.GetElement(3);
            }
            else
            {
                if (0 < rows) c[8] = pairs.GetElement(0);
                if (1 < rows) c[ldc + 8] = pairs.GetElement(2);
                if (2 < rows) c[(2 * ldc) + 8] = pairs.GetElement(4);
                if (3 < rows) c[(3 * ldc) + 8] = pairs.GetElement(6);
            }
        }
    }
}
