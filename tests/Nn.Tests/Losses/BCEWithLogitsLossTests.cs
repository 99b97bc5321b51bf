using NUnit.Framework;
using Shouldly;
using F = Autograd.Nn.Functional;

namespace Autograd.Nn.Tests.Losses;

/// <summary>BCEWithLogitsLoss and Functional.BinaryCrossEntropyWithLogits: REFERENCE.md's facts, semantics and every rejected argument.</summary>
[TestFixture]
public sealed class BCEWithLogitsLossTests
{
    private static Tensor Leaf(Tensor t)
    {
        t.RequiresGrad = true;
        return t;
    }

    [Test]
    public void Forward_ExtremeLogits_FiniteLossAndGradient([Values(DType.Float32, DType.Float64)] DType dtype)
    {
        // REFERENCE.md: x = -1e4, y = 1, p = 3 -> 30000, gradient -3; x = 1e4, y = 0 -> 10000, gradient 1.
        var x = Leaf(Tensor.FromArray(new[] { -1e4, 1e4 }, 2).To(dtype));
        var y = Tensor.FromArray(new[] { 1.0, 0.0 }, 2).To(dtype);
        var loss = F.BinaryCrossEntropyWithLogits(x, y, posWeight: Tensor.Scalar(3, dtype), reduction: Reduction.None);
        loss.ToArray<double>().ShouldBe([30000, 10000]);
        Tape.Grad(loss.Sum(), [x])[0].ToArray<double>().ShouldBe([-3, 1]);
    }

    [Test]
    public void Forward_LogitsOfPlusMinus100_RoundLikePyTorch([Values(DType.Float32, DType.Float64)] DType dtype)
    {
        var x = Leaf(Tensor.FromArray(new[] { -100.0, 100.0, 100.0, -100.0 }, 4).To(dtype));
        var y = Tensor.FromArray(new[] { 1.0, 0.0, 1.0, 0.0 }, 4).To(dtype);
        var loss = F.BinaryCrossEntropyWithLogits(x, y, reduction: Reduction.None).ToArray<double>();
        // The true losses are 100 + log1p(e^-100) and log1p(e^-100) = 3.7e-44; PyTorch 1.13's
        // m + log(e^-m + e^(-x - m)) rounds 1 + e^-100 to 1, so it gives exactly 100 and 0, and so do we.
        loss.ShouldBe([100, 100, 0, 0]);
    }

    [Test]
    public void SecondDerivative_ThroughCreateGraph_IsSigmoidPrimeOverN([Values(DType.Float32, DType.Float64)] DType dtype)
    {
        var x = Leaf((Tensor.Rand([2, 3], new Generator(21), dtype) - 0.5) * 6);
        var y = Tensor.Rand([2, 3], new Generator(22), dtype);
        var loss = new BCEWithLogitsLoss().Forward(x, y);
        var grad = Tape.Grad(loss, [x], createGraph: true)[0];
        grad.RequiresGrad.ShouldBeTrue();
        // The loss is a sum of per-element terms, so the Hessian is diagonal: d(sum of grad)/dx_i = σ'(x_i) / N.
        var second = Tape.Grad(grad.Sum(), [x])[0].ToArray<double>();
        var s = x.Detach().Sigmoid().ToArray<double>();
        for (int i = 0; i < 6; i++) second[i].ShouldBe(s[i] * (1 - s[i]) / 6, dtype == DType.Float32 ? 1e-8 : 1e-17, $"element {i}");
    }

