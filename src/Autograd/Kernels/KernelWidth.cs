using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Autograd.Kernels;

/// <summary>The vector width a kernel is written for.</summary>
internal enum VectorWidth
{
    /// <summary>Plain scalar code.</summary>
    Scalar,

    /// <summary>128-bit vectors (SSE, NEON).</summary>
    Vector128,

    /// <summary>256-bit vectors (AVX2).</summary>
    Vector256,

    /// <summary>512-bit vectors (AVX-512F).</summary>
    Vector512,
}

/// <summary>
/// The one seam that chooses the vector width of the kernels that come in several widths (the
/// matrix products, the sums). The width decides only speed, never a bit of a result: every
/// kernel fixes its order of operations by the algorithm (a sequential chain of fused
/// multiply-adds per product element, 16 partial sums in a fixed tree per sum), so each width,
/// accelerated or emulated in software, gives the same bits.
/// </summary>
/// <remarks>
/// <para>
/// The default is the widest accelerated width, except that 512-bit kernels are used only when
/// asked for: on AMD Zen 4, which executes a 512-bit operation as two 256-bit halves, the 512-bit
/// matrix kernels measured slower than the 256-bit ones (docs/performance.md). Set the
/// environment variable <c>AUTOGRAD_VECTOR_WIDTH</c> to <c>512</c>, <c>256</c>, <c>128</c> or
/// <c>scalar</c> to choose another (a width the machine does not accelerate is emulated: correct,
/// and slow).
/// </para>
/// <para>
/// Tests set <see cref="Current"/> to run a kernel at every width on any machine and compare the
/// bits. It is process-wide, like <see cref="Threading.NumThreads"/>, so that thread-pool helpers
/// of a kernel see the same width as its caller.
/// </para>
/// </remarks>
internal static class KernelWidth
{
    /// <summary>The widest width this machine accelerates (FMA included for the vector widths on x64).</summary>
    public static VectorWidth Accelerated { get; } = DetectAccelerated();

    private static VectorWidth current = Default; // after Accelerated: static initialisers run in textual order

    /// <summary>The width used unless <see cref="Current"/> is changed: see the remarks.</summary>
    public static VectorWidth Default => FromEnvironment() ?? (Accelerated == VectorWidth.Vector512 ? VectorWidth.Vector256 : Accelerated);

    /// <summary>The width the kernels use now.</summary>
    public static VectorWidth Current
    {
        get => current;
        set => current = value;
    }

    private static VectorWidth DetectAccelerated()
    {
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported && Fma.IsSupported) return VectorWidth.Vector512;
        if (Vector256.IsHardwareAccelerated && Avx2.IsSupported && Fma.IsSupported) return VectorWidth.Vector256;
        if (Vector128.IsHardwareAccelerated && (Fma.IsSupported || AdvSimd.IsSupported)) return VectorWidth.Vector128;
        return VectorWidth.Scalar;
    }

    private static VectorWidth? FromEnvironment() => Environment.GetEnvironmentVariable("AUTOGRAD_VECTOR_WIDTH")?.Trim().ToLowerInvariant() switch
    {
        "512" => VectorWidth.Vector512,
        "256" => VectorWidth.Vector256,
        "128" => VectorWidth.Vector128,
        "scalar" or "1" or "0" => VectorWidth.Scalar,
        _ => null,
    };
}
