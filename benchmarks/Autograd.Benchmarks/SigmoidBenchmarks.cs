using BenchmarkDotNet.Attributes;

namespace Autograd.Benchmarks;

/// <summary>
/// Elementwise σ(x) over 1M Float32 elements: a new result tensor per call (as torch.sigmoid), kept
/// for the GC or disposed.
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 5, iterationCount: 15)] // 15 iterations: medians that a shared 2-core VM does not swing by 2x
[MemoryDiagnoser]
public class SigmoidBenchmarks
{
    private Tensor _x = Tensor.Scalar(0f);

    /// <summary>1M standard normal samples.</summary>
    [GlobalSetup]
    public void Setup() => _x = Tensor.Randn([1 << 20], new Generator(4));

    /// <summary>σ(x), not recorded (x does not require grad).</summary>
    [Benchmark]
    public Tensor Sigmoid() => _x.Sigmoid();

    /// <summary>
    /// σ(x) with the result disposed (<c>using</c>): its array goes back to the pool and the next
    /// call reuses it, as PyTorch's allocator reuses a freed result's memory.
    /// </summary>
    [Benchmark]
    public void SigmoidDisposed()
    {
        using var r = _x.Sigmoid();
    }
}
