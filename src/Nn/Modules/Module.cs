using System.Text;

namespace Autograd.Nn;

/// <summary>
/// The base class of every layer and model (like <c>torch.nn.Module</c>): it owns named
/// parameters, named buffers (<see cref="RegisterBuffer"/>) and named child modules, and from them derives <see cref="Parameters"/>,
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
    /// <summary>A parameter or a buffer: its name and its current tensor.</summary>
    private sealed class ParameterSlot(string name, Tensor value, bool isBuffer = false, bool persistent = true)
    {
        public string Name { get; } = name;

        public Tensor Value { get; set; } = value;

        /// <summary>A buffer (never requires grad) rather than a parameter.</summary>
        public bool IsBuffer { get; } = isBuffer;

        /// <summary>For a buffer: whether it is in the state dict.</summary>
        public bool Persistent { get; } = persistent;
    }

    private readonly List<ParameterSlot> _parameters = [];
    private readonly List<ParameterSlot> _buffers = []; // registered with a tensor; a name registered with null is only in _names
    private readonly List<(string Name, Module Module)> _children = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal); // of both, so a wide Sequential checks a name in O(1)

    // The modules this one is registered in, for the cycle check (weak: a child does not keep
    // a container alive, e.g. a shared backbone wrapped anew in each experiment).
    private readonly List<WeakReference<Module>> _parents = [];

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

    /// <summary>Whether <see cref="Forward"/> is this module's forward (false for modules with several inputs, which <see cref="Sequential"/> refuses).</summary>
    internal virtual bool TakesOneTensor => true;

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
        _names.Add(name);
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
        if (IsSelfOrDescendantOf(module))
            throw new ArgumentException($"Cannot register module '{name}' ({module.TypeName}): {TypeName} is that module or one of its descendants, which would make a cycle.", nameof(module));
        _children.Add((name, module));
        _names.Add(name);
        module._parents.RemoveAll(p => !p.TryGetTarget(out _));
        module._parents.Add(new WeakReference<Module>(this));
        return module;
    }

    /// <summary>
    /// Registers <paramref name="tensor"/> as a buffer named <paramref name="name"/> (like
    /// <c>register_buffer</c>): state that is not a parameter, such as running statistics. A
    /// buffer is not in <see cref="Parameters"/> and never requires grad; it is in
    /// <see cref="Buffers"/>, converted by <see cref="To"/> when floating point, and, when
    /// <paramref name="persistent"/>, in <see cref="StateDict"/> (after the module's own parameters,
    /// before its children's, as PyTorch orders them), <see cref="LoadStateDict"/> and model files.
    /// A null tensor reserves the name (PyTorch's <c>None</c> buffer): it appears nowhere.
    /// </summary>
    /// <param name="name">A non-empty name without '.', unique among this module's parameters, buffers and children.</param>
    /// <param name="tensor">The buffer's tensor (any dtype, not requiring grad), or null.</param>
    /// <param name="persistent">True (the default) to include the buffer in the state dict and model files.</param>
    /// <returns><paramref name="tensor"/>, for assignment to a field.</returns>
    /// <exception cref="ArgumentException">The name is empty, contains '.', or is taken; or the tensor requires grad.</exception>
    /// <remarks>Loading a state (<see cref="LoadStateDict"/>, <see cref="Load"/>) copies into the buffer
    /// tensor in place, but <see cref="To"/> replaces a floating point buffer by a new tensor: read
    /// the current one back with <see cref="GetBuffer"/> rather than keeping the returned tensor.</remarks>
    protected Tensor? RegisterBuffer(string name, Tensor? tensor, bool persistent = true)
    {
        ValidateName(name, "buffer");
        if (tensor is not null && tensor.RequiresGrad)
            throw new ArgumentException($"Buffer '{name}' must not require grad (got a {tensor.DType} tensor with shape {Shapes.Format(tensor.Dims)} that does); register a parameter instead, or a Detach()ed copy.", nameof(tensor));
        if (tensor is not null) _buffers.Add(new ParameterSlot(name, tensor, isBuffer: true, persistent));
        _names.Add(name);
        return tensor;
    }

    /// <summary>The buffer this module registered under <paramref name="name"/> (its current tensor, see <see cref="To"/>).</summary>
    /// <param name="name">A name passed to <see cref="RegisterBuffer"/> by this module.</param>
    /// <returns>The registered tensor, or null for a buffer registered as null.</returns>
    /// <exception cref="KeyNotFoundException">No buffer of this module has that name.</exception>
    protected Tensor? GetBuffer(string name)
    {
        foreach (var slot in _buffers)
            if (slot.Name == name) return slot.Value;
        if (name is not null && _names.Contains(name) && !_parameters.Any(p => p.Name == name) && !_children.Any(c => c.Name == name))
            return null;
        throw new KeyNotFoundException($"{TypeName} has no buffer named '{name}'.");
    }

    /// <summary>
    /// Whether this module is <paramref name="module"/> or one of its descendants (registering
    /// <paramref name="module"/> here would then make a cycle). Searches down from
    /// <paramref name="module"/> and up from this module by turns and stops when either side is
    /// exhausted, so the cost is that of the smaller side: nesting a chain from the inside
    /// (<c>m = new Sequential(m, ...)</c>) or from the outside costs O(1) per level, not O(depth).
    /// </summary>
    private bool IsSelfOrDescendantOf(Module module)
    {
        if (ReferenceEquals(module, this)) return true;
        if (module._children.Count == 0 || _parents.Count == 0) return false;
        var down = new Stack<Module>([module]);
        var up = new Stack<Module>([this]);
        var seenDown = new HashSet<Module>(ReferenceEqualityComparer.Instance) { module };
        var seenUp = new HashSet<Module>(ReferenceEqualityComparer.Instance) { this };
        while (down.Count > 0 && up.Count > 0)
        {
            foreach (var (_, child) in down.Pop()._children)
            {
                if (ReferenceEquals(child, this)) return true;
                if (seenDown.Add(child)) down.Push(child);
            }
            foreach (var weak in up.Pop()._parents)
            {
                if (!weak.TryGetTarget(out var parent)) continue;
                if (ReferenceEquals(parent, module)) return true;
                if (seenUp.Add(parent)) up.Push(parent);
            }
        }
        return false;
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
        if (_names.Contains(name))
            throw new ArgumentException($"{TypeName} already has a parameter, buffer or module named \"{name}\".", nameof(name));
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
        foreach (var (path, module) in NamedModules())
            foreach (var slot in module._parameters)
                if (seen.Add(slot.Value))
                    yield return (ModulePath.Join(path, slot.Name), slot.Value);
    }

    /// <summary>Every buffer of this module and its descendants (persistent or not), each once, in <see cref="NamedBuffers"/> order.</summary>
    /// <returns>The buffer tensors (the live ones, not copies).</returns>
    public IEnumerable<Tensor> Buffers() => NamedBuffers().Select(b => b.Buffer);

    /// <summary>
    /// Every buffer (persistent or not) with its dotted name, as PyTorch's <c>named_buffers</c>:
    /// the module's own first, then each child's, depth first, in registration order; a tensor
    /// registered twice is listed once, under its first name. Buffers registered as null are left out.
    /// </summary>
    /// <returns>(name, buffer) pairs.</returns>
    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers()
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var (path, module) in NamedModules())
            foreach (var slot in module._buffers)
                if (seen.Add(slot.Value))
                    yield return (ModulePath.Join(path, slot.Name), slot.Value);
    }

    /// <summary>
    /// Calls <paramref name="fn"/> on every descendant and then on this module (like
    /// <c>module.apply(fn)</c>): each child's subtree in registration order, children before
    /// their parent, each module once. Typical use: initializing the weights of every layer of a type.
    /// </summary>
    /// <param name="fn">The function to call on each module.</param>
    /// <returns>This module.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="fn"/> is null.</exception>
    public Module Apply(Action<Module> fn)
    {
        ArgumentNullException.ThrowIfNull(fn);
        // Post-order without recursion, so a deep chain does not overflow the stack.
        var post = new List<Module>();
        var stack = new Stack<(Module Module, bool Expanded)>();
        var seen = new HashSet<Module>(ReferenceEqualityComparer.Instance);
        stack.Push((this, false));
        while (stack.Count > 0)
        {
            var (module, expanded) = stack.Pop();
            if (expanded) { post.Add(module); continue; }
            if (!seen.Add(module)) continue;
            stack.Push((module, true));
            for (int i = module._children.Count - 1; i >= 0; i--) stack.Push((module._children[i].Module, false));
        }
        foreach (var module in post) fn(module);
        return this;
    }

    /// <summary>This module and its descendants with their paths (this one's is null), pre-order, each module once.</summary>
    private IEnumerable<(ModulePath? Path, Module Module)> NamedModules()
    {
        var seen = new HashSet<Module>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(ModulePath?, Module)>();
        stack.Push((null, this));
        while (stack.Count > 0)
        {
            var (path, module) = stack.Pop();
            if (!seen.Add(module)) continue;
            yield return (path, module);
            for (int i = module._children.Count - 1; i >= 0; i--)
                stack.Push((new ModulePath(path, module._children[i].Name), module._children[i].Module));
        }
    }

    private IEnumerable<Module> SelfAndDescendants() => NamedModules().Select(m => m.Module);

    /// <summary>
    /// Every (name, slot) of the state dict (parameters, then persistent buffers, then children), PyTorch's way: recursive without removing
    /// duplicates, so a shared parameter appears under each of its names.
    /// </summary>
    private IEnumerable<(string Name, ParameterSlot Slot)> StateSlots()
    {
        // Depth first with an explicit stack: a module's own parameters, then each child's in order.
        var stack = new Stack<(ModulePath?, Module)>();
        stack.Push((null, this));
        while (stack.Count > 0)
        {
            var (path, module) = stack.Pop();
            foreach (var slot in module._parameters)
                yield return (ModulePath.Join(path, slot.Name), slot);
            foreach (var slot in module._buffers)
                if (slot.Persistent)
                    yield return (ModulePath.Join(path, slot.Name), slot);
            for (int i = module._children.Count - 1; i >= 0; i--)
                stack.Push((new ModulePath(path, module._children[i].Name), module._children[i].Module));
        }
    }

    /// <summary>
    /// A module's dotted path (<c>1.0</c>), kept as a link to its parent's so that walking a deep
    /// tree costs O(1) per module; the string is built only for the names actually produced.
    /// </summary>
    private sealed record ModulePath(ModulePath? Parent, string Name)
    {
        public static string Join(ModulePath? path, string name)
        {
            if (path is null) return name;
            var parts = new List<string> { name };
            for (var p = path; p is not null; p = p.Parent) parts.Add(p.Name);
            parts.Reverse();
            return string.Join('.', parts);
        }
    }

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
    /// Converts every parameter and every floating point buffer to <paramref name="dtype"/> (like
    /// <c>module.to(dtype)</c>; Int64 buffers stay Int64, as PyTorch's <c>.double()</c> leaves integer buffers). Tensor
    /// dtypes are immutable here, so each parameter of another dtype is replaced by a new leaf
    /// that requires grad, keeps its name and has its gradient (if any) converted too; a tensor
    /// shared by several modules stays shared. Tensors obtained earlier (from
    /// <see cref="Parameters"/>, an optimizer) then no longer belong to the model:
    /// create optimizers after calling this. An optimizer created before refuses to step
    /// (<see cref="InvalidOperationException"/> naming the replaced parameter) rather than
    /// silently updating tensors the model no longer uses.
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
                    replacement.RequiresGrad = old.RequiresGrad;   // a frozen parameter stays frozen
                    replacement.Name = old.Name;
                    if (old.Grad is Tensor grad) replacement.Grad = grad.Detach().To(dtype);
                    converted.Add(old, replacement);
                    ReplacedParameters.Mark(old, $"{TypeName}.To({dtype})");
                }
                slot.Value = replacement;
            }
            foreach (var slot in module._buffers)
            {
                var old = slot.Value;
                if (!old.DType.IsFloatingPoint() || old.DType == dtype) continue;
                if (!converted.TryGetValue(old, out var replacement))
                {
                    replacement = old.Detach().To(dtype);
                    replacement.Name = old.Name;
                    converted.Add(old, replacement);
                }
                slot.Value = replacement;
            }
        }
        return this;
    }

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
