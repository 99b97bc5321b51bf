using NUnit.Framework;
using Shouldly;

namespace Autograd.Optim.Tests;

/// <summary>
/// Construction checks, ZeroGrad, and what Step does besides the arithmetic (which
/// <see cref="OptimizerFixtureTests"/> checks against PyTorch): no recording, version bumps,
/// skipped parameters, learning-rate changes, no allocation after the first step.
/// </summary>
[TestFixture]
public sealed class OptimizerTests
{
    private static Tensor Param(params double[] values)
    {
        var t = Tensor.FromArray(values, values.Length);
        t.RequiresGrad = true;
        return t;
    }

    private static Tensor Param32(params float[] values)
    {
        var t = Tensor.FromArray(values, values.Length);
        t.RequiresGrad = true;
        return t;
    }

    public static IEnumerable<TestCaseData> AllOptimizers()
    {
        yield return new TestCaseData((Func<IEnumerable<Tensor>, Optimizer>)(ps => new SGD(ps, lr: 0.1))).SetArgDisplayNames("SGD");
        yield return new TestCaseData((Func<IEnumerable<Tensor>, Optimizer>)(ps => new SGD(ps, lr: 0.1, momentum: 0.9, nesterov: true))).SetArgDisplayNames("SGD_nesterov");
        yield return new TestCaseData((Func<IEnumerable<Tensor>, Optimizer>)(ps => new Adam(ps, amsgrad: true))).SetArgDisplayNames("Adam");
        yield return new TestCaseData((Func<IEnumerable<Tensor>, Optimizer>)(ps => new AdamW(ps))).SetArgDisplayNames("AdamW");
    }

    // ------------------------------------------------------------ parameter list

    [TestCaseSource(nameof(AllOptimizers))]
    public void Constructor_EmptyParameterList_Throws(Func<IEnumerable<Tensor>, Optimizer> create)
    {
        var ex = Should.Throw<ArgumentException>(() => create([]));
        ex.Message.ShouldStartWith("optimizer got an empty parameter list");
        ex.ParamName.ShouldBe("parameters");
    }

    [Test]
    public void Constructor_NullEnumerable_ThrowsArgumentNull()
        => Should.Throw<ArgumentNullException>(() => new SGD((IEnumerable<Tensor>)null!, lr: 0.1)).ParamName.ShouldBe("parameters");

    [Test]
    public void Constructor_NullParameter_NamesIndex()
        => Should.Throw<ArgumentException>(() => new SGD([Param(1), null!], lr: 0.1)).Message.ShouldContain("parameters[1] is null");

    [Test]
    public void Constructor_Int64Parameter_NamesIndexAndDType()
    {
        var ex = Should.Throw<ArgumentException>(() => new Adam([Param(1), Tensor.FromArray(new long[] { 1, 2 }, 2)]));
        ex.Message.ShouldContain("parameters[1]");
        ex.Message.ShouldContain("Int64");
    }

    [Test]
    public void Constructor_NonLeafParameter_NamesIndexAndOp()
    {
        var leaf = Param(1, 2);
        var ex = Should.Throw<ArgumentException>(() => new SGD([leaf, leaf * 2], lr: 0.1));
        ex.Message.ShouldContain("parameters[1] (shape [2])");
        ex.Message.ShouldContain("not a leaf");
    }

    [Test]
    public void Constructor_ParameterWithoutRequiresGrad_NamesIndexAndName()
    {
        var frozen = Tensor.FromArray(new double[] { 1, 2, 3 }, 3);
        frozen.Name = "frozen.bias";
        var ex = Should.Throw<ArgumentException>(() => new AdamW([Param(1), Param(2), frozen]));
        ex.Message.ShouldContain("parameters[2] ('frozen.bias', shape [3])");
        ex.Message.ShouldContain("does not require grad");
    }

    [Test]
    public void Constructor_DuplicateParameter_NamesBothIndices()
    {
        var p = Param(1);
        var ex = Should.Throw<ArgumentException>(() => new SGD([p, Param(2), p], lr: 0.1));
        ex.Message.ShouldContain("parameters[2]");
        ex.Message.ShouldContain("same tensor as parameters[0]");
    }

