using System.Text.Json;
using NUnit.Framework;
using Shouldly;
using F = Autograd.Nn.Functional;

namespace Autograd.Nn.Tests.Modules;

/// <summary>
/// BatchNorm1d/2d, LayerNorm and GroupNorm against PyTorch 1.13 (Fixtures/normalization/normalization.json,
/// written by tools/gen_norm_layer_fixtures.py): outputs, gradients with respect to the input,
/// weight and bias, running statistics after 1-3 training steps and in eval mode, in Float32 and
/// Float64; GradCheck in Float64; state-dict keys, repr.
/// </summary>
/// <remarks>
/// Tolerance: every compared element must be within <c>K·u·scale</c> of PyTorch's, u the unit
/// roundoff of the dtype (2^-24 or 2^-53) and scale the largest |value| of the expected tensor.
/// The batch-norm forward and running statistics follow PyTorch's CPU rounding step by step (double
/// sums, mean and var_sum rounded to the element type, α and β in the element type, the fused
/// multiply-adds GCC makes of PyTorch's AVX2 kernel): most compared tensors are bit-identical.
/// LayerNorm and GroupNorm are composed of the library's ops while PyTorch uses fused row-wise
/// moments. Measured: at most 2.3 u·scale for batch-norm outputs and 1.5 for running statistics,
/// 2.7 for LayerNorm/GroupNorm outputs (K = <see cref="ForwardUlps"/> = 4).
/// PyTorch's backward sums Σdy and Σ(x − mean)·dy in the element type with vector lanes while ours
/// sums them in double: at most 13.8 u·scale measured for dγ over up to 256 terms per channel
/// (K = <see cref="BackwardUlps"/> = 32). For dx the scale includes the magnitude of its terms
/// (<see cref="TermScale"/>). A wrong formula (the unbiased variance in the normalisation, a
/// missing term of the backward) is off by 10^-3 relative or more, over 10^4 times the bound in Float32.
/// </remarks>
[TestFixture]
public sealed class NormalizationTests
{
    private const double ForwardUlps = 4;
    private const double BackwardUlps = 32;

    private static readonly Lazy<JsonElement> Root = new(() =>
    {
        string path = Path.Combine(TestContext.CurrentContext.TestDirectory, "Fixtures", "normalization", "normalization.json");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return doc.RootElement.Clone();
    });

    private static IEnumerable<string> Names(string section) => Root.Value.GetProperty(section).EnumerateArray().Select(c => c.GetProperty("name").GetString()!);

    private static JsonElement Case(string section, string name)
        => Root.Value.GetProperty(section).EnumerateArray().First(c => c.GetProperty("name").GetString() == name);

    private static IEnumerable<string> BatchNormCases() => Names("batchnorm");

    private static IEnumerable<string> LayerNormCases() => Names("layernorm");

    private static IEnumerable<string> GroupNormCases() => Names("groupnorm");

    private static Tensor T(JsonElement e) => ModuleFixtures.ToTensor(e);

    /// <summary>
    /// The magnitude of the terms of dx = γ·invstd·(dy − mean dy − x̂·mean(dy·x̂)), from the fixture:
    /// with few values per statistic (2 in bn1d_batch2 and gn_2d_input) dx is a cancellation of
    /// terms some 10^3 times larger, so its rounding error is relative to them, not to dx.
    /// </summary>
    private static double TermScale(JsonElement e) => e.TryGetProperty("grad_x_scale", out var s) ? s.GetDouble() : 0;

    internal static double MaxUlpRatio(Tensor actual, Tensor expected, double termScale = 0)
    {
        double u = ModuleFixtures.UnitRoundoff(expected.DType);
        double[] a = actual.ToArray<double>(), e = expected.ToArray<double>();
        double scale = Math.Max(termScale, e.Length == 0 ? 0 : e.Max(Math.Abs));
        double worst = 0;
        for (int i = 0; i < e.Length; i++) worst = Math.Max(worst, Math.Abs(a[i] - e[i]) / (u * Math.Max(scale, double.Epsilon)));
        return worst;
    }

    private static void AssertClose(Tensor actual, Tensor expected, double ulps, string what, double termScale = 0)
    {
        actual.DType.ShouldBe(expected.DType, what);
        actual.Shape.ShouldBe(expected.Shape, what);
        double ratio = MaxUlpRatio(actual, expected, termScale);
        TestContext.Out.WriteLine($"{what}: {ratio:F2} u·scale");
        ratio.ShouldBeLessThanOrEqualTo(ulps, what);
    }

