namespace Autograd;

// Gradient hooks (torch.Tensor.register_hook) and retain_grad: functions the backward pass calls
// with a tensor's gradient. A leaf keeps its hooks; a non-leaf's live on the node that produced it,
// where the pass has the tensor's whole gradient before running that node's backward.
public sealed partial class Tensor
{
    private GradientHooks? _leafHooks;

    /// <summary>
    /// Registers a hook that the backward pass calls with this tensor's gradient, like PyTorch's
    /// <c>tensor.register_hook(hook)</c>. The hook may return a new gradient to use instead (of the
    /// same shape and dtype), or null to keep it; hooks run in the order they were registered, each
    /// on the previous one's result.
    /// </summary>
    /// <remarks>
    /// <para>
    /// On a tensor computed by an op, the hook gets the sum of the gradients from all its uses and
    /// its result is what flows on to the inputs. On a leaf, it gets the pass's gradient (summed
    /// over all uses) before it is added to <see cref="Grad"/>, and its result is what is added; a
    /// leaf's hooks run at the end of the pass.
    /// </para>
    /// <para>
    /// As in PyTorch 1.13, <see cref="Tape.Grad"/> returns the gradients of its inputs from before
    /// their hooks, and does not call a leaf's hooks (it does not accumulate into leaves); hooks of
    /// tensors it passes through still change what flows on. With <c>createGraph</c> the hook's
    /// result is recorded like any gradient. An in-place op that rebases this tensor's history
    /// afterwards leaves the hook on the value from before it.
    /// </para>
    /// </remarks>
    /// <param name="hook">Called with the gradient; returns the gradient to use, or null to keep it.</param>
    /// <returns>A handle whose <see cref="HookHandle.Remove"/> (or <c>Dispose</c>) unregisters the hook.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="hook"/> is null.</exception>
    /// <exception cref="InvalidOperationException">This tensor does not require grad (PyTorch: "cannot register a hook on a tensor that doesn't require gradient").</exception>
    public HookHandle RegisterHook(Func<Tensor, Tensor?> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        if (!RequiresGrad)
            throw new InvalidOperationException(
                $"Cannot register a hook on a tensor that doesn't require gradient (shape {Shapes.Format(Dims)}, {DType}). Set RequiresGrad = true on a leaf first.");
        GradientHooks hooks;
        if (GradFn is Node node)
        {
            lock (node) hooks = node.Hooks ??= new GradientHooks(this);
        }
        else
        {
            lock (GradLock) hooks = _leafHooks ??= new GradientHooks(this);
        }
        return hooks.Add(hook);
    }

    /// <summary>
    /// Registers a hook that only looks at this tensor's gradient (<c>tensor.register_hook(print)</c>):
    /// the gradient goes on unchanged. See <see cref="RegisterHook(Func{Tensor, Tensor})"/>.
    /// </summary>
    /// <param name="hook">Called with the gradient.</param>
    /// <returns>A handle that unregisters the hook.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="hook"/> is null.</exception>
    /// <exception cref="InvalidOperationException">This tensor does not require grad.</exception>
    public HookHandle RegisterHook(Action<Tensor> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        return RegisterHook(g =>
        {
            hook(g);
            return null;
        });
    }

    /// <summary>
    /// Makes the backward pass store this non-leaf tensor's gradient in <see cref="Grad"/>, like
    /// PyTorch's <c>tensor.retain_grad()</c>: the first pass stores a copy, later passes add to it
    /// (set <see cref="Grad"/> to null to start over). On a leaf that requires grad it does nothing
    /// (a leaf keeps its gradient anyway); calling it twice has no further effect.
    /// </summary>
    /// <exception cref="InvalidOperationException">This tensor does not require grad (PyTorch: "can't retain_grad on Tensor that has requires_grad=False").</exception>
    public void RetainGrad()
    {
        if (!RequiresGrad)
            throw new InvalidOperationException($"Can't retain_grad on a tensor that does not require grad (shape {Shapes.Format(Dims)}, {DType}).");
        if (GradFn is not Node node || RetainsGrad) return;
        RetainsGrad = true;
        var self = this;
        RegisterHook(g =>
        {
            lock (self.GradLock)
                self.Grad = self.Grad is null ? g.Detach().DetachedCopy() : (self.Grad + g.Detach()).Detach();
        });
    }

    /// <summary>Whether <see cref="RetainGrad"/> was called on this non-leaf tensor (<c>tensor.retains_grad</c>).</summary>
    public bool RetainsGrad { get; private set; }

    /// <summary>The hooks of this leaf, or null (the engine runs them before accumulating).</summary>
    internal GradientHooks? LeafHooks => _leafHooks;
}

/// <summary>A registered hook (PyTorch's <c>RemovableHandle</c>): <see cref="Remove"/> or <see cref="Dispose"/> unregisters it.</summary>
public sealed class HookHandle : IDisposable
{
    private readonly Action _remove;
    private int _removed;

    internal HookHandle(Action remove) => _remove = remove;

    /// <summary>Unregisters the hook (<c>handle.remove()</c>); removing it again does nothing.</summary>
    public void Remove()
    {
        if (Interlocked.Exchange(ref _removed, 1) == 0) _remove();
    }

    /// <summary>Same as <see cref="Remove"/>, so that <c>using var handle = ...</c> scopes a hook.</summary>
    public void Dispose() => Remove();
}

/// <summary>The hooks of one tensor, in registration order (copy on write, so a running pass sees a fixed list).</summary>
internal sealed class GradientHooks(Tensor owner)
{
    private Func<Tensor, Tensor?>[] _hooks = [];

    public bool IsEmpty => Volatile.Read(ref _hooks).Length == 0;

    public HookHandle Add(Func<Tensor, Tensor?> hook)
    {
        lock (this) _hooks = [.. _hooks, hook];
        return new HookHandle(() =>
        {
            lock (this) _hooks = Array.FindAll(_hooks, h => !ReferenceEquals(h, hook));
        });
    }

    /// <summary>Runs every hook on <paramref name="grad"/>, each on the previous result; a result of another shape or dtype is refused.</summary>
    public Tensor Run(Tensor grad)
    {
        var hooks = Volatile.Read(ref _hooks);
        for (int i = 0; i < hooks.Length; i++)
        {
            if (hooks[i](grad) is not Tensor result) continue;
            if (!Shapes.Equal(result.Dims, grad.Dims))
                throw new InvalidOperationException(
                    $"A hook on the tensor of shape {Shapes.Format(owner.Dims)} changed the size of the gradient: it returned shape {Shapes.Format(result.Dims)}, expected {Shapes.Format(grad.Dims)}.");
            if (result.DType != grad.DType)
                throw new InvalidOperationException(
                    $"A hook on the tensor of shape {Shapes.Format(owner.Dims)} changed the type of the gradient: it returned {result.DType}, expected {grad.DType}.");
            grad = result;
        }
        return grad;
    }
}
