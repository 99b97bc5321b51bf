using NUnit.Framework;
using Shouldly;

namespace Autograd.Optim.Tests;

/// <summary>
/// RMSprop and Adagrad beyond their trajectories (<see cref="RMSpropAdagradFixtureTests"/>): the
/// state under PyTorch's names, Adagrad's state from the constructor, the group options, and
/// loaded states that do not fit.
/// </summary>
[TestFixture]
public sealed class RMSpropAdagradTests
{
    private static Tensor Param(params float[] values)
    {
        var t = Tensor.FromArray(values, values.Length);
        t.RequiresGrad = true;
        return t;
    }

    [Test]
    public void StateDict_RMSprop_HasPyTorchsKeys()
    {
        var (a, b, c) = (Param(1, 2), Param(3), Param(4));
        var rmsprop = new RMSprop([new ParamGroup([a], momentum: 0.9, centered: true), new ParamGroup([b, c])], lr: 0.01);
        a.Grad = Tensor.OnesLike(a);
        b.Grad = Tensor.OnesLike(b);   // c has no gradient: no state
        rmsprop.Step();
        rmsprop.Step();
        var sd = rmsprop.StateDict();
        sd.State.Keys.ShouldBe([0, 1]);
        sd.State[0].Keys.Order().ShouldBe(["grad_avg", "momentum_buffer", "square_avg", "step"]);
        sd.State[1].Keys.Order().ShouldBe(["square_avg", "step"]);
        sd.State[0]["step"].Item().ShouldBe(2);
        rmsprop.StepCount(0).ShouldBe(2);
        rmsprop.StepCount(2).ShouldBe(0);
        sd.ParamGroups[1].Options.ShouldBe(new Dictionary<string, double>
        {
            ["lr"] = 0.01, ["eps"] = 1e-8, ["momentum"] = 0, ["weight_decay"] = 0, ["alpha"] = 0.99, ["centered"] = 0, ["maximize"] = 0,
        }, ignoreOrder: true);
    }

    [Test]
    public void Step_RMSpropFirstStep_IsTheFormula()
    {
        // v = (1 - α) g², θ ← θ - γ g / (√v + ε): with α = 0.99 the first step is about 10 γ.
        var p = Tensor.FromArray([1.0, -2.0], 2);
        p.RequiresGrad = true;
        p.Grad = Tensor.FromArray([0.5, 3.0], 2);
        new RMSprop([p], lr: 0.01, eps: 0).Step();
        p.ToArray<double>().ShouldBe([1 - 0.01 * 0.5 / Math.Sqrt(0.01 * 0.25), -2 - 0.01 * 3 / Math.Sqrt(0.01 * 9)], tolerance: 1e-15);
    }

    [Test]
    public void Step_RMSpropMomentumTurnedOnLater_StartsTheBufferAtZero()
    {
        var p = Param(1);
        var rmsprop = new RMSprop([p], lr: 0.01);
        p.Grad = Tensor.OnesLike(p);
        rmsprop.Step();
        rmsprop.StateDict().State[0].Keys.ShouldNotContain("momentum_buffer");
        rmsprop.ParamGroups[0].Momentum = 0.9;   // PyTorch 1.13 would fail here with a KeyError
        rmsprop.ParamGroups[0].Centered = true;
        rmsprop.Step();
        rmsprop.StateDict().State[0].Keys.Order().ShouldBe(["grad_avg", "momentum_buffer", "square_avg", "step"]);
    }

    [Test]
    public void Constructor_Adagrad_CreatesEveryParametersStateAsPyTorchDoes()
    {
        var (a, b) = (Param(1, 2), Param(3));
        var adagrad = new Adagrad([new ParamGroup([a], initialAccumulatorValue: 0.25), new ParamGroup([b])], initialAccumulatorValue: 0.5);
        var sd = adagrad.StateDict();
        sd.State.Keys.ShouldBe([0, 1]);
        sd.State[0].Keys.Order().ShouldBe(["step", "sum"]);
        sd.State[0]["step"].Item().ShouldBe(0);
        sd.State[0]["sum"].ToArray<float>().ShouldBe([0.25f, 0.25f]);   // each group's own s₀
        sd.State[1]["sum"].ToArray<float>().ShouldBe([0.5f]);
        adagrad.StepCount(0).ShouldBe(0);
    }

