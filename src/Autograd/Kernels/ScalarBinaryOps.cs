using System.Numerics;
using System.Runtime.CompilerServices;

namespace Autograd.Kernels;

/// <summary>
/// Binary ops computed an element at a time (no TensorPrimitives form with PyTorch's semantics):
/// maximum and minimum with NaN propagation, division with rounding, and pow. Each result depends
/// on its two operands alone, so it is the same at every offset and on every machine (pow calls
/// the C library's <c>pow</c>/<c>powf</c> through Math/MathF, see docs/architecture.md).
/// </summary>
internal static class ScalarBinaryLoops
{
    public static void Apply<T, TOp>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) where TOp : IBinaryOp<T>
    {
        for (int i = 0; i < d.Length; i++) d[i] = TOp.Apply(a[i], b[i]);
    }

    public static void Apply<T, TOp>(ReadOnlySpan<T> a, T b, Span<T> d) where TOp : IBinaryOp<T>
    {
        for (int i = 0; i < d.Length; i++) d[i] = TOp.Apply(a[i], b);
    }

    public static void Apply<T, TOp>(T a, ReadOnlySpan<T> b, Span<T> d) where TOp : IBinaryOp<T>
    {
        for (int i = 0; i < d.Length; i++) d[i] = TOp.Apply(a, b[i]);
    }
}

/// <summary>torch.maximum: NaN if either is NaN, else the larger (<c>a &lt; b ? b : a</c>).</summary>
internal readonly struct MaximumOp<T> : IBinaryOp<T> where T : unmanaged, INumber<T>
{
    public static T Apply(T a, T b) => T.IsNaN(a) ? a : T.IsNaN(b) ? b : a < b ? b : a;
    public static void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => ScalarBinaryLoops.Apply<T, MaximumOp<T>>(a, b, d);
    public static void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => ScalarBinaryLoops.Apply<T, MaximumOp<T>>(a, b, d);
    public static void Apply(T a, ReadOnlySpan<T> b, Span<T> d) => ScalarBinaryLoops.Apply<T, MaximumOp<T>>(a, b, d);
}

/// <summary>torch.minimum: NaN if either is NaN, else the smaller (<c>a &gt; b ? b : a</c>).</summary>
internal readonly struct MinimumOp<T> : IBinaryOp<T> where T : unmanaged, INumber<T>
{
    public static T Apply(T a, T b) => T.IsNaN(a) ? a : T.IsNaN(b) ? b : a > b ? b : a;
    public static void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => ScalarBinaryLoops.Apply<T, MinimumOp<T>>(a, b, d);
    public static void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => ScalarBinaryLoops.Apply<T, MinimumOp<T>>(a, b, d);
    public static void Apply(T a, ReadOnlySpan<T> b, Span<T> d) => ScalarBinaryLoops.Apply<T, MinimumOp<T>>(a, b, d);
}

/// <summary>
/// torch.div(a, b, rounding_mode="trunc"): trunc(a / b) for floats; C's truncating division for
/// Int64 (division by zero throws, as PyTorch's ZeroDivisionError; long.MinValue / -1 wraps).
/// </summary>
internal readonly struct DivTruncOp<T> : IBinaryOp<T> where T : unmanaged, INumber<T>
{
    public static T Apply(T a, T b)
    {
        if (typeof(T) == typeof(long)) return As<long, T>(RoundingDivision.Trunc(As<T, long>(a), As<T, long>(b)));
        if (typeof(T) == typeof(float)) return As<float, T>(float.Truncate(As<T, float>(a) / As<T, float>(b)));
        return As<double, T>(double.Truncate(As<T, double>(a) / As<T, double>(b)));
    }

    public static void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => ScalarBinaryLoops.Apply<T, DivTruncOp<T>>(a, b, d);
    public static void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => ScalarBinaryLoops.Apply<T, DivTruncOp<T>>(a, b, d);
    public static void Apply(T a, ReadOnlySpan<T> b, Span<T> d) => ScalarBinaryLoops.Apply<T, DivTruncOp<T>>(a, b, d);

    private static TTo As<TFrom, TTo>(TFrom v) => Unsafe.As<TFrom, TTo>(ref v);
}

