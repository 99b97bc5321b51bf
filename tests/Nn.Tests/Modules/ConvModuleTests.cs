using System.Text.Json;
using NUnit.Framework;
using Shouldly;
using F = Autograd.Nn.Functional;

namespace Autograd.Nn.Tests.Modules;

/// <summary>
/// The <see cref="Conv1d"/> and <see cref="Conv2d"/> modules: PyTorch's parameter names, shapes,
/// initialisation bounds and printed form (Fixtures/conv/conv.json, section "repr"), and that
/// Forward is the functional form. (Values and gradients against PyTorch: Functional/ConvTests.)
/// </summary>
[TestFixture]
public sealed class ConvModuleTests
{
    private static readonly Lazy<Dictionary<string, string>> Reprs = new(() =>
    {
        string path = Path.Combine(TestContext.CurrentContext.TestDirectory, "Fixtures", "conv", "conv.json");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return doc.RootElement.GetProperty("repr").EnumerateArray()
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("repr").GetString()!, StringComparer.Ordinal);
    });

    /// <summary>The C# construction of each module whose PyTorch repr the fixture holds (keyed by the Python call).</summary>
    private static readonly Dictionary<string, Func<Module>> Constructions = new(StringComparer.Ordinal)
    {
        ["Conv2d(1, 6, 5)"] = () => new Conv2d(1, 6, 5),
        ["Conv2d(3, 8, (3, 5), stride=2, padding=(1, 2), dilation=(2, 1), groups=1, bias=False)"] = () => new Conv2d(3, 8, (3, 5), stride: 2, padding: (1, 2), dilation: (2, 1), groups: 1, bias: false),
        ["Conv2d(4, 4, 3, padding='same', groups=4)"] = () => new Conv2d(4, 4, 3, padding: "same", groups: 4),
        ["Conv2d(2, 2, 3, padding='valid')"] = () => new Conv2d(2, 2, 3, padding: "valid"),
        ["Conv1d(3, 5, 4)"] = () => new Conv1d(3, 5, 4),
        ["Conv1d(4, 8, 3, stride=2, padding=1, dilation=2, groups=2, bias=False)"] = () => new Conv1d(4, 8, 3, stride: 2, padding: 1, dilation: 2, groups: 2, bias: false),
        ["Conv1d(2, 2, 3, padding='same')"] = () => new Conv1d(2, 2, 3, padding: "same"),
        ["Conv2d(2, 3, 3, padding=1, padding_mode='reflect')"] = () => new Conv2d(2, 3, 3, padding: 1, paddingMode: "reflect"),
        ["Conv1d(2, 3, 3, padding=1, padding_mode='circular')"] = () => new Conv1d(2, 3, 3, padding: 1, paddingMode: "circular"),
    };

    private static IEnumerable<string> ReprCases() => Constructions.Keys;

    [TestCaseSource(nameof(ReprCases))]
    public void ToString_MatchesPyTorchRepr(string call) => Constructions[call]().ToString().ShouldBe(Reprs.Value[call]);

    [Test]
    public void Conv2d_Parameters_HavePyTorchNamesShapesAndBounds()
    {
        var conv = new Conv2d(6, 16, (5, 3), groups: 2, generator: new Generator(7), dtype: DType.Float64);
        conv.NamedParameters().Select(p => p.Name).ShouldBe(["weight", "bias"]);
        conv.Weight.Shape.ShouldBe([16, 3, 5, 3]);
        conv.Bias!.Shape.ShouldBe([16]);
        // kaiming_uniform_(a=√5) and the bias both give U(-1/√fan_in, 1/√fan_in), fan_in = 6/2 · 5 · 3 = 45.
        double bound = 1 / Math.Sqrt(45);
        double[] w = conv.Weight.ToArray<double>(), b = conv.Bias.ToArray<double>();
        w.ShouldAllBe(v => Math.Abs(v) <= bound);
        b.ShouldAllBe(v => Math.Abs(v) <= bound);
        // Spread over the interval, not a constant: the sample's extremes come near the bound.
        w.Max().ShouldBeGreaterThan(0.9 * bound);
        w.Min().ShouldBeLessThan(-0.9 * bound);
    }

    [Test]
    public void Conv1d_WithoutBias_HasOnlyTheWeight()
    {
        var conv = new Conv1d(4, 6, 3, groups: 2, bias: false, generator: new Generator(8));
        conv.NamedParameters().Select(p => p.Name).ShouldBe(["weight"]);
        conv.Weight.Shape.ShouldBe([6, 2, 3]);
        conv.Bias.ShouldBeNull();
        conv.Weight.ToArray<float>().ShouldAllBe(v => Math.Abs(v) <= 1 / Math.Sqrt(6));
    }

    [Test]
    public void Forward_IsTheFunctionalForm()
    {
        var g = new Generator(9);
        var conv2 = new Conv2d(2, 3, 3, stride: (2, 1), padding: 1, dilation: (1, 2), generator: g);
        var x2 = Tensor.Randn([2, 2, 7, 8], g);
        ModuleFixtures.AssertBitwiseEqual(conv2.Forward(x2), F.Conv2d(x2, conv2.Weight, conv2.Bias, (2, 1), 1, (1, 2)), "Conv2d");
        var conv1 = new Conv1d(4, 2, 3, padding: "same", groups: 2, generator: g);
        var x1 = Tensor.Randn([4, 9], g);
        ModuleFixtures.AssertBitwiseEqual(conv1.Forward(x1), F.Conv1d(x1, conv1.Weight, conv1.Bias, padding: "same", groups: 2), "Conv1d");
    }

    private static readonly Lazy<JsonElement> Root = new(() =>
    {
        string path = Path.Combine(TestContext.CurrentContext.TestDirectory, "Fixtures", "conv", "conv.json");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return doc.RootElement.Clone();
    });

    private static IEnumerable<string> ModeCases() => Root.Value.GetProperty("padding_modes").EnumerateArray().Select(c => c.GetProperty("name").GetString()!);

    private static IntPair Pair(JsonElement e) => e.ValueKind == JsonValueKind.Array ? (e[0].GetInt32(), e[1].GetInt32()) : e.GetInt32();

    private static Module Build(JsonElement c, DType dtype)
    {
        int cin = c.GetProperty("in_channels").GetInt32(), cout = c.GetProperty("out_channels").GetInt32(), groups = c.GetProperty("groups").GetInt32();
        var k = c.GetProperty("kernel_size");
        var p = c.GetProperty("padding");
        ConvPadding padding = p.ValueKind switch { JsonValueKind.String => p.GetString()!, JsonValueKind.Array => (p[0].GetInt32(), p[1].GetInt32()), _ => p.GetInt32() };
        bool bias = c.GetProperty("bias").ValueKind != JsonValueKind.Null;
        string mode = c.GetProperty("padding_mode").GetString()!;
        return c.GetProperty("dims").GetInt32() == 1
            ? new Conv1d(cin, cout, k[0].GetInt32(), c.GetProperty("stride").GetInt32(), padding, c.GetProperty("dilation").GetInt32(), groups, bias, mode, dtype: dtype)
            : new Conv2d(cin, cout, (k[0].GetInt32(), k[1].GetInt32()), Pair(c.GetProperty("stride")), padding, Pair(c.GetProperty("dilation")), groups, bias, mode, dtype: dtype);
    }

    /// <summary>
    /// The padding modes against nn.Conv1d/nn.Conv2d (padding_mode reflect, replicate, circular):
    /// the padded copy is exact, so the bound is the convolution's (see ConvTests.Conv_Fixture_MatchesPyTorch),
    /// with the input gradient's terms at most KH · KW · O/groups per padded copy, and an input
    /// element copied at most 3 times per dimension into the padding.
    /// </summary>
    [TestCaseSource(nameof(ModeCases))]
    public void PaddingMode_Fixture_MatchesPyTorch(string name)
    {
        var c = Root.Value.GetProperty("padding_modes").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        var x = ModuleFixtures.ToTensor(c.GetProperty("input"));
        var module = Build(c, x.DType);
        var state = new Dictionary<string, Tensor> { ["weight"] = ModuleFixtures.ToTensor(c.GetProperty("weight")) };
        if (c.GetProperty("bias").ValueKind != JsonValueKind.Null) state["bias"] = ModuleFixtures.ToTensor(c.GetProperty("bias"));
        module.LoadStateDict(state);
        x.RequiresGrad = true;
        var y = module.Forward(x);
        y.Backward(ModuleFixtures.ToTensor(c.GetProperty("grad_output")));

        var named = module.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        int[] wd = named["weight"].Dims;
        int kg = wd[1..].Aggregate(1, (p, d) => p * d), og = wd[0] / c.GetProperty("groups").GetInt32();
        int positions = y.NumberOfElements / wd[0];
        Check(y, "output", kg + 1);
        Check(x.Grad!, "grad_input", 9 * og * (kg / wd[1]));
        Check(named["weight"].Grad!, "grad_weight", positions);
        if (named.TryGetValue("bias", out var b)) Check(b.Grad!, "grad_bias", positions);

        void Check(Tensor actual, string key, int terms)
            => ModuleFixtures.AssertWithinSumBound(actual, ModuleFixtures.ToTensor(c.GetProperty(key)),
                ModuleFixtures.Values(ModuleFixtures.ToTensor(c.GetProperty(key + "_magnitude"))), terms, $"{name} {key}");
    }

    [TestCase("reflect")]
    [TestCase("replicate")]
    [TestCase("circular")]
    public void PaddingMode_GradCheck_Float64_FirstAndSecondOrder(string mode)
    {
        // Linear in x and w separately (quadratic for Σ y²): exact central differences, as in ConvTests.
        var g = new Generator(11);
        var conv2 = new Conv2d(2, 2, (2, 3), padding: (1, 2), paddingMode: mode, generator: g, dtype: DType.Float64);
        var conv1 = new Conv1d(2, 2, 4, padding: "same", paddingMode: mode, generator: g, dtype: DType.Float64);
        foreach (var (module, shape) in new (Module, int[])[] { (conv2, [1, 2, 4, 3]), (conv1, [2, 2, 5]), (conv2, [2, 4, 3]) })
        {
            var x = Tensor.Randn(shape, g, DType.Float64);
            var first = GradCheck.Check(t => module.Forward(t[0]), [x], eps: 1e-3, atol: 1e-8, rtol: 1e-8);
            first.Passed.ShouldBeTrue(first.ToString());
            var second = GradCheck.Check(t =>
            {
                using var recording = Tape.EnableGrad();
                var loss = module.Forward(t[0]).Pow(2).Sum();
                return Tape.Grad(loss, [t[0]], createGraph: true)[0].Reshape(-1);
            }, [x], eps: 1e-3, atol: 1e-8, rtol: 1e-8);
            second.Passed.ShouldBeTrue(second.ToString());
        }
    }

    [Test]
    public void PaddingMode_Reflect_LargerThanTheInput_IsRefused()
    {
        var conv = new Conv2d(1, 1, 3, padding: 5, paddingMode: "reflect");
        Should.Throw<ArgumentException>(() => conv.Forward(Tensor.Zeros(1, 1, 5, 5))).Message.ShouldContain("smaller than the input size 5");
    }

    [Test]
    public void Conv2d_InALeNetChain_TrainsThroughSequential()
    {
        // The chain recycles activations between built-in layers; the gradient must still reach the first conv.
        var g = new Generator(10);
        var model = new Sequential(new Conv2d(1, 2, 3, generator: g), new ReLU(), new Conv2d(2, 3, 3, generator: g), new Flatten(), new Linear(3 * 4 * 4, 2, generator: g));
        var x = Tensor.Randn([2, 1, 8, 8], g);
        model.Forward(x).Sum().Backward();
        model.Parameters().ShouldAllBe(p => p.Grad != null);
        ((Conv2d)model[0]).Weight.Grad!.ToArray<float>().ShouldContain(v => v != 0);
    }
}
