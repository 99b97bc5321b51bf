// Part of MatMulKernel: packing of op(A) and op(B) blocks into micro-panels for the blocked driver.

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Autograd.Kernels;

internal static unsafe partial class MatMulKernel
{
    private static partial class Driver<T, TTile>
        where T : unmanaged
        where TTile : struct, IMicroTile<T>
    {
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
                // Each lane contiguous along depth (A not transposed, or B transposed): gather by lane,
                // eight lanes by eight depths at a time through an in-register transpose where it can.
                int done = typeof(T) == typeof(float) && Avx.IsSupported ? TransposeFloat8((float*)src, laneStride, lanes, width, kc, (float*)dst) : 0;
                for (int l = 0; l < lanes; l++)
                {
                    T* s = src + (l * laneStride);
                    T* d = dst + l;
                    int q0 = l < lanes - lanes % 8 ? done : 0;
                    for (int q = q0; q < kc; q++)
                    {
                        d[(nint)q * width] = s[q];
                    }
                }

                return;
            }

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

        /// <summary>
        /// dst[q*width + l] = src[l*laneStride + q] for the lanes below a multiple of 8 and the depths
        /// below a multiple of 8, with 8×8 in-register transposes (a copy: no value changes); returns
        /// the depths done, which the caller finishes (and the last lanes) element by element.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static int TransposeFloat8(float* src, nint laneStride, int lanes, int width, int kc, float* dst)
        {
            int depths = kc - kc % 8;
            for (int l0 = 0; l0 + 8 <= lanes; l0 += 8)
            {
                float* s = src + (l0 * laneStride);
                for (int q0 = 0; q0 < depths; q0 += 8)
                {
                    Transpose8x8.Load(s + q0, laneStride, out var c0, out var c1, out var c2, out var c3, out var c4, out var c5, out var c6, out var c7);
                    float* d = dst + ((nint)q0 * width) + l0;
                    Avx.Store(d, c0);
                    Avx.Store(d + width, c1);
                    Avx.Store(d + (2 * width), c2);
                    Avx.Store(d + (3 * width), c3);
                    Avx.Store(d + (4 * width), c4);
                    Avx.Store(d + (5 * width), c5);
                    Avx.Store(d + (6 * width), c6);
                    Avx.Store(d + (7 * width), c7);
                }
            }

            return depths;
        }
    }
}
