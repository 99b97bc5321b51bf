using NUnit.Framework;
using Shouldly;

namespace Autograd.Nn.Tests.Losses;

/// <summary>Every bad input of CrossEntropy and NllLoss fails first, with a message that names the argument and the shapes or values at fault.</summary>
[TestFixture]
public sealed class ClassificationLossErrorTests
{
    private static Tensor X() => Tensor.Zeros(4, 5); // (N = 4, C = 5)

    private static Tensor Labels(params long[] v) => Tensor.FromArray(v, v.Length);

    [Test]
    public void CrossEntropy_FloatTargetOfAnotherShape_ThrowsNamingBothShapes()
    {
        var ex = Should.Throw<ArgumentException>(() => Nn.Functional.CrossEntropy(X(), Tensor.Zeros(4, 3)));
        ex.ParamName.ShouldBe("target");
        ex.Message.ShouldContain("[4, 5]");
        ex.Message.ShouldContain("[4, 3]");
    }

    [Test]
    public void CrossEntropy_FloatClassIndexTarget_ThrowsAskingForInt64()
    {
        var ex = Should.Throw<ArgumentException>(() => Nn.Functional.CrossEntropy(X(), Tensor.FromArray(new float[] { 0, 1, 2, 3 }, 4)));
        ex.Message.ShouldContain("Int64 class indices of shape [4]");
        ex.Message.ShouldContain("got Float32 of shape [4]");
    }

    [Test]
    public void CrossEntropy_Int64TargetOfWrongShape_ThrowsNamingBothShapes()
    {
        var ex = Should.Throw<ArgumentException>(() => Nn.Functional.CrossEntropy(X(), Labels(0, 1, 2)));
        ex.Message.ShouldContain("[4, 5]");
        ex.Message.ShouldContain("[3]");
    }

    [Test]
    public void CrossEntropy_SpatialTargetOfWrongShape_ThrowsNamingExpectedShape()
    {
        var ex = Should.Throw<ArgumentException>(() =>
            Nn.Functional.CrossEntropy(Tensor.Zeros(2, 3, 4), Tensor.FromArray(new long[6], 2, 3)));
        ex.Message.ShouldContain("shape [2, 4]");
        ex.Message.ShouldContain("got Int64 of shape [2, 3]");
    }

    [Test]
    public void CrossEntropy_Int64TargetOfTheInputsShape_ThrowsAskingForProbabilities()
    {
        // As PyTorch: a target of the input's shape is read as class probabilities.
        var ex = Should.Throw<ArgumentException>(() => Nn.Functional.CrossEntropy(X(), Tensor.FromArray(new long[20], 4, 5)));
        ex.Message.ShouldContain("class probabilities");
        ex.Message.ShouldContain("Int64");
    }

    [Test]
    public void CrossEntropy_ProbabilityTargetOfAnotherDType_Throws()
    {
        var ex = Should.Throw<ArgumentException>(() => Nn.Functional.CrossEntropy(X(), Tensor.Zeros([4, 5], DType.Float64)));
        ex.Message.ShouldContain("Float32");
        ex.Message.ShouldContain("Float64");
    }

    [Test]
    public void CrossEntropy_UnbatchedInputWithVectorTarget_Throws()
    {
        var ex = Should.Throw<ArgumentException>(() => Nn.Functional.CrossEntropy(Tensor.Zeros(5), Labels(2)));
        ex.Message.ShouldContain("shape []");
        ex.Message.ShouldContain("[1]");
    }

    [Test]
    public void CrossEntropy_ScalarInput_Throws() =>
        Should.Throw<ArgumentException>(() => Nn.Functional.CrossEntropy(Tensor.Scalar(1f), Tensor.Scalar(0L))).Message.ShouldContain("(C), (N, C)");

    [Test]
    public void CrossEntropy_NoClasses_Throws() =>
        Should.Throw<ArgumentException>(() => Nn.Functional.CrossEntropy(Tensor.Zeros(3, 0), Tensor.FromArray(new long[3], 3))).Message.ShouldContain("[3, 0]");

    [Test]
    public void CrossEntropy_Int64Input_Throws() =>
        Should.Throw<ArgumentException>(() => Nn.Functional.CrossEntropy(Tensor.FromArray(new long[] { 1, 2 }, 1, 2), Labels(0))).ParamName.ShouldBe("input");

    [TestCase(3)]
    [TestCase(6)]
    public void CrossEntropy_WeightOfWrongLength_ThrowsNamingClassesAndLength(int length)
    {
        var ex = Should.Throw<ArgumentException>(() => Nn.Functional.CrossEntropy(X(), Labels(0, 1, 2, 3), Tensor.Ones(length)));
        ex.ParamName.ShouldBe("weight");
        ex.Message.ShouldContain("C = 5");
        ex.Message.ShouldContain($"length {length}");
    }

    [Test]
    public void CrossEntropy_WeightOfAnotherDType_Throws()
    {
        var ex = Should.Throw<ArgumentException>(() => Nn.Functional.CrossEntropy(X(), Labels(0, 1, 2, 3), Tensor.Ones([5], DType.Float64)));
        ex.Message.ShouldContain("Float64");
    }

    [Test]
    public void CrossEntropy_TwoDimensionalWeight_Throws() =>
        Should.Throw<ArgumentException>(() => Nn.Functional.CrossEntropy(X(), Labels(0, 1, 2, 3), Tensor.Ones(1, 5))).Message.ShouldContain("[1, 5]");

