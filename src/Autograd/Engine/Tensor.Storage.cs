namespace Autograd;

// How a tensor holds its memory: the array it reads, the Storage it shares with its views,
// Dispose, and the allocation of results (fresh, recycled from BufferPool, or rented for a
// backward pass). The math never needs more than Data, Buffer<T>() and Span<T>() from here.
public sealed partial class Tensor
{
    private Array? _data; // the storage's array; null once this tensor is disposed

    /// <summary>The memory this tensor shares with its views: the array, version counter and holds.</summary>
    internal readonly Storage Storage;

    /// <summary>
    /// A tensor over <paramref name="data"/>. With <paramref name="storage"/> it is a view: it shares
    /// that storage (data, version counter, holds), and <paramref name="data"/> must be its array.
    /// <paramref name="owned"/> (new storages only) says that the library allocated the array and no
    /// one outside the tensors of this storage can reach it, so <see cref="Dispose"/> may recycle it:
    /// never set it for an array a caller gave.
    /// </summary>
    internal Tensor(Array data, int[] shape, Storage? storage = null, bool owned = false)
    {
        _data = data;
        Dims = shape;
        if (storage is null)
        {
            Storage = new Storage(data, owned);
        }
        else
        {
            System.Diagnostics.Debug.Assert(ReferenceEquals(storage.Array, data), "A view must share its storage's array.");
            storage.AddHold();
            Storage = storage;
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
    internal Array Data => _deferred is null ? _data ?? DisposedData() : FillDeferredTranspose();

    internal T[] Buffer<T>() => (T[])Data;

    internal Span<T> Span<T>() => (T[])Data;

    /// <summary>Marks an in-place write (optimizers, in-place ops), so that a backward pass that saved this tensor can detect it.</summary>
    internal void BumpVersion() => Storage.Version++;

    /// <summary>The slow path of <see cref="Data"/> for a disposed tensor.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private Array DisposedData()
    {
        // A backward step may read what its graph saved even after the user disposed it: the
        // graph's hold keeps the array out of the pool (Holds > 0), so the values are intact.
        if (Anomaly.t_backwardDepth > 0 && Storage.ArrayWhileHeld is Array held) return held;
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
        Interlocked.Exchange(ref _deferred, null)?.Release();
        _data = null;
        Storage.ReleaseHold();
    }

    // ---- T without a copy -------------------------------------------------------------------
    // T of a 2-D tensor allocates its result but puts off the copy until someone reads it, because
    // the commonest reader, MatMul (x.MatMul(w.T)), can read the source transposed in place, as
    // Functional.Linear does. Anything else that reads the result (Data) fills it first.

    /// <summary>The 2-D tensor this one is the not yet copied transpose of; null once filled (or never deferred).</summary>
    private DeferredTranspose? _deferred;

    /// <summary>The source of a transpose whose copy was put off, with its array and version when <see cref="T"/> was taken.</summary>
    private sealed class DeferredTranspose
    {
        public readonly Tensor Source;
        public readonly Array SourceArray;
        public readonly int Version;

        public DeferredTranspose(Tensor source)
        {
            Source = source;
            SourceArray = source.Data;
            Version = source.Storage.Version;
            source.Storage.AddHold(); // the source's array must not be recycled before the copy is made
        }

        public void Release() => Source.Storage.ReleaseHold();

        /// <summary>Throws when the source was written in place since: its values at the time of T are gone.</summary>
        public void CheckVersion(Tensor result)
        {
            if (Source.Storage.Version != Version)
                throw new InvalidOperationException(
                    $"This tensor (shape {Shapes.Format(result.Dims)}) is the transpose T of a tensor that was changed in place " +
                    $"(version {Version} -> {Source.Storage.Version}) before the transpose was first used: T copies its source when " +
                    "the result is first read, and the values it was taken from are gone. Use T after the change, or write w.T.Clone() to copy at once.");
        }
    }

    /// <summary>
    /// Makes <paramref name="r"/> (allocated, of the transposed shape) the transpose of this 2-D
    /// tensor, to be copied when first read. Outside a backward pass only (its arrays are the pass's).
    /// </summary>
    internal void DeferTransposeInto(Tensor r) => r._deferred = new DeferredTranspose(this);

    /// <summary>
    /// For MatMul: the 2-D tensor this one is the not yet copied transpose of, so that the product
    /// can read it transposed in place; null when this tensor holds its own values (or the source
    /// was disposed: reading this tensor then copies from the array the deferral holds).
    /// </summary>
    /// <exception cref="InvalidOperationException">The source was changed in place since <see cref="T"/>.</exception>
    internal Tensor? DeferredTransposeSource()
    {
        var deferred = Volatile.Read(ref _deferred);
        if (deferred is null) return null;
        deferred.CheckVersion(this);
        // A source disposed since can no longer be read as a tensor: the copy reads the array it holds.
        return deferred.Source.IsDisposed ? null : deferred.Source;
    }

    /// <summary>The slow path of <see cref="Data"/> for a deferred transpose: copies the source once (any thread may get here first).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private Array FillDeferredTranspose()
    {
        var deferred = Volatile.Read(ref _deferred);
        if (deferred is null) return _data ?? DisposedData();
        lock (deferred)
        {
            if (Volatile.Read(ref _deferred) is null) return _data ?? DisposedData();
            deferred.CheckVersion(this);
            var data = _data ?? DisposedData();
            var source = deferred.Source;
            switch (data)
            {
                case float[] f: Kernels.CopyKernels.Transpose((float[])deferred.SourceArray, source.Dims, 0, 1, f); break;
                case double[] d: Kernels.CopyKernels.Transpose((double[])deferred.SourceArray, source.Dims, 0, 1, d); break;
                default: Kernels.CopyKernels.Transpose((long[])deferred.SourceArray, source.Dims, 0, 1, (long[])data); break;
            }
            Volatile.Write(ref _deferred, null);
            deferred.Release();
            return data;
        }
    }

    /// <summary>
    /// A zeroed tensor. Large arrays come from <see cref="BufferPool"/> when a disposed tensor left
    /// one of this length (cleared here), else fresh.
    /// </summary>
    internal static Tensor Zeroed(int[] shape, DType dtype)
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

    internal Tensor ZeroedLike(int[]? shape = null) => Zeroed(shape ?? (int[])Dims.Clone(), DType);

    /// <summary>
    /// Like <see cref="Zeroed"/> but the elements are not zeroed first (large arrays skip the
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

    /// <summary><see cref="Uninitialized"/> with this tensor's dtype and (by default) shape.</summary>
    internal Tensor UninitializedLike(int[]? shape = null) => Uninitialized(shape ?? (int[])Dims.Clone(), DType);

    /// <summary>
    /// A tensor over a copy of <paramref name="data"/>: the caller's array is never wrapped (so never
    /// recycled by <see cref="Dispose"/>); the copy belongs to the library.
    /// </summary>
    private static Tensor Copy<T>(T[] data, int[] shape) where T : unmanaged
    {
        var copy = BufferPool.Rent<T>(data.Length);
        data.AsSpan().CopyTo(copy);
        return new Tensor(copy, shape, owned: true);
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
}
