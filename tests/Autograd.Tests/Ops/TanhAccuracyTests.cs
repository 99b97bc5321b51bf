using NUnit.Framework;
using Shouldly;

namespace Autograd.Tests.Ops;

public class TanhAccuracyTests
{
    [Test]
    public void Tanh_SmallInputsInALongTensor_AreCorrectlyRounded()
    {
        // Long enough for the vectorised path; tanh(x) = x (1 - x²/3 + ...) to float rounding here.
        var xs = Enumerable.Range(0, 64).Select(i => (float)(3.48e-7 * (i + 1))).ToArray();
        var y = Tensor.FromArray(xs).Tanh().ToArray<float>();
        for (int i = 0; i < xs.Length; i++) y[i].ShouldBe(MathF.Tanh(xs[i]));

        var xd = Enumerable.Range(0, 64).Select(i => 7e-7 * (i + 1)).ToArray();
        var yd = Tensor.FromArray(xd).Tanh().ToArray<double>();
        for (int i = 0; i < xd.Length; i++) yd[i].ShouldBe(Math.Tanh(xd[i]));
    }
}
