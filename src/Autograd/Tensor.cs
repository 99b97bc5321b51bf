using System.Numerics;

namespace Autograd;

/// <summary>
/// A dense, contiguous, row-major n-dimensional array that records the differentiable operations
/// applied to it, so that <see cref="Backward"/> can replay them in reverse (like <c>torch.Tensor</c>).
/// Ops live in the partial files under <c>Ops/</c>, grouped by family.
/// </summary>
/// <remarks>
/// A tensor's memory belongs to the garbage collector, so nothing needs disposing. <see cref="Dispose"/>
/// is an opt-in release (as in TorchSharp): it gives the library's array back for reuse by the next
/// op of the same size, which saves the page faults and Gen2 collections of large fresh arrays.
/// How a tensor holds its memory (its storage, disposal, recycling) is the engine's
/// business: <c>Engine/Tensor.Storage.cs</c>.
/// </remarks>
public sealed partial class Tensor : IDisposable
{
    internal readonly int[] Dims;
    internal Node? GradFn;
    private bool _requiresGrad;
    private Tensor? _grad;

    /// <summary>The element type.</summary>
    public DType DType { get; }

    /// <summary>The size of each dimension.</summary>
    public IReadOnlyList<int> Shape => Array.AsReadOnly(Dims);

    /// <summary>The number of dimensions (0 for a scalar).</summary>
    public int Rank => Dims.Length;

    /// <summary>The number of elements (1 for a scalar, the product of <see cref="Shape"/>).</summary>
    public int NumberOfElements => _data?.Length ?? Shapes.Size(Dims);

    /// <summary>An optional name, shown by <see cref="ToDot()"/> and <see cref="ToString"/> (display only).</summary>
    public string? Name { get; set; }

    /// <summary>True for a tensor not produced by a recorded op: user-created tensors and parameters.</summary>
    public bool IsLeaf => GradFn is null;

    /// <summary>
    /// Whether gradients flow to this tensor. Settable on leaves only (an op's result requires grad
    /// exactly when one of its inputs did); Int64 tensors never require grad.
    /// </summary>
    public bool RequiresGrad
    {
        get => _requiresGrad || GradFn is not null;
        set
        {
            if (GradFn is not null)
                throw new InvalidOperationException(
                    $"RequiresGrad can only be changed on leaf tensors; this one was produced by {GradFn.Name}. Use Detach() to get a leaf.");
            if (value && DType == DType.Int64)
                throw new InvalidOperationException("Only floating point tensors can require gradients; this tensor is Int64.");
            _requiresGrad = value;
        }
    }

    /// <summary>
    /// The gradient accumulated by <see cref="Backward"/> into this leaf (null until the first
    /// backward). Accumulates across calls until set to null or zeroed, as in PyTorch.
    /// </summary>
    public Tensor? Grad
    {
        get => _grad;
        set
        {
            if (value is not null && !Shapes.Equal(value.Dims, Dims))
                throw new ArgumentException($"Grad must have the tensor's shape {Shapes.Format(Dims)}, got {Shapes.Format(value.Dims)}.", nameof(value));
            if (value is not null && value.DType != DType)
                throw new ArgumentException($"Grad must have the tensor's dtype {DType}, got {value.DType}.", nameof(value));
            _grad = value;
        }
    }

    /// <summary>The name of the op that produced this tensor (as <c>grad_fn</c> in PyTorch), or null for a leaf.</summary>
    public string? GradFnName => GradFn is null ? null : GradFn.Name + "Backward";

    /// <summary>The value of a one-element tensor as a double.</summary>
    public double Item()
    {
        if (NumberOfElements != 1)
            throw new InvalidOperationException($"Item() needs a tensor with one element, this one has shape {Shapes.Format(Dims)} ({NumberOfElements} elements).");
        return Data switch
        {
            float[] f => f[0],
            double[] d => d[0],
            long[] l => l[0],
            _ => throw new InvalidOperationException(),
        };
    }

    /// <summary>A copy of the elements in row-major order, converted to <typeparamref name="T"/> (float, double or long).</summary>
    public T[] ToArray<T>() where T : unmanaged, INumber<T>
    {
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double) && typeof(T) != typeof(long))
            throw new ArgumentException($"ToArray supports float, double and long, not {typeof(T).Name}.", nameof(T));
        if (Data is T[] same) return (T[])same.Clone();
        var result = new T[NumberOfElements];
        switch (Data)
        {
            case float[] f: for (int i = 0; i < f.Length; i++) result[i] = T.CreateTruncating(f[i]); break;
            case double[] d: for (int i = 0; i < d.Length; i++) result[i] = T.CreateTruncating(d[i]); break;
            case long[] l: for (int i = 0; i < l.Length; i++) result[i] = T.CreateTruncating(l[i]); break;
        }
        return result;
    }

    /// <summary>A tensor that shares this one's data but is cut from the graph: a leaf that does not require grad.</summary>
    public Tensor Detach() => new(Data, Dims, Storage);

    /// <summary>
    /// A copy with its own data that stays in the graph, like <c>torch.clone</c>: when this tensor
    /// requires grad (and recording is on) the copy does too, and its gradient flows back unchanged
    /// (d clone(x)/dx = 1). For a copy cut from the graph, write <c>x.Detach().Clone()</c>.
    /// </summary>
    public Tensor Clone()
    {
        var r = DetachedCopy();
        return Tape.Record(r, "Clone", [this], g => [g]);
    }

    /// <summary>A deep copy cut from the graph: a leaf that does not require grad.</summary>
    internal Tensor DetachedCopy()
    {
        var source = Data;
        var r = Owned((int[])Dims.Clone(), DType);
        Array.Copy(source, r.Data, source.Length);
        return r;
    }

    internal void RequireFloat(string op)
    {
        if (DType == DType.Int64)
            throw new ArgumentException($"{op} needs a floating point tensor (Float32 or Float64), got Int64 with shape {Shapes.Format(Dims)}. Convert with To(DType.Float32).");
    }
}
