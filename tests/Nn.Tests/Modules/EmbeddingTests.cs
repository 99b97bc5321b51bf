using System.Text.Json;
using NUnit.Framework;
using Shouldly;
using static Autograd.Nn.Tests.Utils.EmbeddingClipFixtures;
using F = Autograd.Nn.Functional;

namespace Autograd.Nn.Tests.Modules;

/// <summary>
/// <see cref="Embedding"/> and <see cref="F.Embedding"/>: outputs, weight gradients (repeated
/// indices, paddingIdx, scaleGradByFreq), the in-place maxNorm rescaling and second-order
/// gradients against PyTorch 1.13 (tools/gen_embedding_clip_fixtures.py, section "embedding"), bit
/// for bit; finite differences in Float64; initialisation, FromPretrained, names and refusals.
/// </summary>
[TestFixture]
public sealed class EmbeddingTests
{
    private static IEnumerable<string> Cases() => Names("embedding");

    private static int? PaddingIdx(JsonElement c)
        => c.GetProperty("padding_idx").ValueKind == JsonValueKind.Null ? null : c.GetProperty("padding_idx").GetInt32();

    private static double? MaxNorm(JsonElement c)
        => c.GetProperty("max_norm").ValueKind == JsonValueKind.Null ? null : c.GetProperty("max_norm").GetDouble();

    private static Tensor Lookup(JsonElement c, Tensor indices, Tensor weight)
        => F.Embedding(indices, weight, PaddingIdx(c), MaxNorm(c), c.GetProperty("norm_type").GetDouble(), c.GetProperty("scale_grad_by_freq").GetBoolean());

    // Bit for bit: the lookup copies rows; the gradient adds the rows of the output gradient into
    // zeros in index order (with one FMA by the float 1/count when scaling), as PyTorch's
    // embedding_dense_backward_cpu; maxNorm uses PyTorch's norm order and rounding of the scale.
    [TestCaseSource(nameof(Cases))]
    public void Functional_Fixture_MatchesPyTorchBitForBit(string name)
    {
        var c = Case("embedding", name);
        var weight = Read(c.GetProperty("weight"));
        weight.RequiresGrad = true;
        var indices = Read(c.GetProperty("indices"));
        var output = Lookup(c, indices, weight);
        output.GradFnName.ShouldBe("EmbeddingBackward");
        output.Backward(Read(c.GetProperty("grad_output")));
        AssertBits(output, Read(c.GetProperty("output")), "output");
        AssertBits(weight.Grad!, Read(c.GetProperty("grad_weight")), "grad_weight");
        AssertBits(weight.Detach(), Read(c.GetProperty("weight_after")), "weight after the call (maxNorm renorms in place)");
    }

    [TestCaseSource(nameof(Cases))]
    public void Module_FromPretrained_Fixture_MatchesPyTorchBitForBit(string name)
    {
        var c = Case("embedding", name);
        var embed = Embedding.FromPretrained(Read(c.GetProperty("weight")), freeze: false, PaddingIdx(c), MaxNorm(c),
            c.GetProperty("norm_type").GetDouble(), c.GetProperty("scale_grad_by_freq").GetBoolean());
        var output = embed.Forward(Read(c.GetProperty("indices")));
        output.Backward(Read(c.GetProperty("grad_output")));
        AssertBits(output, Read(c.GetProperty("output")), "output");
        AssertBits(embed.Weight.Grad!, Read(c.GetProperty("grad_weight")), "grad_weight");
        AssertBits(embed.Weight.Detach(), Read(c.GetProperty("weight_after")), "weight after");
    }

    // The second-order gradient d/dw Σ (d/dw Σ out·out·c) · r runs the embedding backward's own
    // backward (the lookup of r's rows, zero at padding, scaled by 1/count) and the Mul backwards.
    [TestCaseSource(nameof(Cases))]
    public void SecondOrder_Fixture_MatchesPyTorchBitForBit(string name)
    {
        var c = Case("embedding", name);
        var so = c.GetProperty("second_order");
        var w = Read(c.GetProperty("weight_after"));
        w.RequiresGrad = true;
        var o = Lookup(c, Read(c.GetProperty("indices")), w);
        var gw = Tape.Grad((o * o * Read(so.GetProperty("c"))).Sum(), [w], createGraph: true)[0];
        gw.GradFnName.ShouldNotBeNull();
        (gw * Read(so.GetProperty("r"))).Sum().Backward();
        AssertBits(w.Grad!, Read(so.GetProperty("grad_weight")), "second-order grad_weight");
    }

