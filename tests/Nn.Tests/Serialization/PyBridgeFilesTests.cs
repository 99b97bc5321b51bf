using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Autograd.Nn.Serialization;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Nn.Tests.Serialization;

/// <summary>
/// Files written by TorchSharp.PyBridge 1.4.4 (the .NET reference for PyTorch's file formats, on
/// TorchSharp-cpu 0.107.0), read by <see cref="SafeTensors.Load(string, out IReadOnlyDictionary{string, string}?, bool)"/>
/// and <see cref="Module.Load"/>. The files and their expected values are in
/// Fixtures/safetensors/pybridge.json, written by tools/PyBridgeCheck (<c>bash tools/pybridge_check.sh
/// --fixture ...</c>), which also checks the other direction (this library's files read by PyBridge);
/// these tests need neither TorchSharp nor native code.
/// </summary>
/// <remarks>
/// PyBridge writes differently from the reference Rust writer, which is what makes its files worth
/// testing: the header is not padded to a multiple of 8, there is no <c>__metadata__</c>, tensors
/// are laid out in the order given rather than by dtype, and System.Text.Json escapes every
/// non-ASCII character and <c>+ &lt; &gt; &amp; '</c> in names as <c>\uXXXX</c>.
/// </remarks>
[TestFixture]
public sealed class PyBridgeFilesTests
{
    /// <summary>
    /// The model case's outputs must be within this many u·scale of TorchSharp's (u the Float32 unit
    /// roundoff, scale the largest |output|): the libraries sum the Linear layers' products in
    /// different orders. Measured 1.22 (the fixture's output_max_ulps_measured); a weight loaded into
    /// the wrong place or transposed is off by 10^5 u·scale and more.
    /// </summary>
    private const double OutputUlps = 4;

