namespace Autograd.Optim;

/// <summary>
/// A set of parameters with its own hyper-parameters (one entry of PyTorch's
/// <c>optimizer.param_groups</c>): an option left unset takes the optimizer's default when the group
/// is given to an optimizer.
/// </summary>
/// <remarks>
/// <para>
/// <c>new SGD([new ParamGroup(weights, weightDecay: 1e-4), new ParamGroup(biases)], lr: 0.1, momentum: 0.9)</c>
/// decays the weights but not the biases, both with learning rate 0.1 and momentum 0.9. Only the
/// options of the optimizer the group is given to may be set (SGD: lr, momentum, dampening,
/// weightDecay, nesterov, maximize; Adam and AdamW: lr, beta1, beta2, eps, weightDecay, amsgrad,
/// maximize; RMSprop: lr, alpha, eps, weightDecay, momentum, centered, maximize; Adagrad: lr, lrDecay,
/// weightDecay, initialAccumulatorValue, eps, maximize); any other is refused rather than silently ignored.
/// </para>
/// <para>
/// Once the optimizer holds the group (<see cref="Optimizer.ParamGroups"/>), every option of that
/// optimizer has a value, and setting one between steps takes effect at the next
/// <see cref="Optimizer.Step"/>, the state being kept, as setting <c>param_groups[i]["lr"]</c> does in
/// PyTorch. A group belongs to one optimizer only.
/// </para>
/// </remarks>
public sealed class ParamGroup
{
    /// <summary>An option: its key in state dicts (PyTorch's, betas split in two), C# name, description, and kind.</summary>
    internal sealed record Option(string Key, string Name, string What, OptionKind Kind);

    internal enum OptionKind { NonNegative, Finite, Beta, Flag }

    internal static readonly Option Lr = new("lr", "lr", "learning rate", OptionKind.NonNegative);
    internal static readonly Option WeightDecayOption = new("weight_decay", "weightDecay", "weight decay", OptionKind.NonNegative);
    internal static readonly Option MomentumOption = new("momentum", "momentum", "momentum", OptionKind.NonNegative);
    internal static readonly Option DampeningOption = new("dampening", "dampening", "dampening", OptionKind.Finite);
    internal static readonly Option NesterovOption = new("nesterov", "nesterov", "nesterov", OptionKind.Flag);
    internal static readonly Option Beta1Option = new("beta1", "beta1", "beta1", OptionKind.Beta);
    internal static readonly Option Beta2Option = new("beta2", "beta2", "beta2", OptionKind.Beta);
    internal static readonly Option EpsOption = new("eps", "eps", "epsilon", OptionKind.NonNegative);
    internal static readonly Option AmsgradOption = new("amsgrad", "amsgrad", "amsgrad", OptionKind.Flag);
    internal static readonly Option MaximizeOption = new("maximize", "maximize", "maximize", OptionKind.Flag);
    internal static readonly Option AlphaOption = new("alpha", "alpha", "alpha", OptionKind.NonNegative);
    internal static readonly Option CenteredOption = new("centered", "centered", "centered", OptionKind.Flag);
    internal static readonly Option LrDecayOption = new("lr_decay", "lrDecay", "learning rate decay", OptionKind.NonNegative);
    internal static readonly Option InitialAccumulatorValueOption =
        new("initial_accumulator_value", "initialAccumulatorValue", "initial accumulator value", OptionKind.NonNegative);

    internal static readonly IReadOnlyDictionary<string, Option> Options = new[]
    {
        Lr, WeightDecayOption, MomentumOption, DampeningOption, NesterovOption,
        Beta1Option, Beta2Option, EpsOption, AmsgradOption, MaximizeOption,
        AlphaOption, CenteredOption, LrDecayOption, InitialAccumulatorValueOption,
    }.ToDictionary(o => o.Key, StringComparer.Ordinal);

    private readonly Tensor[] _parameters;
    private readonly Dictionary<string, double> _options = new(StringComparer.Ordinal);

