using System.Text.Json;
using NUnit.Framework;
using Shouldly;
using F = Autograd.Nn.Functional;
using static Autograd.Nn.Tests.Modules.ModuleFixtures;

namespace Autograd.Nn.Tests.Modules;

/// <summary>
/// <see cref="Linear"/>: forward and the input, weight and bias gradients against PyTorch 1.13
/// (tools/gen_module_fixtures.py, section "linear": Float32 and Float64, inputs 1-D to 4-D, with
/// and without bias), initialisation statistics, and argument errors.
/// </summary>
[TestFixture]
public sealed class LinearTests
{
    private static IEnumerable<string> Cases() => List("linear").Select(c => c.GetProperty("name").GetString()!);

    [TestCaseSource(nameof(Cases))]
    public void ForwardBackward_Fixture_MatchesPyTorchWithinSumBound(string name)
    {
        var c = Section("linear")[name];
        var dtype = ParseDType(c.GetProperty("dtype").GetString()!);
        int inF = c.GetProperty("in_features").GetInt32(), outF = c.GetProperty("out_features").GetInt32();
        bool hasBias = c.GetProperty("bias").GetBoolean();
        var weight = ToTensor(c.GetProperty("weight"));
        var layer = new Linear(inF, outF, hasBias, new Generator(1), dtype);
        var state = new Dictionary<string, Tensor> { ["weight"] = weight };
        if (hasBias) state["bias"] = ToTensor(c.GetProperty("bias_values"));
        layer.LoadStateDict(state);

        var x = ToTensor(c.GetProperty("input"));
        x.RequiresGrad = true;
        var y = layer.Forward(x);
        var g = ToTensor(c.GetProperty("grad_output"));
        y.Backward(g);

        // Magnitudes Σ|terms| of every output and gradient element, in double, from the inputs.
        int rows = x.NumberOfElements / inF;
        double[] xs = Values(x), ws = Values(weight), gs = Values(g);
        double[] bs = hasBias ? Values(layer.Bias!) : new double[outF];
        var yMag = new double[rows * outF];
        var gxMag = new double[rows * inF];
        var gwMag = new double[outF * inF];
        var gbMag = new double[outF];
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < outF; o++)
            {
                yMag[r * outF + o] += Math.Abs(bs[o]);
                gbMag[o] += Math.Abs(gs[r * outF + o]);
                for (int k = 0; k < inF; k++)
                {
                    yMag[r * outF + o] += Math.Abs(xs[r * inF + k] * ws[o * inF + k]);
                    gxMag[r * inF + k] += Math.Abs(gs[r * outF + o] * ws[o * inF + k]);
                    gwMag[o * inF + k] += Math.Abs(gs[r * outF + o] * xs[r * inF + k]);
                }
            }

