namespace Autograd.Optim;

/// <summary>
/// Anneals each group's learning rate from its initial value to <see cref="EtaMin"/> along half a
/// cosine over <see cref="TMax"/> epochs (like <c>torch.optim.lr_scheduler.CosineAnnealingLR</c>):
/// γₜ = η_min + (γ₀ − η_min) · (1 + cos(π t / T_max)) / 2.
/// </summary>
/// <remarks>
/// As PyTorch 1.13 computes it, recursively from the current learning rate:
/// <code>
/// γₜ = (1 + cos(π t / T)) / (1 + cos(π (t − 1) / T)) · (γₜ₋₁ − η_min) + η_min
/// γₜ = γₜ₋₁ + (γ₀ − η_min) · (1 − cos(π / T)) / 2      when (t − 1 − T) mod 2T = 0
/// </code>
/// (the second line where the first would divide by zero, after the minimum). Past T_max the
/// learning rate climbs back up the cosine, as in PyTorch (no restart).
/// </remarks>
public sealed class CosineAnnealingLR : LRScheduler
{
    /// <summary>Creates the scheduler and takes its first step (epoch 0, which keeps the learning rates).</summary>
    /// <param name="optimizer">The optimizer whose groups are scheduled.</param>
    /// <param name="tMax">The number of epochs T_max from the initial learning rate to the minimum, &gt;= 1.</param>
    /// <param name="etaMin">The minimum learning rate η_min, a finite number &gt;= 0.</param>
    /// <exception cref="ArgumentNullException"><paramref name="optimizer"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tMax"/> &lt; 1, or <paramref name="etaMin"/> negative, NaN or infinite.</exception>
    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin = 0) : base(optimizer)
    {
        if (tMax < 1)
            throw new ArgumentOutOfRangeException(nameof(tMax), tMax, $"Invalid tMax: {tMax}; it must be >= 1 (epochs to the minimum).");
        OptimChecks.NonNegative(etaMin, nameof(etaMin), "etaMin");
        TMax = tMax;
        EtaMin = etaMin;
        Start();
    }

    /// <summary>The number of epochs from the initial learning rate to the minimum (PyTorch's <c>T_max</c>).</summary>
    public int TMax { get; private set; }

    /// <summary>The minimum learning rate (PyTorch's <c>eta_min</c>).</summary>
    public double EtaMin { get; private set; }

    private protected override double[] GetLr()
    {
        int t = LastEpoch;
        double tMax = TMax, etaMin = EtaMin;
        var lrs = CurrentLrs();
        if (t == 0) return lrs;
        var result = new double[lrs.Length];
        for (int i = 0; i < lrs.Length; i++)
        {
            double baseLr = BaseLrs[i];
            // (PyTorch's branch for _step_count == 1 and last_epoch > 0 serves a scheduler created
            // with last_epoch > 0, which this one cannot be.)
            if ((t - 1 - (long)TMax) % (2L * TMax) == 0)
                result[i] = lrs[i] + (baseLr - etaMin) * (1 - Math.Cos(Math.PI / tMax)) / 2;
            else
                result[i] = (1 + Math.Cos(Math.PI * t / tMax)) / (1 + Math.Cos(Math.PI * (t - 1) / tMax)) * (lrs[i] - etaMin) + etaMin;
        }
        return result;
    }

    private protected override void SaveSettings(Dictionary<string, object> state)
    {
        state["T_max"] = (long)TMax;
        state["eta_min"] = EtaMin;
    }

    private protected override Action LoadSettings(SchedulerStateReader reader)
    {
        long tMax = reader.Long("T_max", min: 1, max: int.MaxValue);
        double etaMin = reader.NonNegative("eta_min");
        return () => (TMax, EtaMin) = ((int)tMax, etaMin);
    }
}
