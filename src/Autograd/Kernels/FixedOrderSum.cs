using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Autograd.Kernels;

/// <summary>
/// Σ x over a contiguous span in an order fixed by the algorithm, not by the hardware, so that
/// every vector width (and every machine) gives the same bits.
/// </summary>
/// <remarks>
/// <para>
/// The algorithm: 16 partial sums in double, element i added to partial i mod 16 in index order,
/// starting from +0; the last n mod 16 elements as one block padded with +0 (adding +0 changes no
/// partial, none of which can be -0); then the partials combined in a fixed tree:
/// p[j] += p[j+8], p[j] += p[j+4], p[j] += p[j+2], p[0] + p[1]. Float32 input is widened to double
/// exactly and the total rounded once, so a float32 sum is accurate to about an ulp even over
/// millions of terms (PyTorch's cascade sum is of the same quality).
/// </para>
/// <para>
/// <see cref="VectorWidth.Vector512"/> holds the 16 partials in two registers,
/// <see cref="VectorWidth.Vector256"/> in four, <see cref="VectorWidth.Vector128"/> in eight and
/// <see cref="VectorWidth.Scalar"/> in sixteen locals: the same additions in each.
/// </para>
/// </remarks>
internal static class FixedOrderSum
{
    /// <summary>The number of partial sums.</summary>
    public const int Lanes = 16;

    /// <summary>Σ x, accumulated in double (see the class remarks), at <see cref="KernelWidth.Current"/>.</summary>
    public static double Sum(ReadOnlySpan<float> x) => Sum(x, KernelWidth.Current);

    /// <inheritdoc cref="Sum(ReadOnlySpan{float})"/>
    public static double Sum(ReadOnlySpan<double> x) => Sum(x, KernelWidth.Current);

    /// <summary>Σ x at an explicit width (for tests: the bits are the same at every width).</summary>
    public static double Sum(ReadOnlySpan<float> x, VectorWidth width) => Sum<float>(x, width);

    /// <inheritdoc cref="Sum(ReadOnlySpan{float}, VectorWidth)"/>
    public static double Sum(ReadOnlySpan<double> x, VectorWidth width) => Sum<double>(x, width);

    /// <summary>The whole blocks of 16, then the last n mod 16 elements as one block padded with +0, then the tree.</summary>
    private static double Sum<T>(ReadOnlySpan<T> x, VectorWidth width) where T : unmanaged
    {
        Span<double> partials = stackalloc double[Lanes];
        partials.Clear();
        int full = x.Length - x.Length % Lanes;
        Accumulate(x[..full], partials, width);
        if (full < x.Length)
        {
            Span<T> tail = stackalloc T[Lanes];
            tail.Clear();
            x[full..].CopyTo(tail);
            Accumulate<T>(tail, partials, width);
        }
        return Combine(partials);
    }

