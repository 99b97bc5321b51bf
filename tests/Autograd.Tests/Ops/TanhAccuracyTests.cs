using NUnit.Framework;
using Shouldly;

namespace Autograd.Tests.Ops;

public class TanhAccuracyTests
{
    [Test]
    public void Tanh_SmallInputsInALongTensor_AreCorrectlyRounded()
    {
        // Long enough for the vectorised path; tanh(x) = x (1 - x²/3 + ...) to float rounding here.
        // The reference is the series x - x³/3 + 2x⁵/15 (the next term is below 1e-26 relative):
        // .NET's own MathF.Tanh / Math.Tanh are an ulp off on some of these inputs (MathF.Tanh of
        // 0x36522f5a returns a value above x, impossible for tanh), while PyTorch's Sleef tanh is
        // correctly rounded on all of them.
        var xs = Enumerable.Range(0, 64).Select(i => (float)(3.48e-7 * (i + 1))).ToArray();
        var y = Tensor.FromArray(xs).Tanh().ToArray<float>();
        for (int i = 0; i < xs.Length; i++) y[i].ShouldBe((float)Series(xs[i]), $"tanh({xs[i]:R})");

        var xd = Enumerable.Range(0, 64).Select(i => 7e-7 * (i + 1)).ToArray();
        var yd = Tensor.FromArray(xd).Tanh().ToArray<double>();
        for (int i = 0; i < xd.Length; i++) yd[i].ShouldBe(Series(xd[i]), $"tanh({xd[i]:R})");
    }

    private static double Series(double x) => x - x * x * x / 3 + 2 * Math.Pow(x, 5) / 15;
}
