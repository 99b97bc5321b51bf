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
        if (Environment.GetEnvironmentVariable("AUTOGRAD_TIMINGS") == "gemm")
        {
            Gemms();
            return;
        }
        if (Environment.GetEnvironmentVariable("AUTOGRAD_TIMINGS") == "forkjoin")
        {
            int sink = 0;
            Report("ForkJoin 2 parts, 2 threads, empty body", () => MatMulKernel.ForkJoin.Run(2, 2, i => Interlocked.Add(ref sink, i)));
            Report("ForkJoin 8 parts, 2 threads, empty body", () => MatMulKernel.ForkJoin.Run(8, 2, i => Interlocked.Add(ref sink, i)));
            var spin = new Action<int>(i => { var sw = System.Diagnostics.Stopwatch.StartNew(); while (sw.Elapsed.TotalMicroseconds < 50) { } });
            Report("ForkJoin 2 parts of 50 us, 2 threads", () => MatMulKernel.ForkJoin.Run(2, 2, spin));
            Report("ForkJoin 2 parts of 50 us, 1 thread", () => MatMulKernel.ForkJoin.Run(2, 1, spin));
            foreach (int gapUs in new[] { 100, 1000, 5000 })
            {
                var times = new List<double>();
                for (int r = 0; r < 300; r++)
                {
                    var gap = System.Diagnostics.Stopwatch.StartNew();
                    while (gap.Elapsed.TotalMicroseconds < gapUs) { }
                    long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
                    MatMulKernel.ForkJoin.Run(2, 2, spin);
                    times.Add(System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalMicroseconds);
                }
                times.Sort();
                Console.WriteLine($"ForkJoin 2 x 50 us after {gapUs} us of caller-only work: min {times[0]:F1} median {times[times.Count / 2]:F1} us");
            }
            return;
        }
        if (Environment.GetEnvironmentVariable("AUTOGRAD_TIMINGS") == "sigmoid")
        {
            var rnd = new Random(2);
            foreach (int n in new[] { 1024, 1 << 14, 1 << 20 })
            {
                var xs = Enumerable.Range(0, n).Select(_ => (float)(rnd.NextDouble() * 20 - 10)).ToArray();
                var ys = new float[n];
                Report($"Sleef sigmoid {n}, 1 thread (ns/element x1000)", () => SleefFloat.Sigmoid(xs, ys));
                Report($"Sleef exp {n}, 1 thread", () => SleefFloat.Exp(xs, ys));
                Report($"Sleef tanh {n}, 1 thread", () => SleefFloat.Tanh(xs, ys));
                Report($"TensorPrimitives sigmoid {n}, 1 thread", () => System.Numerics.Tensors.TensorPrimitives.Sigmoid<float>(xs, ys));
                Report($"UnaryKernels sigmoid {n}, threaded", () => UnaryKernels.Apply(UnaryKind.Sigmoid, xs, ys));
            }
            return;
        }
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
        Report("CE input gradient 1797x10", () => ClassificationLossKernels.UniformRows<float>(target.Buffer<long>(), 10, [-1f / 1797], [], -100, logp, d));
        Report("CE input gradient 1797x10, 1 thread", OneThread(() => ClassificationLossKernels.UniformRows<float>(target.Buffer<long>(), 10, [-1f / 1797], [], -100, logp, d)));
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

    /// <summary>The matrix products of the MLP step (784-512-512-10, batch 1024) and the square ones, in GFLOP/s.</summary>
    private static void Gemms()
    {
        var rng = new Random(1);
        float[] Rand(int n) => Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        var shapes = new (string Name, bool TA, bool TB, int M, int N, int K)[]
        {
            ("square 1024 NN", false, false, 1024, 1024, 1024),
            ("square 256 NN", false, false, 256, 256, 256),
            ("fwd1 X.W1T 1024x512x784", false, true, 1024, 512, 784),
            ("fwd2 H.W2T 1024x512x512", false, true, 1024, 512, 512),
            ("dW1 GT.X 512x784x1024", true, false, 512, 784, 1024),
            ("dW2 GT.H 512x512x1024", true, false, 512, 512, 1024),
            ("dH1 G.W2 1024x512x512", false, false, 1024, 512, 512),
            ("rnn x.WihT 16x64x16", false, true, 16, 64, 16),
            ("rnn h.WhhT 16x64x64", false, true, 16, 64, 64),
            ("rnn dWih GT.x 64x16x16", true, false, 64, 16, 16),
            ("rnn dWhh GT.h 64x64x16", true, false, 64, 64, 16),
            ("rnn dh G.Whh 16x64x64", false, false, 16, 64, 64),
            ("lstm h.WhhT 16x512x128", false, true, 16, 512, 128),
            ("lstm dh G.Whh 16x128x512", false, false, 16, 128, 512),
            ("lstm dWhh GT.h 512x128x16", true, false, 512, 128, 16),
            ("lstm x.WihT 800x512x32", false, true, 800, 512, 32),
            ("lstm dx G.Wih 800x32x512", false, false, 800, 32, 512),
            ("lstm dWih GT.x 512x32x800", true, false, 512, 32, 800),
        };
        if (Environment.GetEnvironmentVariable("AUTOGRAD_GEMM_FILTER") is { } filter) shapes = shapes.Where(s => s.Name.Contains(filter, StringComparison.Ordinal)).ToArray();
        bool doubles = Environment.GetEnvironmentVariable("AUTOGRAD_GEMM_DTYPE") == "float64";
        foreach (var (name, ta, tb, m, n, k) in shapes)
        {
            float[] a = Rand(m * k), b = Rand(k * n), c = new float[m * n];
            double[] ad = Array.ConvertAll(a, v => (double)v), bd = Array.ConvertAll(b, v => (double)v), cd = new double[m * n];
            foreach (int threads in new[] { 1, 2 })
            {
                Action gemm = doubles
                    ? () => MatMulKernel.Gemm(ta, tb, m, n, k, ad, bd, cd, false, KernelWidth.Current, threads)
                    : () => MatMulKernel.Gemm(ta, tb, m, n, k, a, b, c, false, KernelWidth.Current, threads);
                var (median, min, _) = QuickTimer.Measure(gemm, seconds: 1.5);
                double flop = 2.0 * m * n * k;
                Console.WriteLine($"{name,-28} {threads} thr  min {min,9:F1} us ({flop / min / 1e3,6:F1} GFLOP/s)  median {median,9:F1} us ({flop / median / 1e3,6:F1} GFLOP/s)");
            }
        }
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
