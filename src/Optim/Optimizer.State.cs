namespace Autograd.Optim;

// The per-parameter state (momentum buffers, moment estimates, step counts) and its state dict:
// saving it with the groups' options, and loading it back after checking that it fits.
public abstract partial class Optimizer
{
    /// <summary>
    /// The state of <paramref name="parameter"/> (PyTorch's <c>optimizer.state[p]</c>): named tensors
    /// that <see cref="Step"/> keeps from one step to the next, such as a momentum buffer, created
    /// empty at first use. <see cref="StateDict"/> saves it and <see cref="LoadStateDict"/> restores
    /// it. Each tensor must have the parameter's shape and dtype, or be a 0-d tensor (such as an
    /// Int64 step count); write its elements with <see cref="Elements{T}"/>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="parameter"/> is not a parameter of this optimizer.</exception>
    protected IDictionary<string, Tensor> StateOf(Tensor parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        if (_state.TryGetValue(parameter, out var state)) return state;
        if (!_parameters.Contains(parameter, ReferenceEqualityComparer.Instance))
            throw new ArgumentException($"{Describe("the tensor", parameter)} is not a parameter of this optimizer.", nameof(parameter));
        state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        _state[parameter] = state;
        return state;
    }

    /// <summary>The state of <paramref name="parameter"/> if it has any, without creating it.</summary>
    private protected IDictionary<string, Tensor>? ExistingStateOf(Tensor parameter)
        => _state.TryGetValue(parameter, out var state) ? state : null;

