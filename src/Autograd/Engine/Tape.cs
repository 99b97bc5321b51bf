namespace Autograd;

/// <summary>
/// The recording switch and the gradient entry points. Each thread has its own recording state,
/// so models can train on parallel threads.
/// </summary>
public static class Tape
{
    [ThreadStatic] private static int t_noGradDepth;
    [ThreadStatic] private static bool t_anomalyMode;

    /// <summary>True when ops record themselves for backward (not inside <see cref="NoGrad"/>).</summary>
    public static bool IsGradEnabled => t_noGradDepth == 0;

    /// <summary>
    /// A scope inside which nothing is recorded (like <c>torch.no_grad()</c>): results never require
    /// grad. Use for evaluation and for parameter updates. <c>using (Tape.NoGrad()) { ... }</c>
    /// </summary>
    public static IDisposable NoGrad() => new GradModeScope(+1);

    /// <summary>
    /// A scope inside which recording is on even within an enclosing <see cref="NoGrad"/>
    /// (like <c>torch.enable_grad()</c>).
    /// </summary>
    public static IDisposable EnableGrad() => new GradModeScope(-t_noGradDepth);

    /// <summary>Enters a no-grad region without allocating a scope object; pair with <see cref="ExitNoGrad"/> in a finally.</summary>
    internal static void EnterNoGrad() => t_noGradDepth++;

    /// <summary>Leaves the region entered by <see cref="EnterNoGrad"/>.</summary>
    internal static void ExitNoGrad() => t_noGradDepth--;

    private sealed class GradModeScope : IDisposable
    {
        private readonly int _delta;
        private bool _disposed;

        public GradModeScope(int delta)
        {
            _delta = delta;
            t_noGradDepth += delta;
        }

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            t_noGradDepth -= _delta;
        }
    }

    /// <summary>
    /// Anomaly detection (like <c>torch.autograd.detect_anomaly</c>): while on, every op checks
    /// its forward result and every backward step its gradients for NaN or infinity and throws
    /// naming the op. Slow; for debugging only. Per thread.
    /// </summary>
    public static bool DetectAnomaly
    {
        get => t_anomalyMode;
        set => t_anomalyMode = value;
    }

    /// <summary>
    /// The gradients of <paramref name="output"/> with respect to <paramref name="inputs"/>, without
    /// touching any tensor's <see cref="Tensor.Grad"/> (like <c>torch.autograd.grad</c>).
    /// </summary>
    /// <param name="output">The tensor to differentiate; a scalar unless <paramref name="gradOutput"/> is given.</param>
    /// <param name="inputs">Tensors that require grad (leaves or intermediate results) the output depends on.</param>
    /// <param name="gradOutput">The vector in the vector-Jacobian product; defaults to 1 for a scalar output.</param>
    /// <param name="retainGraph">Keep the graph for another backward pass (defaults to <paramref name="createGraph"/>).</param>
    /// <param name="createGraph">Record the backward pass so that the returned gradients can be differentiated again.</param>
    /// <param name="allowUnused">Return zeros for an input the output does not depend on, instead of throwing.</param>
    /// <returns>One gradient per input, shaped like that input.</returns>
    public static Tensor[] Grad(Tensor output, IReadOnlyList<Tensor> inputs, Tensor? gradOutput = null,
        bool retainGraph = false, bool createGraph = false, bool allowUnused = false)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(inputs);
        for (int i = 0; i < inputs.Count; i++)
        {
            if (inputs[i] is null) throw new ArgumentNullException(nameof(inputs), $"inputs[{i}] is null.");
            if (!inputs[i].RequiresGrad)
                throw new ArgumentException($"inputs[{i}] (shape {Shapes.Format(inputs[i].Dims)}) does not require grad, so it has no gradient.", nameof(inputs));
        }
        var captured = BackwardEngine.Run(output, gradOutput, retainGraph || createGraph, createGraph, inputs);
        var result = new Tensor[inputs.Count];
        for (int i = 0; i < inputs.Count; i++)
        {
            if (captured![i] is Tensor g) result[i] = g;
            else if (allowUnused) result[i] = Tensor.ZerosLike(inputs[i]);
            else
                throw new InvalidOperationException(
                    $"inputs[{i}] (shape {Shapes.Format(inputs[i].Dims)}) was not used to compute the output, so it has no gradient. Pass allowUnused: true to get zeros.");
        }
        return result;
    }

    /// <summary>
    /// Records <paramref name="result"/> as produced by the op <paramref name="name"/> from
    /// <paramref name="inputs"/> when recording is on and an input requires grad. The backward maps
    /// the result's gradient to one gradient per input (null where none is needed);
    /// <paramref name="saved"/> lists the tensors it reads, whose versions are checked before it runs.
    /// </summary>
    internal static Tensor Record(Tensor result, string name, Tensor[] inputs, Func<Tensor, Tensor?[]> backward, params Tensor[] saved)
    {
        if (t_anomalyMode) Anomaly.CheckForward(name, result);
        if (!IsGradEnabled) return result;
        foreach (var input in inputs)
        {
            if (input.RequiresGrad)
            {
                result.GradFn = new Node(result, name, inputs, backward, saved);
                return result;
            }
        }
        return result;
    }

    internal static bool AnyRequiresGrad(Tensor a) => IsGradEnabled && a.RequiresGrad;

    internal static bool AnyRequiresGrad(Tensor a, Tensor b) => IsGradEnabled && (a.RequiresGrad || b.RequiresGrad);
}

/// <summary>The checks behind <see cref="Tape.DetectAnomaly"/>.</summary>
internal static class Anomaly
{
    // Inside a backward step the ops computing the gradient are not reported one by one:
    // the step's result is checked and reported under the op being differentiated.
    // Tensor.Data also reads it: inside a step, a disposed tensor its graph still holds stays readable.
    [ThreadStatic] internal static int t_backwardDepth;

    public static void CheckForward(string op, Tensor result)
    {
        if (t_backwardDepth == 0 && HasNonFinite(result))
            throw new ArithmeticException($"Anomaly detected: the forward pass of {op} produced NaN or infinity (output shape {Shapes.Format(result.Dims)}).");
    }

    public static void CheckBackward(string op, int inputIndex, Tensor grad)
    {
        if (HasNonFinite(grad))
            throw new ArithmeticException($"Anomaly detected: {op}Backward returned NaN or infinity in its gradient for input {inputIndex} (shape {Shapes.Format(grad.Dims)}).");
    }

    private static bool HasNonFinite(Tensor t)
    {
        switch (t.Data)
        {
            case float[] f: foreach (var v in f) if (!float.IsFinite(v)) return true; break;
            case double[] d: foreach (var v in d) if (!double.IsFinite(v)) return true; break;
        }
        return false;
    }
}
