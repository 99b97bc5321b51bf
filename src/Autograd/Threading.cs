// The benchmark project times internal kernels (MatMulKernel.Gemm) directly.
[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("Autograd.Benchmarks")]

namespace Autograd;

/// <summary>
/// Process-wide threading settings for the compute kernels, in the spirit of
/// <c>torch.set_num_threads</c> / <c>torch.get_num_threads</c>.
/// </summary>
/// <remarks>
/// Only large operations are split across threads; small ones always run on the calling thread.
/// Results never depend on this setting: every output element is computed by exactly one thread
/// with a fixed order of accumulation, so changing <see cref="NumThreads"/> changes speed only.
/// </remarks>
public static class Threading
{
    private static int numThreads = Environment.ProcessorCount;

    /// <summary>
    /// Gets or sets the maximum number of threads a single kernel call (for example a large matrix
    /// product) may use. Defaults to <see cref="Environment.ProcessorCount"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value set is less than 1.</exception>
    public static int NumThreads
    {
        get => Volatile.Read(ref numThreads);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            Volatile.Write(ref numThreads, value);
        }
    }
}
