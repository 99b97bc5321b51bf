using System.Text.Json;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Optim.Tests;

/// <summary>
/// RMSprop and Adagrad trajectories against PyTorch 1.13's single-tensor code path
/// (tools/gen_optim14_fixtures.py): one group or two groups with their own options, a learning rate
/// changed mid-run, missing gradients.
/// </summary>
/// <remarks>
/// Float32 and Float64 are both checked bit for bit: unlike Adam, neither optimizer calls
/// <c>pow</c> (Adagrad's decayed learning rate is one division, computed in double as Python does),
/// so every input of every rounding is the same as PyTorch's.
/// </remarks>
[TestFixture]
public sealed class RMSpropAdagradFixtureTests
{
    private static readonly string FixturePath =
        Path.Combine(AppContext.BaseDirectory, "Fixtures", "optim", "rmsprop_adagrad.json");

    private static readonly Lazy<Dictionary<string, JsonElement>> Cases = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(FixturePath));
        return doc.RootElement.GetProperty("cases").EnumerateArray()
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => c.Clone(), StringComparer.Ordinal);
    });

    private static IEnumerable<string> CaseNames() => Cases.Value.Keys;

    [Test]
    public void Fixture_CoversEveryOptionAndBothDTypes()
    {
        string[] required =
        [
            "rmsprop_defaults", "rmsprop_alpha", "rmsprop_weight_decay", "rmsprop_momentum", "rmsprop_centered",
            "rmsprop_centered_momentum", "rmsprop_maximize", "rmsprop_null_grad", "rmsprop_groups", "rmsprop_groups_maximize",
            "adagrad_defaults", "adagrad_lr_decay", "adagrad_weight_decay", "adagrad_initial_accumulator",
            "adagrad_maximize", "adagrad_null_grad", "adagrad_groups",
        ];
        foreach (var name in required)
            foreach (var dtype in new[] { "float32", "float64" })
                Cases.Value.Keys.ShouldContain($"{name}_{dtype}");
    }

    [TestCaseSource(nameof(CaseNames))]
    public void Step_MatchesPyTorchTrajectoryBitForBit(string caseName)
    {
        var c = Cases.Value[caseName];
        var (parameters, optimizer) = Build(c);
        Replay(c, parameters, optimizer, 0, Steps(c), caseName);
    }

    /// <summary>Stops half-way, saves the optimizer's state dict, loads it into a fresh optimizer, and continues: the same bits as PyTorch's uninterrupted run.</summary>
    [TestCaseSource(nameof(CaseNames))]
    public void LoadStateDict_ResumedHalfWay_ContinuesBitForBit(string caseName)
    {
        var c = Cases.Value[caseName];
        var (parameters, optimizer) = Build(c);
        int half = Steps(c) / 2;
        Replay(c, parameters, optimizer, 0, half, caseName);
        var saved = optimizer.StateDict();
        var values = parameters.Select(p => p.DetachedCopy()).ToArray();

        var (resumedParameters, resumed) = Build(c);
        for (int i = 0; i < values.Length; i++) values[i].Data.CopyTo(resumedParameters[i].Data, 0);
        resumed.LoadStateDict(saved);
        Replay(c, resumedParameters, resumed, half, Steps(c), caseName);
    }

    private static int Steps(JsonElement c) => c.GetProperty("grads").GetArrayLength();

    private static (Tensor[] Parameters, Optimizer Optimizer) Build(JsonElement c)
    {
        var dtype = c.GetProperty("dtype").GetString() == "float32" ? DType.Float32 : DType.Float64;
        var shapes = Shapes(c);
        var initial = c.GetProperty("initial").EnumerateArray().ToArray();
        var parameters = shapes.Select((shape, i) => OptimizerFixtureTests.MakeTensor(initial[i], shape, dtype, requiresGrad: true)).ToArray();
        var groups = c.GetProperty("groups").EnumerateArray().Select(g => MakeGroup(g, parameters)).ToArray();
        var d = c.GetProperty("defaults");
        double Get(string name, double fallback) => d.TryGetProperty(name, out var v) ? v.GetDouble() : fallback;
        bool Flag(string name) => d.TryGetProperty(name, out var v) && v.GetBoolean();
        Optimizer optimizer = c.GetProperty("optimizer").GetString() switch
        {
            "RMSprop" => d.EnumerateObject().Any()
                ? new RMSprop(groups, Get("lr", double.NaN), Get("alpha", 0.99), Get("eps", 1e-8), Get("weightDecay", 0),
                    Get("momentum", 0), Flag("centered"), Flag("maximize"))
                : new RMSprop(groups),   // the "defaults" case checks that the C# defaults are PyTorch's
            "Adagrad" => d.EnumerateObject().Any()
                ? new Adagrad(groups, Get("lr", double.NaN), Get("lrDecay", 0), Get("weightDecay", 0),
                    Get("initialAccumulatorValue", 0), Get("eps", 1e-10), Flag("maximize"))
                : new Adagrad(groups),
            var kind => throw new InvalidDataException($"unknown optimizer {kind}"),
        };
        return (parameters, optimizer);
    }

    private static int[][] Shapes(JsonElement c)
        => c.GetProperty("shapes").EnumerateArray().Select(s => s.EnumerateArray().Select(e => e.GetInt32()).ToArray()).ToArray();

    private static void Replay(JsonElement c, Tensor[] parameters, Optimizer optimizer, int from, int to, string caseName)
    {
        var dtype = parameters[0].DType;
        var shapes = Shapes(c);
        var lrs = c.GetProperty("lrs").EnumerateArray().Select(s => s.EnumerateArray().Select(e => e.GetDouble()).ToArray()).ToArray();
        var grads = c.GetProperty("grads").EnumerateArray().ToArray();
        var expected = c.GetProperty("expected").EnumerateArray().ToArray();
        if (from == 0) optimizer.ParamGroups.Select(g => g.LearningRate).ShouldBe(lrs[0]);
        for (int step = from; step < to; step++)
        {
            for (int g = 0; g < optimizer.ParamGroups.Count; g++) optimizer.ParamGroups[g].LearningRate = lrs[step][g];
            var stepGrads = grads[step].EnumerateArray().ToArray();
            for (int i = 0; i < parameters.Length; i++)
                parameters[i].Grad = stepGrads[i].ValueKind == JsonValueKind.Null ? null : OptimizerFixtureTests.MakeTensor(stepGrads[i], shapes[i], dtype, requiresGrad: false);
            optimizer.Step();
            var stepExpected = expected[step].EnumerateArray().ToArray();
            for (int i = 0; i < parameters.Length; i++)
                CompareExactly(parameters[i], stepExpected[i], $"{caseName}, step {step + 1}, parameter {i}");
        }
    }

    private static void CompareExactly(Tensor actual, JsonElement expected, string where)
    {
        var want = expected.EnumerateArray().Select(e => e.GetDouble()).ToArray();
        double[] got = actual.DType == DType.Float32 ? actual.ToArray<float>().Select(f => (double)f).ToArray() : actual.ToArray<double>();
        for (int k = 0; k < want.Length; k++)
        {
            double w = actual.DType == DType.Float32 ? (float)want[k] : want[k];
            got[k].ShouldBe(w, $"{where}, element {k}: got {got[k]:R}, PyTorch {w:R}");
        }
    }

    private static ParamGroup MakeGroup(JsonElement group, Tensor[] parameters)
    {
        var options = group.GetProperty("options");
        double? Get(string name) => options.TryGetProperty(name, out var v) ? v.GetDouble() : null;
        bool? Flag(string name) => options.TryGetProperty(name, out var v) ? v.GetBoolean() : null;
        var ps = group.GetProperty("params").EnumerateArray().Select(i => parameters[i.GetInt32()]);
        return new ParamGroup(ps, lr: Get("lr"), weightDecay: Get("weightDecay"), momentum: Get("momentum"),
            eps: Get("eps"), maximize: Flag("maximize"), alpha: Get("alpha"), centered: Flag("centered"),
            lrDecay: Get("lrDecay"), initialAccumulatorValue: Get("initialAccumulatorValue"));
    }
}
