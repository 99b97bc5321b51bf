using System.Text.Json;
using NUnit.Framework;
using Shouldly;
using static Autograd.Nn.Tests.Modules.ModuleFixtures;
using F = Autograd.Nn.Functional;

namespace Autograd.Nn.Tests.Functional;

/// <summary>
/// The poolings: outputs, indices and input gradients against PyTorch 1.13 bit for bit
/// (tools/gen_pool_fixtures.py → Fixtures/pool/pool.json; ties, NaN and -∞ windows included),
/// finite differences in Float64 (first and second order), module reprs, and argument checks.
/// </summary>
[TestFixture]
public sealed class PoolingTests
{
    private static readonly Lazy<JsonElement> Root = new(() =>
    {
        string path = Path.Combine(TestContext.CurrentContext.TestDirectory, "Fixtures", "pool", "pool.json");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return doc.RootElement.Clone();
    });

    private static IEnumerable<TestCaseData> Cases() => Root.Value.GetProperty("pool").EnumerateArray()
        .Select((c, i) => new TestCaseData(i).SetName($"Pool_Fixture_MatchesPyTorchBitForBit({c.GetProperty("name").GetString()}, {c.GetProperty("dtype").GetString()})"));

    /// <summary>A fixture tensor, NaN and infinities (written as strings) included.</summary>
    private static Tensor Read(JsonElement t)
    {
        string dtype = t.GetProperty("dtype").GetString()!;
        int[] shape = t.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var values = t.GetProperty("values").EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String
            ? e.GetString() switch { "nan" => double.NaN, "inf" => double.PositiveInfinity, _ => double.NegativeInfinity }
            : e.GetDouble()).ToArray();
        return dtype switch
        {
            "float32" => Tensor.FromArray(values.Select(v => (float)v).ToArray(), shape),
            "float64" => Tensor.FromArray(values, shape),
            _ => Tensor.FromArray(values.Select(v => (long)v).ToArray(), shape),
        };
    }

    private static int Int(JsonElement o, string key, int fallback) => o.TryGetProperty(key, out var e) && e.ValueKind != JsonValueKind.Null ? (e.ValueKind == JsonValueKind.Array ? e[0].GetInt32() : e.GetInt32()) : fallback;

    private static IntPair? Pair(JsonElement o, string key) => o.TryGetProperty(key, out var e) && e.ValueKind != JsonValueKind.Null
        ? (e.ValueKind == JsonValueKind.Array ? (e[0].GetInt32(), e[e.GetArrayLength() - 1].GetInt32()) : e.GetInt32())
        : null;

    private static bool Bool(JsonElement o, string key, bool fallback) => o.TryGetProperty(key, out var e) ? e.GetBoolean() : fallback;

    /// <summary>The fixture's pooling of <paramref name="x"/>: the output and, for the max pools, the indices.</summary>
    private static (Tensor Output, Tensor? Indices) Run(JsonElement c, Tensor x)
    {
        var o = c.GetProperty("options");
        switch (c.GetProperty("op").GetString())
        {
            case "max2d": return F.MaxPool2dWithIndices(x, Pair(o, "kernel_size")!.Value, Pair(o, "stride"), Pair(o, "padding"), Pair(o, "dilation"), Bool(o, "ceil_mode", false));
            case "max1d":
                int? s1 = o.TryGetProperty("stride", out _) ? Int(o, "stride", 0) : null;
                return F.MaxPool1dWithIndices(x, Int(o, "kernel_size", 0), s1, Int(o, "padding", 0), Int(o, "dilation", 1), Bool(o, "ceil_mode", false));
            case "avg2d":
                int? divisor = o.TryGetProperty("divisor_override", out _) ? Int(o, "divisor_override", 0) : null;
                return (F.AvgPool2d(x, Pair(o, "kernel_size")!.Value, Pair(o, "stride"), Pair(o, "padding"), Bool(o, "ceil_mode", false), Bool(o, "count_include_pad", true), divisor), null);
            case "avg1d":
                int? s2 = o.TryGetProperty("stride", out _) ? Int(o, "stride", 0) : null;
                return (F.AvgPool1d(x, Int(o, "kernel_size", 0), s2, Int(o, "padding", 0), Bool(o, "ceil_mode", false), Bool(o, "count_include_pad", true)), null);
            case "pad":
                int[] pad = o.GetProperty("pad").EnumerateArray().Select(e => e.GetInt32()).ToArray();
                double value = o.TryGetProperty("value", out var v) ? v.GetDouble() : 0;
                return (F.Pad(x, pad, o.GetProperty("mode").GetString()!, value), null);
            case "adaptive_avg2d": return (F.AdaptiveAvgPool2d(x, Pair(o, "output_size")!.Value), null);
            default: return F.AdaptiveMaxPool2dWithIndices(x, Pair(o, "output_size")!.Value);
        }
    }

    /// <summary>
    /// Every kernel adds and compares in PyTorch's order (one scalar loop per output, the window row
    /// by row, sums in T, the same divisions; the 1x1 adaptive average is PyTorch's mean), so the
    /// outputs, the indices and the gradients are PyTorch's bits, NaN and signed zeros included.
    /// </summary>
    [TestCaseSource(nameof(Cases))]
    public void Pool_Fixture_MatchesPyTorchBitForBit(int index)
    {
        var c = Root.Value.GetProperty("pool")[index];
        var x = Read(c.GetProperty("input"));
        x.RequiresGrad = true;
        var (y, indices) = Run(c, x);
        y.Backward(Read(c.GetProperty("grad_output")));
        AssertBitwiseEqual(y.Detach(), Read(c.GetProperty("output")), "output");
        var options = c.GetProperty("options");
        bool threeDims = options.TryGetProperty("pad", out var padding) && padding.GetArrayLength() == 6;
        if (options.TryGetProperty("mode", out var mode) && (mode.GetString() == "circular" || (threeDims && mode.GetString() != "constant")))
        {
            // PyTorch's circular pad is built from slices and a cat, so an element copied several times
            // has its (at most 9 in 2-D) gradient terms added in autograd's order, not ours; a 3-D pad
            // here runs as two passes (docs: Functional.Pad), which add an element's (at most 64) terms
            // in another grouping than PyTorch's 3-D kernels. Each result stays within γ_n · Σ|terms|
            // of the exact sum (Σ|terms| = our scatter of |g|), so the two differ by at most twice that.
            var absX = x.Detach().Clone();
            absX.RequiresGrad = true;
            Run(c, absX).Output.Backward(Read(c.GetProperty("grad_output")).Abs());
            AssertWithinSumBound(x.Grad!, Read(c.GetProperty("grad_input")), Values(absX.Grad!), threeDims ? 64 : 9, "grad_input");
        }
        else AssertBitwiseEqual(x.Grad!, Read(c.GetProperty("grad_input")), "grad_input");
        if (indices is null) c.GetProperty("indices").ValueKind.ShouldBe(JsonValueKind.Null);
        else
        {
            var expected = Read(c.GetProperty("indices"));
            indices.Shape.ShouldBe(expected.Shape);
            indices.ToArray<long>().ShouldBe(expected.ToArray<long>());
        }
    }

    [Test]
    public void Pool_ModuleRepr_IsPyTorchs()
    {
        var expected = Root.Value.GetProperty("repr").EnumerateArray().ToDictionary(r => r.GetProperty("name").GetString()!, r => r.GetProperty("repr").GetString()!);
        Module[] modules =
        [
            new MaxPool2d(2), new MaxPool2d((2, 3), stride: 1, padding: 1, dilation: 2, ceilMode: true), new MaxPool1d(3, stride: 2),
            new AvgPool2d(2), new AvgPool2d((3, 2), stride: (1, 2), padding: 1, ceilMode: true, countIncludePad: false, divisorOverride: 4),
            new AvgPool1d(3, stride: 2, padding: 1), new AdaptiveAvgPool2d(3), new AdaptiveMaxPool2d((2, 3)),
        ];
        string[] names =
        [
            "MaxPool2d(2)", "MaxPool2d((2, 3), stride=1, padding=1, dilation=2, ceil_mode=True)", "MaxPool1d(3, stride=2)", "AvgPool2d(2)",
            "AvgPool2d((3, 2), stride=(1, 2), padding=1, ceil_mode=True, count_include_pad=False, divisor_override=4)",
            "AvgPool1d(3, stride=2, padding=1)", "AdaptiveAvgPool2d(3)", "AdaptiveMaxPool2d((2, 3))",
        ];
        for (int i = 0; i < modules.Length; i++) modules[i].ToString().ShouldBe(expected[names[i]], names[i]);
    }

    // ------------------------------------------------------------ finite differences

    // Every pooling is piecewise linear in x (linear for the averages; for the max pools, linear as long
    // as no window's maximum changes place). The inputs are distinct Gaussians, whose gaps within a
    // window are far above the step, so the central difference is exact up to the rounding of
    // f(x ± eps) (~1e-16 / 1e-3); 1e-8 absolute and relative is tight and far below any wrong routing.
    private const double Tolerance = 1e-8;
    private const double Step = 1e-3;

    public static IEnumerable<TestCaseData> GradCheckCases()
    {
        yield return new TestCaseData("max2d", new[] { 2, 2, 6, 7 }).SetName("GradCheck_MaxPool2d_K3S2P1Ceil");
        yield return new TestCaseData("max2d_dilated", new[] { 3, 7, 7 }).SetName("GradCheck_MaxPool2d_DilatedUnbatched");
        yield return new TestCaseData("max1d", new[] { 2, 2, 9 }).SetName("GradCheck_MaxPool1d");
        yield return new TestCaseData("avg2d", new[] { 2, 2, 7, 6 }).SetName("GradCheck_AvgPool2d_CeilPad");
        yield return new TestCaseData("avg2d_exclude", new[] { 2, 2, 7, 6 }).SetName("GradCheck_AvgPool2d_ExcludePadDivisor");
        yield return new TestCaseData("avg1d", new[] { 2, 9 }).SetName("GradCheck_AvgPool1d_Unbatched");
        yield return new TestCaseData("adaptive_avg", new[] { 2, 2, 7, 5 }).SetName("GradCheck_AdaptiveAvgPool2d");
        yield return new TestCaseData("adaptive_avg_1x1", new[] { 2, 2, 4, 3 }).SetName("GradCheck_AdaptiveAvgPool2d_1x1");
        yield return new TestCaseData("adaptive_max", new[] { 2, 2, 7, 5 }).SetName("GradCheck_AdaptiveMaxPool2d");
        yield return new TestCaseData("pad_constant", new[] { 2, 3, 4 }).SetName("GradCheck_Pad_ConstantCrop");
        yield return new TestCaseData("pad_reflect", new[] { 2, 3, 4 }).SetName("GradCheck_Pad_Reflect");
        yield return new TestCaseData("pad_replicate", new[] { 2, 5 }).SetName("GradCheck_Pad_Replicate1d");
        yield return new TestCaseData("pad_circular", new[] { 1, 2, 3, 4 }).SetName("GradCheck_Pad_Circular");
        yield return new TestCaseData("pad_replicate_3d", new[] { 2, 2, 3, 3 }).SetName("GradCheck_Pad_Replicate3d");
        yield return new TestCaseData("pad_constant_4dims", new[] { 2, 2, 3, 2 }).SetName("GradCheck_Pad_ConstantFourDims");
    }

    private static Tensor Pool(string op, Tensor x) => op switch
    {
        "max2d" => F.MaxPool2d(x, 3, stride: 2, padding: 1, ceilMode: true),
        "max2d_dilated" => F.MaxPool2d(x, (2, 3), stride: 1, padding: 1, dilation: 2),
        "max1d" => F.MaxPool1d(x, 3, stride: 2, padding: 1),
        "avg2d" => F.AvgPool2d(x, 3, stride: 2, padding: 1, ceilMode: true),
        "avg2d_exclude" => F.AvgPool2d(x, (3, 2), stride: (2, 1), padding: 1, countIncludePad: false) + F.AvgPool2d(x, 2, divisorOverride: 3).Sum(),
        "avg1d" => F.AvgPool1d(x, 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false),
        "adaptive_avg" => F.AdaptiveAvgPool2d(x, (3, 4)),
        "adaptive_avg_1x1" => F.AdaptiveAvgPool2d(x, 1),
        "pad_constant" => F.Pad(x, [2, -1, 1, 1], value: 0.5),
        "pad_reflect" => F.Pad(x, [3, 2, 2, 1], "reflect"),
        "pad_replicate" => F.Pad(x, [3, 4], "replicate"),
        "pad_circular" => F.Pad(x, [4, 1, 3, 2], "circular"),
        "pad_replicate_3d" => F.Pad(x, [2, 1, 1, 2, 2, 1], "replicate"),
        "pad_constant_4dims" => F.Pad(x, [1, -1, 0, 2, 1, 0, 1, 1], value: -0.5),
        _ => F.AdaptiveMaxPool2d(x, (3, 2)),
    };

    [TestCaseSource(nameof(GradCheckCases))]
    public void Pool_GradCheck_Float64(string op, int[] shape)
    {
        var x = Tensor.Randn(shape, new Generator(41), DType.Float64);
        var result = GradCheck.Check(t => Pool(op, t[0]), [x], eps: Step, atol: Tolerance, rtol: Tolerance);
        result.Passed.ShouldBeTrue(result.ToString());
    }

    [TestCaseSource(nameof(GradCheckCases))]
    public void Pool_SecondOrder_GradCheck_Float64(string op, int[] shape)
    {
        // The gradient of Σ (pool(x) · w)² with w fixed is again piecewise linear in x; it comes from the
        // recorded backward (scatter / spread), whose own backward is the gather / average.
        var x = Tensor.Randn(shape, new Generator(42), DType.Float64);
        var result = GradCheck.Check(t =>
        {
            using var recording = Tape.EnableGrad();
            var y = Pool(op, t[0]);
            var w = Tensor.Randn(y.Dims, new Generator(43), DType.Float64);
            var loss = (y * w).Pow(2).Sum();
            return Tape.Grad(loss, [t[0]], createGraph: true)[0];
        }, [x], eps: Step, atol: Tolerance, rtol: Tolerance);
        result.Passed.ShouldBeTrue(result.ToString());
    }

    // ------------------------------------------------------------ behaviour

    [Test]
    public void MaxPool2d_Ties_GradientGoesToTheFirstMaximumInScanOrder()
    {
        var x = Tensor.FromArray(new float[] { 1, 3, 3, 3, 0, 3, 2, 2, 1 }, [1, 1, 3, 3]);
        x.RequiresGrad = true;
        var (y, indices) = F.MaxPool2dWithIndices(x, 2, stride: 1);
        indices.ToArray<long>().ShouldBe([1L, 1L, 3L, 5L]); // windows (0,0) (0,1) (1,0) (1,1)
        y.Sum().Backward();
        x.Grad!.ToArray<float>().ShouldBe([0f, 2f, 0f, 1f, 0f, 1f, 0f, 0f, 0f]);
    }

    [Test]
    public void Pool_IsOneGraphNode_NamedAfterTheOp()
    {
        var x = Tensor.Randn([1, 1, 4, 4], new Generator(3));
        x.RequiresGrad = true;
        var y = F.MaxPool2d(x, 2);
        y.GradFnName.ShouldBe("MaxPool2dBackward");
        F.AvgPool2d(x, 2).GradFnName.ShouldBe("AvgPool2dBackward");
        F.AdaptiveMaxPool2d(x, 3).GradFnName.ShouldBe("AdaptiveMaxPool2dBackward");
        F.Pad(x, [1, 1, 2, 0], "reflect").GradFnName.ShouldBe("PadBackward");
    }

    [Test]
    public void Pool_EmptyBatch_GivesEmptyOutput()
    {
        var x = Tensor.Zeros(0, 2, 5, 5);
        x.RequiresGrad = true;
        var y = F.MaxPool2d(x, 2);
        y.Shape.ShouldBe([0, 2, 2, 2]);
        y.Sum().Backward();
        x.Grad!.Shape.ShouldBe([0, 2, 5, 5]);
        F.AvgPool2d(x, 2).Shape.ShouldBe([0, 2, 2, 2]);
    }

    [Test]
    public void Pool_Modules_CallTheirFunctionalForms()
    {
        var x = Tensor.Randn([2, 3, 7, 6], new Generator(9));
        AssertBitwiseEqual(new MaxPool2d(3, stride: 2, padding: 1, ceilMode: true).Forward(x), F.MaxPool2d(x, 3, 2, 1, ceilMode: true), "MaxPool2d");
        AssertBitwiseEqual(new AvgPool2d(3, 2, 1, countIncludePad: false).Forward(x), F.AvgPool2d(x, 3, 2, 1, countIncludePad: false), "AvgPool2d");
        AssertBitwiseEqual(new AdaptiveAvgPool2d((2, 4)).Forward(x), F.AdaptiveAvgPool2d(x, (2, 4)), "AdaptiveAvgPool2d");
        AssertBitwiseEqual(new AdaptiveMaxPool2d(2).Forward(x), F.AdaptiveMaxPool2d(x, 2), "AdaptiveMaxPool2d");
        var s = Tensor.Randn([2, 3, 9], new Generator(10));
        AssertBitwiseEqual(new MaxPool1d(3, 2, 1).Forward(s), F.MaxPool1d(s, 3, 2, 1), "MaxPool1d");
        AssertBitwiseEqual(new AvgPool1d(3, 2, 1).Forward(s), F.AvgPool1d(s, 3, 2, 1), "AvgPool1d");
        new MaxPool2d(2).NamedParameters().ShouldBeEmpty();
    }

    // ------------------------------------------------------------ argument checks

    [Test]
    public void Pool_BadArguments_ThrowNamingTheFault()
    {
        var x = Tensor.Zeros(2, 3, 5, 5);
        Should.Throw<ArgumentException>(() => F.MaxPool2d(Tensor.Zeros(5, 5), 2)).Message.ShouldContain("[5, 5]");
        Should.Throw<ArgumentException>(() => F.MaxPool2d(Tensor.Zeros(1, 0, 5, 5), 2)).Message.ShouldContain("[1, 0, 5, 5]");
        Should.Throw<ArgumentException>(() => F.AvgPool2d(x, 6)).Message.ShouldContain("too small");
        Should.Throw<ArgumentException>(() => F.MaxPool2d(Tensor.FromArray(new long[25], [1, 5, 5]), 2)).Message.ShouldContain("Int64");
        Should.Throw<ArgumentOutOfRangeException>(() => F.MaxPool2d(x, 0)).ParamName.ShouldBe("kernelSize");
        Should.Throw<ArgumentOutOfRangeException>(() => F.MaxPool2d(x, 2, stride: (1, 0))).ParamName.ShouldBe("stride");
        Should.Throw<ArgumentOutOfRangeException>(() => F.MaxPool2d(x, 2, dilation: 0)).ParamName.ShouldBe("dilation");
        Should.Throw<ArgumentOutOfRangeException>(() => F.MaxPool2d(x, 3, padding: 2)).ParamName.ShouldBe("padding");
        Should.Throw<ArgumentOutOfRangeException>(() => F.AvgPool2d(x, 2, divisorOverride: 0)).ParamName.ShouldBe("divisorOverride");
        Should.Throw<ArgumentOutOfRangeException>(() => F.AdaptiveAvgPool2d(x, (0, 2))).ParamName.ShouldBe("outputSize");
        Should.Throw<ArgumentException>(() => F.MaxPool1d(x, 2)).Message.ShouldContain("[2, 3, 5, 5]");
        Should.Throw<ArgumentOutOfRangeException>(() => new MaxPool1d(2, padding: 2)).ParamName.ShouldBe("padding");
        Should.Throw<ArgumentNullException>(() => F.AvgPool2d(null!, 2));
        Should.Throw<ArgumentException>(() => F.Pad(x, [1, 2, 3])).ParamName.ShouldBe("pad");
        Should.Throw<ArgumentException>(() => F.Pad(x, [1, 1], "mirror")).ParamName.ShouldBe("mode");
        Should.Throw<ArgumentException>(() => F.Pad(x, [5, 0], "reflect")).Message.ShouldContain("[2, 3, 5, 5]");
        Should.Throw<ArgumentException>(() => F.Pad(Tensor.Zeros(5), [1, 1], "reflect")).Message.ShouldContain("[5]");
        F.Pad(x, [1, 1, 1, 1, 1, 1]).Shape.ShouldBe(new[] { 2, 5, 7, 7 });   // constant: any number of dimensions
        Should.Throw<ArgumentException>(() => F.Pad(x, [1, 1, 1, 1, 1, 1, 1, 1], "replicate")).Message.ShouldContain("at most 3 dimensions");
        Should.Throw<ArgumentException>(() => F.Pad(x, [1, 1, 1, 1, 9, 9], "reflect")).Message.ShouldContain("[2, 3, 5, 5]");
        Should.Throw<ArgumentException>(() => F.Pad(Tensor.Zeros(2, 4), [1, 1], "circular")).Message.ShouldContain("3-D input");
    }
}
