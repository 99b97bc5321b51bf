using System.Text.Json;
using NUnit.Framework;
using Shouldly;
using static Autograd.Tests.Fixtures.FixtureJson;

namespace Autograd.Tests.Ops;

/// <summary>
/// In-place ops recorded in the graph, as PyTorch records them: on a non-leaf that requires grad,
/// or with an operand that does. The programs of <c>tools/gen_inplace_recorded_fixtures.py</c> run
/// step for step, with values and gradients against PyTorch 1.13 (Float32 and Float64); then the
/// rebased history (edges of ops recorded before the change), second derivatives, the version
/// check, and the refusals that remain.
/// </summary>
/// <remarks>
/// Values and gradients are compared bit for bit: each step is the out-of-place op PyTorch runs
/// (the in-place op computes the same kernel) and each derivative PyTorch's formula, in the same
/// order of operations.
/// </remarks>
[TestFixture]
public sealed class InPlaceRecordedTests
{
    private static readonly Dictionary<string, JsonElement> Cases = LoadCases("inplace_recorded.json");

    public static IEnumerable<TestCaseData> All() => Cases.Keys.Select(n => new TestCaseData(n).SetName(n));

    /// <summary>The programs of the generator, step for step.</summary>
    private static Tensor Program(string name, Tensor a, Tensor b) => name switch
    {
        "mul_tensor" => (a * 2).MulInPlace(b),
        "mul_scalar" => (a + b).MulInPlace(-1.5),
        "add_alpha" => (a * 2).AddInPlace(b, alpha: 0.5),
        "add_scalar" => (a * b).AddInPlace(0.25),
        "sub_alpha" => (a.Exp() * 1).SubInPlace(b, alpha: 2.5),
        "sub_scalar" => (a * b).SubInPlace(3),
        "div_tensor" => (a * 3).DivInPlace(b),
        "div_scalar" => (a - b).DivInPlace(7),
        "clamp" => (a * b).ClampInPlace(-0.5, 0.75),
        "clamp_min" => (a + b).ClampInPlace(min: 0.1),
        "fill" => (a * b).FillInPlace(3) + a,
        "zero" => (a * b).ZeroInPlace() + b,
        "copy" => (a * 2).CopyFrom(b) * a,
        "used_before" => UsedBefore(a, b),
        "twice" => (a * 1).MulInPlace(b).AddInPlace(a).DivInPlace(b),
        "plain_mul" => Tensor.OnesLike(a).MulInPlace(b).AddInPlace(a),
        _ => throw new ArgumentException($"Unknown program {name}."),
    };

    private static Tensor UsedBefore(Tensor a, Tensor b)
    {
        var x = a * 2;
        var z = x + 1;       // recorded before the change: its gradient goes to x's old producer
        x.AddInPlace(b);
        return z * 3 + x * a;
    }

    [TestCaseSource(nameof(All))]
    public void Program_ValuesAndGradients_MatchPyTorchBitForBit(string name)
    {
        var c = Cases[name];
        var (a, b, w) = (Read(c.GetProperty("a")), Read(c.GetProperty("b")), Read(c.GetProperty("w")));
        a.RequiresGrad = b.RequiresGrad = true;
        var output = Program(c.GetProperty("program").GetString()!, a, b);
        Bits(output).ShouldBe(Bits(Read(c.GetProperty("output"))), name + " output");
        (output * w).Sum().Backward();
        foreach (var (leaf, key) in new[] { (a, "grad_a"), (b, "grad_b") })
        {
            var expected = c.GetProperty(key);
            if (expected.ValueKind == JsonValueKind.Null) leaf.Grad.ShouldBeNull($"{name} {key}");
            else Bits(leaf.Grad!).ShouldBe(Bits(Read(expected)), $"{name} {key}");
        }
    }

    private static long[] Bits(Tensor t) => [.. t.ToArray<double>().Select(BitConverter.DoubleToInt64Bits)];

    [Test]
    public void RecordedInPlace_RebasesTheHistory_AsPyTorchNamesIt()
    {
        var a = Tensor.FromArray([1.0, 2.0, 3.0]);
        a.RequiresGrad = true;
        var x = a * 2;
        x.GradFnName.ShouldBe("MulBackward");
        x.AddInPlace(1);
        x.GradFnName.ShouldBe("AddBackward");
        x.IsLeaf.ShouldBeFalse();
        x.ClampInPlace(0, 4).GradFnName.ShouldBe("ClampBackward");
        x.ZeroInPlace().GradFnName.ShouldBe("ZeroBackward");
        x.FillInPlace(2).GradFnName.ShouldBe("FillBackward");
        x.CopyFrom(a).GradFnName.ShouldBe("CopyBackward");
    }

    [Test]
    public void PlainTensor_WithAnOperandThatRequiresGrad_BecomesANonLeafThatRequiresGrad()
    {
        var y = Tensor.FromArray([4.0, 5.0, 6.0]);
        y.RequiresGrad = true;
        var x = Tensor.FromArray([1.0, 2.0, 3.0]);
        x.MulInPlace(y);
        x.RequiresGrad.ShouldBeTrue();
        x.IsLeaf.ShouldBeFalse();
        x.Sum().Backward();
        y.Grad!.ToArray<double>().ShouldBe([1.0, 2.0, 3.0]);   // PyTorch: tensor([1., 2., 3.])
    }

