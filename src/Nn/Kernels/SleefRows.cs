using System.Runtime.CompilerServices;
using Autograd.Kernels;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Autograd.Nn;

/// <summary>
/// The row loops of cross entropy's forward on Sleef's float32 exp and log (<see cref="SleefFloat"/>),
/// in the orders PyTorch's AVX2 log-softmax kernels add.
/// </summary>
internal static class SleefRows
{
    /// <summary><c>s[i] += e^(x[i] - m[i])</c>, 8 at a time (lengths a multiple of 8).</summary>
    public static void AddExp(ReadOnlySpan<float> x, ReadOnlySpan<float> m, Span<float> s)
    {
        for (int i = 0; i < x.Length; i += 8)
            (Vector256.Create(s.Slice(i, 8)) + SleefFloat.Exp(Vector256.Create(x.Slice(i, 8)) - Vector256.Create(m.Slice(i, 8)))).CopyTo(s.Slice(i, 8));
    }

    /// <summary>
    /// Σ e^(x - max) over a row of at least 8, as PyTorch's AVX2 map_reduce_all: a vector of 8 lane
    /// sums, the tail added into the first lanes, then the lanes combined as a tree (its
    /// vec_reduce_all for float: halves, then pairs).
    /// </summary>
    public static float LaneSumExp(ReadOnlySpan<float> row, float max)
    {
        var m = Vector256.Create(max);
        ref float r = ref MemoryMarshal.GetReference(row);
        var acc = SleefFloat.Exp(Vector256.LoadUnsafe(ref r) - m);
        int d = 8, full = row.Length - row.Length % 8;
        for (; d < full; d += 8) acc += SleefFloat.Exp(Vector256.LoadUnsafe(ref r, (nuint)d) - m);
        int tail = row.Length - full;
        if (tail > 0)
        {
            // The tail's exponentials, one per lane from lane 0 (the vector Exp gives the scalar
            // one's bits), added to those lanes only: the other lanes get +0, which changes no sum
            // of exponentials.
            Span<float> rest = stackalloc float[8];
            rest.Fill(max);
            row[full..].CopyTo(rest);
            var inTail = Vector256.LessThan(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create(tail));
            acc += Vector256.ConditionalSelect(inTail.AsSingle(), SleefFloat.Exp(Vector256.Create((ReadOnlySpan<float>)rest) - m), Vector256<float>.Zero);
        }
        // vec_reduce_all: the upper half onto the lower, then (l0 + l2) + (l1 + l3).
        var half = acc.GetLower() + acc.GetUpper();
        return (half.GetElement(0) + half.GetElement(2)) + (half.GetElement(1) + half.GetElement(3));
    }

    /// <summary>Below this many elements (rows × classes) the row loop runs on the calling thread.</summary>
    public const int MinParallelElements = 8 * 1024;

    /// <summary>
    /// Per row of a (rows, classes) matrix, 8 rows at a time (one row per lane): the max and the
    /// log of <see cref="LaneSumExp"/> (or, for fewer than 8 classes, of the in-order sum), the
    /// same operations per row as the row-at-a-time code; and, when <paramref name="logp"/> is not
    /// empty, the log-probabilities <c>(x - max) - logSum</c> of those rows, as
    /// <c>ClassificationLossKernels.LogSoftmax</c> computes them. Returns the number of rows done (a
    /// multiple of 8); the caller does the rest.
    /// </summary>
    /// <remarks>
    /// The columns of 8 rows are transposed into vectors with 8×8 in-register transposes (with 8
    /// or more classes; the last block of columns overlaps the one before), or gathered. With at
    /// least <see cref="MinParallelElements"/> elements the 8-row blocks are split over
    /// <see cref="Threading.NumThreads"/> threads: rows are independent, so no bit depends on the split.
    /// </remarks>
    public static unsafe int LogSumExpRows(ReadOnlySpan<float> x, int rows, int classes, Span<float> max, Span<float> logSum, Span<float> logp)
    {
        if (!Avx2.IsSupported || classes == 0 || classes > 64 || (long)rows * classes > int.MaxValue || x.Length < rows * classes) return 0;
        int done = rows - rows % 8;
        if (max.Length < done || logSum.Length < done || (!logp.IsEmpty && logp.Length < done * classes))
            throw new ArgumentException("Output spans shorter than the rows.");
        fixed (float* px = x)
        fixed (float* pm = max)
        fixed (float* ps = logSum)
        fixed (float* pl = logp)
        {
            var job = new RowBlocks(px, classes, pm, ps, logp.IsEmpty ? null : pl);
            int blocks = done / 8;
            int threads = Threading.NumThreads;
            int parts = (long)done * classes < MinParallelElements ? 1 : Math.Min(blocks, 2 * threads);
            if (parts <= 1) job.Run(0, blocks);
            else ParallelKernels.ForParts(parts, threads, part => job.Run(blocks * part / parts, blocks * (part + 1) / parts));
        }
        return done;
    }

