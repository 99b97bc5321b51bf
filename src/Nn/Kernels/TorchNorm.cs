using System.Numerics;
using System.Runtime.InteropServices;

namespace Autograd.Nn;

/// <summary>
/// The p-norm of a contiguous run of values, added in the order of PyTorch 1.13's CPU norm kernel
/// (<c>norm_kernel_tensor_iterator_impl</c> in ATen/native/cpu/ReduceOpsKernel.cpp, the kernel behind
/// <c>torch.norm</c> and <c>torch.linalg.vector_norm</c> of a whole tensor), so that gradient clipping
/// and <see cref="Embedding"/>'s max-norm rescaling round as PyTorch's do. The order is that of
/// PyTorch's AVX2 build, emulated with a fixed lane count on every machine (docs/architecture.md,
/// "Same bits on every machine"); every product is an explicit fused multiply-add or an explicit
/// rounded product, never the hardware's choice.
/// </summary>
/// <remarks>
/// What PyTorch does, and this class with it (measured against PyTorch 1.13 on 3,000 random vectors):
/// <list type="bullet">
/// <item>The order p is held as a float32 (<c>float val = p</c>), also for Float64 tensors.</item>
/// <item>p = 2 on Float32: <c>binary_kernel_reduce_lastdim</c>, 8 lanes of <c>acc += x · x</c>
/// (compiled to FMAs), the lanes folded left to right into lane 0, then the n mod 8 leftover
/// elements: the first four (if there are four) as <c>acc + round(x · x)</c> (GCC computes their
/// squares as one vector product), the rest as FMAs; then the square root.</item>
/// <item>Every other case: <c>binary_kernel_reduce</c>, one accumulator in the element order:
/// p = 2 on Float64 <c>fma(x, x, acc)</c> then the square root; p = 1 <c>acc + |x|</c>; p = 0 the
/// count of nonzero elements; p = ±∞ the largest (smallest) |x|, NaN propagating; any other p
/// <c>acc + pow(|x|, p)</c>, then <c>pow(acc, 1 / p)</c> (the C library's pow, as PyTorch calls it).</item>
/// </list>
/// PyTorch splits the second kind of loop between its threads for 32,768 elements and more, so
/// its own result then depends on its thread count; this class always adds in one sequence (PyTorch
/// with one thread).
/// </remarks>
internal static class TorchNorm
{
    /// <summary>‖x‖_p as PyTorch 1.13 computes <c>torch.norm(x, p)</c> of a contiguous tensor x.</summary>
    public static T Norm<T>(ReadOnlySpan<T> x, double p) where T : unmanaged, IFloatingPointIeee754<T>
    {
        float order = (float)p;
        if (x.Length == 0) return order < 0 ? T.PositiveInfinity : T.Zero;
        if (order == 0) return CountNonzero(x);
        if (order == 1) return SumAbs(x);
        if (order == 2)
            return typeof(T) == typeof(float)
                ? T.CreateTruncating(TwoNormFloat(MemoryMarshal.Cast<T, float>(x)))
                : T.Sqrt(SumOfSquaresFused(x));
        if (float.IsPositiveInfinity(order)) return AbsExtreme(x, largest: true);
        if (float.IsNegativeInfinity(order)) return AbsExtreme(x, largest: false);
        T pt = T.CreateTruncating(order);
        T acc = T.Zero;
        foreach (var v in x) acc += T.Pow(T.Abs(v), pt);
        return T.Pow(acc, T.One / pt);
    }

    /// <summary>max |x| (or min |x|) with NaN propagating, as PyTorch's AbsMaxOps/AbsMinOps and <c>x.abs().max()</c>.</summary>
    public static T AbsExtreme<T>(ReadOnlySpan<T> x, bool largest) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T acc = largest ? T.Zero : T.PositiveInfinity;
        foreach (var v in x)
        {
            T a = T.Abs(v);
            if (T.IsNaN(a)) return a;
            if (largest ? a > acc : a < acc) acc = a;
        }
        return acc;
    }

    /// <summary>The float32 2-norm of PyTorch's vectorised path (8 lanes of an AVX2 vector).</summary>
    private static float TwoNormFloat(ReadOnlySpan<float> x)
    {
        const int lanes = 8;
        Span<float> acc = stackalloc float[lanes];
        acc.Clear();
        int full = x.Length - x.Length % lanes, d = 0;
        for (; d < full; d += lanes)
            for (int j = 0; j < lanes; j++) acc[j] = MathF.FusedMultiplyAdd(x[d + j], x[d + j], acc[j]);
        float sum = acc[0];
        for (int j = 1; j < lanes; j++) sum += acc[j];
        if (x.Length - d >= 4)
        {
            // The leftover loop's first four squares are one vector product, each rounded.
            for (int k = 0; k < 4; k++, d++)
            {
                float square = x[d] * x[d];
                sum += square;
            }
        }
        for (; d < x.Length; d++) sum = MathF.FusedMultiplyAdd(x[d], x[d], sum);
        return MathF.Sqrt(sum);
    }

    private static T SumOfSquaresFused<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T acc = T.Zero;
        foreach (var v in x) acc = T.FusedMultiplyAdd(v, v, acc);
        return acc;
    }

    private static T SumAbs<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T acc = T.Zero;
        foreach (var v in x) acc += T.Abs(v);
        return acc;
    }

    private static T CountNonzero<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T acc = T.Zero;
        foreach (var v in x) acc += v == T.Zero ? T.Zero : T.One;
        return acc;
    }
}
