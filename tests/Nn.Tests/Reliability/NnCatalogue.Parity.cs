using Autograd.Optim;

namespace Autograd.Nn.Tests.Reliability;

public static partial class NnCatalogue
{
    /// <summary>A module exposing the protected buffer methods.</summary>
    internal sealed class BufferProbe : Module
    {
        public Tensor? Buffer(string name, Tensor? tensor, bool persistent = true) => RegisterBuffer(name, tensor, persistent);

        public Tensor Parameter(string name, Tensor parameter) => RegisterParameter(name, parameter);

        public override Tensor Forward(Tensor input) => input;
    }

    /// <summary>
    /// Runs <paramref name="call"/> and rethrows what it threw, after checking that the module's
    /// state dict (every value, and its keys) did not change; a changed module throws an
    /// <see cref="Exception"/> of no documented family instead, which fails the case.
    /// </summary>
    private static object? ModuleUntouched(Module module, Func<Module, object?> call)
    {
        var before = module.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray<double>());
        try
        {
            return call(module);
        }
        finally
        {
            var after = module.StateDict();
            if (after.Count != before.Count || after.Any(kv => !before.TryGetValue(kv.Key, out var v) || !v.SequenceEqual(kv.Value.ToArray<double>())))
                throw new Exception("The failed call changed the module's state.");
        }
    }

    /// <summary>As <see cref="ModuleUntouched"/> for an optimizer: its options and state tensors.</summary>
    private static object? OptimizerUntouched(Optimizer optimizer, Func<Optimizer, object?> call)
    {
        static string Snapshot(Optimizer o)
        {
            var sd = o.StateDict();
            var groups = sd.ParamGroups.Select(g => string.Join(",", g.Parameters) + ":" + string.Join(",", g.Options.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value:R}")));
            var state = sd.State.OrderBy(kv => kv.Key).SelectMany(kv => kv.Value.OrderBy(e => e.Key, StringComparer.Ordinal)
                .Select(e => $"{kv.Key}.{e.Key}=" + string.Join(",", e.Value.ToArray<double>().Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))));
            return string.Join(";", groups) + "|" + string.Join(";", state);
        }
        string before = Snapshot(optimizer);
        try
        {
            return call(optimizer);
        }
        finally
        {
            if (Snapshot(optimizer) != before) throw new Exception("The failed call changed the optimizer.");
        }
    }

    /// <summary>An SGD with momentum that has taken one step, so it has a momentum buffer.</summary>
    private static SGD SteppedSgd(params int[] shape)
    {
        var p = Grad(Half(shape));
        var sgd = new SGD([p], 0.1, momentum: 0.9);
        p.Grad = Half(shape);
        sgd.Step();
        return sgd;
    }

    private static Adam SteppedAdam(params int[] shape)
    {
        var p = Grad(Half(shape));
        var adam = new Adam([p]);
        p.Grad = Half(shape);
        adam.Step();
        return adam;
    }

    /// <summary>A state dict of <paramref name="sd"/> with group 0's options changed by <paramref name="edit"/>.</summary>
    private static OptimizerStateDict WithOptions(OptimizerStateDict sd, Action<Dictionary<string, double>> edit)
    {
        var options = new Dictionary<string, double>(sd.ParamGroups[0].Options);
        edit(options);
        return new OptimizerStateDict(sd.State, [new ParamGroupState(sd.ParamGroups[0].Parameters, options), .. sd.ParamGroups.Skip(1)]);
    }

    /// <summary>A state dict of <paramref name="sd"/> with parameter 0's state changed by <paramref name="edit"/>.</summary>
    private static OptimizerStateDict WithState(OptimizerStateDict sd, Action<Dictionary<string, Tensor>> edit)
    {
        var entry = new Dictionary<string, Tensor>(sd.State[0]);
        edit(entry);
        var state = new Dictionary<int, IReadOnlyDictionary<string, Tensor>>(sd.State) { [0] = entry };
        return new OptimizerStateDict(state, sd.ParamGroups);
    }

    /// <summary>Issue 13's module, data and optimizer API: buffers, datasets and loaders, parameter groups, optimizer state dicts.</summary>
    private static IEnumerable<BadCall> ParityCases()
    {
        // ---- buffers ----
        const string p = Kind.Parameters, st = Kind.Setting, n = Kind.Null, s = Kind.State;
        yield return Arg(p, "RegisterBuffer of a tensor that requires grad", () => new BufferProbe().Buffer("b", Grad(Half(2))), "tensor", "'b'", "must not require grad");
        yield return Arg(st, "RegisterBuffer named \"a.b\"", () => new BufferProbe().Buffer("a.b", Half(2)), "name", "a.b");
        yield return Arg(st, "RegisterBuffer named \"\"", () => new BufferProbe().Buffer("", Half(2)), "name", "empty");
        yield return Arg(n, "RegisterBuffer(null name)", () => new BufferProbe().Buffer(null!, Half(2)), "name");
        yield return Arg(st, "RegisterBuffer of a parameter's name", () => { var m = new BufferProbe(); m.Parameter("w", Half(2)); return m.Buffer("w", Half(2)); }, "name", "named \"w\"");
        yield return Arg(st, "RegisterParameter of a buffer's name", () => { var m = new BufferProbe(); m.Buffer("b", Half(2)); return m.Parameter("b", Half(2)); }, "name", "named \"b\"");
        yield return Arg(st, "RegisterBuffer of a name taken by a null buffer", () => { var m = new BufferProbe(); m.Buffer("b", null); return m.Buffer("b", Half(2)); }, "name", "named \"b\"");

        yield return Arg(s, "BatchNorm1d(2).LoadStateDict running_mean [3]", () => ModuleUntouched(new BatchNorm1d(2), m =>
        {
            var d = m.StateDict();
            d["running_mean"] = Half(3);
            return m.LoadStateDict(d);
        }), "state", "size mismatch for running_mean", "[3]", "[2]");
        yield return Arg(s, "BatchNorm1d(2).LoadStateDict without running_var", () => ModuleUntouched(new BatchNorm1d(2), m =>
        {
            var d = m.StateDict();
            d.Remove("running_var");
            return m.LoadStateDict(d);
        }), "state", "Missing key", "\"running_var\"");
        yield return Arg(s, "BatchNorm1d(2).LoadStateDict Float32 num_batches_tracked", () => ModuleUntouched(new BatchNorm1d(2), m =>
        {
            var d = m.StateDict();
            d["num_batches_tracked"] = Tensor.Scalar(3f);
            d["running_mean"] = Full(DType.Float32, 7, 2); // would be loaded if the check came late
            return m.LoadStateDict(d);
        }), "state", "num_batches_tracked", "Int64");
        yield return Arg(s, "BatchNorm1d(2).LoadStateDict Int64 running_mean", () => ModuleUntouched(new BatchNorm1d(2), m =>
        {
            var d = m.StateDict();
            d["running_mean"] = Int(2);
            return m.LoadStateDict(d);
        }), "state", "dtype mismatch for running_mean", "Int64");
        yield return Arg(s, "LoadStateDict with a non-persistent buffer's key", () => ModuleUntouched(NonPersistent(), m =>
        {
            var d = m.StateDict();
            d["scratch"] = Half(2);
            return m.LoadStateDict(d);
        }), "state", "Unexpected key", "\"scratch\"");

        // ---- data: datasets and loaders ----
        const string e = Kind.Empty, sh = Kind.Shapes;
        var ds = new TensorDataset(Half(4, 2), Int(4));
        yield return Arg(n, "Subset(null, indices)", () => new Subset<Tensor[]>(null!, [0]), "dataset");
        yield return Arg(n, "Subset(ds, null)", () => new Subset<Tensor[]>(ds, null!), "indices");
        yield return Arg(st, "Subset of 4 samples with index 4", () => new Subset<Tensor[]>(ds, [0, 4]), "indices", "indices[1] = 4", "4 samples");
        yield return Arg(st, "Subset of 4 samples with index -1", () => new Subset<Tensor[]>(ds, [-1]), "indices", "indices[0] = -1");
        yield return Arg(st, "Subset[2] of 2 samples", () => new Subset<Tensor[]>(ds, [0, 1])[2], "index", "index 2", "2 samples");
        yield return Arg(n, "RandomSplit(null, lengths)", () => Subset.RandomSplit<Tensor[]>(null!, [1, 3]), "dataset");
        yield return Arg(n, "RandomSplit(ds, (int[])null)", () => Subset.RandomSplit(ds, (int[])null!), "lengths");
        yield return Arg(st, "RandomSplit lengths [3, 2] of 4 samples", () => Subset.RandomSplit(ds, [3, 2]), "lengths", "[3, 2]", "4");
        yield return Arg(st, "RandomSplit lengths [5, -1]", () => Subset.RandomSplit(ds, [5, -1]), "lengths", "lengths[1] = -1");
        yield return Arg(st, "RandomSplit fractions [0.5, 0.6]", () => Subset.RandomSplit(ds, [0.5, 0.6]), "fractions", "sum to 1.1");
        yield return Arg(st, "RandomSplit fractions [1.5, -0.5]", () => Subset.RandomSplit(ds, [1.5, -0.5]), "fractions", "fractions[0] = 1.5");
        yield return Arg(st, "RandomSplit fractions [NaN, 1]", () => Subset.RandomSplit(ds, [double.NaN, 1.0]), "fractions", "NaN");
        yield return Arg(e, "RandomSplit fractions []", () => Subset.RandomSplit(ds, Array.Empty<double>()), "fractions", "at least one");
        yield return Arg(e, "ConcatDataset()", () => new ConcatDataset<Tensor[]>(), "datasets", "at least one");
        yield return Arg(n, "ConcatDataset(ds, null)", () => new ConcatDataset<Tensor[]>(ds, null!), "datasets", "dataset 1");
        yield return Arg(n, "ConcatDataset((IDataset[])null)", () => new ConcatDataset<Tensor[]>((IDataset<Tensor[]>[])null!), "datasets");
        yield return Arg(st, "ConcatDataset[8] of 8 samples", () => new ConcatDataset<Tensor[]>(ds, ds)[8], "index", "index 8", "8 samples");
        yield return Arg(st, "ConcatDataset[-1]", () => new ConcatDataset<Tensor[]>(ds, ds)[-1], "index", "index -1");
        yield return Arg(n, "DataLoader<T, TBatch> with a null collate", () => new DataLoader<Tensor[], int>(ds, 2, null!), "collate");
        yield return Arg(n, "DataLoader<T, TBatch>(null dataset)", () => new DataLoader<Tensor[], int>(null!, 2, b => b.Count), "dataset");
        yield return Arg(st, "DataLoader<T, TBatch> batchSize 0", () => new DataLoader<Tensor[], int>(ds, 0, b => b.Count), "batchSize", "got 0");
        yield return Op(st, "DataLoader whose collate returns null", () => new DataLoader<Tensor[], Tensor[]>(ds, 2, _ => null!).First(), "collate", "null", "batch 0");
        yield return Arg(e, "DefaultCollate of no samples", () => DataLoader.DefaultCollate(Array.Empty<Tensor[]>()), "samples", "at least one");
        yield return Arg(n, "DefaultCollate(null)", () => DataLoader.DefaultCollate((IReadOnlyList<Tensor[]>)null!), "samples");
        yield return Arg(n, "DefaultCollate with a null sample", () => DataLoader.DefaultCollate([[Half(2)], null!]), "samples", "sample 1 is null");
        yield return Arg(sh, "DefaultCollate of [2] and [3] samples", () => DataLoader.DefaultCollate([[Half(2)], [Half(3)]]), "samples", "[2]", "[3]");
        yield return Arg(sh, "DefaultCollate of samples holding 2 and 1 tensors", () => DataLoader.DefaultCollate([[Half(2), Half(2)], [Half(2)]]), "samples", "holds 2", "holds 1");

        // ---- parameter groups ----
        const string o = Kind.Optimizer;
        yield return Arg(n, "ParamGroup(null)", () => new ParamGroup(null!), "parameters");
        yield return Arg(n, "SGD(null groups)", () => new SGD((IEnumerable<ParamGroup>)null!, 0.1), "paramGroups");
        yield return Arg(n, "SGD([group, null])", () => new SGD([new ParamGroup([Grad(Half(2))]), null!], 0.1), "paramGroups", "paramGroups[1] is null");
        yield return Arg(e, "SGD of no groups", () => new SGD(Array.Empty<ParamGroup>(), 0.1), "paramGroups", "empty");
        foreach (double v in new[] { -1.0, double.NaN, double.PositiveInfinity })
        {
            string r = v.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
            yield return Arg(o, $"ParamGroup lr {r}", () => new ParamGroup([Grad(Half(2))], lr: v), "lr", r);
            yield return Arg(o, $"ParamGroup weightDecay {r}", () => new ParamGroup([Grad(Half(2))], weightDecay: v), "weightDecay", r);
            yield return Arg(o, $"ParamGroup momentum {r}", () => new ParamGroup([Grad(Half(2))], momentum: v), "momentum", r);
            yield return Arg(o, $"ParamGroup eps {r}", () => new ParamGroup([Grad(Half(2))], eps: v), "eps", r);
            yield return Arg(o, $"ParamGroups[0].LearningRate = {r}", () => OptimizerUntouched(new SGD([Grad(Half(2))], 0.1), opt => opt.ParamGroups[0].LearningRate = v), "value", "learning rate", r);
        }
        yield return Arg(o, "ParamGroup beta1 1", () => new ParamGroup([Grad(Half(2))], beta1: 1), "beta1", "[0, 1)");
        yield return Arg(o, "ParamGroup beta2 -0.1", () => new ParamGroup([Grad(Half(2))], beta2: -0.1), "beta2", "-0.1");
        yield return Arg(o, "ParamGroups[0].Beta1 = 1 on Adam", () => OptimizerUntouched(new Adam([Grad(Half(2))]), opt => opt.ParamGroups[0].Beta1 = 1), "beta1", "1");
        yield return Arg(o, "SGD group with nesterov and momentum 0", () => new SGD([new ParamGroup([Grad(Half(2))], nesterov: true)], 0.1), "paramGroups", "Nesterov", "momentum 0", "paramGroups[0]");
        yield return Arg(o, "Adam group setting SGD's momentum", () => new Adam([new ParamGroup([Grad(Half(2))], momentum: 0.9)]), "paramGroups", "momentum");
        yield return Arg(o, "SGD groups sharing a parameter", () => { var q = Grad(Half(2)); return new SGD([new ParamGroup([q]), new ParamGroup([q])], 0.1); }, "paramGroups", "paramGroups[1].Parameters[0]", "paramGroups[0].Parameters[0]");
        yield return Arg(o, "SGD of the same group twice", () => { var g = new ParamGroup([Grad(Half(2))]); return new SGD([g, g], 0.1); }, "paramGroups", "paramGroups[1] is listed twice");
        yield return Arg(o, "SGD group of an Int64 tensor", () => new SGD([new ParamGroup([Int(2)])], 0.1), "paramGroups", "Int64");
        yield return Arg(o, "SGD group of a non-leaf", () => new SGD([new ParamGroup([Grad(Half(2)) * 2])], 0.1), "paramGroups", "leaf");
        yield return Arg(o, "A group given to a second optimizer", () => { var g = new ParamGroup([Grad(Half(2))]); _ = new SGD([g], 0.1); return new Adam([g]); }, "paramGroups", "already belongs to a SGD");
        yield return Arg(n, "AddParamGroup(null)", () => OptimizerUntouched(new SGD([Grad(Half(2))], 0.1), opt => { opt.AddParamGroup(null!); return null; }), "paramGroup");
        yield return Arg(o, "AddParamGroup of a parameter already held", () =>
        {
            var q = Grad(Half(2));
            return OptimizerUntouched(new SGD([q], 0.1), opt => { opt.AddParamGroup(new ParamGroup([Grad(Half(3)), q])); return opt.ParamGroups.Count; });
        }, "paramGroup", "Parameters[1]");
        yield return Arg(o, "AddParamGroup with an option the optimizer lacks", () =>
            OptimizerUntouched(new SGD([Grad(Half(2))], 0.1), opt => { opt.AddParamGroup(new ParamGroup([Grad(Half(2))], beta1: 0.5)); return opt.ParamGroups.Count; }), "paramGroup", "beta1");

        // ---- optimizer state dicts: all or nothing ----
        yield return Arg(n, "SGD.LoadStateDict(null)", () => OptimizerUntouched(SteppedSgd(2), opt => { opt.LoadStateDict(null!); return null; }), "stateDict");
        yield return Arg(s, "SGD.LoadStateDict of 2 groups into 1", () => OptimizerUntouched(SteppedSgd(2), opt =>
        {
            var q = Grad(Half(2));
            var two = new SGD([new ParamGroup([Grad(Half(2))]), new ParamGroup([q])], 0.1, momentum: 0.9);
            opt.LoadStateDict(two.StateDict());
            return null;
        }), "stateDict", "2 parameter group(s)", "has 1");
        yield return Arg(s, "SGD.LoadStateDict of a group of 2 parameters into 1", () => OptimizerUntouched(SteppedSgd(2), opt =>
        {
            opt.LoadStateDict(new SGD([Grad(Half(2)), Grad(Half(2))], 0.1, momentum: 0.9).StateDict());
            return null;
        }), "stateDict", "2 parameter(s)", "has 1");
        yield return Arg(s, "SGD.LoadStateDict without 'momentum'", () => OptimizerUntouched(SteppedSgd(2), opt =>
        {
            opt.LoadStateDict(WithOptions(opt.StateDict(), d => d.Remove("momentum")));
            return null;
        }), "stateDict", "no option 'momentum'");
        yield return Arg(s, "SGD.LoadStateDict with Adam's 'beta1'", () => OptimizerUntouched(SteppedSgd(2), opt =>
        {
            opt.LoadStateDict(WithOptions(opt.StateDict(), d => d["beta1"] = 0.9));
            return null;
        }), "stateDict", "'beta1'", "SGD");
        yield return Arg(s, "SGD.LoadStateDict with lr NaN", () => OptimizerUntouched(SteppedSgd(2), opt =>
        {
            opt.LoadStateDict(WithOptions(opt.StateDict(), d => d["lr"] = double.NaN));
            return null;
        }), "stateDict", "NaN", "group 0");
        yield return Arg(s, "SGD.LoadStateDict with nesterov and dampening 0.5", () => OptimizerUntouched(SteppedSgd(2), opt =>
        {
            opt.LoadStateDict(WithOptions(opt.StateDict(), d => { d["nesterov"] = 1; d["dampening"] = 0.5; }));
            return null;
        }), "stateDict", "Nesterov", "dampening 0.5", "group 0");
        yield return Arg(s, "SGD.LoadStateDict with a momentum_buffer [3] for [2]", () => OptimizerUntouched(SteppedSgd(2), opt =>
        {
            opt.LoadStateDict(WithState(opt.StateDict(), d => d["momentum_buffer"] = Half(3)));
            return null;
        }), "stateDict", "'momentum_buffer'", "[3]", "[2]");
        yield return Arg(s, "SGD.LoadStateDict with a Float64 momentum_buffer", () => OptimizerUntouched(SteppedSgd(2), opt =>
        {
            opt.LoadStateDict(WithState(opt.StateDict(), d => d["momentum_buffer"] = Full(DType.Float64, 1, 2)));
            return null;
        }), "stateDict", "'momentum_buffer'", "Float64");
        yield return Arg(s, "SGD.LoadStateDict with a null momentum_buffer", () => OptimizerUntouched(SteppedSgd(2), opt =>
        {
            opt.LoadStateDict(WithState(opt.StateDict(), d => d["momentum_buffer"] = null!));
            return null;
        }), "stateDict", "'momentum_buffer'", "null");
        yield return Arg(s, "SGD.LoadStateDict with state for index 5", () => OptimizerUntouched(SteppedSgd(2), opt =>
        {
            var sd = opt.StateDict();
            var state = new Dictionary<int, IReadOnlyDictionary<string, Tensor>>(sd.State) { [5] = sd.State[0] };
            opt.LoadStateDict(new OptimizerStateDict(state, sd.ParamGroups));
            return null;
        }), "stateDict", "index 5");
        yield return Arg(s, "Adam.LoadStateDict without 'exp_avg_sq'", () => OptimizerUntouched(SteppedAdam(2), opt =>
        {
            opt.LoadStateDict(WithState(opt.StateDict(), d => d.Remove("exp_avg_sq")));
            return null;
        }), "stateDict", "exp_avg_sq");
        yield return Arg(s, "Adam.LoadStateDict of an SGD state", () => OptimizerUntouched(SteppedAdam(2), opt =>
        {
            opt.LoadStateDict(SteppedSgd(2).StateDict());
            return null;
        }), "stateDict", "momentum");
        yield return Arg(s, "Adam.LoadStateDict with a [2] 'step'", () => OptimizerUntouched(SteppedAdam(2), opt =>
        {
            opt.LoadStateDict(WithState(opt.StateDict(), d => d["step"] = Int(2)));
            return null;
        }), "stateDict", "'step'");
        yield return Arg(s, "AdamW.LoadStateDict of an Adam state without amsgrad's max_exp_avg_sq", () =>
        {
            var q = Grad(Half(2));
            var amsgrad = new AdamW([q], amsgrad: true);
            q.Grad = Half(2);
            amsgrad.Step();
            return OptimizerUntouched(amsgrad, opt =>
            {
                opt.LoadStateDict(WithState(opt.StateDict(), d => d.Remove("max_exp_avg_sq")));
                return null;
            });
        }, "stateDict", "max_exp_avg_sq");
    }

    private static Module NonPersistent()
    {
        var m = new BufferProbe();
        m.Parameter("w", Half(2));
        m.Buffer("scratch", Half(2), persistent: false);
        return m;
    }
}
