using System.Text.Json;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Optim.Tests;

/// <summary>
/// Parameter trajectories against PyTorch 1.13 (tools/gen_optim_fixtures.py): every case feeds a
/// fixed gradient per step into each parameter's Grad (null on some steps in the *_null_grad cases,
/// a changing learning rate in the *_lr_schedule cases) and checks every parameter after every step.
/// </summary>
/// <remarks>
/// Tolerances. The optimizers replay PyTorch's CPU kernels operation by operation with the same
/// rounding (a fused multiply-add exactly where PyTorch's kernels fuse, scalars rounded from double
/// where PyTorch rounds them; see OptimKernels), so the trajectories are bit-identical, and float32
/// is checked bit for bit: any difference in the order of operations or in fusion shows up as an ulp
/// within a few steps (replacing one fused multiply-add by two roundings fails a case at once).
/// The only input not under our control is the platform's <c>pow</c> for the bias corrections
/// (glibc's is correctly rounded, like the one Python used; another C runtime may be 1 ulp off in
/// double). For float32 that cannot matter in practice: a double scalar 1 ulp off rounds to a
/// different float32 only if it lies within 2^-29 relative of a rounding boundary. For float64 it
/// moves a step by ~1e-16 relative, so float64 is checked to 1e-13 relative (plus 1e-15 absolute for
/// values passing near zero), far above that and far below any algorithmic difference.
/// </remarks>
[TestFixture]
public sealed class OptimizerFixtureTests
{
    private const int Float32Ulps = 0;
    private const double Float64Relative = 1e-13;
    private const double Float64Absolute = 1e-15;

    private static readonly string FixturePath =
        Path.Combine(AppContext.BaseDirectory, "Fixtures", "optim", "optimizers.json");

