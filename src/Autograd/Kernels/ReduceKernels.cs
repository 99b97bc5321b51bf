using System.Numerics;
using System.Numerics.Tensors;

namespace Autograd.Kernels;

/// <summary>Reductions along one dim of a tensor viewed as (outer, size, inner).</summary>
internal static class ReduceKernels
{
    /// <summary><c>d[o, i] = sum_j x[o, j, i]</c>.</summary>
    public static void Sum<T>(ReadOnlySpan<T> x, int outer, int size, int inner, Span<T> d)
        where T : unmanaged, INumber<T>
    {
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++) d[o] = TensorPrimitives.Sum(x.Slice(o * size, size));
            return;
        }
        for (int o = 0; o < outer; o++)
            SumRowsPairwise(x.Slice(o * size * inner, size * inner), size, inner, d.Slice(o * inner, inner));
    }

    /// <summary>
    /// Sums <paramref name="rows"/> rows of length <paramref name="inner"/> by pairwise halving
    /// (rounding error grows with log(rows), not rows, like PyTorch's cascade sum), vectorised along the rows.
    /// </summary>
    private static void SumRowsPairwise<T>(ReadOnlySpan<T> x, int rows, int inner, Span<T> dst)
        where T : unmanaged, INumber<T>
    {
        const int Leaf = 8;
        if (rows <= Leaf)
        {
            dst.Clear();
            for (int j = 0; j < rows; j++) TensorPrimitives.Add(dst, x.Slice(j * inner, inner), dst);
            return;
        }
        int half = rows / 2;
        SumRowsPairwise(x, half, inner, dst);
        var tmp = System.Buffers.ArrayPool<T>.Shared.Rent(inner);
        var right = tmp.AsSpan(0, inner);
        SumRowsPairwise(x.Slice(half * inner), rows - half, inner, right);
        TensorPrimitives.Add(dst, right, dst);
        System.Buffers.ArrayPool<T>.Shared.Return(tmp);
    }

    /// <summary>Index of the largest (or smallest) element along the dim; NaN counts as the extreme, the first occurrence wins.</summary>
    public static void ArgExtreme<T>(ReadOnlySpan<T> x, int outer, int size, int inner, Span<long> d, bool max)
        where T : unmanaged, INumber<T>
    {
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int baseIndex = o * size * inner + i;
                T best = x[baseIndex];
                int bestJ = 0;
                for (int j = 1; j < size && !T.IsNaN(best); j++)
                {
                    T v = x[baseIndex + j * inner];
                    if (T.IsNaN(v) || (max ? v > best : v < best))
                    {
                        best = v;
                        bestJ = j;
                    }
                }
                d[o * inner + i] = bestJ;
            }
        }
    }
}

/// <summary>Softmax and log-softmax along one dim, max-subtracted so logits of ±1e4 stay finite.</summary>
internal static class SoftmaxKernels
{
    public static void Softmax<T>(ReadOnlySpan<T> x, int outer, int size, int inner, Span<T> d, bool log)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++) Row(x.Slice(o * size, size), d.Slice(o * size, size), log);
            return;
        }
        var row = new T[size];
        var outRow = new T[size];
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int baseIndex = o * size * inner + i;
                for (int j = 0; j < size; j++) row[j] = x[baseIndex + j * inner];
                Row(row, outRow, log);
                for (int j = 0; j < size; j++) d[baseIndex + j * inner] = outRow[j];
            }
        }
    }

    private static void Row<T>(ReadOnlySpan<T> x, Span<T> d, bool log) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Length == 0) return;
        T max = TensorPrimitives.Max(x);
        if (T.IsInfinity(max)) max = T.Zero; // all -inf (or +inf present): keep PyTorch's NaN/0 pattern without inf - inf
        TensorPrimitives.Subtract(x, max, d);
        if (log)
        {
            // log_softmax = (x - max) - log(sum(exp(x - max)))
            T sum = T.Zero;
            foreach (var v in d) sum += T.Exp(v);
            TensorPrimitives.Subtract(d, T.Log(sum), d);
        }
        else
        {
            TensorPrimitives.Exp(d, d);
            T sum = TensorPrimitives.Sum(d);
            TensorPrimitives.Divide(d, sum, d);
        }
    }
}
