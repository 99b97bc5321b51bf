using Autograd.Kernels;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Tests.Kernels;

/// <summary>The width seam: 512-bit kernels only when asked for, and the setting is honoured.</summary>
[TestFixture]
public sealed class KernelWidthTests
{
    [Test]
    public void Default_WithoutOverride_NeverPicks512BitKernels()
    {
        if (Environment.GetEnvironmentVariable("AUTOGRAD_VECTOR_WIDTH") is { Length: > 0 })
            Assert.Ignore("AUTOGRAD_VECTOR_WIDTH is set: the default is what it names.");
        var expected = KernelWidth.Accelerated == VectorWidth.Vector512 ? VectorWidth.Vector256 : KernelWidth.Accelerated;
        KernelWidth.Default.ShouldBe(expected, "on AVX-512 CPUs (Zen 4) the 512-bit kernels measured slower; see docs/performance.md");
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
