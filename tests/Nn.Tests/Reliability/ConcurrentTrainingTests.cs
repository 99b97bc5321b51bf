using Autograd.Optim;
using NUnit.Framework;
using Shouldly;
using F = Autograd.Nn.Functional;

namespace Autograd.Nn.Tests.Reliability;

/// <summary>
/// Concurrency (issue 6): each thread has its own tape, so models trained on parallel threads
/// give bit-identical results to the same runs done one after another.
/// </summary>
[TestFixture]
public sealed class ConcurrentTrainingTests
{
    private const int Runs = 4;
    private const int Steps = 150;

    /// <summary>Fixed data: 64 samples of 8 features in 3 classes, from a fixed seed.</summary>
    private static (Tensor X, Tensor Y) Data()
    {
        var g = new Generator(2024);
        var x = Tensor.Randn([64, 8], g);
        var y = Tensor.RandInt(0, 3, [64], g);
        return (x, y);
    }

    /// <summary>Trains Linear(8, 3) + CrossEntropy with SGD (run r: its own init seed, momentum); returns the bits of every loss and final parameter.</summary>
    private static byte[] Train(int run, Tensor x, Tensor y)
    {
        var model = new Sequential(new Linear(8, 16, generator: new Generator(run)), new Tanh(), new Linear(16, 3, generator: new Generator(100 + run)));
        var opt = new SGD(model.Parameters(), 0.05, momentum: 0.9, weightDecay: 1e-4);
        var bits = new List<byte>();
        for (int step = 0; step < Steps; step++)
        {
            opt.ZeroGrad();
            var loss = F.CrossEntropy(model.Forward(x), y, labelSmoothing: 0.05);
            loss.Backward();
            opt.Step();
            bits.AddRange(BitConverter.GetBytes(loss.ToArray<float>()[0]));
            using (Tape.NoGrad())
                _ = model.Forward(x).ArgMax(1); // evaluation in NoGrad on this thread only
        }
        foreach (var p in model.Parameters()) bits.AddRange(p.ToArray<float>().SelectMany(BitConverter.GetBytes));
        return [.. bits];
    }

    [Test]
    public void Training_OnFourParallelThreads_BitIdenticalToSequentialRuns()
    {
        var (x, y) = Data();
        var sequential = Enumerable.Range(0, Runs).Select(r => Train(r, x, y)).ToArray();

        var parallel = new byte[Runs][];
        using var start = new Barrier(Runs);
        var threads = Enumerable.Range(0, Runs).Select(r => new Thread(() =>
        {
            start.SignalAndWait(); // all four start together
            parallel[r] = Train(r, x, y);
        })).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join(TimeSpan.FromSeconds(60)).ShouldBeTrue();

        for (int r = 0; r < Runs; r++) parallel[r].ShouldBe(sequential[r], $"run {r}");
        // The runs differ from each other (different seeds), so the comparison is not vacuous.
        sequential.Select(s => Convert.ToBase64String(s)).Distinct().Count().ShouldBe(Runs);
    }

    [Test]
    public void Training_SameRunOnFourThreadsWithAnomalyModeOnOneOfThem_AllBitIdentical()
    {
        var (x, y) = Data();
        var reference = Train(7, x, y);
        var results = new byte[Runs][];
        Parallel.For(0, Runs, new ParallelOptions { MaxDegreeOfParallelism = Runs }, r =>
        {
            if (r == 0) Tape.DetectAnomaly = true; // per thread: slows thread 0 only
            try { results[r] = Train(7, x, y); }
            finally { if (r == 0) Tape.DetectAnomaly = false; }
        });
        foreach (var res in results) res.ShouldBe(reference);
    }
}
