using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Autograd.Kernels;

/// <summary>An elementwise binary operation, in scalar and span form (the span forms call TensorPrimitives).</summary>
internal interface IBinaryOp<T>
{
    static abstract T Apply(T a, T b);
    static abstract void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d);
    static abstract void Apply(ReadOnlySpan<T> a, T b, Span<T> d);
    static abstract void Apply(T a, ReadOnlySpan<T> b, Span<T> d);
}

internal readonly struct AddOp<T> : IBinaryOp<T> where T : unmanaged, INumber<T>
{
    public static T Apply(T a, T b) => a + b;
    public static void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => TensorPrimitives.Add(a, b, d);
    public static void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => TensorPrimitives.Add(a, b, d);
    public static void Apply(T a, ReadOnlySpan<T> b, Span<T> d) => TensorPrimitives.Add(b, a, d);
}

internal readonly struct SubOp<T> : IBinaryOp<T> where T : unmanaged, INumber<T>
{
    public static T Apply(T a, T b) => a - b;
    public static void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => TensorPrimitives.Subtract(a, b, d);
    public static void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => TensorPrimitives.Subtract(a, b, d);
    public static void Apply(T a, ReadOnlySpan<T> b, Span<T> d) => TensorPrimitives.Subtract(a, b, d);
}

internal readonly struct MulOp<T> : IBinaryOp<T> where T : unmanaged, INumber<T>
{
    public static T Apply(T a, T b) => a * b;
    public static void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => TensorPrimitives.Multiply(a, b, d);
    public static void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => TensorPrimitives.Multiply(a, b, d);
    public static void Apply(T a, ReadOnlySpan<T> b, Span<T> d) => TensorPrimitives.Multiply(b, a, d);
}

internal readonly struct DivOp<T> : IBinaryOp<T> where T : unmanaged, INumber<T>
{
    public static T Apply(T a, T b) => a / b;
    public static void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => TensorPrimitives.Divide(a, b, d);
    public static void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => TensorPrimitives.Divide(a, b, d);
    public static void Apply(T a, ReadOnlySpan<T> b, Span<T> d) => TensorPrimitives.Divide(a, b, d);
}

/// <summary>Comparisons produce 1 where true and 0 where false.</summary>
internal readonly struct CompareOp<T, TCmp> : IBinaryOp<T> where T : unmanaged, INumber<T> where TCmp : struct, IComparison<T>
{
    public static T Apply(T a, T b) => TCmp.Test(a, b) ? T.One : T.Zero;
    public static void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d)
    {
        for (int i = 0; i < d.Length; i++) d[i] = TCmp.Test(a[i], b[i]) ? T.One : T.Zero;
    }
    public static void Apply(ReadOnlySpan<T> a, T b, Span<T> d)
    {
        for (int i = 0; i < d.Length; i++) d[i] = TCmp.Test(a[i], b) ? T.One : T.Zero;
    }
    public static void Apply(T a, ReadOnlySpan<T> b, Span<T> d)
    {
        for (int i = 0; i < d.Length; i++) d[i] = TCmp.Test(a, b[i]) ? T.One : T.Zero;
    }
}

internal interface IComparison<T> { static abstract bool Test(T a, T b); }
internal readonly struct EqCmp<T> : IComparison<T> where T : INumber<T> { public static bool Test(T a, T b) => a == b; }
internal readonly struct NeCmp<T> : IComparison<T> where T : INumber<T> { public static bool Test(T a, T b) => a != b; }
internal readonly struct GtCmp<T> : IComparison<T> where T : INumber<T> { public static bool Test(T a, T b) => a > b; }
internal readonly struct GeCmp<T> : IComparison<T> where T : INumber<T> { public static bool Test(T a, T b) => a >= b; }
internal readonly struct LtCmp<T> : IComparison<T> where T : INumber<T> { public static bool Test(T a, T b) => a < b; }
internal readonly struct LeCmp<T> : IComparison<T> where T : INumber<T> { public static bool Test(T a, T b) => a <= b; }

/// <summary>Broadcasting driver: reduces any broadcast to rows handled by the span forms of an op.</summary>
internal static class BinaryKernels
{
    /// <summary>
    /// <c>d[i] = op(a[ia], b[ib])</c> over <paramref name="outShape"/>, with a and b broadcast to it.
    /// </summary>
    public static void Broadcast<T, TOp>(ReadOnlySpan<T> a, int[] aShape, ReadOnlySpan<T> b, int[] bShape, Span<T> d, int[] outShape)
        where TOp : IBinaryOp<T>
    {
        if (d.Length == 0) return;
        if (a.Length == d.Length && b.Length == d.Length) { TOp.Apply(a, b, d); return; }
        if (b.Length == 1 && a.Length == d.Length) { TOp.Apply(a, b[0], d); return; }
        if (a.Length == 1 && b.Length == d.Length) { TOp.Apply(a[0], b, d); return; }

        var (shape, sa, sb) = Coalesce(outShape, Shapes.BroadcastStrides(aShape, outShape), Shapes.BroadcastStrides(bShape, outShape));
        int rank = shape.Length;
        int n = shape[rank - 1];
        int rows = d.Length / n;
        int ia = 0, ib = 0;
        Span<int> index = stackalloc int[rank];
        for (int r = 0; r < rows; r++)
        {
            var dst = d.Slice(r * n, n);
            int la = sa[rank - 1], lb = sb[rank - 1];
            if (la == 1 && lb == 1) TOp.Apply(a.Slice(ia, n), b.Slice(ib, n), dst);
            else if (la == 1) TOp.Apply(a.Slice(ia, n), b[ib], dst);
            else if (lb == 1) TOp.Apply(a[ia], b.Slice(ib, n), dst);
            else dst.Fill(TOp.Apply(a[ia], b[ib]));
            // Advance the row index (all dims but the last) like an odometer.
            for (int dim = rank - 2; dim >= 0; dim--)
            {
                ia += sa[dim];
                ib += sb[dim];
                if (++index[dim] < shape[dim]) break;
                ia -= sa[dim] * shape[dim];
                ib -= sb[dim] * shape[dim];
                index[dim] = 0;
            }
        }
    }

