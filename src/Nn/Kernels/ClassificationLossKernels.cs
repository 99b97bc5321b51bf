using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Autograd.Kernels;

namespace Autograd.Nn;

/// <summary>
/// How a classification input is laid out: viewed as (Outer, Classes, Inner) with the classes on
/// dim 1 (dim 0 when unbatched). A "position" is one sample (or one spatial site of one sample):
/// position k = o * Inner + i, the row-major order of the target.
/// </summary>
/// <param name="Outer">N (1 when unbatched).</param>
/// <param name="Classes">C.</param>
/// <param name="Inner">d1 * ... * dk (1 for (C) and (N, C) inputs).</param>
/// <param name="ClassDim">1, or 0 for an unbatched (C) input.</param>
/// <param name="Probabilities">The target holds class probabilities (the input's shape) rather than indices.</param>
/// <param name="PositionShape">The shape of one value per position: the target's shape for indices, the input's without the class dim for probabilities.</param>
internal readonly record struct ClassLayout(int Outer, int Classes, int Inner, int ClassDim, bool Probabilities, int[] PositionShape)
{
    public int Positions => Outer * Inner;

    /// <summary>PyTorch computes log-softmax over the last dim ((C) and (N, C) inputs) with its vectorised row kernel, else along a strided dim.</summary>
    public bool LastDim => ClassDim == PositionShape.Length;

    /// <summary>The flat input index of class <paramref name="c"/> at <paramref name="position"/>.</summary>
    public int Index(int position, long c) => Inner == 1 ? position * Classes + (int)c : (position / Inner * Classes + (int)c) * Inner + position % Inner;
}

/// <summary>
/// The span loops behind <see cref="Functional.CrossEntropy"/> and <see cref="Functional.NllLoss"/>.
/// Float32 is computed in float32 with PyTorch 1.13's operations in PyTorch's order: its AVX2
/// log-softmax kernels (Sleef's exp and log, per-lane partial sums), nll_loss's cascade sum and
/// the sum kernel's order (<see cref="TorchSum"/>), so that float32 losses equal PyTorch's bit for
/// bit. Float64 follows the same order, with the C library's exp and log (within an ulp of Sleef's).
/// </summary>
internal static class ClassificationLossKernels
{
    /// <summary>
    /// Per position: <c>max[k] = max_c x</c> and <c>logSum[k] = log Σ_c e^(x - max)</c>, so that
    /// log p_c = (x_c - max) - logSum (the log-sum-exp trick: no e^x can overflow); and, when
    /// <paramref name="logp"/> is not empty, those log-probabilities, as <see cref="LogSoftmax{T}"/>
    /// computes them (float32 rows in the same pass).
    /// </summary>
    public static void LogSumExp<T>(ReadOnlySpan<T> x, ClassLayout l, Span<T> max, Span<T> logSum, Span<T> logp = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int classes = l.Classes, inner = l.Inner;
        if (l.LastDim)
        {
            int done = typeof(T) == typeof(float)
                ? SleefRows.LogSumExpRows(MemoryMarshal.Cast<T, float>(x), l.Outer, classes, MemoryMarshal.Cast<T, float>(max), MemoryMarshal.Cast<T, float>(logSum),
                    MemoryMarshal.Cast<T, float>(logp))
                : 0;
            for (int o = done; o < l.Outer; o++)
            {
                var row = x.Slice(o * classes, classes);
                T m = TensorPrimitives.Max(row);
                max[o] = m;
                logSum[o] = VectorLog(LaneSumExp(row, m));
            }
            if (!logp.IsEmpty) LogSoftmaxRows(x, classes, max, logSum, logp, done, l.Outer);
            return;
        }

        // Along a strided dim PyTorch runs across the inner positions a vector at a time (SIMD exp),
        // the remainder in scalar code (the C library's exp), and sums the classes in order.
        int lanes = typeof(T) == typeof(float) ? 8 : 4;
        int vectorized = inner - inner % lanes;
        for (int o = 0; o < l.Outer; o++)
        {
            var xo = x.Slice(o * classes * inner, classes * inner);
            var m = max.Slice(o * inner, inner);
            var s = logSum.Slice(o * inner, inner);
            xo[..inner].CopyTo(m);
            for (int c = 1; c < classes; c++)
            {
                var xc = xo.Slice(c * inner, inner);
                for (int i = 0; i < inner; i++) m[i] = T.Max(m[i], xc[i]); // NaN propagates, as vec::maximum
            }
            s.Clear();
            for (int c = 0; c < classes; c++)
            {
                var xc = xo.Slice(c * inner, inner);
                if (typeof(T) == typeof(float))
                    SleefRows.AddExp(MemoryMarshal.Cast<T, float>(xc[..vectorized]), MemoryMarshal.Cast<T, float>(m[..vectorized]), MemoryMarshal.Cast<T, float>(s[..vectorized]));
                else
                    for (int i = 0; i < vectorized; i++) s[i] += VectorExp(xc[i] - m[i]);
                for (int i = vectorized; i < inner; i++) s[i] += T.Exp(xc[i] - m[i]);
            }
            for (int i = 0; i < inner; i++) s[i] = VectorLog(s[i]);
        }
        if (!logp.IsEmpty) LogSoftmax(x, l, max, logSum, logp);
    }

