namespace Autograd.Optim;

/// <summary>
/// An optimizer's state and its groups' options (PyTorch's <c>optimizer.state_dict()</c>), from
/// <see cref="Optimizer.StateDict"/>, for <see cref="Optimizer.LoadStateDict"/>.
/// </summary>
/// <remarks>
/// As in PyTorch, parameters are not stored by identity but by index: the position in
/// <see cref="Optimizer.Parameters"/>, numbered group after group from 0. Loading matches the indices
/// each saved group lists with the parameters of the loading optimizer's groups, in order.
/// </remarks>
public sealed class OptimizerStateDict
{
    /// <summary>Creates a state dict (normally <see cref="Optimizer.StateDict"/> does).</summary>
    /// <param name="state">Per parameter index, its named state tensors.</param>
    /// <param name="paramGroups">Per group, its parameter indices and options.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public OptimizerStateDict(IReadOnlyDictionary<int, IReadOnlyDictionary<string, Tensor>> state, IReadOnlyList<ParamGroupState> paramGroups)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(paramGroups);
        State = state;
        ParamGroups = paramGroups;
    }

    /// <summary>
    /// Per parameter index, its state (PyTorch's <c>"state"</c>): for SGD with momentum
    /// <c>"momentum_buffer"</c>; for Adam and AdamW <c>"step"</c> (0-d Int64), <c>"exp_avg"</c>,
    /// <c>"exp_avg_sq"</c> and with AMSGrad <c>"max_exp_avg_sq"</c>; for RMSprop <c>"step"</c>,
    /// <c>"square_avg"</c>, <c>"momentum_buffer"</c>, <c>"grad_avg"</c>; for Adagrad <c>"step"</c> and
    /// <c>"sum"</c>. Parameters that have not taken a step have no entry (except with Adagrad, which
    /// creates every parameter's state in its constructor, as PyTorch does).
    /// </summary>
    public IReadOnlyDictionary<int, IReadOnlyDictionary<string, Tensor>> State { get; }

    /// <summary>The groups, in order (PyTorch's <c>"param_groups"</c>).</summary>
    public IReadOnlyList<ParamGroupState> ParamGroups { get; }
}

/// <summary>One group of an <see cref="OptimizerStateDict"/>: its parameter indices and its options.</summary>
public sealed class ParamGroupState
{
    /// <summary>Creates a group's saved state.</summary>
    /// <param name="parameters">The indices of the group's parameters (PyTorch's <c>"params"</c>).</param>
    /// <param name="options">Every option of the optimizer, as in <see cref="Options"/>.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public ParamGroupState(IReadOnlyList<int> parameters, IReadOnlyDictionary<string, double> options)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(options);
        Parameters = parameters;
        Options = options;
    }

    /// <summary>The indices of the group's parameters (PyTorch's <c>"params"</c>).</summary>
    public IReadOnlyList<int> Parameters { get; }

    /// <summary>
    /// The group's options under PyTorch's keys: <c>"lr"</c>, <c>"weight_decay"</c>, <c>"maximize"</c>;
    /// SGD's <c>"momentum"</c>, <c>"dampening"</c>, <c>"nesterov"</c>; Adam's and AdamW's
    /// <c>"beta1"</c>, <c>"beta2"</c> (PyTorch's <c>"betas"</c> pair), <c>"eps"</c>, <c>"amsgrad"</c>.
    /// RMSprop's <c>"alpha"</c>, <c>"centered"</c>; Adagrad's <c>"lr_decay"</c>,
    /// <c>"initial_accumulator_value"</c>. A flag is 1 (true) or 0 (false). A learning-rate scheduler
    /// adds its per-group values, as in PyTorch: <c>"initial_lr"</c>, and OneCycleLR's <c>"max_lr"</c>,
    /// <c>"min_lr"</c>, <c>"max_momentum"</c>, <c>"base_momentum"</c>.
    /// </summary>
    public IReadOnlyDictionary<string, double> Options { get; }
}
