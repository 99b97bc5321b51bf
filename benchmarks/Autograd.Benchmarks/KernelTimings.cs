using Autograd.Kernels;
using Autograd.Nn;

namespace Autograd.Benchmarks;

/// <summary>
/// Stopwatch timings of the kernels inside the training steps (<c>-- --quick kernels</c>), at the
/// workloads' shapes: where a step's time goes, without a profiler's distortion.
/// </summary>
public static class KernelTimings
{
    /// <summary>Prints the minimum and median time of each kernel.</summary>
    public static void Run()
    {
        var g = new Generator(5);
        var logits = Tensor.Randn([1797, 10], g);
        var x64 = Tensor.Randn([1797, 64], g);
        var w = Tensor.Randn([10, 64], g);
        var target = Tensor.RandInt(0, 10, [1797], g);
        float[] lf = logits.Buffer<float>(), max = new float[1797], logSum = new float[1797], logp = new float[1797 * 10], d = new float[1797 * 10];
        var layout = new ClassLayout(1797, 10, 1, 1, false, [1797]);
        var y = new float[1797 * 10];
        var big = Tensor.Randn([1 << 20], g).Buffer<float>();
        var bigOut = new float[1 << 20];

        Report("LogSumExp 1797x10", () => ClassificationLossKernels.LogSumExp<float>(lf, layout, max, logSum));
        Report("LogSumExp 1797x10, 1 thread", OneThread(() => ClassificationLossKernels.LogSumExp<float>(lf, layout, max, logSum)));
        Report("LogSumExp + log p 1797x10 (CE forward)", () => ClassificationLossKernels.LogSumExp<float>(lf, layout, max, logSum, logp));
        Report("LogSumExp + log p 1797x10, 1 thread", OneThread(() => ClassificationLossKernels.LogSumExp<float>(lf, layout, max, logSum, logp)));
        Report("LogSoftmax 1797x10", () => ClassificationLossKernels.LogSoftmax<float>(lf, layout, max, logSum, logp));
        Report("Nll 1797x10", () => ClassificationLossKernels.Nll<float>(lf, layout, target.Buffer<long>(), [], -100, max, logSum, []));
        Report("CE input gradient 1797x10", () => ClassificationLossKernels.IndexTargetsInputGradient<float>(layout, target.Buffer<long>(), [], -100, [-1f / 1797], logp, d));
        Report("CE input gradient 1797x10, 1 thread", OneThread(() => ClassificationLossKernels.IndexTargetsInputGradient<float>(layout, target.Buffer<long>(), [], -100, [-1f / 1797], logp, d)));
        Report("Sleef exp 17970", () => SleefFloat.Exp(logp, d));
        Report("Gemm 1797x64 . (10x64)T", () => MatMulKernel.Gemm(false, true, 1797, 10, 64, x64.Buffer<float>(), w.Buffer<float>(), y));
        Report("Gemm 1797x64 . (10x64)T, 2 threads", () => MatMulKernel.Gemm(false, true, 1797, 10, 64, x64.Buffer<float>(), w.Buffer<float>(), y, false, KernelWidth.Current, 2, 0));
        Report("Gemm (1797x10)T . 1797x64, 2 threads", () => MatMulKernel.Gemm(true, false, 10, 64, 1797, y, x64.Buffer<float>(), new float[640], false, KernelWidth.Current, 2, 0));
        Report("Gemm (1797x64)T . 1797x10 [dW transposed]", () => MatMulKernel.Gemm(true, false, 64, 10, 1797, x64.Buffer<float>(), y, new float[640]));
        Report("Gemm (1797x64)T . 1797x10 [dW transposed], 2 thr", () => MatMulKernel.Gemm(true, false, 64, 10, 1797, x64.Buffer<float>(), y, new float[640], false, KernelWidth.Current, 2, 0));
        Report("Gemm (1797x10)T . 1797x64", () => MatMulKernel.Gemm(true, false, 10, 64, 1797, y, x64.Buffer<float>(), new float[640]));
        Report("SumRows 1797x10", () => ReduceKernels.SumRowsInDouble<float>(y, 10, new float[10]));
        Report("AddToRows 1797x10", () => BinaryKernels.AddToRows<float>(y, w.Buffer<float>().AsSpan(0, 10)));
        Report("Sigmoid 1M (TensorPrimitives, 1 thread)", () => System.Numerics.Tensors.TensorPrimitives.Sigmoid<float>(big, bigOut));
        Report("Sigmoid 1M (Sleef, 1 thread)", () => SleefFloat.Sigmoid(big, bigOut));
        Report("Sigmoid 1M (UnaryKernels, threaded)", () => UnaryKernels.Apply(UnaryKind.Sigmoid, big, bigOut));
        Report("new float[1M]", () => GC.KeepAlive(GC.AllocateUninitializedArray<float>(1 << 20)));
        var bigTensor = Tensor.FromArray(big, big.Length);
        Report("Tensor.Sigmoid 1M (new result)", () => GC.KeepAlive(bigTensor.Sigmoid()));
        Console.WriteLine($"GC collections so far: gen0 {GC.CollectionCount(0)}, gen1 {GC.CollectionCount(1)}, gen2 {GC.CollectionCount(2)}");
    }

    /// <summary>The action with <see cref="Threading.NumThreads"/> set to 1 while it runs.</summary>
    private static Action OneThread(Action action) => () =>
    {
        int before = Threading.NumThreads;
        Threading.NumThreads = 1;
        try
        {
            action();
        }
        finally
        {
            Threading.NumThreads = before;
        }
    };

    private static void Report(string name, Action action)
    {
        var (median, min, _) = QuickTimer.Measure(action, seconds: 1);
        Console.WriteLine($"{name,-50} min {min,9:F1} us   median {median,9:F1} us");
    }
}
