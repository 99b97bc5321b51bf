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
/// There are no parameter groups (PyTorch's <c>param_groups</c> dictionaries): one optimizer has one
/// set of hyper-parameters. Use two optimizers for two groups.
/// </para>
/// </remarks>
public abstract class Optimizer
{
    private readonly Tensor[] _parameters;
    private readonly IReadOnlyList<Tensor> _readOnlyParameters;
    private double _learningRate;

    /// <summary>Checks and stores the parameters and the learning rate.</summary>
    /// <param name="parameters">The tensors to optimize, enumerated once: Float32 or Float64 leaves that require grad, each at most once.</param>
    /// <param name="lr">The learning rate, a finite number &gt;= 0.</param>
    /// <exception cref="ArgumentNullException"><paramref name="parameters"/> is null.</exception>
    /// <exception cref="ArgumentException">The list is empty, or a parameter is null, Int64, not a leaf, does not require grad, or appears twice.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="lr"/> is negative, NaN or infinite.</exception>
    protected Optimizer(IEnumerable<Tensor> parameters, double lr)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        // Materialised once: a lazy query (model.Parameters().Where(...)) must not be re-run at every step.
        _parameters = parameters.ToArray();
        _readOnlyParameters = Array.AsReadOnly(_parameters);
        if (_parameters.Length == 0)
            throw new ArgumentException("optimizer got an empty parameter list", nameof(parameters));

        var firstIndex = new Dictionary<Tensor, int>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < _parameters.Length; i++)
        {
            var p = _parameters[i];
            if (p is null)
                throw new ArgumentException($"parameters[{i}] is null.", nameof(parameters));
            if (!p.DType.IsFloatingPoint())
                throw new ArgumentException($"{Describe(i)} is {p.DType}; only Float32 and Float64 tensors can be optimized.", nameof(parameters));
            if (!p.IsLeaf)
                throw new ArgumentException(
                    $"{Describe(i)} is not a leaf: it was produced by {p.GradFnName}, and can't be optimized. " +
                    "Optimize the leaf tensors it was computed from (or a Detach()ed copy with RequiresGrad = true).", nameof(parameters));
            if (!p.RequiresGrad)
                throw new ArgumentException(
                    $"{Describe(i)} does not require grad, so it would never receive a gradient. Set RequiresGrad = true, or leave it out.", nameof(parameters));
            if (!firstIndex.TryAdd(p, i))
                throw new ArgumentException(
                    $"{Describe(i)} is the same tensor as parameters[{firstIndex[p]}]; each parameter may appear only once.", nameof(parameters));
        }

        OptimChecks.NonNegative(lr, nameof(lr), "learning rate");
        _learningRate = lr;
    }

    /// <summary>The optimized tensors, in the order they were given.</summary>
    public IReadOnlyList<Tensor> Parameters => _readOnlyParameters;

    /// <summary>
    /// The learning rate used by the next <see cref="Step"/> (PyTorch's <c>param_groups[0]["lr"]</c>).
    /// Set it between steps to schedule it; the optimizer state is kept.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative, NaN or infinite.</exception>
    public double LearningRate
    {
        get => _learningRate;
        set
        {
            OptimChecks.NonNegative(value, nameof(value), "learning rate");
            _learningRate = value;
        }
    }

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
    /// Updates every parameter that has a gradient, in place, by one step of the algorithm. Every
    /// parameter and gradient is checked first: a step that throws changes nothing.
    /// </summary>
    /// <exception cref="InvalidOperationException">A gradient's dtype differs from its parameter's, or a parameter was replaced by <c>Module.To</c> after this optimizer was created.</exception>
    /// <exception cref="ObjectDisposedException">A parameter or gradient was disposed.</exception>
    public abstract void Step();

    /// <summary>
    /// Checks every parameter and gradient before a step changes any of them, so that a step that
    /// throws leaves all parameters as they were: see <see cref="CheckUsable"/>, and each gradient
    /// must have its parameter's dtype.
    /// </summary>
    /// <exception cref="ObjectDisposedException">A parameter or gradient was disposed.</exception>
    /// <exception cref="InvalidOperationException">A gradient's dtype differs from its parameter's, or a parameter was replaced.</exception>
    private protected void CheckParameters()
    {
        CheckUsable();
        for (int i = 0; i < _parameters.Length; i++) GradientOf(i);
    }

    /// <summary>No parameter was replaced by <c>Module.To</c> after this optimizer was created, and none, nor any gradient, was disposed.</summary>
    private void CheckUsable()
    {
        for (int i = 0; i < _parameters.Length; i++)
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

    /// <summary>"parameters[3] ('fc1.weight', shape [16, 8])", for error messages.</summary>
    private protected string Describe(int index)
    {
        var p = _parameters[index];
        string name = p.Name is null ? "" : $"'{p.Name}', ";
        return $"parameters[{index}] ({name}shape {Shapes.Format(p.Dims)})";
    }
}
