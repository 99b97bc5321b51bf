using NUnit.Framework;
using Shouldly;

namespace Autograd.Tests.Engine;

/// <summary>
/// <see cref="Tape.TraceBackward"/>: the trace's numbers are the gradients backward computed (its
/// leaf gradients equal <see cref="Tensor.Grad"/> bit for bit, and each step's numbers satisfy its
/// rule), with broadcast sums and the accumulation of a tensor used twice.
/// </summary>
[TestFixture]
public sealed class BackwardTraceTests
{
    private static long[] Bits(Tensor t) => [.. t.ToArray<double>().Select(BitConverter.DoubleToInt64Bits)];

    private static Tensor Leaf(string name, Tensor t)
    {
        t.RequiresGrad = true;
        t.Name = name;
        return t;
    }

    [Test]
    public void TwoLayerMlp_LeafGradientsOfTheTrace_AreGradBitForBit()
    {
        var g = new Generator(3);
        var x = Tensor.Randn([4, 3], g);
        var w1 = Leaf("w1", Tensor.Randn([5, 3], g));
        var b1 = Leaf("b1", Tensor.Randn([5], g));
        var w2 = Leaf("w2", Tensor.Randn([2, 5], g));
        var loss = (x.MatMul(w1.T) + b1).Relu().MatMul(w2.T).Sigmoid().Mean();

        var trace = Tape.TraceBackward(loss);

        trace.Steps[0].Op.ShouldBe("Mean");
        trace.Steps.Select(s => s.Op).ShouldContain("Relu");
        trace.Leaves.Select(l => l.Leaf.Name).ShouldBe(["w2", "b1", "w1"], ignoreOrder: true);
        foreach (var (leaf, gradient) in trace.Leaves)
            Bits(gradient).ShouldBe(Bits(leaf.Grad!), leaf.Name);
        // The same program without a trace gives the same bits.
        var again = new[] { w1, b1, w2 }.Select(p => Bits(p.Grad!)).ToArray();
        foreach (var p in new[] { w1, b1, w2 }) p.Grad = null;
        (x.MatMul(w1.T) + b1).Relu().MatMul(w2.T).Sigmoid().Mean().Backward();
        new[] { w1, b1, w2 }.Select(p => Bits(p.Grad!)).ToArray().ShouldBe(again);
    }

    /// <summary>
    /// What each input of <paramref name="step"/> should receive by the op's rule (<see cref="BackwardStep.Rule"/>),
    /// computed from the op's recorded inputs and output and the step's incoming gradient.
    /// </summary>
    private static Tensor?[] ByTheRule(BackwardStep step)
    {
        using var _ = Tape.NoGrad();
        var (g, inputs, output) = (step.Gradient, step.Node.Inputs, step.Node.Output);
        return step.Op switch
        {
            "Mean" => [Tensor.Full(inputs[0].Shape.ToArray(), g.Item() / inputs[0].NumberOfElements, g.DType)],    // g/n
            "Sum" => [g.Expand(inputs[0].Shape.ToArray())],                                                           // g repeated
            "Sigmoid" => [g * output * (1 - output)],                                                                 // g·σ(x)(1 − σ(x))
            "Tanh" => [g * (1 - output * output)],                                                                    // g·(1 − tanh²(x))
            "Relu" => [Tensor.Where(inputs[0].Gt(0), g, Tensor.ZerosLike(g))],                                        // g where x > 0
            "MatMul" => [g.MatMul(inputs[1].T), inputs[0].T.MatMul(g)],                                               // g·Bᵀ, Aᵀ·g
            "Transpose" => [g.T],                                                                                     // g transposed back
            "Add" => [SumTo(g, inputs[0]), SumTo(g, inputs[1])],                                                      // g, summed over broadcast dims
            "Mul" => [SumTo(g * inputs[1], inputs[0]), SumTo(g * inputs[0], inputs[1])],                              // g·b, g·a
            _ => throw new InvalidOperationException($"no rule written in this test for {step.Op}"),
        };
    }

    private static Tensor SumTo(Tensor g, Tensor like)
    {
        while (g.Rank > like.Rank) g = g.Sum(0);
        for (int d = 0; d < like.Rank; d++)
            if (like.Shape[d] == 1 && g.Shape[d] != 1) g = g.Sum(d, keepDim: true);
        return g;
    }

