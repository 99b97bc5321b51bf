using NUnit.Framework;
using Shouldly;
using F = Autograd.Nn.Functional;

namespace Autograd.Nn.Tests.Losses;

/// <summary>BCELoss and Functional.BinaryCrossEntropy: REFERENCE.md's facts, semantics and every rejected argument.</summary>
[TestFixture]
public sealed class BCELossTests
{
    private static Tensor Leaf(Tensor t)
    {
        t.RequiresGrad = true;
        return t;
    }

    [Test]
    public void Forward_SigmoidOfReferenceLogits_Is0Point5828806757926941()
    {
        // REFERENCE.md (PyTorch 1.13, float32). A widely copied blog post prints 0.4661467661857605.
        var p = Tensor.FromArray(new[] { 0.2f, 0.4f, 0.6f }, 3).Sigmoid();
        var y = Tensor.FromArray(new[] { 0f, 1f, 1f }, 3);
        var loss = new BCELoss().Forward(p, y);
        loss.DType.ShouldBe(DType.Float32);
        // Within 1 float32 ulp (6e-8): Sigmoid (TensorPrimitives) and torch.sigmoid (SLEEF) may round differently.
        loss.Item().ShouldBe(0.5828806757926941, 6e-8);
        Math.Abs(loss.Item() - 0.4661467661857605).ShouldBeGreaterThan(0.1);
    }

    [Test]
    public void Forward_ProbabilitiesExactlyZeroAndOne_LossClampedAt100AndGradientFinite([Values(DType.Float32, DType.Float64)] DType dtype)
    {
        var x = Leaf(Tensor.FromArray(new[] { 0.0, 0.0, 1.0, 1.0 }, 4).To(dtype));
        var y = Tensor.FromArray(new[] { 0.0, 1.0, 0.0, 1.0 }, 4).To(dtype);
        var loss = F.BinaryCrossEntropy(x, y, reduction: Reduction.None);
        loss.ToArray<double>().ShouldBe([0, 100, 100, 0]);
        var grad = Tape.Grad(loss.Sum(), [x])[0].ToArray<double>();
        // (x - y) / max(x (1 - x), EPSILON) with PyTorch's EPSILON = 1e-12f, divided in the dtype:
        // float32 ±9.99999995904e11, float64 ±1.0000000039958e12 (not ±1e12).
        double big = dtype == DType.Float32 ? 1f / 1e-12f : 1 / (double)1e-12f;
        grad.ShouldBe([0, -big, big, 0]);
        Assert.That(grad.All(double.IsFinite));
    }

    [Test]
    public void Forward_InputNearOne_UsesLogOfOneMinusX()
    {
        // PyTorch 1.13 computes log(1 - x) (not log1p(-x)): in float32 1 - 1e-8 is 1, so the loss is exactly 0.
        var loss = F.BinaryCrossEntropy(Tensor.FromArray(new[] { 1e-8f }, 1), Tensor.FromArray(new[] { 0f }, 1));
        loss.Item().ShouldBe(0);
    }

    [Test]
    public void Forward_ZeroWeight_RemovesTheElement([Values(DType.Float32, DType.Float64)] DType dtype)
    {
        var x = Leaf(Tensor.FromArray(new[] { 0.3, 0.8, 0.6 }, 3).To(dtype));
        var y = Tensor.FromArray(new[] { 1.0, 0.0, 1.0 }, 3).To(dtype);
        var w = Tensor.FromArray(new[] { 1.0, 0.0, 1.0 }, 3).To(dtype);
        var weighted = F.BinaryCrossEntropy(x, y, w, Reduction.Sum);
        var kept = F.BinaryCrossEntropy(Tensor.FromArray(new[] { 0.3, 0.6 }, 2).To(dtype), Tensor.FromArray(new[] { 1.0, 1.0 }, 2).To(dtype), reduction: Reduction.Sum);
        weighted.Item().ShouldBe(kept.Item());
        Tape.Grad(weighted, [x])[0].ToArray<double>()[1].ShouldBe(0);
        // The mean still divides by all N = 3 elements (the weights are not normalised), as PyTorch.
        F.BinaryCrossEntropy(x, y, w).Item().ShouldBe(dtype == DType.Float32 ? (float)kept.Item() / 3f : kept.Item() / 3);
    }

