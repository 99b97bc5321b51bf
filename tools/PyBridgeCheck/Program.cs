// Safetensors files between this library and TorchSharp.PyBridge 1.4.4 (TorchSharp-cpu 0.107.0,
// libtorch 2.10 for CPU), in both directions, in one process:
//
//   a. tensors of every dtype SafeTensors.Load reads (F32, F64, I64, I32, I16, I8, U8, BOOL, F16,
//      BF16), written by PyBridge's Safetensors.SaveStateDict, read by SafeTensors.Load: the same
//      names, shapes and bits (F16/BF16 against libtorch's own .to(float32), all 65536 patterns);
//   b. SafeTensors.Save's files (F32, F64, I64: all it writes) read by PyBridge's
//      Safetensors.LoadStateDict: the same names, dtypes, shapes and bytes;
//   c. models: this library's Module.Save loaded into the equivalent TorchSharp module with
//      PyBridge's load_safetensors, and TorchSharp's save_safetensors loaded by Module.Load, each
//      strict: the same state dict bit for bit, and the same outputs on the same input (to
//      rounding: the two libraries sum matrix products in different orders).
//
// Run it through tools/pybridge_check.sh. Output: one line per check, "ok ..." or "FAIL ...",
// '#' lines describe the files; exit code 2 when a check failed.
//
//   dotnet PyBridgeCheck.dll [--fixture PATH]
//
// --fixture writes the small PyBridge-written files (a tensor file and a model file) with their
// expected values as JSON, for tests/Nn.Tests/Serialization/PyBridgeFilesTests.cs.
using System.Globalization;
using PyBridgeCheck;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

string? fixturePath = null;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--fixture" && i + 1 < args.Length)
    {
        fixturePath = args[++i];
    }
    else
    {
        Console.Error.WriteLine($"unknown argument '{args[i]}'; usage: PyBridgeCheck [--fixture PATH]");
        return 64;
    }
}

string dir = Path.Combine(Path.GetTempPath(), "pybridge-check-" + Guid.NewGuid().ToString("N"));
Directory.CreateDirectory(dir);
try
{
    var report = new Report();
    string torchSharpVersion = typeof(TorchSharp.torch).Assembly.GetName().Version?.ToString() ?? "?";
    string pyBridgeVersion = typeof(TorchSharp.PyBridge.Safetensors).Assembly.GetName().Version?.ToString() ?? "?";
    Console.WriteLine($"# TorchSharp {torchSharpVersion}, TorchSharp.PyBridge assembly {pyBridgeVersion}, .NET {Environment.Version}");

    var fixture = new FixtureWriter();
    TensorFileChecks.HalfConversionOracle(report);
    TensorFileChecks.PyBridgeToAutograd(report, dir, fixture);
    TensorFileChecks.OverwriteWithShorterFile(dir);
    TensorFileChecks.AutogradToPyBridge(report, dir);
    ModelChecks.Run(report, dir, fixture);

    if (fixturePath is not null)
    {
        fixture.Write(fixturePath);
        Console.WriteLine($"# wrote {fixturePath}");
    }

    Console.WriteLine($"{report.Passed} passed, {report.Failed} failed");
    return report.Failed == 0 ? 0 : 2;
}
finally
{
    Directory.Delete(dir, recursive: true);
}
