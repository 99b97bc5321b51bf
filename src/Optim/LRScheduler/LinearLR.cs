namespace Autograd.Optim;

/// <summary>
/// Multiplies each group's initial learning rate by a factor that moves linearly from
/// <see cref="StartFactor"/> to <see cref="EndFactor"/> over <see cref="TotalIters"/> epochs, then
/// stays (like <c>torch.optim.lr_scheduler.LinearLR</c>), a warm-up:
/// γₜ = γ₀ · (s + (e − s) · min(t, T) / T).
/// </summary>
/// <remarks>
/// As PyTorch 1.13 computes it: the constructor's step multiplies the learning rate by s; then
/// each epoch t ≤ T multiplies the current one by 1 + (e − s) / (T·s + (t − 1)·(e − s)).
/// <example>
/// <code>
/// var warmup = new LinearLR(optimizer, startFactor: 0.1, totalIters: 10);   // 10 % of lr at epoch 0, full lr from epoch 10
/// </code>
/// </example>
/// </remarks>
public sealed class LinearLR : LRScheduler
{
    /// <summary>Creates the scheduler and takes its first step (epoch 0: the learning rates times <paramref name="startFactor"/>).</summary>
    /// <param name="optimizer">The optimizer whose groups are scheduled.</param>
    /// <param name="startFactor">The factor s at epoch 0, in (0, 1].</param>
    /// <param name="endFactor">The factor e from epoch <paramref name="totalIters"/> on, in [0, 1].</param>
    /// <param name="totalIters">The number of epochs T of the ramp, &gt;= 0.</param>
    /// <exception cref="ArgumentNullException"><paramref name="optimizer"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A factor outside its range or NaN, or <paramref name="totalIters"/> negative.</exception>
    public LinearLR(Optimizer optimizer, double startFactor = 1.0 / 3, double endFactor = 1.0, int totalIters = 5) : base(optimizer)
    {
        // PyTorch accepts a start factor of 0 and then divides by zero at the next step.
        if (!(startFactor > 0 && startFactor <= 1))
            throw new ArgumentOutOfRangeException(nameof(startFactor), startFactor, $"Invalid startFactor: {OptimChecks.Format(startFactor)}; it must be in (0, 1].");
        if (!(endFactor >= 0 && endFactor <= 1))
            throw new ArgumentOutOfRangeException(nameof(endFactor), endFactor, $"Invalid endFactor: {OptimChecks.Format(endFactor)}; it must be in [0, 1].");
        if (totalIters < 0)
            throw new ArgumentOutOfRangeException(nameof(totalIters), totalIters, $"Invalid totalIters: {totalIters}; it must be >= 0.");
        (StartFactor, EndFactor, TotalIters) = (startFactor, endFactor, totalIters);
        Start();
    }

    /// <summary>The factor at epoch 0.</summary>
    public double StartFactor { get; private set; }

    /// <summary>The factor from epoch <see cref="TotalIters"/> on.</summary>
    public double EndFactor { get; private set; }

    /// <summary>The number of epochs of the ramp.</summary>
    public int TotalIters { get; private set; }

    private protected override double[] GetLr()
    {
        var lrs = CurrentLrs();
        if (LastEpoch == 0) return lrs.Select(lr => lr * StartFactor).ToArray();
        if (LastEpoch > TotalIters) return lrs;
        double s = StartFactor, e = EndFactor;
        return lrs.Select(lr => lr * (1.0 + (e - s) / (TotalIters * s + (LastEpoch - 1) * (e - s)))).ToArray();
    }

    private protected override void SaveSettings(Dictionary<string, object> state)
    {
        state["start_factor"] = StartFactor;
        state["end_factor"] = EndFactor;
        state["total_iters"] = (long)TotalIters;
    }

    private protected override Action LoadSettings(SchedulerStateReader reader)
    {
        double s = reader.Double("start_factor", v => v > 0 && v <= 1, "a number in (0, 1]");
        double e = reader.Double("end_factor", v => v >= 0 && v <= 1, "a number in [0, 1]");
        long total = reader.Long("total_iters", min: 0, max: int.MaxValue);
        return () => (StartFactor, EndFactor, TotalIters) = (s, e, (int)total);
    }
}
