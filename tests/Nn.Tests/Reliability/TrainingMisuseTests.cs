using Autograd.Optim;
using NUnit.Framework;
using Shouldly;
using F = Autograd.Nn.Functional;

namespace Autograd.Nn.Tests.Reliability;

/// <summary>
/// Misuse in a training loop (issue 6): an optimizer step between forward and backward is caught
/// by the version counter; anomaly mode names the loss that produced NaN or infinity; a call that
/// fails leaves the model as it was.
/// </summary>
[TestFixture]
public sealed class TrainingMisuseTests
{
    private static (Linear Model, Tensor X, Tensor Y) Setup()
    {
        var model = new Linear(3, 2, generator: new Generator(5));
        var x = Tensor.FromArray(new float[,] { { 0.5f, -1, 2 }, { 1, 0.25f, -0.5f }, { -2, 1, 0 } });
        return (model, x, Tensor.FromArray(new long[] { 0, 1, 1 }));
    }

    [TestCase("SGD")]
    [TestCase("Adam")]
    [TestCase("AdamW")]
    public void Backward_AfterOptimizerStepChangedTheWeights_ThrowsNamingTheOpAndVersions(string name)
    {
        var (model, x, y) = Setup();
        Optimizer opt = name switch
        {
            "SGD" => new SGD(model.Parameters(), 0.1, momentum: 0.9),
            "Adam" => new Adam(model.Parameters()),
            _ => new AdamW(model.Parameters()),
        };
        F.CrossEntropy(model.Forward(x), y).Backward(); // a first step's gradients
        var loss = F.CrossEntropy(model.Forward(x), y); // forward saves the weight (version v)
        opt.Step();                                      // the weight becomes version v + 1
        var grads = model.Parameters().Select(p => p.Grad!.ToArray<float>()).ToArray();

        var e = Should.Throw<InvalidOperationException>(() => loss.Backward());
        TestContext.Out.WriteLine(e.Message);
        e.Message.ShouldContain("modified by an in-place operation");
        e.Message.ShouldContain("saved by Linear");
        e.Message.ShouldContain("shape [2, 3]");
        e.Message.ShouldContain("is at version 2; expected version 1");
        e.Message.ShouldContain("optimizer.Step()");
        // Nothing was accumulated by the failed backward.
        model.Parameters().Select(p => p.Grad!.ToArray<float>()).ShouldBe(grads);
    }

    [Test]
    public void Backward_AfterZeroGradBetweenForwardAndBackward_IsFine()
    {
        // ZeroGrad changes the gradients, not the saved parameters: no error, as in PyTorch.
        var (model, x, y) = Setup();
        var opt = new SGD(model.Parameters(), 0.1);
        var loss = F.CrossEntropy(model.Forward(x), y);
        opt.ZeroGrad();
        Should.NotThrow(() => loss.Backward());
    }

    [Test]
    public void Backward_AfterLoadStateDictChangedTheWeights_IsCaught()
    {
        var (model, x, y) = Setup();
        var loss = F.MseLoss(model.Forward(x), Tensor.Zeros(3, 2));
        model.LoadStateDict(new Linear(3, 2, generator: new Generator(9)).StateDict());
        Should.Throw<InvalidOperationException>(() => loss.Backward()).Message.ShouldContain("saved by Linear");
        _ = y;
    }

    // ---- anomaly mode on losses -----------------------------------------------------------

    private static void WithAnomaly(Action body)
    {
        bool before = Tape.DetectAnomaly;
        Tape.DetectAnomaly = true;
        try { body(); }
        finally { Tape.DetectAnomaly = before; }
    }

    [Test]
    public void Anomaly_CrossEntropyOfANaNLogit_NamesCrossEntropy()
    {
        WithAnomaly(() =>
        {
            var x = Tensor.FromArray(new float[,] { { 1, float.NaN, 0 } });
            x.RequiresGrad = true;
            Should.Throw<ArithmeticException>(() => F.CrossEntropy(x, Tensor.FromArray(new long[] { 0 })))
                .Message.ShouldBe("Anomaly detected: the forward pass of CrossEntropy produced NaN or infinity (output shape []).");
        });
    }

