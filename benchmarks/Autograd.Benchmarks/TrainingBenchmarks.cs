using BenchmarkDotNet.Attributes;

namespace Autograd.Benchmarks;

/// <summary>
/// One training step (forward, loss, ZeroGrad, Backward, Step on the same batch) of each small
/// model of the comparison; <c>tools/bench_torch.py</c> times the same steps in PyTorch. The
/// memory diagnoser reports the bytes allocated per step and the GC collections.
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 5, iterationCount: 15)] // 15 iterations: medians that a shared 2-core VM does not swing by 2x
[MemoryDiagnoser]
public class TrainingBenchmarks
{
    private TrainingWorkload _logistic = null!;
    private TrainingWorkload _softmax = null!;
    private TrainingWorkload _mlp = null!;
    private TrainingWorkload _lstm = null!;
    private TrainingWorkload _lenet = null!;

    /// <summary>Builds the five models and their data (fixed seeds).</summary>
    [GlobalSetup]
    public void Setup()
    {
        _logistic = TrainingWorkload.LogisticRegression();
        _softmax = TrainingWorkload.SoftmaxRegression();
        _mlp = TrainingWorkload.Mlp();
        _lstm = TrainingWorkload.Lstm();
        _lenet = TrainingWorkload.LeNet();
    }

    /// <summary>569×30 full batch, Linear(30, 1), BCEWithLogitsLoss, SGD.</summary>
    [Benchmark]
    public void LogisticRegressionStep() => _logistic.Step();

    /// <summary>1797×64 full batch, Linear(64, 10), CrossEntropyLoss, SGD.</summary>
    [Benchmark]
    public void SoftmaxRegressionStep() => _softmax.Step();

    /// <summary>784-512-512-10 ReLU MLP, batch 1024, CrossEntropyLoss, Adam.</summary>
    [Benchmark]
    public void MlpStep() => _mlp.Step();

    /// <summary>LSTM(32, 128) over (50, 16, 32), Linear(128, 10) on the last output, CrossEntropyLoss, SGD (issue 14).</summary>
    [Benchmark]
    public void LstmStep() => _lstm.Step();

    /// <summary>The LeNet-style CNN on 64 inputs of 1x28x28, CrossEntropyLoss, SGD with momentum (issue 15).</summary>
    [Benchmark]
    public void LeNetStep() => _lenet.Step();
}
