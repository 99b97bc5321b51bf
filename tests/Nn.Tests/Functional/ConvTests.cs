using System.Text.Json;
using NUnit.Framework;
using Shouldly;
using static Autograd.Nn.Tests.Modules.ModuleFixtures;
using F = Autograd.Nn.Functional;

namespace Autograd.Nn.Tests.Functional;

/// <summary>
/// <see cref="F.Conv1d"/> and <see cref="F.Conv2d"/>: outputs and gradients against PyTorch 1.13
/// (tools/gen_conv_fixtures.py → Fixtures/conv/conv.json), the fused backward against the recorded
/// one, finite differences in Float64 (first and second order), and argument checks.
/// </summary>
[TestFixture]
public sealed class ConvTests
{
    private static readonly Lazy<JsonElement> Root = new(() =>
    {
        string path = Path.Combine(TestContext.CurrentContext.TestDirectory, "Fixtures", "conv", "conv.json");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return doc.RootElement.Clone();
    });

    private static IEnumerable<string> Cases() => Root.Value.GetProperty("conv").EnumerateArray().Select(c => c.GetProperty("name").GetString()!);

    private static JsonElement Case(string name) => Root.Value.GetProperty("conv").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    private static Tensor? Optional(JsonElement c, string key) => c.GetProperty(key).ValueKind == JsonValueKind.Null ? null : ToTensor(c.GetProperty(key));

    private static IntPair Pair(JsonElement e) => e.ValueKind == JsonValueKind.Array ? (e[0].GetInt32(), e[1].GetInt32()) : e.GetInt32();

    private static ConvPadding Padding(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString()!,
        JsonValueKind.Array => (e[0].GetInt32(), e[1].GetInt32()),
        _ => e.GetInt32(),
    };

    /// <summary>The fixture's convolution on the given tensors, with its stride, padding, dilation and groups.</summary>
    private static Tensor Run(JsonElement c, Tensor x, Tensor w, Tensor? b)
    {
        int groups = c.GetProperty("groups").GetInt32();
        return c.GetProperty("dims").GetInt32() == 1
            ? F.Conv1d(x, w, b, c.GetProperty("stride").GetInt32(), Padding(c.GetProperty("padding")), c.GetProperty("dilation").GetInt32(), groups)
            : F.Conv2d(x, w, b, Pair(c.GetProperty("stride")), Padding(c.GetProperty("padding")), Pair(c.GetProperty("dilation")), groups);
    }

    /// <summary>
    /// Each result element is a sum of products (output: Kg = C/groups · KH · KW products plus the
    /// bias; grad_input: at most O/groups · KH · KW; grad_weight and grad_bias: N · OH · OW). Ours and
    /// PyTorch's (mkldnn / OpenBLAS, another summation order) each stay within γ_n · Σ|terms| of the
    /// exact sum, so they differ by at most 2 γ_n · Σ|terms| (<see cref="AssertWithinSumBound"/>),
    /// with Σ|terms| the fixture's float64 magnitude (the same convolution on absolute values).
    /// For Float64 that is about 1e-14 of the magnitude; a wrong index or transpose would be off by O(1).
    /// The worst differences measured are printed in ulps of the magnitude.
    /// </summary>
    [TestCaseSource(nameof(Cases))]
    public void Conv_Fixture_MatchesPyTorch(string name)
    {
        var c = Case(name);
        var x = ToTensor(c.GetProperty("input"));
        var w = ToTensor(c.GetProperty("weight"));
        var b = Optional(c, "bias");
        x.RequiresGrad = true;
        w.RequiresGrad = true;
        if (b is not null) b.RequiresGrad = true;
        var y = Run(c, x, w, b);
        y.Backward(ToTensor(c.GetProperty("grad_output")));

        int[] wd = w.Dims;
        int kg = wd[1..].Aggregate(1, (p, d) => p * d);
        int og = wd[0] / c.GetProperty("groups").GetInt32();
        int positions = y.NumberOfElements / wd[0];
        Check(y, "output", kg + 1);
        Check(x.Grad!, "grad_input", og * (kg / wd[1]));
        Check(w.Grad!, "grad_weight", positions);
        if (b is not null) Check(b.Grad!, "grad_bias", positions);
        else c.GetProperty("grad_bias").ValueKind.ShouldBe(JsonValueKind.Null);

        void Check(Tensor actual, string key, int terms)
        {
            var expected = ToTensor(c.GetProperty(key));
            var magnitude = Values(ToTensor(c.GetProperty(key + "_magnitude")));
            AssertWithinSumBound(actual, expected, magnitude, terms, $"{name} {key}");
            double[] a = Values(actual), e = Values(expected);
            double worst = 0;
            for (int i = 0; i < e.Length; i++)
            {
                if (a[i] == e[i]) continue;
                double m = magnitude[i];
                worst = Math.Max(worst, Math.Abs(a[i] - e[i]) / (m * UnitRoundoff(expected.DType) * 2));
            }
            TestContext.Out.WriteLine($"{name} {key}: worst |ours - PyTorch| = {worst:F2} ulp of the magnitude (terms {terms})");
        }
    }

