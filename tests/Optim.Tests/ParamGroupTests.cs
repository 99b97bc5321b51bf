using System.Text.Json;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Optim.Tests;

/// <summary>
/// Parameter groups: trajectories with per-group options against PyTorch 1.13
/// (tools/gen_optim_group_fixtures.py, checked as <see cref="OptimizerFixtureTests"/> checks the
/// single-group ones: Float32 bit for bit, Float64 to 1e-13 relative for the platform's pow), the
/// fallback to the defaults, schedules through <see cref="Optimizer.ParamGroups"/>,
/// <see cref="Optimizer.AddParamGroup"/>, and the checks PyTorch makes (a parameter in two groups).
/// </summary>
[TestFixture]
public sealed class ParamGroupTests
{
    private static readonly string FixturePath =
        Path.Combine(AppContext.BaseDirectory, "Fixtures", "optim", "optimizer_groups.json");

    private static readonly Lazy<Dictionary<string, JsonElement>> Cases = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(FixturePath));
        return doc.RootElement.GetProperty("cases").EnumerateArray()
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => c.Clone(), StringComparer.Ordinal);
    });

    private static IEnumerable<string> CaseNames() => Cases.Value.Keys;

    private static Tensor Param(params double[] values)
    {
        var t = Tensor.FromArray(values, values.Length);
        t.RequiresGrad = true;
        return t;
    }

    [Test]
    public void Fixture_CoversEveryOptimizerAndBothDTypes()
    {
        foreach (var name in new[] { "sgd_momentum_groups", "sgd_nesterov_groups", "adam_groups", "adam_amsgrad_groups", "adamw_groups" })
            foreach (var dtype in new[] { "float32", "float64" })
                Cases.Value.Keys.ShouldContain($"{name}_{dtype}");
    }

    [TestCaseSource(nameof(CaseNames))]
    public void Step_WithGroups_MatchesPyTorchTrajectory(string caseName)
    {
        var c = Cases.Value[caseName];
        var dtype = c.GetProperty("dtype").GetString() == "float32" ? DType.Float32 : DType.Float64;
        var shapes = c.GetProperty("shapes").EnumerateArray().Select(s => s.EnumerateArray().Select(e => e.GetInt32()).ToArray()).ToArray();
        var initial = c.GetProperty("initial").EnumerateArray().ToArray();
        var parameters = shapes.Select((shape, i) => OptimizerFixtureTests.MakeTensor(initial[i], shape, dtype, requiresGrad: true)).ToArray();
        var groups = c.GetProperty("groups").EnumerateArray().Select(g => MakeGroup(g, parameters)).ToArray();
        var optimizer = Create(c.GetProperty("optimizer").GetString()!, c.GetProperty("defaults"), groups);

        var lrs = c.GetProperty("lrs").EnumerateArray().Select(s => s.EnumerateArray().Select(e => e.GetDouble()).ToArray()).ToArray();
        var grads = c.GetProperty("grads").EnumerateArray().ToArray();
        var expected = c.GetProperty("expected").EnumerateArray().ToArray();
        // The first step runs on the options resolved from the group and the defaults, as PyTorch's did.
        optimizer.ParamGroups.Select(g => g.LearningRate).ShouldBe(lrs[0]);
        for (int step = 0; step < grads.Length; step++)
        {
            for (int g = 0; g < groups.Length; g++) optimizer.ParamGroups[g].LearningRate = lrs[step][g];
            var stepGrads = grads[step].EnumerateArray().ToArray();
            for (int i = 0; i < parameters.Length; i++)
                parameters[i].Grad = OptimizerFixtureTests.MakeTensor(stepGrads[i], shapes[i], dtype, requiresGrad: false);
            optimizer.Step();
            var stepExpected = expected[step].EnumerateArray().ToArray();
            for (int i = 0; i < parameters.Length; i++)
                OptimizerFixtureTests.Compare(parameters[i], stepExpected[i], $"{caseName}, step {step + 1}, parameter {i}");
        }
    }

    private static ParamGroup MakeGroup(JsonElement group, Tensor[] parameters)
    {
        var options = group.GetProperty("options");
        double? Get(string name) => options.TryGetProperty(name, out var v) ? v.GetDouble() : null;
        bool? Flag(string name) => options.TryGetProperty(name, out var v) ? v.GetBoolean() : null;
        var ps = group.GetProperty("params").EnumerateArray().Select(i => parameters[i.GetInt32()]);
        return new ParamGroup(ps, lr: Get("lr"), weightDecay: Get("weightDecay"), momentum: Get("momentum"),
            dampening: Get("dampening"), nesterov: Flag("nesterov"), beta1: Get("beta1"), beta2: Get("beta2"),
            eps: Get("eps"), amsgrad: Flag("amsgrad"), maximize: Flag("maximize"));
    }

    private static Optimizer Create(string kind, JsonElement options, ParamGroup[] groups)
    {
        double Get(string name, double fallback) => options.TryGetProperty(name, out var v) ? v.GetDouble() : fallback;
        bool Flag(string name) => options.TryGetProperty(name, out var v) && v.GetBoolean();
        return kind switch
        {
            "SGD" => new SGD(groups, Get("lr", double.NaN), Get("momentum", 0), Get("dampening", 0),
                Get("weightDecay", 0), Flag("nesterov"), Flag("maximize")),
            "Adam" => new Adam(groups, Get("lr", 1e-3), Get("beta1", 0.9), Get("beta2", 0.999), Get("eps", 1e-8),
                Get("weightDecay", 0), Flag("amsgrad"), Flag("maximize")),
            "AdamW" => new AdamW(groups, Get("lr", 1e-3), Get("beta1", 0.9), Get("beta2", 0.999), Get("eps", 1e-8),
                Get("weightDecay", 1e-2), Flag("amsgrad"), Flag("maximize")),
            _ => throw new InvalidDataException($"unknown optimizer {kind}"),
        };
    }

    // ------------------------------------------------------------ options and defaults

    [Test]
    public void Constructor_GroupOptions_FallBackToTheDefaults()
    {
        var (a, b) = (Param(1), Param(2));
        var sgd = new SGD([new ParamGroup([a], lr: 0.5, weightDecay: 0.1), new ParamGroup([b])], lr: 0.1, momentum: 0.9);
        sgd.ParamGroups.Count.ShouldBe(2);
        (sgd.ParamGroups[0].LearningRate, sgd.ParamGroups[0].WeightDecay, sgd.ParamGroups[0].Momentum).ShouldBe((0.5, 0.1, 0.9));
        (sgd.ParamGroups[1].LearningRate, sgd.ParamGroups[1].WeightDecay, sgd.ParamGroups[1].Momentum).ShouldBe((0.1, 0.0, 0.9));
        sgd.Parameters.ShouldBe([a, b]);
        sgd.LearningRate.ShouldBe(0.5);
    }

    [Test]
    public void Step_GroupLearningRates_EachGroupUsesItsOwn()
    {
        var (a, b) = (Param(1), Param(1));
        var sgd = new SGD([new ParamGroup([a], lr: 0.5), new ParamGroup([b])], lr: 0.1);
        a.Grad = Tensor.OnesLike(a);
        b.Grad = Tensor.OnesLike(b);
        sgd.Step();
        a.Item().ShouldBe(0.5);
        b.Item().ShouldBe(0.9);
        sgd.ParamGroups[1].LearningRate = 0;
        sgd.Step();
        a.Item().ShouldBe(0);
        b.Item().ShouldBe(0.9);
    }

    [Test]
    public void LearningRate_Set_SetsEveryGroup()
    {
        var sgd = new SGD([new ParamGroup([Param(1)], lr: 0.5), new ParamGroup([Param(2)])], lr: 0.1);
        sgd.LearningRate = 0.01;
        sgd.ParamGroups.Select(g => g.LearningRate).ShouldBe([0.01, 0.01]);
    }

    [Test]
    public void GroupOption_SetInvalid_ThrowsAndKeepsTheOldValue()
    {
        var adam = new Adam([new ParamGroup([Param(1)], lr: 0.5)]);
        var group = adam.ParamGroups[0];
        Should.Throw<ArgumentOutOfRangeException>(() => group.LearningRate = -1).Message.ShouldContain("learning rate");
        Should.Throw<ArgumentOutOfRangeException>(() => group.Beta2 = 1).Message.ShouldContain("beta2");
        (group.LearningRate, group.Beta2).ShouldBe((0.5, 0.999));
    }

    [Test]
    public void GroupOption_OfAnotherOptimizer_IsRefused()
    {
        var e = Should.Throw<ArgumentException>(() => new SGD([new ParamGroup([Param(1)], beta1: 0.5)], lr: 0.1));
        e.Message.ShouldContain("SGD has no option 'beta1' (paramGroups[0])");
        e.ParamName.ShouldBe("paramGroups");

        var adam = new Adam([new ParamGroup([Param(1)])]);
        Should.Throw<InvalidOperationException>(() => adam.ParamGroups[0].Momentum = 0.9).Message.ShouldContain("Adam has no option 'momentum'");
        Should.Throw<InvalidOperationException>(() => _ = adam.ParamGroups[0].Momentum).Message.ShouldContain("Adam has no option 'momentum'");
    }

    [Test]
    public void GroupOption_UnsetBeforeAnOptimizerHoldsIt_Throws()
        => Should.Throw<InvalidOperationException>(() => _ = new ParamGroup([Param(1)]).LearningRate).Message.ShouldContain("not set");

    [Test]
    public void Constructor_GroupOptionOutOfRange_ThrowsNamingIt()
        => Should.Throw<ArgumentOutOfRangeException>(() => new ParamGroup([Param(1)], eps: double.NaN)).ParamName.ShouldBe("eps");

    [Test]
    public void Constructor_NesterovGroupWithoutMomentum_Throws()
    {
        var e = Should.Throw<ArgumentException>(() => new SGD(
            [new ParamGroup([Param(1)]), new ParamGroup([Param(2)], momentum: 0)], lr: 0.1, momentum: 0.9, nesterov: true));
        e.Message.ShouldContain("Nesterov momentum requires a momentum > 0");
        e.Message.ShouldContain("(paramGroups[1])");
    }

    [Test]
    public void Step_NesterovGroupLaterSetInconsistent_ThrowsBeforeChangingAnything()
    {
        var (a, b) = (Param(1), Param(2));
        var sgd = new SGD([new ParamGroup([a]), new ParamGroup([b])], lr: 0.1, momentum: 0.9, nesterov: true);
        sgd.ParamGroups[1].Dampening = 0.5;
        a.Grad = Tensor.OnesLike(a);
        b.Grad = Tensor.OnesLike(b);
        Should.Throw<InvalidOperationException>(() => sgd.Step()).Message.ShouldContain("(paramGroups[1])");
        a.Item().ShouldBe(1);
        sgd.StateDict().State.ShouldBeEmpty();
    }

    // ------------------------------------------------------------ parameters in groups

    [Test]
    public void Constructor_ParameterInTwoGroups_NamesIt()
    {
        var shared = Param(1, 2);
        shared.Name = "fc.weight";
        var e = Should.Throw<ArgumentException>(() => new Adam([new ParamGroup([Param(1), shared]), new ParamGroup([shared])]));
        e.Message.ShouldContain("paramGroups[1].Parameters[0] ('fc.weight', shape [2]) is the same tensor as paramGroups[0].Parameters[1]");
        e.Message.ShouldContain("one group only");
        e.ParamName.ShouldBe("paramGroups");
    }

    [Test]
    public void Constructor_BadParameterInAGroup_NamesGroupAndPosition()
    {
        var frozen = Tensor.FromArray(new double[] { 1 }, 1);
        var e = Should.Throw<ArgumentException>(() => new SGD([new ParamGroup([Param(1)]), new ParamGroup([Param(2), frozen])], lr: 0.1));
        e.Message.ShouldContain("paramGroups[1].Parameters[1] (shape [1]) does not require grad");
        Should.Throw<ArgumentException>(() => new SGD([new ParamGroup([Param(1)]), null!], lr: 0.1)).Message.ShouldContain("paramGroups[1] is null");
    }

    [Test]
    public void Constructor_NoParameterInAnyGroup_Throws()
        => Should.Throw<ArgumentException>(() => new SGD([new ParamGroup([])], lr: 0.1)).Message.ShouldStartWith("optimizer got an empty parameter list");

    [Test]
    public void Constructor_GroupHeldByAnotherOptimizer_Throws()
    {
        var group = new ParamGroup([Param(1)]);
        _ = new SGD([group], lr: 0.1);
        Should.Throw<ArgumentException>(() => new Adam([group])).Message.ShouldContain("already belongs to a SGD");
    }

    [Test]
    public void AddParamGroup_TakesTheDefaultsAndSteps()
    {
        var (a, b) = (Param(1), Param(1));
        var sgd = new SGD([a], lr: 0.1, momentum: 0.9);
        sgd.AddParamGroup(new ParamGroup([b], lr: 0.01));
        sgd.ParamGroups.Count.ShouldBe(2);
        sgd.ParamGroups[1].Momentum.ShouldBe(0.9);
        sgd.Parameters.ShouldBe([a, b]);
        a.Grad = Tensor.OnesLike(a);
        b.Grad = Tensor.OnesLike(b);
        sgd.Step();
        b.Item().ShouldBe(Math.FusedMultiplyAdd(1, -0.01, 1));
    }

    [Test]
    public void AddParamGroup_ParameterAlreadyHeld_ThrowsAndChangesNothing()
    {
        var (a, b) = (Param(1), Param(2));
        a.Name = "w";
        var sgd = new SGD([a], lr: 0.1);
        var e = Should.Throw<ArgumentException>(() => sgd.AddParamGroup(new ParamGroup([b, a])));
        e.Message.ShouldContain("paramGroup.Parameters[1] ('w', shape [1]) is the same tensor as parameters[0]");
        e.ParamName.ShouldBe("paramGroup");
        Should.Throw<ArgumentException>(() => sgd.AddParamGroup(new ParamGroup([b], beta1: 0.5))).Message.ShouldContain("SGD has no option 'beta1'");
        sgd.ParamGroups.Count.ShouldBe(1);
        sgd.Parameters.Count.ShouldBe(1);
        sgd.AddParamGroup(new ParamGroup([b]));   // b was not taken by the failed calls
        sgd.Parameters.Count.ShouldBe(2);
    }

    [Test]
    public void Step_ErrorInALaterGroup_NamesGroupAndPosition()
    {
        var (a, b) = (Param(1), Param(2));
        var sgd = new SGD([new ParamGroup([a]), new ParamGroup([b])], lr: 0.1);
        b.Dispose();
        Should.Throw<ObjectDisposedException>(() => sgd.Step()).Message.ShouldContain("paramGroups[1].Parameters[0] (shape [1])");
    }
}
