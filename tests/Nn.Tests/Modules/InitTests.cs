using NUnit.Framework;
using Shouldly;

namespace Autograd.Nn.Tests.Modules;

/// <summary><see cref="Init"/>: the bounds follow PyTorch's formulas, the samples their distributions, and bad arguments throw.</summary>
[TestFixture]
public sealed class InitTests
{
    [Test]
    public void KaimingUniform_BoundIsPyTorchs()
    {
        // kaiming_uniform_(w, a=sqrt(5)) on fan_in 3: PyTorch's bound is
        // sqrt(3) * (sqrt(2 / (1 + a**2)) / sqrt(3)) = 0.5773502691896257 (1 ulp below 1/sqrt(3)).
        var w = Init.KaimingUniform(Tensor.Zeros([20_000, 3], DType.Float64), Math.Sqrt(5), new Generator(1));
        double[] v = w.ToArray<double>();
        v.Max().ShouldBeLessThanOrEqualTo(0.5773502691896257);
        v.Min().ShouldBeGreaterThanOrEqualTo(-0.5773502691896257);
        v.Max().ShouldBeGreaterThan(0.577);
    }

    [Test]
    public void KaimingUniform_ReluGain_BoundIsSqrtSixOverFanIn()
    {
        // a = 0: gain sqrt(2), bound sqrt(3) sqrt(2) / sqrt(fan_in) = sqrt(6 / fan_in); fan_in = 2 * 3 * 2 = 12.
        var w = Init.KaimingUniform(Tensor.Zeros([500, 2, 3, 2], DType.Float64), 0, new Generator(2));
        double bound = Math.Sqrt(6.0 / 12);
        double[] v = w.ToArray<double>();
        v.ShouldAllBe(x => Math.Abs(x) <= bound);
        v.Max().ShouldBeGreaterThan(bound * 0.99);
    }

    [Test]
    public void XavierUniform_BoundFromFanInAndFanOut()
    {
        var w = Init.XavierUniform(Tensor.Zeros([300, 200], DType.Float64), 2, new Generator(3));
        double bound = 2 * Math.Sqrt(6.0 / 500);
        double[] v = w.ToArray<double>();
        v.ShouldAllBe(x => Math.Abs(x) <= bound);
        v.Max().ShouldBeGreaterThan(bound * 0.999);
        v.Min().ShouldBeLessThan(-bound * 0.999);
    }

    [Test]
    public void Normal_MeanAndStandardDeviation()
    {
        // n = 40,000: the sample mean has standard error std/sqrt(n) = 0.015, the sample variance
        // std² sqrt(2/n) = 0.0634; 5 standard errors.
        const int n = 40_000;
        double[] v = Init.Normal(Tensor.Zeros([n], DType.Float64), 1.5, 3, new Generator(4)).ToArray<double>();
        double mean = v.Average();
        Math.Abs(mean - 1.5).ShouldBeLessThan(5 * 3 / Math.Sqrt(n));
        double variance = v.Select(x => (x - mean) * (x - mean)).Average();
        Math.Abs(variance - 9).ShouldBeLessThan(5 * 9 * Math.Sqrt(2.0 / n));
    }

    [Test]
    public void Uniform_StaysInRange_SameSeedSameValues()
    {
        var a = Init.Uniform(Tensor.Zeros(1000), -2, 3, new Generator(5));
        a.ToArray<float>().ShouldAllBe(x => x >= -2 && x <= 3);
        Init.Uniform(Tensor.Zeros(1000), -2, 3, new Generator(5)).ToArray<float>().ShouldBe(a.ToArray<float>());
    }

    [Test]
    public void Constant_ZerosOnes_Fill_AndBumpTheVersion()
    {
        var t = Tensor.Zeros([2, 2], DType.Float64);
        int version = t.Storage.Version;
        Init.Constant(t, 2.5).ShouldBeSameAs(t);
        t.ToArray<double>().ShouldBe([2.5, 2.5, 2.5, 2.5]);
        t.Storage.Version.ShouldBeGreaterThan(version);
        Init.Ones(t).ToArray<double>().ShouldBe([1.0, 1, 1, 1]);
        Init.Zeros(t).ToArray<double>().ShouldBe([0.0, 0, 0, 0]);
    }

    [Test]
    public void CalculateFanInAndFanOut_IncludesReceptiveField()
    {
        Init.CalculateFanInAndFanOut(Tensor.Zeros(5, 3)).ShouldBe((3, 5));
        Init.CalculateFanInAndFanOut(Tensor.Zeros(4, 2, 3, 3)).ShouldBe((18, 36));
        Should.Throw<ArgumentException>(() => Init.CalculateFanInAndFanOut(Tensor.Zeros(5))).Message.ShouldContain("fewer than 2 dimensions");
    }

    [Test]
    public void BadArguments_Throw()
    {
        var t = Tensor.Zeros(3, 3);
        Should.Throw<ArgumentException>(() => Init.Uniform(t, 1, 0)).Message.ShouldContain("low <= high");
        Should.Throw<ArgumentException>(() => Init.Uniform(t, 0, double.PositiveInfinity));
        Should.Throw<ArgumentException>(() => Init.Normal(t, 0, -1)).Message.ShouldContain("std");
        Should.Throw<ArgumentException>(() => Init.KaimingUniform(Tensor.Zeros(3))).Message.ShouldContain("fewer than 2 dimensions");
        Should.Throw<ArgumentException>(() => Init.KaimingUniform(t, double.NaN));
        Should.Throw<ArgumentException>(() => Init.XavierUniform(t, double.NaN));
        Should.Throw<ArgumentException>(() => Init.Constant(Tensor.Zeros([2], DType.Int64), 1)).Message.ShouldContain("Int64");
        Should.Throw<ArgumentNullException>(() => Init.Zeros(null!));
    }
}
