using System.Text.Json;
using Autograd.Kernels;
using NUnit.Framework;

namespace Autograd.Nn.Tests.Determinism;

/// <summary>
/// The same program gives the same bits on every machine: each case of <see cref="Fingerprints"/>
/// must hash to the committed fingerprint, with AVX-512, with AVX2 and FMA, with 128-bit vectors
/// only (<c>DOTNET_EnableAVX2=0</c>), on one thread and on two. <c>.ci/run</c> runs the suite under
/// each of those settings, so a kernel whose order of operations follows the hardware fails here.
/// </summary>
/// <remarks>
/// The fingerprints are this library's own results, not PyTorch's (the fixture tests compare
/// with PyTorch). They change only when a kernel's arithmetic changes on purpose; then regenerate
/// them with <c>AUTOGRAD_WRITE_FINGERPRINTS=1 dotnet test tests/Nn.Tests --filter MachineIndependence</c>
/// (it writes the file into the source tree) and say why in the commit.
/// </remarks>
[TestFixture]
public sealed class MachineIndependenceTests
{
    private static readonly string FixturePath = Path.Combine(AppContext.BaseDirectory, "Fixtures", "determinism", "fingerprints.json");

    private static string SourcePath([System.Runtime.CompilerServices.CallerFilePath] string here = "") =>
        Path.Combine(Path.GetDirectoryName(here)!, "..", "Fixtures", "determinism", "fingerprints.json");

    [Test]
    public void Fingerprints_EveryCase_MatchesCommittedBitsOnOneAndTwoThreads()
    {
        int before = Threading.NumThreads;
        var actual = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var threadMismatches = new List<string>();
        try
        {
            foreach (var (name, run) in Fingerprints.Cases())
            {
                Threading.NumThreads = 2;
                string two = Fingerprints.Hash(run());
                Threading.NumThreads = 1;
                string one = Fingerprints.Hash(run());
                actual[name] = two;
                if (one != two) threadMismatches.Add($"{name}: 2 threads {two}, 1 thread {one}");
            }
        }
        finally
        {
            Threading.NumThreads = before;
        }

        // "1" rewrites the committed file; any other value is a path to write this run's fingerprints to.
        var write = Environment.GetEnvironmentVariable("AUTOGRAD_WRITE_FINGERPRINTS");
        if (!string.IsNullOrEmpty(write))
        {
            string path = Path.GetFullPath(write == "1" ? SourcePath() : write);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, JsonSerializer.Serialize(actual, new JsonSerializerOptions { WriteIndented = true }) + "\n");
            Assert.Inconclusive($"Wrote {actual.Count} fingerprints to {path}.");
        }

        var expected = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(FixturePath))!;
        var mismatches = new List<string>(threadMismatches);
        foreach (var (name, hash) in actual)
        {
            if (!expected.TryGetValue(name, out var want)) mismatches.Add($"{name}: no committed fingerprint");
            else if (want != hash) mismatches.Add($"{name}: {hash}, committed {want}");
        }
        foreach (var name in expected.Keys.Where(k => !actual.ContainsKey(k))) mismatches.Add($"{name}: committed but no longer computed");
        Assert.That(mismatches, Is.Empty, $"{mismatches.Count} of {actual.Count} cases differ ({Environment_()}):\n" + string.Join("\n", mismatches));
    }

    /// <summary>
    /// Each vector width the kernels come in, forced on this machine (emulated in software where it
    /// is not accelerated), gives the committed bits: the width decides speed, never a result.
    /// </summary>
    [TestCase("Scalar")]
    [TestCase("Vector128")]
    [TestCase("Vector256")]
    [TestCase("Vector512")]
    public void Fingerprints_ForcedWidth_MatchCommittedBits(string widthName)
    {
        var width = Enum.Parse<VectorWidth>(widthName);
        var expected = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(FixturePath))!;
        var before = KernelWidth.Current;
        var mismatches = new List<string>();
        int count = 0;
        try
        {
            KernelWidth.Current = width;
            foreach (var (name, run) in Fingerprints.Cases(light: true))
            {
                count++;
                string hash = Fingerprints.Hash(run());
                if (!expected.TryGetValue(name, out var want) || want != hash) mismatches.Add($"{name}: {hash}, committed {want ?? "none"}");
            }
        }
        finally
        {
            KernelWidth.Current = before;
        }
        Assert.That(mismatches, Is.Empty, $"{mismatches.Count} of {count} cases differ at {width} ({Environment_()}):\n" + string.Join("\n", mismatches));
    }

    private static string Environment_() =>
        $"AVX-512 {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}, AVX2 {System.Runtime.Intrinsics.X86.Avx2.IsSupported}, " +
        $"FMA {System.Runtime.Intrinsics.X86.Fma.IsSupported || System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported}";
}
