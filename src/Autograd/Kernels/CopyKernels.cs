namespace Autograd.Kernels;

/// <summary>Data movement: broadcast copies, permutations, slices, gather and scatter.</summary>
internal static class CopyKernels
{
    private readonly struct LeftOp<T> : IBinaryOp<T>
    {
        public static T Apply(T a, T b) => a;
        public static void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => a.CopyTo(d);
        public static void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => a.CopyTo(d);
        public static void Apply(T a, ReadOnlySpan<T> b, Span<T> d) => d.Fill(a);
    }

    /// <summary><c>dst[i] = (TTo)src[i]</c>: a float rounds to nearest, a float to Int64 truncates toward zero (saturating).</summary>
    public static void Convert<TFrom, TTo>(ReadOnlySpan<TFrom> src, Span<TTo> dst)
        where TFrom : unmanaged, System.Numerics.INumber<TFrom>
        where TTo : unmanaged, System.Numerics.INumber<TTo>
    {
        for (int i = 0; i < src.Length; i++) dst[i] = TTo.CreateTruncating(src[i]);
    }

    /// <summary>Copies <paramref name="src"/> broadcast to <paramref name="outShape"/>.</summary>
    public static void Broadcast<T>(T[] src, int[] srcShape, T[] dst, int[] outShape)
        // The right operand is never read by LeftOp; dst stands in for it.
        => BinaryKernels.Broadcast<T, LeftOp<T>>(src, srcShape, dst, outShape, dst, outShape);

    /// <summary>dst = src with dims <paramref name="d0"/> and <paramref name="d1"/> swapped.</summary>
    public static void Transpose<T>(T[] src, int[] shape, int d0, int d1, T[] dst)
    {
        if (d0 > d1) (d0, d1) = (d1, d0);
        // View as (a, n0, b, n1, c) -> (a, n1, b, n0, c).
        int a = 1, b = 1, c = 1;
        for (int i = 0; i < d0; i++) a *= shape[i];
        for (int i = d0 + 1; i < d1; i++) b *= shape[i];
        for (int i = d1 + 1; i < shape.Length; i++) c *= shape[i];
        int n0 = shape[d0], n1 = shape[d1];
        int o = 0;
        for (int ia = 0; ia < a; ia++)
            for (int i1 = 0; i1 < n1; i1++)
                for (int ib = 0; ib < b; ib++)
                    for (int i0 = 0; i0 < n0; i0++)
                    {
                        int s = (((ia * n0 + i0) * b + ib) * n1 + i1) * c;
                        Array.Copy(src, s, dst, o, c);
                        o += c;
                    }
    }

    /// <summary>Copies the slice [start, start + length) of dim (viewed as outer, size, inner) into dst, or back when <paramref name="scatter"/>.</summary>
    public static void Slice<T>(T[] full, int outer, int size, int inner, int start, int length, T[] part, bool scatter)
    {
        for (int o = 0; o < outer; o++)
        {
            int f = (o * size + start) * inner, p = o * length * inner;
            if (scatter) Array.Copy(part, p, full, f, length * inner);
            else Array.Copy(full, f, part, p, length * inner);
        }
    }

    /// <summary>
    /// Gather (dst[.., j, ..] = src[.., index[.., j, ..], ..]) or, when <paramref name="scatterAdd"/>,
    /// its adjoint (dst[.., index[.., j, ..], ..] += src[.., j, ..]). Index bounds are checked by the caller.
    /// </summary>
    public static void GatherScatter<T>(T[] big, int[] bigShape, long[] index, int[] indexShape, int dim, T[] small, bool scatterAdd)
        where T : System.Numerics.INumber<T>
    {
        int rank = indexShape.Length;
        var bigStrides = Shapes.Strides(bigShape);
        Span<int> pos = stackalloc int[rank];
        for (int i = 0; i < index.Length; i++)
        {
            int off = 0;
            for (int d = 0; d < rank; d++) off += (d == dim ? (int)index[i] : pos[d]) * bigStrides[d];
            if (scatterAdd) big[off] += small[i];
            else small[i] = big[off];
            for (int d = rank - 1; d >= 0; d--)
            {
                if (++pos[d] < indexShape[d]) break;
                pos[d] = 0;
            }
        }
    }

    /// <summary><c>mask[i] = x[i] != 0</c> (true for NaN), with x broadcast to <paramref name="shape"/>.</summary>
    public static void Nonzero<T>(T[] x, int[] xShape, bool[] mask, int[] shape) where T : System.Numerics.INumber<T>
    {
        int[]? offsets = xShape.AsSpan().SequenceEqual(shape) ? null : BinaryKernels.BroadcastOffsets(xShape, shape);
        for (int i = 0; i < mask.Length; i++) mask[i] = x[offsets is null ? i : offsets[i]] != T.Zero;
    }

    /// <summary>d[i] = mask[i] ? a[i] : b[i], with a and b broadcast to <paramref name="shape"/>.</summary>
    public static void Where<T>(bool[] mask, T[] a, int[] aShape, T[] b, int[] bShape, T[] d, int[] shape)
    {
        int[]? oa = a.Length == d.Length || a.Length == 1 ? null : BinaryKernels.BroadcastOffsets(aShape, shape);
        int[]? ob = b.Length == d.Length || b.Length == 1 ? null : BinaryKernels.BroadcastOffsets(bShape, shape);
        bool aScalar = a.Length == 1 && d.Length != 1, bScalar = b.Length == 1 && d.Length != 1;
        for (int i = 0; i < d.Length; i++)
        {
            d[i] = mask[i]
                ? a[aScalar ? 0 : oa is null ? i : oa[i]]
                : b[bScalar ? 0 : ob is null ? i : ob[i]];
        }
    }
}