    private static readonly Lazy<JsonElement> Root = new(() =>
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "safetensors", "pybridge.json");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return doc.RootElement.Clone();
    });

    private string _dir = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "pybridge-files-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void TearDown()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    private static JsonElement FixtureCase(string name) =>
        Root.Value.GetProperty("cases").EnumerateArray().First(c => c.GetProperty("name").GetString() == name);

    /// <summary>Writes a case's file, exactly as PyBridge wrote it, and returns its path.</summary>
    private string WriteFile(JsonElement c)
    {
        string path = Path.Combine(_dir, c.GetProperty("name").GetString() + ".safetensors");
        File.WriteAllBytes(path, Convert.FromBase64String(c.GetProperty("file_base64").GetString()!));
        return path;
    }

    private static string HeaderOf(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        long length = BinaryPrimitives.ReadInt64LittleEndian(file);
        return Encoding.UTF8.GetString(file, 8, (int)length);
    }

    /// <summary>Checks <paramref name="tensor"/> against a fixture entry: shape, dtype and every bit.</summary>
    private static void ShouldMatch(Tensor tensor, JsonElement expected)
    {
        string name = expected.GetProperty("name").GetString()!;
        tensor.Shape.ShouldBe(expected.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray(), name);
        if (expected.TryGetProperty("float32_bits", out var f32))
        {
            tensor.DType.ShouldBe(DType.Float32, name);
            tensor.ToArray<float>().Select(v => (uint)BitConverter.SingleToInt32Bits(v))
                .ShouldBe(f32.EnumerateArray().Select(e => e.GetUInt32()), name);
        }
        else if (expected.TryGetProperty("float64_bits", out var f64))
        {
            tensor.DType.ShouldBe(DType.Float64, name);
            tensor.ToArray<double>().Select(v => (ulong)BitConverter.DoubleToInt64Bits(v))
                .ShouldBe(f64.EnumerateArray().Select(e => e.GetUInt64()), name);
        }
        else
        {
            tensor.DType.ShouldBe(DType.Int64, name);
            tensor.ToArray<long>().ShouldBe(expected.GetProperty("values").EnumerateArray().Select(e => e.GetInt64()), name);
        }
    }

    private static Tensor ToTensor(JsonElement e)
    {
        int[] shape = e.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray();
        float[] values = e.GetProperty("float32_bits").EnumerateArray().Select(b => BitConverter.Int32BitsToSingle((int)b.GetUInt32())).ToArray();
        return Tensor.FromArray(values, shape);
    }

    [Test]
    public void Fixture_IsWrittenAsPyBridgeWrites_UnpaddedUnescapedNoMetadata()
    {
        // What the tests below rely on the file to exercise: if a regenerated fixture lost these, they would test less.
        string header = HeaderOf(WriteFile(FixtureCase("pybridge_tensors")));

        (Encoding.UTF8.GetByteCount(header) % 8).ShouldNotBe(0, "PyBridge does not pad the header");
        header.ShouldNotContain("__metadata__");
        header.ShouldContain(@"layer.\u00FC\u002B\u003C\u00E9\u003E\u0027\u0026\u0022\\.weight", Case.Sensitive);
        header.IndexOf("\"f32\"", StringComparison.Ordinal).ShouldBeLessThan(header.IndexOf("\"i64\"", StringComparison.Ordinal), "in the order given, not by dtype");
    }

    [Test]
    public void Load_TensorsOfEveryDTypeWrittenByPyBridge_MatchBitForBit()
    {
        var c = FixtureCase("pybridge_tensors");

        var loaded = SafeTensors.Load(WriteFile(c), out var metadata, halfToFloat32: true);

        metadata.ShouldBeNull();
        var expected = c.GetProperty("tensors").EnumerateArray().ToList();
        expected.Select(t => t.GetProperty("dtype").GetString()!).Distinct().Order(StringComparer.Ordinal).ToList()
            .ShouldBe(["BF16", "BOOL", "F16", "F32", "F64", "I16", "I32", "I64", "I8", "U8"], "every dtype SafeTensors.Load reads and PyBridge writes");
        loaded.Keys.ToList().ShouldBe(expected.Select(t => t.GetProperty("name").GetString()!).Order(StringComparer.Ordinal).ToList(), "every key, in ordinal order");
        foreach (var t in expected)
        {
            ShouldMatch(loaded[t.GetProperty("name").GetString()!], t);
            loaded[t.GetProperty("name").GetString()!].RequiresGrad.ShouldBeFalse();
        }
    }

    [Test]
    public void Load_HalfTensorsFromPyBridgeWithoutHalfToFloat32_ThrowsNamingTheTensor()
    {
        string path = WriteFile(FixtureCase("pybridge_tensors"));

        var e = Should.Throw<NotSupportedException>(() => SafeTensors.Load(path));

        e.Message.ShouldContain("halfToFloat32");
        e.Message.ShouldMatch("'b?f16'");
    }

    [Test]
    public void ModuleLoad_ModelSavedByPyBridge_LoadsEveryKeyBitForBitAndGivesTorchSharpsOutput()
    {
        var c = FixtureCase("pybridge_mlp_batchnorm");
        c.GetProperty("model").GetString().ShouldBe("Sequential(Linear(3, 4), BatchNorm1d(4), ReLU(), Linear(4, 2))");
        var model = new Sequential(new Linear(3, 4), new BatchNorm1d(4), new ReLU(), new Linear(4, 2));

        var keys = model.Load(WriteFile(c), strict: true);

        keys.MissingKeys.ShouldBeEmpty();
        keys.UnexpectedKeys.ShouldBeEmpty();
        var state = model.StateDict();
        var expected = c.GetProperty("tensors").EnumerateArray().ToList();
        state.Keys.Order(StringComparer.Ordinal).ToList().ShouldBe(expected.Select(t => t.GetProperty("name").GetString()!).Order(StringComparer.Ordinal).ToList());
        foreach (var t in expected)
        {
            ShouldMatch(state[t.GetProperty("name").GetString()!], t);
        }

        state["1.num_batches_tracked"].ToArray<long>().ShouldBe([2L], "the writer ran two training batches before saving");
        model.Eval();
        var output = model.Forward(ToTensor(c.GetProperty("input")));
        var want = ToTensor(c.GetProperty("output"));
        output.Shape.ShouldBe(want.Shape);
        double[] a = output.ToArray<double>(), e = want.ToArray<double>();
        double scale = e.Max(Math.Abs);
        double worst = a.Zip(e, (x, y) => Math.Abs(x - y) / (Math.ScaleB(1, -24) * scale)).Max();
        TestContext.Out.WriteLine($"output: {worst:F2} u·scale from TorchSharp's");
        worst.ShouldBeLessThanOrEqualTo(OutputUlps);
    }
}
