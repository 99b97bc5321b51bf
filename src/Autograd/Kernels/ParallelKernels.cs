namespace Autograd.Kernels;

/// <summary>
/// Splits large elementwise work across <see cref="Threading.NumThreads"/> threads. Every element
/// is computed by exactly one call of the body, on a range whose bounds are multiples of
/// <see cref="Alignment"/> (except the end), so a kernel that treats all full vectors alike gives
/// the same bits whatever the split.
/// </summary>
internal static class ParallelKernels
{
    /// <summary>Range bounds are multiples of this many elements (a whole number of 512-bit vectors of any element type).</summary>
    public const int Alignment = 64;

    /// <summary>Below this many elements per extra thread, waking a thread costs more than it saves.</summary>
    public const int MinElementsPerThread = 128 * 1024;

    /// <summary>
    /// Calls <paramref name="body"/>(start, length) over disjoint ranges covering [0, <paramref name="count"/>):
    /// once on the calling thread when the work is small, otherwise once per thread.
    /// </summary>
    public static void For(int count, Action<int, int> body)
    {
        int threads = Math.Min(Threading.NumThreads, count / MinElementsPerThread);
        if (threads <= 1)
        {
            body(0, count);
            return;
        }
        int chunk = (count / threads + Alignment - 1) / Alignment * Alignment;
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            int start = t * chunk;
            int end = Math.Min(count, start + chunk);
            if (start < end) body(start, end - start);
        });
    }
}
