using NUnit.Framework;
using Shouldly;

namespace Autograd.Nn.Tests.Losses;

[TestFixture]
public sealed class NLLLossTests
{
    [Test]
    public void Forward_ReferenceLogProbabilities_MatchesCrossEntropyOfLogits()
    {
        var logp = Tensor.FromArray(new float[,] { { 4, 8, 3 } }).LogSoftmax(1);

        var loss = new NLLLoss().Forward(logp, Tensor.FromArray(new long[] { 1 }, 1));

        ((float)loss.Item()).ShouldBe(0.024744924157857895f);
    }

    [Test]
    public void Forward_WeightsAndIgnoredTarget_IsWeightedMeanOverKeptTargets()
    {
        // -(0.5·(-1) + 3·(-6)) / (0.5 + 3): the ignored row counts neither in the sum nor the weights.
        var logp = Tensor.FromArray(new double[,] { { -1, -2, -3 }, { -4, -5, -6 }, { -7, -8, -9 } });
        var weight = Tensor.FromArray(new double[] { 0.5, 2, 3 }, 3);

        var loss = new NLLLoss(weight, ignoreIndex: 1).Forward(logp, Tensor.FromArray(new long[] { 0, 2, 1 }, 3));

        loss.Item().ShouldBe(18.5 / 3.5, 1e-15);
    }

    [Test]
    public void Forward_Gradient_IsMinusWeightOverTotalAtTargets()
    {
        var logp = Tensor.FromArray(new double[,] { { -1, -2 }, { -3, -4 } });
        logp.RequiresGrad = true;
        var weight = Tensor.FromArray(new double[] { 1, 3 }, 2);

        new NLLLoss(weight).Forward(logp, Tensor.FromArray(new long[] { 1, 0 }, 2)).Backward();

        logp.Grad!.ToArray<double>().ShouldBe([0, -0.75, -0.25, 0]);
    }

    [Test]
    public void Forward_NoneReduction_ReturnsTargetShapedLosses()
    {
        var logp = Tensor.FromArray(new float[] { -1, -2, -3, -4, -5, -6, -7, -8, -9, -10, -11, -12 }, 2, 3, 2); // (N=2, C=3, d=2)
        var target = Tensor.FromArray(new long[] { 0, 2, -100, 1 }, 2, 2);

        var loss = new NLLLoss(reduction: Reduction.None).Forward(logp, target);

        loss.Shape.ShouldBe([2, 2]);
        loss.ToArray<float>().ShouldBe([1f, 6f, 0f, 10f]);
    }

    [Test]
    public void Constructor_Defaults_MatchPyTorch()
    {
        var loss = new NLLLoss();

        loss.Weight.ShouldBeNull();
        loss.IgnoreIndex.ShouldBe(-100);
        loss.Reduction.ShouldBe(Reduction.Mean);
    }

    [Test]
    public void Constructor_Options_AreExposed()
    {
        var weight = Tensor.Ones(4);
        var loss = new NLLLoss(weight, ignoreIndex: 3, reduction: Reduction.None);

        loss.Weight.ShouldBeSameAs(weight);
        loss.IgnoreIndex.ShouldBe(3);
        loss.Reduction.ShouldBe(Reduction.None);
    }

    [Test]
    public void Constructor_WeightNotOneDimensional_Throws() =>
        Should.Throw<ArgumentException>(() => new NLLLoss(Tensor.Ones(2, 2))).Message.ShouldContain("[2, 2]");

    [Test]
    public void Constructor_UnknownReduction_Throws() =>
        Should.Throw<ArgumentOutOfRangeException>(() => new NLLLoss(reduction: (Reduction)(-1)));
}