    [Test]
    public void SavedOutputChangedInPlace_IsCaughtByBackward_AsPyTorch()
    {
        // Sigmoid's backward reads its output; PyTorch: "one of the variables needed for gradient
        // computation has been modified by an inplace operation".
        var a = Tensor.FromArray([1.0, 2.0, 3.0]);
        a.RequiresGrad = true;
        var x = a.Sigmoid();
        x.MulInPlace(2);
        Should.Throw<InvalidOperationException>(() => x.Sum().Backward()).Message.ShouldContain("modified by an in-place operation");
    }

    [Test]
    public void SecondDerivative_ThroughARecordedInPlaceOp_MatchesFiniteDifferences()
    {
        var b = Tensor.FromArray([0.7, -1.3, 2.1]);
        Tensor F(IReadOnlyList<Tensor> x)
        {
            using (Tape.EnableGrad())
            {
                // f(a) = Σ (a · a · b + a) / b, with the products and the division in place.
                var y = (x[0] * 1).MulInPlace(x[0]).MulInPlace(b).AddInPlace(x[0]).DivInPlace(b);
                return Tape.Grad(y.Sum(), [x[0]], createGraph: true)[0];
            }
        }
        var result = GradCheck.Check(F, [Tensor.Randn([3], new Generator(5), DType.Float64)]);
        Assert.That(result.Passed, Is.True, result.ToString());
    }

    [Test]
    public void FirstDerivative_OfEveryRecordedOp_MatchesFiniteDifferences()
    {
        var inputs = new[] { Tensor.Randn([2, 3], new Generator(6), DType.Float64), Tensor.Rand([3], new Generator(7), DType.Float64) + 0.5 };
        Tensor F(IReadOnlyList<Tensor> x)
        {
            var (a, b) = (x[0], x[1]);
            var y = (a * 1).MulInPlace(b).AddInPlace(a, alpha: 0.5).SubInPlace(b, alpha: 2).DivInPlace(b).MulInPlace(3).ClampInPlace(-5, 5);
            return y + Tensor.ZerosLike(a).CopyFrom(b) * a;
        }
        var result = GradCheck.Check(F, inputs);
        Assert.That(result.Passed, Is.True, result.ToString());
    }

    [Test]
    public void TensorWithARecordedView_IsRefused_AndLeftUnchanged()
    {
        var a = Tensor.FromArray([1.0, 2.0, 3.0, 4.0]);
        a.RequiresGrad = true;
        var x = a * 2;
        var view = x.Reshape(2, 2);
        Should.Throw<InvalidOperationException>(() => x.MulInPlace(3)).Message.ShouldContain("view recorded in the graph");
        Should.Throw<InvalidOperationException>(() => view.AddInPlace(1)).Message.ShouldContain("view recorded in the graph");
        x.ToArray<double>().ShouldBe([2.0, 4.0, 6.0, 8.0]);
        x.GradFnName.ShouldBe("MulBackward");
        using (Tape.NoGrad()) x.MulInPlace(3);   // not recorded: allowed, as before
        view.ToArray<double>().ShouldBe([6.0, 12.0, 18.0, 24.0]);
    }

    [Test]
    public void ToDot_ShowsBothProducersOfATensorChangedInPlace()
    {
        var a = Tensor.FromArray([1.0, 2.0]);
        a.RequiresGrad = true;
        a.Name = "a";
        var x = a * 2;
        x.AddInPlace(1);
        string dot = x.ToDot();
        dot.ShouldContain("Add\\n(2)");
        dot.ShouldContain("Mul\\n(2)");
        dot.ShouldContain("a\\n(2)");
        dot.Split('\n').Count(l => l.Contains("->")).ShouldBe(2);   // a -> Mul -> Add
    }
}

/// <summary><see cref="Tensor.Add(Tensor, double)"/> and <see cref="Tensor.Sub(Tensor, double)"/> with alpha (their PyTorch bits are the add_/sub_ programs above).</summary>
[TestFixture]
public sealed class AddAlphaTests
{
    [Test]
    public void AddAndSubWithAlpha_MatchFiniteDifferences_WithBroadcasting()
    {
        var inputs = new[] { Tensor.Randn([2, 3], new Generator(8), DType.Float64), Tensor.Randn([3], new Generator(9), DType.Float64) };
        var result = GradCheck.Check(x => x[0].Add(x[1], alpha: 0.75) * x[0].Sub(x[1], alpha: -2.5), inputs);
        Assert.That(result.Passed, Is.True, result.ToString());
    }

    [Test]
    public void Alpha_IsRoundedOnceWithTheProduct()
    {
        // 1 + 3·(1/3 rounded) is 2 exactly with one rounding; with two (3·(1/3) → 1, then + 1) also 2,
        // so use a case where the two differ: a + alpha·b with a = -alpha·b rounded.
        double b = 0.1, alpha = 3;
        double a = -(alpha * b);
        var fused = Tensor.FromArray([a]).Add(Tensor.FromArray([b]), alpha).Item();
        fused.ShouldBe(Math.FusedMultiplyAdd(b, alpha, a));
        fused.ShouldNotBe(0.0);   // the product's rounding error, which two roundings would lose
    }

    [Test]
    public void IntegralOperands_RefuseAFractionalAlpha_AsPyTorch()
    {
        var x = Tensor.FromArray([1L, 2L]);
        Should.Throw<ArgumentException>(() => x.Add(x, alpha: 0.5)).ParamName.ShouldBe("alpha");
        x.Add(x, alpha: 3).ToArray<long>().ShouldBe([4L, 8L]);
        x.Sub(x, alpha: 2).ToArray<long>().ShouldBe([-1L, -2L]);
    }
}
