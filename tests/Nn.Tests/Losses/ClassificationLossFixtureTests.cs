using System.Text.Json;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Nn.Tests.Losses;

/// <summary>One call of cross_entropy or nll_loss recorded by tools/gen_classification_loss_fixtures.py (see its docstring).</summary>
public sealed record ClassificationCase(
    string Name, string Loss, DType DType, int[] InputShape, double[] Input, bool Probabilities, int[] TargetShape, double[] Target,
    double[]? Weight, long IgnoreIndex, Reduction Reduction, double LabelSmoothing, int[] OutputShape, double[] Output,
    double[] GradOutput, double[] GradInput, double[]? GradTarget, double[]? GradWeight)
{
    /// <summary>The case name (NUnit shows it as the test name).</summary>
    public override string ToString() => Name;

    /// <summary>The input as a leaf of the case's dtype.</summary>
    public Tensor MakeInput(bool requiresGrad = true) => ClassificationFixtures.Make(Input, InputShape, DType, requiresGrad);

    /// <summary>Int64 class indices, or probabilities of the case's dtype.</summary>
    public Tensor MakeTarget(bool requiresGrad = false) => Probabilities
        ? ClassificationFixtures.Make(Target, TargetShape, DType, requiresGrad)
        : ClassificationFixtures.Shaped(Tensor.FromArray(Target.Select(v => (long)v).ToArray()), TargetShape);

    /// <summary>The class weights, or null.</summary>
    public Tensor? MakeWeight(bool requiresGrad = false) => Weight is null ? null : ClassificationFixtures.Make(Weight, [Weight.Length], DType, requiresGrad);

    /// <summary>The recorded upstream gradient (0-d for Mean and Sum).</summary>
    public Tensor MakeGradOutput() => ClassificationFixtures.Make(GradOutput, OutputShape, DType, false);

    /// <summary>The case's loss through the public functional API.</summary>
    public Tensor Apply(Tensor input, Tensor target, Tensor? weight) => Loss == "cross_entropy"
        ? Nn.Functional.CrossEntropy(input, target, weight, IgnoreIndex, Reduction, LabelSmoothing)
        : Nn.Functional.NllLoss(input, target, weight, IgnoreIndex, Reduction);
}

/// <summary>A Hessian-vector product through cross_entropy: d/dx &lt;d loss/dx, v&gt;.</summary>
public sealed record HessianVectorCase(
    string Name, DType DType, int[] InputShape, double[] Input, bool Probabilities, int[] TargetShape, double[] Target,
    double[]? Weight, long IgnoreIndex, double LabelSmoothing, double Output, double[] GradInput, double[] V, double[] Hvp)
{
    /// <summary>The case name.</summary>
    public override string ToString() => Name;
}

/// <summary>Loads tests/Nn.Tests/Fixtures/losses/classification_losses.json once and compares tensors with it.</summary>
public static class ClassificationFixtures
{
    private static readonly Lazy<(ClassificationCase[] Cases, HessianVectorCase[] Hvps)> Data = new(Load);

    /// <summary>Every recorded loss call.</summary>
    public static IEnumerable<ClassificationCase> Cases => Data.Value.Cases;

    /// <summary>Every recorded Hessian-vector product.</summary>
    public static IEnumerable<HessianVectorCase> Hvps => Data.Value.Hvps;

    /// <summary>A case by name.</summary>
    public static ClassificationCase Case(string name) => Data.Value.Cases.Single(c => c.Name == name);

    /// <summary>A tensor of <paramref name="dtype"/> from fixture values (float32 values are exact as doubles).</summary>
    public static Tensor Make(double[] values, int[] shape, DType dtype, bool requiresGrad)
    {
        var t = Shaped(dtype == DType.Float32
            ? Tensor.FromArray(values.Select(v => (float)v).ToArray())
            : Tensor.FromArray((double[])values.Clone()), shape);
        t.RequiresGrad = requiresGrad;
        return t;
    }

    /// <summary>A flat tensor given its shape (FromArray alone cannot make a 0-d tensor).</summary>
    public static Tensor Shaped(Tensor flat, int[] shape) => flat.Reshape(shape).Detach();

    /// <summary>
    /// Asserts |actual - expected| &lt;= atol + rtol·|expected| elementwise, with NaN matching NaN and
    /// infinities matching exactly; the message names the tensor and the element at fault.
    /// </summary>
    public static void ShouldMatch(Tensor actual, double[] expected, double rtol, double atol, string what)
    {
        actual.ShouldNotBeNull(what);
        var a = actual.ToArray<double>();
        a.Length.ShouldBe(expected.Length, what);
        for (int i = 0; i < a.Length; i++)
        {
            double e = expected[i];
            bool ok = double.IsNaN(e) ? double.IsNaN(a[i])
                : double.IsInfinity(e) ? a[i] == e
                : Math.Abs(a[i] - e) <= atol + rtol * Math.Abs(e);
            if (!ok)
                Assert.Fail($"{what}: element {i} is {a[i]:R}, PyTorch gives {e:R} (|diff| {Math.Abs(a[i] - e):E3}, allowed {atol + rtol * Math.Abs(e):E3}).");
        }
    }

