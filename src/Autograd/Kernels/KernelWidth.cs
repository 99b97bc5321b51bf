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
/// The default is the widest accelerated width, except that 512-bit kernels are used only on
/// CPUs where they were measured faster (<see cref="WideMeasuredFaster"/>: AMD Zen 5 and later)
/// or when asked for. On AMD Zen 4, which executes a 512-bit operation as two 256-bit halves,
/// the 512-bit matrix kernels measured slower than the 256-bit ones; on Zen 5 the 1024³ product
/// runs about 1.7x faster with them (docs/performance.md). Set the
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

    /// <summary>
    /// Whether this CPU is one on which the 512-bit kernels were measured faster than the 256-bit
    /// ones: AMD Zen 5 and later (family 1Ah and up), whose FMA units are 512 bits wide. On Zen 4
    /// (family 19h), which splits a 512-bit operation into two 256-bit halves, they were measured
    /// slower; Intel CPUs with AVX-512 have not been measured.
    /// </summary>
    public static bool WideMeasuredFaster { get; } = IsAmdFamilyAtLeast(0x1A);

    private static VectorWidth current = Default; // after Accelerated and WideMeasuredFaster: static initialisers run in textual order

    /// <summary>The width used unless <see cref="Current"/> is changed: see the remarks.</summary>
    public static VectorWidth Default => FromEnvironment() ?? (Accelerated == VectorWidth.Vector512 && !WideMeasuredFaster ? VectorWidth.Vector256 : Accelerated);

    private static bool IsAmdFamilyAtLeast(int family)
    {
        if (!X86Base.IsSupported) return false;
        var (_, ebx, ecx, edx) = X86Base.CpuId(0, 0);
        return IsAmdFamilyAtLeast(family, ebx, ecx, edx, X86Base.CpuId(1, 0).Eax);
    }

    /// <summary>
    /// Whether CPUID's vendor registers (leaf 0: EBX, ECX, EDX) say "AuthenticAMD" and its leaf-1
    /// EAX gives a family of at least <paramref name="family"/> (base family, plus the extended
    /// family when the base is 0Fh).
    /// </summary>
    internal static bool IsAmdFamilyAtLeast(int family, int ebx, int ecx, int edx, int eax)
    {
        bool amd = ebx == 0x68747541 && edx == 0x69746E65 && ecx == 0x444D4163; // "Auth" "enti" "cAMD"
        if (!amd) return false;
        int baseFamily = (eax >> 8) & 0xF;
        int fullFamily = baseFamily == 0xF ? baseFamily + ((eax >> 20) & 0xFF) : baseFamily;
        return fullFamily >= family;
    }

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