    [Test]
    public void Step_AdagradLrDecay_IsTheFormula()
    {
        var p = Tensor.FromArray([1.0], 1);
        p.RequiresGrad = true;
        var adagrad = new Adagrad([p], lr: 0.1, lrDecay: 0.5, eps: 0);
        double theta = 1, sum = 0;
        for (int t = 1; t <= 3; t++)
        {
            p.Grad = Tensor.FromArray([2.0 * t], 1);
            adagrad.Step();
            sum += 4.0 * t * t;
            theta += -(0.1 / (1 + (t - 1) * 0.5)) * (2.0 * t) / Math.Sqrt(sum);
            p.Item().ShouldBe(theta, 1e-15);
        }
        adagrad.StepCount(0).ShouldBe(3);
    }

    [Test]
    public void AddParamGroup_Adagrad_GetsItsStateAtItsFirstStep()
    {
        var (a, b) = (Param(1), Param(2));
        var adagrad = new Adagrad([a], lr: 0.1);
        adagrad.AddParamGroup(new ParamGroup([b], initialAccumulatorValue: 1));
        adagrad.StateDict().State.Keys.ShouldBe([0]);
        b.Grad = Tensor.OnesLike(b);
        adagrad.Step();
        var sd = adagrad.StateDict();
        sd.State[1]["sum"].Item().ShouldBe(2);   // 1 + 1²
        sd.State[1]["step"].Item().ShouldBe(1);
        sd.State[0]["step"].Item().ShouldBe(0);  // a had no gradient
    }

    [Test]
    public void LoadStateDict_BadStepOrKey_IsRefusedAndChangesNothing()
    {
        var p = Param(1);
        var rmsprop = new RMSprop([p]);
        var saved = rmsprop.StateDict();
        var bad = new OptimizerStateDict(
            new Dictionary<int, IReadOnlyDictionary<string, Tensor>> { [0] = new Dictionary<string, Tensor> { ["step"] = Tensor.Scalar(0L), ["square_avg"] = Tensor.Zeros([1]) } },
            saved.ParamGroups);
        Should.Throw<ArgumentException>(() => rmsprop.LoadStateDict(bad)).Message.ShouldContain("'step' 0");
        var extra = new OptimizerStateDict(
            new Dictionary<int, IReadOnlyDictionary<string, Tensor>> { [0] = new Dictionary<string, Tensor> { ["step"] = Tensor.Scalar(1L), ["square_avg"] = Tensor.Zeros([1]), ["exp_avg"] = Tensor.Zeros([1]) } },
            saved.ParamGroups);
        Should.Throw<ArgumentException>(() => rmsprop.LoadStateDict(extra)).Message.ShouldContain("'exp_avg', which RMSprop does not keep");
        rmsprop.StateDict().State.ShouldBeEmpty();

        var adagrad = new Adagrad([Param(1)]);
        var negative = new OptimizerStateDict(
            new Dictionary<int, IReadOnlyDictionary<string, Tensor>> { [0] = new Dictionary<string, Tensor> { ["step"] = Tensor.Scalar(-1L), ["sum"] = Tensor.Zeros([1]) } },
            adagrad.StateDict().ParamGroups);
        Should.Throw<ArgumentException>(() => adagrad.LoadStateDict(negative)).Message.ShouldContain("'step' -1");
    }

    [Test]
    public void GroupOptions_RMSpropAndAdagrad_FallBackToTheDefaults()
    {
        var rmsprop = new RMSprop([new ParamGroup([Param(1)], alpha: 0.9), new ParamGroup([Param(2)])], alpha: 0.5, centered: true);
        (rmsprop.ParamGroups[0].Alpha, rmsprop.ParamGroups[1].Alpha, rmsprop.ParamGroups[1].Centered).ShouldBe((0.9, 0.5, true));
        (rmsprop.Alpha, rmsprop.Centered, rmsprop.Eps, rmsprop.LearningRate).ShouldBe((0.5, true, 1e-8, 0.01));
        var adagrad = new Adagrad([new ParamGroup([Param(1)], lrDecay: 0.1), new ParamGroup([Param(2)])]);
        (adagrad.ParamGroups[0].LrDecay, adagrad.ParamGroups[1].LrDecay, adagrad.Eps, adagrad.LearningRate).ShouldBe((0.1, 0.0, 1e-10, 0.01));
        Should.Throw<InvalidOperationException>(() => adagrad.ParamGroups[0].Alpha = 0.9).Message.ShouldContain("Adagrad has no option 'alpha'");
    }
}
