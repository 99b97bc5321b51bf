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
/// </remarks>
public sealed partial class Tensor : IDisposable
{
    private Array? _data; // null once disposed
    internal readonly int[] Dims;
    internal readonly VersionCounter Version;
    internal Node? GradFn;
    private bool _requiresGrad;
    private Tensor? _grad;
    private Lock? _gradLock; // created by the first backward pass that delivers a gradient here

    /// <summary>
    /// A tensor over <paramref name="data"/>. With <paramref name="version"/> it is a view: it shares
    /// the storage (data, version counter, hold count) of the tensors created with that counter, and
    /// <paramref name="data"/> must be their array. <paramref name="owned"/> (new storages only) says
    /// that the library allocated the array and no one outside the tensors of this storage can
    /// reach it, so <see cref="Dispose"/> may recycle it: never set it for an array a caller gave.
    /// </summary>
    internal Tensor(Array data, int[] shape, VersionCounter? version = null, bool owned = false)
    {
        _data = data;
        Dims = shape;
        if (version is null)
        {
            Version = new VersionCounter(data, owned);
        }
        else
        {
            System.Diagnostics.Debug.Assert(ReferenceEquals(version.Array, data), "A view must share its storage's array.");
            version.AddHold();
            Version = version;
        }
        DType = data switch
        {
            float[] => DType.Float32,
            double[] => DType.Float64,
            long[] => DType.Int64,
            _ => throw new ArgumentException($"Unsupported storage {data.GetType()}."),
        };
    }

    /// <summary>
    /// The elements (exactly <see cref="NumberOfElements"/> of them). Throws
    /// <see cref="ObjectDisposedException"/> once the tensor is disposed, except inside a backward
    /// step while a recorded graph still holds the storage (see <see cref="Dispose"/>).
    /// </summary>
    internal Array Data => _data ?? DisposedData();

    /// <summary>The slow path of <see cref="Data"/> for a disposed tensor.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private Array DisposedData()
    {
        // A backward step may read what its graph saved even after the user disposed it: the
        // graph's hold keeps the array out of the pool (Holds > 0), so the values are intact.
        if (Anomaly.t_backwardDepth > 0 && Version.ArrayWhileHeld is Array held) return held;
        throw DisposedException();
    }

    private ObjectDisposedException DisposedException()
        => new(nameof(Tensor), $"This tensor (shape {Shapes.Format(Dims)}, {DType}) was disposed; its data can no longer be used.");

    /// <summary>Throws <see cref="ObjectDisposedException"/> if this tensor was disposed (for entry points that do not read the data).</summary>
    internal void ThrowIfDisposed()
    {
        if (_data is null) throw DisposedException();
    }

    /// <summary>True once <see cref="Dispose"/> was called.</summary>
    public bool IsDisposed => _data is null;

    /// <summary>
    /// Releases this tensor early (opt-in, like TorchSharp's <c>Dispose</c>; the garbage collector
    /// reclaims undisposed tensors as usual). Idempotent. Afterwards every use of the values throws
    /// <see cref="ObjectDisposedException"/>: ops taking it as an input, <see cref="Item"/>,
    /// <see cref="ToArray{T}"/>, <see cref="Detach"/>, <see cref="Clone"/>, <see cref="Backward"/>
    /// from it, and an optimizer step on it. Metadata stays readable: <see cref="Shape"/>,
    /// <see cref="Rank"/>, <see cref="DType"/>, <see cref="NumberOfElements"/>, <see cref="Name"/>,
    /// <see cref="RequiresGrad"/>, <see cref="GradFnName"/> and <see cref="Grad"/> (a separate tensor,
    /// not disposed with this one); <see cref="ToString"/> prints <c>tensor(&lt;disposed&gt;, ...)</c>.
    /// </summary>
    /// <remarks>
    /// <para>
    /// The array goes back to the library's pool, to be reused by the next op producing a tensor of
    /// the same length on this thread, only when that is certainly safe: the library allocated it
    /// (never an array a caller handed over), every tensor sharing it (views from
    /// <see cref="Detach"/>, <see cref="Reshape"/>, ...) is disposed too, and no recorded graph can
    /// still read it. Otherwise it is merely dropped to the garbage collector when the last holder goes.
    /// </para>
    /// <para>
    /// A recorded graph holds every input, output and saved tensor of its ops until it is freed
    /// (by a <see cref="Backward"/> without <c>retainGraph</c>). So disposing a tensor that a graph
    /// still needs is allowed: <see cref="Backward"/> still computes the right gradients from the
    /// held array, and the array is recycled when the graph is freed. A graph that is never run
    /// backward keeps its arrays away from the pool (the garbage collector takes them).
    /// </para>
    /// <para>Not thread-safe with respect to other uses of the same tensor at the same time.</para>
    /// </remarks>
    public void Dispose()
    {
        if (_data is null) return;
        _data = null;
        Version.ReleaseHold();
    }

    /// <summary>The element type.</summary>
    public DType DType { get; }

    /// <summary>The size of each dimension.</summary>
    public IReadOnlyList<int> Shape => Array.AsReadOnly(Dims);

    /// <summary>The number of dimensions (0 for a scalar).</summary>
    public int Rank => Dims.Length;

