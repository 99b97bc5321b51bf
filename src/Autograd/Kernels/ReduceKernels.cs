using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
            for (int o = 0; o < outer; o++) d[o] = SumAll(x.Slice(o * size, size));
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

    /// <summary>
    /// <c>d[c] = Σ_r x[r, c]</c> over the rows of a (rows, cols) matrix, each column added in row
    /// order in double and rounded once to the element type (the bias gradient of a linear layer).
    /// Vectorised across columns, so each column's order of additions is the sequential one.
    /// </summary>
    public static void SumRowsInDouble<T>(ReadOnlySpan<T> x, int cols, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (cols == 0) return;
        var rented = System.Buffers.ArrayPool<double>.Shared.Rent(cols);
        var acc = rented.AsSpan(0, cols);
        acc.Clear();
        if (typeof(T) == typeof(float)) AddRows(MemoryMarshal.Cast<T, float>(x), acc);
        else AddRows(MemoryMarshal.Cast<T, double>(x), acc);
        for (int c = 0; c < cols; c++) d[c] = T.CreateTruncating(acc[c]);
        System.Buffers.ArrayPool<double>.Shared.Return(rented);
    }

    private static unsafe void AddRows(ReadOnlySpan<float> x, Span<double> acc)
    {
        int cols = acc.Length;
        if (Avx.IsSupported)
        {
            fixed (float* px = x)
            fixed (double* pa = acc)
            {
                for (int c0 = 0; c0 < cols; c0 += ColumnBlock) AddColumnBlock(px + c0, cols, x.Length / cols, Math.Min(ColumnBlock, cols - c0), pa + c0);
            }
            return;
        }
        ref double a = ref MemoryMarshal.GetReference(acc);
        for (int r = 0; r + cols <= x.Length; r += cols)
        {
            ref float row = ref Unsafe.Add(ref MemoryMarshal.GetReference(x), r);
            int c = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                for (; c + 8 <= cols; c += 8)
                {
                    var v = Vector256.LoadUnsafe(ref row, (nuint)c);
                    (Vector256.LoadUnsafe(ref a, (nuint)c) + Vector256.WidenLower(v)).StoreUnsafe(ref a, (nuint)c);
                    (Vector256.LoadUnsafe(ref a, (nuint)c + 4) + Vector256.WidenUpper(v)).StoreUnsafe(ref a, (nuint)c + 4);
                }
            }
            for (; c < cols; c++) Unsafe.Add(ref a, c) += Unsafe.Add(ref row, c);
        }
    }

    private static unsafe void AddRows(ReadOnlySpan<double> x, Span<double> acc)
    {
        int cols = acc.Length;
        if (Avx.IsSupported)
        {
            fixed (double* px = x)
            fixed (double* pa = acc)
            {
                for (int c0 = 0; c0 < cols; c0 += ColumnBlock) AddColumnBlock(px + c0, cols, x.Length / cols, Math.Min(ColumnBlock, cols - c0), pa + c0);
            }
            return;
        }
        ref double a = ref MemoryMarshal.GetReference(acc);
        for (int r = 0; r + cols <= x.Length; r += cols)
        {
            ref double row = ref Unsafe.Add(ref MemoryMarshal.GetReference(x), r);
            int c = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                for (; c + 4 <= cols; c += 4)
                    (Vector256.LoadUnsafe(ref a, (nuint)c) + Vector256.LoadUnsafe(ref row, (nuint)c)).StoreUnsafe(ref a, (nuint)c);
            }
            for (; c < cols; c++) Unsafe.Add(ref a, c) += Unsafe.Add(ref row, c);
        }
    }

    /// <summary>Columns per register block of <see cref="AddColumnBlock(float*, int, int, int, double*)"/>: four vectors of doubles.</summary>
    private const int ColumnBlock = 16;

    /// <summary>
    /// <c>acc[c] += x[r·stride + c]</c> for c &lt; <paramref name="width"/> ≤ 16, r = 0, 1, ... in
    /// order, in double: the same additions as the row loop, with the 16 sums in four registers
    /// instead of memory (a memory round trip per row and column was the loop's critical path).
    /// Columns past <paramref name="width"/> are never read (masked loads) nor written.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void AddColumnBlock(float* x, int stride, int rows, int width, double* acc)
    {
        var lanes = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
        var mask0 = Vector256.LessThan(lanes, Vector256.Create(width)).AsSingle();
        var mask1 = Vector256.LessThan(lanes, Vector256.Create(width - 8)).AsSingle();
        double* sums = stackalloc double[ColumnBlock];
        for (int c = 0; c < ColumnBlock; c++) sums[c] = c < width ? acc[c] : 0;
        Vector256<double> a0 = Vector256.Load(sums), a1 = Vector256.Load(sums + 4), a2 = Vector256.Load(sums + 8), a3 = Vector256.Load(sums + 12);
        if (width > 8)
        {
            for (int r = 0; r < rows; r++, x += stride)
            {
                var v0 = Vector256.Load(x);
                var v1 = Avx.MaskLoad(x + 8, mask1);
                a0 += Vector256.WidenLower(v0);
                a1 += Vector256.WidenUpper(v0);
                a2 += Vector256.WidenLower(v1);
                a3 += Vector256.WidenUpper(v1);
            }
        }
        else
        {
            for (int r = 0; r < rows; r++, x += stride)
            {
                var v0 = Avx.MaskLoad(x, mask0);
                a0 += Vector256.WidenLower(v0);
                a1 += Vector256.WidenUpper(v0);
            }
        }
        a0.Store(sums);
        a1.Store(sums + 4);
        a2.Store(sums + 8);
        a3.Store(sums + 12);
        for (int c = 0; c < width; c++) acc[c] = sums[c];
    }

    /// <inheritdoc cref="AddColumnBlock(float*, int, int, int, double*)"/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void AddColumnBlock(double* x, int stride, int rows, int width, double* acc)
    {
        var lanes = Vector256.Create(0L, 1, 2, 3);
        var mask1 = Vector256.LessThan(lanes, Vector256.Create((long)width - 4)).AsDouble();
        var mask2 = Vector256.LessThan(lanes, Vector256.Create((long)width - 8)).AsDouble();
        var mask3 = Vector256.LessThan(lanes, Vector256.Create((long)width - 12)).AsDouble();
        var mask0 = Vector256.LessThan(lanes, Vector256.Create((long)width)).AsDouble();
        double* sums = stackalloc double[ColumnBlock];
        for (int c = 0; c < ColumnBlock; c++) sums[c] = c < width ? acc[c] : 0;
        Vector256<double> a0 = Vector256.Load(sums), a1 = Vector256.Load(sums + 4), a2 = Vector256.Load(sums + 8), a3 = Vector256.Load(sums + 12);
        for (int r = 0; r < rows; r++, x += stride)
        {
            a0 += Avx.MaskLoad(x, mask0);
            a1 += Avx.MaskLoad(x + 4, mask1);
            a2 += Avx.MaskLoad(x + 8, mask2);
            a3 += Avx.MaskLoad(x + 12, mask3);
        }
        a0.Store(sums);
        a1.Store(sums + 4);
        a2.Store(sums + 8);
        a3.Store(sums + 12);
        for (int c = 0; c < width; c++) acc[c] = sums[c];
    }

    /// <summary>
    /// The sum of a span, in the fixed order of <see cref="FixedOrderSum"/> (accumulated in double,
    /// rounded once): the same bits on every machine.
    /// </summary>
    public static T SumAll<T>(ReadOnlySpan<T> x) where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(float)) return T.CreateTruncating((float)FixedOrderSum.Sum(MemoryMarshal.Cast<T, float>(x)));
        if (typeof(T) == typeof(double)) return T.CreateTruncating(FixedOrderSum.Sum(MemoryMarshal.Cast<T, double>(x)));
        T s = T.Zero; // Int64: exact in any order
        foreach (var v in x) s += v;
        return s;
    }

    /// <summary>
    /// <c>mask[i] = 1</c> where <c>x[i]</c> equals <paramref name="value"/> (rounded to T), or is NaN
    /// when <paramref name="value"/> is NaN; else 0.
    /// </summary>
    public static void TieMask<T>(ReadOnlySpan<T> x, double value, Span<long> mask) where T : unmanaged, INumber<T>
    {
        bool nan = double.IsNaN(value);
        T v = nan ? T.Zero : T.CreateTruncating(value);
        for (int i = 0; i < x.Length; i++) mask[i] = (nan ? T.IsNaN(x[i]) : x[i] == v) ? 1 : 0;
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
        T max = TensorPrimitives.Max(x); // the same in any order
        if (T.IsInfinity(max)) max = T.Zero; // all -inf (or +inf present): keep PyTorch's NaN/0 pattern without inf - inf
        TensorPrimitives.Subtract(x, max, d);
        if (log)
        {
            // log_softmax = (x - max) - log(sum(exp(x - max)))
            var rented = System.Buffers.ArrayPool<T>.Shared.Rent(d.Length);
            var e = rented.AsSpan(0, d.Length);
            SleefSpan.Exp<T>(d, e);
            T sum = ReduceKernels.SumAll<T>(e);
            System.Buffers.ArrayPool<T>.Shared.Return(rented);
            TensorPrimitives.Subtract(d, SleefSpan.Log(sum), d);
        }
        else
        {
            // Sleef's exp, as PyTorch's vectorised softmax; bit-reproducible on every machine.
            SleefSpan.Exp<T>(d, d);
            T sum = ReduceKernels.SumAll<T>(d);
            TensorPrimitives.Divide(d, sum, d);
        }
    }
}
