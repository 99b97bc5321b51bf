using System.Numerics;
using System.Runtime.InteropServices;

namespace Autograd.Kernels;

/// <summary>
/// Sleef's exp and log (<see cref="SleefFloat"/>, <see cref="SleefDouble"/>) for either float type:
/// the bits of PyTorch's vectorised exp and log, on every machine.
/// </summary>
internal static class SleefSpan
{
    /// <summary><c>d[i] = e^x[i]</c>.</summary>
    public static void Exp<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float)) SleefFloat.Exp(MemoryMarshal.Cast<T, float>(x), MemoryMarshal.Cast<T, float>(d));
        else SleefDouble.Exp(MemoryMarshal.Cast<T, double>(x), MemoryMarshal.Cast<T, double>(d));
    }

    /// <summary><c>d[i] = ln x[i]</c>.</summary>
    public static void Log<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float)) SleefFloat.Log(MemoryMarshal.Cast<T, float>(x), MemoryMarshal.Cast<T, float>(d));
        else SleefDouble.Log(MemoryMarshal.Cast<T, double>(x), MemoryMarshal.Cast<T, double>(d));
    }

    /// <summary>ln x for one value.</summary>
    public static T Log<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float) ? T.CreateTruncating(SleefFloat.Log(float.CreateTruncating(x))) : T.CreateTruncating(SleefDouble.Log(double.CreateTruncating(x)));
}
