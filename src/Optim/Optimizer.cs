namespace Autograd.Optim;

/// <summary>
/// Base class of the optimizers (like <c>torch.optim.Optimizer</c>): holds the parameters, the
/// learning rate and <see cref="ZeroGrad"/>; a subclass implements <see cref="Step"/>.
/// </summary>
/// <remarks>
/// <para>
/// A training step is <c>optimizer.ZeroGrad(); loss.Backward(); optimizer.Step();</c>.
/// <see cref="Step"/> reads each parameter's <see cref="Tensor.Grad"/> and updates the parameter's
/// data in place. It never records on the tape, so parameters stay leaves; it bumps each updated
/// tensor's version, so a graph recorded before the step (which may have saved the old values) is
/// refused by a later backward instead of silently using the new values.
/// </para>
/// <para>
/// A parameter whose <see cref="Tensor.Grad"/> is null is skipped entirely, as in PyTorch: neither
/// the parameter nor its optimizer state (momentum, moment estimates, step count) changes. A zero
/// gradient is different: the step still runs and decays the state.
/// </para>
/// <para>
/// The parameters come in groups (<see cref="ParamGroups"/>, PyTorch's <c>param_groups</c>), each with
/// its own hyper-parameters; an optimizer created from a plain list of tensors has one group.
/// The per-parameter state (momentum buffers, moment estimates, step counts) lives in the optimizer,
/// and <see cref="StateDict"/>/<see cref="LoadStateDict"/> save and restore it with the groups'
/// options, so a training run can be checkpointed and resumed exactly.
/// </para>
/// <para>
/// To write an optimizer, derive from this class, pass the parameters and the default learning rate
/// to the base constructor, and implement <see cref="Step"/>: call <see cref="CheckParameters"/>,
/// then for each group and each of its parameters with a gradient, update the parameter's elements
/// (<see cref="Elements{T}"/>) using the group's options and the parameter's state
/// (<see cref="StateOf"/>, which <see cref="StateDict"/> saves). docs/optimizers.md has an example.
/// </para>
/// </remarks>
public abstract partial class Optimizer
{
    private readonly List<ParamGroup> _groups = [];
    private readonly IReadOnlyList<ParamGroup> _readOnlyGroups;
    private readonly List<Tensor> _parameters = [];
    private readonly IReadOnlyList<Tensor> _readOnlyParameters;
    private readonly List<(int Group, int Position)> _positions = [];
    private Dictionary<Tensor, Dictionary<string, Tensor>> _state = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<string, double> _defaults;
    private readonly bool _fromList;

    /// <summary>Checks and stores the parameters (one group) and the learning rate.</summary>
    /// <param name="parameters">The tensors to optimize, enumerated once: Float32 or Float64 leaves that require grad, each at most once.</param>
    /// <param name="lr">The learning rate, a finite number &gt;= 0.</param>
    /// <exception cref="ArgumentNullException"><paramref name="parameters"/> is null.</exception>
    /// <exception cref="ArgumentException">The list is empty, or a parameter is null, Int64, not a leaf, does not require grad, or appears twice.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="lr"/> is negative, NaN or infinite.</exception>
    protected Optimizer(IEnumerable<Tensor> parameters, double lr)
        : this(ListGroup(parameters), fromList: true, new Dictionary<string, double> { ["lr"] = lr })
    {
    }

    /// <summary>Checks and stores the parameter groups; a group without a learning rate takes <paramref name="lr"/>.</summary>
    /// <param name="paramGroups">The groups, enumerated once; together they hold at least one parameter, and no parameter is in two groups. A group may set only its learning rate.</param>
    /// <param name="lr">The default learning rate, a finite number &gt;= 0.</param>
    /// <exception cref="ArgumentNullException"><paramref name="paramGroups"/> is null.</exception>
    /// <exception cref="ArgumentException">No parameter at all, a null group, a group another optimizer holds, a group setting another option than the learning rate, or a bad parameter (as for a list), named by group and position.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="lr"/> is negative, NaN or infinite.</exception>
    protected Optimizer(IEnumerable<ParamGroup> paramGroups, double lr)
        : this(paramGroups, fromList: false, new Dictionary<string, double> { ["lr"] = lr })
    {
    }

