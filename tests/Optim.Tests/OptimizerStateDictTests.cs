using Autograd.Nn;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Optim.Tests;

/// <summary>
/// <see cref="Optimizer.StateDict"/> and <see cref="Optimizer.LoadStateDict"/>: a run checkpointed
/// and resumed in a fresh optimizer and a fresh model copy continues bit for bit like the
/// uninterrupted run (exact equality: the same operations on the same bits); what the state dict
/// holds (PyTorch's keys and indices); and a state that does not fit is refused, changing nothing.
/// </summary>
[TestFixture]
public sealed class OptimizerStateDictTests
{
    /// <summary>Two groups: the first layer's weight with its own options, everything else on the defaults.</summary>
    public static IEnumerable<TestCaseData> Optimizers()
    {
        var makers = new (string Name, Func<Module, Optimizer> Make)[]
        {
            ("SGD_momentum", m => new SGD(Groups(m, g => new ParamGroup(g, lr: 0.02, weightDecay: 0.01)), lr: 0.05, momentum: 0.9)),
            ("SGD_nesterov", m => new SGD(Groups(m, g => new ParamGroup(g, momentum: 0.5)), lr: 0.05, momentum: 0.9, nesterov: true)),
            ("Adam", m => new Adam(Groups(m, g => new ParamGroup(g, lr: 0.003, beta1: 0.5)), lr: 0.01, weightDecay: 0.01)),
            ("Adam_amsgrad", m => new Adam(Groups(m, g => new ParamGroup(g, amsgrad: false)), lr: 0.01, amsgrad: true)),
            ("AdamW", m => new AdamW(Groups(m, g => new ParamGroup(g, weightDecay: 0.0)), lr: 0.01, weightDecay: 0.1)),
        };
        foreach (var (name, make) in makers)
            foreach (var dtype in new[] { DType.Float32, DType.Float64 })
                yield return new TestCaseData(make, dtype).SetArgDisplayNames($"{name}_{dtype}");
    }

    private static ParamGroup[] Groups(Module model, Func<IEnumerable<Tensor>, ParamGroup> first)
    {
        var ps = model.Parameters().ToArray();
        return [first([ps[0]]), new ParamGroup(ps.Skip(1))];
    }

    private static Module Model(long seed, DType dtype)
    {
        var g = new Generator(seed);
        return new Sequential(new Linear(4, 8, generator: g, dtype: dtype), new ReLU(), new Linear(8, 2, generator: g, dtype: dtype));
    }

    private static void Train(Module model, Optimizer optimizer, DType dtype, int fromStep, int steps)
    {
        var loss = new MSELoss();
        for (int step = fromStep; step < fromStep + steps; step++)
        {
            var g = new Generator(1000 + step);   // a different batch at every step, the same in every run
            var x = Tensor.Randn([16, 4], g, dtype);
            var y = Tensor.Randn([16, 2], g, dtype);
            optimizer.ZeroGrad();
            loss.Forward(model.Forward(x), y).Backward();
            optimizer.Step();
        }
    }

    private static double[][] Bits(Module model) => model.Parameters().Select(p => p.To(DType.Float64).ToArray<double>()).ToArray();

    [TestCaseSource(nameof(Optimizers))]
    public void LoadStateDict_ResumedRun_ContinuesBitForBitLikeTheUninterruptedOne(Func<Module, Optimizer> make, DType dtype)
    {
        var uninterrupted = Model(7, dtype);
        Train(uninterrupted, make(uninterrupted), dtype, 0, 8);

        var first = Model(7, dtype);
        var firstOptimizer = make(first);
        Train(first, firstOptimizer, dtype, 0, 4);
        var checkpoint = (Model: first.StateDict(), Optimizer: firstOptimizer.StateDict());

        var resumed = Model(99, dtype);   // other initial weights, replaced by the checkpoint's
        resumed.LoadStateDict(checkpoint.Model);
        var resumedOptimizer = make(resumed);
        resumedOptimizer.ParamGroups[0].LearningRate = 123;   // replaced by the checkpoint's options
        resumedOptimizer.LoadStateDict(checkpoint.Optimizer);
        resumedOptimizer.ParamGroups[0].LearningRate.ShouldBe(firstOptimizer.ParamGroups[0].LearningRate);
        Train(resumed, resumedOptimizer, dtype, 4, 4);

        var want = Bits(uninterrupted);
        var got = Bits(resumed);
        for (int i = 0; i < want.Length; i++) got[i].ShouldBe(want[i], $"parameter {i}");
        Bits(first).ShouldNotBe(want);   // the check would catch a resumed run that restarted
    }