    /// <summary>
    /// <c>y[r, c] += v[c]</c> for a row-major matrix y with <c>v.Length</c> columns (a bias added
    /// to every row), a vector at a time along each row.
    /// </summary>
    /// <remarks>
    /// Float32 and Float64 rows narrower than two vectors go flat instead: a vector at a time over
    /// the whole matrix, adding a precomputed repetition of <paramref name="v"/> (its period is
    /// lcm(cols, vector length) elements), so that 10 columns do not take one vector and two scalar
    /// adds per row. Each element gets the same single addition either way.
    /// </remarks>
    public static void AddToRows<T>(Span<T> y, ReadOnlySpan<T> v) where T : unmanaged, INumber<T>
    {
        int cols = v.Length;
        if (cols == 0) return;
        if (Vector256.IsHardwareAccelerated && cols < 2 * Vector256<T>.Count && y.Length >= 4 * cols)
        {
            if (typeof(T) == typeof(float))
            {
                AddToRowsFlat(MemoryMarshal.Cast<T, float>(y), MemoryMarshal.Cast<T, float>(v));
                return;
            }
            if (typeof(T) == typeof(double))
            {
                AddToRowsFlat(MemoryMarshal.Cast<T, double>(y), MemoryMarshal.Cast<T, double>(v));
                return;
            }
        }
        ref T vs = ref MemoryMarshal.GetReference(v);
        for (int r = 0; r + cols <= y.Length; r += cols)
        {
            ref T row = ref Unsafe.Add(ref MemoryMarshal.GetReference(y), r);
            int c = 0;
            if (Vector.IsHardwareAccelerated)
            {
                for (; c + Vector<T>.Count <= cols; c += Vector<T>.Count)
                    (Vector.LoadUnsafe(ref row, (nuint)c) + Vector.LoadUnsafe(ref vs, (nuint)c)).StoreUnsafe(ref row, (nuint)c);
            }
            for (; c < cols; c++) Unsafe.Add(ref row, c) += Unsafe.Add(ref vs, c);
        }
    }

    /// <summary>
    /// <see cref="AddToRows{T}"/> over the flat array: <c>y[i] += v[i % cols]</c> for the whole rows
    /// of y, a vector at a time against a repetition of v one period long.
    /// </summary>
    private static void AddToRowsFlat<T>(Span<T> y, ReadOnlySpan<T> v) where T : unmanaged, INumber<T>
    {
        int cols = v.Length, w = Vector256<T>.Count;
        int period = cols / Gcd(cols, w) * w; // lcm(cols, w): a whole number of vectors and of rows
        Span<T> pattern = stackalloc T[period];
        for (int i = 0; i < period; i++) pattern[i] = v[i % cols];
        int n = y.Length / cols * cols;
        ref T ys = ref MemoryMarshal.GetReference(y);
        ref T ps = ref MemoryMarshal.GetReference(pattern);
        int i0 = 0, offset = 0;
        for (; i0 + w <= n; i0 += w)
        {
            (Vector256.LoadUnsafe(ref ys, (nuint)i0) + Vector256.LoadUnsafe(ref ps, (nuint)offset)).StoreUnsafe(ref ys, (nuint)i0);
            offset += w;
            if (offset == period) offset = 0;
        }
        for (; i0 < n; i0++) Unsafe.Add(ref ys, i0) += v[i0 % cols];
    }

    private static int Gcd(int a, int b)
    {
        while (b != 0) (a, b) = (b, a % b);
        return a;
    }

    /// <summary>Merges adjacent dims that both operands traverse contiguously, so most broadcasts become one or two dims.</summary>
    internal static (int[] Shape, int[] StridesA, int[] StridesB) Coalesce(int[] shape, int[] sa, int[] sb)
    {
        var s = new List<int>(shape.Length);
        var a = new List<int>(shape.Length);
        var b = new List<int>(shape.Length);
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == 1) continue;
            int last = s.Count - 1;
            if (last >= 0 && a[last] == sa[i] * shape[i] && b[last] == sb[i] * shape[i])
            {
                s[last] *= shape[i];
                a[last] = sa[i];
                b[last] = sb[i];
            }
            else
            {
                s.Add(shape[i]);
                a.Add(sa[i]);
                b.Add(sb[i]);
            }
        }
        if (s.Count == 0) return ([1], [0], [0]);
        return (s.ToArray(), a.ToArray(), b.ToArray());
    }

    /// <summary>The offsets into a tensor of shape <paramref name="shape"/> read when broadcasting it to <paramref name="outShape"/>.</summary>
    public static int[] BroadcastOffsets(int[] shape, int[] outShape)
    {
        var strides = Shapes.BroadcastStrides(shape, outShape);
        int n = Shapes.Size(outShape);
        var offsets = new int[n];
        int rank = outShape.Length, off = 0;
        Span<int> index = stackalloc int[rank];
        for (int i = 0; i < n; i++)
        {
            offsets[i] = off;
            for (int dim = rank - 1; dim >= 0; dim--)
            {
                off += strides[dim];
                if (++index[dim] < outShape[dim]) break;
                off -= strides[dim] * outShape[dim];
                index[dim] = 0;
            }
        }
        return offsets;
    }
}
