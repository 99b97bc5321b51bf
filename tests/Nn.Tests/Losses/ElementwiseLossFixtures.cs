using F = Autograd.Nn.Functional;
using System.Globalization;
using System.Text.Json;
using NUnit.Framework;

namespace Autograd.Nn.Tests.Losses;

/// <summary>One tensor of a loss fixture: its shape and flat values (non-finite ones written as strings).</summary>
public sealed record LossFixtureTensor(int[] Shape, double[] Data)
{
    public Tensor ToTensor(DType dtype, bool requiresGrad = false)
    {
        // FromArray reads an empty shape as "1-D", so 0-d tensors go through Scalar.
        var t = Shape.Length == 0 ? Tensor.Scalar(Data[0], dtype)
            : dtype == DType.Float32 ? Tensor.FromArray(Data.Select(v => (float)v).ToArray(), Shape)
            : Tensor.FromArray((double[])Data.Clone(), Shape);
        t.RequiresGrad = requiresGrad;
        return t;
    }
}

/// <summary>A case written by tools/gen_binary_loss_fixtures.py (its docstring describes the format).</summary>
public sealed record LossFixtureCase(
    string Name, string Loss, DType DType, Reduction Reduction, double? Delta, double? Beta,
    LossFixtureTensor Input, LossFixtureTensor Target, LossFixtureTensor? Weight, LossFixtureTensor? PosWeight,
    LossFixtureTensor LossValue, LossFixtureTensor GradOutput, LossFixtureTensor GradInput, LossFixtureTensor GradTarget,
    LossFixtureTensor? HvpVector, LossFixtureTensor? HvpExpected)
{
    public override string ToString() => Name;

    /// <summary>The case's loss through the public functional API.</summary>
    public Tensor Apply(Tensor input, Tensor target)
    {
        var weight = Weight?.ToTensor(DType);
        var posWeight = PosWeight?.ToTensor(DType);
        return Loss switch
        {
            "bce" => F.BinaryCrossEntropy(input, target, weight, Reduction),
            "bce_logits" => F.BinaryCrossEntropyWithLogits(input, target, weight, posWeight, Reduction),
            "mse" => F.MseLoss(input, target, Reduction),
            "l1" => F.L1Loss(input, target, Reduction),
            "huber" => F.HuberLoss(input, target, Reduction, Delta!.Value),
            "smooth_l1" => F.SmoothL1Loss(input, target, Reduction, Beta!.Value),
            _ => throw new InvalidDataException($"Unknown loss '{Loss}' in case {Name}."),
        };
    }
}

/// <summary>Loads the loss fixtures (once per file).</summary>
public static class ElementwiseLossFixtures
{
    private static readonly Dictionary<string, Lazy<IReadOnlyList<LossFixtureCase>>> Files = new()
    {
        ["binary_losses.json"] = new(() => Load("binary_losses.json")),
        ["regression_losses.json"] = new(() => Load("regression_losses.json")),
    };

    public static IReadOnlyList<LossFixtureCase> Cases(string file) => Files[file].Value;

    private static IReadOnlyList<LossFixtureCase> Load(string file)
    {
        string path = Path.Combine(TestContext.CurrentContext.TestDirectory, "Fixtures", "losses", file);
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return doc.RootElement.GetProperty("cases").EnumerateArray().Select(Case).ToArray();
    }

    private static LossFixtureCase Case(JsonElement c)
    {
        var hvp = c.GetProperty("hvp");
        bool hasHvp = hvp.ValueKind != JsonValueKind.Null;
        return new LossFixtureCase(
            c.GetProperty("name").GetString()!,
            c.GetProperty("loss").GetString()!,
            c.GetProperty("dtype").GetString() == "float32" ? DType.Float32 : DType.Float64,
            c.GetProperty("reduction").GetString() switch
            {
                "none" => Reduction.None,
                "mean" => Reduction.Mean,
                "sum" => Reduction.Sum,
                var r => throw new InvalidDataException($"Unknown reduction '{r}'."),
            },
            c.TryGetProperty("delta", out var delta) ? delta.GetDouble() : null,
            c.TryGetProperty("beta", out var beta) ? beta.GetDouble() : null,
            TensorOf(c.GetProperty("input"))!, TensorOf(c.GetProperty("target"))!,
            TensorOf(c.GetProperty("weight")), TensorOf(c.GetProperty("pos_weight")),
            TensorOf(c.GetProperty("loss_value"))!, TensorOf(c.GetProperty("grad_output"))!,
            TensorOf(c.GetProperty("grad_input"))!, TensorOf(c.GetProperty("grad_target"))!,
            hasHvp ? TensorOf(hvp.GetProperty("vector")) : null,
            hasHvp ? TensorOf(hvp.GetProperty("expected")) : null);
    }