    [Test]
    public void Anomaly_NllLossWithEveryTargetIgnored_NamesNllLoss()
    {
        // The mean over no targets is 0/0 = NaN (as PyTorch).
        WithAnomaly(() =>
        {
            var logp = Tensor.FromArray(new float[,] { { -1, -2 }, { -0.5f, -3 } });
            logp.RequiresGrad = true;
            Should.Throw<ArithmeticException>(() => F.NllLoss(logp, Tensor.FromArray(new long[] { -100, -100 })))
                .Message.ShouldContain("forward pass of NllLoss");
        });
    }

    [Test]
    public void Anomaly_BCELossTargetGradientAtZero_NamesBinaryCrossEntropyBackward()
    {
        // dℓ/dy = log(1 - x) - log(x) is infinite at x = 0 (as PyTorch); the loss itself is finite (clamped at 100).
        WithAnomaly(() =>
        {
            var p = Tensor.FromArray(new[] { 0f, 0.5f });
            var y = Tensor.FromArray(new[] { 1f, 0f });
            y.RequiresGrad = true;
            var loss = F.BinaryCrossEntropy(p, y);
            loss.Item().ShouldBe((100 + Math.Log(2)) / 2, 1e-5);
            Should.Throw<ArithmeticException>(() => loss.Backward()).Message
                .ShouldBe("Anomaly detected: BinaryCrossEntropyBackward returned NaN or infinity in its gradient for input 1 (shape [2]).");
            y.Grad.ShouldBeNull();
        });
    }

    [Test]
    public void Anomaly_ExplodingTraining_StopsAtTheFirstNonFiniteOp()
    {
        // A learning rate of 1e30 blows the weights up after one step; the next forward's matrix
        // product (inside Linear) is the first op to produce infinity, and is named.
        WithAnomaly(() =>
        {
            var (model, x, y) = Setup();
            var opt = new SGD(model.Parameters(), 1e30);
            F.CrossEntropy(model.Forward(x), y).Backward();
            opt.Step();
            var e = Should.Throw<ArithmeticException>(() => F.CrossEntropy(model.Forward(x * 1e10f), y));
            TestContext.Out.WriteLine(e.Message);
            e.Message.ShouldBe("Anomaly detected: the forward pass of MatMul produced NaN or infinity (output shape [3, 2]).");
        });
    }

    // ---- failed calls leave the model as it was ---------------------------------------------

    [Test]
    public void FailedForward_LinearOnAWrongShape_ModelAndGradsUnchanged()
    {
        var (model, _, _) = Setup();
        var before = ModelFileTests.Snapshot(model);
        Should.Throw<ArgumentException>(() => model.Forward(Tensor.Ones(4, 4)));
        Should.Throw<ArgumentException>(() => F.CrossEntropy(model.Forward(Tensor.Ones(2, 3)), Tensor.FromArray(new long[] { 0, 7 })));
        ModelFileTests.ShouldBeUnchanged(model, before, "failed forward");
        model.Parameters().ShouldAllBe(p => p.Grad == null);
    }

    [Test]
    public void FailedLoadStateDict_ModelUnchanged()
    {
        var (model, _, _) = Setup();
        var before = ModelFileTests.Snapshot(model);
        var state = new Linear(3, 2, generator: new Generator(8)).StateDict();
        state["bias"] = Tensor.Ones(3); // weight fits, bias does not: nothing may be copied
        Should.Throw<ArgumentException>(() => model.LoadStateDict(state));
        ModelFileTests.ShouldBeUnchanged(model, before, "failed LoadStateDict");
    }

    [Test]
    public void FailedModuleTo_Int64_ModelUnchanged()
    {
        var (model, _, _) = Setup();
        var before = ModelFileTests.Snapshot(model);
        var parameters = model.Parameters().ToArray();
        Should.Throw<ArgumentException>(() => model.To(DType.Int64));
        ModelFileTests.ShouldBeUnchanged(model, before, "failed To");
        model.Parameters().ShouldBe(parameters); // the same tensor objects
    }