        AssertWithinSumBound(y, ToTensor(c.GetProperty("output")), yMag, inF + (hasBias ? 1 : 0), $"{name} output");
        AssertWithinSumBound(x.Grad!, ToTensor(c.GetProperty("grad_input")), gxMag, outF, $"{name} grad_input");
        AssertWithinSumBound(layer.Weight.Grad!, ToTensor(c.GetProperty("grad_weight")), gwMag, rows, $"{name} grad_weight");
        if (hasBias)
            AssertWithinSumBound(layer.Bias!.Grad!, ToTensor(c.GetProperty("grad_bias")), gbMag, rows, $"{name} grad_bias");
        else
            c.GetProperty("grad_bias").ValueKind.ShouldBe(JsonValueKind.Null);
    }

    [Test]
    public void Fixture_CoversEveryInputRankBothDTypesAndNoBias()
    {
        var names = Section("linear").Keys.ToHashSet();
        foreach (var tag in new[] { "1d", "2d", "3d", "4d", "2d_nobias", "1d_nobias", "wide", "single" })
            foreach (var dtype in new[] { "float32", "float64" })
                names.ShouldContain($"linear_{tag}_{dtype}");
    }

    [Test]
    public void Forward_OutputShape_ReplacesLastDimension()
    {
        var layer = new Linear(4, 3, generator: new Generator(0));
        layer.Forward(Tensor.Zeros(4)).Shape.ShouldBe([3]);
        layer.Forward(Tensor.Zeros(5, 4)).Shape.ShouldBe([5, 3]);
        layer.Forward(Tensor.Zeros(2, 5, 4)).Shape.ShouldBe([2, 5, 3]);
        layer.Forward(Tensor.Zeros(0, 4)).Shape.ShouldBe([0, 3]);
    }

    [Test]
    public void Forward_EqualsFunctionalLinear_Bitwise()
    {
        var g = new Generator(5);
        var layer = new Linear(6, 2, generator: g);
        var x = Tensor.Randn([3, 6], g);
        AssertBitwiseEqual(layer.Forward(x), F.Linear(x, layer.Weight, layer.Bias), "Forward vs Functional.Linear");
    }

    // ------------------------------------------------------------ initialisation

    [Test]
    public void Init_Weight_IsUniformWithinOneOverSqrtInFeatures()
    {
        // 256 inputs: bound b = 1/16 exactly. n = 102,400 samples of U(-b, b): mean 0 with standard
        // error b/sqrt(3n), mean square b²/3 with standard error b²·sqrt(4/45)/sqrt(n). 5 standard
        // errors (a false alarm about once in 1.7 million runs, and the seed is fixed anyway).
        var layer = new Linear(256, 400, generator: new Generator(11));
        AssertUniform(Values(layer.Weight), 1.0 / 16, "weight");
        layer.Weight.Shape.ShouldBe([400, 256]);
    }

    [Test]
    public void Init_Bias_IsUniformWithinOneOverSqrtInFeatures()
    {
        var layer = new Linear(9, 30_000, generator: new Generator(12));
        AssertUniform(Values(layer.Bias!), 1.0 / 3, "bias");
        layer.Bias!.Shape.ShouldBe([30_000]);
    }

    [Test]
    public void Init_Float64_IsUniformWithinBound()
    {
        var layer = new Linear(3, 20_000, generator: new Generator(13), dtype: DType.Float64);
        layer.Weight.DType.ShouldBe(DType.Float64);
        layer.Bias!.DType.ShouldBe(DType.Float64);
        AssertUniform(Values(layer.Weight), 1 / Math.Sqrt(3), "weight");
        AssertUniform(Values(layer.Bias!), 1 / Math.Sqrt(3), "bias");
    }

    private static void AssertUniform(double[] v, double bound, string what)
    {
        int n = v.Length;
        // Float32 values are rounded: compare against the float32 bound, which may be 1/2 ulp above b.
        double limit = Math.Max(bound, (float)bound);
        v.Max().ShouldBeLessThanOrEqualTo(limit, what);
        v.Min().ShouldBeGreaterThanOrEqualTo(-limit, what);
        // The extremes come close to ±b: P(max < b(1 - t)) = (1 - t/2)^n ≈ e^(-nt/2) = e^-20 for t = 40/n.
        v.Max().ShouldBeGreaterThan(bound * (1 - 40.0 / n), $"{what}: the samples do not reach the bound, wrong scale?");
        v.Min().ShouldBeLessThan(-bound * (1 - 40.0 / n), $"{what}: the samples do not reach the bound, wrong scale?");

        double mean = v.Average();
        Math.Abs(mean).ShouldBeLessThan(5 * bound / Math.Sqrt(3.0 * n), $"{what}: mean");
        double meanSquare = v.Select(x => x * x).Average();
        Math.Abs(meanSquare - bound * bound / 3).ShouldBeLessThan(5 * bound * bound * Math.Sqrt(4.0 / 45) / Math.Sqrt(n), $"{what}: variance");

        // Ten equal bins each hold n/10 ± 5 sqrt(n · 0.1 · 0.9): uniform, not bell-shaped.
        var bins = new int[10];
        foreach (double x in v) bins[Math.Clamp((int)((x + bound) / (2 * bound) * 10), 0, 9)]++;
        foreach (int count in bins)
            Math.Abs(count - n / 10.0).ShouldBeLessThan(5 * Math.Sqrt(n * 0.09), $"{what}: histogram {string.Join(", ", bins)}");
    }

    [Test]
    public void Init_SameSeed_SameParameters_OtherSeed_Different()
    {
        var a = new Linear(7, 5, generator: new Generator(42));
        var b = new Linear(7, 5, generator: new Generator(42));
        var c = new Linear(7, 5, generator: new Generator(43));
        AssertBitwiseEqual(a.Weight, b.Weight, "weight");
        AssertBitwiseEqual(a.Bias!, b.Bias!, "bias");
        Values(a.Weight).ShouldNotBe(Values(c.Weight));
    }

    [Test]
    public void Init_WithoutGenerator_DrawsFromDefault()
    {
        var layer = new Linear(4, 2);
        Values(layer.Weight).ShouldAllBe(w => Math.Abs(w) <= 0.5);
        Values(layer.Weight).Distinct().Count().ShouldBe(8);
    }

    [Test]
    public void Parameters_AreLeavesRequiringGrad_NamedWeightAndBias()
    {
        var layer = new Linear(3, 2, generator: new Generator(0));
        layer.NamedParameters().Select(p => p.Name).ShouldBe(["weight", "bias"]);
        layer.Parameters().ShouldAllBe(p => p.IsLeaf && p.RequiresGrad);
        layer.InFeatures.ShouldBe(3);
        layer.OutFeatures.ShouldBe(2);

        var noBias = new Linear(3, 2, bias: false, generator: new Generator(0));
        noBias.Bias.ShouldBeNull();
        noBias.NamedParameters().Select(p => p.Name).ShouldBe(["weight"]);
        noBias.Forward(Tensor.Ones(3)).Shape.ShouldBe([2]);
    }

    // ------------------------------------------------------------ errors

    [TestCase(0, 3, "inFeatures")]
    [TestCase(-1, 3, "inFeatures")]
    [TestCase(3, 0, "outFeatures")]
    [TestCase(3, -5, "outFeatures")]
    public void Constructor_NonPositiveSize_Throws(int inF, int outF, string param)
    {
        var e = Should.Throw<ArgumentOutOfRangeException>(() => new Linear(inF, outF));
        e.ParamName.ShouldBe(param);
        e.Message.ShouldContain("must be positive");
    }

    [Test]
    public void Constructor_Int64_Throws()
        => Should.Throw<ArgumentException>(() => new Linear(2, 2, dtype: DType.Int64)).ParamName.ShouldBe("dtype");

    [Test]
    public void Forward_WrongLastDimension_ThrowsNamingInFeaturesAndShape()
    {
        var layer = new Linear(4, 3, generator: new Generator(0));
        var e = Should.Throw<ArgumentException>(() => layer.Forward(Tensor.Zeros(5, 3)));
        e.Message.ShouldContain("in_features=4");
        e.Message.ShouldContain("[5, 3]");
        Should.Throw<ArgumentException>(() => layer.Forward(Tensor.Zeros(4, 5))).Message.ShouldContain("[4, 5]");
        Should.Throw<ArgumentException>(() => layer.Forward(Tensor.Scalar(1f))).Message.ShouldContain("in_features=4");
    }

    [Test]
    public void Forward_OtherDType_ThrowsNamingBoth()
    {
        var layer = new Linear(2, 2, generator: new Generator(0));
        var e = Should.Throw<ArgumentException>(() => layer.Forward(Tensor.Zeros([3, 2], DType.Float64)));
        e.Message.ShouldContain("Float64");
        e.Message.ShouldContain("Float32");
        Should.Throw<ArgumentException>(() => layer.Forward(Tensor.Zeros([3, 2], DType.Int64))).Message.ShouldContain("Int64");
    }

    [Test]
    public void Forward_Null_Throws()
        => Should.Throw<ArgumentNullException>(() => new Linear(2, 2).Forward(null!));
}