    private static void Accumulate<T>(ReadOnlySpan<T> x, Span<double> partials, VectorWidth width) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) Accumulate(MemoryMarshal.Cast<T, float>(x), partials, width);
        else Accumulate(MemoryMarshal.Cast<T, double>(x), partials, width);
    }

    /// <summary>The fixed tree over the 16 partials.</summary>
    private static double Combine(Span<double> p)
    {
        for (int half = Lanes / 2; half >= 1; half /= 2)
            for (int j = 0; j < half; j++) p[j] += p[j + half];
        return p[0];
    }

    /// <summary>partials[j] += Σ x[16 r + j] over the whole blocks of x (its length is a multiple of 16), in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Accumulate(ReadOnlySpan<float> x, Span<double> partials, VectorWidth width)
    {
        ref float s = ref MemoryMarshal.GetReference(x);
        ref double p = ref MemoryMarshal.GetReference(partials);
        nuint n = (nuint)x.Length;
        switch (width)
        {
            case VectorWidth.Vector512:
            {
                var a0 = Vector512.LoadUnsafe(ref p);
                var a1 = Vector512.LoadUnsafe(ref p, 8);
                for (nuint i = 0; i < n; i += Lanes)
                {
                    var v = Vector512.LoadUnsafe(ref s, i);
                    a0 += Vector512.WidenLower(v);
                    a1 += Vector512.WidenUpper(v);
                }
                a0.StoreUnsafe(ref p);
                a1.StoreUnsafe(ref p, 8);
                break;
            }
            case VectorWidth.Vector256:
            {
                var a0 = Vector256.LoadUnsafe(ref p);
                var a1 = Vector256.LoadUnsafe(ref p, 4);
                var a2 = Vector256.LoadUnsafe(ref p, 8);
                var a3 = Vector256.LoadUnsafe(ref p, 12);
                for (nuint i = 0; i < n; i += Lanes)
                {
                    var v0 = Vector256.LoadUnsafe(ref s, i);
                    var v1 = Vector256.LoadUnsafe(ref s, i + 8);
                    a0 += Vector256.WidenLower(v0);
                    a1 += Vector256.WidenUpper(v0);
                    a2 += Vector256.WidenLower(v1);
                    a3 += Vector256.WidenUpper(v1);
                }
                a0.StoreUnsafe(ref p);
                a1.StoreUnsafe(ref p, 4);
                a2.StoreUnsafe(ref p, 8);
                a3.StoreUnsafe(ref p, 12);
                break;
            }
            case VectorWidth.Vector128:
            {
                for (nuint half = 0; half < Lanes; half += 8)
                {
                    // Two passes of eight partials each: eight 128-bit accumulators would not leave registers for the loads.
                    var a0 = Vector128.LoadUnsafe(ref p, half);
                    var a1 = Vector128.LoadUnsafe(ref p, half + 2);
                    var a2 = Vector128.LoadUnsafe(ref p, half + 4);
                    var a3 = Vector128.LoadUnsafe(ref p, half + 6);
                    for (nuint i = half; i < n; i += Lanes)
                    {
                        var v0 = Vector128.LoadUnsafe(ref s, i);
                        var v1 = Vector128.LoadUnsafe(ref s, i + 4);
                        a0 += Vector128.WidenLower(v0);
                        a1 += Vector128.WidenUpper(v0);
                        a2 += Vector128.WidenLower(v1);
                        a3 += Vector128.WidenUpper(v1);
                    }
                    a0.StoreUnsafe(ref p, half);
                    a1.StoreUnsafe(ref p, half + 2);
                    a2.StoreUnsafe(ref p, half + 4);
                    a3.StoreUnsafe(ref p, half + 6);
                }
                break;
            }
            default:
            {
                for (nuint j = 0; j < Lanes; j++)
                {
                    double acc = Unsafe.Add(ref p, j);
                    for (nuint i = j; i < n; i += Lanes) acc += Unsafe.Add(ref s, i);
                    Unsafe.Add(ref p, j) = acc;
                }
                break;
            }
        }
    }

    /// <inheritdoc cref="Accumulate(ReadOnlySpan{float}, Span{double}, VectorWidth)"/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Accumulate(ReadOnlySpan<double> x, Span<double> partials, VectorWidth width)
    {
        ref double s = ref MemoryMarshal.GetReference(x);
        ref double p = ref MemoryMarshal.GetReference(partials);
        nuint n = (nuint)x.Length;
        switch (width)
        {
            case VectorWidth.Vector512:
            {
                var a0 = Vector512.LoadUnsafe(ref p);
                var a1 = Vector512.LoadUnsafe(ref p, 8);
                for (nuint i = 0; i < n; i += Lanes)
                {
                    a0 += Vector512.LoadUnsafe(ref s, i);
                    a1 += Vector512.LoadUnsafe(ref s, i + 8);
                }
                a0.StoreUnsafe(ref p);
                a1.StoreUnsafe(ref p, 8);
                break;
            }
            case VectorWidth.Vector256:
            {
                var a0 = Vector256.LoadUnsafe(ref p);
                var a1 = Vector256.LoadUnsafe(ref p, 4);
                var a2 = Vector256.LoadUnsafe(ref p, 8);
                var a3 = Vector256.LoadUnsafe(ref p, 12);
                for (nuint i = 0; i < n; i += Lanes)
                {
                    a0 += Vector256.LoadUnsafe(ref s, i);
                    a1 += Vector256.LoadUnsafe(ref s, i + 4);
                    a2 += Vector256.LoadUnsafe(ref s, i + 8);
                    a3 += Vector256.LoadUnsafe(ref s, i + 12);
                }
                a0.StoreUnsafe(ref p);
                a1.StoreUnsafe(ref p, 4);
                a2.StoreUnsafe(ref p, 8);
                a3.StoreUnsafe(ref p, 12);
                break;
            }
            case VectorWidth.Vector128:
            {
                for (nuint half = 0; half < Lanes; half += 8)
                {
                    var a0 = Vector128.LoadUnsafe(ref p, half);
                    var a1 = Vector128.LoadUnsafe(ref p, half + 2);
                    var a2 = Vector128.LoadUnsafe(ref p, half + 4);
                    var a3 = Vector128.LoadUnsafe(ref p, half + 6);
                    for (nuint i = half; i < n; i += Lanes)
                    {
                        a0 += Vector128.LoadUnsafe(ref s, i);
                        a1 += Vector128.LoadUnsafe(ref s, i + 2);
                        a2 += Vector128.LoadUnsafe(ref s, i + 4);
                        a3 += Vector128.LoadUnsafe(ref s, i + 6);
                    }
                    a0.StoreUnsafe(ref p, half);
                    a1.StoreUnsafe(ref p, half + 2);
                    a2.StoreUnsafe(ref p, half + 4);
                    a3.StoreUnsafe(ref p, half + 6);
                }
                break;
            }
            default:
            {
                for (nuint j = 0; j < Lanes; j++)
                {
                    double acc = Unsafe.Add(ref p, j);
                    for (nuint i = j; i < n; i += Lanes) acc += Unsafe.Add(ref s, i);
                    Unsafe.Add(ref p, j) = acc;
                }
                break;
            }
        }
    }
}