    // ------------------------------------------------------------ finite differences

    // The convolution is linear in x, in w and in b separately (and the gradients of Σ y² are
    // quadratic), so a central difference has no truncation error whatever the step: only the
    // rounding of f(x ± eps), about 2^-53 · Σ|terms| / eps. A step of 1e-3 keeps that near 1e-11
    // even for the second-order sums of a few hundred in absolute value (at the default 1e-6 it
    // would be ~3e-8 there), so 1e-8 absolute and relative is tight and far below any real error.
    private const double Tolerance = 1e-8;
    private const double Step = 1e-3;

    public static IEnumerable<TestCaseData> GradCheckCases()
    {
        // dims, input shape, weight shape, bias, stride, padding, dilation, groups
        yield return new TestCaseData(2, new[] { 2, 2, 5, 4 }, new[] { 3, 2, 3, 2 }, true, (IntPair)1, (ConvPadding)0, (IntPair)1, 1).SetName("GradCheck2d_Plain");
        yield return new TestCaseData(2, new[] { 1, 2, 6, 5 }, new[] { 2, 2, 2, 3 }, true, (IntPair)(2, 1), (ConvPadding)(1, 2), (IntPair)(1, 2), 1).SetName("GradCheck2d_StridePadDilation");
        yield return new TestCaseData(2, new[] { 2, 4, 4, 4 }, new[] { 4, 1, 3, 3 }, true, (IntPair)1, (ConvPadding)"same", (IntPair)1, 4).SetName("GradCheck2d_DepthwiseSame");
        yield return new TestCaseData(2, new[] { 1, 4, 5, 5 }, new[] { 6, 2, 2, 2 }, false, (IntPair)2, (ConvPadding)1, (IntPair)1, 2).SetName("GradCheck2d_GroupsNoBias");
        yield return new TestCaseData(2, new[] { 2, 5, 4 }, new[] { 3, 2, 2, 2 }, true, (IntPair)1, (ConvPadding)"same", (IntPair)1, 1).SetName("GradCheck2d_UnbatchedEvenSame");
        yield return new TestCaseData(1, new[] { 2, 3, 7 }, new[] { 2, 3, 3 }, true, (IntPair)2, (ConvPadding)1, (IntPair)2, 1).SetName("GradCheck1d_StridePadDilation");
        yield return new TestCaseData(1, new[] { 4, 6 }, new[] { 4, 2, 4 }, true, (IntPair)1, (ConvPadding)"same", (IntPair)1, 2).SetName("GradCheck1d_UnbatchedGroupsSame");
    }

    private static Tensor Conv(int dims, IReadOnlyList<Tensor> t, bool bias, IntPair stride, ConvPadding padding, IntPair dilation, int groups)
        => dims == 1
            ? F.Conv1d(t[0], t[1], bias ? t[2] : null, stride.Width, padding, dilation.Width, groups)
            : F.Conv2d(t[0], t[1], bias ? t[2] : null, stride, padding, dilation, groups);