    /// <summary>Creates a group; an option left null takes the optimizer's default.</summary>
    /// <param name="parameters">The group's tensors, enumerated once (checked by the optimizer: Float32 or Float64 leaves that require grad, in no other group).</param>
    /// <param name="lr">The learning rate, a finite number &gt;= 0.</param>
    /// <param name="weightDecay">The weight decay (SGD and Adam: L2 penalty; AdamW: decoupled), a finite number &gt;= 0.</param>
    /// <param name="momentum">SGD's and RMSprop's momentum factor, a finite number &gt;= 0.</param>
    /// <param name="dampening">SGD's dampening, a finite number.</param>
    /// <param name="nesterov">SGD's Nesterov momentum (needs momentum &gt; 0 and dampening 0 in this group).</param>
    /// <param name="beta1">Adam's and AdamW's β₁, in [0, 1).</param>
    /// <param name="beta2">Adam's and AdamW's β₂, in [0, 1).</param>
    /// <param name="eps">The ε of Adam, AdamW, RMSprop and Adagrad, a finite number &gt;= 0.</param>
    /// <param name="amsgrad">Adam's and AdamW's AMSGrad.</param>
    /// <param name="maximize">Maximize the objective instead of minimizing it.</param>
    /// <param name="alpha">RMSprop's smoothing constant α, a finite number &gt;= 0.</param>
    /// <param name="centered">RMSprop's centered variant (divides by an estimate of the gradient's standard deviation).</param>
    /// <param name="lrDecay">Adagrad's learning rate decay, a finite number &gt;= 0.</param>
    /// <param name="initialAccumulatorValue">Adagrad's starting value of the sum of squared gradients, a finite number &gt;= 0.</param>
    /// <exception cref="ArgumentNullException"><paramref name="parameters"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of its range, NaN or infinite.</exception>
    public ParamGroup(IEnumerable<Tensor> parameters, double? lr = null, double? weightDecay = null,
        double? momentum = null, double? dampening = null, bool? nesterov = null,
        double? beta1 = null, double? beta2 = null, double? eps = null, bool? amsgrad = null, bool? maximize = null,
        double? alpha = null, bool? centered = null, double? lrDecay = null, double? initialAccumulatorValue = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _parameters = parameters.ToArray();
        Parameters = Array.AsReadOnly(_parameters);
        void Put(Option option, double? value)
        {
            if (value is double v) _options[option.Key] = Check(option, v, option.Name, "");
        }
        Put(Lr, lr);
        Put(WeightDecayOption, weightDecay);
        Put(MomentumOption, momentum);
        Put(DampeningOption, dampening);
        Put(NesterovOption, Flag(nesterov));
        Put(Beta1Option, beta1);
        Put(Beta2Option, beta2);
        Put(EpsOption, eps);
        Put(AmsgradOption, Flag(amsgrad));
        Put(MaximizeOption, Flag(maximize));
        Put(AlphaOption, alpha);
        Put(CenteredOption, Flag(centered));
        Put(LrDecayOption, lrDecay);
        Put(InitialAccumulatorValueOption, initialAccumulatorValue);
    }

    private static double? Flag(bool? value) => value is bool b ? (b ? 1 : 0) : null;

    /// <summary>The group's tensors, in the order they were given.</summary>
    public IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>The optimizer holding this group, or null before it is given to one.</summary>
    internal Optimizer? Owner { get; set; }

    /// <summary>The options set so far (all of the owner's once it holds the group), keyed as in state dicts.</summary>
    internal IReadOnlyDictionary<string, double> OptionValues => _options;

    /// <summary>The learning rate γ of this group.</summary>
    /// <exception cref="InvalidOperationException">Read before the group has a value (it was not set and no optimizer holds the group yet).</exception>
    /// <exception cref="ArgumentOutOfRangeException">Set to a negative, NaN or infinite value (the old value is kept).</exception>
    public double LearningRate { get => Get(Lr); set => Set(Lr, value); }

