using Autograd.Nn;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Optim.Tests;

/// <summary>
/// The schedulers beyond their learning rates (<see cref="LRSchedulerFixtureTests"/>): the values
/// they keep in the groups and the optimizer's state dict, their own state dicts under PyTorch's
/// keys, a resumed training run (model, optimizer and scheduler) continuing bit for bit, and
/// failed calls changing nothing.
/// </summary>
[TestFixture]
public sealed class LRSchedulerTests
{
    private static SGD Sgd(params double[] lrs) =>
        new(lrs.Select(lr =>
        {
            var p = Tensor.Zeros([2]);
            p.RequiresGrad = true;
            return new ParamGroup([p], lr: lr);
        }), lr: lrs[0], momentum: 0.9);

    private static Tensor Leaf()
    {
        var p = Tensor.Zeros([1]);
        p.RequiresGrad = true;
        return p;
    }

    [Test]
    public void Constructor_SetsInitialLr_AndASecondSchedulerStartsFromIt()
    {
        var sgd = Sgd(0.1, 0.2);
        sgd.ParamGroups[0].InitialLr.ShouldBeNull();
        var warmup = new LinearLR(sgd, startFactor: 0.5);
        sgd.ParamGroups.Select(g => g.LearningRate).ShouldBe([0.05, 0.1]);
        sgd.ParamGroups.Select(g => g.InitialLr).ShouldBe([0.1, 0.2]);
        var decay = new ExponentialLR(sgd, 0.9);   // as PyTorch's setdefault: base_lrs from initial_lr, not the current lr
        decay.BaseLrs.ShouldBe([0.1, 0.2]);
        warmup.BaseLrs.ShouldBe([0.1, 0.2]);
        sgd.StateDict().ParamGroups[0].Options["initial_lr"].ShouldBe(0.1);
    }

    [Test]
    public void StateDict_HasPyTorchsKeys()
    {
        string[] common = ["base_lrs", "last_epoch", "_step_count", "_last_lr"];
        new StepLR(Sgd(0.1), 3).StateDict().Keys.ShouldBe([.. common, "step_size", "gamma"], ignoreOrder: true);
        new MultiStepLR(Sgd(0.1), [3, 5]).StateDict().Keys.ShouldBe([.. common, "milestones", "gamma"], ignoreOrder: true);
        new ExponentialLR(Sgd(0.1), 0.5).StateDict().Keys.ShouldBe([.. common, "gamma"], ignoreOrder: true);
        new CosineAnnealingLR(Sgd(0.1), 5).StateDict().Keys.ShouldBe([.. common, "T_max", "eta_min"], ignoreOrder: true);
        new LinearLR(Sgd(0.1)).StateDict().Keys.ShouldBe([.. common, "start_factor", "end_factor", "total_iters"], ignoreOrder: true);
        new OneCycleLR(Sgd(0.1), 1, totalSteps: 10).StateDict().Keys.ShouldBe(
            [.. common, "total_steps", "pct_start", "three_phase", "anneal_strategy", "cycle_momentum", "use_beta1"], ignoreOrder: true);
        new ReduceLROnPlateau(Sgd(0.1)).StateDict().Keys.ShouldBe(
            ["factor", "min_lrs", "patience", "cooldown", "cooldown_counter", "mode", "threshold", "threshold_mode", "best",
             "num_bad_epochs", "mode_worse", "eps", "last_epoch", "_last_lr"], ignoreOrder: true);

        var step = new StepLR(Sgd(0.1), 3);
        step.Step();
        var sd = step.StateDict();
        (sd["last_epoch"], sd["_step_count"], sd["step_size"]).ShouldBe((1L, 2L, 3L));
        ((double[])sd["base_lrs"]).ShouldBe([0.1]);
    }

    [Test]
    public void OneCycleLR_KeepsItsValuesInTheGroups_WhichTheOptimizersStateDictSaves()
    {
        var adam = new Adam([new ParamGroup([Leaf()])], lr: 1e-3, beta2: 0.99);
        _ = new OneCycleLR(adam, 0.01, totalSteps: 10, baseMomentum: 0.8, maxMomentum: 0.9);
        var options = adam.StateDict().ParamGroups[0].Options;
        options["initial_lr"].ShouldBe(0.01 / 25);
        options["max_lr"].ShouldBe(0.01);
        options["min_lr"].ShouldBe(0.01 / 25 / 1e4);
        (options["max_momentum"], options["base_momentum"], options["beta1"], options["beta2"]).ShouldBe((0.9, 0.8, 0.9, 0.99));
        adam.LearningRate.ShouldBe(0.01 + (0.01 / 25 - 0.01) / 2.0 * (Math.Cos(0) + 1));   // step 0 of the cosine: max + (initial - max) / 2 · 2
    }