    [Test]
    public void Forward_EqualsBCEWithLogitsOfTheLogits([Values(DType.Float32, DType.Float64)] DType dtype)
    {
        // REFERENCE.md: BCELoss(sigmoid(x), y) == BCEWithLogitsLoss(x, y), and so do the gradients w.r.t. x.
        var x = Leaf(Tensor.FromArray(new double[,] { { 0.4, 0.7, 1.2, 0.3 }, { 1.1, 0.6, 0.9, 1.6 } }).To(dtype));
        var y = Tensor.FromArray(new double[,] { { 1, 0, 1, 0 }, { 0, 1, 1, 0 } }).To(dtype);
        var viaSigmoid = new BCELoss().Forward(x.Sigmoid(), y);
        var withLogits = new BCEWithLogitsLoss().Forward(x, y);
        // Different roundings (sigmoid then log vs the log-sum-exp form): float32 2 ulps, float64 1e-15.
        double tol = dtype == DType.Float32 ? 2.4e-7 : 1e-15;
        viaSigmoid.Item().ShouldBe(withLogits.Item(), tol);
        var g1 = Tape.Grad(viaSigmoid, [x])[0].ToArray<double>();
        var g2 = Tape.Grad(withLogits, [x])[0].ToArray<double>();
        for (int i = 0; i < g1.Length; i++) g1[i].ShouldBe(g2[i], tol / 8, $"element {i}");
    }

    [Test]
    public void Forward_SoftTargetsAndWeightBroadcastAlongTheLastDim([Values(DType.Float32, DType.Float64)] DType dtype)
    {
        var x = Tensor.FromArray(new double[,] { { 0.2, 0.9 }, { 0.6, 0.4 } }).To(dtype);
        var y = Tensor.FromArray(new double[,] { { 0.25, 0.5 }, { 1, 0.75 } }).To(dtype);
        var w = Tensor.FromArray(new[] { 2.0, 0.5 }, 2).To(dtype);
        var loss = F.BinaryCrossEntropy(x, y, w, Reduction.None).ToArray<double>();
        double[] xs = [0.2, 0.9, 0.6, 0.4], ys = [0.25, 0.5, 1, 0.75], ws = [2, 0.5, 2, 0.5];
        for (int i = 0; i < 4; i++)
            loss[i].ShouldBe(-ws[i] * (ys[i] * Math.Log(xs[i]) + (1 - ys[i]) * Math.Log(1 - xs[i])), dtype == DType.Float32 ? 1e-6 : 1e-15);
    }

    [Test]
    public void Forward_IsOneFusedOp() =>
        F.BinaryCrossEntropy(Leaf(Tensor.Full([3], 0.5)), Tensor.Ones(3)).GradFnName.ShouldBe("BinaryCrossEntropyBackward");

    [TestCase(1.5f, "1.5")]
    [TestCase(-0.25f, "-0.25")]
    [TestCase(float.NaN, "NaN")]
    public void Forward_InputOutsideZeroOne_Throws(float bad, string shown)
    {
        var x = Tensor.FromArray(new[] { 0.5f, 0.25f, 0.75f, bad }, 2, 2);
        var ex = Should.Throw<ArgumentException>(() => new BCELoss().Forward(x, Tensor.Zeros(2, 2)));
        ex.ParamName.ShouldBe("input");
        ex.Message.ShouldContain("all elements of input should be between 0 and 1");
        ex.Message.ShouldContain($"input[1, 1] = {shown}");
    }

    [Test]
    public void Forward_TargetOfOtherShape_Throws()
    {
        var ex = Should.Throw<ArgumentException>(() => F.BinaryCrossEntropy(Tensor.Full([4, 1], 0.5), Tensor.Zeros(4)));
        ex.ParamName.ShouldBe("target");
        ex.Message.ShouldContain("[4]");
        ex.Message.ShouldContain("[4, 1]");
    }