    /// <summary>The number of elements (1 for a scalar, the product of <see cref="Shape"/>).</summary>
    public int NumberOfElements => _data?.Length ?? Shapes.Size(Dims);

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
    public Tensor Clone()
    {
        var source = Data;
        var r = Owned((int[])Dims.Clone(), DType);
        Array.Copy(source, r.Data, source.Length);
        return r;
    }

    /// <summary>
    /// A zeroed tensor. Large arrays come from <see cref="BufferPool"/> when a disposed tensor left
    /// one of this length (cleared here), else fresh.
    /// </summary>
    internal static Tensor Empty(int[] shape, DType dtype)
    {
        DTypeExtensions.Check(dtype);
        int n = Shapes.Size(shape);
        Array data = dtype switch
        {
            DType.Float32 => BufferPool.RentCleared<float>(n),
            DType.Float64 => BufferPool.RentCleared<double>(n),
            _ => BufferPool.RentCleared<long>(n),
        };
        return new Tensor(data, shape, owned: true);
    }

    internal Tensor EmptyLike(int[]? shape = null) => Empty(shape ?? (int[])Dims.Clone(), DType);

    /// <summary>
    /// Like <see cref="Empty"/> but the elements are not zeroed first (large arrays skip the
    /// clearing pass): only for results whose every element the caller writes. Inside a backward
    /// pass that is not recorded the array comes from <see cref="BufferPool"/> and goes back at the
    /// end of the pass; elsewhere it is a recycled array of a disposed tensor when the pool has one
    /// of this length (see <see cref="Dispose"/>), else a fresh one.
    /// </summary>
    internal static Tensor Uninitialized(int[] shape, DType dtype)
    {
        DTypeExtensions.Check(dtype);
        int n = Shapes.Size(shape);
        Array? pass = dtype switch
        {
            DType.Float32 => BufferPool.RentForBackward<float>(n),
            DType.Float64 => BufferPool.RentForBackward<double>(n),
            _ => null,
        };
        // The pass's arrays are not owned: the pass gives them back itself.
        return pass is not null ? new Tensor(pass, shape) : Owned(shape, dtype);
    }

    /// <summary>An uninitialized tensor whose array the library owns (from the pool or fresh): every element must be written.</summary>
    private static Tensor Owned(int[] shape, DType dtype)
    {
        int n = Shapes.Size(shape);
        Array data = dtype switch
        {
            DType.Float32 => BufferPool.Rent<float>(n),
            DType.Float64 => BufferPool.Rent<double>(n),
            _ => BufferPool.Rent<long>(n),
        };
        return new Tensor(data, shape, owned: true);
    }

    /// <summary><see cref="Uninitialized"/> with this tensor's dtype and (by default) shape.</summary>
    internal Tensor UninitializedLike(int[]? shape = null) => Uninitialized(shape ?? (int[])Dims.Clone(), DType);

    internal void RequireFloat(string op)
    {
        if (DType == DType.Int64)
            throw new ArgumentException($"{op} needs a floating point tensor (Float32 or Float64), got Int64 with shape {Shapes.Format(Dims)}. Convert with To(DType.Float32).");
    }
}

/// <summary>
/// The storage shared by tensors viewing the same data (<see cref="Tensor.Detach"/>,
/// <see cref="Tensor.Reshape"/>): the version counter, bumped on every in-place write, and what
/// <see cref="Tensor.Dispose"/> needs to recycle the array safely.
/// </summary>
internal sealed class VersionCounter
{
    /// <summary>The version: bumped on every in-place write.</summary>
    public int Value;

    /// <summary>The array, until it is recycled or dropped.</summary>
    internal Array? Array;

    /// <summary>
    /// How many holders can still read <see cref="Array"/>: undisposed tensors over it, plus one per
    /// reference from a recorded graph node that is not freed yet (an input, saved tensor or output).
    /// When it drops to 0 nothing can read the array any more.
    /// </summary>
    private int _holds = 1;

    /// <summary>The library allocated the array and only tensors of this storage can reach it: it may go back to the pool.</summary>
    private readonly bool _owned;

    /// <summary>A counter for a new storage, held by the tensor being created.</summary>
    public VersionCounter(Array array, bool owned)
    {
        Array = array;
        _owned = owned;
    }

    /// <summary>The array while someone still holds the storage, else null (read by a backward step of a disposed tensor).</summary>
    internal Array? ArrayWhileHeld => Volatile.Read(ref _holds) > 0 ? Array : null;

    /// <summary>The current number of holders (for tests).</summary>
    internal int Holds => Volatile.Read(ref _holds);

    /// <summary>Adds a holder: a new view, or a graph node referencing a tensor of this storage.</summary>
    /// <exception cref="ObjectDisposedException">Every holder was gone already (the storage may have been recycled).</exception>
    internal void AddHold()
    {
        if (Interlocked.Increment(ref _holds) > 1) return;
        Interlocked.Decrement(ref _holds);
        throw new ObjectDisposedException(nameof(Tensor), "This tensor was disposed and its storage released; it cannot be used or recorded any more.");
    }

    /// <summary>Removes a holder; the last one recycles an owned array (or drops it to the GC).</summary>
    internal void ReleaseHold()
    {
        if (Interlocked.Decrement(ref _holds) != 0) return;
        var array = Array;
        Array = null;
        if (_owned && array is not null) BufferPool.Return(array);
    }
}