    [Test]
    public void Forward_PerClassPosWeight_ScalesOnlyThePositiveTerm([Values(DType.Float32, DType.Float64)] DType dtype)
    {
        // A multi-label (N, C) = (3, 2) input with pos_weight (C): for y = 1 the loss is p_c times the unweighted one, for y = 0 unchanged.
        var x = Tensor.FromArray(new double[,] { { 0.5, -1.5 }, { 2.0, 0.25 }, { -0.75, 1.0 } }).To(dtype);
        var y = Tensor.FromArray(new double[,] { { 1, 0 }, { 0, 1 }, { 1, 1 } }).To(dtype);
        var p = Tensor.FromArray(new[] { 3.0, 0.5 }, 2).To(dtype);
        var plain = F.BinaryCrossEntropyWithLogits(x, y, reduction: Reduction.None).ToArray<double>();
        var weighted = F.BinaryCrossEntropyWithLogits(x, y, posWeight: p, reduction: Reduction.None).ToArray<double>();
        double[] factor = [3, 1, 1, 0.5, 3, 0.5];
        for (int i = 0; i < 6; i++) weighted[i].ShouldBe(plain[i] * factor[i], plain[i] * (dtype == DType.Float32 ? 1e-6 : 1e-15), $"element {i}");
    }

    [Test]
    public void Backward_AfterInPlaceChangeOfPosWeight_Throws()
    {
        // The weights are saved for backward like the inputs, so a stale value cannot be used silently.
        var x = Leaf(Tensor.Zeros(2));
        var p = Tensor.FromArray(new[] { 2f, 3f }, 2);
        var loss = F.BinaryCrossEntropyWithLogits(x, Tensor.Ones(2), posWeight: p);
        p.Buffer<float>()[0] = 5;
        p.BumpVersion();
        Should.Throw<InvalidOperationException>(() => loss.Backward()).Message.ShouldContain("modified by an in-place operation");
    }

    [Test]
    public void Forward_IsOneFusedOp() =>
        F.BinaryCrossEntropyWithLogits(Leaf(Tensor.Zeros(3)), Tensor.Ones(3)).GradFnName.ShouldBe("BinaryCrossEntropyWithLogitsBackward");

    [Test]
    public void Forward_EmptyInput_MeanIsNaN()
    {
        var x = Leaf(Tensor.Zeros(0, 4));
        var loss = F.BinaryCrossEntropyWithLogits(x, Tensor.Zeros(0, 4), posWeight: Tensor.Ones(4));
        double.IsNaN(loss.Item()).ShouldBeTrue();
        Tape.Grad(loss, [x])[0].Shape.ShouldBe([0, 4]);
    }

    [TestCase(new[] { 5 })]
    [TestCase(new[] { 3 })]
    [TestCase(new[] { 1, 1, 4 })]
    public void Forward_PosWeightThatDoesNotBroadcast_Throws(int[] shape)
    {
        var ex = Should.Throw<ArgumentException>(() => F.BinaryCrossEntropyWithLogits(Tensor.Zeros(2, 4), Tensor.Zeros(2, 4), posWeight: Tensor.Ones(shape)));
        ex.ParamName.ShouldBe("posWeight");
        ex.Message.ShouldContain("[" + string.Join(", ", shape) + "]");
        ex.Message.ShouldContain("[2, 4]");
    }

    [Test]
    public void Forward_WeightThatDoesNotBroadcast_Throws()
    {
        var ex = Should.Throw<ArgumentException>(() => F.BinaryCrossEntropyWithLogits(Tensor.Zeros(2, 4), Tensor.Zeros(2, 4), weight: Tensor.Ones(2)));
        ex.ParamName.ShouldBe("weight");
        ex.Message.ShouldContain("[2, 4]");
    }

    [Test]
    public void Forward_PosWeightOrWeightRequiringGrad_ThrowsWhileRecording()
    {
        Should.Throw<ArgumentException>(() => F.BinaryCrossEntropyWithLogits(Tensor.Zeros(2), Tensor.Zeros(2), posWeight: Leaf(Tensor.Ones(2))))
            .Message.ShouldContain("not differentiable with respect to posWeight");
        Should.Throw<ArgumentException>(() => F.BinaryCrossEntropyWithLogits(Tensor.Zeros(2), Tensor.Zeros(2), weight: Leaf(Tensor.Ones(2))))
            .ParamName.ShouldBe("weight");
    }