    [Test]
    public void OneCycleLR_LinearPastItsLastPhase_SetsANegativeLrAsPyTorch_WhichACheckpointKeeps()
    {
        // PyTorch 1.13: the last allowed step anneals linearly past min_lr (pct > 1), here below 0.
        var sgd = Sgd(0.1);
        var scheduler = new OneCycleLR(sgd, 0.5, totalSteps: 10, annealStrategy: "linear", divFactor: 10, finalDivFactor: 100);
        for (int i = 0; i < 10; i++) scheduler.Step();
        double last = 0.5 / 10 / 100, pct = (10 - 2.0) / (9 - 2.0);
        sgd.LearningRate.ShouldBe((last - 0.5) * pct + 0.5);
        sgd.LearningRate.ShouldBeLessThan(0);

        var resumed = Sgd(0.1);
        _ = new OneCycleLR(resumed, 0.5, totalSteps: 10, annealStrategy: "linear", divFactor: 10, finalDivFactor: 100);
        resumed.LoadStateDict(sgd.StateDict());
        resumed.LearningRate.ShouldBe(sgd.LearningRate);
        var unscheduled = Sgd(0.1);
        Should.Throw<ArgumentException>(() => unscheduled.LoadStateDict(new OptimizerStateDict(
            new Dictionary<int, IReadOnlyDictionary<string, Tensor>>(),
            [new ParamGroupState([0], sgd.StateDict().ParamGroups[0].Options.Where(kv => !ParamGroup.SchedulerKeys.Contains(kv.Key)).ToDictionary())])))
            .Message.ShouldContain("Invalid learning rate");
    }

    [Test]
    public void Constructor_Failing_ChangesNoGroup()
    {
        var adagrad = new Adagrad([Leaf()], lr: 0.5);
        Should.Throw<ArgumentException>(() => new OneCycleLR(adagrad, 1, totalSteps: 10));   // no momentum to cycle
        adagrad.ParamGroups[0].InitialLr.ShouldBeNull();
        adagrad.LearningRate.ShouldBe(0.5);
        adagrad.StateDict().ParamGroups[0].Options.Keys.ShouldNotContain("max_lr");
        Should.Throw<ArgumentOutOfRangeException>(() => new LinearLR(adagrad, startFactor: 0));
        adagrad.ParamGroups[0].InitialLr.ShouldBeNull();
        adagrad.LearningRate.ShouldBe(0.5);
    }

    [Test]
    public void LoadStateDict_Refused_ChangesNothing()
    {
        var scheduler = new StepLR(Sgd(0.1), 3, gamma: 0.5);
        scheduler.Step();
        var state = scheduler.StateDict();
        state["gamma"] = -1.0;
        var target = new StepLR(Sgd(0.1), 5);
        Should.Throw<ArgumentException>(() => target.LoadStateDict(state)).Message.ShouldContain("'gamma'");
        (target.LastEpoch, target.StepSize, target.Gamma).ShouldBe((0, 5, 0.1));
    }

    [Test]
    public void ReduceLROnPlateau_ReducesAfterPatience_ThenCoolsDown()
    {
        var sgd = Sgd(1.0);
        var plateau = new ReduceLROnPlateau(sgd, factor: 0.5, patience: 1, cooldown: 2);
        plateau.GetLastLr().ShouldBe([1.0]);
        foreach (double loss in new[] { 1.0, 1.0 }) plateau.Step(loss);   // best 1, one bad epoch: patience 1 not exceeded
        sgd.LearningRate.ShouldBe(1.0);
        plateau.Step(1.0);                                                   // second bad epoch: reduce
        sgd.LearningRate.ShouldBe(0.5);
        plateau.CooldownCounter.ShouldBe(2);
        foreach (double loss in new[] { 1.0, 1.0, 1.0 }) plateau.Step(loss); // two epochs of cooldown, then one bad
        sgd.LearningRate.ShouldBe(0.5);
        plateau.Step(1.0);
        sgd.LearningRate.ShouldBe(0.25);
        plateau.GetLastLr().ShouldBe([0.25]);
        plateau.LastEpoch.ShouldBe(7);
    }

