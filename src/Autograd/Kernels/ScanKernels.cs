using System.Numerics;

namespace Autograd.Kernels;

/// <summary>Running sums along one dim of a tensor viewed as (outer, size, inner).</summary>
internal static class ScanKernels
{
    /// <summary>
    /// <c>d[o, j, i] = Σ_{k ≤ j} x[o, k, i]</c> (or <c>Σ_{k ≥ j}</c> when <paramref name="reverse"/>),
    /// added in order of k. Floating point sums run in double and each output is rounded once, as
    /// PyTorch's CPU cumsum (its accumulate type for float is double); Int64 sums are exact.
    /// </summary>
    public static void CumSum<T>(ReadOnlySpan<T> x, int outer, int size, int inner, Span<T> d, bool reverse)
        where T : unmanaged, INumber<T>
    {
        bool exact = typeof(T) == typeof(long);
        var accD = new double[inner];
        var accL = new T[inner];
        for (int o = 0; o < outer; o++)
        {
            Array.Clear(accD);
            Array.Clear(accL);
            for (int step = 0; step < size; step++)
            {
                int j = reverse ? size - 1 - step : step;
                int b = (o * size + j) * inner;
                for (int i = 0; i < inner; i++)
                {
                    if (exact)
                    {
                        accL[i] += x[b + i];
                        d[b + i] = accL[i];
                    }
                    else
                    {
                        accD[i] += double.CreateTruncating(x[b + i]);
                        d[b + i] = T.CreateTruncating(accD[i]);
                    }
                }
            }
        }
    }
}

/// <summary>Products along one dim of a tensor viewed as (outer, size, inner).</summary>
internal static class ProductKernels
{
    /// <summary><c>d[o, i] = Π_j x[o, j, i]</c>, multiplied in order of j in the element type, starting from 1.</summary>
    public static void Prod<T>(ReadOnlySpan<T> x, int outer, int size, int inner, Span<T> d) where T : unmanaged, INumber<T>
    {
        for (int o = 0; o < outer; o++)
        {
            var row = d.Slice(o * inner, inner);
            row.Fill(T.One);
            for (int j = 0; j < size; j++)
            {
                var src = x.Slice((o * size + j) * inner, inner);
                for (int i = 0; i < inner; i++) row[i] *= src[i];
            }
        }
    }
}
