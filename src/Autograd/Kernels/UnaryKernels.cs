using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Autograd.Kernels;

internal enum UnaryKind { Neg, Exp, Log, Sqrt, Abs, Sign, Sigmoid, Tanh, Relu, Sin, Cos, Log1p, Expm1, Erf, Reciprocal, Floor, Ceil, Round }

/// <summary>
/// Elementwise unary maps, through TensorPrimitives where it has the operation; exp, sigmoid, log
/// and tanh through ports of Sleef (<see cref="SleefFloat"/>, <see cref="SleefDouble"/>), as PyTorch.
/// </summary>
internal static class UnaryKernels
{
    /// <summary>
    /// <see cref="Apply{T}(UnaryKind, ReadOnlySpan{T}, Span{T})"/> split over threads when the
    /// arrays are large (every element is mapped alone, so the split changes nothing).
    /// </summary>
    public static void Apply<T>(UnaryKind kind, T[] x, T[] d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Length < 2 * ParallelKernels.MinElementsPerThread) Apply(kind, x.AsSpan(), d.AsSpan());
        else ParallelKernels.For(d, (start, length) => Apply(kind, x.AsSpan(start, length), d.AsSpan(start, length)));
    }

    /// <summary>
    /// <see cref="Apply{T}(UnaryKind, T[], T[])"/> at any element type: Int64 takes its own
    /// integer maps.
    /// </summary>
    public static void Map<T>(UnaryKind kind, T[] x, T[] d) where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(float)) Apply(kind, Unsafe.As<float[]>(x), Unsafe.As<float[]>(d));
        else if (typeof(T) == typeof(double)) Apply(kind, Unsafe.As<double[]>(x), Unsafe.As<double[]>(d));
        else Apply(kind, (ReadOnlySpan<long>)Unsafe.As<long[]>(x), Unsafe.As<long[]>(d));
    }

    public static void Apply<T>(UnaryKind kind, ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.IsEmpty) return; // some TensorPrimitives functions reject empty spans
        switch (kind)
        {
            case UnaryKind.Neg: TensorPrimitives.Negate(x, d); break;
            case UnaryKind.Exp:
                // As torch.exp computes it (Sleef's exp, in its vector kernel and its tail): the same
                // bits as PyTorch on every call and at every offset, which TensorPrimitives.Exp is not.
                SleefSpan.Exp(x, d);
                break;
            case UnaryKind.Log:
                // As torch.log computes it (Sleef's log, Sleef_logf8_u10 / Sleef_logd4_u10, in its
                // vector kernel and its padded tail): the same bits as PyTorch, at every offset.
                SleefSpan.Log(x, d);
                break;
            case UnaryKind.Sqrt: TensorPrimitives.Sqrt(x, d); break;
            case UnaryKind.Abs: TensorPrimitives.Abs(x, d); break;
            case UnaryKind.Sigmoid:
                // As torch.sigmoid's vector kernel computes it (1 / (1 + Sleef exp(0 - x))): the same
                // bits as PyTorch, deterministic, and several times faster than TensorPrimitives.Sigmoid.
                if (typeof(T) == typeof(float)) SleefFloat.Sigmoid(MemoryMarshal.Cast<T, float>(x), MemoryMarshal.Cast<T, float>(d));
                else if (typeof(T) == typeof(double)) SleefDouble.Sigmoid(MemoryMarshal.Cast<T, double>(x), MemoryMarshal.Cast<T, double>(d));
                else TensorPrimitives.Sigmoid(x, d);
                break;
            case UnaryKind.Tanh:
                // Sleef's tanh, as PyTorch (TensorPrimitives.Tanh lost relative precision for small
                // |x|, and .NET's scalar tanh is an ulp off on some inputs).
                if (typeof(T) == typeof(float)) SleefFloat.Tanh(MemoryMarshal.Cast<T, float>(x), MemoryMarshal.Cast<T, float>(d));
                else if (typeof(T) == typeof(double)) SleefDouble.Tanh(MemoryMarshal.Cast<T, double>(x), MemoryMarshal.Cast<T, double>(d));
                else TensorPrimitives.Tanh(x, d);
                break;
            case UnaryKind.Relu: ActivationKernels.Relu(x, d); break;
            case UnaryKind.Sin or UnaryKind.Cos or UnaryKind.Log1p or UnaryKind.Expm1 or UnaryKind.Erf:
                // One element at a time through the C library, never a width-dependent vector form.
                ScalarMath.Apply(kind, x, d);
                break;
            case UnaryKind.Reciprocal: TensorPrimitives.Divide(T.One, x, d); break; // exact IEEE 1 / x, no estimate
            case UnaryKind.Floor: TensorPrimitives.Floor(x, d); break;
            case UnaryKind.Ceil: TensorPrimitives.Ceiling(x, d); break;
            case UnaryKind.Round: TensorPrimitives.Round(x, d); break; // half to even, as torch.round
            case UnaryKind.Sign:
                for (int i = 0; i < d.Length; i++) d[i] = T.IsNaN(x[i]) ? x[i] : x[i] > T.Zero ? T.One : x[i] < T.Zero ? -T.One : T.Zero;
                break;
        }
    }

    public static void Apply(UnaryKind kind, ReadOnlySpan<long> x, Span<long> d)
    {
        if (x.IsEmpty && kind is (UnaryKind.Neg or UnaryKind.Abs or UnaryKind.Sign or UnaryKind.Relu or UnaryKind.Floor or UnaryKind.Ceil or UnaryKind.Round)) return;
        switch (kind)
        {
            case UnaryKind.Neg: TensorPrimitives.Negate(x, d); break;
            case UnaryKind.Abs: TensorPrimitives.Abs(x, d); break;
            case UnaryKind.Sign: for (int i = 0; i < d.Length; i++) d[i] = Math.Sign(x[i]); break;
            case UnaryKind.Relu: TensorPrimitives.Max(x, 0L, d); break;
            case UnaryKind.Floor or UnaryKind.Ceil or UnaryKind.Round: x.CopyTo(d); break; // integers round to themselves, as PyTorch
            default: throw new ArgumentException($"{kind} needs a floating point tensor, got Int64.");
        }
    }

    public static void Pow<T>(ReadOnlySpan<T> x, T p, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (p == T.CreateTruncating(2)) TensorPrimitives.Multiply(x, x, d);
        else if (p == T.One) x.CopyTo(d);
        else TensorPrimitives.Pow(x, p, d);
    }

    /// <summary>
    /// <see cref="Clamp{T}(ReadOnlySpan{T}, T?, T?, Span{T})"/> with the bounds as given to the op:
    /// rounded to T, and for Int64 to the integers inside [min, max] (ceil(min), floor(max)).
    /// </summary>
    public static void ClampToBounds<T>(ReadOnlySpan<T> x, double? min, double? max, Span<T> d) where T : unmanaged, INumber<T>
    {
        bool integer = typeof(T) == typeof(long);
        T? lo = min is double a ? T.CreateTruncating(integer ? Math.Ceiling(a) : a) : null;
        T? hi = max is double b ? T.CreateTruncating(integer ? Math.Floor(b) : b) : null;
        Clamp(x, lo, hi, d);
    }

    public static void Clamp<T>(ReadOnlySpan<T> x, T? min, T? max, Span<T> d) where T : unmanaged, INumber<T>
    {
        x.CopyTo(d);
        // NaN stays NaN, as torch.clamp.
        if (min is T lo) for (int i = 0; i < d.Length; i++) if (d[i] < lo) d[i] = lo;
        if (max is T hi) for (int i = 0; i < d.Length; i++) if (d[i] > hi) d[i] = hi;
    }
}