    [Test]
    public void Forward_BadDTypes_Throw()
    {
        var ints = Tensor.FromArray(new long[] { 0, 1 }, 2);
        Should.Throw<ArgumentException>(() => F.BinaryCrossEntropyWithLogits(ints, Tensor.Zeros(2))).ParamName.ShouldBe("input");
        Should.Throw<ArgumentException>(() => F.BinaryCrossEntropyWithLogits(Tensor.Zeros(2), ints)).ParamName.ShouldBe("target");
        Should.Throw<ArgumentException>(() => F.BinaryCrossEntropyWithLogits(Tensor.Zeros(2), Tensor.Zeros(2), posWeight: ints)).ParamName.ShouldBe("posWeight");
        var ex = Should.Throw<ArgumentException>(() => F.BinaryCrossEntropyWithLogits(Tensor.Zeros([2], DType.Float64), Tensor.Zeros(2)));
        ex.ParamName.ShouldBe("target");
        ex.Message.ShouldContain("target is Float32 but the input is Float64");
        Should.Throw<ArgumentException>(() => F.BinaryCrossEntropyWithLogits(Tensor.Zeros(2), Tensor.Zeros(2), posWeight: Tensor.Ones([2], DType.Float64)))
            .ParamName.ShouldBe("posWeight");
    }

    [Test]
    public void Forward_TargetOfOtherShape_Throws()
    {
        var ex = Should.Throw<ArgumentException>(() => new BCEWithLogitsLoss().Forward(Tensor.Zeros(4, 1), Tensor.Zeros(4)));
        ex.ParamName.ShouldBe("target");
        ex.Message.ShouldContain("[4, 1]");
    }

    [Test]
    public void Forward_NullArguments_Throw()
    {
        Should.Throw<ArgumentNullException>(() => new BCEWithLogitsLoss().Forward(null!, Tensor.Zeros(2))).ParamName.ShouldBe("input");
        Should.Throw<ArgumentNullException>(() => F.BinaryCrossEntropyWithLogits(Tensor.Zeros(2), null!)).ParamName.ShouldBe("target");
    }

    [Test]
    public void Constructor_StoresOptions_ForwardEqualsFunctional()
    {
        var w = Tensor.FromArray(new[] { 1f, 2f }, 2);
        var p = Tensor.FromArray(new[] { 3f, 0.5f }, 2);
        var loss = new BCEWithLogitsLoss(weight: w, posWeight: p, reduction: Reduction.Sum);
        loss.Weight.ShouldBeSameAs(w);
        loss.PosWeight.ShouldBeSameAs(p);
        loss.Reduction.ShouldBe(Reduction.Sum);
        var x = Tensor.FromArray(new[] { 0.3f, -1.6f }, 2);
        var y = Tensor.FromArray(new[] { 1f, 0.25f }, 2);
        loss.Forward(x, y).Item().ShouldBe(F.BinaryCrossEntropyWithLogits(x, y, w, p, Reduction.Sum).Item());
        var defaults = new BCEWithLogitsLoss();
        defaults.Reduction.ShouldBe(Reduction.Mean);
        defaults.Weight.ShouldBeNull();
        defaults.PosWeight.ShouldBeNull();
    }

    [Test]
    public void Constructor_BadOptions_Throw()
    {
        Should.Throw<ArgumentException>(() => new BCEWithLogitsLoss(posWeight: Tensor.FromArray(new long[] { 1 }, 1))).ParamName.ShouldBe("posWeight");
        Should.Throw<ArgumentException>(() => new BCEWithLogitsLoss(weight: Tensor.FromArray(new long[] { 1 }, 1))).ParamName.ShouldBe("weight");
        Should.Throw<ArgumentOutOfRangeException>(() => new BCEWithLogitsLoss(reduction: (Reduction)(-1))).ParamName.ShouldBe("reduction");
    }
}