/// <summary>
/// torch.div(a, b, rounding_mode="floor"): PyTorch's <c>div_floor_floating</c> for floats (through
/// fmod, so that the quotient is the floor of the exact a / b, with the sign of zero of a / b) and
/// Python's floor division for Int64.
/// </summary>
internal readonly struct DivFloorOp<T> : IBinaryOp<T> where T : unmanaged, INumber<T>
{
    public static T Apply(T a, T b)
    {
        if (typeof(T) == typeof(long)) return As<long, T>(RoundingDivision.Floor(As<T, long>(a), As<T, long>(b)));
        if (typeof(T) == typeof(float)) return As<float, T>(RoundingDivision.Floor(As<T, float>(a), As<T, float>(b)));
        return As<double, T>(RoundingDivision.Floor(As<T, double>(a), As<T, double>(b)));
    }

    public static void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => ScalarBinaryLoops.Apply<T, DivFloorOp<T>>(a, b, d);
    public static void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => ScalarBinaryLoops.Apply<T, DivFloorOp<T>>(a, b, d);
    public static void Apply(T a, ReadOnlySpan<T> b, Span<T> d) => ScalarBinaryLoops.Apply<T, DivFloorOp<T>>(a, b, d);

    private static TTo As<TFrom, TTo>(TFrom v) => Unsafe.As<TFrom, TTo>(ref v);
}

/// <summary>a^b elementwise through the C library's pow (Math.Pow / MathF.Pow).</summary>
internal readonly struct PowOp<T> : IBinaryOp<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T a, T b) => T.Pow(a, b);
    public static void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d) => ScalarBinaryLoops.Apply<T, PowOp<T>>(a, b, d);
    public static void Apply(ReadOnlySpan<T> a, T b, Span<T> d) => ScalarBinaryLoops.Apply<T, PowOp<T>>(a, b, d);
    public static void Apply(T a, ReadOnlySpan<T> b, Span<T> d) => ScalarBinaryLoops.Apply<T, PowOp<T>>(a, b, d);
}

/// <summary>The scalar rules of division with rounding, as PyTorch 1.13's CPU kernels.</summary>
internal static class RoundingDivision
{
    public static long Trunc(long a, long b)
    {
        if (b == 0) throw new DivideByZeroException("Div with rounding mode Trunc: integer division by zero (PyTorch raises ZeroDivisionError).");
        return b == -1 ? unchecked(-a) : a / b;
    }

    /// <summary>Python's a // b: the truncated quotient, less one when the signs differ and b does not divide a.</summary>
    public static long Floor(long a, long b)
    {
        if (b == 0) throw new DivideByZeroException("Div with rounding mode Floor: integer division by zero (PyTorch raises ZeroDivisionError).");
        if (b == -1) return unchecked(-a);
        long q = a / b;
        return (a % b != 0) && ((a < 0) != (b < 0)) ? q - 1 : q;
    }

    /// <summary>PyTorch's <c>div_floor_floating</c>, line for line.</summary>
    public static TF Floor<TF>(TF a, TF b) where TF : IFloatingPointIeee754<TF>
    {
        if (b == TF.Zero) return a / b; // IEEE: ±inf or NaN
        var mod = a % b; // C's fmod
        var div = (a - mod) / b;
        if (mod != TF.Zero && (b < TF.Zero) != (mod < TF.Zero)) div -= TF.One;
        TF floordiv;
        if (div != TF.Zero)
        {
            floordiv = TF.Floor(div);
            if (div - floordiv > TF.CreateTruncating(0.5)) floordiv += TF.One;
        }
        else floordiv = TF.CopySign(TF.Zero, a / b);
        return floordiv;
    }
}