    /// <summary>
    /// Σ e^(x - max) over one row, added in the order of PyTorch's AVX2 <c>map_reduce_all</c>:
    /// one partial sum per vector lane (8 floats or 4 doubles), then the lanes combined (a tree for
    /// float, in lane order for double). Rows shorter than a vector are summed in order.
    /// </summary>
    private static T LaneSumExp<T>(ReadOnlySpan<T> row, T max) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float) && row.Length >= 8)
            return T.CreateTruncating(SleefRows.LaneSumExp(MemoryMarshal.Cast<T, float>(row), float.CreateTruncating(max)));
        int lanes = typeof(T) == typeof(float) ? 8 : 4;
        if (row.Length < lanes)
        {
            T s = T.Zero;
            foreach (var v in row) s += VectorExp(v - max);
            return s;
        }

        Span<T> acc = stackalloc T[8];
        for (int j = 0; j < lanes; j++) acc[j] = VectorExp(row[j] - max);
        int d = lanes, full = row.Length - row.Length % lanes;
        for (; d < full; d += lanes)
            for (int j = 0; j < lanes; j++) acc[j] += VectorExp(row[d + j] - max);
        for (int j = 0; d + j < row.Length; j++) acc[j] += VectorExp(row[d + j] - max);

        if (lanes == 8)
        {
            for (int j = 0; j < 4; j++) acc[j] += acc[j + 4];
            return (acc[0] + acc[2]) + (acc[1] + acc[3]);
        }
        return acc[0] + acc[1] + acc[2] + acc[3];
    }

    /// <summary><c>logp = (x - max) - logSum</c> for every element (kept for the backward pass).</summary>
    public static void LogSoftmax<T>(ReadOnlySpan<T> x, ClassLayout l, ReadOnlySpan<T> max, ReadOnlySpan<T> logSum, Span<T> logp)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int classes = l.Classes, inner = l.Inner;
        if (inner == 1)
        {
            LogSoftmaxRows(x, classes, max, logSum, logp, 0, l.Outer);
            return;
        }
        for (int o = 0; o < l.Outer; o++)
        {
            var m = max.Slice(o * inner, inner);
            var s = logSum.Slice(o * inner, inner);
            for (int c = 0; c < classes; c++)
            {
                int b = (o * classes + c) * inner;
                for (int i = 0; i < inner; i++) logp[b + i] = x[b + i] - m[i] - s[i];
            }
        }
    }

    /// <summary><see cref="LogSoftmax{T}"/> for rows [<paramref name="o0"/>, <paramref name="o1"/>) of classes on the last dim.</summary>
    private static void LogSoftmaxRows<T>(ReadOnlySpan<T> x, int classes, ReadOnlySpan<T> max, ReadOnlySpan<T> logSum, Span<T> logp, int o0, int o1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int lanes = Vector<T>.Count;
        for (int o = o0; o < o1; o++)
        {
            var row = logp.Slice(o * classes, classes);
            var xs = x.Slice(o * classes, classes);
            T m = max[o], s = logSum[o];
            if (!Vector.IsHardwareAccelerated || classes < lanes)
            {
                for (int c = 0; c < row.Length; c++) row[c] = xs[c] - m - s;
                continue;
            }
            // A vector at a time, the last one overlapping the one before (same values again).
            var mv = new Vector<T>(m);
            var sv = new Vector<T>(s);
            for (int c = 0; ; c += lanes)
            {
                if (c > classes - lanes) c = classes - lanes;
                (new Vector<T>(xs[c..]) - mv - sv).CopyTo(row[c..]);
                if (c == classes - lanes) break;
            }
        }
    }

    /// <summary>
    /// The weighted negative log-likelihood of the targets. <paramref name="max"/> empty: the input
    /// holds log-probabilities; else log p = (x - max) - logSum. With <paramref name="perPosition"/>
    /// non-empty: <c>perPosition[k] = -w[t_k] log p[t_k]</c> (0 where ignored). Otherwise the sum
    /// over non-ignored positions and Σ w[t_k], added like PyTorch's nll_loss: a cascade of partial
    /// sums (a new level every 16 positions), which keeps float32 sums of long batches accurate.
    /// </summary>
    public static (T Loss, T TotalWeight) Nll<T>(ReadOnlySpan<T> x, ClassLayout l, ReadOnlySpan<long> target, ReadOnlySpan<T> weight,
        long ignoreIndex, ReadOnlySpan<T> max, ReadOnlySpan<T> logSum, Span<T> perPosition)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool weighted = !weight.IsEmpty, fromLogits = !max.IsEmpty;
        int n = l.Positions;
        if (!perPosition.IsEmpty)
        {
            for (int k = 0; k < n; k++)
            {
                long t = target[k];
                if (t == ignoreIndex)
                {
                    perPosition[k] = T.Zero;
                    continue;
                }
                T v = fromLogits ? x[l.Index(k, t)] - max[k] - logSum[k] : x[l.Index(k, t)];
                perPosition[k] = weighted ? -v * weight[(int)t] : -v;
            }
            return (T.Zero, T.Zero);
        }

        const int levels = 8;
        int levelPower = Math.Max(4, CeilLog2(n) / levels);
        long levelMask = (1L << levelPower) - 1;
        Span<T> lossSums = stackalloc T[levels];
        Span<T> weightSums = stackalloc T[levels];
        lossSums.Clear();
        weightSums.Clear();
        int ignored = 0;
        // Level 0 lives in registers (loss0, weight0): its additions are the loop's critical path.
        T loss0 = T.Zero, weight0 = T.Zero;
        for (int k = 0; k < n; k++)
        {
            long t = target[k];
            if (t == ignoreIndex)
            {
                ignored++;
                continue;
            }
            T v = fromLogits ? x[l.Index(k, t)] - max[k] - logSum[k] : x[l.Index(k, t)];
            if (weighted)
            {
                T w = weight[(int)t];
                loss0 -= v * w;
                weight0 += w;
            }
            else
            {
                loss0 -= v;
            }
            if ((k & levelMask) != 0) continue;
            // Carry level 0 into level 1, then each full level into the next.
            weightSums[1] += weight0;
            lossSums[1] += loss0;
            weight0 = T.Zero;
            loss0 = T.Zero;
            for (int j = 1; j + 1 < levels; j++)
            {
                if ((k & (levelMask << (j * levelPower))) != 0) break;
                weightSums[j + 1] += weightSums[j];
                lossSums[j + 1] += lossSums[j];
                weightSums[j] = T.Zero;
                lossSums[j] = T.Zero;
            }
        }
        lossSums[0] = loss0;
        weightSums[0] = weight0;
        T loss = T.Zero, total = T.Zero;
        for (int j = 0; j < levels; j++)
        {
            loss += lossSums[j];
            total += weightSums[j];
        }
        return (loss, weighted ? total : T.CreateChecked(n - ignored));
    }

    internal static int CeilLog2(int x) => x <= 2 ? 1 : BitOperations.Log2((uint)(x - 1)) + 1;

    /// <summary>
    /// The elementwise products whose sums make the label-smoothing and probability terms:
    /// <c>d = (log p · q') · w[c]</c> with <c>q' = q · keep + spread</c> when <paramref name="smoothing"/>
    /// (each a separate rounding, as PyTorch's separate ops); a factor is left out when its span is empty.
    /// </summary>
    public static void Products<T>(ReadOnlySpan<T> x, ClassLayout l, ReadOnlySpan<T> q, ReadOnlySpan<T> weight, bool smoothing, T keep, T spread,
        ReadOnlySpan<T> max, ReadOnlySpan<T> logSum, Span<T> d)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int classes = l.Classes, inner = l.Inner;
        for (int o = 0; o < l.Outer; o++)
        {
            var m = max.Slice(o * inner, inner);
            var s = logSum.Slice(o * inner, inner);
            for (int c = 0; c < classes; c++)
            {
                int b = (o * classes + c) * inner;
                for (int i = 0; i < inner; i++)
                {
                    T term = x[b + i] - m[i] - s[i];
                    if (!q.IsEmpty) term *= smoothing ? q[b + i] * keep + spread : q[b + i];
                    if (!weight.IsEmpty) term *= weight[c];
                    d[b + i] = term;
                }
            }
        }
    }

    /// <summary>Per position, the sum over the classes of an input-shaped tensor, added as PyTorch's <c>sum(classDim)</c>.</summary>
    public static void SumOverClasses<T>(ReadOnlySpan<T> v, ClassLayout l, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int classes = l.Classes, inner = l.Inner;
        if (inner == 1)
        {
            for (int o = 0; o < l.Outer; o++) d[o] = TorchSum.Contiguous(v.Slice(o * classes, classes));
            return;
        }
        // Along a strided dim PyTorch sums blocks of 4 columns (4 vectors of columns once there are
        // a vector's worth) each as one cascade, and the remaining columns with row_sum.
        int lanes = typeof(T) == typeof(float) ? 8 : 4;
        int block = inner >= lanes ? 4 * lanes : 4;
        int cascaded = inner / block * block;
        for (int k = 0; k < l.Positions; k++)
        {
            int o = k / inner, i = k % inner, start = o * classes * inner + i;
            d[k] = i < cascaded ? TorchSum.Cascade(v, start, inner, classes) : TorchSum.Strided(v, start, inner, classes);
        }
    }

    /// <summary><c>d[i] = e^x[i]</c> as PyTorch's vectorised kernels compute it (see <see cref="VectorExp{T}"/>).</summary>
    public static void Exp<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float)) SleefFloat.Exp(MemoryMarshal.Cast<T, float>(x), MemoryMarshal.Cast<T, float>(d));
        else for (int i = 0; i < x.Length; i++) d[i] = T.Exp(x[i]);
    }

    /// <summary>
    /// e^x as PyTorch's AVX2 kernels compute it: Sleef's expf_u10 for float32 (reproduced bit for
    /// bit by <see cref="SleefFloat"/>), the C library's exp for float64 (Sleef's double version is
    /// within an ulp of it).
    /// </summary>
    private static T VectorExp<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float) ? T.CreateTruncating(SleefFloat.Exp(float.CreateTruncating(x))) : T.Exp(x);

    /// <summary>log x as PyTorch's AVX2 kernels compute it (Sleef's logf_u10 for float32).</summary>
    private static T VectorLog<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float) ? T.CreateTruncating(SleefFloat.Log(float.CreateTruncating(x))) : T.Log(x);

    /// <summary>
    /// The input gradient of cross entropy (CrossEntropyFunction.SoftmaxMinusOneHot) when every row
    /// has the same s, no weights and no ignored target (Float32): then a = s at each target (its row
    /// sum is s) and +0 elsewhere, so <c>d = +0 - p · s</c>, and <c>s - p · s</c> at the targets,
    /// in one pass a vector at a time (p = e^logp by Sleef's exp, whose vector and scalar forms agree
    /// bit for bit). False, with nothing written, in any other case.
    /// </summary>
    /// <remarks>
    /// <paramref name="s"/> is -g (divided by Σw for the mean), one value for all positions.
    /// Rows are independent: with at least <see cref="SleefRows.MinParallelElements"/> elements they
    /// are split over <see cref="Threading.NumThreads"/> threads, which changes no bit.
    /// </remarks>
    public static bool UniformRows<T>(ReadOnlySpan<long> target, int classes, ReadOnlySpan<T> s, ReadOnlySpan<T> weight, long ignoreIndex,
        ReadOnlySpan<T> logp, Span<T> d)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) != typeof(float) || s.Length != 1 || !weight.IsEmpty || s[0] == T.Zero || target.Contains(ignoreIndex)) return false;
        UniformRowsFloat(target, classes, float.CreateTruncating(s[0]), MemoryMarshal.Cast<T, float>(logp), MemoryMarshal.Cast<T, float>(d));
        return true;
    }

    /// <summary>
    /// Σ_c a of a row that is <paramref name="a"/> at class <paramref name="t"/> (none when
    /// t &lt; 0) and +0 elsewhere: a itself, unless a is a zero. Then the sign of the sum depends on
    /// the order, so the row is added up as the log-softmax backward adds it (<see cref="TorchSum.ReduceAll{T}"/>).
    /// </summary>
    /// <param name="a">The row's one entry.</param>
    /// <param name="t">Its class, or -1 for a row of zeros.</param>
    /// <param name="scratch">A row's worth of scratch.</param>
    public static T OneHotSum<T>(T a, long t, Span<T> scratch) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (t >= 0 && a != T.Zero) return a;
        scratch.Fill(T.Zero);
        if (t >= 0) scratch[(int)t] = a;
        return TorchSum.ReduceAll<T>(scratch);
    }

    /// <summary>
    /// <c>row[c] = +0 - row[c] · s</c>, a vector at a time: +0 where the product is +0 (PyTorch's
    /// gradient starts from zeros), where <c>-(row[c] · s)</c> would give -0.
    /// </summary>
    public static void ZeroMinusScaled<T>(Span<T> row, T s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int c = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var zv = Vector<T>.Zero;
            var sv = new Vector<T>(s);
            for (; c + Vector<T>.Count <= row.Length; c += Vector<T>.Count)
                (zv - new Vector<T>(row[c..]) * sv).CopyTo(row[c..]);
        }
        for (; c < row.Length; c++) row[c] = T.Zero - row[c] * s;
    }

    /// <summary><see cref="UniformRows{T}"/> on float spans.</summary>
    private static unsafe void UniformRowsFloat(ReadOnlySpan<long> target, int classes, float s, ReadOnlySpan<float> logp, Span<float> d)
    {
        int n = logp.Length;
        if (d.Length < n || (long)target.Length * classes != n) throw new ArgumentException("Spans of different lengths.");
        int rows = target.Length;
        fixed (long* pt = target)
        fixed (float* lp = logp)
        fixed (float* ds = d)
        {
            var job = new UniformRowRange(pt, classes, s, lp, ds);
            int threads = Threading.NumThreads;
            int parts = n < SleefRows.MinParallelElements ? 1 : Math.Min(rows, 2 * threads);
            if (parts <= 1) job.Run(0, rows);
            else ParallelKernels.ForParts(parts, threads, part => job.Run(RowSplit(rows, classes, part, parts), RowSplit(rows, classes, part + 1, parts)));
        }
    }

    /// <summary>The first row of part <paramref name="part"/> of <paramref name="parts"/>: rounded so that, when it can, the part starts on a whole vector of elements.</summary>
    private static int RowSplit(int rows, int classes, int part, int parts)
    {
        if (part >= parts) return rows;
        int r = (int)((long)rows * part / parts);
        int step = 8 >> BitOperations.TrailingZeroCount(classes | 8); // 8 / gcd(classes, 8) rows hold whole vectors
        return Math.Min(rows, r - r % step);
    }

    /// <summary>The loop of <see cref="UniformRowsFloat"/> over rows [r0, r1) (pointers valid while the caller's spans are pinned).</summary>
    private readonly unsafe struct UniformRowRange(long* target, int classes, float s, float* logp, float* d)
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int r0, int r1)
        {
            var sv = Vector256.Create(s);
            var zv = Vector256<float>.Zero; // +0 - p · s, not -(p · s): +0 where p · s is +0
            int k = r0; // the next row whose target is not yet written
            long nextTarget = k < r1 ? (long)k * classes + target[k] : long.MaxValue;
            int i = r0 * classes, end = r1 * classes;
            for (; i + 8 <= end; i += 8)
            {
                var p = SleefFloat.Exp(Vector256.Load(logp + i));
                (zv - p * sv).Store(d + i);
                while (nextTarget < i + 8)
                {
                    d[nextTarget] = s - p.GetElement((int)(nextTarget - i)) * s;
                    nextTarget = ++k < r1 ? (long)k * classes + target[k] : long.MaxValue;
                }
            }
            for (; i < end; i++)
            {
                float p = SleefFloat.Exp(logp[i]);
                d[i] = i == nextTarget ? s - p * s : 0f - p * s;
                if (i == nextTarget) nextTarget = ++k < r1 ? (long)k * classes + target[k] : long.MaxValue;
            }
        }
    }

    /// <summary>
    /// The constant behind the nll gradient: <c>w[t_k]</c> (1 without weights) at each target
    /// position of an input-shaped tensor, 0 elsewhere and on ignored positions.
    /// </summary>
    public static void ScatterTargetWeights<T>(ClassLayout l, ReadOnlySpan<long> target, ReadOnlySpan<T> weight, long ignoreIndex, Span<T> d)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        d.Clear();
        for (int k = 0; k < l.Positions; k++)
        {
            long t = target[k];
            if (t != ignoreIndex) d[l.Index(k, t)] = weight.IsEmpty ? T.One : weight[(int)t];
        }
    }
}