    /// <summary>Float64 values within a few ulps of each other (matrix products may add in another order).</summary>
    private static void ShouldBeClose(Tensor actual, Tensor expected, string what)
    {
        actual.Shape.ToArray().ShouldBe(expected.Shape.ToArray(), what);
        double[] a = actual.ToArray<double>(), e = expected.ToArray<double>();
        double scale = e.Length == 0 ? 0 : e.Max(Math.Abs);
        for (int i = 0; i < a.Length; i++)
            Math.Abs(a[i] - e[i]).ShouldBeLessThanOrEqualTo(4 * Math.ScaleB(scale, -52), $"{what}, element {i}: {a[i]} vs {e[i]}");
    }

    [Test]
    public void TwoLayerMlp_EveryStepSatisfiesItsRule_AndPassesItsGradientToTheStepOfItsInput()
    {
        var g = new Generator(5);
        var x = Tensor.Randn([4, 3], g, DType.Float64);
        var w1 = Leaf("w1", Tensor.Randn([5, 3], g, DType.Float64));
        var b1 = Leaf("b1", Tensor.Randn([5], g, DType.Float64));
        var w2 = Leaf("w2", Tensor.Randn([2, 5], g, DType.Float64));
        var h = (x.MatMul(w1.T) + b1).Relu();
        var loss = (h.MatMul(w2.T).Sigmoid() + h.Tanh().Sum()).Mean();   // h used twice

        var trace = Tape.TraceBackward(loss, retainGraph: true);

        trace.Steps.Select(s => s.Op).Order(StringComparer.Ordinal)
            .ShouldBe(["Add", "Add", "MatMul", "MatMul", "Mean", "Relu", "Sigmoid", "Sum", "Tanh", "Transpose", "Transpose"]);
        trace.Steps.Select(s => s.Index).ShouldBe(Enumerable.Range(1, trace.Steps.Count));
        foreach (var step in trace.Steps)
        {
            var expected = ByTheRule(step);
            for (int i = 0; i < expected.Length; i++)
            {
                if (step.InputGradients[i] is not Tensor sent)
                {
                    step.Node.InputRequiresGrad[i].ShouldBeFalse($"step {step.Index} ({step.Op}) sent nothing to input {i}");
                    continue;
                }
                ShouldBeClose(sent, expected[i]!, $"step {step.Index} ({step.Op}) → {step.InputNames[i]}");
            }
        }
        // The chain: each step's incoming gradient is the sum of what the steps of its uses sent it,
        // the very tensors (not copies), and those steps ran before it.
        foreach (var step in trace.Steps.Skip(1))
        {
            var senders = trace.Steps.SelectMany(s => s.Node.InputFns.Select((fn, i) => (Step: s, Fn: fn, I: i)))
                .Where(u => ReferenceEquals(u.Fn, step.Node)).ToList();
            senders.Count.ShouldBe(step.Contributions.Count, $"step {step.Index} ({step.Op})");
            foreach (var (sender, _, i) in senders)
            {
                sender.Index.ShouldBeLessThan(step.Index);
                step.Contributions.ShouldContain(c => ReferenceEquals(c, sender.InputGradients[i]));
            }
        }
        var relu = trace.Steps.Single(s => s.Op == "Relu");
        relu.Contributions.Count.ShouldBe(2);   // h went into the MatMul and into the Tanh
        Bits(relu.Gradient).ShouldBe(Bits(relu.Contributions[0] + relu.Contributions[1]));
        foreach (var (leaf, gradient) in trace.Leaves) Bits(gradient).ShouldBe(Bits(leaf.Grad!), leaf.Name);
    }

    [Test]
    public void LeafUsedThreeTimes_Float32_TraceSumIsGradBitForBit()
    {
        var w = Leaf("w", Tensor.FromArray([0.1f, 0.7f, -1.3f]));
        var trace = Tape.TraceBackward((w.Sigmoid() * w + w.Exp()).Sum());
        trace.Leaves.Single().Leaf.ShouldBeSameAs(w);
        Bits(trace.Leaves.Single().Gradient).ShouldBe(Bits(w.Grad!));
        // The three uses' gradients, as the steps sent them, add up (in the order they arrived) to the leaf's.
        var sent = trace.Steps.SelectMany(s => s.Node.Inputs.Select((t, i) => (t, s.InputGradients[i]))).Where(u => ReferenceEquals(u.t, w)).Select(u => u.Item2!).ToList();
        sent.Count.ShouldBe(3);
        Bits(sent[0] + sent[1] + sent[2]).ShouldBe(Bits(w.Grad!));
    }

