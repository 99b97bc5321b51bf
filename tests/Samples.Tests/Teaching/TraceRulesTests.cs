using Autograd.Nn;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Samples.Tests.Teaching;

/// <summary>
/// A student tracing a program of the library's layers and losses sees a derivative rule at every
/// step of <see cref="Tape.TraceBackward"/>, never a pointer to the documentation.
/// </summary>
[TestFixture]
public sealed class TraceRulesTests
{
    private static void EveryStepHasARule(Tensor loss)
    {
        var trace = Tape.TraceBackward(loss);
        trace.Steps.ShouldNotBeEmpty();
        foreach (var step in trace.Steps)
            step.Rule.ShouldNotStartWith("see ", Case.Sensitive, $"step {step.Index}: {step.Op} has no rule");
    }

    private static Tensor Leaf(Tensor t)
    {
        t.RequiresGrad = true;
        return t;
    }

    [Test]
    public void TeachingMlp_EveryStepHasARule()
    {
        var (_, trace) = TeachingMlp.Run(TextWriter.Null);
        trace.Steps.Select(s => s.Op).ShouldBe(["BinaryCrossEntropy", "Sigmoid", "Linear", "Tanh", "Linear"]);
        trace.Steps[0].Rule.ShouldContain("(p − y)/(p(1 − p))");
        foreach (var step in trace.Steps) step.Rule.ShouldNotStartWith("see ");
    }

    [Test]
    public void EveryLoss_EveryStepHasARule()
    {
        var g = new Generator(2);
        var y = Tensor.FromArray([1f, 0f, 1f]);
        var logits = Leaf(Tensor.Randn([2, 3], g));
        EveryStepHasARule(Functional.BinaryCrossEntropyWithLogits(Leaf(Tensor.Randn([3], g)), y, posWeight: Tensor.FromArray([3f])));
        EveryStepHasARule(Functional.CrossEntropy(logits, Tensor.FromArray([0L, 2L]), labelSmoothing: 0.1));
        EveryStepHasARule(Functional.NllLoss(Functional.LogSoftmax(Leaf(Tensor.Randn([2, 3], g)), 1), Tensor.FromArray([1L, 0L])));
        EveryStepHasARule(Functional.MseLoss(Leaf(Tensor.Randn([3], g)), y));
        EveryStepHasARule(Functional.L1Loss(Leaf(Tensor.Randn([3], g)), y));
        EveryStepHasARule(Functional.HuberLoss(Leaf(Tensor.Randn([3], g)), y, delta: 0.5));
        EveryStepHasARule(Functional.SmoothL1Loss(Leaf(Tensor.Randn([3], g)), y, beta: 2));
    }

    [Test]
    public void SmallCnn_EveryStepHasARule()
    {
        var g = new Generator(4);
        var conv = new Conv2d(1, 2, 3, generator: g);
        var norm = new BatchNorm2d(2);
        var x = Tensor.Randn([2, 1, 6, 6], g);
        var h = new MaxPool2d(2).Forward(norm.Forward(conv.Forward(x)).Relu());
        var z = new AvgPool2d(2).Forward(Functional.Pad(h, [1, 1, 1, 1], mode: "reflect"));
        EveryStepHasARule(z.Square().Mean());
    }

    [Test]
    public void EmbeddingAndRecurrentLayers_EveryStepHasARule()
    {
        var g = new Generator(6);
        var embedding = new Embedding(5, 3, generator: g);
        Tensor Embedded() => embedding.Forward(Tensor.FromArray([1L, 4L, 2L, 2L], 2, 2));
        EveryStepHasARule(new LSTM(3, 4, generator: g).Forward(Embedded()).Output.Sum());
        EveryStepHasARule(new GRU(3, 4, generator: g).Forward(Embedded()).Output.Sum());
        EveryStepHasARule(new RNN(3, 4, generator: g).Forward(Embedded()).Output.Sum());
        EveryStepHasARule(new RNN(3, 4, nonlinearity: "relu", generator: g).Forward(Embedded()).Output.Sum());
    }
}