    /// <summary>The weight decay λ of this group (SGD and Adam: L2 penalty; AdamW: decoupled decay).</summary>
    /// <exception cref="InvalidOperationException">Read before the group has a value.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Set to a negative, NaN or infinite value.</exception>
    public double WeightDecay { get => Get(WeightDecayOption); set => Set(WeightDecayOption, value); }

    /// <summary>SGD's and RMSprop's momentum factor μ for this group.</summary>
    /// <exception cref="InvalidOperationException">Read before the group has a value, or set on a group an Adam holds.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Set to a negative, NaN or infinite value.</exception>
    public double Momentum { get => Get(MomentumOption); set => Set(MomentumOption, value); }

    /// <summary>SGD's dampening τ for this group.</summary>
    /// <exception cref="InvalidOperationException">Read before the group has a value, or set on a group an Adam holds.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Set to NaN or infinity.</exception>
    public double Dampening { get => Get(DampeningOption); set => Set(DampeningOption, value); }

    /// <summary>Whether SGD uses Nesterov momentum for this group (checked against momentum and dampening at each step).</summary>
    /// <exception cref="InvalidOperationException">Read before the group has a value, or set on a group an Adam holds.</exception>
    public bool Nesterov { get => Get(NesterovOption) != 0; set => Set(NesterovOption, value ? 1 : 0); }

    /// <summary>Adam's and AdamW's β₁ for this group.</summary>
    /// <exception cref="InvalidOperationException">Read before the group has a value, or set on a group an SGD holds.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Set outside [0, 1).</exception>
    public double Beta1 { get => Get(Beta1Option); set => Set(Beta1Option, value); }

    /// <summary>Adam's and AdamW's β₂ for this group.</summary>
    /// <exception cref="InvalidOperationException">Read before the group has a value, or set on a group an SGD holds.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Set outside [0, 1).</exception>
    public double Beta2 { get => Get(Beta2Option); set => Set(Beta2Option, value); }

    /// <summary>The ε of Adam, AdamW, RMSprop and Adagrad for this group.</summary>
    /// <exception cref="InvalidOperationException">Read before the group has a value, or set on a group an SGD holds.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Set to a negative, NaN or infinite value.</exception>
    public double Eps { get => Get(EpsOption); set => Set(EpsOption, value); }

    /// <summary>Whether Adam and AdamW use AMSGrad for this group.</summary>
    /// <exception cref="InvalidOperationException">Read before the group has a value, or set on a group an SGD holds.</exception>
    public bool Amsgrad { get => Get(AmsgradOption) != 0; set => Set(AmsgradOption, value ? 1 : 0); }

    /// <summary>Whether this group maximizes the objective.</summary>
    /// <exception cref="InvalidOperationException">Read before the group has a value.</exception>
    public bool Maximize { get => Get(MaximizeOption) != 0; set => Set(MaximizeOption, value ? 1 : 0); }

    /// <summary>RMSprop's smoothing constant α for this group.</summary>
    /// <exception cref="InvalidOperationException">Read before the group has a value, or set on a group another optimizer than RMSprop holds.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Set to a negative, NaN or infinite value.</exception>
    public double Alpha { get => Get(AlphaOption); set => Set(AlphaOption, value); }

    /// <summary>Whether RMSprop uses its centered variant for this group.</summary>
    /// <exception cref="InvalidOperationException">Read before the group has a value, or set on a group another optimizer than RMSprop holds.</exception>
    public bool Centered { get => Get(CenteredOption) != 0; set => Set(CenteredOption, value ? 1 : 0); }

    /// <summary>Adagrad's learning rate decay for this group.</summary>
    /// <exception cref="InvalidOperationException">Read before the group has a value, or set on a group another optimizer than Adagrad holds.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Set to a negative, NaN or infinite value.</exception>
    public double LrDecay { get => Get(LrDecayOption); set => Set(LrDecayOption, value); }

