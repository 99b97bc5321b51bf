using System.Text.Json;
using NUnit.Framework;
using Shouldly;
using static Autograd.Nn.Tests.Utils.EmbeddingClipFixtures;

namespace Autograd.Nn.Tests.Utils;

/// <summary>
/// <see cref="Nn.Utils.ClipGradNorm"/> and <see cref="Nn.Utils.ClipGradValue"/> against PyTorch 1.13's
/// <c>clip_grad_norm_</c> and <c>clip_grad_value_</c> (tools/gen_embedding_clip_fixtures.py): the
/// returned total norm and every gradient afterwards, bit for bit, for Float32, Float64 and mixed
/// parameters, norms 1, 2, ∞, 3 and 0.5, max norms that clip and that don't, parameters without
/// a gradient, 0-d and 1-element gradients, lengths around PyTorch's 8-lane blocks, and NaN and
/// infinite gradients with errorIfNonfinite true and false.
/// </summary>
[TestFixture]
public sealed class ClipGradTests
{
    private static IEnumerable<string> NormCases() => Names("clip_grad_norm");

    private static IEnumerable<string> ValueCases() => Names("clip_grad_value");

    /// <summary>Fresh leaves of the fixture's shapes and dtypes, with the fixture's gradients (or none).</summary>
    private static List<Tensor> Parameters(JsonElement c)
        => c.GetProperty("params").EnumerateArray().Select(p =>
        {
            var dtype = ParseDType(p.GetProperty("dtype").GetString()!);
            int[] shape = [.. p.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32())];
            var t = Tensor.Zeros(shape, dtype);
            t.RequiresGrad = true;
            t.Grad = ReadOrNull(p.GetProperty("grad"));
            return t;
        }).ToList();

    // Bit for bit: TorchNorm adds in PyTorch's order (8 lanes of FMAs and the leftover split
    // for Float32 p = 2, one fused sequence for Float64, powf/pow for other p), and the
    // coefficient is rounded step by step as PyTorch's tensor ops.
    [TestCaseSource(nameof(NormCases))]
    public void ClipGradNorm_Fixture_MatchesPyTorchBitForBit(string name)
    {
        var c = Case("clip_grad_norm", name);
        var parameters = Parameters(c);
        double maxNorm = Number(c.GetProperty("max_norm")), normType = Number(c.GetProperty("norm_type"));
        bool raise = c.GetProperty("error_if_nonfinite").GetBoolean();

        if (c.GetProperty("error").ValueKind != JsonValueKind.Null)
        {
            var before = parameters.Select(p => p.Grad?.Clone()).ToList();
            var e = Should.Throw<InvalidOperationException>(() => Nn.Utils.ClipGradNorm(parameters, maxNorm, normType, raise));
            e.Message.ShouldStartWith(c.GetProperty("error").GetString()!.Split("To disable")[0].TrimEnd());
            e.Message.ShouldContain("errorIfNonfinite: false");
            for (int i = 0; i < parameters.Count; i++)
                if (before[i] is Tensor b) AssertBits(parameters[i].Grad!, b, $"grad {i} unchanged after the error");
            return;
        }

        var total = Nn.Utils.ClipGradNorm(parameters, maxNorm, normType, raise);
        AssertBits(total, Read(c.GetProperty("total_norm")), "total norm");
        var after = c.GetProperty("grads_after").EnumerateArray().ToList();
        for (int i = 0; i < parameters.Count; i++)
        {
            var expected = ReadOrNull(after[i]);
            if (expected is null) parameters[i].Grad.ShouldBeNull($"parameter {i} had no gradient");
            else AssertBits(parameters[i].Grad!, expected, $"grad {i}");
        }
    }

    [TestCaseSource(nameof(ValueCases))]
    public void ClipGradValue_Fixture_MatchesPyTorchBitForBit(string name)
    {
        var c = Case("clip_grad_value", name);
        var parameters = Parameters(c);
        Nn.Utils.ClipGradValue(parameters, c.GetProperty("clip_value").GetDouble());
        var after = c.GetProperty("grads_after").EnumerateArray().ToList();
        for (int i = 0; i < parameters.Count; i++)
        {
            var expected = ReadOrNull(after[i]);
            if (expected is null) parameters[i].Grad.ShouldBeNull();
            else AssertBits(parameters[i].Grad!, expected, $"grad {i}");
        }
    }

    [Test]
    public void ClipGradNorm_AfterBackward_ScalesTheGradientsToMaxNorm()
    {
        var w = Tensor.FromArray([3f, 4f], 2);
        w.RequiresGrad = true;
        (w * w).Sum().Backward(); // grad = 2w = (6, 8), norm 10
        var total = Nn.Utils.ClipGradNorm([w], maxNorm: 1);
        total.Item().ShouldBe(10);
        total.Rank.ShouldBe(0);
        // coef = 1 / (10 + 1e-6) in float32: the clipped norm is just under 1.
        double norm = Math.Sqrt(w.Grad!.ToArray<float>().Sum(v => (double)v * v));
        norm.ShouldBeInRange(1 - 1e-6, 1);
    }

    [Test]
    public void ClipGradNorm_WritesInPlace_BumpsTheVersion()
    {
        var w = Tensor.Ones(3);
        w.RequiresGrad = true;
        var grad = Tensor.Full([3], 5f);
        w.Grad = grad;
        int before = grad.Storage.Version;
        Nn.Utils.ClipGradNorm([w], 1);
        w.Grad.ShouldBeSameAs(grad);
        grad.Storage.Version.ShouldBeGreaterThan(before);
        Nn.Utils.ClipGradValue([w], 0.1);
        grad.Storage.Version.ShouldBeGreaterThan(before + 1);
    }

    [Test]
    public void ClipGradNorm_GradientWithAGraph_IsScaledOutsideIt()
    {
        // A gradient from Backward(createGraph: true) requires grad; the update is not recorded.
        var x = Tensor.FromArray([1.0, 2.0], 2);
        x.RequiresGrad = true;
        (x * x * x).Sum().Backward(createGraph: true);
        x.Grad!.RequiresGrad.ShouldBeTrue();
        Nn.Utils.ClipGradNorm([x], 1, double.PositiveInfinity);
        x.Grad!.ToArray<double>()[1].ShouldBe(1 / (12 + 1e-6) * 12, 1e-15);
    }

    [Test]
    public void ClipGradNorm_TakesTheModuleParameters()
    {
        var model = new Sequential(new Linear(3, 2, generator: new Generator(1)), new ReLU(), new Linear(2, 1, generator: new Generator(2)));
        model.Forward(Tensor.Ones(4, 3)).Sum().Backward();
        var total = Nn.Utils.ClipGradNorm(model.Parameters(), 0.01);
        total.Item().ShouldBeGreaterThan(0.01);
        var after = Nn.Utils.ClipGradNorm(model.Parameters(), double.PositiveInfinity);
        after.Item().ShouldBe(0.01, 1e-7);
    }

    [Test]
    public void ClipGrad_BadArguments_ThrowAndChangeNothing()
    {
        var w = Tensor.Ones(2);
        w.RequiresGrad = true;
        w.Grad = Tensor.FromArray([3f, 4f], 2);
        Should.Throw<ArgumentNullException>(() => Nn.Utils.ClipGradNorm(null!, 1)).ParamName.ShouldBe("parameters");
        Should.Throw<ArgumentNullException>(() => Nn.Utils.ClipGradValue(null!, 1)).ParamName.ShouldBe("parameters");
        Should.Throw<ArgumentException>(() => Nn.Utils.ClipGradNorm([w, null!], 1)).Message.ShouldContain("parameters[1] is null");
        Should.Throw<ArgumentOutOfRangeException>(() => Nn.Utils.ClipGradNorm([w], -1)).ParamName.ShouldBe("maxNorm");
        Should.Throw<ArgumentOutOfRangeException>(() => Nn.Utils.ClipGradNorm([w], double.NaN)).ParamName.ShouldBe("maxNorm");
        Should.Throw<ArgumentOutOfRangeException>(() => Nn.Utils.ClipGradNorm([w], 1, double.NaN)).ParamName.ShouldBe("normType");
        Should.Throw<ArgumentOutOfRangeException>(() => Nn.Utils.ClipGradValue([w], -0.5)).Message.ShouldContain("-0.5");
        Should.Throw<ArgumentOutOfRangeException>(() => Nn.Utils.ClipGradValue([w], double.NaN)).ParamName.ShouldBe("clipValue");
        var index = Tensor.Zeros([2], DType.Int64);
        index.Grad = Tensor.Zeros([2], DType.Int64);
        Should.Throw<ArgumentException>(() => Nn.Utils.ClipGradNorm([w, index], 1)).Message.ShouldContain("Int64");
        w.Grad.ToArray<float>().ShouldBe([3f, 4f]);
    }

    [Test]
    public void ClipGradNorm_NoGradients_ReturnsFloat32Zero()
    {
        var total = Nn.Utils.ClipGradNorm([], 1);
        total.DType.ShouldBe(DType.Float32);
        total.Rank.ShouldBe(0);
        total.Item().ShouldBe(0);
    }
}
