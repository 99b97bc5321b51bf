// Part of MatMulKernel: the blocked driver (single-threaded loops around the micro-kernel, operand panels, macro-kernel).

using System.Buffers;
using System.Runtime.CompilerServices;

namespace Autograd.Kernels;

internal static unsafe partial class MatMulKernel
{
    /// <summary>The cache-blocked loops around a micro-kernel, and the split across threads.</summary>
    private static partial class Driver<T, TTile>
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
    }
}