    /// <summary>Adagrad's starting value of the sum of squared gradients for this group (used when a parameter's state is created).</summary>
    /// <exception cref="InvalidOperationException">Read before the group has a value, or set on a group another optimizer than Adagrad holds.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Set to a negative, NaN or infinite value.</exception>
    public double InitialAccumulatorValue { get => Get(InitialAccumulatorValueOption); set => Set(InitialAccumulatorValueOption, value); }

    /// <summary>
    /// The keys a learning-rate scheduler stores in a group, as PyTorch's schedulers do
    /// (<c>group["initial_lr"]</c>, and OneCycleLR's <c>"max_lr"</c>, <c>"min_lr"</c>,
    /// <c>"max_momentum"</c>, <c>"base_momentum"</c>); the optimizer's state dict saves and loads them.
    /// </summary>
    internal static readonly IReadOnlySet<string> SchedulerKeys =
        new HashSet<string>(["initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum"], StringComparer.Ordinal);

    /// <summary>
    /// The learning rate a scheduler started from (PyTorch's <c>group["initial_lr"]</c>, its
    /// <c>base_lrs</c>), set by the first scheduler created on the optimizer; null before.
    /// </summary>
    public double? InitialLr => SchedulerValue("initial_lr");

    /// <summary>A value a scheduler stored (a key of <see cref="SchedulerKeys"/>), or null.</summary>
    internal double? SchedulerValue(string key) => _options.TryGetValue(key, out double v) ? v : null;

    /// <summary>
    /// Sets an option or a scheduler value as a scheduler computed it, unchecked but finite: PyTorch's
    /// schedulers write <c>group["lr"]</c> without the constructor's checks (OneCycleLR's linear
    /// annealing can pass just below its final value).
    /// </summary>
    internal void SetScheduled(string key, double value)
    {
        if (!double.IsFinite(value))
            throw new InvalidOperationException($"The scheduler computed a non-finite '{key}' ({OptimChecks.Format(value)}).");
        _options[key] = value;
    }

    private double Get(Option option)
    {
        if (_options.TryGetValue(option.Key, out double value)) return value;
        throw new InvalidOperationException(Owner is null
            ? $"This group's {option.What} is not set: it takes the optimizer's default once the group is given to an optimizer."
            : $"{Owner.GetType().Name} has no option '{option.Name}'.");
    }

    private void Set(Option option, double value)
    {
        if (Owner is not null && !Owner.HasOption(option.Key))
            throw new InvalidOperationException($"{Owner.GetType().Name} has no option '{option.Name}'; it would be ignored.");
        _options[option.Key] = Check(option, value, "value", "");
    }

    /// <summary>Checks one option's value as the optimizers' constructors do; returns it.</summary>
    internal static double Check(Option option, double value, string paramName, string where)
    {
        switch (option.Kind)
        {
            case OptionKind.NonNegative: OptimChecks.NonNegative(value, paramName, option.What + where); break;
            case OptionKind.Finite: OptimChecks.Finite(value, paramName, option.What + where); break;
            case OptionKind.Beta: OptimChecks.Beta(value, paramName, option.What + where); break;
            case OptionKind.Flag:
                if (value is not (0 or 1))
                    throw new ArgumentOutOfRangeException(paramName, value, $"Invalid {option.What}{where}: {OptimChecks.Format(value)}; a flag is 0 (false) or 1 (true).");
                break;
        }
        return value;
    }

    /// <summary>Takes the options the group left unset from the defaults (the owner is set by the caller).</summary>
    internal void FillDefaults(IReadOnlyDictionary<string, double> defaults)
    {
        foreach (var (key, value) in defaults) _options.TryAdd(key, value);
    }

    /// <summary>Replaces every option (a loaded state dict; already checked).</summary>
    internal void ReplaceOptions(IReadOnlyDictionary<string, double> options)
    {
        _options.Clear();
        foreach (var (key, value) in options) _options[key] = value;
    }
}
