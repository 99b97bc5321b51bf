namespace Autograd;

/// <summary>
/// The extension point for new differentiable ops (like <c>torch.autograd.Function</c>): write
/// <see cref="Forward"/> and <see cref="Backward"/>, then call <see cref="Apply"/>. One instance
/// records one call, so per-call state (options, values the backward needs) can live in fields.
/// </summary>
/// <remarks>
/// <see cref="Forward"/> runs with recording off: compute the result any way you like, and keep what
/// the backward needs with <see cref="SaveForBackward"/> (version-checked, freed after backward) or
/// in fields. <see cref="Backward"/> receives the gradient of the result and returns one gradient
/// per input, shaped like that input, or null for inputs that need none (check
/// <see cref="NeedsInputGrad"/>). Written with tensor ops, it is itself differentiable when
/// <c>createGraph: true</c>, so higher-order gradients work.
/// <code>
/// sealed class Cube : Function
/// {
///     protected override Tensor Forward(IReadOnlyList&lt;Tensor&gt; inputs)
///     {
///         SaveForBackward(inputs[0]);
///         return inputs[0] * inputs[0] * inputs[0];
///     }
///
///     // d(x^3)/dx = 3x^2
///     protected override IReadOnlyList&lt;Tensor?&gt; Backward(Tensor grad)
///         => [grad * 3 * SavedTensors[0] * SavedTensors[0]];
/// }
///
/// var y = new Cube().Apply(x);
/// </code>
/// </remarks>
public abstract class Function
{
    private Tensor[]? _saved;
    private bool[]? _needsInputGrad;
    private bool _applied;
    private bool _released;

    /// <summary>The op's name in graphs and error messages; the type name without a "Function" suffix by default.</summary>
    public virtual string Name => DefaultNames.GetOrAdd(GetType(), static t =>
        t.Name.EndsWith("Function", StringComparison.Ordinal) && t.Name.Length > 8 ? t.Name[..^8] : t.Name);

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, string> DefaultNames = new();

    /// <summary>
    /// The function's local derivative rule as one line of text, shown by <see cref="Tape.TraceBackward"/>
    /// for each step that ran this function's backward (for example <c>"∂/∂x = g·3x²"</c>); null:
    /// the library's rule for a built-in op of this <see cref="Name"/>, if it has one.
    /// </summary>
    public virtual string? DerivativeRule => null;

    /// <summary>Computes the result from the inputs (recording is off here).</summary>
    protected abstract Tensor Forward(IReadOnlyList<Tensor> inputs);

    /// <summary>Maps the gradient of the result to one gradient per input (null where not needed).</summary>
    protected abstract IReadOnlyList<Tensor?> Backward(Tensor gradOutput);

    /// <summary>Keeps tensors for <see cref="Backward"/>; an in-place change to them before backward is detected.</summary>
    protected void SaveForBackward(params Tensor[] tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        _saved = tensors;
    }

    /// <summary>
    /// True for the library's own functions, whose backward keeps nothing it is given (see
    /// <see cref="BufferPool"/>); a user-defined function might, so its gradients are never recycled.
    /// </summary>
    internal virtual bool KeepsNoGradient => false;

    private List<Array>? _returnOnRelease;

    /// <summary>
    /// Gives <paramref name="buffer"/> back to <see cref="BufferPool"/> when the graph is released:
    /// for arrays only this function's backward reads (never an input or the output).
    /// </summary>
    internal void ReturnOnRelease(Array buffer) => (_returnOnRelease ??= []).Add(buffer);

    private void OnRelease()
    {
        _released = true;
        if (_returnOnRelease is null) return;
        foreach (var b in _returnOnRelease) BufferPool.Return(b);
        _returnOnRelease = null;
    }

    /// <summary>The tensors passed to <see cref="SaveForBackward"/>.</summary>
    /// <exception cref="InvalidOperationException">They were freed by an earlier backward pass without retainGraph.</exception>
    protected IReadOnlyList<Tensor> SavedTensors
    {
        get
        {
            if (_released)
                throw new InvalidOperationException($"The saved tensors of {Name} were freed by an earlier Backward(); pass retainGraph: true to keep them.");
            return _saved ?? [];
        }
    }

    /// <summary>Whether input <paramref name="index"/> requires a gradient from this call.</summary>
    protected bool NeedsInputGrad(int index) => _needsInputGrad is not null && _needsInputGrad[index];

    /// <summary>Runs <see cref="Forward"/> and, when an input requires grad, records the call for backward.</summary>
    /// <exception cref="InvalidOperationException">This instance was already applied (create one per call).</exception>
    public Tensor Apply(params Tensor[] inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        for (int i = 0; i < inputs.Length; i++)
            if (inputs[i] is null) throw new ArgumentNullException(nameof(inputs), $"Input {i} of {Name} is null.");
        if (_applied)
            throw new InvalidOperationException($"This {Name} instance was already applied; a Function records one call, so create a new instance for each call.");
        _applied = true;

        inputs = (Tensor[])inputs.Clone();
        _needsInputGrad = new bool[inputs.Length];
        bool record = false;
        for (int i = 0; i < inputs.Length; i++)
            record |= _needsInputGrad[i] = Tape.IsGradEnabled && inputs[i].RequiresGrad;

        Tensor output;
        using (Tape.Override(gradEnabled: false)) output = Forward(inputs);
        if (output is null) throw new InvalidOperationException($"{Name}.Forward returned null.");
        // The result must be a new node: wrap an input returned as is (its data is shared).
        if (output.GradFn is not null || Array.IndexOf(inputs, output) >= 0)
            output = output.Detach();

        if (Tape.DetectAnomaly) Anomaly.CheckForward(Name, output);
        if (record)
            output.GradFn = new Node(output, Name, inputs, g => [.. Backward(g)], _saved, OnRelease, KeepsNoGradient) { Rule = DerivativeRule };
        return output;
    }
}
