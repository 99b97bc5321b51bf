namespace Autograd.Optim;

/// <summary>
/// Reduces each group's learning rate by <see cref="Factor"/> when a metric has stopped improving
/// for more than <see cref="Patience"/> epochs (like <c>torch.optim.lr_scheduler.ReduceLROnPlateau</c>).
/// </summary>
/// <remarks>
/// <para>
/// Call <see cref="Step"/> once per epoch with the metric (a validation loss in mode <c>"min"</c>, an
/// accuracy in mode <c>"max"</c>). A value is an improvement on the best so far when, in mode
/// "min", it is below best · (1 − threshold) (threshold mode <c>"rel"</c>) or below best − threshold
/// (<c>"abs"</c>); in mode "max", above best · (1 + threshold) or best + threshold. After more than
/// <c>patience</c> epochs without one, each group's learning rate becomes
/// max(lr · factor, minLr), if that changes it by more than eps, and the next <c>cooldown</c>
/// epochs do not count as bad.
/// </para>
/// <para>
/// As in PyTorch 1.13 this is not an <see cref="LRScheduler"/>: it does not set learning rates at
/// construction and its <see cref="Step"/> takes the metric.
/// </para>
/// <example>
/// <code>
/// var scheduler = new ReduceLROnPlateau(optimizer, mode: "min", factor: 0.5, patience: 3);
/// for (int epoch = 0; epoch &lt; 100; epoch++) { Train(); scheduler.Step(ValidationLoss()); }
/// </code>
/// </example>
/// </remarks>
public sealed class ReduceLROnPlateau
{
    private double[] _minLrs;
    private double[] _lastLr;

    /// <summary>Creates the scheduler with one minimum learning rate for every group.</summary>
    /// <param name="optimizer">The optimizer whose groups are scheduled.</param>
    /// <param name="mode"><c>"min"</c> (the metric should decrease) or <c>"max"</c>.</param>
    /// <param name="factor">The factor applied to a learning rate at a reduction, in [0, 1).</param>
    /// <param name="patience">The number of epochs without improvement tolerated before a reduction, &gt;= 0.</param>
    /// <param name="threshold">The improvement that counts, a finite number &gt;= 0.</param>
    /// <param name="thresholdMode"><c>"rel"</c> (relative to the best) or <c>"abs"</c>.</param>
    /// <param name="cooldown">The number of epochs after a reduction that do not count as bad, &gt;= 0.</param>
    /// <param name="minLr">The lowest learning rate, a finite number &gt;= 0.</param>
    /// <param name="eps">A reduction smaller than this is skipped, a finite number &gt;= 0.</param>
    /// <exception cref="ArgumentNullException"><paramref name="optimizer"/> is null.</exception>
    /// <exception cref="ArgumentException">An unknown mode or threshold mode.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A number out of its range, NaN or infinite.</exception>
    public ReduceLROnPlateau(Optimizer optimizer, string mode = "min", double factor = 0.1, int patience = 10,
        double threshold = 1e-4, string thresholdMode = "rel", int cooldown = 0, double minLr = 0, double eps = 1e-8)
        : this(optimizer, PerGroup(optimizer, minLr), mode, factor, patience, threshold, thresholdMode, cooldown, eps)
    {
    }

    /// <summary>Creates the scheduler with a minimum learning rate per group.</summary>
    /// <param name="optimizer">The optimizer whose groups are scheduled.</param>
    /// <param name="minLr">The lowest learning rate of each group, one per group, finite numbers &gt;= 0.</param>
    /// <param name="mode"><c>"min"</c> (the metric should decrease) or <c>"max"</c>.</param>
    /// <param name="factor">The factor applied to a learning rate at a reduction, in [0, 1).</param>
    /// <param name="patience">The number of epochs without improvement tolerated before a reduction, &gt;= 0.</param>
    /// <param name="threshold">The improvement that counts, a finite number &gt;= 0.</param>
    /// <param name="thresholdMode"><c>"rel"</c> (relative to the best) or <c>"abs"</c>.</param>
    /// <param name="cooldown">The number of epochs after a reduction that do not count as bad, &gt;= 0.</param>
    /// <param name="eps">A reduction smaller than this is skipped, a finite number &gt;= 0.</param>
    /// <exception cref="ArgumentNullException"><paramref name="optimizer"/> or <paramref name="minLr"/> is null.</exception>
    /// <exception cref="ArgumentException">Not one minLr per group, an unknown mode or threshold mode.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A number out of its range, NaN or infinite.</exception>
    public ReduceLROnPlateau(Optimizer optimizer, IReadOnlyList<double> minLr, string mode = "min", double factor = 0.1, int patience = 10,
        double threshold = 1e-4, string thresholdMode = "rel", int cooldown = 0, double eps = 1e-8)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(minLr);
        if (!(factor >= 0 && factor < 1))
            throw new ArgumentOutOfRangeException(nameof(factor), factor, $"Invalid factor: {OptimChecks.Format(factor)}; it must be in [0, 1) (a reduction).");
        if (minLr.Count != optimizer.ParamGroups.Count)
            throw new ArgumentException($"Expected {optimizer.ParamGroups.Count} minLr values (one per parameter group), got {minLr.Count}.", nameof(minLr));
        for (int i = 0; i < minLr.Count; i++) OptimChecks.NonNegative(minLr[i], nameof(minLr), $"minLr[{i}]");
        if (patience < 0)
            throw new ArgumentOutOfRangeException(nameof(patience), patience, $"Invalid patience: {patience}; it must be >= 0.");
        if (cooldown < 0)
            throw new ArgumentOutOfRangeException(nameof(cooldown), cooldown, $"Invalid cooldown: {cooldown}; it must be >= 0.");
        OptimChecks.NonNegative(threshold, nameof(threshold), "threshold");
        OptimChecks.NonNegative(eps, nameof(eps), "eps");
        CheckModes(mode, thresholdMode);

