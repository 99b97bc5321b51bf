using System.Numerics;
using Autograd.Kernels;

namespace Autograd.Optim;

/// <summary>
/// What <see cref="Adam"/> and <see cref="AdamW"/> share: the options, the per-parameter state
/// (step count, exp_avg, exp_avg_sq, max_exp_avg_sq) and the scalar arithmetic of one step.
/// They differ only in where the weight decay goes (decoupled or not).
/// </summary>
internal static class AdamCore
{
    public const string StepKey = "step", ExpAvg = "exp_avg", ExpAvgSq = "exp_avg_sq", MaxExpAvgSq = "max_exp_avg_sq";

    /// <summary>The options in the order the constructors check them (eps, the betas, then the weight decay).</summary>
    public static Dictionary<string, double> Defaults(double lr, double beta1, double beta2, double eps, double weightDecay, bool amsgrad, bool maximize)
        => new(StringComparer.Ordinal)
        {
            ["lr"] = lr, ["eps"] = eps, ["beta1"] = beta1, ["beta2"] = beta2, ["weight_decay"] = weightDecay,
            ["amsgrad"] = amsgrad ? 1 : 0, ["maximize"] = maximize ? 1 : 0,
        };

    /// <summary>The number of steps taken, from a parameter's state (0 before its first gradient).</summary>
    public static long StepCount(IDictionary<string, Tensor>? state)
        => state is not null && state.TryGetValue(StepKey, out var step) ? step.Buffer<long>()[0] : 0;

    /// <summary>What is wrong with a loaded state: missing or extra entries, or a step that is not a 0-d Int64 &gt;= 1.</summary>
    public static string? StateProblem(IReadOnlyDictionary<string, Tensor> state, IReadOnlyDictionary<string, double> options, Tensor parameter)
    {
        if (state.Count == 0) return null;
        bool amsgrad = options["amsgrad"] != 0;
        string[] required = amsgrad ? [StepKey, ExpAvg, ExpAvgSq, MaxExpAvgSq] : [StepKey, ExpAvg, ExpAvgSq];
        foreach (var key in required)
            if (!state.ContainsKey(key)) return $"has no '{key}'{(key == MaxExpAvgSq ? " (its group uses AMSGrad)" : "")}.";
        foreach (var (key, t) in state)
        {
            if (key == StepKey)
            {
                if (t.DType != DType.Int64 || t.Rank != 0)
                    return $"has a '{StepKey}' of shape {Shapes.Format(t.Dims)}, {t.DType}; it must be a 0-d Int64 tensor.";
                if (t.Buffer<long>()[0] < 1)
                    return $"has '{StepKey}' {t.Buffer<long>()[0]}; a parameter with state has taken at least one step.";
            }
            else if (key is ExpAvg or ExpAvgSq or MaxExpAvgSq)
            {
                if (t.DType != parameter.DType || !t.Dims.AsSpan().SequenceEqual(parameter.Dims))
                    return $"has a '{key}' of shape {Shapes.Format(t.Dims)}, {t.DType}; it must have the parameter's shape and dtype.";
            }
            else return $"has '{key}', which Adam and AdamW do not keep.";
        }
        return null;
    }

    /// <summary>One step of parameter <paramref name="p"/> with its group's options, creating its state at the first.</summary>
    public static void Update(IDictionary<string, Tensor> state, Tensor p, Tensor grad, ParamGroup group, bool decoupled)
    {
        if (!state.ContainsKey(StepKey))
        {
            state[StepKey] = Tensor.Scalar(0L);
            state[ExpAvg] = p.ZeroedLike();
            state[ExpAvgSq] = p.ZeroedLike();
        }
        if (group.Amsgrad && !state.ContainsKey(MaxExpAvgSq)) state[MaxExpAvgSq] = p.ZeroedLike();
        DTypeDispatch.RunFloat(p.DType, new UpdateCall(state, p, grad, group, decoupled));
        state[ExpAvg].BumpVersion();
        state[ExpAvgSq].BumpVersion();
        if (group.Amsgrad) state[MaxExpAvgSq].BumpVersion();
    }

    private static void Update<T>(IDictionary<string, Tensor> state, Tensor p, Tensor grad, ParamGroup group, bool decoupled)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double lr = group.LearningRate, beta1 = group.Beta1, beta2 = group.Beta2, weightDecay = group.WeightDecay;
        bool amsgrad = group.Amsgrad;
        long step = ++state[StepKey].Buffer<long>()[0];

        // Python floats, computed in double as adam.py does; the step count is exact (PyTorch keeps it
        // in a float32 tensor, exact up to 2^24 steps).
        double biasCorrection1 = 1 - Math.Pow(beta1, step);
        double biasCorrection2 = 1 - Math.Pow(beta2, step);
        double stepSize = lr / biasCorrection1;
        double biasCorrection2Sqrt = Math.Sqrt(biasCorrection2);

        var scalars = new OptimKernels.AdamScalars<T>(
            Beta1: T.CreateTruncating(beta1),
            OneMinusBeta1: T.CreateTruncating(1 - beta1),
            Beta2: T.CreateTruncating(beta2),
            OneMinusBeta2: T.CreateTruncating(1 - beta2),
            Eps: T.CreateTruncating(group.Eps),
            WeightDecay: T.CreateTruncating(weightDecay),
            DecoupledDecay: T.CreateTruncating(1 - lr * weightDecay),
            BiasCorrection2Sqrt: T.CreateTruncating(biasCorrection2Sqrt),
            NegativeStepSize: T.CreateTruncating(-stepSize),
            UseWeightDecay: !decoupled && weightDecay != 0,
            Decoupled: decoupled,
            Amsgrad: amsgrad,
            Maximize: group.Maximize);
        OptimKernels.Adam(p.Buffer<T>(), grad.Buffer<T>(), state[ExpAvg].Buffer<T>(), state[ExpAvgSq].Buffer<T>(),
            amsgrad ? state[MaxExpAvgSq].Buffer<T>() : [], scalars);
    }

    private readonly struct UpdateCall(IDictionary<string, Tensor> state, Tensor p, Tensor grad, ParamGroup group, bool decoupled) : IFloatKernelCall
    {
        public void Run<T>() where T : unmanaged, IFloatingPointIeee754<T> => Update<T>(state, p, grad, group, decoupled);
    }
}