    [TestCaseSource(nameof(BatchNormCases))]
    public void BatchNorm_TrainStepsThenEval_MatchPyTorch(string name)
    {
        var c = Case("batchnorm", name);
        var dtype = ModuleFixtures.ParseDType(c.GetProperty("dtype").GetString()!);
        int features = c.GetProperty("num_features").GetInt32();
        double? momentum = c.GetProperty("momentum").ValueKind == JsonValueKind.Null ? null : c.GetProperty("momentum").GetDouble();
        bool affine = c.GetProperty("affine").GetBoolean(), track = c.GetProperty("track_running_stats").GetBoolean();
        BatchNorm m = c.GetProperty("kind").GetString() == "2d"
            ? new BatchNorm2d(features, momentum: momentum, affine: affine, trackRunningStats: track, dtype: dtype)
            : new BatchNorm1d(features, momentum: momentum, affine: affine, trackRunningStats: track, dtype: dtype);
        if (affine)
        {
            using var _ = Tape.NoGrad();
            m.Weight!.CopyFrom(T(c.GetProperty("weight")));
            m.Bias!.CopyFrom(T(c.GetProperty("bias")));
        }
        int i = 0;
        foreach (var step in c.GetProperty("train_steps").EnumerateArray())
            RunStep(m, step, $"train step {++i}");
        m.Eval();
        var meanBefore = m.RunningMean?.Clone();
        RunStep(m, c.GetProperty("eval_step"), "eval");
        if (meanBefore is not null) ModuleFixtures.AssertBitwiseEqual(m.RunningMean!, meanBefore, "eval leaves running_mean");
    }

    private static void RunStep(BatchNorm m, JsonElement step, string what)
    {
        m.ZeroGrad();
        var x = T(step.GetProperty("x"));
        x.RequiresGrad = true;
        var y = m.Forward(x);
        y.Backward(T(step.GetProperty("gy")));
        AssertClose(y, T(step.GetProperty("y")), ForwardUlps, $"{what}: y");
        AssertClose(x.Grad!, T(step.GetProperty("grad_x")), BackwardUlps, $"{what}: grad x", TermScale(step));
        if (m.Affine)
        {
            AssertClose(m.Weight!.Grad!, T(step.GetProperty("grad_weight")), BackwardUlps, $"{what}: grad weight");
            AssertClose(m.Bias!.Grad!, T(step.GetProperty("grad_bias")), BackwardUlps, $"{what}: grad bias");
        }
        if (m.TrackRunningStats)
        {
            AssertClose(m.RunningMean!, T(step.GetProperty("running_mean")), ForwardUlps, $"{what}: running_mean");
            AssertClose(m.RunningVar!, T(step.GetProperty("running_var")), ForwardUlps, $"{what}: running_var");
            m.NumBatchesTracked!.ToArray<long>()[0].ShouldBe(step.GetProperty("num_batches_tracked").GetInt64(), $"{what}: num_batches_tracked");
        }
    }