    // The output is linear in the weight: a central difference has no truncation error, only the
    // rounding of f(w ± eps) (~1e-16 / 1e-6), so 1e-8 is tight. A padding row that occurs in the
    // input, or scaleGradByFreq, makes the weight gradient differ from the derivative on purpose
    // (as in PyTorch), so the first-order check uses a padding row the input does not contain.
    private const double Linear = 1e-8;

    [TestCase(null)]
    [TestCase(2)]
    [TestCase(-3)]
    public void GradCheck_Float64(int? paddingIdx)
    {
        var g = new Generator(31);
        var weight = Tensor.Randn([5, 3], g, DType.Float64);
        var indices = Tensor.FromArray(new long[] { 1, 3, 3, 0, 4, 1, 3, 4 }, 2, 4);
        var result = GradCheck.Check(t => F.Embedding(indices, t[0], paddingIdx) * 1.5, [weight], atol: Linear, rtol: Linear);
        result.Passed.ShouldBeTrue(result.ToString());
    }

    [TestCase(false)]
    [TestCase(true)]
    public void WeightGradient_GradCheck_Float64_TheScaledGradientIsLinearInTheOutputGradient(bool scaleGradByFreq)
    {
        // g -> dL/dW = Σ_i s_k e_k g_iᵀ as a function of the output gradient g, through Tape.Grad with
        // createGraph. Its backward is PyTorch's double backward, which drops s_k: with scaling,
        // finite differences see the factor and the check must fail (the documented deviation of
        // PyTorch, kept for its bits: SecondOrder_Fixture_MatchesPyTorchBitForBit).
        var gen = new Generator(34);
        var weight = Tensor.Randn([5, 3], gen, DType.Float64);
        weight.RequiresGrad = true;
        var indices = Tensor.FromArray(new long[] { 1, 3, 3, 0, 4, 1, 3, 2 }, 8);
        var result = GradCheck.Check(t =>
        {
            using var recording = Tape.EnableGrad();
            var o = F.Embedding(indices, weight, paddingIdx: 4, scaleGradByFreq: scaleGradByFreq);
            return Tape.Grad(o, [weight], t[0], createGraph: true)[0];
        }, [Tensor.Randn([8, 3], gen, DType.Float64)], atol: Linear, rtol: Linear);
        result.Passed.ShouldBe(!scaleGradByFreq, result.ToString());
    }

    [TestCase(null)]
    [TestCase(-1)]
    public void SecondOrder_GradCheck_Float64(int? paddingIdx)
    {
        // d/dw Σ (W[x])² · c = scatter of 2 c W[x]: linear in w again, so exact differences. The
        // padding row (4, which occurs) gets no gradient at either order.
        var g = new Generator(32);
        var weight = Tensor.Randn([5, 3], g, DType.Float64);
        var indices = Tensor.FromArray(new long[] { 1, 3, 3, 0, 4, 1, 3, 2 }, 8);
        var c = Tensor.Randn([8, 3], g, DType.Float64);
        var result = GradCheck.Check(t =>
        {
            using var recording = Tape.EnableGrad();
            var o = F.Embedding(indices, t[0], paddingIdx);
            return Tape.Grad((o * o * c).Sum(), [t[0]], createGraph: true)[0];
        }, [weight], atol: Linear, rtol: Linear);
        result.Passed.ShouldBeTrue(result.ToString());
    }

    [Test]
    public void ThirdOrder_TheBackwardOfTheBackwardIsDifferentiableToo()
    {
        // h(w) = Σ r ⊙ d/dw Σ c ⊙ W[x]³ is quadratic in W: its gradient needs the adjoint's backward.
        var g = new Generator(33);
        var weight = Tensor.Randn([4, 2], g, DType.Float64);
        var indices = Tensor.FromArray(new long[] { 1, 3, 1, 0 }, 4);
        var (c, r) = (Tensor.Randn([4, 2], g, DType.Float64), Tensor.Randn([4, 2], g, DType.Float64));
        var result = GradCheck.Check(t =>
        {
            using var recording = Tape.EnableGrad();
            var o = F.Embedding(indices, t[0], paddingIdx: 3);
            var gw = Tape.Grad((o * o * o * c).Sum(), [t[0]], createGraph: true)[0];
            return Tape.Grad((gw * gw * r).Sum(), [t[0]], createGraph: true)[0];
        }, [weight], atol: 1e-6, rtol: 1e-6);
        result.Passed.ShouldBeTrue(result.ToString());
    }

