using System.Runtime.CompilerServices;
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

    /// <summary>
    /// Per row of a (rows, classes) matrix, 8 rows at a time (one row per lane, columns gathered):
    /// the max and the log of <see cref="LaneSumExp"/> (or, for fewer than 8 classes, of the
    /// in-order sum), the same operations per row as the row-at-a-time code. Returns the number of
    /// rows done (a multiple of 8); the caller does the rest.
    /// </summary>
    public static unsafe int LogSumExpRows(ReadOnlySpan<float> x, int rows, int classes, Span<float> max, Span<float> logSum)
    {
        if (!Avx2.IsSupported || classes == 0 || classes > 64 || (long)rows * classes > int.MaxValue || x.Length < rows * classes) return 0;
        int done = rows - rows % 8;
        var rowStart = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) * Vector256.Create(classes);
        Span<Vector256<float>> column = stackalloc Vector256<float>[classes]; // column c of the 8 rows
        Span<Vector256<float>> lane = stackalloc Vector256<float>[8];
        fixed (float* px = x)
        fixed (float* pm = max)
        fixed (float* ps = logSum)
        {
            ref var col = ref MemoryMarshal.GetReference(column);
            ref var ln = ref MemoryMarshal.GetReference(lane);
            for (int r = 0; r < done; r += 8)
            {
                float* b = px + (long)r * classes;
                var m = Avx2.GatherVector256(b, rowStart, 4);
                col = m;
                for (int c = 1; c < classes; c++)
                {
                    var v = Avx2.GatherVector256(b + c, rowStart, 4);
                    Unsafe.Add(ref col, c) = v;
                    m = Vector256.Max(m, v);
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
                m.Store(pm + r);
                SleefFloat.Log(sum).Store(ps + r);
            }
        }
        return done;
    }
}
