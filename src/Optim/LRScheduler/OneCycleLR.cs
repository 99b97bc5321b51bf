namespace Autograd.Optim;

/// <summary>
/// The 1cycle policy (Smith and Topin, 2017; like <c>torch.optim.lr_scheduler.OneCycleLR</c>):
/// the learning rate rises from <c>maxLr / divFactor</c> to <c>maxLr</c>, then falls to
/// <c>maxLr / (divFactor · finalDivFactor)</c>, while the momentum (SGD's and RMSprop's momentum,
/// Adam's and AdamW's β₁) moves the other way, between <c>maxMomentum</c> and <c>baseMomentum</c>.
/// Step it after every batch, <c>totalSteps</c> times.
/// </summary>
/// <remarks>
/// <para>
/// Two phases by default: the first <c>pctStart · totalSteps − 1</c> steps up, the rest down; with
/// <c>threePhase</c>, up, back down to the initial learning rate symmetrically, then down to the
/// minimum. Within a phase, at the fraction p of it, the value goes from a to b by
/// <c>b + (a − b)/2 · (cos(π p) + 1)</c> (<c>"cos"</c>) or <c>(b − a) · p + a</c> (<c>"linear"</c>).
/// </para>
/// <para>
/// As in PyTorch, the constructor sets each group's <c>"initial_lr"</c>, <c>"max_lr"</c>,
/// <c>"min_lr"</c> (and with cycleMomentum <c>"max_momentum"</c>, <c>"base_momentum"</c>, and the
/// momentum or β₁ itself to maxMomentum), which the optimizer's state dict saves, and the schedule
/// reads them from the groups. Stepping more than <c>totalSteps</c> times after the constructor throws.
/// </para>
/// <example>
/// <code>
/// var scheduler = new OneCycleLR(optimizer, maxLr: 0.1, totalSteps: epochs * batchesPerEpoch);
/// // after each batch: optimizer.Step(); scheduler.Step();
/// </code>
/// </example>
/// </remarks>
public sealed class OneCycleLR : LRScheduler
{
    /// <summary>Creates the scheduler with one maximum learning rate for every group, and takes its first step.</summary>
    /// <param name="optimizer">The optimizer whose groups are scheduled.</param>
    /// <param name="maxLr">The peak learning rate, a finite number &gt;= 0.</param>
    /// <param name="totalSteps">The number of steps of the cycle, &gt;= 1; or null to use <paramref name="epochs"/> · <paramref name="stepsPerEpoch"/>.</param>
    /// <param name="epochs">The number of epochs, &gt;= 1 (with <paramref name="stepsPerEpoch"/>, when <paramref name="totalSteps"/> is null).</param>
    /// <param name="stepsPerEpoch">The number of steps per epoch, &gt;= 1.</param>
    /// <param name="pctStart">The fraction of the cycle spent raising the learning rate, in [0, 1].</param>
    /// <param name="annealStrategy"><c>"cos"</c> or <c>"linear"</c>.</param>
    /// <param name="cycleMomentum">Also cycle the momentum (SGD, RMSprop) or β₁ (Adam, AdamW), inversely to the learning rate.</param>
    /// <param name="baseMomentum">The lowest momentum, reached at the peak learning rate.</param>
    /// <param name="maxMomentum">The highest momentum, at the start and the end.</param>
    /// <param name="divFactor">The initial learning rate is maxLr / divFactor (&gt; 0).</param>
    /// <param name="finalDivFactor">The final learning rate is the initial one / finalDivFactor (&gt; 0).</param>
    /// <param name="threePhase">Use three phases (up, back down to the initial learning rate, then to the minimum).</param>
    /// <exception cref="ArgumentNullException"><paramref name="optimizer"/> is null.</exception>
    /// <exception cref="ArgumentException">No step count given, an unknown anneal strategy, cycleMomentum on an optimizer without momentum or β₁, or phases of zero length.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A count &lt; 1, or a number out of its range, NaN or infinite.</exception>
    public OneCycleLR(Optimizer optimizer, double maxLr, int? totalSteps = null, int? epochs = null, int? stepsPerEpoch = null,
        double pctStart = 0.3, string annealStrategy = "cos", bool cycleMomentum = true, double baseMomentum = 0.85,
        double maxMomentum = 0.95, double divFactor = 25, double finalDivFactor = 1e4, bool threePhase = false)
        : this(optimizer, PerGroup(optimizer, maxLr), totalSteps, epochs, stepsPerEpoch, pctStart, annealStrategy, cycleMomentum,
            baseMomentum, maxMomentum, divFactor, finalDivFactor, threePhase)
    {
    }