    [Test]
    public void MulStep_SatisfiesItsRule_AndBroadcastIsSummed()
    {
        var a = Leaf("a", Tensor.FromArray(new double[,] { { 1, 2, 3 }, { 4, 5, 6 } }));
        var b = Leaf("b", Tensor.FromArray([10.0, 20.0, 30.0]));
        var trace = Tape.TraceBackward((a * b).Sum());

        var mul = trace.Steps.Single(s => s.Op == "Mul");
        mul.Rule.ShouldContain("∂/∂a = g·b");
        mul.InputShapes.ShouldBe([new[] { 2, 3 }, new[] { 3 }]);
        mul.InputNames.ShouldBe(["a", "b"]);
        // g·b for a; g·a summed over the broadcast dim 0 for b.
        Bits(mul.InputGradients[0]!).ShouldBe(Bits(mul.Gradient * b));
        Bits(mul.InputGradients[1]!).ShouldBe(Bits((mul.Gradient * a).Sum(0)));
        mul.InputGradients[1]!.ToArray<double>().ShouldBe([5.0, 7.0, 9.0]);
    }

    [Test]
    public void TensorUsedTwice_ShowsBothContributionsAndTheirSum()
    {
        var x = Leaf("x", Tensor.FromArray([1.0, 2.0]));
        var h = x * 3;
        var trace = Tape.TraceBackward((h * h + h).Sum());

        var step = trace.Steps.Single(s => s.Op == "Mul" && s.InputNames[0] == "x");   // h = x·3
        step.Contributions.Count.ShouldBe(3);   // h used three times: twice in h·h, once in + h
        Bits(step.Gradient).ShouldBe(Bits(step.Contributions[0] + step.Contributions[1] + step.Contributions[2]));
        step.Gradient.ToArray<double>().ShouldBe([2 * 3.0 + 1, 2 * 6.0 + 1]);   // d/dh (h² + h) = 2h + 1
        x.Grad!.ToArray<double>().ShouldBe([21.0, 39.0]);
        string table = trace.ToString();
        table.ShouldContain(" + ");
        table.ShouldContain("leaf gradients");
        table.ShouldContain("  x  [21, 39]");
    }

    [Test]
    public void CustomFunction_StatesItsOwnRule()
    {
        var x = Leaf("x", Tensor.FromArray([2.0]));
        var trace = Tape.TraceBackward(new Cube().Apply(x).Sum());
        trace.Steps.Single(s => s.Op == "Cube").Rule.ShouldBe("∂/∂x = g·3x²");
        x.Grad!.Item().ShouldBe(12);
    }

    [Test]
    public void LargeTensors_AreSummarised()
    {
        var x = Leaf("x", Tensor.Ones(100));
        var trace = Tape.TraceBackward(x.Sum());
        trace.ToString().ShouldContain("[100] mean 1, max |·| 1");
    }

    [Test]
    public void ToDot_WithDataAndATrace_DrawsEachTensorsValueAndGradient()
    {
        var x = Leaf("x", Tensor.FromArray([1.0, 2.0]));
        var w = Leaf("w", Tensor.FromArray([3.0, -1.0]));
        var y = (x * w).Sum();
        var trace = Tape.TraceBackward(y, retainGraph: true);
        string dot = y.ToDot(showData: true, gradients: trace);
        dot.ShouldContain("x\\n(2)\\ndata [1, 2]\\ngrad [3, -1]");      // ∂y/∂x = w
        dot.ShouldContain("w\\n(2)\\ndata [3, -1]\\ngrad [1, 2]");      // ∂y/∂w = x
        dot.ShouldContain("Mul\\n(2)\\ndata [3, -2]\\ngrad [1, 1]");
        dot.ShouldContain("Sum\\n()\\ndata 1\\ngrad 1");
        y.ToDot().ShouldNotContain("data");
        Tensor.Ones(5).ToDot(showData: true).ShouldContain("data [5] mean 1, max |·| 1");
    }

    private sealed class Cube : Function
    {
        public override string DerivativeRule => "∂/∂x = g·3x²";

        protected override Tensor Forward(IReadOnlyList<Tensor> inputs)
        {
            SaveForBackward(inputs[0]);
            return inputs[0] * inputs[0] * inputs[0];
        }

        protected override IReadOnlyList<Tensor?> Backward(Tensor gradOutput) => [gradOutput * 3 * SavedTensors[0] * SavedTensors[0]];
    }
}