    private static readonly Lazy<Dictionary<string, JsonElement>> Cases = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(FixturePath));
        return doc.RootElement.GetProperty("cases").EnumerateArray()
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => c.Clone(), StringComparer.Ordinal);
    });

    private static IEnumerable<string> CaseNames() => Cases.Value.Keys;

    [Test]
    public void Fixture_CoversEveryOptimizerOptionAndBothDTypes()
    {
        var names = Cases.Value.Keys.ToHashSet();
        string[] required =
        [
            "sgd_plain", "sgd_momentum", "sgd_dampening", "sgd_nesterov", "sgd_weight_decay", "sgd_maximize",
            "adam_plain", "adam_weight_decay", "adam_amsgrad", "adam_maximize", "adam_eps",
            "adamw_plain", "adamw_amsgrad",
            "sgd_momentum_null_grad", "adam_amsgrad_null_grad", "adamw_null_grad",
            "sgd_momentum_lr_schedule", "adam_lr_schedule",
        ];
        foreach (var name in required)
            foreach (var dtype in new[] { "float32", "float64" })
                names.ShouldContain($"{name}_{dtype}");
    }

    [TestCaseSource(nameof(CaseNames))]
    public void Step_MatchesPyTorchTrajectory(string caseName)
    {
        var c = Cases.Value[caseName];
        var dtype = c.GetProperty("dtype").GetString() == "float32" ? DType.Float32 : DType.Float64;
        var shapes = c.GetProperty("shapes").EnumerateArray().Select(s => s.EnumerateArray().Select(e => e.GetInt32()).ToArray()).ToArray();
        var initial = c.GetProperty("initial").EnumerateArray().ToArray();
        var parameters = shapes.Select((shape, i) => MakeTensor(initial[i], shape, dtype, requiresGrad: true)).ToArray();
        var optimizer = Create(c.GetProperty("optimizer").GetString()!, c.GetProperty("options"), parameters);

        var lrs = c.GetProperty("lrs").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var grads = c.GetProperty("grads").EnumerateArray().ToArray();
        var expected = c.GetProperty("expected").EnumerateArray().ToArray();
        double worst = 0;
        for (int step = 0; step < grads.Length; step++)
        {
            optimizer.LearningRate = lrs[step];
            var stepGrads = grads[step].EnumerateArray().ToArray();
            for (int i = 0; i < parameters.Length; i++)
                parameters[i].Grad = stepGrads[i].ValueKind == JsonValueKind.Null ? null : MakeTensor(stepGrads[i], shapes[i], dtype, requiresGrad: false);

            optimizer.Step();

            var stepExpected = expected[step].EnumerateArray().ToArray();
            for (int i = 0; i < parameters.Length; i++)
                worst = Math.Max(worst, Compare(parameters[i], stepExpected[i], $"{caseName}, step {step + 1}, parameter {i}"));
        }
        TestContext.Out.WriteLine(dtype == DType.Float32 ? $"worst difference: {worst} ulps" : $"worst relative difference: {worst:G3}");
    }

    private static Optimizer Create(string kind, JsonElement options, Tensor[] parameters)
    {
        double Get(string name, double fallback) => options.TryGetProperty(name, out var v) ? v.GetDouble() : fallback;
        bool Flag(string name) => options.TryGetProperty(name, out var v) && v.GetBoolean();
        return kind switch
        {
            "SGD" => new SGD(parameters, Get("lr", double.NaN), Get("momentum", 0), Get("dampening", 0),
                Get("weightDecay", 0), Flag("nesterov"), Flag("maximize")),
            "Adam" => options.TryGetProperty("lr", out _)
                ? new Adam(parameters, Get("lr", 0), Get("beta1", 0.9), Get("beta2", 0.999), Get("eps", 1e-8),
                    Get("weightDecay", 0), Flag("amsgrad"), Flag("maximize"))
                : new Adam(parameters), // the "defaults" case checks the C# defaults are PyTorch's
            "AdamW" => new AdamW(parameters, Get("lr", 1e-3), Get("beta1", 0.9), Get("beta2", 0.999), Get("eps", 1e-8),
                Get("weightDecay", 1e-2), Flag("amsgrad"), Flag("maximize")),
            _ => throw new InvalidDataException($"unknown optimizer {kind}"),
        };
    }

    internal static Tensor MakeTensor(JsonElement values, int[] shape, DType dtype, bool requiresGrad)
    {
        var data = values.EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var t = dtype == DType.Float32
            ? Tensor.FromArray(data.Select(v => (float)v).ToArray(), shape)
            : Tensor.FromArray(data, shape);
        t.RequiresGrad = requiresGrad;
        return t;
    }

    /// <summary>Checks one parameter; returns the worst difference (ulps for float32, relative for float64).</summary>
    internal static double Compare(Tensor actual, JsonElement expected, string where)
    {
        var want = expected.EnumerateArray().Select(e => e.GetDouble()).ToArray();
        double worst = 0;
        if (actual.DType == DType.Float32)
        {
            var got = actual.ToArray<float>();
            for (int k = 0; k < want.Length; k++)
            {
                float e = (float)want[k];
                double ulps = Math.Abs((double)got[k] - e) / Ulp(e);
                worst = Math.Max(worst, ulps);
                ulps.ShouldBeLessThanOrEqualTo(Float32Ulps, $"{where}, element {k}: got {got[k]:R}, PyTorch {e:R}");
            }
        }
        else
        {
            var got = actual.ToArray<double>();
            for (int k = 0; k < want.Length; k++)
            {
                double diff = Math.Abs(got[k] - want[k]);
                worst = Math.Max(worst, diff / Math.Max(Math.Abs(want[k]), double.Epsilon));
                diff.ShouldBeLessThanOrEqualTo(Float64Relative * Math.Abs(want[k]) + Float64Absolute,
                    $"{where}, element {k}: got {got[k]:R}, PyTorch {want[k]:R}");
            }
        }
        return worst;
    }

    /// <summary>The gap between |x| and the next float up: one unit in the last place.</summary>
    private static double Ulp(float x) => (double)MathF.BitIncrement(MathF.Abs(x)) - MathF.Abs(x);
}
