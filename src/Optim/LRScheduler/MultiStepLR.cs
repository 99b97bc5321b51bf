namespace Autograd.Optim;

/// <summary>
/// Multiplies each group's learning rate by <see cref="Gamma"/> at each milestone epoch (like
/// <c>torch.optim.lr_scheduler.MultiStepLR</c>): γₜ = γ₀ · gamma^(number of milestones ≤ t).
/// </summary>
/// <remarks>
/// As PyTorch 1.13 computes it: at a milestone epoch the current learning rate is multiplied by
/// gamma; otherwise it is kept. The milestones must be strictly increasing (PyTorch also accepts a
/// milestone listed twice, as gamma², and unsorted lists).
/// <example>
/// <code>
/// var scheduler = new MultiStepLR(optimizer, milestones: [30, 80], gamma: 0.1);   // 0.05, then 0.005 from epoch 30, 0.0005 from 80
/// </code>
/// </example>
/// </remarks>
public sealed class MultiStepLR : LRScheduler
{
    private int[] _milestones;

    /// <summary>Creates the scheduler and takes its first step (epoch 0).</summary>
    /// <param name="optimizer">The optimizer whose groups are scheduled.</param>
    /// <param name="milestones">The epochs at which to decay, strictly increasing, each &gt;= 0.</param>
    /// <param name="gamma">The factor of the decay, a finite number &gt;= 0.</param>
    /// <exception cref="ArgumentNullException"><paramref name="optimizer"/> or <paramref name="milestones"/> is null.</exception>
    /// <exception cref="ArgumentException">The milestones are empty or not strictly increasing.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A negative milestone, or <paramref name="gamma"/> negative, NaN or infinite.</exception>
    public MultiStepLR(Optimizer optimizer, IEnumerable<int> milestones, double gamma = 0.1) : base(optimizer)
    {
        ArgumentNullException.ThrowIfNull(milestones);
        _milestones = CheckMilestones(milestones.Select(m => (long)m).ToArray());
        OptimChecks.NonNegative(gamma, nameof(gamma), "gamma");
        Gamma = gamma;
        Start();
    }

    private static int[] CheckMilestones(long[] milestones)
    {
        if (milestones.Length == 0)
            throw new ArgumentException("milestones is empty; give the epochs at which to decay.", nameof(milestones));
        for (int i = 0; i < milestones.Length; i++)
        {
            if (milestones[i] < 0 || milestones[i] > int.MaxValue)
                throw new ArgumentOutOfRangeException(nameof(milestones), milestones[i], $"Invalid milestones[{i}]: {milestones[i]}; a milestone is an epoch >= 0.");
            if (i > 0 && milestones[i] <= milestones[i - 1])
                throw new ArgumentException(
                    $"milestones must be strictly increasing; got [{string.Join(", ", milestones)}] (milestones[{i}] = {milestones[i]} after {milestones[i - 1]}).", nameof(milestones));
        }
        return milestones.Select(m => (int)m).ToArray();
    }

    /// <summary>The epochs at which the learning rates decay.</summary>
    public IReadOnlyList<int> Milestones => _milestones;

    /// <summary>The factor of the decay.</summary>
    public double Gamma { get; private set; }

    private protected override double[] GetLr()
        => Array.BinarySearch(_milestones, LastEpoch) < 0
            ? CurrentLrs()
            : CurrentLrs().Select(lr => lr * Gamma).ToArray();   // group['lr'] * gamma ** milestones[last_epoch]: each milestone counts once

    private protected override void SaveSettings(Dictionary<string, object> state)
    {
        state["milestones"] = _milestones.Select(m => (long)m).ToArray();
        state["gamma"] = Gamma;
    }

    private protected override Action LoadSettings(SchedulerStateReader reader)
    {
        int[] milestones;
        try
        {
            milestones = CheckMilestones(reader.Longs("milestones"));
        }
        catch (ArgumentException e) when (e.ParamName == "milestones")
        {
            throw new ArgumentException($"The state dict's 'milestones' do not fit: {e.Message}", "stateDict", e);
        }
        double gamma = reader.NonNegative("gamma");
        return () => (_milestones, Gamma) = (milestones, gamma);
    }
}
