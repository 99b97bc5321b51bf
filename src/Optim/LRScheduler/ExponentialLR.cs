namespace Autograd.Optim;

/// <summary>
/// Multiplies each group's learning rate by <see cref="Gamma"/> every epoch (like
/// <c>torch.optim.lr_scheduler.ExponentialLR</c>): γₜ = γ₀ · gammaᵗ.
/// </summary>
/// <remarks>
/// As PyTorch 1.13 computes it: each step multiplies the current learning rate by gamma, so γₜ is
/// the product of t roundings, not the closed form γ₀ · gammaᵗ (they differ in the last bits).
/// </remarks>
public sealed class ExponentialLR : LRScheduler
{
    /// <summary>Creates the scheduler and takes its first step (epoch 0, which keeps the learning rates).</summary>
    /// <param name="optimizer">The optimizer whose groups are scheduled.</param>
    /// <param name="gamma">The factor per epoch, a finite number &gt;= 0.</param>
    /// <exception cref="ArgumentNullException"><paramref name="optimizer"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="gamma"/> negative, NaN or infinite.</exception>
    public ExponentialLR(Optimizer optimizer, double gamma) : base(optimizer)
    {
        OptimChecks.NonNegative(gamma, nameof(gamma), "gamma");
        Gamma = gamma;
        Start();
    }

    /// <summary>The factor per epoch.</summary>
    public double Gamma { get; private set; }

    private protected override double[] GetLr()
        => LastEpoch == 0 ? CurrentLrs() : CurrentLrs().Select(lr => lr * Gamma).ToArray();

    private protected override void SaveSettings(Dictionary<string, object> state) => state["gamma"] = Gamma;

    private protected override Action LoadSettings(SchedulerStateReader reader)
    {
        double gamma = reader.NonNegative("gamma");
        return () => Gamma = gamma;
    }
}
