namespace Autograd.Optim;

/// <summary>
/// Multiplies each group's learning rate by <see cref="Gamma"/> every <see cref="StepSize"/> epochs
/// (like <c>torch.optim.lr_scheduler.StepLR</c>): γₜ = γ₀ · gamma^⌊t / stepSize⌋.
/// </summary>
/// <remarks>
/// As PyTorch 1.13 computes it: at epochs t = stepSize, 2·stepSize, ... the current learning rate
/// is multiplied by gamma (<c>group["lr"] * gamma</c>); otherwise it is kept.
/// <example>
/// <code>
/// var scheduler = new StepLR(optimizer, stepSize: 30, gamma: 0.1);   // 0.05 for epochs 0-29, 0.005 for 30-59, ...
/// for (int epoch = 0; epoch &lt; 100; epoch++) { Train(); scheduler.Step(); }
/// </code>
/// </example>
/// </remarks>
public sealed class StepLR : LRScheduler
{
    /// <summary>Creates the scheduler and takes its first step (epoch 0, which keeps the learning rates).</summary>
    /// <param name="optimizer">The optimizer whose groups are scheduled.</param>
    /// <param name="stepSize">The period of the decay in epochs, &gt;= 1.</param>
    /// <param name="gamma">The factor of the decay, a finite number &gt;= 0.</param>
    /// <exception cref="ArgumentNullException"><paramref name="optimizer"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="stepSize"/> &lt; 1, or <paramref name="gamma"/> negative, NaN or infinite.</exception>
    public StepLR(Optimizer optimizer, int stepSize, double gamma = 0.1) : base(optimizer)
    {
        if (stepSize < 1)
            throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize, $"Invalid stepSize: {stepSize}; it must be >= 1 (epochs between decays).");
        OptimChecks.NonNegative(gamma, nameof(gamma), "gamma");
        StepSize = stepSize;
        Gamma = gamma;
        Start();
    }

    /// <summary>The period of the decay, in epochs.</summary>
    public int StepSize { get; private set; }

    /// <summary>The factor of the decay.</summary>
    public double Gamma { get; private set; }

    private protected override double[] GetLr()
        => LastEpoch == 0 || LastEpoch % StepSize != 0
            ? CurrentLrs()
            : CurrentLrs().Select(lr => lr * Gamma).ToArray();

    private protected override void SaveSettings(Dictionary<string, object> state)
    {
        state["step_size"] = (long)StepSize;
        state["gamma"] = Gamma;
    }

    private protected override Action LoadSettings(SchedulerStateReader reader)
    {
        long stepSize = reader.Long("step_size", min: 1, max: int.MaxValue);
        double gamma = reader.NonNegative("gamma");
        return () => (StepSize, Gamma) = ((int)stepSize, gamma);
    }
}