    /// <summary>
    /// The elements of <paramref name="tensor"/> (a parameter, a gradient or a state tensor),
    /// row-major, to read or to update in place in <see cref="Step"/>. The tensor's version counter
    /// is bumped, so a graph recorded before the update that saved the old values refuses to run backward.
    /// </summary>
    /// <typeparam name="T"><c>float</c> for a Float32 tensor, <c>double</c> for Float64, <c>long</c> for Int64.</typeparam>
    /// <exception cref="ArgumentException"><typeparamref name="T"/> is not the tensor's element type.</exception>
    /// <exception cref="ObjectDisposedException">The tensor was disposed.</exception>
    protected static Span<T> Elements<T>(Tensor tensor) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.Data is not T[] data)
            throw new ArgumentException($"The tensor is {tensor.DType}; its elements are not {typeof(T).Name}.", nameof(tensor));
        tensor.BumpVersion();
        return data;
    }

    /// <summary>
    /// A copy of the optimizer's state and of its groups' options (PyTorch's <c>state_dict()</c>),
    /// keyed by parameter index as in PyTorch: the indices of <see cref="Parameters"/>, numbered
    /// group after group. The tensors are copies: later steps do not change them.
    /// </summary>
    /// <remarks>
    /// The state holds only the parameters that have taken a step: SGD with momentum keeps
    /// <c>"momentum_buffer"</c>; Adam and AdamW keep <c>"step"</c> (a 0-d Int64 tensor; PyTorch 1.13
    /// keeps a float32), <c>"exp_avg"</c>, <c>"exp_avg_sq"</c> and, with AMSGrad, <c>"max_exp_avg_sq"</c>;
    /// RMSprop keeps <c>"step"</c>, <c>"square_avg"</c> and, when used, <c>"momentum_buffer"</c> and
    /// <c>"grad_avg"</c>; Adagrad keeps <c>"step"</c> and <c>"sum"</c> for every parameter.
    /// Each group lists its parameters' indices and every option of the optimizer (see
    /// <see cref="ParamGroupState.Options"/>).
    /// </remarks>
    /// <exception cref="ObjectDisposedException">A state tensor's parameter was disposed.</exception>
    public OptimizerStateDict StateDict()
    {
        var state = new SortedDictionary<int, IReadOnlyDictionary<string, Tensor>>();
        for (int i = 0; i < _parameters.Count; i++)
        {
            if (!_state.TryGetValue(_parameters[i], out var entry) || entry.Count == 0) continue;
            state[i] = entry.ToDictionary(kv => kv.Key, kv => kv.Value.DetachedCopy(), StringComparer.Ordinal);
        }
        var groups = new List<ParamGroupState>();
        int next = 0;
        foreach (var group in _groups)
        {
            var indices = Enumerable.Range(next, group.Parameters.Count).ToArray();
            next += indices.Length;
            groups.Add(new ParamGroupState(indices, new Dictionary<string, double>(group.OptionValues, StringComparer.Ordinal)));
        }
        return new OptimizerStateDict(state, groups);
    }

    /// <summary>
    /// Restores a state from <see cref="StateDict"/> (PyTorch's <c>load_state_dict</c>): each group's
    /// options, and the state of each parameter, matched by position as PyTorch does (the i-th index
    /// listed by the saved groups is the i-th parameter of this optimizer's groups). The tensors are
    /// copied. A run resumed this way, on a model holding the same parameter values, continues
    /// bit for bit like one that was never interrupted.
    /// </summary>
    /// <param name="stateDict">A state dict of an optimizer of the same kind with the same groups.</param>
    /// <exception cref="ArgumentNullException"><paramref name="stateDict"/> is null.</exception>
    /// <exception cref="ArgumentException">
    /// The state does not fit: another number of groups or of parameters in a group, an index listed
    /// twice, state for an index no group lists, a missing, extra or invalid option, a state tensor
    /// of another shape or dtype than its parameter's, or missing state entries. Nothing is changed.
    /// </exception>
    public void LoadStateDict(OptimizerStateDict stateDict)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        const string paramName = nameof(stateDict);
        var savedGroups = stateDict.ParamGroups;
        if (savedGroups.Count != _groups.Count)
            throw new ArgumentException($"The state dict has {savedGroups.Count} parameter group(s); this {GetType().Name} has {_groups.Count}.", paramName);

        var parameterOf = new Dictionary<int, int>();
        int flat = 0;
        for (int g = 0; g < _groups.Count; g++)
        {
            var saved = savedGroups[g] ?? throw new ArgumentException($"ParamGroups[{g}] of the state dict is null.", paramName);
            if (saved.Parameters.Count != _groups[g].Parameters.Count)
                throw new ArgumentException(
                    $"Group {g} of the state dict has {saved.Parameters.Count} parameter(s); this {GetType().Name}'s group {g} has {_groups[g].Parameters.Count}.", paramName);
            foreach (int index in saved.Parameters)
                if (!parameterOf.TryAdd(index, flat++))
                    throw new ArgumentException($"The state dict lists parameter index {index} twice (group {g}).", paramName);

            foreach (var (key, value) in saved.Options)
            {
                if (ParamGroup.SchedulerKeys.Contains(key))
                {
                    if (!double.IsFinite(value))
                        throw new ArgumentException($"Group {g} of the state dict has '{key}' {OptimChecks.Format(value)}; a scheduler's value is finite.", paramName);
                }
                else if (!_defaults.ContainsKey(key))
                    throw new ArgumentException($"Group {g} of the state dict has the option '{key}', which {GetType().Name} does not have.", paramName);
            }
            foreach (var key in _defaults.Keys)
            {
                if (!saved.Options.TryGetValue(key, out double v))
                    throw new ArgumentException($"Group {g} of the state dict has no option '{key}'.", paramName);
                var option = ParamGroup.Options[key];
                // A scheduler may have set a learning rate just below 0, as PyTorch's does (OneCycleLR's
                // linear annealing at its last step); a group a scheduler manages has an initial_lr.
                if (key == ParamGroup.Lr.Key && saved.Options.ContainsKey("initial_lr")) option = option with { Kind = ParamGroup.OptionKind.Finite };
                try
                {
                    ParamGroup.Check(option, v, paramName, $" (group {g} of the state dict)");
                }
                catch (ArgumentOutOfRangeException e)
                {
                    throw new ArgumentException(e.Message, paramName, e);
                }
            }
            if (GroupOptionsProblem(saved.Options) is string problem)
                throw new ArgumentException($"{problem} (group {g} of the state dict)", paramName);
        }

        var newState = new Dictionary<Tensor, Dictionary<string, Tensor>>(ReferenceEqualityComparer.Instance);
        foreach (var (index, entry) in stateDict.State)
        {
            if (!parameterOf.TryGetValue(index, out int i))
                throw new ArgumentException($"The state dict has state for parameter index {index}, which none of its groups lists.", paramName);
            if (entry is null)
                throw new ArgumentException($"The state of parameter index {index} is null.", paramName);
            var p = _parameters[i];
            foreach (var (key, t) in entry)
            {
                string what = $"State '{key}' of parameter index {index}, for {Describe(i)},";
                if (t is null) throw new ArgumentException($"{what} is null.", paramName);
                if (t.IsDisposed) throw new ArgumentException($"{what} was disposed.", paramName);
                if (!LikeParameter(t, p) && t.Rank != 0)
                    throw new ArgumentException(
                        $"{what} has shape {Shapes.Format(t.Dims)} and dtype {t.DType}; state tensors have the parameter's shape and dtype ({Shapes.Format(p.Dims)}, {p.DType}) or are 0-d.", paramName);
            }
            if (StateProblem(entry, savedGroups[_positions[i].Group].Options, p) is string stateProblem)
                throw new ArgumentException($"The state of parameter index {index}, for {Describe(i)}, {stateProblem}", paramName);
            if (entry.Count > 0)
                newState[p] = entry.ToDictionary(kv => kv.Key, kv => kv.Value.DetachedCopy(), StringComparer.Ordinal);
        }

        for (int g = 0; g < _groups.Count; g++) _groups[g].ReplaceOptions(savedGroups[g].Options);
        _state = newState;
    }

    /// <summary>
    /// What is wrong with a parameter's loaded state (each tensor already has the parameter's shape
    /// and dtype, or is 0-d), given its group's loaded options; null when it fits.
    /// </summary>
    private protected virtual string? StateProblem(IReadOnlyDictionary<string, Tensor> state, IReadOnlyDictionary<string, double> options, Tensor parameter) => null;

    /// <summary>Whether <paramref name="t"/> has <paramref name="parameter"/>'s shape and dtype.</summary>
    private protected static bool LikeParameter(Tensor t, Tensor parameter)
        => t.DType == parameter.DType && t.Dims.AsSpan().SequenceEqual(parameter.Dims);

    /// <summary>"has no 'exp_avg'", "has 'foo', which ... does not keep", for <see cref="StateProblem"/>.</summary>
    private protected string? KeysProblem(IReadOnlyDictionary<string, Tensor> state, IEnumerable<string> required, IEnumerable<string> allowed)
    {
        foreach (var key in required)
            if (!state.ContainsKey(key)) return $"has no '{key}'.";
        var known = allowed.ToHashSet(StringComparer.Ordinal);
        foreach (var key in state.Keys)
            if (!known.Contains(key)) return $"has '{key}', which {GetType().Name} does not keep.";
        return null;
    }
}
