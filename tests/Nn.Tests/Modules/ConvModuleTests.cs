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

    [TestCase("reflect")]
    [TestCase("replicate")]
    [TestCase("circular")]
    public void PaddingModes_OtherThanZeros_AreRefusedByName(string mode)
    {
        Should.Throw<NotSupportedException>(() => new Conv2d(1, 1, 3, paddingMode: mode)).Message.ShouldContain(mode);
        Should.Throw<NotSupportedException>(() => new Conv1d(1, 1, 3, paddingMode: mode)).Message.ShouldContain(mode);
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