    [TestCaseSource(nameof(Optimizers))]
    public void StateDict_IsACopy_LaterStepsDoNotChangeIt(Func<Module, Optimizer> make, DType dtype)
    {
        var model = Model(7, dtype);
        var optimizer = make(model);
        Train(model, optimizer, dtype, 0, 2);
        var saved = optimizer.StateDict();
        var before = saved.State.ToDictionary(kv => kv.Key, kv => kv.Value.ToDictionary(e => e.Key, e => e.Value.To(DType.Float64).ToArray<double>()));
        Train(model, optimizer, dtype, 2, 2);
        foreach (var (index, entry) in saved.State)
            foreach (var (key, t) in entry)
                t.To(DType.Float64).ToArray<double>().ShouldBe(before[index][key]);
    }

    [Test]
    public void StateDict_Adam_HasPyTorchsKeysAndIndices()
    {
        var (a, b, c) = (Param(1, 2), Param(3), Param(4));
        var adam = new Adam([new ParamGroup([a, b], lr: 0.1), new ParamGroup([c], amsgrad: true)], weightDecay: 0.5);
        a.Grad = Tensor.OnesLike(a);
        c.Grad = Tensor.OnesLike(c);   // b has no gradient: no state
        adam.Step();
        adam.Step();
        var sd = adam.StateDict();
        sd.State.Keys.ShouldBe([0, 2]);
        sd.State[0].Keys.Order().ShouldBe(["exp_avg", "exp_avg_sq", "step"]);
        sd.State[2].Keys.Order().ShouldBe(["exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step"]);
        sd.State[0]["step"].Rank.ShouldBe(0);
        sd.State[0]["step"].DType.ShouldBe(DType.Int64);
        sd.State[0]["step"].Item().ShouldBe(2);
        sd.State[0]["exp_avg"].Shape.ShouldBe([2]);
        sd.ParamGroups.Select(g => g.Parameters.ToArray()).ShouldBe([[0, 1], [2]]);
        sd.ParamGroups[0].Options.ShouldBe(new Dictionary<string, double>
        {
            ["lr"] = 0.1, ["eps"] = 1e-8, ["beta1"] = 0.9, ["beta2"] = 0.999, ["weight_decay"] = 0.5, ["amsgrad"] = 0, ["maximize"] = 0,
        }, ignoreOrder: true);
        sd.ParamGroups[1].Options["amsgrad"].ShouldBe(1);
    }

    [Test]
    public void StateDict_SGDWithMomentum_HoldsTheMomentumBuffers()
    {
        var (a, b) = (Param(1, 2), Param(3));
        var sgd = new SGD([a, b], lr: 0.1, momentum: 0.9);
        a.Grad = Tensor.FromArray(new double[] { 1, 2 }, 2);
        sgd.Step();
        var sd = sgd.StateDict();
        sd.State.Keys.ShouldBe([0]);
        sd.State[0]["momentum_buffer"].ToArray<double>().ShouldBe([1, 2]);
        sd.ParamGroups.Single().Options.Keys.Order().ShouldBe(["dampening", "lr", "maximize", "momentum", "nesterov", "weight_decay"]);
    }

    // ------------------------------------------------------------ refused states

    private static Tensor Param(params double[] values)
    {
        var t = Tensor.FromArray(values, values.Length);
        t.RequiresGrad = true;
        return t;
    }

    /// <summary>An Adam on two groups after one step, and its state dict.</summary>
    private static (Adam Adam, Tensor[] Params, OptimizerStateDict Saved) Stepped()
    {
        var ps = new[] { Param(1, 2), Param(3) };
        var adam = new Adam([new ParamGroup([ps[0]], lr: 0.1), new ParamGroup([ps[1]])]);
        foreach (var p in ps) p.Grad = Tensor.OnesLike(p);
        adam.Step();
        return (adam, ps, adam.StateDict());
    }

    private static OptimizerStateDict WithState(OptimizerStateDict sd, int index, string key, Tensor? value)
    {
        var state = sd.State.ToDictionary(kv => kv.Key, kv => kv.Value.ToDictionary(e => e.Key, e => e.Value));
        if (value is null) state[index].Remove(key); else state[index][key] = value;
        return new OptimizerStateDict(state.ToDictionary(kv => kv.Key, kv => (IReadOnlyDictionary<string, Tensor>)kv.Value), sd.ParamGroups);
    }

    private static OptimizerStateDict WithOption(OptimizerStateDict sd, int group, string key, double? value)
    {
        var options = sd.ParamGroups[group].Options.ToDictionary();
        if (value is double v) options[key] = v; else options.Remove(key);
        var groups = sd.ParamGroups.ToArray();
        groups[group] = new ParamGroupState(groups[group].Parameters, options);
        return new OptimizerStateDict(sd.State, groups);
    }

