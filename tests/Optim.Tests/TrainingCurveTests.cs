using System.Text.Json;
using Autograd.Nn;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Optim.Tests;

/// <summary>
/// End to end: a few hundred full-batch training steps from PyTorch's initial weights follow
/// PyTorch's loss curve (tools/gen_optim_fixtures.py writes training_curves.json). Everything
/// takes part: Linear, ReLU, the losses, backward, ZeroGrad and the optimizer.
/// </summary>
/// <remarks>
/// <para>
/// Float64: each step's gradients differ from PyTorch's only by float64 rounding (other summation
/// orders in matmul and the reductions), ~1e-16 relative; the optimizer step itself is bit-identical.
/// Measured: the loss curves agree to 4e-16 relative over 300 steps in both runs. Checked to 1e-12
/// relative (loss) and 1e-10 (final weights, plus 1e-12 absolute for weights near zero): room for
/// a thousandfold amplification of rounding differences, nowhere near any real difference.
/// </para>
/// <para>
/// Float32: the same, but the rounding differences are ~1e-7 and are not harmless everywhere.
/// </para>
/// <list type="bullet">
/// <item>Logistic regression with SGD is convex and lr 0.1 is well inside the stable range, so the
/// gradient-descent map contracts and the per-step differences do not build up: measured, the loss
/// stays within 1.5e-7 relative (2 ulps) of PyTorch's for all 300 steps; PyTorch's own curve moves
/// by up to 2.3e-7 when only the order of the samples changes. Checked to 4e-7 plus 1e-9 per step.</item>
/// <item>The MLP with Adam is not contracting: Adam divides each gradient component by its running
/// RMS, so an ulp-level difference in a small component becomes a proportionate difference in the
/// step. The weights drift apart about linearly (~2e-8 per step measured) and the loss difference
/// grows with them (7e-8 relative at step 100, 6e-7 at step 137). Checked to 5e-7 * (1 + t/25)
/// for the first <see cref="MlpTightSteps"/> steps. Then, at step 139 here, one sample's
/// pre-activation of one hidden unit is within rounding of 0 and its ReLU lands on the other side
/// than in PyTorch: a discrete change in that unit's gradient, which Adam turns into a step of order
/// lr, after which the two runs are different (equally good) trajectories. PyTorch does the same to
/// itself: with the samples merely reordered, one order in four tried departs from the original curve
/// at step 254 and ends 2.5e-3 apart in weights. So after that point the curve is checked to 2%
/// relative (measured worst 0.45%): it still trains the same way, which is all that is meaningful.</item>
/// </list>
/// <para>
/// A finding from this test, for the core kernels: at identical weights our float32 gradients of
/// this MLP are 2-5 times further from the float64 truth than PyTorch's (biggest for the second
/// layer's weight and bias, reductions over the 240 samples: PyTorch sums with cascaded partial
/// sums, ReduceKernels.Sum over a non-innermost dim adds row after row). That is why our float32 run
/// drifts from PyTorch's faster than PyTorch's own float32 noise and meets its first ReLU flip earlier.
/// </para>
/// </remarks>
[TestFixture]
public sealed class TrainingCurveTests
{
    private const double Float64LossRelative = 1e-12;
    private const double Float64WeightRelative = 1e-10;
    private const double Float64WeightAbsolute = 1e-12;
    private const int MlpTightSteps = 120;
    private const double MlpLooseRelative = 0.02;

    private static readonly string FixturePath =
        Path.Combine(AppContext.BaseDirectory, "Fixtures", "optim", "training_curves.json");