    /// <summary>
    /// The constructor of SGD, Adam and AdamW: <paramref name="defaults"/> holds every option of the
    /// optimizer (keys of <see cref="ParamGroup.Options"/>), checked after the parameters.
    /// </summary>
    private protected Optimizer(IEnumerable<ParamGroup> paramGroups, bool fromList, Dictionary<string, double> defaults)
    {
        ArgumentNullException.ThrowIfNull(paramGroups);
        _readOnlyGroups = _groups.AsReadOnly();
        _readOnlyParameters = _parameters.AsReadOnly();
        _fromList = fromList;
        var groups = paramGroups.ToArray();
        string paramName = fromList ? "parameters" : nameof(paramGroups);
        CheckNewGroups(groups, paramName);
        if (groups.Sum(g => g.Parameters.Count) == 0)
            throw new ArgumentException("optimizer got an empty parameter list", paramName);

        foreach (var (key, value) in defaults)
        {
            var option = ParamGroup.Options[key];
            ParamGroup.Check(option, value, option.Name, "");
        }
        if (GroupOptionsProblem(defaults) is string problem)
            throw new ArgumentException(problem, ParamGroup.NesterovOption.Name);
        _defaults = defaults;
        Adopt(groups, paramName);
    }

    private protected static ParamGroup[] ListGroup(IEnumerable<Tensor> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return [new ParamGroup(parameters)];
    }

    /// <summary>The optimized tensors, group after group, in the order they were given (the indices of <see cref="StateDict"/>).</summary>
    public IReadOnlyList<Tensor> Parameters => _readOnlyParameters;

    /// <summary>
    /// The parameter groups (PyTorch's <c>param_groups</c>): set a group's options, such as its
    /// <see cref="ParamGroup.LearningRate"/>, between steps; the state is kept.
    /// </summary>
    public IReadOnlyList<ParamGroup> ParamGroups => _readOnlyGroups;

    /// <summary>
    /// The learning rate of the first group (PyTorch's <c>param_groups[0]["lr"]</c>). Setting it sets
    /// every group's learning rate, as the loop <c>for g in optimizer.param_groups: g["lr"] = lr</c>
    /// does; to schedule groups differently, set <see cref="ParamGroup.LearningRate"/> on each.
    /// The optimizer state is kept.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative, NaN or infinite (no group is changed).</exception>
    public double LearningRate
    {
        get => _groups[0].LearningRate;
        set
        {
            OptimChecks.NonNegative(value, nameof(value), "learning rate");
            foreach (var group in _groups) group.LearningRate = value;
        }
    }

    /// <summary>
    /// Adds a group of parameters (PyTorch's <c>add_param_group</c>), for instance layers unfrozen
    /// during fine-tuning; its unset options take the optimizer's defaults (the values given to its
    /// constructor). A failed call changes nothing.
    /// </summary>
    /// <param name="paramGroup">The group: its parameters must be usable (see the constructor) and in no other group.</param>
    /// <exception cref="ArgumentNullException"><paramref name="paramGroup"/> is null.</exception>
    /// <exception cref="ArgumentException">A bad or duplicate parameter (named), an option this optimizer does not have, an inconsistent option (SGD's nesterov), or the group is already held by an optimizer.</exception>
    public void AddParamGroup(ParamGroup paramGroup)
    {
        ArgumentNullException.ThrowIfNull(paramGroup);
        CheckNewGroups([paramGroup], nameof(paramGroup));
        Adopt([paramGroup], nameof(paramGroup));
    }

    /// <summary>The default of option <paramref name="key"/>, given to the constructor.</summary>
    private protected double Default(string key) => _defaults[key];

    /// <summary>Whether this optimizer has the option <paramref name="key"/> (a key of <see cref="ParamGroup.Options"/>).</summary>
    internal bool HasOption(string key) => _defaults.ContainsKey(key);

