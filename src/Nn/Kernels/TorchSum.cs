using System.Numerics;

namespace Autograd.Nn;

/// <summary>
/// The order in which PyTorch 1.13's CPU sum kernel (cascade_sum in ReduceOps/SumKernel.cpp) adds
/// float32 and float64 values, reproduced so that sums of many terms round as PyTorch's do.
/// </summary>
internal static class TorchSum
{
    /// <summary>
    /// Σ x over a contiguous run: with at least one SIMD vector (8 floats, 4 doubles), one partial
    /// sum per lane (each added like <see cref="Strided"/>), then the leftover tail in order, then
    /// the lanes in order; shorter runs as <see cref="Strided"/>.
    /// </summary>
    public static T Contiguous<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int lanes = typeof(T) == typeof(float) ? 8 : 4;
        if (x.Length < lanes) return Strided(x, 0, 1, x.Length);
        int vectors = x.Length / lanes;
        T s = T.Zero;
        for (int k = vectors * lanes; k < x.Length; k++) s += x[k];
        for (int j = 0; j < lanes; j++) s += Strided(x, j, lanes, vectors);
        return s;
    }

    /// <summary>
    /// Σ x[start + i·stride] for i &lt; count, as PyTorch's row_sum: four interleaved accumulators,
    /// each a cascade (see <see cref="Cascade"/>), the remainder added to the first, then combined in order.
    /// </summary>
    public static T Strided<T>(ReadOnlySpan<T> x, int start, int stride, int count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = count / 4;
        Span<T> p = stackalloc T[4];
        for (int k = 0; k < 4; k++) p[k] = Cascade(x, start + k * stride, 4 * stride, rows);
        for (int i = rows * 4; i < count; i++) p[0] += x[start + i * stride];
        return p[0] + p[1] + p[2] + p[3];
    }

    /// <summary>
    /// Σ x[start + i·stride] for i &lt; count as PyTorch's multi_row_sum adds one column: 4 levels of
    /// partial sums, a level carried up every 2^max(4, ⌈log2 count⌉ / 4) terms.
    /// </summary>
    public static T Cascade<T>(ReadOnlySpan<T> x, int start, int stride, int count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        const int levels = 4;
        int levelPower = Math.Max(4, ClassificationLossKernels.CeilLog2(count) / levels);
        int step = 1 << levelPower;
        long mask = step - 1;
        Span<T> acc = stackalloc T[levels];
        acc.Clear();
        int i = 0;
        while (i + step <= count)
        {
            for (int j = 0; j < step; j++, i++) acc[0] += x[start + i * stride];
            for (int j = 1; j < levels; j++)
            {
                acc[j] += acc[j - 1];
                acc[j - 1] = T.Zero;
                if ((i & (mask << (j * levelPower))) != 0) break;
            }
        }
        for (; i < count; i++) acc[0] += x[start + i * stride];
        return acc[0] + acc[1] + acc[2] + acc[3];
    }

    /// <summary>
    /// Σ x as PyTorch's vectorised <c>vec::reduce_all</c> adds a row (the sum in the log-softmax
    /// backward, over the classes on the last dim): one partial sum per lane of an AVX2 vector
    /// (8 floats, 4 doubles) starting from the first vector, the last partial vector's elements to
    /// the first lanes, then the lanes combined (a tree for float: j + (j+4), then (0+2) + (1+3);
    /// in lane order for double). Fewer elements than a vector: in order. A fixed order, so the
    /// same bits on every machine.
    /// </summary>
    public static T ReduceAll<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int lanes = typeof(T) == typeof(float) ? 8 : 4;
        if (x.Length < lanes)
        {
            T s = T.Zero;
            foreach (var v in x) s += v;
            return s;
        }
        Span<T> acc = stackalloc T[8];
        x[..lanes].CopyTo(acc);
        int d = lanes, full = x.Length - x.Length % lanes;
        for (; d < full; d += lanes)
            for (int j = 0; j < lanes; j++) acc[j] += x[d + j];
        for (int j = 0; d + j < x.Length; j++) acc[j] += x[d + j];
        if (lanes == 8)
        {
            for (int j = 0; j < 4; j++) acc[j] += acc[j + 4];
            return (acc[0] + acc[2]) + (acc[1] + acc[3]);
        }
        return acc[0] + acc[1] + acc[2] + acc[3];
    }

    /// <summary><c>d[k] = </c><see cref="ReduceAll{T}"/> of row k of <paramref name="a"/>, rows of <paramref name="columns"/> elements.</summary>
    public static void ReduceAllRows<T>(ReadOnlySpan<T> a, int columns, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int k = 0; k < d.Length; k++) d[k] = ReduceAll(a.Slice(k * columns, columns));
    }
}
