using System.Globalization;
using Autograd.Optim;

namespace Autograd.Nn.Tests.Reliability;

// Issue 14: RMSprop, Adagrad and the learning-rate schedulers.
public static partial class NnCatalogue
{
    private static string R(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static SGD Sgd(int groups = 1) =>
        new(Enumerable.Range(0, groups).Select(_ => new ParamGroup([Grad(Half(2))])), lr: 0.1, momentum: 0.9);

    private static IEnumerable<BadCall> Optim14Cases()
    {
        const string k = Kind.Optimizer;
        yield return Arg(Kind.Null, "RMSprop(null)", () => new RMSprop((IEnumerable<Tensor>)null!), "parameters");
        yield return Arg(Kind.Null, "Adagrad(null)", () => new Adagrad((IEnumerable<Tensor>)null!), "parameters");
        yield return Arg(Kind.Empty, "RMSprop of no parameters", () => new RMSprop(Array.Empty<Tensor>()), "parameters", "empty");
        yield return Arg(Kind.Parameters, "Adagrad of an Int64 tensor", () => new Adagrad([Int(3)]), "parameters", "parameters[0]", "Int64");
        foreach (double v in new[] { -0.1, double.NaN, double.PositiveInfinity })
        {
            yield return Arg(k, $"RMSprop lr {v}", () => new RMSprop([Grad(Half(2))], lr: v), "lr", "learning rate", R(v));
            yield return Arg(k, $"RMSprop alpha {v}", () => new RMSprop([Grad(Half(2))], alpha: v), "alpha", R(v));
            yield return Arg(k, $"RMSprop eps {v}", () => new RMSprop([Grad(Half(2))], eps: v), "eps", R(v));
            yield return Arg(k, $"RMSprop weightDecay {v}", () => new RMSprop([Grad(Half(2))], weightDecay: v), "weightDecay", R(v));
            yield return Arg(k, $"RMSprop momentum {v}", () => new RMSprop([Grad(Half(2))], momentum: v), "momentum", R(v));
            yield return Arg(k, $"Adagrad lr {v}", () => new Adagrad([Grad(Half(2))], lr: v), "lr", "learning rate", R(v));
            yield return Arg(k, $"Adagrad lrDecay {v}", () => new Adagrad([Grad(Half(2))], lrDecay: v), "lrDecay", R(v));
            yield return Arg(k, $"Adagrad weightDecay {v}", () => new Adagrad([Grad(Half(2))], weightDecay: v), "weightDecay", R(v));
            yield return Arg(k, $"Adagrad initialAccumulatorValue {v}", () => new Adagrad([Grad(Half(2))], initialAccumulatorValue: v), "initialAccumulatorValue", R(v));
            yield return Arg(k, $"Adagrad eps {v}", () => new Adagrad([Grad(Half(2))], eps: v), "eps", R(v));
            yield return Arg(k, $"ParamGroup alpha {v}", () => new ParamGroup([Grad(Half(2))], alpha: v), "alpha", R(v));
            yield return Arg(k, $"ParamGroup lrDecay {v}", () => new ParamGroup([Grad(Half(2))], lrDecay: v), "lrDecay", R(v));
        }
        yield return Arg(k, "SGD group setting RMSprop's alpha", () => new SGD([new ParamGroup([Grad(Half(2))], alpha: 0.9)], 0.1), "paramGroups", "alpha");
        yield return Arg(k, "RMSprop group setting Adagrad's lrDecay", () => new RMSprop([new ParamGroup([Grad(Half(2))], lrDecay: 0.1)]), "paramGroups", "lrDecay");
        yield return Arg(k, "Adagrad group setting Adam's beta1", () => new Adagrad([new ParamGroup([Grad(Half(2))], beta1: 0.5)]), "paramGroups", "beta1");
        yield return new BadCall(k, "Adam: ParamGroup.Centered = true (an RMSprop option)",
            () => new Adam([Grad(Half(2))]).ParamGroups[0].Centered = true, Family.InvalidOperation, ["Adam", "centered"]);
        yield return Arg(Kind.State, "RMSprop.LoadStateDict of an Adagrad state", () =>
        {
            var p = Grad(Half(2));
            var adagrad = new Adagrad([p]);
            p.Grad = Half(2);
            adagrad.Step();
            new RMSprop([Grad(Half(2))]).LoadStateDict(adagrad.StateDict());
            return null;
        }, "stateDict", "lr_decay");
        yield return Arg(Kind.State, "Adagrad.LoadStateDict with a 'sum' of another shape", () =>
        {
            var saved = new Adagrad([Grad(Half(3))]).StateDict();
            new Adagrad([Grad(Half(2))]).LoadStateDict(saved);
            return null;
        }, "stateDict", "'sum'", "[3]");

        foreach (var c in SchedulerCases()) yield return c;
    }

    private static IEnumerable<BadCall> SchedulerCases()
    {
        const string k = Kind.Setting;
        yield return Arg(Kind.Null, "StepLR(null optimizer)", () => new StepLR(null!, 1), "optimizer");
        yield return Arg(Kind.Null, "OneCycleLR(null optimizer)", () => new OneCycleLR(null!, 0.1, totalSteps: 10), "optimizer");
        yield return Arg(Kind.Null, "ReduceLROnPlateau(null optimizer)", () => new ReduceLROnPlateau(null!), "optimizer");
        yield return Arg(Kind.Null, "MultiStepLR(null milestones)", () => new MultiStepLR(Sgd(), null!), "milestones");
        foreach (int s in new[] { 0, -3 })
            yield return Arg(k, $"StepLR stepSize {s}", () => new StepLR(Sgd(), s), "stepSize", $"{s}");
        foreach (double g in new[] { -0.5, double.NaN, double.PositiveInfinity })
        {
            yield return Arg(k, $"StepLR gamma {g}", () => new StepLR(Sgd(), 2, g), "gamma", R(g));
            yield return Arg(k, $"MultiStepLR gamma {g}", () => new MultiStepLR(Sgd(), [2], g), "gamma", R(g));
            yield return Arg(k, $"ExponentialLR gamma {g}", () => new ExponentialLR(Sgd(), g), "gamma", R(g));
            yield return Arg(k, $"CosineAnnealingLR etaMin {g}", () => new CosineAnnealingLR(Sgd(), 10, g), "etaMin", R(g));
        }
        yield return Arg(k, "MultiStepLR milestones [5, 3]", () => new MultiStepLR(Sgd(), [5, 3]), "milestones", "[5, 3]", "increasing");
        yield return Arg(k, "MultiStepLR milestones [3, 3]", () => new MultiStepLR(Sgd(), [3, 3]), "milestones", "[3, 3]", "increasing");
        yield return Arg(k, "MultiStepLR milestones [-1, 4]", () => new MultiStepLR(Sgd(), [-1, 4]), "milestones", "-1");
        yield return Arg(Kind.Empty, "MultiStepLR milestones []", () => new MultiStepLR(Sgd(), []), "milestones", "empty");
        foreach (int t in new[] { 0, -1 })
            yield return Arg(k, $"CosineAnnealingLR tMax {t}", () => new CosineAnnealingLR(Sgd(), t), "tMax", $"{t}");
        foreach (double f in new[] { 0.0, 1.5, -0.1, double.NaN })
            yield return Arg(k, $"LinearLR startFactor {f}", () => new LinearLR(Sgd(), startFactor: f), "startFactor", R(f), "(0, 1]");
        foreach (double f in new[] { 1.5, -0.1, double.NaN })
            yield return Arg(k, $"LinearLR endFactor {f}", () => new LinearLR(Sgd(), endFactor: f), "endFactor", R(f), "[0, 1]");
        yield return Arg(k, "LinearLR totalIters -1", () => new LinearLR(Sgd(), totalIters: -1), "totalIters", "-1");

        // OneCycleLR
        foreach (int t in new[] { 0, -5 })
            yield return Arg(k, $"OneCycleLR totalSteps {t}", () => new OneCycleLR(Sgd(), 0.1, totalSteps: t), "totalSteps", $"{t}");
        yield return Arg(k, "OneCycleLR without totalSteps or epochs", () => new OneCycleLR(Sgd(), 0.1), "epochs", "totalSteps");
        yield return Arg(k, "OneCycleLR epochs without stepsPerEpoch", () => new OneCycleLR(Sgd(), 0.1, epochs: 3), "stepsPerEpoch", "totalSteps");
        yield return Arg(k, "OneCycleLR epochs 0", () => new OneCycleLR(Sgd(), 0.1, epochs: 0, stepsPerEpoch: 5), "epochs", "0");
        yield return Arg(k, "OneCycleLR stepsPerEpoch -2", () => new OneCycleLR(Sgd(), 0.1, epochs: 3, stepsPerEpoch: -2), "stepsPerEpoch", "-2");
        foreach (double p in new[] { -0.1, 1.5, double.NaN })
            yield return Arg(k, $"OneCycleLR pctStart {p}", () => new OneCycleLR(Sgd(), 0.1, totalSteps: 10, pctStart: p), "pctStart", R(p));
        yield return Arg(k, "OneCycleLR pctStart 0.1 of 10 steps (an empty first phase)", () => new OneCycleLR(Sgd(), 0.1, totalSteps: 10, pctStart: 0.1), "pctStart", "phase 1");
        yield return Arg(k, "OneCycleLR annealStrategy \"cosine\"", () => new OneCycleLR(Sgd(), 0.1, totalSteps: 10, annealStrategy: "cosine"), "annealStrategy", "\"cosine\"");
        yield return Arg(k, "OneCycleLR maxLr -1", () => new OneCycleLR(Sgd(), -1.0, totalSteps: 10), "maxLr", "-1");
        yield return Arg(k, "OneCycleLR 1 maxLr for 2 groups", () => new OneCycleLR(Sgd(2), [0.1], totalSteps: 10), "maxLr", "2", "1");
        yield return Arg(k, "OneCycleLR divFactor 0", () => new OneCycleLR(Sgd(), 0.1, totalSteps: 10, divFactor: 0), "divFactor", "0");
        yield return Arg(k, "OneCycleLR cycleMomentum on Adagrad", () => new OneCycleLR(new Adagrad([Grad(Half(2))]), 0.1, totalSteps: 10), "cycleMomentum", "Adagrad");
        yield return Arg(k, "OneCycleLR maxMomentum 1 on Adam (beta1)", () => new OneCycleLR(new Adam([Grad(Half(2))]), 0.1, totalSteps: 10, maxMomentum: 1), "maxMomentum", "[0, 1)");
        yield return new BadCall(k, "OneCycleLR stepped past totalSteps", () =>
        {
            var s = new OneCycleLR(Sgd(), 0.1, totalSteps: 3);
            for (int i = 0; i < 4; i++) s.Step();
            return null;
        }, Family.InvalidOperation, ["Tried to step 5 times", "total steps is 3"]);
        yield return new BadCall(k, "StepLR stepped after a group was added", () =>
        {
            var opt = Sgd();
            var s = new StepLR(opt, 2);
            opt.AddParamGroup(new ParamGroup([Grad(Half(2))]));
            s.Step();
            return null;
        }, Family.InvalidOperation, ["2 parameter groups", "created for 1"]);

        // ReduceLROnPlateau
        yield return Arg(k, "ReduceLROnPlateau mode \"minimum\"", () => new ReduceLROnPlateau(Sgd(), mode: "minimum"), "mode", "\"minimum\"");
        yield return Arg(k, "ReduceLROnPlateau thresholdMode \"relative\"", () => new ReduceLROnPlateau(Sgd(), thresholdMode: "relative"), "thresholdMode", "\"relative\"");
        foreach (double f in new[] { 1.0, 1.5, -0.1, double.NaN })
            yield return Arg(k, $"ReduceLROnPlateau factor {f}", () => new ReduceLROnPlateau(Sgd(), factor: f), "factor", R(f), "[0, 1)");
        yield return Arg(k, "ReduceLROnPlateau patience -1", () => new ReduceLROnPlateau(Sgd(), patience: -1), "patience", "-1");
        yield return Arg(k, "ReduceLROnPlateau cooldown -2", () => new ReduceLROnPlateau(Sgd(), cooldown: -2), "cooldown", "-2");
        yield return Arg(k, "ReduceLROnPlateau minLr -0.1", () => new ReduceLROnPlateau(Sgd(), minLr: -0.1), "minLr", "-0.1");
        yield return Arg(k, "ReduceLROnPlateau 3 minLrs for 2 groups", () => new ReduceLROnPlateau(Sgd(2), minLr: [0.1, 0.1, 0.1]), "minLr", "2", "3");
        yield return Arg(k, "ReduceLROnPlateau threshold NaN", () => new ReduceLROnPlateau(Sgd(), threshold: double.NaN), "threshold", "NaN");
        yield return Arg(k, "ReduceLROnPlateau eps -1", () => new ReduceLROnPlateau(Sgd(), eps: -1), "eps", "-1");

        // Scheduler state dicts
        yield return Arg(Kind.Null, "StepLR.LoadStateDict(null)", () => { new StepLR(Sgd(), 2).LoadStateDict(null!); return null; }, "stateDict");
        yield return Arg(Kind.State, "StepLR.LoadStateDict without 'last_epoch'", () =>
        {
            var state = new StepLR(Sgd(), 2).StateDict();
            state.Remove("last_epoch");
            new StepLR(Sgd(), 2).LoadStateDict(state);
            return null;
        }, "stateDict", "'last_epoch'");
        yield return Arg(Kind.State, "StepLR.LoadStateDict of an ExponentialLR state", () =>
        {
            new StepLR(Sgd(), 2).LoadStateDict(new ExponentialLR(Sgd(), 0.9).StateDict());
            return null;
        }, "stateDict", "'step_size'");
        yield return Arg(Kind.State, "ExponentialLR.LoadStateDict of a StepLR state", () =>
        {
            new ExponentialLR(Sgd(), 0.9).LoadStateDict(new StepLR(Sgd(), 2).StateDict());
            return null;
        }, "stateDict", "'step_size'", "ExponentialLR");
        yield return Arg(Kind.State, "CosineAnnealingLR.LoadStateDict with base_lrs for 2 groups", () =>
        {
            new CosineAnnealingLR(Sgd(), 5).LoadStateDict(new CosineAnnealingLR(Sgd(2), 5).StateDict());
            return null;
        }, "stateDict", "'base_lrs'", "1 finite numbers");
        yield return Arg(Kind.State, "StepLR.LoadStateDict with a string 'gamma'", () =>
        {
            var state = new StepLR(Sgd(), 2).StateDict();
            state["gamma"] = "0.5";
            new StepLR(Sgd(), 2).LoadStateDict(state);
            return null;
        }, "stateDict", "'gamma'", "\"0.5\"");
        yield return Arg(Kind.State, "ReduceLROnPlateau.LoadStateDict with mode \"avg\"", () =>
        {
            var state = new ReduceLROnPlateau(Sgd()).StateDict();
            state["mode"] = "avg";
            new ReduceLROnPlateau(Sgd()).LoadStateDict(state);
            return null;
        }, "stateDict", "'mode'", "\"avg\"");
    }
}