    /// <summary>Creates the scheduler with a maximum learning rate per group, and takes its first step.</summary>
    /// <param name="optimizer">The optimizer whose groups are scheduled.</param>
    /// <param name="maxLr">The peak learning rate of each group, finite numbers &gt;= 0, one per group.</param>
    /// <param name="totalSteps">The number of steps of the cycle, &gt;= 1; or null to use <paramref name="epochs"/> · <paramref name="stepsPerEpoch"/>.</param>
    /// <param name="epochs">The number of epochs, &gt;= 1 (with <paramref name="stepsPerEpoch"/>, when <paramref name="totalSteps"/> is null).</param>
    /// <param name="stepsPerEpoch">The number of steps per epoch, &gt;= 1.</param>
    /// <param name="pctStart">The fraction of the cycle spent raising the learning rate, in [0, 1].</param>
    /// <param name="annealStrategy"><c>"cos"</c> or <c>"linear"</c>.</param>
    /// <param name="cycleMomentum">Also cycle the momentum (SGD, RMSprop) or β₁ (Adam, AdamW), inversely to the learning rate.</param>
    /// <param name="baseMomentum">The lowest momentum, reached at the peak learning rate.</param>
    /// <param name="maxMomentum">The highest momentum, at the start and the end.</param>
    /// <param name="divFactor">The initial learning rate is maxLr / divFactor (&gt; 0).</param>
    /// <param name="finalDivFactor">The final learning rate is the initial one / finalDivFactor (&gt; 0).</param>
    /// <param name="threePhase">Use three phases (up, back down to the initial learning rate, then to the minimum).</param>
    /// <exception cref="ArgumentNullException"><paramref name="optimizer"/> or <paramref name="maxLr"/> is null.</exception>
    /// <exception cref="ArgumentException">Not one maxLr per group, no step count given, an unknown anneal strategy, cycleMomentum on an optimizer without momentum or β₁, or phases of zero length.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A count &lt; 1, or a number out of its range, NaN or infinite.</exception>
    public OneCycleLR(Optimizer optimizer, IReadOnlyList<double> maxLr, int? totalSteps = null, int? epochs = null, int? stepsPerEpoch = null,
        double pctStart = 0.3, string annealStrategy = "cos", bool cycleMomentum = true, double baseMomentum = 0.85,
        double maxMomentum = 0.95, double divFactor = 25, double finalDivFactor = 1e4, bool threePhase = false)
        : base(optimizer)
    {
        ArgumentNullException.ThrowIfNull(maxLr);
        if (maxLr.Count != Groups.Count)
            throw new ArgumentException($"Expected {Groups.Count} values for maxLr (one per parameter group), got {maxLr.Count}.", nameof(maxLr));
        for (int i = 0; i < maxLr.Count; i++) OptimChecks.NonNegative(maxLr[i], nameof(maxLr), $"maxLr[{i}]");

        if (totalSteps is int total)
        {
            if (total < 1) throw new ArgumentOutOfRangeException(nameof(totalSteps), total, $"Expected a positive totalSteps, got {total}.");
        }
        else
        {
            if (epochs is null || stepsPerEpoch is null)
                throw new ArgumentException("Give either totalSteps, or epochs and stepsPerEpoch.", epochs is null ? nameof(epochs) : nameof(stepsPerEpoch));
            if (epochs < 1) throw new ArgumentOutOfRangeException(nameof(epochs), epochs, $"Expected a positive epochs, got {epochs}.");
            if (stepsPerEpoch < 1) throw new ArgumentOutOfRangeException(nameof(stepsPerEpoch), stepsPerEpoch, $"Expected a positive stepsPerEpoch, got {stepsPerEpoch}.");
            long product = (long)epochs.Value * stepsPerEpoch.Value;
            if (product > int.MaxValue)
                throw new ArgumentOutOfRangeException(nameof(stepsPerEpoch), stepsPerEpoch, $"epochs · stepsPerEpoch = {product} is more than {int.MaxValue} steps.");
            total = (int)product;
        }
        if (!(pctStart >= 0 && pctStart <= 1))
            throw new ArgumentOutOfRangeException(nameof(pctStart), pctStart, $"Expected pctStart in [0, 1], got {OptimChecks.Format(pctStart)}.");
        CheckStrategy(annealStrategy, nameof(annealStrategy));
        if (!(divFactor > 0 && double.IsFinite(divFactor)))
            throw new ArgumentOutOfRangeException(nameof(divFactor), divFactor, $"Invalid divFactor: {OptimChecks.Format(divFactor)}; it must be a finite number > 0.");
        if (!(finalDivFactor > 0 && double.IsFinite(finalDivFactor)))
            throw new ArgumentOutOfRangeException(nameof(finalDivFactor), finalDivFactor, $"Invalid finalDivFactor: {OptimChecks.Format(finalDivFactor)}; it must be a finite number > 0.");
        var phaseEnds = PhaseEnds(total, pctStart, threePhase);
        bool useBeta1 = false;
        if (cycleMomentum)
        {
            useBeta1 = optimizer.HasOption(ParamGroup.Beta1Option.Key);
            if (!useBeta1 && !optimizer.HasOption(ParamGroup.MomentumOption.Key))
                throw new ArgumentException($"cycleMomentum needs an optimizer with momentum (SGD, RMSprop) or beta1 (Adam, AdamW); {optimizer.GetType().Name} has neither. Pass cycleMomentum: false.", nameof(cycleMomentum));
            var check = useBeta1 ? (Action<double, string, string>)OptimChecks.Beta : OptimChecks.NonNegative;
            check(baseMomentum, nameof(baseMomentum), "baseMomentum");
            check(maxMomentum, nameof(maxMomentum), "maxMomentum");
        }

        TotalSteps = total;
        PctStart = pctStart;
        ThreePhase = threePhase;
        AnnealStrategy = annealStrategy;
        CycleMomentum = cycleMomentum;
        UseBeta1 = useBeta1;
        _phaseEnds = phaseEnds;
        for (int i = 0; i < Groups.Count; i++)
        {
            var group = Groups[i];
            double initialLr = maxLr[i] / divFactor;
            group.SetScheduled("initial_lr", initialLr);
            group.SetScheduled("max_lr", maxLr[i]);
            group.SetScheduled("min_lr", initialLr / finalDivFactor);
            if (cycleMomentum)
            {
                group.SetScheduled(useBeta1 ? "beta1" : "momentum", maxMomentum);
                group.SetScheduled("max_momentum", maxMomentum);
                group.SetScheduled("base_momentum", baseMomentum);
            }
        }
        Start();
    }