    [Test]
    public void Constructor_LazySequence_IsEnumeratedOnce()
    {
        int enumerations = 0;
        IEnumerable<Tensor> Lazy()
        {
            enumerations++;
            yield return Param(1);
            yield return Param(2);
        }
        var optimizer = new SGD(Lazy(), lr: 0.1);
        foreach (var p in optimizer.Parameters) p.Grad = Tensor.OnesLike(p);
        optimizer.Step();
        optimizer.Step();
        enumerations.ShouldBe(1);
        optimizer.Parameters.Count.ShouldBe(2);
    }

    // ------------------------------------------------------------ hyper-parameters

    public static IEnumerable<TestCaseData> BadHyperParameters()
    {
        TestCaseData Case(string name, string paramName, Func<Tensor[], Optimizer> create) =>
            new TestCaseData(create, paramName).SetArgDisplayNames(name);

        foreach (double bad in new[] { -1e-3, double.NaN, double.PositiveInfinity })
        {
            yield return Case($"SGD_lr_{bad}", "lr", ps => new SGD(ps, lr: bad));
            yield return Case($"SGD_momentum_{bad}", "momentum", ps => new SGD(ps, lr: 0.1, momentum: bad));
            yield return Case($"SGD_weightDecay_{bad}", "weightDecay", ps => new SGD(ps, lr: 0.1, weightDecay: bad));
            yield return Case($"Adam_lr_{bad}", "lr", ps => new Adam(ps, lr: bad));
            yield return Case($"Adam_eps_{bad}", "eps", ps => new Adam(ps, eps: bad));
            yield return Case($"Adam_weightDecay_{bad}", "weightDecay", ps => new Adam(ps, weightDecay: bad));
            yield return Case($"AdamW_lr_{bad}", "lr", ps => new AdamW(ps, lr: bad));
            yield return Case($"AdamW_eps_{bad}", "eps", ps => new AdamW(ps, eps: bad));
            yield return Case($"AdamW_weightDecay_{bad}", "weightDecay", ps => new AdamW(ps, weightDecay: bad));
        }
        yield return Case("SGD_dampening_NaN", "dampening", ps => new SGD(ps, lr: 0.1, momentum: 0.9, dampening: double.NaN));
        foreach (double bad in new[] { -0.1, 1.0, 1.5, double.NaN })
        {
            yield return Case($"Adam_beta1_{bad}", "beta1", ps => new Adam(ps, beta1: bad));
            yield return Case($"Adam_beta2_{bad}", "beta2", ps => new Adam(ps, beta2: bad));
            yield return Case($"AdamW_beta1_{bad}", "beta1", ps => new AdamW(ps, beta1: bad));
            yield return Case($"AdamW_beta2_{bad}", "beta2", ps => new AdamW(ps, beta2: bad));
        }
    }

    [TestCaseSource(nameof(BadHyperParameters))]
    public void Constructor_BadHyperParameter_ThrowsNamingIt(Func<Tensor[], Optimizer> create, string paramName)
    {
        var ex = Should.Throw<ArgumentOutOfRangeException>(() => create([Param(1)]));
        ex.ParamName.ShouldBe(paramName);
        ex.Message.ShouldContain("Invalid");
    }

    [Test]
    public void Constructor_NesterovWithoutMomentum_Throws()
    {
        var ex = Should.Throw<ArgumentException>(() => new SGD([Param(1)], lr: 0.1, nesterov: true));
        ex.ParamName.ShouldBe("nesterov");
        ex.Message.ShouldContain("momentum 0 ");
    }

    [Test]
    public void Constructor_NesterovWithDampening_Throws()
    {
        var ex = Should.Throw<ArgumentException>(() => new SGD([Param(1)], lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true));
        ex.ParamName.ShouldBe("nesterov");
        ex.Message.ShouldContain("dampening 0.1");
    }

    [Test]
    public void Constructor_BoundaryValues_AreAccepted()
    {
        // PyTorch accepts each of these: the checks are lr >= 0, eps >= 0, 0 <= beta < 1, and it does not
        // restrict dampening (a negative one amplifies the gradient).
        Should.NotThrow(() => new SGD([Param(1)], lr: 0, momentum: 0, dampening: -0.5, weightDecay: 0));
        Should.NotThrow(() => new Adam([Param(1)], lr: 0, beta1: 0, beta2: 0, eps: 0, weightDecay: 0));
        Should.NotThrow(() => new AdamW([Param(1)], lr: 0, beta1: 0.999999, beta2: 0, eps: 0, weightDecay: 0));
    }