    [Test]
    public void PaddingRow_IsZeroAtInitAndGetsNoGradient()
    {
        var embed = new Embedding(5, 3, paddingIdx: -2, generator: new Generator(4));
        embed.PaddingIdx.ShouldBe(3);
        embed.Weight.ToArray<float>().Skip(9).Take(3).ShouldBe([0f, 0f, 0f]);
        embed.Forward(Tensor.FromArray(new long[] { 3, 3, 1, 3 }, 4)).Sum().Backward();
        var grad = embed.Weight.Grad!.ToArray<float>();
        grad.Skip(9).Take(3).ShouldBe([0f, 0f, 0f]);
        grad.Skip(3).Take(3).ShouldBe([1f, 1f, 1f]);
    }

    [Test]
    public void Init_IsStandardNormalFromTheGenerator()
    {
        var embed = new Embedding(40, 50, generator: new Generator(7), dtype: DType.Float64);
        var expected = Init.Normal(Tensor.Zeros([40, 50], DType.Float64), 0, 1, new Generator(7));
        AssertBits(embed.Weight.Detach(), expected, "weight");
        var v = embed.Weight.ToArray<double>();
        double mean = v.Average(), variance = v.Select(x => (x - mean) * (x - mean)).Average();
        // 2,000 samples: the mean's standard error is 0.022, the variance's about 0.032.
        mean.ShouldBeInRange(-0.1, 0.1);
        variance.ShouldBeInRange(0.85, 1.15);
        embed.Weight.RequiresGrad.ShouldBeTrue();
    }

    [Test]
    public void Names_AndRepr_AsPyTorch()
    {
        var embed = new Embedding(5, 3, paddingIdx: -2);
        embed.NamedParameters().Select(p => p.Name).ShouldBe(["weight"]);
        embed.Weight.Shape.ShouldBe([5, 3]);
        embed.StateDict().Keys.ShouldBe(["weight"]);
        // PyTorch 1.13: str(nn.Embedding(5, 3, padding_idx=-2)) and the non-default options.
        embed.ToString().ShouldBe("Embedding(5, 3, padding_idx=3)");
        new Embedding(5, 3, maxNorm: 1, normType: 1, scaleGradByFreq: true).ToString()
            .ShouldBe("Embedding(5, 3, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True)");
    }

    [Test]
    public void FromPretrained_SharesTheData_FreezesByDefault_KeepsThePaddingRow()
    {
        var table = Tensor.FromArray(new double[,] { { 1, 2 }, { 3, 4 }, { 5, 6 } });
        var frozen = Embedding.FromPretrained(table, paddingIdx: 1);
        frozen.Weight.RequiresGrad.ShouldBeFalse();
        frozen.Weight.ToArray<double>().ShouldBe([1, 2, 3, 4, 5, 6]);
        frozen.PaddingIdx.ShouldBe(1);
        frozen.Forward(Tensor.FromArray(new long[] { 2 }, 1)).RequiresGrad.ShouldBeFalse();
        using (Tape.NoGrad()) table.MulInPlace(2);
        frozen.Weight.ToArray<double>()[0].ShouldBe(2); // a view of the caller's tensor, as Parameter(embeddings)
        var trainable = Embedding.FromPretrained(table, freeze: false);
        trainable.Weight.RequiresGrad.ShouldBeTrue();
        table.RequiresGrad.ShouldBeFalse();
    }

    [Test]
    public void Forward_ShapesOfAnyRank()
    {
        var embed = new Embedding(6, 4, generator: new Generator(2));
        embed.Forward(Tensor.Scalar(3L)).Shape.ShouldBe([4]);
        embed.Forward(Tensor.Zeros([2, 3, 5], DType.Int64)).Shape.ShouldBe([2, 3, 5, 4]);
        embed.Forward(Tensor.Zeros([0], DType.Int64)).Shape.ShouldBe([0, 4]);
        embed.Forward(Tensor.Scalar(3L)).ToArray<float>().ShouldBe(embed.Weight.ToArray<float>()[12..16]);
    }

    [Test]
    public void MaxNorm_RescalesOnlyLookedUpRows_AndBumpsTheVersion()
    {
        var w = Tensor.FromArray(new double[,] { { 3, 4 }, { 6, 8 }, { 0.3, 0.4 } });
        int version = w.Storage.Version;
        var y = F.Embedding(Tensor.FromArray(new long[] { 0, 2 }, 2), w, maxNorm: 1);
        w.Storage.Version.ShouldBeGreaterThan(version);
        var v = w.ToArray<double>();
        v[0].ShouldBe(3 * (1 / (5 + 1e-7)));
        v[2..4].ShouldBe([6.0, 8.0]);             // not looked up: unchanged
        v[4..6].ShouldBe([0.3, 0.4]);             // norm 0.5 <= 1: unchanged
        y.ToArray<double>()[0].ShouldBe(v[0]);    // the lookup reads the rescaled row
    }

