using System.Numerics;

namespace Autograd;

/// <summary>
/// A dense, contiguous, row-major n-dimensional array that records the differentiable operations
/// applied to it, so that <see cref="Backward"/> can replay them in reverse (like <c>torch.Tensor</c>).
/// Ops live in the partial files under <c>Ops/</c>, grouped by family.
/// </summary>
public sealed partial class Tensor
{
    internal readonly Array Data;
    internal readonly int[] Dims;
    internal readonly VersionCounter Version;
    internal Node? GradFn;
    private bool _requiresGrad;
    private Tensor? _grad;

    internal Tensor(Array data, int[] shape, VersionCounter? version = null)
    {
        Data = data;
        Dims = shape;
        Version = version ?? new VersionCounter();
        DType = data switch
        {
            float[] => DType.Float32,
            double[] => DType.Float64,
            long[] => DType.Int64,
            _ => throw new ArgumentException($"Unsupported storage {data.GetType()}."),
        };
    }

    /// <summary>The element type.</summary>
    public DType DType { get; }

    /// <summary>The size of each dimension.</summary>
    public IReadOnlyList<int> Shape => Array.AsReadOnly(Dims);

    /// <summary>The number of dimensions (0 for a scalar).</summary>
    public int Rank => Dims.Length;

    /// <summary>The number of elements (1 for a scalar, the product of <see cref="Shape"/>).</summary>
    public int NumberOfElements => Data.Length;

    /// <summary>An optional name, shown by <see cref="ToDot"/> and <see cref="ToString"/> (display only).</summary>
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

    internal T[] Buffer<T>() => (T[])Data;

    internal Span<T> Span<T>() => (T[])Data;

    /// <summary>Marks an in-place write (optimizers, in-place ops), so that a backward pass that saved this tensor can detect it.</summary>
    internal void BumpVersion() => Version.Value++;

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
    public Tensor Detach() => new(Data, Dims, Version);

    /// <summary>A detached deep copy.</summary>
    public Tensor Clone() => new((Array)Data.Clone(), (int[])Dims.Clone());

    internal static Tensor Empty(int[] shape, DType dtype)
    {
        DTypeExtensions.Check(dtype);
        int n = Shapes.Size(shape);
        Array data = dtype switch
        {
            DType.Float32 => new float[n],
            DType.Float64 => new double[n],
            _ => new long[n],
        };
        return new Tensor(data, shape);
    }

    internal Tensor EmptyLike(int[]? shape = null) => Empty(shape ?? (int[])Dims.Clone(), DType);

    /// <summary>
    /// Like <see cref="Empty"/> but the elements are not zeroed first (large arrays skip the
    /// clearing pass): only for results whose every element the caller writes. Inside a backward
    /// pass that is not recorded the array comes from <see cref="BufferPool"/> and goes back at the
    /// end of the pass.
    /// </summary>
    internal static Tensor Uninitialized(int[] shape, DType dtype)
    {
        DTypeExtensions.Check(dtype);
        int n = Shapes.Size(shape);
        Array data = dtype switch
        {
            DType.Float32 => BufferPool.RentForBackward<float>(n) ?? GC.AllocateUninitializedArray<float>(n),
            DType.Float64 => BufferPool.RentForBackward<double>(n) ?? GC.AllocateUninitializedArray<double>(n),
            _ => GC.AllocateUninitializedArray<long>(n),
        };
        return new Tensor(data, shape);
    }

    /// <summary><see cref="Uninitialized"/> with this tensor's dtype and (by default) shape.</summary>
    internal Tensor UninitializedLike(int[]? shape = null) => Uninitialized(shape ?? (int[])Dims.Clone(), DType);

    internal void RequireFloat(string op)
    {
        if (DType == DType.Int64)
            throw new ArgumentException($"{op} needs a floating point tensor (Float32 or Float64), got Int64 with shape {Shapes.Format(Dims)}. Convert with To(DType.Float32).");
    }
}

/// <summary>A counter shared by tensors viewing the same data; bumped on every in-place write.</summary>
internal sealed class VersionCounter
{
    public int Value;
}
