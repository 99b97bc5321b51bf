using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Autograd.Nn;

/// <summary>
/// Copies and elementwise additions of short spans (an image row of 8 or 24 elements, as im2col
/// and col2im move them), inlined where a library call would cost more than the work. Each
/// element is copied, or added with one rounding, exactly as a scalar loop does, so the vector
/// width changes no bit.
/// </summary>
internal static class ShortSpans
{
    /// <summary>destination[k] = source[k]; the spans must not overlap and have the same length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Copy<T>(ReadOnlySpan<T> source, Span<T> destination) where T : unmanaged
    {
        if (source.Length != destination.Length) throw new ArgumentException("Spans of different lengths.", nameof(destination));
        CopyUnchecked(ref MemoryMarshal.GetReference(source), ref MemoryMarshal.GetReference(destination), source.Length);
    }

    /// <summary>destination[k] += source[k], one IEEE addition per element; the spans must not overlap and have the same length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddTo<T>(ReadOnlySpan<T> source, Span<T> destination) where T : unmanaged, INumberBase<T>
    {
        if (source.Length != destination.Length) throw new ArgumentException("Spans of different lengths.", nameof(destination));
        int n = source.Length, k = 0;
        ref T s = ref MemoryMarshal.GetReference(source);
        ref T d = ref MemoryMarshal.GetReference(destination);
        if (Vector256.IsHardwareAccelerated)
            for (; k <= n - Vector256<T>.Count; k += Vector256<T>.Count)
                (Vector256.LoadUnsafe(ref d, (nuint)k) + Vector256.LoadUnsafe(ref s, (nuint)k)).StoreUnsafe(ref d, (nuint)k);
        if (Vector128.IsHardwareAccelerated)
            for (; k <= n - Vector128<T>.Count; k += Vector128<T>.Count)
                (Vector128.LoadUnsafe(ref d, (nuint)k) + Vector128.LoadUnsafe(ref s, (nuint)k)).StoreUnsafe(ref d, (nuint)k);
        for (; k < n; k++) Unsafe.Add(ref d, k) += Unsafe.Add(ref s, k);
    }

    /// <summary>
    /// destination[r·width + k] = source[r·sourceStride + k] for r &lt; rows, k &lt; width: rows of
    /// an image into consecutive rows (im2col without padding). The spans must not overlap.
    /// </summary>
    public static void CopyRows<T>(ReadOnlySpan<T> source, int sourceStride, Span<T> destination, int width, int rows) where T : unmanaged
    {
        if (rows <= 0 || width <= 0) return;
        if (sourceStride < width || source.Length < (long)(rows - 1) * sourceStride + width || destination.Length < (long)rows * width)
            throw new ArgumentException("Spans too short for the rows.", nameof(destination));
        ref T s = ref MemoryMarshal.GetReference(source);
        ref T d = ref MemoryMarshal.GetReference(destination);
        for (int r = 0; r < rows; r++)
            CopyUnchecked(ref Unsafe.Add(ref s, r * sourceStride), ref Unsafe.Add(ref d, r * width), width);
    }

    /// <summary>
    /// destination[r·destinationStride + k] += source[r·width + k] for r &lt; rows, k &lt; width, one
    /// IEEE addition per element (col2im without padding). The spans must not overlap.
    /// </summary>
    public static void AddRows<T>(ReadOnlySpan<T> source, int width, int rows, Span<T> destination, int destinationStride) where T : unmanaged, INumberBase<T>
    {
        if (rows <= 0 || width <= 0) return;
        if (destinationStride < width || destination.Length < (long)(rows - 1) * destinationStride + width || source.Length < (long)rows * width)
            throw new ArgumentException("Spans too short for the rows.", nameof(destination));
        for (int r = 0; r < rows; r++)
            AddTo(source.Slice(r * width, width), destination.Slice(r * destinationStride, width));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyUnchecked<T>(ref T s, ref T d, int n) where T : unmanaged
    {
        if (Vector256.IsHardwareAccelerated && n >= Vector256<T>.Count)
        {
            int last = n - Vector256<T>.Count;
            for (int k = 0; k < last; k += Vector256<T>.Count) Vector256.LoadUnsafe(ref s, (nuint)k).StoreUnsafe(ref d, (nuint)k);
            Vector256.LoadUnsafe(ref s, (nuint)last).StoreUnsafe(ref d, (nuint)last);
        }
        else if (Vector128.IsHardwareAccelerated && n >= Vector128<T>.Count)
        {
            int last = n - Vector128<T>.Count;
            for (int k = 0; k < last; k += Vector128<T>.Count) Vector128.LoadUnsafe(ref s, (nuint)k).StoreUnsafe(ref d, (nuint)k);
            Vector128.LoadUnsafe(ref s, (nuint)last).StoreUnsafe(ref d, (nuint)last);
        }
        else
            for (int k = 0; k < n; k++) Unsafe.Add(ref d, k) = Unsafe.Add(ref s, k);
    }
}
