using Autograd.Kernels;

namespace Autograd.Nn;

/// <summary>
/// Splits the planes of a convolution or pooling kernel (the (n, c) pairs of an (N, C, H, W)
/// tensor, or any other independent rows) over <see cref="Threading.NumThreads"/> threads. Every
/// plane is handled by exactly one call of the body, which computes it exactly as a one-thread
/// loop would, so the thread count changes no bit.
/// </summary>
internal static class PlaneParallel
{
    /// <summary>Below this many elements (written or read) per part, waking a helper thread costs more than it saves.</summary>
    public const long MinElementsPerPart = 16 * 1024;

    /// <summary>
    /// Calls <paramref name="body"/>(first, end) over contiguous ranges of planes covering
    /// 0..<paramref name="planes"/>-1: once on the calling thread when the work
    /// (<paramref name="planes"/> · <paramref name="elementsPerPlane"/>) is small, otherwise over a
    /// few ranges per thread claimed one at a time (<see cref="ParallelKernels.ForParts"/>; the
    /// caller works too, so a helper that starts late on a busy machine costs little).
    /// </summary>
    /// <param name="planes">The number of planes.</param>
    /// <param name="elementsPerPlane">The work of one plane, in elements read or written.</param>
    /// <param name="body">Called with (first, end): the planes first .. end - 1.</param>
    /// <param name="maxParts">The most ranges to cut (a body with a fixed cost per range asks for one per thread).</param>
    public static void For(int planes, long elementsPerPlane, Action<int, int> body, int maxParts = int.MaxValue)
    {
        int threads = Threading.NumThreads;
        long parts = Math.Min(Math.Min(Math.Min(planes, 4L * threads), maxParts), planes * elementsPerPlane / MinElementsPerPart);
        if (threads <= 1 || parts <= 1)
        {
            if (planes > 0) body(0, planes);
            return;
        }
        int count = (int)parts;
        ParallelKernels.ForParts(count, threads, part => body((int)((long)planes * part / count), (int)((long)planes * (part + 1) / count)));
    }
}