    private static readonly Lazy<JsonElement> Fixture = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(FixturePath));
        return doc.RootElement.Clone();
    });

    [TestCase(DType.Float64)]
    [TestCase(DType.Float32)]
    public void LogisticRegression_SgdFollowsPyTorchLossCurve(DType dtype)
    {
        var f = Fixture.Value.GetProperty("logistic");
        var x = Matrix(f.GetProperty("x"), dtype);
        var y = Vector(f.GetProperty("y"), dtype).Reshape(-1, 1);
        var model = new Linear(30, 1, dtype: dtype);
        model.LoadStateDict(State(f.GetProperty("initial"), model));
        var optimizer = new SGD(model.Parameters(), lr: f.GetProperty("lr").GetDouble());
        var lossFn = new BCEWithLogitsLoss();

        var losses = Train(optimizer, () => lossFn.Forward(model.Forward(x), y), f.GetProperty("steps").GetInt32());

        var run = f.GetProperty(Key(dtype));
        if (dtype == DType.Float64)
        {
            CheckCurve(losses, run, _ => Float64LossRelative);
            CheckWeights(model, run, Float64WeightRelative, Float64WeightAbsolute);
        }
        else
        {
            CheckCurve(losses, run, t => 4e-7 + 1e-9 * t);
            CheckWeights(model, run, 1e-6, 1e-7);
        }
    }

    [TestCase(DType.Float64)]
    [TestCase(DType.Float32)]
    public void Mlp_AdamFollowsPyTorchLossCurve(DType dtype)
    {
        var f = Fixture.Value.GetProperty("mlp");
        var x = Matrix(f.GetProperty("x"), dtype);
        var labels = f.GetProperty("y");
        var y = Tensor.FromArray(labels.EnumerateArray().Select(e => e.GetInt64()).ToArray(), labels.GetArrayLength());
        var model = new Sequential(new Linear(8, 16, dtype: dtype), new ReLU(), new Linear(16, 3, dtype: dtype));
        model.LoadStateDict(State(f.GetProperty("initial"), model));
        var optimizer = new Adam(model.Parameters(), lr: f.GetProperty("lr").GetDouble());
        var lossFn = new CrossEntropyLoss();

        var losses = Train(optimizer, () => lossFn.Forward(model.Forward(x), y), f.GetProperty("steps").GetInt32());

        var run = f.GetProperty(Key(dtype));
        if (dtype == DType.Float64)
        {
            CheckCurve(losses, run, _ => Float64LossRelative);
            CheckWeights(model, run, Float64WeightRelative, Float64WeightAbsolute);
        }
        else
        {
            CheckCurve(losses, run, t => t < MlpTightSteps ? 5e-7 * (1 + t / 25.0) : MlpLooseRelative);
        }
    }

    /// <summary>The usual loop; returns the loss before each step.</summary>
    private static double[] Train(Optimizer optimizer, Func<Tensor> loss, int steps)
    {
        var losses = new double[steps];
        for (int t = 0; t < steps; t++)
        {
            optimizer.ZeroGrad();
            var l = loss();
            l.Backward();
            losses[t] = l.Item();
            optimizer.Step();
        }
        return losses;
    }

    private static void CheckCurve(double[] losses, JsonElement run, Func<int, double> relativeTolerance)
    {
        var want = run.GetProperty("losses").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        losses.Length.ShouldBe(want.Length);
        double worst = 0;
        int worstStep = 0;
        for (int t = 0; t < want.Length; t++)
        {
            double relative = Math.Abs(losses[t] - want[t]) / Math.Abs(want[t]);
            if (relative > worst) (worst, worstStep) = (relative, t);
            relative.ShouldBeLessThanOrEqualTo(relativeTolerance(t),
                $"step {t}: loss {losses[t]:R}, PyTorch {want[t]:R}");
        }
        TestContext.Out.WriteLine($"loss {want[0]:G6} -> {want[^1]:G6}; worst relative difference {worst:G3} at step {worstStep}");
    }

    private static void CheckWeights(Module model, JsonElement run, double relative, double absolute)
    {
        var final = run.GetProperty("final");
        double worst = 0;
        foreach (var (name, parameter) in model.NamedParameters())
        {
            var want = final.GetProperty(name).EnumerateArray().Select(e => e.GetDouble()).ToArray();
            var got = parameter.ToArray<double>();
            for (int i = 0; i < want.Length; i++)
            {
                double diff = Math.Abs(got[i] - want[i]);
                worst = Math.Max(worst, diff / Math.Max(Math.Abs(want[i]), 1e-300));
                diff.ShouldBeLessThanOrEqualTo(relative * Math.Abs(want[i]) + absolute, $"final {name}[{i}]: {got[i]:R}, PyTorch {want[i]:R}");
            }
        }
        TestContext.Out.WriteLine($"final weights: worst relative difference {worst:G3}");
    }

    private static string Key(DType dtype) => dtype == DType.Float32 ? "float32" : "float64";

    private static Tensor Matrix(JsonElement rows, DType dtype)
    {
        int n = rows.GetArrayLength();
        var data = rows.EnumerateArray().SelectMany(r => r.EnumerateArray().Select(e => e.GetDouble())).ToArray();
        return Tensor.FromArray(data, n, data.Length / n).To(dtype);
    }

    private static Tensor Vector(JsonElement values, DType dtype)
    {
        var data = values.EnumerateArray().Select(e => e.GetDouble()).ToArray();
        return Tensor.FromArray(data, data.Length).To(dtype);
    }

    /// <summary>PyTorch's initial state_dict (float32 values, exact in either dtype), shaped like the model's.</summary>
    private static Dictionary<string, Tensor> State(JsonElement initial, Module model)
    {
        var shapes = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Shape.ToArray());
        var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var p in initial.EnumerateObject())
        {
            var data = p.Value.EnumerateArray().Select(e => e.GetDouble()).ToArray();
            state[p.Name] = Tensor.FromArray(data, shapes[p.Name]);
        }
        return state;
    }
}
