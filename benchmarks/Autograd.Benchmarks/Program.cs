using BenchmarkDotNet.Running;

namespace Autograd.Benchmarks;

/// <summary>
/// Entry point. <c>dotnet run -c Release --project benchmarks/Autograd.Benchmarks -- --filter '*'</c>
/// runs BenchmarkDotNet; <c>-- --alloc</c> prints the allocation report of the training steps;
/// <c>-- --quick [workload...]</c> prints Stopwatch medians; <c>-- --machine</c> the CPU and the kernels' vector width.
/// </summary>
public static class Program
{
    /// <summary>Dispatches on the first argument.</summary>
    public static void Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "--alloc") AllocationReport.Run(args[1..]);
        else if (args.Length > 0 && args[0] == "--quick") QuickTimer.Run(args[1..]);
        else if (args.Length > 0 && args[0] == "--machine") Console.WriteLine(Machine.Describe());
        else BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
