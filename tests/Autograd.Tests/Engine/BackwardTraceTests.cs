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
