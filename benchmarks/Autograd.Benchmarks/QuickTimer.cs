using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Autograd.Benchmarks;

/// <summary>
/// A Stopwatch timer for quick checks while optimising (<c>-- --quick</c>): warm-up, then the
/// median of many timed calls. BenchmarkDotNet gives the reported numbers; this one answers in seconds.
/// </summary>
public static class QuickTimer
{
    /// <summary>Times every workload and prints its median in microseconds.</summary>
    public static void Run(string[] names)
    {
        if (names is ["kernels"])
        {
            KernelTimings.Run();
            return;
        }
        var all = new (string Name, Func<Action> Make)[]
        {
            ("logreg", () => TrainingWorkload.LogisticRegression().Step),
            ("softmax", () => TrainingWorkload.SoftmaxRegression().Step),
            ("mlp", () => TrainingWorkload.Mlp().Step),
            ("rnn", () => TrainingWorkload.Rnn().Step),
            ("lstm", () => TrainingWorkload.Lstm().Step),
            ("lenet", () => TrainingWorkload.LeNet().Step),
            ("sigmoid", () => { var b = new SigmoidBenchmarks(); b.Setup(); return () => b.Sigmoid(); }),
            ("sigmoid_disposed", () => { var b = new SigmoidBenchmarks(); b.Setup(); return b.SigmoidDisposed; }),
            ("matmul1024", () => { var b = new MatMulBenchmarks { N = 1024 }; b.Setup(); return b.Sgemm; }),
            ("matmul256", () => { var b = new MatMulBenchmarks { N = 256 }; b.Setup(); return b.Sgemm; }),
        };
        if (Environment.GetEnvironmentVariable("AUTOGRAD_THREADS") is { } threads) Threading.NumThreads = int.Parse(threads, System.Globalization.CultureInfo.InvariantCulture);
        Console.WriteLine($"# {Machine.Describe()}");
        if (Environment.GetEnvironmentVariable("AUTOGRAD_LOOP_SECONDS") is { } loop)
        {
            double loopSeconds = double.Parse(loop, System.Globalization.CultureInfo.InvariantCulture);
            // For a profiler: run the named workloads for that long, untimed.
            foreach (var (name, make) in all.Where(w => names.Contains(w.Name)))
            {
                var step = make();
                var sw = Stopwatch.StartNew();
                while (sw.Elapsed.TotalSeconds < loopSeconds) step();
            }
            return;
        }
        foreach (var (name, make) in all)
        {
            // A name selects its variants too: "sigmoid" runs sigmoid and sigmoid_disposed.
            if (names.Length > 0 && !names.Any(n => name == n || name.StartsWith(n + "_", StringComparison.Ordinal))) continue;
            var action = make();
            var (median, min, cpu) = Measure(action, seconds: name == "mlp" ? 4 : 2);
            Console.WriteLine($"{name,-10} median {median,10:F1} us   min {min,10:F1} us   median thread CPU {cpu,10:F1} us");
        }
    }

    /// <summary>
    /// The median and minimum wall time of <paramref name="action"/> and the median CPU time of
    /// the calling thread per call, in microseconds, after a warm-up (on a busy machine the
    /// minimum and the thread CPU time are steadier than the median wall time).
    /// </summary>
    public static (double Median, double Min, double Cpu) Measure(Action action, double seconds)
    {
        var sw = Stopwatch.StartNew();
        // Past tiered JIT's recompilation: on 2 cores the LSTM step still got faster 5 s in
        // (AUTOGRAD_TIMELINE shows it). Warm up in 1 s rounds, at least 3, until a round is no
        // more than 3% faster than the one before (at most 12 s).
        double previous = double.MaxValue;
        while (true)
        {
            var round = Stopwatch.StartNew();
            int calls = 0;
            while (round.Elapsed.TotalSeconds < 1 || calls < 2) { action(); calls++; }
            double perCall = round.Elapsed.TotalSeconds / calls;
            if (sw.Elapsed.TotalSeconds >= 12 || (sw.Elapsed.TotalSeconds >= Math.Max(3.0, seconds / 4) && perCall > 0.97 * previous)) break;
            previous = Math.Min(previous, perCall);
        }
        var times = new List<double>();
        var cpu = new List<double>();
        sw.Restart();
        while (sw.Elapsed.TotalSeconds < seconds || times.Count < 10)
        {
            double c0 = ThreadCpuMicroseconds();
            long t0 = Stopwatch.GetTimestamp();
            action();
            times.Add(Stopwatch.GetElapsedTime(t0).TotalMicroseconds);
            cpu.Add(ThreadCpuMicroseconds() - c0);
        }
        if (Environment.GetEnvironmentVariable("AUTOGRAD_TIMELINE") is not null)
        {
            // The calls in order, in tenths: does the time drift (tiered JIT, GC) or jump between modes?
            int tenth = Math.Max(1, times.Count / 10);
            Console.WriteLine("  timeline (median of each tenth, us): " + string.Join(" ", times.Chunk(tenth).Select(c => c.Order().ElementAt(c.Length / 2).ToString("F0", System.Globalization.CultureInfo.InvariantCulture))));
        }
        times.Sort();
        cpu.Sort();
        return (times[times.Count / 2], times[0], cpu[cpu.Count / 2]);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    /// <summary>CPU time of the calling thread (Linux CLOCK_THREAD_CPUTIME_ID), NaN elsewhere.</summary>
    private static double ThreadCpuMicroseconds()
    {
        if (!OperatingSystem.IsLinux()) return double.NaN;
        ClockGetTime(3, out var t);
        return t.Seconds * 1e6 + t.Nanoseconds / 1e3;
    }
}
