namespace Autograd;

public sealed partial class Tensor
{
    private Lock? _gradLock; // created by the first backward pass that delivers a gradient here

    /// <summary>
    /// Computes the gradient of this tensor with respect to every leaf that requires grad and adds
    /// it to their <see cref="Grad"/> (like <c>tensor.backward()</c>).
    /// </summary>
    /// <param name="gradient">The gradient of some scalar with respect to this tensor; may be omitted only for a one-element tensor (then 1).</param>
    /// <param name="retainGraph">Keep the recorded graph so that Backward can run through it again; defaults to freeing it. Implied by <paramref name="createGraph"/>.</param>
    /// <param name="createGraph">Record the backward pass itself, so that the gradients can be differentiated again (higher-order gradients).</param>
    /// <exception cref="InvalidOperationException">Non-scalar output without a gradient, a graph already freed, or a tensor that does not require grad.</exception>
    /// <exception cref="ArgumentException">The gradient's shape differs from this tensor's.</exception>
    public void Backward(Tensor? gradient = null, bool retainGraph = false, bool createGraph = false)
        => BackwardEngine.Run(this, gradient, retainGraph || createGraph, createGraph, capture: null);

    /// <summary>Serializes the accumulation of gradients into <see cref="Grad"/> by concurrent backward passes.</summary>
    internal Lock GradLock
    {
        get
        {
            var existing = Volatile.Read(ref _gradLock);
            if (existing is not null) return existing;
            Interlocked.CompareExchange(ref _gradLock, new Lock(), null);
            return _gradLock!;
        }
    }

    /// <summary>Adds <paramref name="other"/> (same shape) into this tensor's data in place and bumps its version, without the checks of the public <see cref="AddInPlace(Tensor, double)"/> (for the backward engine's gradient accumulation).</summary>
    internal void AccumulateInPlace(Tensor other)
    {
        var o = other.DType == DType ? other : other.To(DType);
        switch (Data)
        {
            case float[] f: System.Numerics.Tensors.TensorPrimitives.Add(f, o.Buffer<float>(), f); break;
            case double[] d: System.Numerics.Tensors.TensorPrimitives.Add(d, o.Buffer<double>(), d); break;
            case long[] l: System.Numerics.Tensors.TensorPrimitives.Add(l, o.Buffer<long>(), l); break;
        }
        BumpVersion();
    }
}