    [TestCaseSource(nameof(LayerNormCases))]
    public void LayerNorm_OutputAndGradients_MatchPyTorch(string name)
    {
        var c = Case("layernorm", name);
        int[] shape = c.GetProperty("normalized_shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        CheckComposed(c, (x, w, b) => F.LayerNorm(x, shape, w, b, c.GetProperty("eps").GetDouble()));
    }

    [TestCaseSource(nameof(GroupNormCases))]
    public void GroupNorm_OutputAndGradients_MatchPyTorch(string name)
    {
        var c = Case("groupnorm", name);
        CheckComposed(c, (x, w, b) => F.GroupNorm(x, c.GetProperty("groups").GetInt32(), w, b, c.GetProperty("eps").GetDouble()));
    }

    /// <summary>The modules run their functional forms with their own parameters (PyTorch's init: ones and zeros).</summary>
    [TestCaseSource(nameof(LayerNormCases))]
    public void LayerNormModule_WithTheFixtureParameters_MatchesPyTorch(string name)
    {
        var c = Case("layernorm", name);
        int[] shape = c.GetProperty("normalized_shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        bool affine = c.GetProperty("weight").ValueKind != JsonValueKind.Null;
        var x = T(c.GetProperty("x"));
        var m = new LayerNorm(shape, c.GetProperty("eps").GetDouble(), affine, x.DType);
        if (affine)
        {
            m.Weight!.ToArray<double>().ShouldAllBe(v => v == 1);
            m.Bias!.ToArray<double>().ShouldAllBe(v => v == 0);
            using var _ = Tape.NoGrad();
            m.Weight.CopyFrom(T(c.GetProperty("weight")));
            m.Bias.CopyFrom(T(c.GetProperty("bias")));
        }
        AssertClose(m.Forward(x), T(c.GetProperty("y")), ForwardUlps, "y");
    }

    [TestCaseSource(nameof(GroupNormCases))]
    public void GroupNormModule_WithTheFixtureParameters_MatchesPyTorch(string name)
    {
        var c = Case("groupnorm", name);
        bool affine = c.GetProperty("weight").ValueKind != JsonValueKind.Null;
        var x = T(c.GetProperty("x"));
        var m = new GroupNorm(c.GetProperty("groups").GetInt32(), x.Shape[1], c.GetProperty("eps").GetDouble(), affine, x.DType);
        if (affine)
        {
            m.Weight!.ToArray<double>().ShouldAllBe(v => v == 1);
            m.Bias!.ToArray<double>().ShouldAllBe(v => v == 0);
            using var _ = Tape.NoGrad();
            m.Weight.CopyFrom(T(c.GetProperty("weight")));
            m.Bias.CopyFrom(T(c.GetProperty("bias")));
        }
        AssertClose(m.Forward(x), T(c.GetProperty("y")), ForwardUlps, "y");
    }

    private static void CheckComposed(JsonElement c, Func<Tensor, Tensor?, Tensor?, Tensor> f)
    {
        var x = T(c.GetProperty("x"));
        x.RequiresGrad = true;
        Tensor? w = null, b = null;
        if (c.GetProperty("weight").ValueKind != JsonValueKind.Null)
        {
            w = T(c.GetProperty("weight"));
            b = T(c.GetProperty("bias"));
            w.RequiresGrad = true;
            b.RequiresGrad = true;
        }
        var y = f(x, w, b);
        y.Backward(T(c.GetProperty("gy")));
        AssertClose(y, T(c.GetProperty("y")), ForwardUlps, "y");
        AssertClose(x.Grad!, T(c.GetProperty("grad_x")), BackwardUlps, "grad x", TermScale(c));
        if (w is not null)
        {
            AssertClose(w.Grad!, T(c.GetProperty("grad_weight")), BackwardUlps, "grad weight");
            AssertClose(b!.Grad!, T(c.GetProperty("grad_bias")), BackwardUlps, "grad bias");
        }
    }

    [Test]
    public void BatchNorm_GradCheck_Float64([Values] bool training, [Values(2, 3, 4)] int rank)
    {
        var g = new Generator(15);
        int[] shape = rank switch { 2 => [5, 3], 3 => [3, 3, 4], _ => [2, 3, 3, 2] };
        var x = Tensor.Randn(shape, g, DType.Float64) * 1.5 + 0.3;
        var w = Tensor.Rand([3], g, DType.Float64) + 0.5;
        var b = Tensor.Randn([3], g, DType.Float64);
        var rm = Tensor.Randn([3], g, DType.Float64) * 0.1;
        var rv = Tensor.Rand([3], g, DType.Float64) + 0.5;
        var result = GradCheck.Check(t => F.BatchNorm(t[0], rm.Clone(), rv.Clone(), t[1], t[2], training), [x, w, b]);
        result.Passed.ShouldBeTrue(result.ToString());
    }

    [Test]
    public void LayerNormAndGroupNorm_GradCheck_Float64()
    {
        var g = new Generator(16);
        var x = Tensor.Randn([2, 4, 3], g, DType.Float64) + 0.3;
        var w = Tensor.Rand([4, 3], g, DType.Float64) + 0.5;
        var b = Tensor.Randn([4, 3], g, DType.Float64);
        GradCheck.Check(t => F.LayerNorm(t[0], [4, 3], t[1], t[2]), [x, w, b]).Passed.ShouldBeTrue();
        var wc = Tensor.Rand([4], g, DType.Float64) + 0.5;
        var bc = Tensor.Randn([4], g, DType.Float64);
        GradCheck.Check(t => F.GroupNorm(t[0], 2, t[1], t[2]), [x, wc, bc]).Passed.ShouldBeTrue();
    }

    /// <summary>
    /// Under createGraph the backward is composed of differentiable ops: its first-order values
    /// equal the fused kernel's (to rounding), and the gradient of a gradient matches finite differences.
    /// </summary>
    [Test]
    public void BatchNorm_CreateGraph_SecondOrderGradCheck_Float64([Values] bool training)
    {
        var g = new Generator(17);
        var x = Tensor.Randn([4, 2, 3], g, DType.Float64) + 0.2;
        var w = Tensor.Rand([2], g, DType.Float64) + 0.5;
        var b = Tensor.Randn([2], g, DType.Float64);
        var gy = Tensor.Randn([4, 2, 3], g, DType.Float64);
        var rm = Tensor.Randn([2], g, DType.Float64) * 0.1;
        var rv = Tensor.Rand([2], g, DType.Float64) + 0.5;

        var xa = x.Clone(); xa.RequiresGrad = true;
        F.BatchNorm(xa, rm.Clone(), rv.Clone(), w, b, training).Backward(gy);
        var xb = x.Clone(); xb.RequiresGrad = true;
        F.BatchNorm(xb, rm.Clone(), rv.Clone(), w, b, training).Backward(gy, createGraph: true);
        MaxUlpRatio(xb.Grad!.Detach(), xa.Grad!).ShouldBeLessThan(64);

        // d/dx of <dy, dL/dx>: the gradient of the composed backward, checked by finite differences.
        var result = GradCheck.Check(t => SecondOrder(t[0], t[1], training, rm, rv, b, gy), [x, w]);
        result.Passed.ShouldBeTrue(result.ToString());
    }

    private static Tensor SecondOrder(Tensor x, Tensor w, bool training, Tensor rm, Tensor rv, Tensor b, Tensor gy)
    {
        using var _ = Tape.EnableGrad(); // GradCheck's finite differences run without recording; the inner gradient needs it
        if (!x.RequiresGrad)
        {
            x = x.Detach().Clone();
            x.RequiresGrad = true;
        }
        var y = F.BatchNorm(x, rm.Clone(), rv.Clone(), w, b, training);
        var dx = Tape.Grad((y * gy).Sum(), [x], createGraph: true)[0];
        return (dx * dx).Sum();
    }

    [Test]
    public void StateDict_KeysAndOrder_AreTorchs()
    {
        var expected = Root.Value.GetProperty("state_keys").EnumerateArray()
            .ToDictionary(e => e.GetProperty("name").GetString()!, e => e.GetProperty("keys").EnumerateArray().Select(k => k.GetString()!).ToList());
        new BatchNorm2d(3).StateDict().Keys.ShouldBe(expected["bn2d"]);
        new BatchNorm1d(3, affine: false).StateDict().Keys.ShouldBe(expected["bn1d_no_affine"]);
        new BatchNorm1d(3, trackRunningStats: false).StateDict().Keys.ShouldBe(expected["bn1d_no_tracking"]);
        new LayerNorm(3).StateDict().Keys.ShouldBe(expected["ln"]);
        new GroupNorm(1, 3).StateDict().Keys.ShouldBe(expected["gn"]);
        new Sequential(new Conv2d(1, 2, 3, generator: new Generator(1)), new BatchNorm2d(2)).StateDict().Keys.ShouldBe(expected["seq"]);
        var count = new BatchNorm2d(3).StateDict()["num_batches_tracked"];
        count.DType.ShouldBe(DType.Int64);
        count.Rank.ShouldBe(0);
    }

    [Test]
    public void StateDict_RoundTrip_CarriesRunningStatistics()
    {
        var g = new Generator(3);
        var trained = new BatchNorm2d(2);
        trained.Forward(Tensor.Randn([4, 2, 3, 3], g));
        trained.Forward(Tensor.Randn([4, 2, 3, 3], g));
        var copy = new BatchNorm2d(2);
        copy.LoadStateDict(trained.StateDict());
        ModuleFixtures.AssertBitwiseEqual(copy.RunningMean!, trained.RunningMean!, "running_mean");
        ModuleFixtures.AssertBitwiseEqual(copy.RunningVar!, trained.RunningVar!, "running_var");
        copy.NumBatchesTracked!.ToArray<long>()[0].ShouldBe(2);
        var doubled = copy.To(DType.Float64);
        ((BatchNorm2d)doubled).RunningMean!.DType.ShouldBe(DType.Float64);
        ((BatchNorm2d)doubled).NumBatchesTracked!.DType.ShouldBe(DType.Int64);
    }

    [Test]
    public void Training_UpdatesRunningStatsInPlace_WithAVersionBump_AndEvalDoesNot()
    {
        var m = new BatchNorm1d(2);
        var rm = m.RunningMean!;
        var x = Tensor.FromArray(new float[] { 1, 2, 3, 6 }, 2, 2);
        var y = m.Forward(x);
        ReferenceEquals(m.RunningMean, rm).ShouldBeTrue();
        rm.ToArray<float>().ShouldBe(new[] { 0.2f, 0.4f });
        // Unbiased: channel 0 holds 1 and 3 (var 2), channel 1 holds 2 and 6 (var 8): 0.9 + 0.1·var.
        m.RunningVar!.ToArray<float>().ShouldBe(new[] { 0.9f + 0.2f, 0.9f + 0.8f }, tolerance: 1e-7);
        // Normalised with the biased variance: ±1 / √(1 + eps / var).
        y.ToArray<float>()[0].ShouldBe(-1 / MathF.Sqrt(1 + 1e-5f / 1), 1e-6f);
        m.Eval();
        m.Forward(x);
        rm.ToArray<float>().ShouldBe(new[] { 0.2f, 0.4f });
        m.NumBatchesTracked!.ToArray<long>()[0].ShouldBe(1);
    }

    [Test]
    public void FailedForward_LeavesTheStateUnchanged()
    {
        var m = new BatchNorm2d(3);
        Should.Throw<ArgumentException>(() => m.Forward(Tensor.Zeros(1, 3, 1, 1)));
        Should.Throw<ArgumentException>(() => m.Forward(Tensor.Zeros(2, 4, 2, 2)));
        m.NumBatchesTracked!.ToArray<long>()[0].ShouldBe(0);
        m.RunningMean!.ToArray<float>().ShouldBe(new float[3]);
    }

    [Test]
    public void Repr_IsTorchs()
    {
        var expected = Root.Value.GetProperty("repr").EnumerateArray()
            .ToDictionary(e => e.GetProperty("name").GetString()!, e => e.GetProperty("repr").GetString()!);
        new BatchNorm2d(3).ToString().ShouldBe(expected["bn2d"]);
        new BatchNorm1d(4, eps: 1e-3, momentum: null, affine: false, trackRunningStats: false).ToString().ShouldBe(expected["bn1d_options"]);
        new BatchNorm2d(5, momentum: 0.3).ToString().ShouldBe(expected["bn2d_momentum"]);
        new LayerNorm([4, 5]).ToString().ShouldBe(expected["ln"]);
        new LayerNorm(6, eps: 1e-3, elementwiseAffine: false).ToString().ShouldBe(expected["ln_options"]);
        new GroupNorm(2, 6).ToString().ShouldBe(expected["gn"]);
        new GroupNorm(3, 6, eps: 1e-3, affine: false).ToString().ShouldBe(expected["gn_options"]);
    }

    /// <summary>In a chain the activations around a batch norm are recycled (ActivationRecycling); the results must not change.</summary>
    [Test]
    public void InASequential_RecycledActivations_GiveTheSameValuesAndGradients()
    {
        Sequential Make() => new(new Conv2d(1, 2, 3, generator: new Generator(5)), new BatchNorm2d(2), new ReLU(), new Flatten(), new Linear(8, 2, generator: new Generator(6)), new LayerNorm(2));
        var x = Tensor.Randn([3, 1, 4, 4], new Generator(7));
        var coeff = Tensor.FromArray(new float[] { 1f, -0.25f }, 1, 2); // a plain sum of a layer norm's outputs has zero gradient
        var chain = Make();
        var manual = Make();
        for (int step = 0; step < 2; step++)
        {
            chain.ZeroGrad();
            manual.ZeroGrad();
            (chain.Forward(x) * coeff).Sum().Backward();
            Tensor h = x;
            foreach (var layer in manual.Children()) h = layer.Forward(h);
            (h * coeff).Sum().Backward();
        }
        var a = chain.NamedParameters().ToList();
        var b = manual.NamedParameters().ToList();
        for (int i = 0; i < a.Count; i++) ModuleFixtures.AssertBitwiseEqual(a[i].Parameter.Grad!, b[i].Parameter.Grad!, a[i].Name);
        var sa = chain.StateDict();
        var sb = manual.StateDict();
        ModuleFixtures.AssertBitwiseEqual(sa["1.running_var"], sb["1.running_var"], "running_var");
    }
}
