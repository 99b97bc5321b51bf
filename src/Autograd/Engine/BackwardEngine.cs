namespace Autograd;

/// <summary>
/// Reverse-mode replay: a topological sort of the recorded graph with an explicit stack (deep
/// graphs cannot overflow), then one reverse pass that calls each op's backward and adds up the
/// gradients of tensors used more than once. Passes on several threads may run through one graph
/// at once: each enters the nodes it runs (see <see cref="Node"/>) and adds its gradients into the
/// leaves under each leaf's lock.
/// </summary>
internal static class BackwardEngine
{
    /// <summary>
    /// Runs backward from <paramref name="output"/>. With <paramref name="capture"/> null, leaf
    /// gradients accumulate into <see cref="Tensor.Grad"/>; otherwise the gradients of the captured
    /// tensors are returned (one per capture entry, null if unreached) and no Grad is touched.
    /// </summary>
    public static Tensor?[]? Run(Tensor output, Tensor? gradOutput, bool retainGraph, bool createGraph, IReadOnlyList<Tensor>? capture, TraceRecorder? trace = null)
    {
        // Disposed roots and seeds are uses of their values (inside, the graph's holds let the
        // steps read disposed tensors they saved: see Tensor.Dispose).
        output.ThrowIfDisposed();
        gradOutput?.ThrowIfDisposed();
        if (!output.RequiresGrad)
            throw new InvalidOperationException(
                $"The tensor (shape {Shapes.Format(output.Dims)}) does not require grad and has no grad_fn: nothing that requires grad was used to compute it (or it was computed inside Tape.NoGrad()).");
        gradOutput = SeedGradient(output, gradOutput);

        var captured = capture is null ? null : new Tensor?[capture.Count];
        if (output.GradFn is null)
        {
            // Backward on a leaf: its gradient is the seed (through its hooks).
            if (capture is null && output.LeafHooks is { IsEmpty: false } leafHooks) gradOutput = leafHooks.Run(gradOutput);
            trace?.Leaf(output, gradOutput);
            Deliver(output, gradOutput, capture, captured, createGraph, pool: default);
            return captured;
        }

        var order = TopologicalOrder(output.GradFn);
        var entered = new bool[order.Count]; // the nodes this pass ran (see Node.TryEnter)
        var grads = new Dictionary<Node, Tensor>(ReferenceEqualityComparer.Instance) { [output.GradFn] = gradOutput };
        Dictionary<Node, int>? capturedNodes = null;
        if (capture is not null)
        {
            for (int i = 0; i < capture.Count; i++)
                if (capture[i].GradFn is Node n) (capturedNodes ??= new(ReferenceEqualityComparer.Instance))[n] = i;
        }

        bool completed = false;
        try
        {
            // A pass whose gradients all stay inside it (not recorded, none returned to the caller)
            // recycles its temporaries when it completes.
            // A traced pass keeps every gradient it computed (the trace holds them): nothing is recycled.
            using var pool = BufferPool.OpenBackwardScope(recycle: !createGraph && capture is null && trace is null);
            using (Tape.Override(gradEnabled: createGraph))
                Replay(order, entered, grads, capture, captured, capturedNodes, createGraph, pool, trace);
            pool.Complete();
            completed = true;
        }
        finally
        {
            // A failed pass leaves the graph as it was; a completed one frees all of it (also the
            // nodes it reached without a gradient to run them with) unless asked to retain it.
            for (int k = 0; k < order.Count; k++) order[k].Leave(entered[k], free: completed && !retainGraph);
        }
        return captured;
    }

    /// <summary>The reverse pass: each node's backward on its summed gradient, in reverse topological order.</summary>
    private static void Replay(List<Node> order, bool[] entered, Dictionary<Node, Tensor> grads, IReadOnlyList<Tensor>? capture, Tensor?[]? captured,
        Dictionary<Node, int>? capturedNodes, bool createGraph, BufferPool.BackwardScope pool, TraceRecorder? trace)
    {
        // Leaves with hooks get their gradient once, summed over the pass, at its end (as PyTorch's
        // AccumulateGrad, which runs once all contributions are in); Tape.Grad does not run them.
        Dictionary<Tensor, Tensor>? hookedLeaves = null;
        List<Tensor>? hookedOrder = null;
        for (int k = order.Count - 1; k >= 0; k--)
        {
            var node = order[k];
            if (!grads.Remove(node, out var grad)) continue;
            if (!node.TryEnter()) throw node.FreedError();
            entered[k] = true;
            if (capturedNodes is not null && capturedNodes.TryGetValue(node, out int ci)) captured![ci] = grad;
            if (!node.KeepsNoGradient) pool.StepMayKeepGradient();
            if (node.Hooks is { IsEmpty: false } hooks)
            {
                pool.StepMayKeepGradient(); // a hook may keep the gradient it is given
                grad = hooks.Run(grad);
            }

            Tensor?[] inputGrads;
            Anomaly.t_backwardDepth++;
            try { inputGrads = node.Apply(grad); }
            finally { Anomaly.t_backwardDepth--; }
            if (inputGrads.Length != node.Inputs.Length)
                throw new InvalidOperationException($"{node.Name}Backward returned {inputGrads.Length} gradients for {node.Inputs.Length} inputs.");
            var sent = trace is null ? null : new Tensor?[inputGrads.Length];
            for (int i = 0; i < inputGrads.Length; i++)
            {
                var input = node.Inputs[i];
                var g = inputGrads[i];
                if (g is null || !node.InputRequiresGrad[i]) continue;
                g = CheckGradient(node, i, input, g);
                if (sent is not null) sent[i] = g;
                if (node.InputFns[i] is Node parent)
                {
                    trace?.Contribution(parent, g);
                    grads[parent] = grads.TryGetValue(parent, out var sum) ? sum + g : g;
                }
                else
                {
                    trace?.Leaf(input, g);
                    if (capture is null && input.LeafHooks is { IsEmpty: false })
                    {
                        hookedLeaves ??= new(ReferenceEqualityComparer.Instance);
                        hookedOrder ??= [];
                        if (hookedLeaves.TryGetValue(input, out var sum))
                        {
                            hookedLeaves[input] = sum + g;
                        }
                        else
                        {
                            hookedLeaves[input] = g;
                            hookedOrder.Add(input);
                        }
                    }
                    else
                    {
                        Deliver(input, g, capture, captured, createGraph, pool);
                    }
                }
            }
            if (trace is not null) trace.Step(node, grad, sent!);
        }
        if (hookedOrder is null) return;
        pool.StepMayKeepGradient();
        foreach (var leaf in hookedOrder) Deliver(leaf, leaf.LeafHooks!.Run(hookedLeaves![leaf]), capture, captured, createGraph, pool);
    }