    private static List<Tensor> Inputs(int seed, int[] inputShape, int[] weightShape, bool bias)
    {
        var g = new Generator(seed);
        var inputs = new List<Tensor> { Tensor.Randn(inputShape, g, DType.Float64), Tensor.Randn(weightShape, g, DType.Float64) };
        if (bias) inputs.Add(Tensor.Randn([weightShape[0]], g, DType.Float64));
        return inputs;
    }

    [TestCaseSource(nameof(GradCheckCases))]
    public void Conv_GradCheck_Float64(int dims, int[] inputShape, int[] weightShape, bool bias, IntPair stride, ConvPadding padding, IntPair dilation, int groups)
    {
        var result = GradCheck.Check(t => Conv(dims, t, bias, stride, padding, dilation, groups), Inputs(31, inputShape, weightShape, bias), eps: Step, atol: Tolerance, rtol: Tolerance);
        result.Passed.ShouldBeTrue(result.ToString());
    }

    [TestCaseSource(nameof(GradCheckCases))]
    public void Conv_SecondOrder_GradCheck_Float64(int dims, int[] inputShape, int[] weightShape, bool bias, IntPair stride, ConvPadding padding, IntPair dilation, int groups)
    {
        // The gradients of Σ y² are quadratic in the inputs: the central difference is again exact
        // up to rounding. They come from the recorded backward (im2col, col2im and products).
        var result = GradCheck.Check(t =>
        {
            using var recording = Tape.EnableGrad();
            var loss = Conv(dims, t, bias, stride, padding, dilation, groups).Pow(2).Sum();
            var grads = Tape.Grad(loss, t.ToArray(), createGraph: true);
            return Tensor.Concat(grads.Select(d => d.Reshape(-1)).ToList());
        }, Inputs(32, inputShape, weightShape, bias), eps: Step, atol: Tolerance, rtol: Tolerance);
        result.Passed.ShouldBeTrue(result.ToString());
    }

    [TestCaseSource(nameof(GradCheckCases))]
    public void Conv_FusedBackward_EqualsRecordedBackward(int dims, int[] inputShape, int[] weightShape, bool bias, IntPair stride, ConvPadding padding, IntPair dilation, int groups)
    {
        // Same products in the same order; only the bias sum differs (FixedOrderSum against Sum),
        // so x and w gradients agree bit for bit and the bias to a few ulps.
        var inputs = Inputs(33, inputShape, weightShape, bias).Select(t => t.To(DType.Float32)).ToArray();
        foreach (var t in inputs) t.RequiresGrad = true;
        var gradOutput = Tensor.Randn(Conv(dims, inputs, bias, stride, padding, dilation, groups).Dims, new Generator(34));
        Conv(dims, inputs, bias, stride, padding, dilation, groups).Backward(gradOutput);
        var recorded = Tape.Grad(Conv(dims, inputs, bias, stride, padding, dilation, groups), inputs, gradOutput, createGraph: true);
        AssertBitwiseEqual(recorded[0].Detach(), inputs[0].Grad!, "grad_input");
        AssertBitwiseEqual(recorded[1].Detach(), inputs[1].Grad!, "grad_weight");
        if (bias)
        {
            double[] r = Values(recorded[2]), f = Values(inputs[2].Grad!);
            for (int i = 0; i < r.Length; i++) Math.Abs(r[i] - f[i]).ShouldBeLessThanOrEqualTo(1e-5 * Math.Max(1, Math.Abs(f[i])), $"grad_bias[{i}]");
        }
    }

    // ------------------------------------------------------------ shapes and graph

    [Test]
    public void Conv2d_Unbatched_EqualsBatchOfOne()
    {
        var g = new Generator(5);
        var x = Tensor.Randn([3, 6, 5], g);
        var w = Tensor.Randn([4, 3, 3, 3], g);
        var b = Tensor.Randn([4], g);
        var single = F.Conv2d(x, w, b, padding: 1);
        single.Shape.ShouldBe([4, 6, 5]);
        AssertBitwiseEqual(single, F.Conv2d(x.Unsqueeze(0), w, b, padding: 1).Squeeze(0), "unbatched");
    }

