namespace Autograd.Nn;

/// <summary>
/// The engine's recycling policy for the activations a chain of modules passes along
/// (<see cref="Sequential"/>): an activation may be recycled only when no user code can reach it.
/// That is certain for one made by a built-in layer of the chain and read only by built-in layers
/// of the chain, so it is disposed (<see cref="Tensor.Dispose"/>) as soon as the next layer has
/// consumed it. Its <c>Storage</c> then returns the array to the pool when nothing else holds it:
/// at once when nothing was recorded (<see cref="Tape.NoGrad"/>), else when the recorded graph is
/// freed (after <c>Backward</c>), so the next step reuses it. See docs/architecture.md, "Engine and memory".
/// </summary>
/// <remarks>
/// Why each activation a user can reach is never disposed:
/// <list type="bullet">
/// <item>the chain's input belongs to the caller (the chain starts with "reachable");</item>
/// <item>the chain's output goes to the caller (only a layer's input is ever disposed);</item>
/// <item>a user module may keep what it is given or what it returns, so an activation that passes
/// through one, or comes out of one, stays reachable;</item>
/// <item>the built-in layers are sealed and keep no reference to the tensors they are given or
/// return beyond what their recorded graph holds, and the graph's holds keep the array out of
/// the pool until the graph is freed;</item>
/// <item>the normalisation layers keep buffers (running statistics) and update them in place, but
/// those are their own tensors, never an activation: they are on the list like the others;</item>
/// <item>a built-in layer's output that is a view of its input (<see cref="Flatten"/>) shares the
/// input's storage, whose holds keep the array until the view is disposed too.</item>
/// </list>
/// The state is one activation's: a chain is one <c>Forward</c> call, so nothing is shared
/// between calls or threads.
/// </remarks>
internal struct ActivationRecycling
{
    private bool _unreachable; // the current activation was made by a built-in layer of this chain and seen only by built-in layers

    /// <summary>
    /// <paramref name="module"/>'s output for <paramref name="input"/>, the chain's current
    /// activation; disposes <paramref name="input"/> when no user code can reach it any more.
    /// </summary>
    public Tensor Forward(Module module, Tensor input)
    {
        var output = module.Forward(input);
        bool builtIn = KeepsNoTensors(module);
        if (ReferenceEquals(output, input))
        {
            // Passed through (Identity, Dropout in eval mode): this module has seen it too.
            _unreachable &= builtIn;
            return output;
        }
        if (_unreachable && builtIn) input.Dispose();
        _unreachable = builtIn;
        return output;
    }

    /// <summary>
    /// The library's layers, which keep no reference to the tensors they receive or return (beyond
    /// what their recorded graph holds). The one list of them: a user module (or a container) may
    /// keep its input, so it is not here.
    /// </summary>
    internal static bool KeepsNoTensors(Module module)
        => module is Linear or Conv1d or Conv2d or MaxPool1d or MaxPool2d or AvgPool1d or AvgPool2d or AdaptiveAvgPool2d or AdaptiveMaxPool2d
            or BatchNorm1d or BatchNorm2d or LayerNorm or GroupNorm or Embedding or Sigmoid or Tanh or ReLU or Softmax or LogSoftmax or Dropout or Dropout2d or Flatten or Identity;
}
