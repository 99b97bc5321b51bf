using System.Runtime.InteropServices;
using Autograd.Kernels;

namespace Autograd.Benchmarks;

/// <summary>What a benchmark's numbers were measured on: the CPU model and the kernels' vector width.</summary>
public static class Machine
{
    /// <summary>One line: CPU model, logical cores, accelerated and used vector width, thread budget, .NET version, load average.</summary>
    public static string Describe()
    {
        string cpu = "unknown CPU";
        try
        {
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? cpu;
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        string load = File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
        return $"CPU {cpu}, {Environment.ProcessorCount} logical cores, {RuntimeInformation.ProcessArchitecture}; " +
               $"vector width accelerated {KernelWidth.Accelerated}, used {KernelWidth.Current}; threads {Threading.NumThreads}; " +
               $".NET {Environment.Version}; load {load}";
    }
}
