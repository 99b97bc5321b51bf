using NUnit.Framework;
using Shouldly;

namespace Autograd.Nn.Tests.Losses;

[TestFixture]
public sealed class CrossEntropyLossTests
{
    private static Tensor Logits() => Tensor.FromArray(new float[,] { { 4, 8, 3 } });

    private static Tensor Labels(params long[] labels) => Tensor.FromArray(labels, labels.Length);

    // REFERENCE.md, measured with PyTorch 1.13.1: CrossEntropyLoss()([[4, 8, 3]], [label]) in
    // float32 is -x[label] + log(sum(exp(x))). The forward follows PyTorch's float32 order of
    // operations, so these are bit-identical.
    [TestCase(0L, 4.024744987487793)]
    [TestCase(1L, 0.024744924157857895)]
    [TestCase(2L, 5.024744987487793)]
    public void Forward_ReferenceLogits_MatchesPyTorchExactly(long label, double expected)
    {
        var loss = new CrossEntropyLoss().Forward(Logits(), Labels(label));

        loss.DType.ShouldBe(DType.Float32);
        loss.Rank.ShouldBe(0);
        ((float)loss.Item()).ShouldBe((float)expected);
    }

    [Test]
    public void Forward_UnbatchedInputWithScalarTarget_EqualsBatchOfOne()
    {
        var unbatched = new CrossEntropyLoss().Forward(Tensor.FromArray(new float[] { 4, 8, 3 }, 3), Tensor.Scalar(1L));

        unbatched.Rank.ShouldBe(0);
        ((float)unbatched.Item()).ShouldBe(0.024744924157857895f);
    }

    private static IEnumerable<TestCaseData> IdentityConfigs()
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        foreach (var shape in new[] { new[] { 5 }, new[] { 6, 5 }, new[] { 3, 5, 4 } })
        foreach (var reduction in new[] { Reduction.Mean, Reduction.Sum, Reduction.None })
        foreach (bool weighted in new[] { false, true })
            yield return new TestCaseData(new ClassificationConfig("CrossEntropy", shape, false, weighted, reduction, 0, dtype))
                .SetArgDisplayNames($"[{string.Join(",", shape)}]_{reduction}_{(weighted ? "w" : "now")}_{dtype}");
    }

    // REFERENCE.md: CrossEntropyLoss(x, t) = NLLLoss(LogSoftmax(x, dim = 1), t). The fused op and the
    // two-op path compute log-softmax with different sum orders (lanes vs in order): a few ulps.
    [TestCaseSource(nameof(IdentityConfigs))]
    public void Forward_EqualsNllLossOfLogSoftmax_ValuesAndGradients(ClassificationConfig config)
    {
        var (x0, target, weight, g) = config.Make();
        var x1 = x0.Clone();
        x1.RequiresGrad = true;
        var x2 = x0.Clone();
        x2.RequiresGrad = true;
        var ce = new CrossEntropyLoss(weight, ClassificationConfig.Ignore, config.Reduction);
        var nll = new NLLLoss(weight, ClassificationConfig.Ignore, config.Reduction);

        var fused = ce.Forward(x1, target);
        var twoOps = nll.Forward(x2.LogSoftmax(x2.Rank == 1 ? 0 : 1), target);
        fused.Backward(g);
        twoOps.Backward(g);

        double tol = config.DType == DType.Float32 ? 1e-6 : 2e-15; // a few ulps of the largest element
        ShouldBeClose(fused, twoOps, tol);
        ShouldBeClose(x1.Grad!, x2.Grad!, tol);
    }

    [Test]
    public void Constructor_Defaults_MatchPyTorch()
    {
        var loss = new CrossEntropyLoss();

        loss.Weight.ShouldBeNull();
        loss.IgnoreIndex.ShouldBe(-100);
        loss.Reduction.ShouldBe(Reduction.Mean);
        loss.LabelSmoothing.ShouldBe(0.0);
    }

    [Test]
    public void Constructor_Options_AreExposedAndUsedByForward()
    {
        var weight = Tensor.FromArray(new float[] { 0.5f, 2f, 1f }, 3);
        var loss = new CrossEntropyLoss(weight, ignoreIndex: 0, reduction: Reduction.Sum, labelSmoothing: 0.25);
        var x = Tensor.FromArray(new float[,] { { 4, 8, 3 }, { 1, 2, 3 }, { 0, 0, 1 } });
        var t = Labels(1, 0, 2);

        loss.Weight.ShouldBeSameAs(weight);
        loss.IgnoreIndex.ShouldBe(0);
        loss.Reduction.ShouldBe(Reduction.Sum);
        loss.LabelSmoothing.ShouldBe(0.25);
        loss.Forward(x, t).Item().ShouldBe(Nn.Functional.CrossEntropy(x, t, weight, 0, Reduction.Sum, 0.25).Item());
    }

    [TestCase(-0.1)]
    [TestCase(1.5)]
    [TestCase(double.NaN)]
    public void Constructor_LabelSmoothingOutsideUnitInterval_Throws(double e)
    {
        var ex = Should.Throw<ArgumentOutOfRangeException>(() => new CrossEntropyLoss(labelSmoothing: e));
        ex.ParamName.ShouldBe("labelSmoothing");
    }

    [Test]
    public void Constructor_WeightNotOneDimensional_Throws()
    {
        var ex = Should.Throw<ArgumentException>(() => new CrossEntropyLoss(Tensor.Ones(2, 3)));
        ex.Message.ShouldContain("[2, 3]");
    }

    [Test]
    public void Constructor_IntegerWeight_Throws() =>
        Should.Throw<ArgumentException>(() => new CrossEntropyLoss(Tensor.FromArray(new long[] { 1, 2 }, 2))).ParamName.ShouldBe("weight");

    [Test]
    public void Constructor_UnknownReduction_Throws() =>
        Should.Throw<ArgumentOutOfRangeException>(() => new CrossEntropyLoss(reduction: (Reduction)7));

    [Test]
    public void Forward_LogitsOfTenThousand_StaysFinite()
    {
        var x = Tensor.FromArray(new float[,] { { 1e4f, -1e4f, 0 } });
        x.RequiresGrad = true;

        var loss = new CrossEntropyLoss().Forward(x, Labels(1));
        loss.Backward();

        loss.Item().ShouldBe(2e4);
        x.Grad!.ToArray<float>().ShouldBe([1f, -1f, 0f]);
    }

    private static void ShouldBeClose(Tensor actual, Tensor expected, double tol)
    {
        var a = actual.ToArray<double>();
        var e = expected.ToArray<double>();
        double scale = e.Select(Math.Abs).DefaultIfEmpty(0).Max();
        for (int i = 0; i < a.Length; i++)
            Math.Abs(a[i] - e[i]).ShouldBeLessThanOrEqualTo(tol * (Math.Abs(e[i]) + scale), $"element {i}: {a[i]:R} vs {e[i]:R}");
    }
}