    [TestCase(5L)]
    [TestCase(-1L)]
    [TestCase(-100L)]
    public void CrossEntropy_TargetOutOfBounds_ThrowsNamingTargetAndClasses(long bad)
    {
        var ex = Should.Throw<ArgumentOutOfRangeException>(() => Nn.Functional.CrossEntropy(X(), Labels(0, bad, 2, 3), ignoreIndex: 4));
        ex.ParamName.ShouldBe("target");
        ex.Message.ShouldContain($"Target {bad} is out of bounds.");
        ex.Message.ShouldContain("C = 5");
    }

    [Test]
    public void CrossEntropy_NegativeTargetEqualToIgnoreIndex_IsIgnoredNotOutOfBounds()
    {
        var loss = Nn.Functional.CrossEntropy(X(), Labels(0, -1, 2, -1), ignoreIndex: -1, reduction: Reduction.None);

        loss.ToArray<float>().ShouldBe([MathF.Log(5), 0f, MathF.Log(5), 0f], tolerance: 1e-6f);
    }

    [Test]
    public void NllLoss_TargetOutOfBounds_Throws() =>
        Should.Throw<ArgumentOutOfRangeException>(() => Nn.Functional.NllLoss(X(), Labels(0, 1, 9, 3))).Message.ShouldContain("Target 9 is out of bounds.");

    [TestCase(-0.1)]
    [TestCase(1.0000001)]
    [TestCase(double.NaN)]
    [TestCase(double.PositiveInfinity)]
    public void CrossEntropy_LabelSmoothingOutsideUnitInterval_Throws(double e)
    {
        // PyTorch rejects e > 1 but silently ignores a negative e; both are errors here.
        var ex = Should.Throw<ArgumentOutOfRangeException>(() => Nn.Functional.CrossEntropy(X(), Labels(0, 1, 2, 3), labelSmoothing: e));
        ex.ParamName.ShouldBe("labelSmoothing");
    }

    [TestCase(0L)]
    [TestCase(3L)]
    public void CrossEntropy_ProbabilityTargetWithNonNegativeIgnoreIndex_Throws(long ignoreIndex)
    {
        // As PyTorch: "ignore_index is not supported for floating point target" (checked as ignore_index >= 0).
        var ex = Should.Throw<ArgumentException>(() => Nn.Functional.CrossEntropy(X(), Tensor.Zeros(4, 5), ignoreIndex: ignoreIndex));
        ex.ParamName.ShouldBe("ignoreIndex");
    }

    [Test]
    public void CrossEntropy_ProbabilityTargetWithNegativeIgnoreIndex_IsAccepted() =>
        Nn.Functional.CrossEntropy(X(), Tensor.Full([4, 5], 0.2, DType.Float32), ignoreIndex: -1).Item().ShouldBe(Math.Log(5), 1e-6);

    [Test]
    public void CrossEntropy_IndexTargetWithWeightRequiringGrad_ThrowsAsPyTorch()
    {
        var weight = Tensor.Ones(5);
        weight.RequiresGrad = true;

        var ex = Should.Throw<ArgumentException>(() => Nn.Functional.CrossEntropy(X(), Labels(0, 1, 2, 3), weight));
        ex.Message.ShouldContain("not differentiable with respect to the weight");
        Should.Throw<ArgumentException>(() => Nn.Functional.NllLoss(X(), Labels(0, 1, 2, 3), weight));

        using (Tape.NoGrad()) Nn.Functional.CrossEntropy(X(), Labels(0, 1, 2, 3), weight).Item().ShouldBe(Math.Log(5), 1e-6);
    }

    [Test]
    public void NllLoss_ProbabilityShapedTarget_Throws()
    {
        var ex = Should.Throw<ArgumentException>(() => Nn.Functional.NllLoss(X(), Tensor.Zeros(4, 5)));
        ex.Message.ShouldContain("Int64 class indices of shape [4]");
        ex.Message.ShouldContain("Float32 of shape [4, 5]");
    }

    [Test]
    public void NullArguments_Throw()
    {
        Should.Throw<ArgumentNullException>(() => Nn.Functional.CrossEntropy(null!, Labels(0))).ParamName.ShouldBe("input");
        Should.Throw<ArgumentNullException>(() => Nn.Functional.CrossEntropy(X(), null!)).ParamName.ShouldBe("target");
        Should.Throw<ArgumentNullException>(() => Nn.Functional.NllLoss(X(), null!)).ParamName.ShouldBe("target");
    }

    [Test]
    public void UnknownReduction_Throws()
    {
        Should.Throw<ArgumentOutOfRangeException>(() => Nn.Functional.CrossEntropy(X(), Labels(0, 1, 2, 3), reduction: (Reduction)9));
        Should.Throw<ArgumentOutOfRangeException>(() => Nn.Functional.NllLoss(X(), Labels(0, 1, 2, 3), reduction: (Reduction)9));
    }

    [Test]
    public void EmptyBatch_MeanIsNaNSumIsZeroNoneIsEmpty()
    {
        // As PyTorch (nll_loss: "Mean reduction on empty tensors produces NaN").
        var x = Tensor.Zeros(0, 3);
        var t = Tensor.FromArray(Array.Empty<long>(), 0);

        double.IsNaN(Nn.Functional.CrossEntropy(x, t).Item()).ShouldBeTrue();
        double.IsNaN(Nn.Functional.CrossEntropy(x, Tensor.Zeros(0, 3)).Item()).ShouldBeTrue();
        Nn.Functional.CrossEntropy(x, t, reduction: Reduction.Sum).Item().ShouldBe(0);
        Nn.Functional.NllLoss(x, t, reduction: Reduction.None).Shape.ShouldBe([0]);
    }
}