    [Test]
    public void Constructor_Defaults_ArePyTorchs()
    {
        var adam = new Adam([Param(1)]);
        (adam.LearningRate, adam.Beta1, adam.Beta2, adam.Eps, adam.WeightDecay, adam.Amsgrad, adam.Maximize)
            .ShouldBe((1e-3, 0.9, 0.999, 1e-8, 0.0, false, false));
        var adamW = new AdamW([Param(1)]);
        (adamW.LearningRate, adamW.Beta1, adamW.Beta2, adamW.Eps, adamW.WeightDecay, adamW.Amsgrad, adamW.Maximize)
            .ShouldBe((1e-3, 0.9, 0.999, 1e-8, 1e-2, false, false));
        var sgd = new SGD([Param(1)], lr: 0.5);
        (sgd.LearningRate, sgd.Momentum, sgd.Dampening, sgd.WeightDecay, sgd.Nesterov, sgd.Maximize)
            .ShouldBe((0.5, 0.0, 0.0, 0.0, false, false));
    }

    [TestCaseSource(nameof(AllOptimizers))]
    public void LearningRate_SetInvalid_ThrowsAndKeepsOldValue(Func<IEnumerable<Tensor>, Optimizer> create)
    {
        var optimizer = create([Param(1)]);
        double before = optimizer.LearningRate;
        Should.Throw<ArgumentOutOfRangeException>(() => optimizer.LearningRate = -0.1).Message.ShouldContain("-0.1");
        Should.Throw<ArgumentOutOfRangeException>(() => optimizer.LearningRate = double.NaN);
        optimizer.LearningRate.ShouldBe(before);
    }

    // ------------------------------------------------------------ ZeroGrad

    [TestCaseSource(nameof(AllOptimizers))]
    public void ZeroGrad_Default_ZeroesTheSameGradTensorsInPlace(Func<IEnumerable<Tensor>, Optimizer> create)
    {
        var a = Param(1, 2, 3);
        var b = Param(4);
        var optimizer = create([a, b]);
        (a * a).Sum().Backward();
        var grad = a.Grad!;
        int version = grad.Storage.Version;

        optimizer.ZeroGrad();

        a.Grad.ShouldBeSameAs(grad);
        grad.ToArray<double>().ShouldBe([0.0, 0.0, 0.0]);
        grad.Storage.Version.ShouldBeGreaterThan(version);
        b.Grad.ShouldBeNull(); // a parameter without a gradient keeps none

        // The next backward accumulates into the zeroed tensor: a fresh gradient, not the sum of two.
        (a * 3).Sum().Backward();
        a.Grad.ShouldBeSameAs(grad);
        grad.ToArray<double>().ShouldBe([3.0, 3.0, 3.0]);
    }

    [Test]
    public void ZeroGrad_SetToNone_ClearsGradients()
    {
        var a = Param(1, 2);
        var optimizer = new SGD([a], lr: 0.1);
        a.Sum().Backward();
        optimizer.ZeroGrad(setToNone: true);
        a.Grad.ShouldBeNull();
    }

    [Test]
    public void ZeroGrad_GradWithGraph_ReplacedByDetachedZeros()
    {
        var a = Param(1, 2);
        var optimizer = new SGD([a], lr: 0.1);
        (a * a).Sum().Backward(createGraph: true);
        var graphGrad = a.Grad!;
        graphGrad.IsLeaf.ShouldBeFalse();
        var before = graphGrad.ToArray<double>();

        optimizer.ZeroGrad();

        a.Grad.ShouldNotBeSameAs(graphGrad);
        a.Grad!.IsLeaf.ShouldBeTrue();
        a.Grad.RequiresGrad.ShouldBeFalse();
        a.Grad.ToArray<double>().ShouldBe([0.0, 0.0]);
        graphGrad.ToArray<double>().ShouldBe(before); // the graph that produced it is untouched
    }

    [Test]
    public void ZeroGrad_ThenStep_StillStepsWithZeroGradient()
    {
        // With set_to_none=False a zeroed gradient is a gradient: Adam takes a step (its state advances),
        // where a null gradient would have skipped the parameter.
        var a = Param(1);
        var adam = new Adam([a], lr: 0.1);
        a.Grad = Tensor.FromArray(new double[] { 1 }, 1);
        adam.Step();
        adam.ZeroGrad();
        adam.Step();
        adam.StepCount(0).ShouldBe(2);
    }

    // ------------------------------------------------------------ Step

