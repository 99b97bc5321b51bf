using System.Text.Json;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Optim.Tests;

/// <summary>
/// Learning-rate schedulers against PyTorch 1.13 (tools/gen_optim14_fixtures.py): each case records
/// every group's <c>param_groups[i]["lr"]</c> (and OneCycleLR's momentum or β₁) after the
/// constructor and after each step, for groups with different learning rates. The learning rates
/// are computed in double by the same formulas in the same order, so they are compared exactly.
/// </summary>
[TestFixture]
public sealed class LRSchedulerFixtureTests
{
    private static readonly string FixturePath =
        Path.Combine(AppContext.BaseDirectory, "Fixtures", "optim", "schedulers.json");

    private static readonly Lazy<Dictionary<string, JsonElement>> Cases = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(FixturePath));
        return doc.RootElement.GetProperty("cases").EnumerateArray()
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => c.Clone(), StringComparer.Ordinal);
    });

    private static IEnumerable<string> CaseNames() => Cases.Value.Keys;

    [Test]
    public void Fixture_CoversEveryScheduler()
    {
        var kinds = Cases.Value.Values.Select(c => c.GetProperty("scheduler").GetString()).ToHashSet();
        kinds.ShouldBe(["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR", "OneCycleLR", "ReduceLROnPlateau", "Chained"], ignoreOrder: true);
    }

    [TestCaseSource(nameof(CaseNames))]
    public void Step_LearningRates_MatchPyTorchExactly(string caseName)
    {
        var c = Cases.Value[caseName];
        var optimizer = CreateOptimizer(c);
        var scheduler = CreateScheduler(c, optimizer);
        CheckGroups(c, optimizer, c.GetProperty("initial"), c.GetProperty("initial_momentum"), $"{caseName}, after the constructor");
        Replay(c, optimizer, scheduler, 0, c.GetProperty("lrs").GetArrayLength(), caseName);
        if (scheduler is OneCycleLR oneCycle)
        {
            var lrs = optimizer.ParamGroups.Select(g => g.LearningRate).ToArray();
            Should.Throw<InvalidOperationException>(oneCycle.Step).Message.ShouldContain($"The specified number of total steps is {oneCycle.TotalSteps}");
            optimizer.ParamGroups.Select(g => g.LearningRate).ShouldBe(lrs);   // a failed step changes nothing
        }
    }

    /// <summary>
    /// Half-way, the optimizer's and the scheduler's state dicts are saved; a fresh optimizer and
    /// scheduler created as at the start load them (PyTorch's order) and continue: PyTorch's learning rates.
    /// </summary>
    [TestCaseSource(nameof(CaseNames))]
    public void LoadStateDict_ResumedHalfWay_ContinuesExactly(string caseName)
    {
        var c = Cases.Value[caseName];
        int steps = c.GetProperty("lrs").GetArrayLength(), half = steps / 2;
        var optimizer = CreateOptimizer(c);
        var scheduler = CreateScheduler(c, optimizer);
        Replay(c, optimizer, scheduler, 0, half, caseName);
        var checkpoint = (Optimizer: optimizer.StateDict(), Scheduler: StateDict(scheduler));

        var resumedOptimizer = CreateOptimizer(c);
        var resumed = CreateScheduler(c, resumedOptimizer);
        resumedOptimizer.LoadStateDict(checkpoint.Optimizer);
        LoadStateDict(resumed, checkpoint.Scheduler);
        Replay(c, resumedOptimizer, resumed, half, steps, caseName + " (resumed)");
        if (resumed is not LRScheduler[])
            StateDict(resumed)["last_epoch"].ShouldBe((long)StateDict(scheduler)["last_epoch"] + (steps - half));
    }

    /// <summary>A scheduler's state dict; for chained schedulers, each one's under its position.</summary>
    private static Dictionary<string, object> StateDict(object scheduler) => scheduler switch
    {
        ReduceLROnPlateau r => r.StateDict(),
        LRScheduler[] chain => chain.Select((s, i) => (i, s.StateDict())).ToDictionary(e => $"{e.i}", e => (object)e.Item2),
        _ => ((LRScheduler)scheduler).StateDict(),
    };

    private static void LoadStateDict(object scheduler, Dictionary<string, object> state)
    {
        switch (scheduler)
        {
            case ReduceLROnPlateau r: r.LoadStateDict(state); break;
            case LRScheduler[] chain:
                for (int i = 0; i < chain.Length; i++) chain[i].LoadStateDict((Dictionary<string, object>)state[$"{i}"]);
                break;
            default: ((LRScheduler)scheduler).LoadStateDict(state); break;
        }
    }

    private static IReadOnlyList<double> LastLr(object scheduler) => scheduler switch
    {
        ReduceLROnPlateau r => r.GetLastLr(),
        LRScheduler[] chain => chain[^1].GetLastLr(),
        _ => ((LRScheduler)scheduler).GetLastLr(),
    };

    private static void Replay(JsonElement c, Optimizer optimizer, object scheduler, int from, int to, string caseName)
    {
        var lrs = c.GetProperty("lrs").EnumerateArray().ToArray();
        var momentums = c.GetProperty("momentums").EnumerateArray().ToArray();
        var metrics = c.GetProperty("metrics");
        for (int step = from; step < to; step++)
        {
            switch (scheduler)
            {
                case ReduceLROnPlateau plateau: plateau.Step(metrics[step].GetDouble()); break;
                case LRScheduler[] chain: foreach (var s in chain) s.Step(); break;
                default: ((LRScheduler)scheduler).Step(); break;
            }
            CheckGroups(c, optimizer, lrs[step], momentums[step], $"{caseName}, step {step + 1}");
            LastLr(scheduler).ShouldBe(optimizer.ParamGroups.Select(g => g.LearningRate).ToArray());
        }
    }

    private static void CheckGroups(JsonElement c, Optimizer optimizer, JsonElement lrs, JsonElement momentums, string where)
    {
        var want = lrs.EnumerateArray().Select(e => e.GetDouble()).ToArray();
        for (int g = 0; g < want.Length; g++)
            optimizer.ParamGroups[g].LearningRate.ShouldBe(want[g], $"{where}, group {g}: got {optimizer.ParamGroups[g].LearningRate:R}, PyTorch {want[g]:R}");
        var wantMomentum = momentums.EnumerateArray().ToArray();
        for (int g = 0; g < wantMomentum.Length; g++)
        {
            if (wantMomentum[g].ValueKind == JsonValueKind.Null) continue;
            var group = optimizer.ParamGroups[g];
            double got = optimizer is Adam ? group.Beta1 : group.Momentum;
            got.ShouldBe(wantMomentum[g].GetDouble(), $"{where}, group {g} momentum");
        }
    }

    private static Optimizer CreateOptimizer(JsonElement c)
    {
        var lrs = c.GetProperty("group_lrs").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var groups = lrs.Select(lr =>
        {
            var p = Tensor.Zeros([2]);
            p.RequiresGrad = true;
            return new ParamGroup([p], lr: lr);
        }).ToArray();
        var momentum = c.GetProperty("momentum");
        double m = momentum.ValueKind == JsonValueKind.Null ? 0 : momentum.GetDouble();
        return c.GetProperty("optimizer").GetString() switch
        {
            "SGD" => new SGD(groups, lr: lrs[0], momentum: m),
            "Adam" => new Adam(groups, lr: lrs[0]),
            "RMSprop" => new RMSprop(groups, lr: lrs[0], momentum: m),
            var kind => throw new InvalidDataException($"unknown optimizer {kind}"),
        };
    }

    private static object CreateScheduler(JsonElement c, Optimizer optimizer)
    {
        var options = c.GetProperty("options");
        return c.GetProperty("scheduler").GetString() == "Chained"
            ? options.GetProperty("schedulers").EnumerateArray()
                .Select(e => (LRScheduler)CreateScheduler(e[0].GetString()!, e[1], optimizer)).ToArray()
            : CreateScheduler(c.GetProperty("scheduler").GetString()!, options, optimizer);
    }

    private static object CreateScheduler(string kind, JsonElement o, Optimizer optimizer)
    {
        bool Has(string name) => o.TryGetProperty(name, out _);
        double D(string name, double fallback) => o.TryGetProperty(name, out var v) ? v.GetDouble() : fallback;
        int I(string name, int fallback) => o.TryGetProperty(name, out var v) ? v.GetInt32() : fallback;
        int? N(string name) => o.TryGetProperty(name, out var v) ? v.GetInt32() : null;
        string S(string name, string fallback) => o.TryGetProperty(name, out var v) ? v.GetString()! : fallback;
        bool B(string name, bool fallback) => o.TryGetProperty(name, out var v) ? v.GetBoolean() : fallback;
        double[]? List(string name) => o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array
            ? v.EnumerateArray().Select(e => e.GetDouble()).ToArray() : null;
        switch (kind)
        {
            case "StepLR": return new StepLR(optimizer, I("stepSize", 0), D("gamma", 0.1));
            case "MultiStepLR": return new MultiStepLR(optimizer, o.GetProperty("milestones").EnumerateArray().Select(e => e.GetInt32()), D("gamma", 0.1));
            case "ExponentialLR": return new ExponentialLR(optimizer, D("gamma", double.NaN));
            case "CosineAnnealingLR": return new CosineAnnealingLR(optimizer, I("tMax", 0), D("etaMin", 0));
            case "LinearLR":
                return Has("startFactor") || Has("endFactor") || Has("totalIters")
                    ? new LinearLR(optimizer, D("startFactor", 1.0 / 3), D("endFactor", 1.0), I("totalIters", 5))
                    : new LinearLR(optimizer);   // checks that the C# defaults are PyTorch's
            case "OneCycleLR":
                return List("maxLr") is double[] maxLrs
                    ? new OneCycleLR(optimizer, maxLrs, N("totalSteps"), N("epochs"), N("stepsPerEpoch"), D("pctStart", 0.3),
                        S("annealStrategy", "cos"), B("cycleMomentum", true), D("baseMomentum", 0.85), D("maxMomentum", 0.95),
                        D("divFactor", 25), D("finalDivFactor", 1e4), B("threePhase", false))
                    : new OneCycleLR(optimizer, D("maxLr", double.NaN), N("totalSteps"), N("epochs"), N("stepsPerEpoch"), D("pctStart", 0.3),
                        S("annealStrategy", "cos"), B("cycleMomentum", true), D("baseMomentum", 0.85), D("maxMomentum", 0.95),
                        D("divFactor", 25), D("finalDivFactor", 1e4), B("threePhase", false));
            case "ReduceLROnPlateau":
                return List("minLr") is double[] minLrs
                    ? new ReduceLROnPlateau(optimizer, minLrs, S("mode", "min"), D("factor", 0.1), I("patience", 10),
                        D("threshold", 1e-4), S("thresholdMode", "rel"), I("cooldown", 0), D("eps", 1e-8))
                    : new ReduceLROnPlateau(optimizer, S("mode", "min"), D("factor", 0.1), I("patience", 10),
                        D("threshold", 1e-4), S("thresholdMode", "rel"), I("cooldown", 0), D("minLr", 0), D("eps", 1e-8));
            default: throw new InvalidDataException($"unknown scheduler {kind}");
        }
    }
}