    private double[] _phaseEnds;

    private static double[] PerGroup(Optimizer optimizer, double value)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        return Enumerable.Repeat(value, optimizer.ParamGroups.Count).ToArray();
    }

    private static void CheckStrategy(string strategy, string paramName)
    {
        if (strategy is not ("cos" or "linear"))
            throw new ArgumentException($"annealStrategy must be \"cos\" or \"linear\", got {(strategy is null ? "null" : $"\"{strategy}\"")}.", paramName);
    }

    /// <summary>Each phase's last step (PyTorch's <c>_schedule_phases[i]["end_step"]</c>); refuses a phase of zero length, which PyTorch divides by.</summary>
    private static double[] PhaseEnds(int totalSteps, double pctStart, bool threePhase)
    {
        double[] ends = threePhase
            ? [pctStart * totalSteps - 1, 2 * pctStart * totalSteps - 2, totalSteps - 1]
            : [pctStart * totalSteps - 1, totalSteps - 1];
        double start = 0;
        for (int i = 0; i < ends.Length; i++)
        {
            if (ends[i] - start == 0)
                throw new ArgumentException(
                    $"With totalSteps {totalSteps} and pctStart {OptimChecks.Format(pctStart)}, phase {i + 1} of the schedule has no steps (PyTorch would divide by zero); change pctStart or totalSteps.", nameof(pctStart));
            start = ends[i];
        }
        return ends;
    }

    /// <summary>The number of steps of the cycle.</summary>
    public int TotalSteps { get; private set; }

    /// <summary>The fraction of the cycle spent raising the learning rate.</summary>
    public double PctStart { get; private set; }

    /// <summary>Whether the schedule has three phases.</summary>
    public bool ThreePhase { get; private set; }

    /// <summary><c>"cos"</c> or <c>"linear"</c>.</summary>
    public string AnnealStrategy { get; private set; }

    /// <summary>Whether the momentum (or β₁) is cycled.</summary>
    public bool CycleMomentum { get; private set; }

    /// <summary>Whether the cycled momentum is Adam's β₁ (PyTorch's <c>use_beta1</c>).</summary>
    public bool UseBeta1 { get; private set; }

    private double Anneal(double start, double end, double pct)
    {
        if (AnnealStrategy == "cos")
        {
            double cosOut = Math.Cos(Math.PI * pct) + 1;
            return end + (start - end) / 2.0 * cosOut;
        }
        return (end - start) * pct + start;
    }

    private static double Value(ParamGroup group, string key, int index)
        => group.SchedulerValue(key) ?? throw new InvalidOperationException(
            $"Parameter group {index} has no '{key}': OneCycleLR keeps it in the groups, and the optimizer's state dict loaded since did not have it.");

    private protected override double[] GetLr()
    {
        int stepNum = LastEpoch;
        if (stepNum > TotalSteps)
            throw new InvalidOperationException($"Tried to step {stepNum + 1} times. The specified number of total steps is {TotalSteps}.");
        string[] startLr = ThreePhase ? ["initial_lr", "max_lr", "initial_lr"] : ["initial_lr", "max_lr"];
        string[] endLr = ThreePhase ? ["max_lr", "initial_lr", "min_lr"] : ["max_lr", "min_lr"];
        string[] startMomentum = ThreePhase ? ["max_momentum", "base_momentum", "max_momentum"] : ["max_momentum", "base_momentum"];
        string[] endMomentum = ThreePhase ? ["base_momentum", "max_momentum", "max_momentum"] : ["base_momentum", "max_momentum"];

        var lrs = new double[Groups.Count];
        var momentums = new double[Groups.Count];
        for (int g = 0; g < Groups.Count; g++)
        {
            var group = Groups[g];
            double startStep = 0;
            for (int i = 0; i < _phaseEnds.Length; i++)
            {
                double endStep = _phaseEnds[i];
                if (stepNum <= endStep || i == _phaseEnds.Length - 1)
                {
                    double pct = (stepNum - startStep) / (endStep - startStep);
                    lrs[g] = Anneal(Value(group, startLr[i], g), Value(group, endLr[i], g), pct);
                    if (CycleMomentum)
                        momentums[g] = Anneal(Value(group, startMomentum[i], g), Value(group, endMomentum[i], g), pct);
                    break;
                }
                startStep = endStep;
            }
        }
        if (CycleMomentum)
            for (int g = 0; g < Groups.Count; g++) Groups[g].SetScheduled(UseBeta1 ? "beta1" : "momentum", momentums[g]);
        return lrs;
    }

    private protected override void SaveSettings(Dictionary<string, object> state)
    {
        state["total_steps"] = (long)TotalSteps;
        state["pct_start"] = PctStart;
        state["three_phase"] = ThreePhase;
        state["anneal_strategy"] = AnnealStrategy;
        state["cycle_momentum"] = CycleMomentum;
        state["use_beta1"] = UseBeta1;
    }

    private protected override Action LoadSettings(SchedulerStateReader reader)
    {
        long total = reader.Long("total_steps", min: 1, max: int.MaxValue);
        double pctStart = reader.Double("pct_start", v => v >= 0 && v <= 1, "a number in [0, 1]");
        bool threePhase = reader.Bool("three_phase");
        string strategy = reader.String("anneal_strategy", "cos", "linear");
        bool cycleMomentum = reader.Bool("cycle_momentum");
        bool useBeta1 = reader.Bool("use_beta1");
        if (cycleMomentum && !Optimizer.HasOption(useBeta1 ? ParamGroup.Beta1Option.Key : ParamGroup.MomentumOption.Key))
            throw new ArgumentException($"The state dict cycles {(useBeta1 ? "beta1" : "momentum")}, which {Optimizer.GetType().Name} does not have.", "stateDict");
        double[] ends;
        try
        {
            ends = PhaseEnds((int)total, pctStart, threePhase);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException(e.Message, "stateDict", e);
        }
        return () =>
        {
            (TotalSteps, PctStart, ThreePhase, AnnealStrategy, CycleMomentum, UseBeta1) = ((int)total, pctStart, threePhase, strategy, cycleMomentum, useBeta1);
            _phaseEnds = ends;
        };
    }
}