    [Test]
    public void IndicesChangedBeforeBackward_AreDetected()
    {
        var w = Tensor.Ones(4, 2);
        w.RequiresGrad = true;
        var x = Tensor.FromArray(new long[] { 1, 2 }, 2);
        var y = F.Embedding(x, w);
        using (Tape.NoGrad()) x.FillInPlace(0);
        Should.Throw<InvalidOperationException>(() => y.Sum().Backward());
    }

    [Test]
    public void InSequential_TheRecycledChainGivesTheSameGradients()
    {
        // Embedding is a built-in layer of ActivationRecycling: its output is disposed once Flatten
        // and Linear have consumed it. Its backward needs only the indices, so nothing changes.
        Sequential Model() => new(Embedding.FromPretrained(Tensor.Randn([7, 3], new Generator(5)), freeze: false), new Flatten(), new Linear(6, 2, generator: new Generator(6)));
        var x = Tensor.FromArray(new long[] { 1, 6, 0, 1, 2, 2 }, 3, 2);
        var chained = Model();
        chained.Forward(x).Pow(2).Sum().Backward();
        var byHand = Model();
        var mods = byHand.Children().ToList();
        mods[2].Forward(mods[1].Forward(mods[0].Forward(x))).Pow(2).Sum().Backward();
        foreach (var (a, b) in chained.Parameters().Zip(byHand.Parameters())) AssertBits(a.Grad!, b.Grad!, "grad");
        x.IsDisposed.ShouldBeFalse();
    }

    [Test]
    public void BadArguments_ThrowClearly_AndLeaveTheWeightUnchanged()
    {
        var embed = new Embedding(5, 3, maxNorm: 0.01, generator: new Generator(3));
        var before = embed.Weight.Clone();
        var e = Should.Throw<ArgumentOutOfRangeException>(() => embed.Forward(Tensor.FromArray(new long[] { 0, 5 }, 2)));
        e.ParamName.ShouldBe("input");
        e.Message.ShouldContain("index 5");
        e.Message.ShouldContain("0 to 4");
        Should.Throw<ArgumentOutOfRangeException>(() => embed.Forward(Tensor.FromArray(new long[] { -1 }, 1))).Message.ShouldContain("index -1");
        AssertBits(embed.Weight.Detach(), before, "weight unchanged (the renorm runs after the checks)");
        Should.Throw<ArgumentException>(() => embed.Forward(Tensor.Zeros(2))).Message.ShouldContain("Int64");
        Should.Throw<NotSupportedException>(() => new Embedding(5, 3, sparse: true)).Message.ShouldContain("sparse");
        Should.Throw<NotSupportedException>(() => F.Embedding(Tensor.Scalar(1L), Tensor.Zeros(3, 2), sparse: true));
        Should.Throw<NotSupportedException>(() => Embedding.FromPretrained(Tensor.Zeros(3, 2), sparse: true));
        Should.Throw<ArgumentOutOfRangeException>(() => new Embedding(5, 3, paddingIdx: 5)).Message.ShouldContain("[-5, 4]");
        Should.Throw<ArgumentOutOfRangeException>(() => new Embedding(5, 3, paddingIdx: -6)).ParamName.ShouldBe("paddingIdx");
        Should.Throw<ArgumentOutOfRangeException>(() => new Embedding(0, 3)).ParamName.ShouldBe("numEmbeddings");
        Should.Throw<ArgumentOutOfRangeException>(() => new Embedding(3, -1)).ParamName.ShouldBe("embeddingDim");
        Should.Throw<ArgumentOutOfRangeException>(() => new Embedding(3, 2, maxNorm: -1)).ParamName.ShouldBe("maxNorm");
        Should.Throw<ArgumentOutOfRangeException>(() => new Embedding(3, 2, normType: double.NaN)).ParamName.ShouldBe("normType");
        Should.Throw<ArgumentException>(() => new Embedding(3, 2, dtype: DType.Int64)).ParamName.ShouldBe("dtype");
        Should.Throw<ArgumentException>(() => Embedding.FromPretrained(Tensor.Zeros(3))).Message.ShouldContain("2-D");
        Should.Throw<ArgumentException>(() => F.Embedding(Tensor.Scalar(1L), Tensor.Zeros(2, 2, 2))).ParamName.ShouldBe("weight");
        Should.Throw<ArgumentNullException>(() => F.Embedding(null!, Tensor.Zeros(2, 2)));
        Should.Throw<ArgumentNullException>(() => embed.Forward(null!));
    }
}
