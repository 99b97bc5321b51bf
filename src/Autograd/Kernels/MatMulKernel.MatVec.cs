// Part of MatMulKernel: matrix-vector streaming kernels (m = 1 or n = 1).

using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Autograd.Kernels;

internal static unsafe partial class MatMulKernel
{
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

        /// <summary>Row dot products may use 256-bit in-register transposes (<see cref="RowDots"/>): the caller's width is 256 bits or more.</summary>
        public readonly bool WideRows;

        public MatVec(in Problem<T> p, bool wideRows = false)
        {
            WideRows = wideRows;
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
        public void Run(int threads, delegate*<in MatVec<T>, int, int, void> kernel)
        {
            if (threads <= 1 || Length < 64 * threads)
            {
                kernel(this, 0, Length);
                return;
            }

            RunParallel(this, threads, kernel);
        }

        /// <summary>
        /// A few contiguous chunks per thread, on multiples of 64 elements (whole vector blocks).
        /// A separate method so the closure is only allocated when the work is split.
        /// </summary>
        private static void RunParallel(MatVec<T> v, int threads, delegate*<in MatVec<T>, int, int, void> kernel)
        {
            int blocks = CeilDiv(v.Length, 64);
            int parts = Math.Min(blocks, 4 * threads);
            ForkJoin.Run(parts, threads, part =>
            {
                int t0 = (int)Math.Min(v.Length, (long)blocks * part / parts * 64);
                int t1 = (int)Math.Min(v.Length, (long)blocks * (part + 1) / parts * 64);
                if (t1 > t0)
                {
                    kernel(v, t0, t1);
                }
            });
        }

        /// <summary>
        /// Scalar kernel for any strides, 8 outputs at a time (8 independent chains keep both FMA
        /// pipes busy despite the latency). Used when M(t, p) is contiguous along p (row dot products).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Scalar(in MatVec<T> v, int t0, int t1)
        {
            int k = v.K;
            T* s = v.S;
            T* output = v.Out;
            nint ss = v.SStride, ts = v.TStride, ps = v.PStride;
            int t = t0;
            if (typeof(T) == typeof(float) && v.WideRows && ps == 1 && ss == 1 && k >= 8 && Avx.IsSupported)
            {
                for (; t + 32 <= t1; t += 32) RowDots((float*)v.Mat + (t * ts), ts, (float*)s, k, (float*)output + t, v.Accumulate, 4);
                for (; t + 8 <= t1; t += 8) RowDots((float*)v.Mat + (t * ts), ts, (float*)s, k, (float*)output + t, v.Accumulate, 1);
            }

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
                    acc = T.FusedMultiplyAdd(s[p * ss], r[p * ps], acc);
                }

                output[t] = acc;
            }
        }
    }

    /// <summary>
    /// out[i] (+)= Σ_p s[p] · row_i[p] for <paramref name="blocks"/> × 8 rows at <paramref name="rows"/>
    /// (row stride <paramref name="stride"/>), each one in-order chain of fused multiply-adds as in
    /// <see cref="MatVec{T}.Scalar"/>: eight depths of eight rows are loaded and transposed in
    /// registers, so that one vector FMA advances eight chains by one step (up to four blocks at
    /// once, to hide the FMA latency); the last k mod 8 steps are scalar FMAs on the same chains.
    /// The same bits as the scalar kernel.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowDots(float* rows, nint stride, float* s, int k, float* output, bool accumulate, int blocks)
    {
        nint block = 8 * stride;
        var acc0 = accumulate ? Vector256.Load(output) : Vector256<float>.Zero;
        var acc1 = blocks > 1 ? (accumulate ? Vector256.Load(output + 8) : Vector256<float>.Zero) : default;
        var acc2 = blocks > 2 ? (accumulate ? Vector256.Load(output + 16) : Vector256<float>.Zero) : default;
        var acc3 = blocks > 3 ? (accumulate ? Vector256.Load(output + 24) : Vector256<float>.Zero) : default;
        int p = 0;
        for (; p + 8 <= k; p += 8)
        {
            Step8(rows + p, stride, s + p, ref acc0);
            if (blocks > 1) Step8(rows + block + p, stride, s + p, ref acc1);
            if (blocks > 2) Step8(rows + (2 * block) + p, stride, s + p, ref acc2);
            if (blocks > 3) Step8(rows + (3 * block) + p, stride, s + p, ref acc3);
        }

        acc0.Store(output);
        if (blocks > 1) acc1.Store(output + 8);
        if (blocks > 2) acc2.Store(output + 16);
        if (blocks > 3) acc3.Store(output + 24);
        for (; p < k; p++)
        {
            float sp = s[p];
            for (int i = 0; i < 8 * blocks; i++) output[i] = MathF.FusedMultiplyAdd(sp, rows[(i * stride) + p], output[i]);
        }
    }

    /// <summary>acc[i] = fma(s[j], row_i[j], acc[i]) for j = 0..7 in order, for the 8 rows at <paramref name="rows"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step8(float* rows, nint stride, float* s, ref Vector256<float> acc)
    {
        Transpose8x8.Load(rows, stride, out var c0, out var c1, out var c2, out var c3, out var c4, out var c5, out var c6, out var c7);
        // Column j holds depth j of the eight rows.
        acc = Vector256.FusedMultiplyAdd(c0, Vector256.Create(s[0]), acc);
        acc = Vector256.FusedMultiplyAdd(c1, Vector256.Create(s[1]), acc);
        acc = Vector256.FusedMultiplyAdd(c2, Vector256.Create(s[2]), acc);
        acc = Vector256.FusedMultiplyAdd(c3, Vector256.Create(s[3]), acc);
        acc = Vector256.FusedMultiplyAdd(c4, Vector256.Create(s[4]), acc);
        acc = Vector256.FusedMultiplyAdd(c5, Vector256.Create(s[5]), acc);
        acc = Vector256.FusedMultiplyAdd(c6, Vector256.Create(s[6]), acc);
        acc = Vector256.FusedMultiplyAdd(c7, Vector256.Create(s[7]), acc);
    }

    /// <summary>The vectorised matrix-vector kernel, for M(t, p) contiguous along t.</summary>
    private static class VectorMatVec<T, TVec, TOps>
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : struct
        where TOps : struct, IVectorOps<TVec, T>
    {
        public static void Run(in Problem<T> p, int threads)
        {
            var v = new MatVec<T>(p, wideRows: TOps.Count * sizeof(T) >= 32);
            v.Run(threads, v.TStride == 1 ? &Streaming : &MatVec<T>.Scalar);
        }

        /// <summary>out[t0..t1) for unit t stride: four vectors of outputs at a time, one broadcast of s[p] each step.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Streaming(in MatVec<T> v, int t0, int t1)
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
}
