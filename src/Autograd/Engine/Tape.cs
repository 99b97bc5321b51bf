namespace Autograd;

/// <summary>
/// The recording switch and the gradient entry points. The switch (<see cref="NoGrad"/>,
/// <see cref="EnableGrad"/>) and <see cref="DetectAnomaly"/> are ambient state of the async flow,
/// as .NET's own ambient state is (<c>CultureInfo.CurrentCulture</c>, <c>AsyncLocal</c>): a scope
/// that spans an <c>await</c> is still in force after it, on whatever thread the code resumes, and
/// ends there; work started inside it (<c>Task.Run</c>, <c>Parallel.For</c>, a new thread) runs
/// inside it; other threads and flows are not affected, so models can train on parallel threads.
/// </summary>
public static class Tape
{
    // The flow's innermost open scope (null: recording on) and anomaly mode. The change callbacks
    // run on a thread whenever its flow's values change (set here, or the thread switching flows)
    // and keep this thread's copies below, so that the per-op reads are thread-static reads.
    private static readonly AsyncLocal<GradModeScope?> s_scope = new(a =>
    {
        t_scope = a.CurrentValue;
        UpdateGradOff();
    });
    private static readonly AsyncLocal<bool> s_anomaly = new(a => t_anomaly = a.CurrentValue);

    [ThreadStatic] private static GradModeScope? t_scope;
    [ThreadStatic] private static bool t_anomaly;
    [ThreadStatic] private static int t_override;                  // the library's Override: 0 none, +1 on, -1 off
    [ThreadStatic] private static GradModeScope? t_overrideScope;  // the flow's scope when the Override began
    [ThreadStatic] private static bool t_gradOff;                  // what the above add up to (read by every op)

    private static void UpdateGradOff()
        // The library's override holds until user code inside it opens a scope of its own.
        => t_gradOff = t_override != 0 && ReferenceEquals(t_scope, t_overrideScope) ? t_override < 0 : t_scope is { Enabled: false };

    /// <summary>True when ops record themselves for backward (not inside <see cref="NoGrad"/>).</summary>
    public static bool IsGradEnabled => !t_gradOff;

    /// <summary>
    /// A scope inside which nothing is recorded (like <c>torch.no_grad()</c>): results never require
    /// grad. Use for evaluation and for parameter updates. <c>using (Tape.NoGrad()) { ... }</c>
    /// </summary>
    /// <returns>The scope; disposing it restores the mode from before it, in the same async flow.</returns>
    /// <remarks>
    /// The scope belongs to the async flow that entered it: dispose it there (a <c>using</c> block,
    /// also across <c>await</c>). Disposing it in a flow where it is not open (another thread, or a
    /// task started before it) throws <see cref="InvalidOperationException"/>, since that cannot end
    /// it where it is in force. Disposing an outer scope while an inner one is still open ends both.
    /// </remarks>
    public static IDisposable NoGrad() => new GradModeScope(enabled: false, "Tape.NoGrad()");

    /// <summary>
    /// A scope inside which recording is on even within an enclosing <see cref="NoGrad"/>
    /// (like <c>torch.enable_grad()</c>). Follows the async flow as <see cref="NoGrad"/> does.
    /// </summary>
    /// <returns>The scope; disposing it restores the mode from before it, in the same async flow.</returns>
    public static IDisposable EnableGrad() => new GradModeScope(enabled: true, "Tape.EnableGrad()");

    /// <summary>
    /// Recording on or off for a block of the library's own code on this thread, without allocating
    /// (per op: <c>using (Tape.Override(gradEnabled: false)) ...</c>). Only for synchronous blocks
    /// that end on the thread they began on; user code called inside may open scopes of its own,
    /// which take precedence while open.
    /// </summary>
    internal static OverrideScope Override(bool gradEnabled) => new(gradEnabled);

    /// <summary>An <see cref="Override"/>; disposing it restores the one before it.</summary>
    internal readonly struct OverrideScope : IDisposable
    {
        private readonly int _previous;
        private readonly GradModeScope? _previousScope;

        internal OverrideScope(bool gradEnabled)
        {
            _previous = t_override;
            _previousScope = t_overrideScope;
            t_override = gradEnabled ? 1 : -1;
            t_overrideScope = t_scope;
            UpdateGradOff();
        }

        public void Dispose()
        {
            t_override = _previous;
            t_overrideScope = _previousScope;
            UpdateGradOff();
        }
    }

