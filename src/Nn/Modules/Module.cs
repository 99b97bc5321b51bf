using System.Text;

namespace Autograd.Nn;

/// <summary>
/// The base class of every layer and model (like <c>torch.nn.Module</c>): it owns named
/// parameters and named child modules, and from them derives <see cref="Parameters"/>,
/// <see cref="NamedParameters"/>, <see cref="StateDict"/>, train/eval mode and the printed
/// form. A subclass registers its parameters and children in its constructor and implements
/// <see cref="Forward"/>.
/// </summary>
/// <remarks>
/// <code>
/// sealed class TwoLayer : Module
/// {
///     private readonly Linear _hidden, _output;
///
///     public TwoLayer(Generator g)
///     {
///         _hidden = RegisterModule("hidden", new Linear(4, 8, generator: g));
///         _output = RegisterModule("output", new Linear(8, 1, generator: g));
///     }
///
///     public override Tensor Forward(Tensor x) => _output.Forward(_hidden.Forward(x).Relu());
/// }
/// // NamedParameters(): hidden.weight, hidden.bias, output.weight, output.bias
/// </code>
/// Parameters are leaf tensors with <see cref="Tensor.RequiresGrad"/> set. Their values change in
/// place (optimizers, <see cref="LoadStateDict"/>), but <see cref="To"/> replaces them with new
/// tensors, so create optimizers after converting a model.
/// </remarks>
public abstract partial class Module
{
    private sealed class ParameterSlot(string name, Tensor value)
    {
        public string Name { get; } = name;

        public Tensor Value { get; set; } = value;
    }

    private readonly List<ParameterSlot> _parameters = [];
    private readonly List<(string Name, Module Module)> _children = [];

    /// <summary>
    /// True in training mode (the default), false in evaluation mode. Layers such as
    /// <see cref="Dropout"/> behave differently in the two. Set with <see cref="Train"/> and
    /// <see cref="Eval"/>.
    /// </summary>
    public bool Training { get; private set; } = true;

    /// <summary>Computes the module's output for <paramref name="input"/>, recording the ops for backward.</summary>
    /// <param name="input">The input tensor; the accepted shapes are documented by each module.</param>
    /// <returns>The output tensor.</returns>
    public abstract Tensor Forward(Tensor input);

    // ------------------------------------------------------------------ registration

    /// <summary>
    /// Registers <paramref name="parameter"/> under <paramref name="name"/> (like
    /// <c>register_parameter</c>) and marks it as requiring grad. Names appear in
    /// <see cref="NamedParameters"/> in registration order, after the module's own prefix.
    /// </summary>
    /// <param name="name">A non-empty name without '.', unique among this module's parameters and children.</param>
    /// <param name="parameter">A floating point leaf tensor.</param>
    /// <returns><paramref name="parameter"/>, for assignment to a field.</returns>
    /// <exception cref="ArgumentException">The name is empty, contains '.', or is taken; or the tensor is Int64 or not a leaf.</exception>
    protected Tensor RegisterParameter(string name, Tensor parameter)
    {
        ValidateName(name, "parameter");
        ArgumentNullException.ThrowIfNull(parameter);
        if (!parameter.DType.IsFloatingPoint())
            throw new ArgumentException($"Parameter '{name}' must be Float32 or Float64, got {parameter.DType} with shape {Shapes.Format(parameter.Dims)}.", nameof(parameter));
        if (!parameter.IsLeaf)
            throw new ArgumentException($"Parameter '{name}' must be a leaf tensor, but it was produced by {parameter.GradFnName}; register a Detach()ed copy.", nameof(parameter));
        parameter.RequiresGrad = true;
        parameter.Name ??= name;
        _parameters.Add(new ParameterSlot(name, parameter));
        return parameter;
    }