    [Test]
    public void FailedLearningRateSet_KeepsTheOldRate()
    {
        var (model, _, _) = Setup();
        var opt = new Adam(model.Parameters(), lr: 0.01);
        Should.Throw<ArgumentOutOfRangeException>(() => opt.LearningRate = double.NaN);
        opt.LearningRate.ShouldBe(0.01);
    }

    [TestCase("SGD")]
    [TestCase("Adam")]
    [TestCase("AdamW")]
    [Category("Regression")]
    public void GradOfAnotherDType_RejectedBeforeStep_NoParameterChanges(string name)
    {
        // A gradient of another dtype cannot reach Step: the Grad setter rejects it (as PyTorch
        // does), so a Step can never leave the model half-updated because of it.
        var (model, x, y) = Setup();
        Optimizer opt = name switch
        {
            "SGD" => new SGD(model.Parameters(), 0.1),
            "Adam" => new Adam(model.Parameters()),
            _ => new AdamW(model.Parameters()),
        };
        F.CrossEntropy(model.Forward(x), y).Backward();
        var before = ModelFileTests.Snapshot(model);
        Should.Throw<ArgumentException>(() => model.Bias!.Grad = model.Bias.Grad!.To(DType.Float64)).Message.ShouldContain("Float64");
        ModelFileTests.ShouldBeUnchanged(model, before, $"rejected Grad before {name}.Step");
        opt.Step();
        model.Bias!.Grad!.DType.ShouldBe(DType.Float32);
    }

    [Test]
    [Category("Regression")]
    public void OptimizerBuiltBeforeModuleTo_HoldsThePreviousTensors_AsDocumented()
    {
        // A tensor's dtype is fixed, so Module.To(dtype) puts new tensors in the parameter slots;
        // PyTorch's module.double() keeps the Parameter objects instead. Documented on Module.To and
        // in docs/pytorch-mapping.md: create the optimizer after To. This pins that contract.
        var model = new Linear(2, 1, generator: new Generator(1));
        var old = model.Parameters().ToArray();
        model.To(DType.Float64);
        var now = model.Parameters().ToArray();
        now.Length.ShouldBe(old.Length);
        for (int i = 0; i < now.Length; i++)
        {
            now[i].ShouldNotBeSameAs(old[i]);
            now[i].DType.ShouldBe(DType.Float64);
            now[i].ToArray<double>().ShouldBe(old[i].ToArray<float>().Select(v => (double)v).ToArray());
        }
        var opt = new SGD(model.Parameters(), 0.5);
        var before = model.Weight.ToArray<double>();
        F.MseLoss(model.Forward(Tensor.Ones([4, 2], DType.Float64)), Tensor.Zeros([4, 1], DType.Float64)).Backward();
        opt.Step();
        model.Weight.ToArray<double>().ShouldNotBe(before);
    }
    [Test]
    [Category("Regression")]
    public void OptimizerBuiltBeforeModuleTo_RefusesToStep_InsteadOfSilentlyUpdatingTheOldTensors()
    {
        // PyTorch's module.double() keeps the Parameter objects, so an optimizer built before it
        // still trains the model. Here To puts new tensors in the model: an optimizer built before
        // would update tensors the model no longer uses (training silently stops). It must refuse,
        // naming the parameter and the conversion, and change nothing.
        var model = new Sequential(new Linear(2, 1, generator: new Generator(1)));
        var stale = new Adam(model.Parameters());
        model.To(DType.Float64);
        foreach (var p in stale.Parameters) p.Grad = Tensor.OnesLike(p);
        var before = stale.Parameters.Select(p => p.ToArray<double>()).ToList();
        var e = Should.Throw<InvalidOperationException>(() => stale.Step());
        e.Message.ShouldContain("parameters[0] ('weight', shape [1, 2]) was replaced by Sequential.To(Float64)");
        e.Message.ShouldContain("Create the optimizer after converting the model");
        stale.Parameters.Select(p => p.ToArray<double>()).ShouldBe(before);
        // The old tensors stay readable, and a new optimizer trains the converted model.
        var opt = new SGD(model.Parameters(), 0.5);
        F.MseLoss(model.Forward(Tensor.Ones([4, 2], DType.Float64)), Tensor.Zeros([4, 1], DType.Float64)).Backward();
        opt.Step();
    }
}
