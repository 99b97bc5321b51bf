namespace Autograd;

/// <summary>
/// The memory behind a tensor and its views (<see cref="Tensor.Detach"/>, <see cref="Tensor.Reshape"/>):
/// the array, the version counter, the holds, and the return of the array to
/// <see cref="BufferPool"/> when the last holder lets go. It is the one place that decides when
/// an array may be reused.
/// </summary>
/// <remarks>
/// A hold is a promise that someone may still read the array: each undisposed tensor over it, and
/// each reference from a recorded graph node that is not freed yet (an input, saved tensor or
/// output). When the holds drop to 0 nothing can read the array any more, so an array the library
/// allocated (<see cref="_owned"/>) goes back to the pool; any other is dropped to the garbage collector.
/// </remarks>
internal sealed class Storage
{
    /// <summary>The version: bumped on every in-place write, so a backward pass that saved a tensor detects the change.</summary>
    public int Version;

    /// <summary>
    /// How many views of this storage were recorded in the graph (a Reshape of a tensor that requires
    /// grad): an in-place op is then not recorded on any tensor of this storage, because the views'
    /// histories would not see it (see <c>Tensor.CheckInPlace</c>). Never decreases.
    /// </summary>
    public int RecordedViews;

    /// <summary>The array, until it is recycled or dropped.</summary>
    internal Array? Array;

    /// <summary>Undisposed tensors over the array plus unfreed graph references to them; 0: no one can read it.</summary>
    private int _holds = 1;

    /// <summary>The library allocated the array and only tensors of this storage can reach it: it may go back to the pool.</summary>
    private readonly bool _owned;

    /// <summary>A new storage, held by the tensor being created over it.</summary>
    /// <param name="array">The elements.</param>
    /// <param name="owned">The library allocated <paramref name="array"/> and no one else can reach it; never set for an array a caller gave.</param>
    public Storage(Array array, bool owned)
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