        Optimizer = optimizer;
        _minLrs = minLr.ToArray();
        (Mode, Factor, Patience, Threshold, ThresholdMode, Cooldown, Eps) = (mode, factor, patience, threshold, thresholdMode, cooldown, eps);
        Best = ModeWorse;
        _lastLr = CurrentLrs();
    }

    private static double[] PerGroup(Optimizer optimizer, double value)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        return Enumerable.Repeat(value, optimizer.ParamGroups.Count).ToArray();
    }

    private static void CheckModes(string mode, string thresholdMode)
    {
        if (mode is not ("min" or "max"))
            throw new ArgumentException($"mode {(mode is null ? "null" : $"\"{mode}\"")} is unknown; use \"min\" or \"max\".", nameof(mode));
        if (thresholdMode is not ("rel" or "abs"))
            throw new ArgumentException($"threshold mode {(thresholdMode is null ? "null" : $"\"{thresholdMode}\"")} is unknown; use \"rel\" or \"abs\".", nameof(thresholdMode));
    }

    /// <summary>The optimizer whose groups' learning rates this scheduler reduces.</summary>
    public Optimizer Optimizer { get; }

    /// <summary><c>"min"</c> or <c>"max"</c>.</summary>
    public string Mode { get; private set; }

    /// <summary>The factor applied at a reduction.</summary>
    public double Factor { get; private set; }

    /// <summary>The number of epochs without improvement tolerated.</summary>
    public int Patience { get; private set; }

    /// <summary>The improvement that counts.</summary>
    public double Threshold { get; private set; }

    /// <summary><c>"rel"</c> or <c>"abs"</c>.</summary>
    public string ThresholdMode { get; private set; }

    /// <summary>The number of epochs after a reduction that do not count as bad.</summary>
    public int Cooldown { get; private set; }

    /// <summary>The smallest reduction applied.</summary>
    public double Eps { get; private set; }

    /// <summary>Each group's lowest learning rate (PyTorch's <c>min_lrs</c>).</summary>
    public IReadOnlyList<double> MinLrs => _minLrs;

    /// <summary>The best metric so far (+∞ in mode "min", −∞ in mode "max", before the first step).</summary>
    public double Best { get; private set; }

    /// <summary>The number of consecutive epochs without improvement.</summary>
    public int NumBadEpochs { get; private set; }

    /// <summary>The number of cooldown epochs left.</summary>
    public int CooldownCounter { get; private set; }

    /// <summary>The number of steps taken (PyTorch's <c>last_epoch</c>; 0 before the first).</summary>
    public int LastEpoch { get; private set; }

    private double ModeWorse => Mode == "min" ? double.PositiveInfinity : double.NegativeInfinity;

    /// <summary>The groups' learning rates after the last <see cref="Step"/> (before it, the current ones).</summary>
    public IReadOnlyList<double> GetLastLr() => _lastLr.ToArray();

    private double[] CurrentLrs() => Optimizer.ParamGroups.Select(g => g.LearningRate).ToArray();

    private bool IsBetter(double a, double best) => (Mode, ThresholdMode) switch
    {
        ("min", "rel") => a < best * (1.0 - Threshold),
        ("min", _) => a < best - Threshold,
        (_, "rel") => a > best * (Threshold + 1.0),
        _ => a > best + Threshold,
    };

    /// <summary>Takes the epoch's metric and reduces the learning rates if it has stopped improving.</summary>
    /// <param name="metrics">The metric (NaN counts as no improvement).</param>
    /// <exception cref="InvalidOperationException">A group was added to the optimizer after the scheduler was created. Nothing is changed.</exception>
    public void Step(double metrics)
    {
        var groups = Optimizer.ParamGroups;
        if (groups.Count != _minLrs.Length)
            throw new InvalidOperationException(
                $"The optimizer has {groups.Count} parameter groups, but this ReduceLROnPlateau was created for {_minLrs.Length}; create it after adding the groups.");
        LastEpoch++;
        if (IsBetter(metrics, Best))
        {
            Best = metrics;
            NumBadEpochs = 0;
        }
        else NumBadEpochs++;
        if (CooldownCounter > 0)
        {
            CooldownCounter--;
            NumBadEpochs = 0;   // bad epochs in cooldown do not count
        }
        if (NumBadEpochs > Patience)
        {
            for (int i = 0; i < groups.Count; i++)
            {
                double oldLr = groups[i].LearningRate;
                double newLr = Math.Max(oldLr * Factor, _minLrs[i]);
                if (oldLr - newLr > Eps) groups[i].SetScheduled("lr", newLr);
            }
            CooldownCounter = Cooldown;
            NumBadEpochs = 0;
        }
        _lastLr = CurrentLrs();
    }

    /// <summary>
    /// The scheduler's state (PyTorch's <c>state_dict()</c>), under PyTorch's keys: <c>"factor"</c>,
    /// <c>"min_lrs"</c>, <c>"patience"</c>, <c>"cooldown"</c>, <c>"cooldown_counter"</c>, <c>"mode"</c>,
    /// <c>"threshold"</c>, <c>"threshold_mode"</c>, <c>"best"</c>, <c>"num_bad_epochs"</c>,
    /// <c>"mode_worse"</c>, <c>"eps"</c>, <c>"last_epoch"</c>, <c>"_last_lr"</c>.
    /// </summary>
    public Dictionary<string, object> StateDict() => new(StringComparer.Ordinal)
    {
        ["factor"] = Factor, ["min_lrs"] = _minLrs.ToArray(), ["patience"] = (long)Patience,
        ["cooldown"] = (long)Cooldown, ["cooldown_counter"] = (long)CooldownCounter, ["mode"] = Mode,
        ["threshold"] = Threshold, ["threshold_mode"] = ThresholdMode, ["best"] = Best,
        ["num_bad_epochs"] = (long)NumBadEpochs, ["mode_worse"] = ModeWorse, ["eps"] = Eps,
        ["last_epoch"] = (long)LastEpoch, ["_last_lr"] = _lastLr.ToArray(),
    };

    /// <summary>Restores a state from <see cref="StateDict"/> (PyTorch's <c>load_state_dict</c>), settings included.</summary>
    /// <param name="stateDict">The state of a ReduceLROnPlateau for as many groups.</param>
    /// <exception cref="ArgumentNullException"><paramref name="stateDict"/> is null.</exception>
    /// <exception cref="ArgumentException">A missing, unknown or invalid entry. Nothing is changed.</exception>
    public void LoadStateDict(IReadOnlyDictionary<string, object> stateDict)
    {
        var r = new SchedulerStateReader(stateDict, nameof(ReduceLROnPlateau));
        int groups = Optimizer.ParamGroups.Count;
        double factor = r.Double("factor", v => v >= 0 && v < 1, "a number in [0, 1)");
        var minLrs = r.Doubles("min_lrs", groups);
        long patience = r.Long("patience", 0, int.MaxValue);
        long cooldown = r.Long("cooldown", 0, int.MaxValue);
        long cooldownCounter = r.Long("cooldown_counter", 0, int.MaxValue);
        string mode = r.String("mode", "min", "max");
        double threshold = r.NonNegative("threshold");
        string thresholdMode = r.String("threshold_mode", "rel", "abs");
        double best = r.Double("best", v => !double.IsNaN(v), "a number (not NaN)");
        long badEpochs = r.Long("num_bad_epochs", 0, int.MaxValue);
        r.Double("mode_worse", v => v == (mode == "min" ? double.PositiveInfinity : double.NegativeInfinity), mode == "min" ? "inf (mode \"min\")" : "-inf (mode \"max\")");
        double eps = r.NonNegative("eps");
        long lastEpoch = r.Long("last_epoch", 0, int.MaxValue);
        var lastLr = r.Doubles("_last_lr", groups);
        r.CheckNoOtherKeys();
        (Factor, _minLrs, Patience, Cooldown, CooldownCounter, Mode, Threshold, ThresholdMode) =
            (factor, minLrs, (int)patience, (int)cooldown, (int)cooldownCounter, mode, threshold, thresholdMode);
        (Best, NumBadEpochs, Eps, LastEpoch, _lastLr) = (best, (int)badEpochs, eps, (int)lastEpoch, lastLr);
    }
}