    [Test]
    public void Forward_Int64InputOrTarget_Throws()
    {
        var ints = Tensor.FromArray(new long[] { 0, 1 }, 2);
        Should.Throw<ArgumentException>(() => F.BinaryCrossEntropy(ints, Tensor.Zeros(2))).ParamName.ShouldBe("input");
        var ex = Should.Throw<ArgumentException>(() => F.BinaryCrossEntropy(Tensor.Zeros(2), ints));
        ex.ParamName.ShouldBe("target");
        ex.Message.ShouldContain("Int64");
    }

    [Test]
    public void Forward_TargetOrWeightOfOtherFloatDType_Throws()
    {
        var ex = Should.Throw<ArgumentException>(() => F.BinaryCrossEntropy(Tensor.Zeros(2), Tensor.Zeros([2], DType.Float64)));
        ex.ParamName.ShouldBe("target");
        ex.Message.ShouldContain("target is Float64 but the input is Float32");
        Should.Throw<ArgumentException>(() => F.BinaryCrossEntropy(Tensor.Zeros(2), Tensor.Zeros(2), Tensor.Ones([2], DType.Float64)))
            .ParamName.ShouldBe("weight");
    }

    [TestCase(new[] { 3 })]
    [TestCase(new[] { 1, 2, 2 })]
    [TestCase(new[] { 3, 1 })]
    public void Forward_WeightThatDoesNotBroadcast_Throws(int[] weightShape)
    {
        var ex = Should.Throw<ArgumentException>(() => F.BinaryCrossEntropy(Tensor.Full([2, 2], 0.5), Tensor.Zeros(2, 2), Tensor.Ones(weightShape)));
        ex.ParamName.ShouldBe("weight");
        ex.Message.ShouldContain("[" + string.Join(", ", weightShape) + "]");
        ex.Message.ShouldContain("[2, 2]");
    }

    [Test]
    public void Forward_WeightRequiringGrad_ThrowsWhileRecordingOnly()
    {
        var w = Leaf(Tensor.Ones(2));
        var ex = Should.Throw<ArgumentException>(() => F.BinaryCrossEntropy(Tensor.Full([2], 0.5), Tensor.Zeros(2), w));
        ex.ParamName.ShouldBe("weight");
        ex.Message.ShouldContain("not differentiable with respect to weight");
        using (Tape.NoGrad()) F.BinaryCrossEntropy(Tensor.Full([2], 0.5), Tensor.Zeros(2), w).Item().ShouldBe(Math.Log(2), 1e-7);
    }

    [Test]
    public void Forward_NullArguments_Throw()
    {
        Should.Throw<ArgumentNullException>(() => F.BinaryCrossEntropy(null!, Tensor.Zeros(2))).ParamName.ShouldBe("input");
        Should.Throw<ArgumentNullException>(() => new BCELoss().Forward(Tensor.Zeros(2), null!)).ParamName.ShouldBe("target");
    }

    [Test]
    public void Constructor_StoresOptions_ForwardEqualsFunctional()
    {
        var w = Tensor.FromArray(new[] { 1f, 2f }, 2);
        var loss = new BCELoss(weight: w, reduction: Reduction.Sum);
        loss.Weight.ShouldBeSameAs(w);
        loss.Reduction.ShouldBe(Reduction.Sum);
        var x = Tensor.FromArray(new[] { 0.3f, 0.6f }, 2);
        var y = Tensor.FromArray(new[] { 1f, 0f }, 2);
        loss.Forward(x, y).Item().ShouldBe(F.BinaryCrossEntropy(x, y, w, Reduction.Sum).Item());
        new BCELoss().Reduction.ShouldBe(Reduction.Mean);
        new BCELoss().Weight.ShouldBeNull();
    }

    [Test]
    public void Constructor_BadOptions_Throw()
    {
        Should.Throw<ArgumentException>(() => new BCELoss(weight: Tensor.FromArray(new long[] { 1 }, 1))).ParamName.ShouldBe("weight");
        Should.Throw<ArgumentOutOfRangeException>(() => new BCELoss(reduction: (Reduction)5)).ParamName.ShouldBe("reduction");
    }
}
