using NUnit.Framework;
using Shouldly;

namespace Autograd.Tests.Reliability;

/// <summary>
/// <see cref="Tape.DetectAnomaly"/> (like torch.autograd.detect_anomaly): the first op whose
/// forward or backward produces NaN or infinity stops the computation, and the error names it.
/// </summary>
[TestFixture]
public sealed class AnomalyModeTests
{
    private bool _saved;

    [SetUp]
    public void On()
    {
        _saved = Tape.DetectAnomaly;
        Tape.DetectAnomaly = true;
    }

    [TearDown]
    public void Restore() => Tape.DetectAnomaly = _saved;

    private static Tensor Leaf(params float[] values)
    {
        var t = Tensor.FromArray(values);
        t.RequiresGrad = true;
        return t;
    }

    [Test]
    public void Forward_LogOfANegative_StopsAtLogNamingIt()
    {
        var x = Leaf(1, -2, 3);
        var e = Should.Throw<ArithmeticException>(() => (x * 2).Log().Exp().Sum());
        TestContext.Out.WriteLine(e.Message);
        e.Message.ShouldBe("Anomaly detected: the forward pass of Log produced NaN or infinity (output shape [3]).");
    }

    [Test]
    public void Forward_LogOfZero_InfinityIsCaughtToo()
    {
        Should.Throw<ArithmeticException>(() => Leaf(0, 1).Log()).Message.ShouldContain("forward pass of Log");
    }

    [Test]
    public void Forward_WithoutAnyTensorRequiringGrad_IsCheckedToo()
    {
        // Every forward is checked under the mode, recording or not. (PyTorch's detect_anomaly checks
        // only the backward; this mode also stops at the forward op that first made the NaN.)
        Should.Throw<ArithmeticException>(() => Tensor.FromArray(new[] { -1.0 }).Sqrt()).Message.ShouldContain("Sqrt");
    }

    [Test]
    public void Forward_DivisionByZero_NamesDiv()
    {
        var x = Leaf(1, 2);
        Should.Throw<ArithmeticException>(() => x / Tensor.FromArray(new[] { 1f, 0f })).Message.ShouldContain("forward pass of Div");
    }

    [Test]
    public void Backward_SqrtAtZero_StopsAtSqrtBackwardBeforeAnyGradientIsWritten()
    {
        var x = Leaf(0, 4);
        var y = (x.Sqrt() * 3).Sum(); // forward finite: sqrt(0) = 0
        var e = Should.Throw<ArithmeticException>(() => y.Backward());
        TestContext.Out.WriteLine(e.Message);
        e.Message.ShouldBe("Anomaly detected: SqrtBackward returned NaN or infinity in its gradient for input 0 (shape [2]).");
        x.Grad.ShouldBeNull();
    }

    [Test]
    public void Backward_OnlyTheOpWhoseGradientIsNonFiniteIsNamed()
    {
        // Backward runs Sum, Tanh (finite), then Pow: 0.5 · 0^-0.5 = inf.
        var u = Leaf(0, 1);
        var v = u.Pow(0.5).Tanh().Sum();
        Should.Throw<ArithmeticException>(() => v.Backward()).Message
            .ShouldBe("Anomaly detected: PowBackward returned NaN or infinity in its gradient for input 0 (shape [2]).");
    }

    [Test]
    public void Backward_FiniteEverywhere_RaisesNothing()
    {
        var x = Leaf(1e-30f, 1, 1e30f);
        var y = (x.Sqrt() * 2 + x.Sigmoid() + (x + 1).Log()).Sum();
        Should.NotThrow(() => y.Backward());
        x.Grad!.ToArray<float>().ShouldAllBe(g => float.IsFinite(g));
    }

    [Test]
    public void Function_CustomOpProducingNaN_IsNamedByItsName()
    {
        var x = Leaf(1, 2);
        Should.Throw<ArithmeticException>(() => new NaNByOpFunction().Apply(x)).Message.ShouldContain("forward pass of Mul");
        Should.Throw<ArithmeticException>(() => new NaNMakerFunction().Apply(x)).Message.ShouldContain("forward pass of NaNMaker");
        var y = new BadGradFunction().Apply(x).Sum();
        Should.Throw<ArithmeticException>(() => y.Backward()).Message.ShouldContain("BadGradBackward");
    }

    [Test]
    public void Off_SameComputations_GiveNaNAndInfinityLikePyTorch()
    {
        Tape.DetectAnomaly = false;
        var x = Leaf(1, -2);
        double.IsNaN(x.Log().ToArray<float>()[1]).ShouldBeTrue();
        var z = Leaf(0, 4);
        (z.Sqrt() * 3).Sum().Backward();
        float.IsPositiveInfinity(z.Grad!.ToArray<float>()[0]).ShouldBeTrue();
    }

    private sealed class NaNMakerFunction : Function
    {
        // Written by a kernel of its own, not by tensor ops (an op inside Forward is checked, and named, itself).
        protected override Tensor Forward(IReadOnlyList<Tensor> inputs) => Tensor.FromArray(new float[inputs[0].NumberOfElements].Select(_ => float.NaN).ToArray());

        protected override IReadOnlyList<Tensor?> Backward(Tensor gradOutput) => [gradOutput];
    }

    private sealed class NaNByOpFunction : Function
    {
        protected override Tensor Forward(IReadOnlyList<Tensor> inputs) => inputs[0] * float.NaN;

        protected override IReadOnlyList<Tensor?> Backward(Tensor gradOutput) => [gradOutput];
    }

    private sealed class BadGradFunction : Function
    {
        protected override Tensor Forward(IReadOnlyList<Tensor> inputs) => inputs[0] * 1;

        protected override IReadOnlyList<Tensor?> Backward(Tensor gradOutput) => [gradOutput / 0.0];
    }
}
