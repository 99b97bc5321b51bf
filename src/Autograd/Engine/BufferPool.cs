namespace Autograd;

/// <summary>
/// Recycles the arrays of temporaries that no user code can reach, so that steady-state training
/// steps stop allocating (and large arrays stop costing Gen2 collections).
/// </summary>
/// <remarks>
/// <para>
/// Three kinds of arrays come back here. (1) While a backward pass that is not recorded runs
/// (<see cref="OpenBackwardScope"/>: no createGraph, no captured gradients), every tensor allocated
/// through <see cref="Tensor.Uninitialized"/> is a gradient temporary: it flows from one op's
/// backward to the next and leaves the pass only copied (a leaf's first gradient is a clone, later
/// ones are added in place). The pass hands them back at its end, unless a user-defined
/// <see cref="Function"/> ran (its backward might keep the gradient it was given). (2) Arrays an op
/// keeps only for its own backward (cross entropy's log-probabilities) come back when the graph is
/// released. (3) The array of a disposed tensor (<see cref="Tensor.Dispose"/>: the user's, or an
/// activation no user code can reach), which its <see cref="Storage"/> returns once no view and no
/// recorded graph can read it, and only if the library allocated it.
/// </para>
/// <para>
/// Outside backward passes the arrays go to the library's own allocations whose every element is
/// written (<see cref="Tensor.Uninitialized"/>, copies) or cleared (<see cref="RentCleared{T}"/>), so
/// that a steady-state loop that disposes its results stops allocating.
/// </para>
/// <para>
/// Arrays are pooled by exact length (a tensor's array is exactly its size), one pool per thread
/// (no locks; an array rented on one thread and returned on another just changes pools); each
/// length keeps at most <see cref="MaxPerLength"/> arrays (more for small ones: up to
/// <see cref="MaxBytesPerLength"/>) and each thread's pool at most
/// <see cref="MaxBytes"/> in all. A rented array is not cleared: it is only used where every
/// element is written.
/// </para>
/// </remarks>
internal static class BufferPool
{
    /// <summary>Arrays smaller than this are left to the GC (a gen0 allocation is cheaper than a pool look-up).</summary>
    public const int MinBytes = 4096;

    /// <summary>The most arrays kept for one length (an MLP's backward holds a handful of same-size gradients at once).</summary>
    public const int MaxPerLength = 16;

    /// <summary>
    /// Small arrays may be kept beyond <see cref="MaxPerLength"/> up to this many bytes per length:
    /// a recurrent network's backward pass rents a few same-size gradients per time step.
    /// </summary>
    public const long MaxBytesPerLength = 4L << 20;

    /// <summary>The most bytes one thread's pool keeps in all.</summary>
    public const long MaxBytes = 256L << 20;

    [ThreadStatic] private static Dictionary<(Type, int), Stack<Array>>? t_free;
    [ThreadStatic] private static HashSet<Array>? t_freeSet; // the same arrays, to refuse a second return in O(1)
    [ThreadStatic] private static long t_freeBytes;

    [ThreadStatic] private static Pass? t_pass; // the innermost recycling backward pass on this thread, if any

    /// <summary>The arrays rented during one backward pass.</summary>
    internal sealed class Pass
    {
        internal readonly List<Array> Rented = [];
        internal Pass? Outer;
        internal bool Keep;      // a user-defined backward ran: it may hold a rented array
        internal bool Completed; // the pass ran to its end, so its gradients are all consumed
    }

    /// <summary>
    /// Opens the pool's part of one backward pass on this thread (<c>using var pool = ...</c>): with
    /// <paramref name="recycle"/>, the gradient temporaries the pass allocates through
    /// <see cref="Tensor.Uninitialized"/> are rented here and come back when the scope is disposed,
    /// if the pass <see cref="BackwardScope.Complete">completed</see> and no user-defined backward ran.
    /// The scope's methods are the backward engine's only dealings with the pool.
    /// </summary>
    public static BackwardScope OpenBackwardScope(bool recycle)
    {
        if (!recycle) return default;
        var pass = new Pass { Outer = t_pass };
        t_pass = pass;
        return new BackwardScope(pass);
    }

