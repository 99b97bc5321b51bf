namespace Autograd.Optim;

/// <summary>
/// Base class of the epoch-based learning-rate schedulers (like <c>torch.optim.lr_scheduler._LRScheduler</c>,
/// PyTorch 1.13): each <see cref="Step"/> sets every parameter group's learning rate for the next epoch.
/// </summary>
/// <remarks>
/// <para>
/// Call <see cref="Step"/> once per epoch (or per batch, for <see cref="OneCycleLR"/>), after
/// <c>optimizer.Step()</c>, as in PyTorch 1.1 and later:
/// <c>for each epoch: train (optimizer.Step() per batch); scheduler.Step();</c>.
/// </para>
/// <para>
/// Creating a scheduler stores each group's learning rate as its <see cref="ParamGroup.InitialLr"/>
/// (PyTorch's <c>group["initial_lr"]</c>, unless a scheduler already did), takes those as
/// <see cref="BaseLrs"/>, and takes a first step to epoch 0, which may already change the learning
/// rate (<see cref="LinearLR"/> multiplies it by its start factor). Each scheduler computes the next
/// learning rate from the group's current one, with PyTorch 1.13's formula (its "chainable" form,
/// <c>get_lr</c>), in double, so the learning rates are PyTorch's bit for bit.
/// </para>
/// <para>
/// <see cref="StateDict"/> and <see cref="LoadStateDict"/> save and restore the scheduler's
/// counters and settings under PyTorch's keys (<c>"last_epoch"</c>, <c>"base_lrs"</c>,
/// <c>"_step_count"</c>, ...). The per-group values a scheduler keeps in the groups
/// (<c>"initial_lr"</c>, and OneCycleLR's) are saved with the optimizer's state dict. To resume a
/// run, create the model, the optimizer and the scheduler as at the start, then load the
/// optimizer's state dict and the scheduler's (PyTorch's order).
/// </para>
/// <para>
/// The schedulers are <see cref="StepLR"/>, <see cref="MultiStepLR"/>, <see cref="ExponentialLR"/>,
/// <see cref="CosineAnnealingLR"/>, <see cref="LinearLR"/> and <see cref="OneCycleLR"/>;
/// <see cref="ReduceLROnPlateau"/>, stepped with a metric, is a class of its own, as in PyTorch 1.13.
/// For any other schedule, set <see cref="ParamGroup.LearningRate"/> between steps.
/// </para>
/// </remarks>
public abstract class LRScheduler
{
    private double[] _baseLrs = [];
    private double[] _lastLr = [];

    /// <summary>Takes the optimizer; the subclass checks its arguments, then calls <see cref="Start"/>.</summary>
    private protected LRScheduler(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        Optimizer = optimizer;
    }

    /// <summary>The optimizer whose groups' learning rates this scheduler sets.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The number of steps taken since epoch 0 (PyTorch's <c>last_epoch</c>): 0 right after construction.</summary>
    public int LastEpoch { get; private set; } = -1;

    /// <summary>How many times <see cref="Step"/> ran, the constructor's included (PyTorch's <c>_step_count</c>).</summary>
    private protected int StepCount { get; private set; }

    /// <summary>Each group's starting learning rate (PyTorch's <c>base_lrs</c>, the groups' <c>initial_lr</c>).</summary>
    public IReadOnlyList<double> BaseLrs => _baseLrs;

    /// <summary>The groups' learning rates set by the last <see cref="Step"/> (PyTorch's <c>get_last_lr()</c>).</summary>
    public IReadOnlyList<double> GetLastLr() => _lastLr.ToArray();

    private protected IReadOnlyList<ParamGroup> Groups => Optimizer.ParamGroups;

    /// <summary>PyTorch's <c>_LRScheduler.__init__</c> with <c>last_epoch=-1</c>: initial_lr, base_lrs, and the first step.</summary>
    private protected void Start()
    {
        foreach (var group in Groups)
            if (group.InitialLr is null) group.SetScheduled("initial_lr", group.LearningRate);   // group.setdefault('initial_lr', group['lr'])
        _baseLrs = Groups.Select(g => g.InitialLr!.Value).ToArray();
        LastEpoch = -1;
        StepCount = 0;
        Step();
    }