    private static (ClassificationCase[], HessianVectorCase[]) Load()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "losses", "classification_losses.json");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = doc.RootElement;
        var cases = root.GetProperty("cases").EnumerateArray().Select(c => new ClassificationCase(
            c.GetProperty("name").GetString()!,
            c.GetProperty("loss").GetString()!,
            DTypeOf(c),
            Ints(c.GetProperty("input_shape")),
            Doubles(c.GetProperty("input"))!,
            c.GetProperty("target_kind").GetString() == "prob",
            Ints(c.GetProperty("target_shape")),
            Doubles(c.GetProperty("target"))!,
            Doubles(c.GetProperty("weight")),
            c.GetProperty("ignore_index").GetInt64(),
            c.GetProperty("reduction").GetString() switch
            {
                "none" => Reduction.None,
                "sum" => Reduction.Sum,
                "mean" => Reduction.Mean,
                var r => throw new InvalidDataException($"Unknown reduction '{r}'."),
            },
            c.GetProperty("label_smoothing").GetDouble(),
            Ints(c.GetProperty("output_shape")),
            Doubles(c.GetProperty("output"))!,
            Doubles(c.GetProperty("grad_output"))!,
            Doubles(c.GetProperty("grad_input"))!,
            Doubles(c.GetProperty("grad_target")),
            Doubles(c.GetProperty("grad_weight")))).ToArray();
        var hvps = root.GetProperty("hvp").EnumerateArray().Select(c => new HessianVectorCase(
            c.GetProperty("name").GetString()!,
            DTypeOf(c),
            Ints(c.GetProperty("input_shape")),
            Doubles(c.GetProperty("input"))!,
            c.GetProperty("target_kind").GetString() == "prob",
            Ints(c.GetProperty("target_shape")),
            Doubles(c.GetProperty("target"))!,
            Doubles(c.GetProperty("weight")),
            c.GetProperty("ignore_index").GetInt64(),
            c.GetProperty("label_smoothing").GetDouble(),
            Doubles(c.GetProperty("output"))![0],
            Doubles(c.GetProperty("grad_input"))!,
            Doubles(c.GetProperty("v"))!,
            Doubles(c.GetProperty("hvp"))!)).ToArray();
        return (cases, hvps);
    }

    private static DType DTypeOf(JsonElement c) => c.GetProperty("dtype").GetString() == "float32" ? DType.Float32 : DType.Float64;

    private static int[] Ints(JsonElement e) => e.EnumerateArray().Select(v => v.GetInt32()).ToArray();

    private static double[]? Doubles(JsonElement e) => e.ValueKind == JsonValueKind.Null ? null : e.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String
        ? v.GetString() switch
        {
            "nan" => double.NaN,
            "inf" => double.PositiveInfinity,
            "-inf" => double.NegativeInfinity,
            var s => throw new InvalidDataException($"Unexpected value '{s}'."),
        }
        : v.GetDouble()).ToArray();
}

/// <summary>
/// Way 1 of 3: every option combination of cross_entropy and nll_loss against PyTorch 1.13 (values
/// and gradients of the input, and of the target and weight for probability targets), plus
/// Hessian-vector products through CrossEntropy with createGraph.
/// </summary>
[TestFixture]
public sealed class ClassificationLossFixtureTests
{
    // Values: the forward reproduces PyTorch's float32 arithmetic (Sleef's exp and log, its SIMD
    // lane sums, nll_loss's cascade and the sum kernel's order), so every float32 value here is
    // bit-identical on glibc; 1 ulp leaves room for another C library's expf in the scalar tail of
    // strided log-softmax. Float64 uses the C library's exp where PyTorch uses Sleef's (both within
    // an ulp): 2 ulps.
    private static (double Rtol, double Atol) ValueTolerance(DType dtype) => dtype == DType.Float32 ? (1.2e-7, 1e-30) : (4.5e-16, 1e-300);

    // Gradients: x's gradient is a - softmax(x) Σa with a = ∂loss/∂log p, which cancels (at the
    // target, s·w·(p_t - 1) with p_t near 1), so an element's error is a few ulps of the terms, not
    // of the element. The absolute part is relative to TermScale: the largest |a| (bounded by
    // |g|·max w / Σw[t] for the mean) or the largest gradient. PyTorch also fuses a - p·Σa into one
    // FMA on AVX2, which tensor ops cannot; measured: at most ~2 ulps of the scale. Float32: 5e-7
    // (~4 ulps); Float64: 1e-15 (~4.5 ulps).
    private static (double Rtol, double AtolOfScale) GradTolerance(DType dtype) => dtype == DType.Float32 ? (5e-7, 5e-7) : (1e-15, 1e-15);