    /// <summary>The pool scope of one backward pass (see <see cref="OpenBackwardScope"/>); <c>default</c> recycles nothing.</summary>
    internal readonly struct BackwardScope : IDisposable
    {
        private readonly Pass? _pass; // null: this pass recycles nothing

        internal BackwardScope(Pass pass) => _pass = pass;

        /// <summary>
        /// Called before each step whose backward might keep the gradient it is given (a
        /// user-defined <see cref="Function"/>): the temporaries of the pass running on this thread
        /// are then left to the garbage collector instead of recycled.
        /// </summary>
        public void StepMayKeepGradient()
        {
            if (t_pass is { } p) p.Keep = true;
        }

        /// <summary>Marks the pass as run to its end: only then are its temporaries recycled.</summary>
        public void Complete()
        {
            if (_pass is not null) _pass.Completed = true;
        }

        /// <summary>
        /// Stops renting on this thread until the returned scope is disposed: for what outlives the
        /// pass (a leaf's gradient, a captured one).
        /// </summary>
        public OutsideScope Outside()
        {
            var suspended = t_pass;
            t_pass = null;
            return new OutsideScope(suspended);
        }

        /// <summary>Ends the pass's renting; a completed pass in which no user backward ran gives its arrays back.</summary>
        public void Dispose()
        {
            if (_pass is null) return;
            t_pass = _pass.Outer;
            if (_pass.Completed && !_pass.Keep)
                foreach (var a in _pass.Rented) Return(a);
        }
    }

    /// <summary>A stretch of a backward pass that rents nothing (see <see cref="BackwardScope.Outside"/>).</summary>
    internal readonly struct OutsideScope(Pass? suspended) : IDisposable
    {
        /// <summary>Resumes renting for the pass that was suspended.</summary>
        public void Dispose() => t_pass = suspended;
    }

    /// <summary>An array of length <paramref name="n"/> from the current backward pass, or null outside one (or when small).</summary>
    public static T[]? RentForBackward<T>(int n) where T : unmanaged
    {
        var pass = t_pass;
        if (pass is null || (long)n * System.Runtime.CompilerServices.Unsafe.SizeOf<T>() < MinBytes) return null;
        var a = Rent<T>(n);
        pass.Rented.Add(a);
        return a;
    }

    /// <summary>An array of exactly <paramref name="n"/> elements, recycled if one is free (contents undefined).</summary>
    public static T[] Rent<T>(int n) where T : unmanaged
    {
        long bytes = (long)n * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        if (bytes >= MinBytes && t_free is { } free && free.TryGetValue((typeof(T), n), out var stack) && stack.Count > 0)
        {
            t_freeBytes -= bytes;
            var a = (T[])stack.Pop();
            t_freeSet!.Remove(a);
            return a;
        }
        return GC.AllocateUninitializedArray<T>(n);
    }

    /// <summary>
    /// A zeroed array of exactly <paramref name="n"/> elements: a recycled one cleared here when one
    /// is free (clearing is far cheaper than page-faulting a fresh large array in), else a new one.
    /// </summary>
    public static T[] RentCleared<T>(int n) where T : unmanaged
    {
        long bytes = (long)n * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        if (bytes >= MinBytes && t_free is { } free && free.TryGetValue((typeof(T), n), out var stack) && stack.Count > 0)
        {
            t_freeBytes -= bytes;
            var a = (T[])stack.Pop();
            t_freeSet!.Remove(a);
            Array.Clear(a);
            return a;
        }
        return new T[n];
    }

    /// <summary>The number of free arrays of element type <typeparamref name="T"/> and length <paramref name="n"/> in this thread's pool (for tests).</summary>
    internal static int FreeCount<T>(int n) where T : unmanaged
        => t_free is { } free && free.TryGetValue((typeof(T), n), out var stack) ? stack.Count : 0;

    /// <summary>Whether <paramref name="array"/> is free in this thread's pool (for tests).</summary>
    internal static bool IsFree(Array array)
        => t_freeSet is { } set && set.Contains(array);

    /// <summary>Empties this thread's pool (for tests that need a known starting state).</summary>
    internal static void ClearThisThread()
    {
        t_free = null;
        t_freeSet = null;
        t_freeBytes = 0;
    }

    /// <summary>Gives an array back; the caller guarantees nothing uses it any more.</summary>
    public static void Return(Array a)
    {
        long bytes = (long)a.Length * (a is float[] ? 4 : 8); // float[], double[] or long[]
        if (bytes < MinBytes || t_freeBytes + bytes > MaxBytes) return;
        var free = t_free ??= [];
        var key = (a is float[] ? typeof(float) : a is double[] ? typeof(double) : typeof(long), a.Length);
        if (!free.TryGetValue(key, out var stack)) free[key] = stack = new Stack<Array>();
        var set = t_freeSet ??= new HashSet<Array>(ReferenceEqualityComparer.Instance);
        if ((stack.Count >= MaxPerLength && (stack.Count + 1) * bytes > MaxBytesPerLength) || !set.Add(a)) return;
        stack.Push(a);
        t_freeBytes += bytes;
    }
}