    private static LossFixtureTensor? TensorOf(JsonElement e)
    {
        if (e.ValueKind == JsonValueKind.Null) return null;
        var shape = e.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray();
        var data = e.GetProperty("data").EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String
            ? v.GetString() switch
            {
                "inf" => double.PositiveInfinity,
                "-inf" => double.NegativeInfinity,
                "nan" => double.NaN,
                var s => throw new InvalidDataException($"Unknown value '{s}'."),
            }
            : v.GetDouble()).ToArray();
        return new LossFixtureTensor(shape, data);
    }

    /// <summary>
    /// Runs a case through the functional API and compares the loss, both gradients and (when the
    /// case has one) the Hessian-vector product with PyTorch's.
    /// </summary>
    /// <remarks>
    /// Tolerances, from measurement (tools/gen_binary_loss_fixtures.py data; worst seen in brackets):
    /// <list type="bullet">
    /// <item>Loss values: float32 1e-6 relative (8 ulps; [2 ulps]: a 1-ulp exp/log difference plus
    /// the summation order), float64 1e-13 [2 ulps]; absolute 1 ulp(1) for sums that cancel to ~0.</item>
    /// <item>Gradients: the same relative tolerance, plus an absolute one of 4 ulp(1) times the
    /// case's scale max|g| · max|w| · max(1, max p) (/ N for the mean). Several gradients are
    /// differences of O(1) terms (σ(x) - y, log(1 - x) - log x, log σ(-x) - p log σ(x)): one ulp of
    /// a term (e.g. PyTorch's SLEEF exp against .NET's, inside σ) is an absolute error of
    /// ulp(1) · scale, which a relative tolerance on the small difference cannot express
    /// [float32: 114 ulps relative on a σ(x) - y of 0.008, 1.06e-7 absolute at scale 7.5].</item>
    /// <item>Hessian-vector products: as gradients, except BCELoss in float64, 1e-9 relative:
    /// PyTorch's binary_cross_entropy_double_backward divides by (x + 1e-12)² (1 - x + 1e-12)²,
    /// a relative change of ~2e-12 (1/x + 1/(1 - x)) [5.5e-11] from the exact derivative ours gives.</item>
    /// </list>
    /// </remarks>
    public static void Run(LossFixtureCase c, Func<int, double, double>? expectedGradInput = null)
    {
        bool f32 = c.DType == DType.Float32;
        double rel = f32 ? 1e-6 : 1e-13, ulp1 = Math.ScaleB(1, f32 ? -23 : -52);
        var x = c.Input.ToTensor(c.DType, requiresGrad: true);
        var y = c.Target.ToTensor(c.DType, requiresGrad: true);

        var loss = c.Apply(x, y);
        Assert.That(loss.DType, Is.EqualTo(c.DType), $"{c.Name}: loss dtype");
        AssertClose(loss, c.LossValue, rel, ulp1, "loss", c.Name);

        int n = Math.Max(1, c.Input.Data.Length);
        double scale = MaxAbs(c.GradOutput) * (c.Weight is null ? 1 : MaxAbs(c.Weight)) * Math.Max(1, c.PosWeight is null ? 1 : MaxAbs(c.PosWeight))
            / (c.Reduction == Reduction.Mean ? n : 1);
        double gradAbs = 4 * ulp1 * scale;
        bool hvp = c.HvpVector is not null;
        var grads = Tape.Grad(loss, [x, y], c.GradOutput.ToTensor(c.DType), createGraph: hvp);
        var gradInput = expectedGradInput is null ? c.GradInput
            : c.GradInput with { Data = c.GradInput.Data.Select((v, i) => expectedGradInput(i, v)).ToArray() };
        var gradTarget = expectedGradInput is null ? c.GradTarget
            : c.GradTarget with { Data = gradInput.Data.Select(v => -v).ToArray() };
        AssertClose(grads[0]!, gradInput, rel, gradAbs, "grad input", c.Name);
        AssertClose(grads[1]!, gradTarget, rel, gradAbs, "grad target", c.Name);

        if (hvp)
        {
            var v = c.HvpVector!.ToTensor(c.DType);
            var hv = Tape.Grad((grads[0]! * v).Sum(), [x], allowUnused: true)[0] ?? Tensor.ZerosLike(x);
            double hvpRel = c.Loss == "bce" && !f32 ? 1e-9 : rel;
            AssertClose(hv, c.HvpExpected!, hvpRel, gradAbs * MaxAbs(c.HvpVector), "Hessian-vector product", c.Name);
        }
    }

    private static double MaxAbs(LossFixtureTensor t) => t.Data.Where(double.IsFinite).Select(Math.Abs).DefaultIfEmpty(0).Max();

    /// <summary>
    /// Asserts the shape and that every value is within rel·|expected| + abs of PyTorch's;
    /// infinities must match exactly and NaN must be NaN. The message lists the worst element,
    /// its error in ulps and how many elements were bit-identical.
    /// </summary>
    public static void AssertClose(Tensor actual, LossFixtureTensor expected, double rel, double abs, string what, string caseName)
    {
        Assert.That(actual.Shape, Is.EqualTo(expected.Shape), $"{caseName}: {what} shape");
        var a = actual.ToArray<double>();
        int worst = -1;
        double worstExcess = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double e = expected.Data[i];
            bool ok = double.IsNaN(e) ? double.IsNaN(a[i])
                : double.IsInfinity(e) ? a[i] == e
                : Math.Abs(a[i] - e) <= rel * Math.Abs(e) + abs;
            double excess = ok ? 0 : double.IsFinite(a[i]) && double.IsFinite(e) ? Math.Abs(a[i] - e) / (rel * Math.Abs(e) + abs) : double.PositiveInfinity;
            if (!ok && excess >= worstExcess) (worst, worstExcess) = (i, excess);
        }
        if (worst >= 0)
            Assert.Fail(string.Create(CultureInfo.InvariantCulture,
                $"{caseName}: {what}[{worst}] = {a[worst]:R}, PyTorch {expected.Data[worst]:R} ({Ulps(a[worst], expected.Data[worst], actual.DType)} ulps; tolerance {rel:G3} rel + {abs:G3} abs)."));
    }

    /// <summary>Asserts two tensors have one shape and values within rel·|expected| + abs (NaN matches NaN).</summary>
    public static void AssertClose(Tensor actual, Tensor expected, double rel, double abs, string what)
        => AssertClose(actual, new LossFixtureTensor(expected.Shape.ToArray(), expected.ToArray<double>()), rel, abs, what, "");

    /// <summary>The distance in units in the last place of the dtype (+inf when one value is not finite).</summary>
    public static double Ulps(double actual, double expected, DType dtype)
    {
        if (actual == expected) return 0;
        if (!double.IsFinite(actual) || !double.IsFinite(expected)) return double.PositiveInfinity;
        // Map the bit patterns to a monotonic integer line (negatives mirrored below zero).
        Int128 a, e;
        if (dtype == DType.Float32)
        {
            int x = BitConverter.SingleToInt32Bits((float)actual), y = BitConverter.SingleToInt32Bits((float)expected);
            (a, e) = (x < 0 ? -(Int128)(x & int.MaxValue) : x, y < 0 ? -(Int128)(y & int.MaxValue) : y);
        }
        else
        {
            long x = BitConverter.DoubleToInt64Bits(actual), y = BitConverter.DoubleToInt64Bits(expected);
            (a, e) = (x < 0 ? -(Int128)(x & long.MaxValue) : x, y < 0 ? -(Int128)(y & long.MaxValue) : y);
        }
        return (double)Int128.Abs(a - e);
    }
}