    [TestCaseSource(nameof(AllOptimizers))]
    public void Step_DoesNotRecordAndBumpsVersions(Func<IEnumerable<Tensor>, Optimizer> create)
    {
        var a = Param(1, -2, 3);
        var b = Param32(0.5f, 0.25f);
        var optimizer = create([a, b]);
        a.Grad = Tensor.FromArray(new double[] { 0.1, 0.2, -0.3 }, 3);
        b.Grad = Tensor.FromArray(new float[] { 1, -1 }, 2);
        int va = a.Storage.Version, vb = b.Storage.Version;

        optimizer.Step();

        foreach (var p in new[] { a, b })
        {
            p.IsLeaf.ShouldBeTrue();
            p.RequiresGrad.ShouldBeTrue();
            p.GradFnName.ShouldBeNull();
        }
        a.Storage.Version.ShouldBe(va + 1);
        b.Storage.Version.ShouldBe(vb + 1);
        a.ToArray<double>().ShouldNotBe([1.0, -2.0, 3.0]);
        b.ToArray<float>().ShouldNotBe([0.5f, 0.25f]);
    }

    [TestCaseSource(nameof(AllOptimizers))]
    public void Step_GraphRecordedBeforeStep_BackwardDetectsTheChange(Func<IEnumerable<Tensor>, Optimizer> create)
    {
        var a = Param(1, 2);
        var optimizer = create([a]);
        var loss = (a * a).Sum(); // mul saves a for its backward
        a.Grad = Tensor.FromArray(new double[] { 1, 1 }, 2);

        optimizer.Step();

        Should.Throw<InvalidOperationException>(() => loss.Backward()).Message.ShouldContain("version");
    }

    [TestCaseSource(nameof(AllOptimizers))]
    public void Step_ParameterWithoutGrad_IsLeftAlone(Func<IEnumerable<Tensor>, Optimizer> create)
    {
        var a = Param(1, 2);
        var b = Param(3, 4);
        var optimizer = create([a, b]);
        a.Grad = Tensor.FromArray(new double[] { 1, 1 }, 2);
        int vb = b.Storage.Version;

        optimizer.Step();

        b.ToArray<double>().ShouldBe([3.0, 4.0]);
        b.Storage.Version.ShouldBe(vb);
    }

    [Test]
    public void Step_AdamStepCount_AdvancesOnlyWithAGradient()
    {
        var a = Param(1);
        var b = Param(2);
        var adam = new Adam([a, b]);
        a.Grad = Tensor.FromArray(new double[] { 1 }, 1);
        adam.Step();
        adam.Step();
        b.Grad = Tensor.FromArray(new double[] { 1 }, 1);
        adam.Step();
        adam.StepCount(0).ShouldBe(3);
        adam.StepCount(1).ShouldBe(1);
    }

    [TestCaseSource(nameof(AllOptimizers))]
    public void Grad_OfAnotherDType_RejectedBeforeStep(Func<IEnumerable<Tensor>, Optimizer> create)
    {
        var a = Param32(1, 2);
        var optimizer = create([a]);
        // The Grad setter rejects a gradient of another dtype, so Step never sees one.
        var ex = Should.Throw<ArgumentException>(() => a.Grad = Tensor.FromArray(new double[] { 1, 1 }, 2));
        ex.Message.ShouldContain("Float32");
        ex.Message.ShouldContain("Float64");
        a.Grad.ShouldBeNull();
        optimizer.Step(); // a null Grad is skipped
        a.ToArray<float>().ShouldBe([1f, 2f]);
    }

    [Test]
    public void Step_SgdMomentumWithDampening_FirstStepIsUndamped()
    {
        // buf = g at the first step (PyTorch's torch.clone(d_p)), then buf = mu * buf + (1 - tau) * g.
        var p = Param(1);
        var sgd = new SGD([p], lr: 0.1, momentum: 0.9, dampening: 0.5);
        p.Grad = Tensor.FromArray(new double[] { 1 }, 1);
        sgd.Step();
        p.Item().ShouldBe(1 - 0.1 * 1, 1e-15);          // buf = 1
        sgd.Step();
        p.Item().ShouldBe(0.9 - 0.1 * (0.9 + 0.5), 1e-15); // buf = 1.4
    }

