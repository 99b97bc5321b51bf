namespace Autograd.Kernels;

/// <summary>
/// Splits large elementwise work across <see cref="Threading.NumThreads"/> threads. Every element
/// is computed by exactly one call of the body, on ranges that start and end on 64-byte boundaries
/// of the destination (except the array's own ends). Vectorised kernels that group elements by
/// aligned vectors (TensorPrimitives does) therefore group them exactly as one call over the whole
/// array would, so the split changes no bit.
/// </summary>
internal static class ParallelKernels
{
    /// <summary>Range lengths are multiples of this many elements (64 bytes of float or double is at most 16 elements).</summary>
    public const int Alignment = 64;

    /// <summary>Below this many elements per extra thread, waking a thread costs more than it saves.</summary>
    public const int MinElementsPerThread = 128 * 1024;

    /// <summary>
    /// Calls <paramref name="body"/>(part) for every part in 0..<paramref name="parts"/>-1 on up to
    /// <paramref name="threads"/> threads, with the GEMM kernel's fork-join: the calling thread works
    /// too and takes every part a helper has not started, so a busy machine costs little more than
    /// running the parts in turn. For kernels whose parts are independent (disjoint rows), so that
    /// the thread count changes no bit.
    /// </summary>
    public static void ForParts(int parts, int threads, Action<int> body) => MatMulKernel.ForkJoin.Run(parts, threads, body);

    /// <summary>
    /// Calls <paramref name="body"/>(start, length) over disjoint ranges covering the elements of
    /// <paramref name="destination"/>: once on the calling thread when the work is small, otherwise
    /// over a few ranges per thread handed out by <see cref="ForParts"/> (the caller works too, so a
    /// helper thread that starts late on a busy machine costs little).
    /// </summary>
    public static unsafe void For<T>(T[] destination, Action<int, int> body) where T : unmanaged
    {
        int count = destination.Length;
        int threads = Math.Min(Threading.NumThreads, count / MinElementsPerThread);
        if (threads <= 1)
        {
            body(0, count);
            return;
        }
        // The first element on a 64-byte boundary (large arrays live on the large object heap,
        // which the GC does not move unless asked to compact it).
        int first;
        fixed (T* p = destination) first = (int)((64 - (nint)p % 64) % 64 / sizeof(T));
        int parts = 4 * threads;
        int chunk = (count / parts + Alignment - 1) / Alignment * Alignment;
        ForParts(parts, threads, part =>
        {
            int start = part == 0 ? 0 : Math.Min(count, first + part * chunk);
            int end = part == parts - 1 ? count : Math.Min(count, first + (part + 1) * chunk);
            if (start < end) body(start, end - start);
        });
    }
}