    private static IEnumerable<ClassificationCase> Cases() => ClassificationFixtures.Cases;

    private static IEnumerable<HessianVectorCase> Hvps() => ClassificationFixtures.Hvps;

    [TestCaseSource(nameof(Cases))]
    public void Loss_PyTorchFixture_ValueAndGradientsMatch(ClassificationCase c)
    {
        var x = c.MakeInput();
        var target = c.MakeTarget(requiresGrad: c.Probabilities);
        var weight = c.MakeWeight(requiresGrad: c.Probabilities);

        var loss = c.Apply(x, target, weight);

        loss.Shape.ShouldBe(c.OutputShape, c.Name);
        loss.DType.ShouldBe(c.DType);
        var (rtol, atol) = ValueTolerance(c.DType);
        ClassificationFixtures.ShouldMatch(loss, c.Output, rtol, atol, $"{c.Name} value");

        loss.Backward(c.MakeGradOutput());
        var (grtol, gatol) = GradTolerance(c.DType);
        double scale = TermScale(c);
        ShouldMatchGradient(x.Grad, c.GradInput, grtol, gatol * scale, $"{c.Name} input gradient");
        if (c.GradTarget is not null) ShouldMatchGradient(target.Grad, c.GradTarget, grtol, gatol * scale, $"{c.Name} target gradient");
        if (c.GradWeight is not null) ShouldMatchGradient(weight!.Grad, c.GradWeight, grtol, gatol * scale, $"{c.Name} weight gradient");
    }

    /// <summary>The magnitude of the terms that cancel in a gradient: max(|a|, |gradient|), |a| &lt;= |g|·max w / (Σ w[t] for the mean).</summary>
    private static double TermScale(ClassificationCase c)
    {
        double maxW = c.Weight?.Max(Math.Abs) ?? 1;
        double maxG = c.GradOutput.Max(Math.Abs);
        double denominator = 1;
        if (c.Reduction == Reduction.Mean)
        {
            denominator = c.Probabilities
                ? c.Target.Length / c.InputShape[c.InputShape.Length == 1 ? 0 : 1]
                : c.Target.Where(t => (long)t != c.IgnoreIndex).Sum(t => c.Weight is null ? 1 : c.Weight[(int)t]);
            if (!(denominator > 0)) denominator = 1;
        }
        double maxGrad = c.GradInput.Concat(c.GradTarget ?? []).Concat(c.GradWeight ?? []).Where(double.IsFinite).Select(Math.Abs).DefaultIfEmpty(0).Max();
        return Math.Max(maxGrad, maxG * maxW / denominator);
    }

    [TestCaseSource(nameof(Hvps))]
    public void CrossEntropy_CreateGraph_HessianVectorProductMatchesPyTorch(HessianVectorCase c)
    {
        var x = ClassificationFixtures.Make(c.Input, c.InputShape, c.DType, requiresGrad: true);
        var target = c.Probabilities
            ? ClassificationFixtures.Make(c.Target, c.TargetShape, c.DType, requiresGrad: false)
            : Tensor.FromArray(c.Target.Select(v => (long)v).ToArray(), c.TargetShape);
        var weight = c.Weight is null ? null : ClassificationFixtures.Make(c.Weight, [c.Weight.Length], c.DType, requiresGrad: false);
        var v = ClassificationFixtures.Make(c.V, c.InputShape, c.DType, requiresGrad: false);

        var loss = Nn.Functional.CrossEntropy(x, target, weight, c.IgnoreIndex, labelSmoothing: c.LabelSmoothing);
        var gx = Tape.Grad(loss, [x], createGraph: true)[0];
        var hv = Tape.Grad((gx * v).Sum(), [x])[0];

        var (rtol, atol) = ValueTolerance(c.DType);
        ClassificationFixtures.ShouldMatch(loss, [c.Output], rtol, atol, $"{c.Name} value");
        var (grtol, gatol) = GradTolerance(c.DType);
        ShouldMatchGradient(gx, c.GradInput, grtol, gatol * MaxAbs(c.GradInput), $"{c.Name} gradient");
        // The second derivative is rebuilt from recomputed log-softmax and exp ops: the same
        // few-ulps-of-the-largest-term argument, one level of products deeper.
        ShouldMatchGradient(hv, c.Hvp, 2 * grtol, 2 * gatol * MaxAbs(c.Hvp), $"{c.Name} Hessian-vector product");
    }

    private static double MaxAbs(double[] values) => values.Where(double.IsFinite).Select(Math.Abs).DefaultIfEmpty(0).Max();

    private static void ShouldMatchGradient(Tensor? actual, double[] expected, double rtol, double atol, string what)
    {
        actual.ShouldNotBeNull($"{what} is missing");
        ClassificationFixtures.ShouldMatch(actual, expected, rtol, atol, what);
    }
}