    private static Tensor SeedGradient(Tensor output, Tensor? gradOutput)
    {
        if (gradOutput is null)
        {
            if (output.NumberOfElements != 1)
                throw new InvalidOperationException(
                    $"grad can be implicitly created only for scalar outputs, but the output has shape {Shapes.Format(output.Dims)}. " +
                    "Reduce it first (e.g. Sum() or Mean()) or pass a gradient of that shape to Backward(gradient).");
            return Tensor.OnesLike(output);
        }
        if (!Shapes.Equal(gradOutput.Dims, output.Dims))
            throw new ArgumentException(
                $"Mismatch in shape: the gradient has shape {Shapes.Format(gradOutput.Dims)} but the output has shape {Shapes.Format(output.Dims)}.", nameof(gradOutput));
        return gradOutput.DType == output.DType ? gradOutput : gradOutput.Detach().To(output.DType);
    }

    private static Tensor CheckGradient(Node node, int index, Tensor input, Tensor g)
    {
        if (!Shapes.Equal(g.Dims, input.Dims))
            throw new InvalidOperationException(
                $"{node.Name}Backward returned a gradient of shape {Shapes.Format(g.Dims)} for input {index}, whose shape is {Shapes.Format(input.Dims)}.");
        if (g.DType != input.DType) g = g.To(input.DType);
        if (Tape.DetectAnomaly) Anomaly.CheckBackward(node.Name, index, g);
        return g;
    }

    private static void Deliver(Tensor leaf, Tensor g, IReadOnlyList<Tensor>? capture, Tensor?[]? captured, bool createGraph, BufferPool.BackwardScope pool)
    {
        // Whatever is stored in a leaf outlives the pass: allocate it outside the pool.
        using (pool.Outside())
        {
            if (capture is not null) Capture(leaf, g, capture, captured!);
            else Accumulate(leaf, g, createGraph);
        }
    }

    private static void Capture(Tensor leaf, Tensor g, IReadOnlyList<Tensor> capture, Tensor?[] captured)
    {
        for (int i = 0; i < capture.Count; i++)
            if (ReferenceEquals(capture[i], leaf)) captured[i] = captured[i] is Tensor prev ? prev + g : g;
    }

    /// <summary>
    /// Adds <paramref name="g"/> to the leaf's <see cref="Tensor.Grad"/> (like PyTorch's AccumulateGrad),
    /// under the leaf's lock, so that passes on several threads each add theirs exactly once.
    /// </summary>
    /// <remarks>
    /// A first gradient is stored as a copy: <paramref name="g"/> may be the caller's gradient or
    /// reach several leaves (Add's backward passes it on as it is), and a later in-place
    /// accumulation must change this leaf's gradient only. With createGraph the copy is recorded,
    /// so the gradient stays differentiable, and later ones are added out of place, as PyTorch does.
    /// </remarks>
    private static void Accumulate(Tensor leaf, Tensor g, bool createGraph)
    {
        lock (leaf.GradLock)
        {
            if (createGraph)
                leaf.Grad = leaf.Grad is null ? RecordedCopy(g) : leaf.Grad + g;
            else if (leaf.Grad is null || leaf.Grad.GradFn is not null)
                leaf.Grad = leaf.Grad is null ? g.DetachedCopy() : (leaf.Grad + g).Detach();
            else
                leaf.Grad.AccumulateInPlace(g);
        }
    }

    /// <summary>A copy of <paramref name="g"/> that is recorded when <paramref name="g"/> requires grad (clone: grad ↦ grad).</summary>
    private static Tensor RecordedCopy(Tensor g)
        => g.RequiresGrad ? Tape.Record(g.DetachedCopy(), "Clone", [g], grad => [grad]) : g.DetachedCopy();

    /// <summary>Post-order over the nodes reachable from <paramref name="root"/> (inputs before the ops that use them).</summary>
    private static List<Node> TopologicalOrder(Node root)
    {
        var order = new List<Node>();
        var visited = new HashSet<Node>(ReferenceEqualityComparer.Instance) { root };
        var stack = new Stack<(Node Node, int Next)>();
        stack.Push((root, 0));
        while (stack.Count > 0)
        {
            var (node, next) = stack.Pop();
            if (next < node.Inputs.Length)
            {
                stack.Push((node, next + 1));
                if (node.InputFns[next] is Node child && visited.Add(child)) stack.Push((child, 0));
            }
            else
            {
                order.Add(node);
            }
        }
        return order;
    }
}