    [Test]
    public void Conv2d_IsOneGraphNode_AndDetectsAnInPlaceWeightChange()
    {
        var w = Tensor.Ones(2, 1, 2, 2);
        w.RequiresGrad = true;
        var y = F.Conv2d(Tensor.Ones(1, 1, 3, 3), w, Tensor.Zeros(2));
        y.GradFnName.ShouldBe("Conv2dBackward");
        Init.Constant(w, 2);
        Should.Throw<InvalidOperationException>(() => y.Sum().Backward());
    }

    [Test]
    public void Conv2d_EmptyBatch_GivesEmptyOutputAndGradients()
    {
        var x = Tensor.Zeros(0, 2, 5, 5);
        var w = Tensor.Ones(3, 2, 3, 3);
        x.RequiresGrad = true;
        w.RequiresGrad = true;
        var y = F.Conv2d(x, w, Tensor.Ones(3));
        y.Shape.ShouldBe([0, 3, 3, 3]);
        y.Sum().Backward();
        w.Grad!.ToArray<float>().ShouldAllBe(v => v == 0);
    }

    [Test]
    public void Conv1d_SameAndValid_GiveTheDocumentedLengths()
    {
        var x = Tensor.Ones(1, 2, 9);
        F.Conv1d(x, Tensor.Ones(3, 2, 4), padding: "same").Shape.ShouldBe([1, 3, 9]);
        F.Conv1d(x, Tensor.Ones(3, 2, 4), padding: "valid").Shape.ShouldBe([1, 3, 6]);
        F.Conv1d(x, Tensor.Ones(3, 2, 4), stride: 2, padding: 1).Shape.ShouldBe([1, 3, 4]); // ⌊(9 + 2 - 4) / 2⌋ + 1
    }

    // ------------------------------------------------------------ argument checks

    [Test]
    public void Conv_BadArguments_ThrowNamingTheFault()
    {
        var x = Tensor.Zeros(2, 3, 5, 5);
        var w = Tensor.Zeros(4, 3, 3, 3);
        Should.Throw<ArgumentException>(() => F.Conv2d(Tensor.Zeros(2, 2, 5, 5), w)).Message.ShouldContain("3 channels");
        Should.Throw<ArgumentException>(() => F.Conv2d(Tensor.Zeros(5, 5), w)).Message.ShouldContain("[5, 5]");
        Should.Throw<ArgumentException>(() => F.Conv2d(x, Tensor.Zeros(4, 3, 3))).Message.ShouldContain("[4, 3, 3]");
        Should.Throw<ArgumentException>(() => F.Conv2d(x, Tensor.Zeros(4, 3, 6, 6))).Message.ShouldContain("kernel size");
        Should.Throw<ArgumentException>(() => F.Conv2d(x, Tensor.Zeros(4, 1, 3, 3), groups: 2)).Message.ShouldContain("groups=2");
        Should.Throw<ArgumentException>(() => F.Conv2d(x.To(DType.Float64), w)).Message.ShouldContain("Float64");
        Should.Throw<ArgumentException>(() => F.Conv2d(x, w, Tensor.Zeros(3))).Message.ShouldContain("out_channels=4");
        Should.Throw<ArgumentException>(() => F.Conv2d(x, w, stride: 2, padding: "same")).Message.ShouldContain("strided");
        Should.Throw<ArgumentException>(() => F.Conv2d(x, w, padding: "full")).Message.ShouldContain("full");
        Should.Throw<ArgumentOutOfRangeException>(() => F.Conv2d(x, w, stride: 0)).ParamName.ShouldBe("stride");
        Should.Throw<ArgumentOutOfRangeException>(() => F.Conv2d(x, w, padding: -1)).ParamName.ShouldBe("padding");
        Should.Throw<ArgumentOutOfRangeException>(() => F.Conv2d(x, w, groups: 0)).ParamName.ShouldBe("groups");
        Should.Throw<ArgumentException>(() => F.Conv1d(Tensor.Zeros(1, 3, 5), Tensor.Zeros(2, 3, 3), padding: (1, 2))).Message.ShouldContain("(1, 2)");
        Should.Throw<ArgumentNullException>(() => F.Conv2d(null!, w));
        Should.Throw<ArgumentNullException>(() => F.Conv2d(x, null!));
    }
}
