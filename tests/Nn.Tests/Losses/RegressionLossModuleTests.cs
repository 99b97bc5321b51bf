using NUnit.Framework;
using Shouldly;
using F = Autograd.Nn.Functional;

namespace Autograd.Nn.Tests.Losses;

/// <summary>MSELoss, L1Loss, HuberLoss and SmoothL1Loss modules: options, one-line forwards, constructor validation.</summary>
[TestFixture]
public sealed class RegressionLossModuleTests
{
    private static readonly Tensor X = Tensor.FromArray(new[] { 0f, 1f, -2f, 0.25f }, 2, 2);
    private static readonly Tensor Y = Tensor.FromArray(new[] { 0.5f, -1f, 1f, 0.25f }, 2, 2);

    [Test]
    public void Defaults_ArePyTorchs()
    {
        new MSELoss().Reduction.ShouldBe(Reduction.Mean);
        new L1Loss().Reduction.ShouldBe(Reduction.Mean);
        new HuberLoss().Delta.ShouldBe(1.0);
        new SmoothL1Loss().Beta.ShouldBe(1.0);
    }

    [Test]
    public void Forward_EqualsFunctional([Values] Reduction reduction)
    {
        Assert.Multiple(() =>
        {
            Assert.That(new MSELoss(reduction).Forward(X, Y).ToArray<float>(), Is.EqualTo(F.MseLoss(X, Y, reduction).ToArray<float>()));
            Assert.That(new L1Loss(reduction).Forward(X, Y).ToArray<float>(), Is.EqualTo(F.L1Loss(X, Y, reduction).ToArray<float>()));
            var huber = new HuberLoss(reduction, delta: 0.75);
            (huber.Reduction, huber.Delta).ShouldBe((reduction, 0.75));
            Assert.That(huber.Forward(X, Y).ToArray<float>(), Is.EqualTo(F.HuberLoss(X, Y, reduction, 0.75).ToArray<float>()));
            var smooth = new SmoothL1Loss(reduction, beta: 0.5);
            (smooth.Reduction, smooth.Beta).ShouldBe((reduction, 0.5));
            Assert.That(smooth.Forward(X, Y).ToArray<float>(), Is.EqualTo(F.SmoothL1Loss(X, Y, reduction, 0.5).ToArray<float>()));
        });
    }

    [Test]
    public void Forward_KnownValues()
    {
        // d = [-0.5, 2, -3, 0]
        new MSELoss().Forward(X, Y).Item().ShouldBe((0.25 + 4 + 9 + 0) / 4);
        new L1Loss(Reduction.Sum).Forward(X, Y).Item().ShouldBe(5.5);
        new HuberLoss(Reduction.Sum).Forward(X, Y).Item().ShouldBe(0.125 + 1.5 + 2.5 + 0);
        new SmoothL1Loss(Reduction.Sum, beta: 0).Forward(X, Y).Item().ShouldBe(5.5);
    }

    [Test]
    public void Constructor_BadOptions_Throw()
    {
        Should.Throw<ArgumentOutOfRangeException>(() => new HuberLoss(delta: 0)).ParamName.ShouldBe("delta");
        Should.Throw<ArgumentOutOfRangeException>(() => new HuberLoss(delta: double.NaN)).ParamName.ShouldBe("delta");
        Should.Throw<ArgumentOutOfRangeException>(() => new SmoothL1Loss(beta: -1)).ParamName.ShouldBe("beta");
        Should.Throw<ArgumentOutOfRangeException>(() => new MSELoss((Reduction)3)).ParamName.ShouldBe("reduction");
        Should.Throw<ArgumentOutOfRangeException>(() => new L1Loss((Reduction)3)).ParamName.ShouldBe("reduction");
        new SmoothL1Loss(beta: 0).Beta.ShouldBe(0);
    }

    [Test]
    public void Forward_ColumnAgainstVector_Throws()
    {
        var ex = Should.Throw<ArgumentException>(() => new MSELoss().Forward(Tensor.Zeros(4, 1), Tensor.Zeros(4)));
        ex.Message.ShouldContain("[4, 1]");
    }
}