    [Test]
    public void LearningRate_ChangedMidTraining_TakesEffectAtTheNextStep()
    {
        var p = Param(1);
        var sgd = new SGD([p], lr: 0.1, momentum: 0.5);
        p.Grad = Tensor.FromArray(new double[] { 2 }, 1);
        sgd.Step();                   // buf = 2,   p = 1 - 0.1 * 2
        sgd.LearningRate = 0.01;
        sgd.Step();                   // buf = 3,   p -= 0.01 * 3
        p.Item().ShouldBe(1 - 0.2 - 0.03, 1e-15);
        sgd.LearningRate = 0;
        sgd.Step();                   // buf = 3.5, no move
        p.Item().ShouldBe(1 - 0.2 - 0.03, 1e-15);
    }

    [Test]
    public void LearningRate_ChangedMidTraining_AdamWDecayUsesTheNewRate()
    {
        // AdamW's decay factor is 1 - lr * wd with the current lr; at lr 0 nothing moves at all.
        var p = Param(2);
        var adamW = new AdamW([p], lr: 0.1, eps: 0, weightDecay: 0.5);
        p.Grad = Tensor.FromArray(new double[] { 1 }, 1);
        adamW.Step();
        double after1 = p.Item();
        after1.ShouldBe(2 * (1 - 0.1 * 0.5) - 0.1, 1e-12); // first step: m / sqrt(v) = 1 after the bias corrections
        adamW.LearningRate = 0;
        adamW.Step();
        p.Item().ShouldBe(after1);
    }

    [Test]
    public void Step_MixedDTypes_UpdatesEachInItsOwnPrecision()
    {
        var a = Param32(1f);
        var b = Param(1);
        var sgd = new SGD([a, b], lr: 0.1);
        a.Grad = Tensor.FromArray(new float[] { 1 }, 1);
        b.Grad = Tensor.FromArray(new double[] { 1 }, 1);
        sgd.Step();
        a.ToArray<float>()[0].ShouldBe(MathF.FusedMultiplyAdd(1f, -0.1f, 1f));
        b.Item().ShouldBe(Math.FusedMultiplyAdd(1, -0.1, 1));
    }

    [TestCaseSource(nameof(AllOptimizers))]
    public void Step_AfterTheFirstStep_AllocatesNothing(Func<IEnumerable<Tensor>, Optimizer> create)
    {
        var ps = new[] { Param32(new float[1000]), Param(new double[37]) };
        var optimizer = create(ps);
        foreach (var p in ps) p.Grad = Tensor.OnesLike(p);
        for (int i = 0; i < 3; i++) optimizer.Step(); // creates the state; lets the JIT settle

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++) optimizer.Step();
        (GC.GetAllocatedBytesForCurrentThread() - before).ShouldBe(0);
    }
    // ------------------------------------------------------------ disposed parameters

    [TestCaseSource(nameof(AllOptimizers))]
    public void Step_DisposedParameter_ThrowsBeforeChangingAnyParameter(Func<IEnumerable<Tensor>, Optimizer> create)
    {
        var a = Param(1, 2, 3);
        var b = Param(4, 5);
        b.Name = "fc.bias";
        var optimizer = create([a, b]);
        a.Grad = Tensor.FromArray(new double[] { 1, 1, 1 }, 3);
        b.Grad = Tensor.FromArray(new double[] { 1, 1 }, 2);
        b.Dispose();
        var e = Should.Throw<ObjectDisposedException>(() => optimizer.Step());
        e.Message.ShouldContain("parameters[1] ('fc.bias', shape [2])");
        a.ToArray<double>().ShouldBe([1, 2, 3], "the first parameter was updated before the step threw");
    }

    [TestCaseSource(nameof(AllOptimizers))]
    public void Step_DisposedGradient_ThrowsBeforeChangingAnyParameter(Func<IEnumerable<Tensor>, Optimizer> create)
    {
        var a = Param(1, 2, 3);
        var b = Param(4, 5);
        var optimizer = create([a, b]);
        a.Grad = Tensor.FromArray(new double[] { 1, 1, 1 }, 3);
        b.Grad = Tensor.FromArray(new double[] { 1, 1 }, 2);
        b.Grad.Dispose();
        var e = Should.Throw<ObjectDisposedException>(() => optimizer.Step());
        e.Message.ShouldContain("Grad of parameters[1]");
        a.ToArray<double>().ShouldBe([1, 2, 3]);
        Should.Throw<ObjectDisposedException>(() => optimizer.ZeroGrad());
        a.Grad!.ToArray<double>().ShouldBe([1, 1, 1], "ZeroGrad cleared a gradient before it threw");
        b.Grad = null;
        optimizer.Step();
        a.ToArray<double>().ShouldNotBe([1, 2, 3]);
    }
}