    /// <summary>A NoGrad or EnableGrad scope: the flow's mode while it is the innermost open scope.</summary>
    private sealed class GradModeScope : IDisposable
    {
        public readonly bool Enabled;
        private readonly GradModeScope? _outer; // the flow's scope when this one began
        private readonly string _name;
        private bool _ended;

        public GradModeScope(bool enabled, string name)
        {
            Enabled = enabled;
            _name = name;
            _outer = s_scope.Value;
            s_scope.Value = this;
        }

        public void Dispose()
        {
            if (_ended) return;
            var current = s_scope.Value;
            for (var open = current; open is not null; open = open._outer)
            {
                if (!ReferenceEquals(open, this)) continue;
                // End this scope and any inner one left open, as leaving a `with` block restores the mode from before it.
                for (var inner = current; !ReferenceEquals(inner, this); inner = inner!._outer) inner!._ended = true;
                _ended = true;
                s_scope.Value = _outer;
                return;
            }
            throw new InvalidOperationException(
                $"This {_name} scope is not open in the code disposing it: it was entered in another async flow (another thread, or a task " +
                "started before the scope), where it is still in force. Dispose it in the flow that entered it, e.g. with a using block " +
                "(which also works across await).");
        }
    }

    /// <summary>
    /// Anomaly detection (like <c>torch.autograd.detect_anomaly</c>): while on, every op checks
    /// its forward result and every backward step its gradients for NaN or infinity and throws
    /// naming the op. Slow; for debugging only. Ambient state of the async flow, as
    /// <see cref="NoGrad"/> is: set in an <c>async</c> method, it holds across its awaits but
    /// does not flow back to its caller.
    /// </summary>
    public static bool DetectAnomaly
    {
        get => t_anomaly;
        set => s_anomaly.Value = value;
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
    /// Runs backward from <paramref name="output"/> exactly as <see cref="Tensor.Backward"/> does
    /// (the leaves' <see cref="Tensor.Grad"/> accumulate the same bits) and returns the record of the
    /// reverse pass: for each op in the order its backward ran, the gradient that reached its output
    /// (and the gradients that were added up into it, for a tensor used twice), its local derivative
    /// rule, and the gradient it sent to each input (summed over broadcast dims); then the gradient
    /// each leaf received. Print it for a table of the chain rule at work.
    /// </summary>
    /// <remarks>
    /// <code>
    /// var x = Tensor.FromArray([1.0, 2.0]);
    /// x.RequiresGrad = true;
    /// x.Name = "x";
    /// var trace = Tape.TraceBackward((x * x).Sum());
    /// Console.WriteLine(trace);   // Sum, then Mul: g = [1, 1], → x [1, 2] twice; leaf x: [2, 4]
    /// </code>
    /// The trace keeps every gradient of the pass alive, so the pass recycles none of its temporaries.
    /// </remarks>
    /// <param name="output">The tensor to differentiate (a one-element tensor unless <paramref name="gradOutput"/> is given).</param>
    /// <param name="gradOutput">The gradient of some scalar with respect to <paramref name="output"/>; 1 for a one-element output.</param>
    /// <param name="retainGraph">Keep the graph for another backward pass.</param>
    /// <returns>The trace.</returns>
    /// <exception cref="InvalidOperationException">As <see cref="Tensor.Backward"/>.</exception>
    public static BackwardTrace TraceBackward(Tensor output, Tensor? gradOutput = null, bool retainGraph = false)
    {
        ArgumentNullException.ThrowIfNull(output);
        var recorder = new TraceRecorder();
        BackwardEngine.Run(output, gradOutput, retainGraph, createGraph: false, capture: null, trace: recorder);
        return recorder.Build();
    }

    /// <summary>
    /// Records <paramref name="result"/> as produced by the op <paramref name="name"/> from
    /// <paramref name="inputs"/> when recording is on and an input requires grad. The backward maps
    /// the result's gradient to one gradient per input (null where none is needed);
    /// <paramref name="saved"/> lists the tensors it reads, whose versions are checked before it runs.
    /// </summary>
    internal static Tensor Record(Tensor result, string name, Tensor[] inputs, Func<Tensor, Tensor?[]> backward, params Tensor[] saved)
    {
        if (t_anomaly) Anomaly.CheckForward(name, result);
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
