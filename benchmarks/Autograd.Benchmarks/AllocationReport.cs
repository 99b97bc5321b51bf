namespace Autograd.Benchmarks;

/// <summary>
/// Managed bytes allocated per steady-state training step (<see cref="GC.GetAllocatedBytesForCurrentThread"/>)
/// and the Gen0/Gen1/Gen2 collections over 1,000 steps (<see cref="GC.CollectionCount"/>).
/// </summary>
public static class AllocationReport
{
    /// <summary>Prints one line per training workload (the MLP included: about 40 s for 1,000 steps), then the sigmoid with and without Dispose.</summary>
    public static void Run(string[] args)
    {
        int steps = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 1000;
        Console.WriteLine($"{"workload",-16} {"bytes/step",12} {"steps",6} {"gen0",6} {"gen1",6} {"gen2",6}");
        Report(TrainingWorkload.LogisticRegression(), steps);
        Report(TrainingWorkload.SoftmaxRegression(), steps);
        Report(TrainingWorkload.Mlp(), steps);
        Report(TrainingWorkload.Rnn(), steps);
        // The 1M-element sigmoid: a fresh 4 MB result per call, or the result disposed and its array reused.
        var sigmoid = new SigmoidBenchmarks();
        sigmoid.Setup();
        Report("sigmoid", () => sigmoid.Sigmoid(), steps);
        Report("sigmoid_disposed", sigmoid.SigmoidDisposed, steps);
    }

    private static void Report(TrainingWorkload workload, int steps) => Report(workload.Name, workload.Step, steps);

    private static void Report(string name, Action step, int steps)
    {
        for (int i = 0; i < 20; i++) step(); // warm-up: JIT, optimizer state, pools
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        int g0 = GC.CollectionCount(0), g1 = GC.CollectionCount(1), g2 = GC.CollectionCount(2);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < steps; i++) step();
        long bytes = GC.GetAllocatedBytesForCurrentThread() - before;
        Console.WriteLine($"{name,-16} {bytes / steps,12:N0} {steps,6} {GC.CollectionCount(0) - g0,6} {GC.CollectionCount(1) - g1,6} {GC.CollectionCount(2) - g2,6}");
    }
}
