using Autograd.Kernels;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Tests.Kernels;

/// <summary>
/// <see cref="FixedOrderSum"/>: the documented order at every vector width (so every machine gives
/// the same bits), and float32 sums accurate to the last bit of the rounded result.
/// </summary>
[TestFixture]
public sealed class FixedOrderSumTests
{
    private static readonly int[] Lengths = [0, 1, 2, 7, 15, 16, 17, 31, 32, 33, 100, 1023, 4096, 65_537];

    /// <summary>The algorithm as documented, written out plainly: partial i mod 16 in double, zero-padded tail, fixed tree.</summary>
    private static double Reference(double[] x)
    {
        var p = new double[16];
        int padded = (x.Length + 15) / 16 * 16;
        for (int i = 0; i < padded; i++) p[i % 16] += i < x.Length ? x[i] : 0.0;
        for (int half = 8; half >= 1; half /= 2)
            for (int j = 0; j < half; j++) p[j] += p[j + half];
        return p[0];
    }

    [Test]
    public void Sum_EveryWidthAndLength_BitIdenticalToDocumentedOrder([Values("Scalar", "Vector128", "Vector256", "Vector512")] string widthName)
    {
        var width = Enum.Parse<VectorWidth>(widthName);
        var rng = new Random(3);
        foreach (int n in Lengths)
        {
            // Magnitudes spread over many binades, so that any other order of additions would round differently.
            float[] f = Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() - 0.5) * Math.Pow(2, rng.Next(-20, 20)))).ToArray();
            double[] d = Enumerable.Range(0, n).Select(_ => (rng.NextDouble() - 0.5) * Math.Pow(2, rng.Next(-40, 40))).ToArray();
            BitConverter.DoubleToInt64Bits(FixedOrderSum.Sum(f, width))
                .ShouldBe(BitConverter.DoubleToInt64Bits(Reference(f.Select(v => (double)v).ToArray())), $"float, n = {n}, {width}");
            BitConverter.DoubleToInt64Bits(FixedOrderSum.Sum(d, width))
                .ShouldBe(BitConverter.DoubleToInt64Bits(Reference(d)), $"double, n = {n}, {width}");
        }
    }

    [Test]
    public void Sum_EveryWidth_StartsFromPlusZeroAndPropagatesNaNAndInfinity([Values("Scalar", "Vector128", "Vector256", "Vector512")] string widthName)
    {
        var width = Enum.Parse<VectorWidth>(widthName);
        BitConverter.DoubleToInt64Bits(FixedOrderSum.Sum(ReadOnlySpan<float>.Empty, width)).ShouldBe(0L);
        BitConverter.DoubleToInt64Bits(FixedOrderSum.Sum(new[] { -0f, -0f }, width)).ShouldBe(0L, "-0 + -0 added to +0 partials is +0, as PyTorch's sum");
        double.IsNaN(FixedOrderSum.Sum(new[] { 1f, float.NaN, 2f }, width)).ShouldBeTrue();
        double.IsNaN(FixedOrderSum.Sum(new[] { float.PositiveInfinity, float.NegativeInfinity }, width)).ShouldBeTrue();
        FixedOrderSum.Sum(Enumerable.Repeat(1e300, 40).Append(double.PositiveInfinity).ToArray(), width).ShouldBe(double.PositiveInfinity);
    }

    [Test]
    public void Sum_MillionFloats_RoundsToWithinHalfAnUlpOfTheExactSum()
    {
        // Accumulated in double, a float32 sum of a million terms is the exact sum rounded once
        // (the double partials lose ~1e-10 relative, far below a float's half ulp of 3e-8).
        var rng = new Random(5);
        float[] f = Enumerable.Range(0, 1_000_000).Select(_ => (float)rng.NextDouble()).ToArray();
        decimal exact = 0;
        foreach (float v in f) exact += (decimal)v;
        float sum = (float)FixedOrderSum.Sum(f, KernelWidth.Current);
        double error = Math.Abs((double)((decimal)sum - exact));
        error.ShouldBeLessThanOrEqualTo(MathF.BitIncrement(sum) - sum, "within an ulp");
        sum.ShouldBe((float)(double)exact);
    }
}
