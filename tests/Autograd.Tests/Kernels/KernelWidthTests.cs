using Autograd.Kernels;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Tests.Kernels;

/// <summary>
/// The width seam: 512-bit kernels only where they were measured faster (AMD Zen 5 and later) or
/// when asked for, and the setting is honoured.
/// </summary>
[TestFixture]
public sealed class KernelWidthTests
{
    [Test]
    public void Default_WithoutOverride_Picks512BitKernelsOnlyWhereMeasuredFaster()
    {
        if (Environment.GetEnvironmentVariable("AUTOGRAD_VECTOR_WIDTH") is { Length: > 0 })
            Assert.Ignore("AUTOGRAD_VECTOR_WIDTH is set: the default is what it names.");
        var expected = KernelWidth.Accelerated == VectorWidth.Vector512 && !KernelWidth.WideMeasuredFaster
            ? VectorWidth.Vector256
            : KernelWidth.Accelerated;
        KernelWidth.Default.ShouldBe(expected, "on Zen 4 the 512-bit kernels measured slower, on Zen 5 faster; see docs/performance.md");
    }

    // CPUID leaf 0 vendor registers (EBX, ECX, EDX) and leaf 1 EAX of real CPUs.
    private const int AmdEbx = 0x68747541, AmdEcx = 0x444D4163, AmdEdx = 0x69746E65;
    private const int IntelEbx = 0x756E6547, IntelEcx = 0x6C65746E, IntelEdx = 0x49656E69;

    [TestCase(AmdEbx, AmdEcx, AmdEdx, 0x00B00F21, true, TestName = "AMD EPYC Zen 5 (family 1Ah)")]
    [TestCase(AmdEbx, AmdEcx, AmdEdx, 0x00A10F11, false, TestName = "AMD EPYC Zen 4 (family 19h)")]
    [TestCase(AmdEbx, AmdEcx, AmdEdx, 0x00A00F11, false, TestName = "AMD EPYC Zen 3 (family 19h)")]
    [TestCase(AmdEbx, AmdEcx, AmdEdx, 0x00830F10, false, TestName = "AMD EPYC Zen 2 (family 17h)")]
    [TestCase(IntelEbx, IntelEcx, IntelEdx, 0x000806F8, false, TestName = "Intel Sapphire Rapids (not measured)")]
    public void WideMeasuredFaster_ReadsVendorAndFamilyFromCpuid(int ebx, int ecx, int edx, int eax, bool expected)
    {
        KernelWidth.IsAmdFamilyAtLeast(0x1A, ebx, ecx, edx, eax).ShouldBe(expected);
    }

    [Test]
    public void Current_EveryWidth_GemmGivesTheExactProduct()
    {
        var before = KernelWidth.Current;
        try
        {
            float[] a = [1, 2, 3, 4], b = [5, 6, 7, 8];
            foreach (var width in Enum.GetValues<VectorWidth>())
            {
                KernelWidth.Current = width;
                KernelWidth.Current.ShouldBe(width);
                var c = new float[4];
                MatMulKernel.Gemm(false, false, 2, 2, 2, a, b, c);
                c.ShouldBe([19f, 22f, 43f, 50f]);
            }
        }
        finally
        {
            KernelWidth.Current = before;
        }
    }
}