    private static IEnumerable<TestCaseData> Schedules()
    {
        yield return new TestCaseData((Func<Optimizer, object>)(o => new OneCycleLR(o, [0.05, 0.02], totalSteps: 16))).SetArgDisplayNames("OneCycleLR");
        yield return new TestCaseData((Func<Optimizer, object>)(o => new CosineAnnealingLR(o, tMax: 5, etaMin: 1e-3))).SetArgDisplayNames("CosineAnnealingLR");
        yield return new TestCaseData((Func<Optimizer, object>)(o => new MultiStepLR(o, [3, 9], gamma: 0.3))).SetArgDisplayNames("MultiStepLR");
        yield return new TestCaseData((Func<Optimizer, object>)(o => new ReduceLROnPlateau(o, factor: 0.5, patience: 0, threshold: 0.1))).SetArgDisplayNames("ReduceLROnPlateau");
    }

    /// <summary>
    /// A training run (model, RMSprop with momentum on two groups, a scheduler) checkpointed after
    /// 6 of 12 epochs and resumed in fresh objects, restored in PyTorch's order, ends with the same
    /// bits as the uninterrupted run.
    /// </summary>
    [TestCaseSource(nameof(Schedules))]
    public void Resume_ModelOptimizerAndScheduler_ContinuesBitForBit(Func<Optimizer, object> makeScheduler)
    {
        var x = Tensor.Randn([16, 3], new Generator(3));
        var y = x.MatMul(Tensor.FromArray([1f, -2f, 0.5f], 3, 1)) + 0.3f;
        (Linear Model, RMSprop Optimizer, object Scheduler) Create()
        {
            var model = new Linear(3, 1, generator: new Generator(0));
            var optimizer = new RMSprop([new ParamGroup([model.Weight]), new ParamGroup([model.Bias!], lr: 0.02)], lr: 0.05, momentum: 0.5);
            return (model, optimizer, makeScheduler(optimizer));
        }
        void Train((Linear Model, RMSprop Optimizer, object Scheduler) run, int epochs)
        {
            for (int epoch = 0; epoch < epochs; epoch++)
            {
                run.Optimizer.ZeroGrad();
                var loss = new MSELoss().Forward(run.Model.Forward(x), y);
                loss.Backward();
                run.Optimizer.Step();
                if (run.Scheduler is ReduceLROnPlateau plateau) plateau.Step(loss.Item());
                else ((LRScheduler)run.Scheduler).Step();
            }
        }
        Dictionary<string, object> SchedulerState(object s) => s is ReduceLROnPlateau p ? p.StateDict() : ((LRScheduler)s).StateDict();

        var uninterrupted = Create();
        Train(uninterrupted, 12);

        var first = Create();
        Train(first, 6);
        var checkpoint = (Model: first.Model.StateDict(), Optimizer: first.Optimizer.StateDict(), Scheduler: SchedulerState(first.Scheduler));

        var resumed = Create();
        resumed.Model.LoadStateDict(checkpoint.Model);
        resumed.Optimizer.LoadStateDict(checkpoint.Optimizer);
        if (resumed.Scheduler is ReduceLROnPlateau r) r.LoadStateDict(checkpoint.Scheduler);
        else ((LRScheduler)resumed.Scheduler).LoadStateDict(checkpoint.Scheduler);
        Train(resumed, 6);

        resumed.Model.Weight.ToArray<float>().ShouldBe(uninterrupted.Model.Weight.ToArray<float>());
        resumed.Model.Bias!.ToArray<float>().ShouldBe(uninterrupted.Model.Bias!.ToArray<float>());
        resumed.Optimizer.ParamGroups.Select(g => g.LearningRate).ShouldBe(uninterrupted.Optimizer.ParamGroups.Select(g => g.LearningRate));
        resumed.Optimizer.ParamGroups.Select(g => g.Momentum).ShouldBe(uninterrupted.Optimizer.ParamGroups.Select(g => g.Momentum));
        first.Model.Weight.ToArray<float>().ShouldNotBe(uninterrupted.Model.Weight.ToArray<float>());   // the check would catch a restart
        uninterrupted.Optimizer.ParamGroups.Select(g => g.LearningRate).ShouldNotBe([0.05, 0.02]);      // the schedule did change the rates
    }
}
