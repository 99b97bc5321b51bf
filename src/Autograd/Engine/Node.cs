namespace Autograd;

/// <summary>
/// One recorded op: its inputs, the tensors its backward needs (with their versions, to catch
/// in-place changes), and the backward function mapping the output's gradient to one gradient per input.
/// </summary>
/// <remarks>
/// Until it is released the node holds the storage of its output, of each input and of each saved
/// tensor (<see cref="VersionCounter.AddHold"/>): its backward may read any of them (the closures
/// capture them), so a disposed one must not be recycled before then (see <see cref="Tensor.Dispose"/>).
/// </remarks>
internal sealed class Node
{
    public readonly string Name;
    public readonly Tensor[] Inputs;
    private Func<Tensor, Tensor?[]>? _backward;
    private Tensor[]? _saved;
    private int[]? _savedVersions;
    private readonly Action? _onRelease;
    private VersionCounter? _output; // the output's storage, held until Release

    /// <summary>
    /// False for user-defined <see cref="Function"/>s: their backward might keep the gradient it
    /// receives, so the temporaries of a pass that runs one are not recycled (see <see cref="BufferPool"/>).
    /// </summary>
    public readonly bool KeepsNoGradient;

    /// <summary>Records the op that produced <paramref name="output"/> (the caller sets its <see cref="Tensor.GradFn"/>).</summary>
    public Node(Tensor output, string name, Tensor[] inputs, Func<Tensor, Tensor?[]> backward, Tensor[]? saved, Action? onRelease = null, bool keepsNoGradient = true)
    {
        // Hold everything the backward may read, before anything else can fail.
        output.Version.AddHold();
        _output = output.Version;
        foreach (var input in inputs) input.Version.AddHold();
        if (saved is not null)
            foreach (var t in saved) t.Version.AddHold();
        Name = name;
        Inputs = inputs;
        _backward = backward;
        _onRelease = onRelease;
        KeepsNoGradient = keepsNoGradient;
        if (saved is { Length: > 0 })
        {
            _saved = saved;
            _savedVersions = new int[saved.Length];
            for (int i = 0; i < saved.Length; i++) _savedVersions[i] = saved[i].Version.Value;
        }
    }

    public bool Released => _backward is null;

    public Tensor?[] Apply(Tensor gradOutput)
    {
        if (_backward is null)
            throw new InvalidOperationException(
                $"Trying to backward through the graph a second time (through {Name}Backward), or to use its saved tensors after they were freed. " +
                "The first Backward() freed them: pass retainGraph: true to the first Backward() (or Tape.Grad) if you need to backward through the graph again.");
        if (_saved is not null)
        {
            for (int i = 0; i < _saved.Length; i++)
            {
                if (_saved[i].Version.Value != _savedVersions![i])
                    throw new InvalidOperationException(
                        $"One of the tensors needed for gradient computation has been modified by an in-place operation: the {_saved[i].DType} tensor of shape {Shapes.Format(_saved[i].Dims)} " +
                        $"saved by {Name} is at version {_saved[i].Version.Value}; expected version {_savedVersions[i]} instead. " +
                        "Do not change tensors in place (e.g. optimizer.Step()) between the forward pass and Backward().");
            }
        }
        return _backward(gradOutput);
    }

    /// <summary>Frees the backward and the saved tensors and drops the node's holds (once: later calls do nothing).</summary>
    public void Release()
    {
        if (_backward is null) return;
        _backward = null;
        var saved = _saved;
        _saved = null;
        _onRelease?.Invoke();
        // Nothing can run this node's backward any more: its holds go (the last one recycles a disposed tensor's array).
        foreach (var input in Inputs) input.Version.ReleaseHold();
        if (saved is not null)
            foreach (var t in saved) t.Version.ReleaseHold();
        _output?.ReleaseHold();
        _output = null;
    }
}
