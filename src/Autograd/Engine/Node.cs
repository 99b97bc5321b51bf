namespace Autograd;

/// <summary>
/// One recorded op: its inputs, the tensors its backward needs (with their versions, to catch
/// in-place changes), and the backward function mapping the output's gradient to one gradient per input.
/// </summary>
/// <remarks>
/// <para>
/// Until it is released the node holds the storage of its output, of each input and of each saved
/// tensor (<see cref="Storage.AddHold"/>): its backward may read any of them (the closures
/// capture them), so a disposed one must not be recycled before then (see <see cref="Tensor.Dispose"/>).
/// </para>
/// <para>
/// Several threads may run backward passes through one graph at once (as PyTorch allows). A pass
/// enters each node before it runs it (<see cref="TryEnter"/>) and leaves the nodes at its end
/// (<see cref="Leave"/>); a pass that does not retain the graph marks them freed, and the last pass
/// to leave a freed node releases it. So a node is released exactly once and never while a pass is
/// running it, and a pass that reaches a node of a freed graph is refused.
/// </para>
/// </remarks>
internal sealed class Node
{
    public readonly string Name;
    public readonly Tensor[] Inputs;

    /// <summary>
    /// The edges, fixed when the op is recorded: the node that produced each input then (null for a
    /// leaf), and whether the input required grad then. An in-place op recorded later rebases the
    /// input's history (gives the tensor a new <see cref="Tensor.GradFn"/>), but this op used the
    /// value from before it, so its gradient still flows to the old producer, as PyTorch's edges do.
    /// </summary>
    public readonly Node?[] InputFns;

    /// <inheritdoc cref="InputFns"/>
    public readonly bool[] InputRequiresGrad;

    /// <summary>The tensor this op produced (for <see cref="Tensor.ToDot()"/>: its name and shape).</summary>
    public readonly Tensor Output;

    /// <summary>The hooks of the output tensor (<see cref="Tensor.RegisterHook(Func{Tensor, Tensor})"/>), run on its summed gradient before this node's backward.</summary>
    public GradientHooks? Hooks;

    /// <summary>The op's derivative rule when it states its own (a <see cref="Function"/>'s <see cref="Function.DerivativeRule"/>); else <see cref="DerivativeRules"/> has it.</summary>
    public string? Rule;
    private Func<Tensor, Tensor?[]>? _backward;
    private Tensor[]? _saved;
    private int[]? _savedVersions;
    private readonly Action? _onRelease;
    private Storage? _output; // the output's storage, held until Release

    // The number of passes inside this node, plus Freed once a pass that does not retain the graph
    // has completed. One compare-and-swap per node on the way in and one on the way out of a pass.
    private int _state;
    private const int Freed = 1 << 30;

    /// <summary>
    /// False for user-defined <see cref="Function"/>s: their backward might keep the gradient it
    /// receives, so the temporaries of a pass that runs one are not recycled (see <see cref="BufferPool"/>).
    /// </summary>
    public readonly bool KeepsNoGradient;

    /// <summary>Records the op that produced <paramref name="output"/> (the caller sets its <see cref="Tensor.GradFn"/>).</summary>
    public Node(Tensor output, string name, Tensor[] inputs, Func<Tensor, Tensor?[]> backward, Tensor[]? saved, Action? onRelease = null, bool keepsNoGradient = true)
    {
        // Hold everything the backward may read, before anything else can fail.
        output.Storage.AddHold();
        _output = output.Storage;
        foreach (var input in inputs) input.Storage.AddHold();
        if (saved is not null)
            foreach (var t in saved) t.Storage.AddHold();
        Name = name;
        Inputs = inputs;
        Output = output;
        InputFns = new Node?[inputs.Length];
        InputRequiresGrad = new bool[inputs.Length];
        for (int i = 0; i < inputs.Length; i++) (InputFns[i], InputRequiresGrad[i]) = (inputs[i].GradFn, inputs[i].RequiresGrad);
        _backward = backward;
        _onRelease = onRelease;
        KeepsNoGradient = keepsNoGradient;
        if (saved is { Length: > 0 })
        {
            _saved = saved;
            _savedVersions = new int[saved.Length];
            for (int i = 0; i < saved.Length; i++) _savedVersions[i] = saved[i].Storage.Version;
        }
    }

    /// <summary>
    /// Enters the node for a backward pass; false if the graph was already freed (by a pass that did
    /// not retain it), and then the pass must not run it. Pair with <see cref="Leave"/>.
    /// </summary>
    public bool TryEnter()
    {
        int state = Volatile.Read(ref _state);
        while ((state & Freed) == 0)
        {
            int seen = Interlocked.CompareExchange(ref _state, state + 1, state);
            if (seen == state) return true;
            state = seen;
        }
        return false;
    }

    /// <summary>
    /// Ends a pass's use of the node: leaves it if the pass <paramref name="entered"/> it, and with
    /// <paramref name="free"/> (a completed pass without retainGraph) marks it freed. The last pass
    /// to leave a freed node releases it.
    /// </summary>
    public void Leave(bool entered, bool free)
    {
        if (!entered && !free) return;
        int state = Volatile.Read(ref _state), next;
        while (true)
        {
            next = (state - (entered ? 1 : 0)) | (free ? Freed : 0);
            int seen = Interlocked.CompareExchange(ref _state, next, state);
            if (seen == state) break;
            state = seen;
        }
        // Freed with no pass inside happens once: set by the pass that marks it freed while none is
        // inside, or by the last pass to leave after that (no pass enters a freed node).
        if (next == Freed && state != Freed) Release();
    }

    /// <summary>The error for a pass through a freed graph.</summary>
    public InvalidOperationException FreedError() => new(
        $"Trying to backward through the graph a second time (through {Name}Backward), or to use its saved tensors after they were freed. " +
        "The first Backward() freed them: pass retainGraph: true to the first Backward() (or Tape.Grad) if you need to backward through the graph again.");

    /// <summary>Runs the backward (the pass has entered this node, so it cannot be released meanwhile).</summary>
    public Tensor?[] Apply(Tensor gradOutput)
    {
        var backward = _backward ?? throw FreedError();
        if (_saved is not null)
        {
            for (int i = 0; i < _saved.Length; i++)
            {
                if (_saved[i].Storage.Version != _savedVersions![i])
                    throw new InvalidOperationException(
                        $"One of the tensors needed for gradient computation has been modified by an in-place operation: the {_saved[i].DType} tensor of shape {Shapes.Format(_saved[i].Dims)} " +
                        $"saved by {Name} is at version {_saved[i].Storage.Version}; expected version {_savedVersions[i]} instead. " +
                        "Do not change tensors in place (e.g. optimizer.Step()) between the forward pass and Backward().");
            }
        }
        return backward(gradOutput);
    }

    /// <summary>Frees the backward and the saved tensors and drops the node's holds (called once, by <see cref="Leave"/>).</summary>
    private void Release()
    {
        _backward = null;
        var saved = _saved;
        _saved = null;
        _onRelease?.Invoke();
        // Nothing can run this node's backward any more: its holds go (the last one recycles a disposed tensor's array).
        foreach (var input in Inputs) input.Storage.ReleaseHold();
        if (saved is not null)
            foreach (var t in saved) t.Storage.ReleaseHold();
        _output?.ReleaseHold();
        _output = null;
    }
}