    /// <summary>
    /// Checks new groups' parameters against each other and those already held: usable tensors,
    /// each in one group only. Changes nothing.
    /// </summary>
    private void CheckNewGroups(ParamGroup[] groups, string paramName)
    {
        var firstSeen = new Dictionary<Tensor, string>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < _parameters.Count; i++) firstSeen[_parameters[i]] = Describe(i);
        for (int g = 0; g < groups.Length; g++)
        {
            var group = groups[g];
            string groupName = paramName == "paramGroups" ? $"paramGroups[{g}]" : paramName;
            if (group is null)
                throw new ArgumentException($"{groupName} is null.", paramName);
            if (group.Owner is not null)
                throw new ArgumentException($"{groupName} already belongs to a {group.Owner.GetType().Name}; a group can belong to one optimizer only (create a new ParamGroup).", paramName);
            if (groups.Take(g).Any(other => ReferenceEquals(other, group)))
                throw new ArgumentException($"{groupName} is listed twice.", paramName);
            for (int j = 0; j < group.Parameters.Count; j++)
            {
                var p = group.Parameters[j];
                string where = paramName == "parameters" ? $"parameters[{j}]" : $"{groupName}.Parameters[{j}]";
                if (p is null)
                    throw new ArgumentException($"{where} is null.", paramName);
                where = Describe(where, p);
                if (!p.DType.IsFloatingPoint())
                    throw new ArgumentException($"{where} is {p.DType}; only Float32 and Float64 tensors can be optimized.", paramName);
                if (!p.IsLeaf)
                    throw new ArgumentException(
                        $"{where} is not a leaf: it was produced by {p.GradFnName}, and can't be optimized. " +
                        "Optimize the leaf tensors it was computed from (or a Detach()ed copy with RequiresGrad = true).", paramName);
                if (!p.RequiresGrad)
                    throw new ArgumentException(
                        $"{where} does not require grad, so it would never receive a gradient. Set RequiresGrad = true, or leave it out.", paramName);
                if (!firstSeen.TryAdd(p, where))
                    throw new ArgumentException(paramName == "parameters"
                        ? $"{where} is the same tensor as {ShortName(firstSeen[p])}; each parameter may appear only once."
                        : $"{where} is the same tensor as {ShortName(firstSeen[p])}; a parameter may be in one group only, and once.", paramName);
            }
        }
    }

    /// <summary>"parameters[0] ('w', shape [2])" -> "parameters[0]".</summary>
    private static string ShortName(string described) => described[..described.IndexOf(" (", StringComparison.Ordinal)];

    /// <summary>Checks the new groups' options, fills their defaults and takes them (their parameters were checked).</summary>
    private void Adopt(ParamGroup[] groups, string paramName)
    {
        var resolved = new Dictionary<string, double>[groups.Length];
        for (int g = 0; g < groups.Length; g++)
        {
            string where = paramName switch { "parameters" => "", "paramGroups" => $" (paramGroups[{g}])", _ => $" ({paramName})" };
            foreach (var key in groups[g].OptionValues.Keys)
                if (!_defaults.ContainsKey(key))
                    throw new ArgumentException($"{GetType().Name} has no option '{ParamGroup.Options[key].Name}'{where}; it would be ignored.", paramName);
            resolved[g] = new Dictionary<string, double>(_defaults, StringComparer.Ordinal);
            foreach (var (key, value) in groups[g].OptionValues) resolved[g][key] = value;
            if (GroupOptionsProblem(resolved[g]) is string problem)
                throw new ArgumentException(problem + where, paramName);
        }
        for (int g = 0; g < groups.Length; g++)
        {
            var group = groups[g];
            group.FillDefaults(_defaults);
            group.Owner = this;
            for (int j = 0; j < group.Parameters.Count; j++)
            {
                _parameters.Add(group.Parameters[j]);
                _positions.Add((_groups.Count, j));
            }
            _groups.Add(group);
        }
    }

    /// <summary>
    /// Checks a group's options together (each was checked on its own), for a new group, a loaded one,
    /// and before each step: SGD's Nesterov momentum needs momentum and no dampening.
    /// </summary>
    /// <returns>What is wrong, or null.</returns>
    private protected virtual string? GroupOptionsProblem(IReadOnlyDictionary<string, double> options) => null;

    /// <summary>
    /// Clears the parameters' gradients before the next backward pass, which would otherwise add to them.
    /// </summary>
    /// <param name="setToNone">
    /// False (the default, as in PyTorch 1.13's <c>zero_grad(set_to_none=False)</c>): fill each existing
    /// gradient with zeros in place, so the same gradient tensors are reused by the next backward
    /// and a parameter that then gets no gradient still takes a step with a zero gradient.
    /// True: set every gradient to null, so a parameter that gets no gradient is skipped by <see cref="Step"/>.
    /// </param>
    /// <remarks>
    /// A gradient that is itself part of a graph (from <c>Backward(createGraph: true)</c>) is replaced by a
    /// fresh zero tensor rather than zeroed in place, which is what PyTorch's <c>grad.detach_().zero_()</c>
    /// amounts to: the graph that produced it is left intact.
    /// </remarks>
    /// <exception cref="ObjectDisposedException">A parameter or gradient was disposed (nothing is changed).</exception>
    public void ZeroGrad(bool setToNone = false)
    {
        CheckUsable();
        foreach (var p in _parameters)
        {
            var grad = p.Grad;
            if (grad is null) continue;
            if (setToNone)
                p.Grad = null;
            else if (!grad.IsLeaf)
                p.Grad = Tensor.ZerosLike(grad);
            else
            {
                grad.RequiresGrad = false;
                Array.Clear(grad.Data);
                grad.BumpVersion();
            }
        }
    }

    /// <summary>
    /// Updates every parameter that has a gradient, in place, by one step of the algorithm, each with
    /// its group's options. Every parameter, gradient and group is checked first: a step that throws
    /// changes nothing.
    /// </summary>
    /// <exception cref="InvalidOperationException">A gradient's dtype differs from its parameter's, a parameter was replaced by <c>Module.To</c> after this optimizer was created, or a group's options were set inconsistently (SGD's nesterov).</exception>
    /// <exception cref="ObjectDisposedException">A parameter or gradient was disposed.</exception>
    public abstract void Step();

    /// <summary>
    /// Checks every parameter, gradient and group before a step changes any of them, so that a step
    /// that throws leaves all parameters as they were: no parameter was disposed or replaced by
    /// <c>Module.To</c>, no gradient was disposed, each gradient has its parameter's dtype, and each
    /// group's options fit together. Call it first in <see cref="Step"/>.
    /// </summary>
    /// <exception cref="ObjectDisposedException">A parameter or gradient was disposed.</exception>
    /// <exception cref="InvalidOperationException">A gradient's dtype differs from its parameter's, a parameter was replaced, or a group's options are inconsistent.</exception>
    protected void CheckParameters()
    {
        CheckUsable();
        for (int i = 0; i < _parameters.Count; i++) GradientOf(i);
        for (int g = 0; g < _groups.Count; g++)
            if (GroupOptionsProblem(_groups[g].OptionValues) is string problem)
                throw new InvalidOperationException($"{problem} (paramGroups[{g}])");
    }

    /// <summary>No parameter was replaced by <c>Module.To</c> after this optimizer was created, and none, nor any gradient, was disposed.</summary>
    private void CheckUsable()
    {
        for (int i = 0; i < _parameters.Count; i++)
        {
            var p = _parameters[i];
            if (ReplacedParameters.ReplacedBy(p) is string by)
                throw new InvalidOperationException(
                    $"{Describe(i)} was replaced by {by}: the model now holds a converted copy, and this optimizer still updates the old tensor. Create the optimizer after converting the model.");
            if (p.IsDisposed)
                throw new ObjectDisposedException(nameof(Tensor), $"{Describe(i)} was disposed; an optimizer cannot update a disposed parameter.");
            if (p.Grad is { IsDisposed: true })
                throw new ObjectDisposedException(nameof(Tensor), $"The Grad of {Describe(i)} was disposed; set it to null instead (or call ZeroGrad(setToNone: true) before disposing).");
        }
    }

    /// <summary>
    /// The gradient of parameter <paramref name="index"/>, or null when it has none (the step skips it).
    /// </summary>
    /// <exception cref="InvalidOperationException">The gradient's dtype differs from the parameter's.</exception>
    private protected Tensor? GradientOf(int index)
    {
        var p = _parameters[index];
        var grad = p.Grad;
        if (grad is not null && grad.DType != p.DType)
            throw new InvalidOperationException(
                $"{Describe(index)} is {p.DType} but its Grad is {grad.DType}; a gradient must have its parameter's dtype.");
        return grad;
    }

    /// <summary>The group holding parameter <paramref name="index"/> (an index of <see cref="Parameters"/>).</summary>
    private protected ParamGroup GroupOf(int index) => _groups[_positions[index].Group];

    /// <summary>"parameters[3] ('fc1.weight', shape [16, 8])", or "paramGroups[1].Parameters[0] (...)" with several groups, for error messages.</summary>
    private protected string Describe(int index)
    {
        var (g, j) = _positions[index];
        return Describe(_fromList && _groups.Count == 1 ? $"parameters[{j}]" : $"paramGroups[{g}].Parameters[{j}]", _parameters[index]);
    }

    private static string Describe(string where, Tensor p)
    {
        string name = p.Name is null ? "" : $"'{p.Name}', ";
        return $"{where} ({name}shape {Shapes.Format(p.Dims)})";
    }
}