    public static IEnumerable<TestCaseData> Misfits()
    {
        TestCaseData Case(string name, string message, Func<OptimizerStateDict, OptimizerStateDict> change)
            => new TestCaseData(change, message).SetArgDisplayNames(name);

        yield return Case("one_group", "has 1 parameter group(s); this Adam has 2", sd => new OptimizerStateDict(sd.State, [sd.ParamGroups[0]]));
        yield return Case("extra_parameter", "Group 1 of the state dict has 2 parameter(s); this Adam's group 1 has 1",
            sd => new OptimizerStateDict(sd.State, [sd.ParamGroups[0], new ParamGroupState([1, 2], sd.ParamGroups[1].Options)]));
        yield return Case("index_twice", "lists parameter index 0 twice",
            sd => new OptimizerStateDict(sd.State, [sd.ParamGroups[0], new ParamGroupState([0], sd.ParamGroups[1].Options)]));
        yield return Case("state_of_unlisted_index", "state for parameter index 5, which none of its groups lists",
            sd => new OptimizerStateDict(sd.State.Append(new(5, sd.State[0])).ToDictionary(), sd.ParamGroups));
        yield return Case("shape", "State 'exp_avg' of parameter index 0, for paramGroups[0].Parameters[0] (shape [2]), has shape [3]",
            sd => WithState(sd, 0, "exp_avg", Tensor.Zeros([3], DType.Float64)));
        yield return Case("dtype", "has shape [2] and dtype Float32",
            sd => WithState(sd, 0, "exp_avg_sq", Tensor.Zeros([2], DType.Float32)));
        yield return Case("missing_entry", "has no 'exp_avg_sq'", sd => WithState(sd, 1, "exp_avg_sq", null));
        yield return Case("unknown_entry", "has 'momentum_buffer', which Adam and AdamW do not keep",
            sd => WithState(sd, 1, "momentum_buffer", Tensor.Zeros([1], DType.Float64)));
        yield return Case("step_dtype", "must be a 0-d Int64 tensor", sd => WithState(sd, 0, "step", Tensor.Scalar(1.0)));
        yield return Case("amsgrad_without_max", "has no 'max_exp_avg_sq' (its group uses AMSGrad)", sd => WithOption(sd, 1, "amsgrad", 1));
        yield return Case("missing_option", "Group 0 of the state dict has no option 'eps'", sd => WithOption(sd, 0, "eps", null));
        yield return Case("unknown_option", "has the option 'momentum', which Adam does not have", sd => WithOption(sd, 0, "momentum", 0.9));
        yield return Case("bad_option", "Invalid learning rate (group 1 of the state dict)", sd => WithOption(sd, 1, "lr", double.NaN));
    }

    [TestCaseSource(nameof(Misfits))]
    public void LoadStateDict_StateThatDoesNotFit_IsRefusedAndChangesNothing(Func<OptimizerStateDict, OptimizerStateDict> change, string message)
    {
        var (adam, ps, saved) = Stepped();
        var other = Stepped();
        other.Adam.Step();   // a state worth loading: step 2, other moments
        var bad = change(other.Adam.StateDict());

        var e = Should.Throw<ArgumentException>(() => adam.LoadStateDict(bad));
        e.Message.ShouldContain(message);
        e.ParamName.ShouldBe("stateDict");

        // Unchanged: the same state and options, and the next step is the one it would have taken.
        var now = adam.StateDict();
        now.State.Keys.ShouldBe(saved.State.Keys);
        foreach (var (index, entry) in saved.State)
            foreach (var (key, t) in entry)
                now.State[index][key].To(DType.Float64).ToArray<double>().ShouldBe(t.To(DType.Float64).ToArray<double>());
        for (int g = 0; g < 2; g++) now.ParamGroups[g].Options.ShouldBe(saved.ParamGroups[g].Options, ignoreOrder: true);
        adam.Step();
        var twin = Stepped();
        twin.Adam.Step();
        ps[0].ToArray<double>().ShouldBe(twin.Params[0].ToArray<double>());
    }

    [Test]
    public void LoadStateDict_FromAnSGD_IntoAnAdam_IsRefused()
    {
        var p = Param(1);
        var sgd = new SGD([p], lr: 0.1, momentum: 0.9);
        p.Grad = Tensor.OnesLike(p);
        sgd.Step();
        var adam = new Adam([Param(1)]);
        Should.Throw<ArgumentException>(() => adam.LoadStateDict(sgd.StateDict())).Message.ShouldContain("which Adam does not have");
        Should.Throw<ArgumentNullException>(() => adam.LoadStateDict(null!));
    }

    [Test]
    public void LoadStateDict_NoState_ClearsTheState()
    {
        var p = Param(1);
        var sgd = new SGD([p], lr: 0.1, momentum: 0.9);
        var fresh = sgd.StateDict();
        p.Grad = Tensor.OnesLike(p);
        sgd.Step();
        sgd.LoadStateDict(fresh);
        sgd.StateDict().State.ShouldBeEmpty();
        sgd.Step();   // a first step again: the buffer starts as the gradient
        p.Item().ShouldBe(Math.FusedMultiplyAdd(1, -0.1, Math.FusedMultiplyAdd(1, -0.1, 1)));
    }
}