    /// <summary>
    /// Advances one epoch (PyTorch's <c>scheduler.step()</c>) and sets each group's learning rate.
    /// </summary>
    /// <exception cref="InvalidOperationException">A group was added to the optimizer after the scheduler was created, or (OneCycleLR) the schedule is over. Nothing is changed.</exception>
    public void Step()
    {
        if (Groups.Count != _baseLrs.Length)
            throw new InvalidOperationException(
                $"The optimizer has {Groups.Count} parameter groups, but this {GetType().Name} was created for {_baseLrs.Length}; create the scheduler after adding the groups.");
        StepCount++;
        LastEpoch++;
        double[] lrs;
        try
        {
            lrs = GetLr();
        }
        catch
        {
            StepCount--;
            LastEpoch--;
            throw;
        }
        for (int i = 0; i < Groups.Count; i++) Groups[i].SetScheduled("lr", lrs[i]);
        _lastLr = Groups.Select(g => g.LearningRate).ToArray();
    }

    /// <summary>
    /// The groups' learning rates at epoch <see cref="LastEpoch"/> (just advanced), PyTorch's
    /// <c>get_lr</c>: usually from the groups' current learning rates. May set other group options
    /// (OneCycleLR's momentum) only after its checks pass.
    /// </summary>
    private protected abstract double[] GetLr();

    /// <summary>The groups' current learning rates.</summary>
    private protected double[] CurrentLrs() => Groups.Select(g => g.LearningRate).ToArray();

    /// <summary>
    /// The scheduler's state (PyTorch's <c>state_dict()</c>): <c>"last_epoch"</c> and
    /// <c>"_step_count"</c> (<see cref="long"/>), <c>"base_lrs"</c> and <c>"_last_lr"</c>
    /// (<see cref="T:double[]"/>, one per group), and the scheduler's settings under PyTorch's names
    /// (numbers as <see cref="long"/> or <see cref="double"/>, modes as <see cref="string"/>).
    /// Keep it with the optimizer's (<see cref="Optimizer.StateDict"/>) in a checkpoint.
    /// </summary>
    public Dictionary<string, object> StateDict()
    {
        var state = new Dictionary<string, object>(StringComparer.Ordinal);
        SaveSettings(state);
        state["base_lrs"] = _baseLrs.ToArray();
        state["last_epoch"] = (long)LastEpoch;
        state["_step_count"] = (long)StepCount;
        state["_last_lr"] = _lastLr.ToArray();
        return state;
    }

    /// <summary>
    /// Restores a state from <see cref="StateDict"/> (PyTorch's <c>load_state_dict</c>), settings
    /// included. It does not change the groups' learning rates: load the optimizer's state dict too.
    /// </summary>
    /// <param name="stateDict">The state of a scheduler of the same kind, for as many groups.</param>
    /// <exception cref="ArgumentNullException"><paramref name="stateDict"/> is null.</exception>
    /// <exception cref="ArgumentException">A missing, unknown or invalid entry, or lists of another length than the number of groups. Nothing is changed.</exception>
    public void LoadStateDict(IReadOnlyDictionary<string, object> stateDict)
    {
        var reader = new SchedulerStateReader(stateDict, GetType().Name);
        var baseLrs = reader.Doubles("base_lrs", Groups.Count);
        long lastEpoch = reader.Long("last_epoch", min: 0, max: int.MaxValue);
        long stepCount = reader.Long("_step_count", min: 1, max: int.MaxValue);
        var lastLr = reader.Doubles("_last_lr", Groups.Count);
        var apply = LoadSettings(reader);
        reader.CheckNoOtherKeys();
        _baseLrs = baseLrs;
        LastEpoch = (int)lastEpoch;
        StepCount = (int)stepCount;
        _lastLr = lastLr;
        apply();
    }

    /// <summary>Adds the scheduler's own settings to a state dict.</summary>
    private protected abstract void SaveSettings(Dictionary<string, object> state);

    /// <summary>Reads and checks the scheduler's own settings; returns what stores them, run once everything was checked.</summary>
    private protected abstract Action LoadSettings(SchedulerStateReader reader);
}