    /// <summary>
    /// Registers <paramref name="module"/> as a child named <paramref name="name"/> (like
    /// <c>add_module</c>): its parameters then appear under <c>name.</c>, and
    /// <see cref="Train"/>, <see cref="To"/> and the state dict reach it.
    /// </summary>
    /// <typeparam name="T">The child's type.</typeparam>
    /// <param name="name">A non-empty name without '.', unique among this module's parameters and children.</param>
    /// <param name="module">The child; it must not be this module or one of its ancestors.</param>
    /// <returns><paramref name="module"/>, for assignment to a field.</returns>
    /// <exception cref="ArgumentException">The name is empty, contains '.', or is taken; or registering would make a cycle.</exception>
    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        ValidateName(name, "module");
        ArgumentNullException.ThrowIfNull(module);
        if (module.SelfAndDescendants().Any(m => ReferenceEquals(m, this)))
            throw new ArgumentException($"Cannot register module '{name}' ({module.TypeName}): {TypeName} is that module or one of its descendants, which would make a cycle.", nameof(module));
        _children.Add((name, module));
        return module;
    }

    /// <summary>The parameter this module registered under <paramref name="name"/> (its current tensor, see <see cref="To"/>).</summary>
    /// <param name="name">A name passed to <see cref="RegisterParameter"/> by this module.</param>
    /// <returns>The registered tensor.</returns>
    /// <exception cref="KeyNotFoundException">No parameter of this module has that name.</exception>
    protected Tensor GetParameter(string name)
    {
        foreach (var slot in _parameters)
            if (slot.Name == name) return slot.Value;
        throw new KeyNotFoundException($"{TypeName} has no parameter named '{name}'.");
    }

    private void ValidateName(string name, string kind)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0)
            throw new ArgumentException($"A {kind} name can't be empty.", nameof(name));
        if (name.Contains('.'))
            throw new ArgumentException($"A {kind} name can't contain \".\", got \"{name}\" (dots separate the levels of nested names).", nameof(name));
        if (_parameters.Any(p => p.Name == name) || _children.Any(c => c.Name == name))
            throw new ArgumentException($"{TypeName} already has a parameter or module named \"{name}\".", nameof(name));
    }

    // ------------------------------------------------------------------ traversal

    /// <summary>The direct children, in registration order.</summary>
    /// <returns>The child modules.</returns>
    public IEnumerable<Module> Children() => _children.Select(c => c.Module);

    /// <summary>The direct children with their names, in registration order.</summary>
    /// <returns>(name, child) pairs.</returns>
    public IEnumerable<(string Name, Module Module)> NamedChildren() => _children.ToArray();

    /// <summary>Every parameter of this module and its descendants, each once, in <see cref="NamedParameters"/> order.</summary>
    /// <returns>The parameter tensors (the live ones, not copies).</returns>
    public IEnumerable<Tensor> Parameters() => NamedParameters().Select(p => p.Parameter);

    /// <summary>
    /// Every parameter with its dotted name, as PyTorch names them: the module's own parameters
    /// first (<c>weight</c>, <c>bias</c>), then each child's under the child's name
    /// (<c>0.weight</c>, <c>1.0.bias</c>), depth first, in registration order. A tensor or
    /// module registered twice is listed once, under its first name.
    /// </summary>
    /// <returns>(name, parameter) pairs.</returns>
    public IEnumerable<(string Name, Tensor Parameter)> NamedParameters()
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var (prefix, module) in NamedModules())
            foreach (var slot in module._parameters)
                if (seen.Add(slot.Value))
                    yield return (Join(prefix, slot.Name), slot.Value);
    }

    /// <summary>This module and its descendants with their dotted paths (this one is ""), pre-order, each module once.</summary>
    private IEnumerable<(string Prefix, Module Module)> NamedModules()
    {
        var seen = new HashSet<Module>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(string, Module)>();
        stack.Push(("", this));
        while (stack.Count > 0)
        {
            var (prefix, module) = stack.Pop();
            if (!seen.Add(module)) continue;
            yield return (prefix, module);
            for (int i = module._children.Count - 1; i >= 0; i--)
                stack.Push((Join(prefix, module._children[i].Name), module._children[i].Module));
        }
    }

    private IEnumerable<Module> SelfAndDescendants() => NamedModules().Select(m => m.Module);

    /// <summary>
    /// Every (name, slot) of the state dict, PyTorch's way: recursive without removing
    /// duplicates, so a shared parameter appears under each of its names.
    /// </summary>
    private IEnumerable<(string Name, ParameterSlot Slot)> StateSlots(string prefix = "")
    {
        foreach (var slot in _parameters)
            yield return (Join(prefix, slot.Name), slot);
        foreach (var (name, child) in _children)
            foreach (var entry in child.StateSlots(Join(prefix, name)))
                yield return entry;
    }

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

    // ------------------------------------------------------------------ modes, gradients, dtype

    /// <summary>Sets training mode (or evaluation mode for <c>false</c>) on this module and every descendant.</summary>
    /// <param name="mode">True for training, false for evaluation.</param>
    /// <returns>This module.</returns>
    public Module Train(bool mode = true)
    {
        Training = mode;
        foreach (var (_, child) in _children) child.Train(mode);
        return this;
    }

    /// <summary>Sets evaluation mode on this module and every descendant (same as <c>Train(false)</c>).</summary>
    /// <returns>This module.</returns>
    public Module Eval() => Train(false);

    /// <summary>
    /// Resets the gradients of every parameter. By default each existing gradient is zeroed in
    /// place, as PyTorch 1.13's <c>zero_grad()</c> (whose <c>set_to_none</c> defaults to false;
    /// 2.0 changed the default); a gradient that is itself part of a graph (from
    /// <c>createGraph: true</c>) is replaced by detached zeros. Parameters without a gradient keep
    /// none.
    /// </summary>
    /// <param name="setToNone">True to set every gradient to null instead (saves memory; the next
    /// backward then allocates new gradient tensors).</param>
    public void ZeroGrad(bool setToNone = false)
    {
        foreach (var p in Parameters())
        {
            if (p.Grad is not Tensor grad) continue;
            if (setToNone) p.Grad = null;
            else if (!grad.IsLeaf) p.Grad = Tensor.ZerosLike(grad);
            else
            {
                Array.Clear(grad.Data);
                grad.BumpVersion();
            }
        }
    }

    /// <summary>
    /// Converts every parameter to <paramref name="dtype"/> (like <c>module.to(dtype)</c>). Tensor
    /// dtypes are immutable here, so each parameter of another dtype is replaced by a new leaf
    /// that requires grad, keeps its name and has its gradient (if any) converted too; a tensor
    /// shared by several modules stays shared. Tensors obtained earlier (from
    /// <see cref="Parameters"/>, an optimizer) then no longer belong to the model:
    /// create optimizers after calling this.
    /// </summary>
    /// <param name="dtype">Float32 or Float64.</param>
    /// <returns>This module.</returns>
    /// <exception cref="ArgumentException"><paramref name="dtype"/> is Int64.</exception>
    public Module To(DType dtype)
    {
        if (!dtype.IsFloatingPoint())
            throw new ArgumentException($"Module parameters must be floating point; cannot convert {TypeName} to {dtype}.", nameof(dtype));
        var converted = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var module in SelfAndDescendants())
        {
            foreach (var slot in module._parameters)
            {
                var old = slot.Value;
                if (old.DType == dtype) continue;
                if (!converted.TryGetValue(old, out var replacement))
                {
                    replacement = old.Detach().To(dtype);
                    replacement.RequiresGrad = true;
                    replacement.Name = old.Name;
                    if (old.Grad is Tensor grad) replacement.Grad = grad.Detach().To(dtype);
                    converted.Add(old, replacement);
                }
                slot.Value = replacement;
            }
        }
        return this;
    }

    // ------------------------------------------------------------------ state dict

    /// <summary>
    /// A copy of every parameter, keyed by its dotted name (the keys of <see cref="NamedParameters"/>,
    /// plus any further names of a shared parameter), in that order. The copies are detached
    /// and independent: changing them does not change the model.
    /// </summary>
    /// <returns>A new dictionary of new tensors.</returns>
    public Dictionary<string, Tensor> StateDict()
    {
        var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, slot) in StateSlots())
            state[name] = slot.Value.Clone();
        return state;
    }

    /// <summary>
    /// Copies <paramref name="state"/> into the parameters, in place (the parameter tensors stay
    /// the same objects, so optimizers keep working). Everything is checked first and nothing
    /// changes unless every check passes: each value must be a floating point tensor of exactly
    /// the parameter's shape (Float64 values load into Float32 parameters and vice versa,
    /// rounded as <c>Tensor.To</c> does, as PyTorch's <c>copy_</c>); with
    /// <paramref name="strict"/>, the keys must match <see cref="StateDict"/>'s exactly.
    /// </summary>
    /// <param name="state">Parameter values by dotted name.</param>
    /// <param name="strict">True (the default) to reject missing and unexpected keys; false to load
    /// the keys that match and report the others.</param>
    /// <returns>The missing and unexpected keys (both empty after a strict load).</returns>
    /// <exception cref="ArgumentException">A check failed; the message lists every problem, naming
    /// the keys, and for shape mismatches both shapes. The model is unchanged.</exception>
    /// <remarks>PyTorch copies the matching entries before it raises; here a failed load changes nothing.</remarks>
    public IncompatibleKeys LoadStateDict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(state);
        var plan = PlanLoad(state.Keys, key => state[key] is Tensor t ? t : throw new ArgumentException($"The value for key \"{key}\" is null.", nameof(state)), strict, out var problems);
        if (problems.Count > 0)
            throw new ArgumentException(LoadErrorMessage(problems), nameof(state));
        return Apply(plan);
    }

    private sealed record LoadPlan(List<(ParameterSlot Slot, Tensor Value)> Copies, IncompatibleKeys Keys);

    /// <summary>
    /// Checks <paramref name="keys"/> against the state slots, fetching each expected value with
    /// <paramref name="value"/> (which may throw to report a value that cannot be used), and
    /// collects every problem instead of stopping at the first.
    /// </summary>
    private LoadPlan PlanLoad(IEnumerable<string> keys, Func<string, Tensor> value, bool strict, out List<string> problems)
    {
        problems = [];
        var available = new HashSet<string>(keys, StringComparer.Ordinal);
        var expected = new HashSet<string>(StringComparer.Ordinal);
        var copies = new List<(ParameterSlot, Tensor)>();
        var missing = new List<string>();
        foreach (var (name, slot) in StateSlots())
        {
            expected.Add(name);
            if (!available.Contains(name))
            {
                missing.Add(name);
                continue;
            }
            Tensor v;
            try
            {
                v = value(name);
            }
            catch (Exception e) when (e is ArgumentException or InvalidDataException)
            {
                problems.Add(e is ArgumentException a ? StripParamName(a) : e.Message);
                continue;
            }
            var p = slot.Value;
            if (!v.DType.IsFloatingPoint())
                problems.Add($"dtype mismatch for {name}: the value is {v.DType} (shape {Shapes.Format(v.Dims)}), but parameters need Float32 or Float64.");
            else if (!Shapes.Equal(v.Dims, p.Dims))
                problems.Add($"size mismatch for {name}: copying a param with shape {Shapes.Format(v.Dims)} from checkpoint, the shape in current model is {Shapes.Format(p.Dims)}.");
            else
                copies.Add((slot, v));
        }
        var unexpected = available.Where(k => !expected.Contains(k)).OrderBy(k => k, StringComparer.Ordinal).ToList();
        if (strict)
        {
            if (missing.Count > 0) problems.Insert(0, "Missing key(s) in state_dict: " + string.Join(", ", missing.Select(k => $"\"{k}\"")) + ".");
            if (unexpected.Count > 0) problems.Insert(missing.Count > 0 ? 1 : 0, "Unexpected key(s) in state_dict: " + string.Join(", ", unexpected.Select(k => $"\"{k}\"")) + ".");
        }
        return new LoadPlan(copies, new IncompatibleKeys(missing, unexpected));
    }

    private static IncompatibleKeys Apply(LoadPlan plan)
    {
        // A value may share its data with a parameter loaded earlier in this pass (say, a state
        // that swaps two parameters); convert or copy every source before writing any target.
        var targets = new HashSet<Array>(plan.Copies.Select(c => c.Slot.Value.Data), ReferenceEqualityComparer.Instance);
        var sources = plan.Copies.Select(c =>
            c.Value.DType != c.Slot.Value.DType ? c.Value.Detach().To(c.Slot.Value.DType)
            : targets.Contains(c.Value.Data) ? c.Value.Clone()
            : c.Value).ToList();
        for (int i = 0; i < sources.Count; i++)
        {
            var p = plan.Copies[i].Slot.Value;
            var source = sources[i];
            Array.Copy(source.Data, p.Data, p.NumberOfElements);
            p.BumpVersion();
        }
        return plan.Keys;
    }

    private string LoadErrorMessage(List<string> problems)
        => $"Error(s) in loading state_dict for {TypeName}:\n\t" + string.Join("\n\t", problems) + "\nNothing was loaded; the model is unchanged.";

    private static string StripParamName(ArgumentException e)
        => e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal);

    // ------------------------------------------------------------------ printing

    /// <summary>
    /// The module's own settings for <see cref="ToString"/>, as PyTorch's <c>extra_repr</c>
    /// (e.g. <c>in_features=4, out_features=3, bias=True</c>); empty by default.
    /// </summary>
    /// <returns>One or more lines; empty for none.</returns>
    protected virtual string ExtraRepr() => "";

    /// <summary>
    /// The module tree as PyTorch prints it: <c>Linear(in_features=30, out_features=1, bias=True)</c>
    /// for a leaf, and for a container one child per line, <c>(name): child</c>, indented by two
    /// spaces per level.
    /// </summary>
    /// <returns>The printed form.</returns>
    public override string ToString()
    {
        string extra = ExtraRepr();
        string[] extraLines = extra.Length == 0 ? [] : extra.Split('\n');
        var lines = new List<string>(extraLines);
        foreach (var (name, child) in _children)
            lines.Add($"({name}): " + AddIndent(child.ToString(), 2));

        var sb = new StringBuilder(TypeName).Append('(');
        if (extraLines.Length == 1 && _children.Count == 0) sb.Append(extraLines[0]);
        else if (lines.Count > 0) sb.Append("\n  ").Append(string.Join("\n  ", lines)).Append('\n');
        return sb.Append(')').ToString();
    }

    private static string AddIndent(string text, int spaces)
    {
        var lines = text.Split('\n');
        if (lines.Length == 1) return text;
        var pad = new string(' ', spaces);
        return lines[0] + "\n" + string.Join("\n", lines.Skip(1).Select(l => pad + l));
    }

    /// <summary>The type name without a generic arity suffix (<c>Linear</c>, <c>Sequential</c>).</summary>
    private protected string TypeName
    {
        get
        {
            string n = GetType().Name;
            int tick = n.IndexOf('`');
            return tick < 0 ? n : n[..tick];
        }
    }
}

/// <summary>
/// The keys <see cref="Module.LoadStateDict"/> or <see cref="Module.Load"/> did not match (like
/// PyTorch's <c>_IncompatibleKeys</c>).
/// </summary>
/// <param name="MissingKeys">Parameters of the model absent from the state, in state-dict order.</param>
/// <param name="UnexpectedKeys">Keys of the state the model has no parameter for, sorted.</param>
public sealed record IncompatibleKeys(IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys);
