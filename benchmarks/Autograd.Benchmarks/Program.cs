using BenchmarkDotNet.Running;

namespace Autograd.Benchmarks;

/// <summary>Entry point: <c>dotnet run -c Release --project benchmarks/Autograd.Benchmarks -- --filter '*'</c>.</summary>
public static class Program
{
    /// <summary>Runs the benchmarks selected on the command line (BenchmarkDotNet switches).</summary>
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