    /// <summary>The row loop of <see cref="LogSumExpRows"/> over a range of 8-row blocks (pointers valid while the caller's spans are pinned).</summary>
    private readonly unsafe struct RowBlocks(float* x, int classes, float* max, float* logSum, float* logp)
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int block0, int block1)
        {
            var rowStart = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) * Vector256.Create(classes);
            Span<Vector256<float>> column = stackalloc Vector256<float>[classes]; // column c of the 8 rows
            Span<Vector256<float>> lane = stackalloc Vector256<float>[8];
            // For the log-probabilities: the row (0-7) of each element of vector v of an 8-row block.
            Span<Vector256<int>> rowOf = stackalloc Vector256<int>[logp == null ? 0 : classes];
            for (int v = 0; v < rowOf.Length; v++)
                rowOf[v] = (Vector256.Create(8 * v) + Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7)) / Vector256.Create(classes);
            ref var col = ref MemoryMarshal.GetReference(column);
            ref var ln = ref MemoryMarshal.GetReference(lane);
            for (int r = block0 * 8; r < block1 * 8; r += 8)
            {
                float* b = x + (long)r * classes;
                Vector256<float> m;
                if (classes >= 8)
                {
                    for (int c0 = 0; ; c0 += 8)
                    {
                        if (c0 > classes - 8) c0 = classes - 8; // the last block overlaps the one before
                        Transpose8(b + c0, classes, ref Unsafe.Add(ref col, c0));
                        if (c0 == classes - 8) break;
                    }
                    m = col;
                    for (int c = 1; c < classes; c++) m = Vector256.Max(m, Unsafe.Add(ref col, c));
                }
                else
                {
                    m = Avx2.GatherVector256(b, rowStart, 4);
                    col = m;
                    for (int c = 1; c < classes; c++)
                    {
                        var v = Avx2.GatherVector256(b + c, rowStart, 4);
                        Unsafe.Add(ref col, c) = v;
                        m = Vector256.Max(m, v);
                    }
                }
                Vector256<float> sum;
                if (classes < 8)
                {
                    sum = Vector256<float>.Zero;
                    for (int c = 0; c < classes; c++) sum += SleefFloat.Exp(Unsafe.Add(ref col, c) - m);
                }
                else
                {
                    // Lane j of LaneSumExp's accumulator, for 8 rows: Σ over the blocks of column
                    // 8·block + j, then the tail's column full + j; then vec_reduce_all's tree.
                    for (int j = 0; j < 8; j++) Unsafe.Add(ref ln, j) = SleefFloat.Exp(Unsafe.Add(ref col, j) - m);
                    for (int c = 8; c < classes; c++) Unsafe.Add(ref ln, c & 7) += SleefFloat.Exp(Unsafe.Add(ref col, c) - m);
                    sum = ((ln + Unsafe.Add(ref ln, 4)) + (Unsafe.Add(ref ln, 2) + Unsafe.Add(ref ln, 6)))
                        + ((Unsafe.Add(ref ln, 1) + Unsafe.Add(ref ln, 5)) + (Unsafe.Add(ref ln, 3) + Unsafe.Add(ref ln, 7)));
                }
                var s = SleefFloat.Log(sum);
                m.Store(max + r);
                s.Store(logSum + r);
                if (logp != null)
                {
                    // (x - max) - logSum over the block's 8·classes contiguous elements, max and
                    // logSum permuted to each element's row.
                    float* o = logp + (long)r * classes;
                    for (int v = 0; v < classes; v++)
                    {
                        var row = rowOf[v];
                        ((Vector256.Load(b + 8 * v) - Avx2.PermuteVar8x32(m, row)) - Avx2.PermuteVar8x32(s, row)).Store(o + 8 * v);
                    }
                }
            }
        }

        /// <summary>Columns c..c+7 of 8 rows (row i at <c>src + i·stride</c>) as 8 vectors, one per column, lane i = row i.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Transpose8(float* src, int stride, ref Vector256<float> dst)
        {
            Autograd.Kernels.Transpose8x8.Load(src, stride, out dst, out Unsafe.Add(ref dst, 1), out Unsafe.Add(ref dst, 2), out Unsafe.Add(ref dst, 3),
                out Unsafe.Add(ref dst, 4), out Unsafe.Add(ref dst, 5), out Unsafe.Add(ref dst, 6), out Unsafe.Add(ref dst, 7));
        }
    }
}
