using System.Buffers.Binary;
using System.Text;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Nn.Tests.Reliability;

/// <summary>
/// Model files (issue 6): every broken file, and every file that does not fit the model, gets a
/// clear error naming the file and the fault, and leaves the module bit-for-bit unchanged; a save
/// that fails midway leaves the good file that was there (and no temporary file).
/// </summary>
[TestFixture]
public sealed class ModelFileTests
{
    private string _dir = "";

    [SetUp]
    public void CreateDirectory()
    {
        _dir = Path.Combine(Path.GetTempPath(), "autograd-reliability-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void DeleteDirectory()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Keys 0.weight [4, 3], 0.bias [4], 2.weight [2, 4], 2.bias [2]: 26 Float32 values, 104 data bytes.</summary>
    internal static Sequential Model(int seed) => new(
        new Linear(3, 4, generator: new Generator(seed)), new ReLU(), new Linear(4, 2, generator: new Generator(seed + 100)));

    /// <summary>Every parameter's bits, in order.</summary>
    internal static byte[][] Snapshot(Module m) => m.Parameters()
        .Select(p => p.DType == DType.Float32
            ? p.ToArray<float>().SelectMany(BitConverter.GetBytes).ToArray()
            : p.ToArray<double>().SelectMany(BitConverter.GetBytes).ToArray())
        .ToArray();

    internal static void ShouldBeUnchanged(Module m, byte[][] before, string why)
    {
        var after = Snapshot(m);
        after.Length.ShouldBe(before.Length, why);
        for (int i = 0; i < before.Length; i++) after[i].ShouldBe(before[i], $"{why}: parameter {i} changed");
    }

    /// <summary>A safetensors image: the 8-byte little-endian header length, the header, the data.</summary>
    private static byte[] File(string header, byte[] data)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)h.Length);
        h.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + h.Length);
        return bytes;
    }

    /// <summary>A header listing tensors (name, dtype, shape, byte count) contiguously in that order.</summary>
    private static string Header(params (string Name, string DType, int[] Shape, int Bytes)[] tensors)
    {
        var parts = new List<string>();
        long offset = 0;
        foreach (var (name, dtype, shape, bytes) in tensors)
        {
            parts.Add($"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":[{string.Join(",", shape)}],\"data_offsets\":[{offset},{offset + bytes}]}}");
            offset += bytes;
        }
        return "{" + string.Join(",", parts) + "}";
    }

    private static readonly (string Name, string DType, int[] Shape, int Bytes)[] Layout =
    [
        ("0.weight", "F32", [4, 3], 48), ("0.bias", "F32", [4], 16), ("2.weight", "F32", [2, 4], 32), ("2.bias", "F32", [2], 8),
    ];

    private static (string, string, int[], int)[] With(int index, (string, string, int[], int) entry)
    {
        var copy = ((string, string, int[], int)[])Layout.Clone();
        copy[index] = entry;
        return copy;
    }

    private static byte[] Data(int bytes) => Enumerable.Range(0, bytes).Select(i => (byte)(i % 7 == 0 ? 0 : 0x3F)).ToArray();

    /// <summary>A broken or unfitting file: its bytes (from the good file's), and what the message must name.</summary>
    public sealed record BrokenFile(string Name, Func<byte[], byte[]> Bytes, params string[] Mentions)
    {
        public override string ToString() => Name;
    }

    private static int HeaderLength(byte[] good) => (int)BinaryPrimitives.ReadUInt64LittleEndian(good);

    private static byte[] WithHeaderLength(byte[] good, ulong length)
    {
        var b = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt64LittleEndian(b, length);
        return b;
    }

    public static IEnumerable<BrokenFile> BrokenFiles()
    {
        // Truncated anywhere.
        yield return new("empty file", _ => [], "empty");
        yield return new("truncated to 4 bytes", g => g[..4], "4 bytes long", "8-byte header length");
        yield return new("truncated to the 8-byte length", g => g[..8], "header length", "0 bytes that follow");
        yield return new("truncated in the middle of the header", g => g[..(8 + HeaderLength(g) / 2)], "header length", "exceeds");
        yield return new("truncated after the header (no data)", g => g[..(8 + HeaderLength(g))], "data_offsets", "0-byte data section");
        yield return new("truncated in the middle of the data", g => g[..(g.Length - 52)], "data_offsets", "past the end");
        yield return new("truncated by its last byte", g => g[..^1], "data_offsets", "103-byte data section");
        yield return new("one byte appended", g => [.. g, 0], "1 trailing bytes");

        // The 8-byte header length (safetensors has no magic number: this is its only framing).
        yield return new("header length 2^40", g => WithHeaderLength(g, 1UL << 40), "header length 1099511627776", "limit");
        yield return new("header length past the end of the file", g => WithHeaderLength(g, (ulong)g.Length), "exceeds", "bytes that follow");
        yield return new("header length 0", g => WithHeaderLength(g, 0), "not valid JSON");
        yield return new("header length 3 bytes short", g => WithHeaderLength(g, (ulong)HeaderLength(g) - 3), "not valid JSON");
        yield return new("header length ulong.MaxValue", g => WithHeaderLength(g, ulong.MaxValue), "header length 18446744073709551615");

        // Not a safetensors file at all (wrong magic).
        yield return new("a zip archive (PyTorch's .pt)", _ => [(byte)'P', (byte)'K', 3, 4, 20, 0, 0, 0, .. new byte[120]], "header length");
        yield return new("a pickle (protocol 2)", _ => [0x80, 0x02, (byte)'}', (byte)'q', 0, (byte)'(', 0, 0, .. new byte[64]], "header length");
        yield return new("a text file", _ => Encoding.ASCII.GetBytes("this is not a model, just some text\n"), "header length");
        yield return new("a JSON file", _ => Encoding.ASCII.GetBytes("{\"0.weight\": [[1, 2, 3]]}"), "header length");

        // A header that is not the JSON object it should be.
        yield return new("header not JSON", _ => File("{0.weight: F32}", Data(104)), "not valid JSON");
        yield return new("header a JSON array", _ => File("[1, 2, 3]", Data(104)), "must be a JSON object", "array");
        yield return new("header not UTF-8", _ => File("{\"0.w\u00e9ight\":{}}", []).Select(b => b == 0xC3 ? (byte)0xFF : b).ToArray(), "not valid UTF-8");
        yield return new("header with trailing garbage", _ => File(Header(Layout) + " x", Data(104)), "not valid JSON");
        yield return new("header with a duplicate key", _ => File(Header([.. Layout, Layout[3]]).Replace(",\"2.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[104,112]}", ",\"2.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[96,104]}"), Data(104)), "duplicate key '2.bias'");
        yield return new("an entry that is a number", _ => File("{\"0.weight\":5}", []), "'0.weight'", "JSON object");
        yield return new("an entry without dtype", _ => File("{\"0.bias\":{\"shape\":[4],\"data_offsets\":[0,16]}}", Data(16)), "'0.bias'", "lacks 'dtype'");
        yield return new("an entry with a negative dim", _ => File("{\"0.bias\":{\"dtype\":\"F32\",\"shape\":[-4],\"data_offsets\":[0,16]}}", Data(16)), "'0.bias'", "shape");
        yield return new("an unknown dtype", _ => File(Header(With(1, ("0.bias", "F33", [4], 16))), Data(104)), "'0.bias'", "F33");
        yield return new("a shape whose size is not the byte count", _ => File(Header(With(1, ("0.bias", "F32", [5], 16))), Data(104)), "'0.bias'", "needs 20 bytes");
        yield return new("overlapping data offsets", _ => File(Header(Layout).Replace("[64,96]", "[60,92]").Replace("[96,104]", "[92,104]").Replace("\"shape\":[2],", "\"shape\":[3],"), Data(104)), "overlap");

        // Invalid UTF-16 through JSON escapes (issue 12, attack 5): valid UTF-8 bytes, but the escape
        // \ud800 or \udc00 alone decodes to half a character (serde_json refuses these too).
        yield return new("a key with a lone \\ud800 escape", _ => File(Header(With(1, ("0.bias\\ud800", "F32", [4], 16))), Data(104)), "unpaired surrogate", "\\ud800");
        yield return new("a dtype with a lone \\ud800 escape", _ => File(Header(With(1, ("0.bias", "F3\\ud800", [4], 16))), Data(104)), "unpaired surrogate");
        yield return new("a metadata key with a lone \\ud800 escape", _ => File("{\"__metadata__\":{\"form\\ud800\":\"pt\"}," + Header(Layout)[1..], Data(104)), "unpaired surrogate");
        yield return new("a metadata value with a lone \\udc00 escape", _ => File("{\"__metadata__\":{\"format\":\"p\\udc00\"}," + Header(Layout)[1..], Data(104)), "unpaired surrogate", "\\udc00");
        yield return new("an ignored field name with a lone \\ud800 escape", _ => File(Header(Layout).Replace("\"data_offsets\":[48,64]", "\"data_offsets\":[48,64],\"x\\ud800\":1"), Data(104)), "unpaired surrogate");

        // Valid files that do not fit the model.
        yield return new("I64 data for a parameter", _ => File(Header(With(3, ("2.bias", "I64", [1], 8))), Data(104)), "dtype mismatch for 2.bias", "I64");
        yield return new("F16 data for a parameter", _ => File(Header(With(3, ("2.bias", "F16", [4], 8))), Data(104)), "dtype mismatch for 2.bias", "F16");
        yield return new("shape [3, 4] for [4, 3]", _ => File(Header(With(0, ("0.weight", "F32", [3, 4], 48))), Data(104)), "size mismatch for 0.weight", "[3, 4]", "[4, 3]");
        yield return new("shape [4, 3, 1] for [4, 3]", _ => File(Header(With(0, ("0.weight", "F32", [4, 3, 1], 48))), Data(104)), "size mismatch for 0.weight", "[4, 3, 1]");
        yield return new("shape [2, 2] for [4]", _ => File(Header(With(1, ("0.bias", "F32", [2, 2], 16))), Data(104)), "size mismatch for 0.bias", "[2, 2]", "[4]");
        yield return new("a missing key", _ => File(Header(Layout[..3]), Data(96)), "Missing key", "\"2.bias\"");
        yield return new("an extra key", _ => File(Header([.. Layout, ("3.weight", "F32", [1], 4)]), Data(108)), "Unexpected key", "\"3.weight\"");
        yield return new("the keys of another model", _ => File(Header(("weight", "F32", [4, 3], 48), ("bias", "F32", [4], 16)), Data(64)), "Missing key", "\"0.weight\"", "Unexpected key", "\"bias\"");
        yield return new("no tensors at all", _ => File("{}", []), "Missing key", "\"0.weight\"", "\"2.bias\"");
        yield return new("only metadata", _ => File("{\"__metadata__\":{\"format\":\"pt\"}}", []), "Missing key");
        yield return new("every problem at once", _ => File(Header(("0.weight", "F32", [3, 4], 48), ("0.bias", "I64", [2], 16), ("x", "F32", [10], 40)), Data(104)),
            "size mismatch for 0.weight", "dtype mismatch for 0.bias", "\"2.weight\"", "\"x\"");
    }

    private static IEnumerable<TestCaseData> BrokenFileCases() => BrokenFiles().Select(f => new TestCaseData(f).SetArgDisplayNames(f.Name));

    [TestCaseSource(nameof(BrokenFileCases))]
    public void Load_BrokenOrUnfittingFile_ClearErrorNamingFileAndFault_ModelUnchanged(BrokenFile broken)
    {
        string good = Path.Combine(_dir, "good.safetensors");
        Model(1).Save(good);
        string path = Path.Combine(_dir, "broken.safetensors");
        System.IO.File.WriteAllBytes(path, broken.Bytes(System.IO.File.ReadAllBytes(good)));

        var model = Model(2);
        var before = Snapshot(model);
        var e = Should.Throw<InvalidDataException>(() => model.Load(path), broken.Name);
        e.Message.ShouldContain(path, Case.Sensitive, broken.Name);
        foreach (var m in broken.Mentions) e.Message.ShouldContain(m, Case.Sensitive, broken.Name);
        ShouldBeUnchanged(model, before, broken.Name);
        TestContext.Out.WriteLine($"{broken.Name}: {e.Message}");
    }

    [Test]
    public void Load_MissingPath_FileNotFoundNamingThePath_ModelUnchanged()
    {
        var model = Model(2);
        var before = Snapshot(model);
        string path = Path.Combine(_dir, "no-such-file.safetensors");
        var e = Should.Throw<FileNotFoundException>(() => model.Load(path));
        TestContext.Out.WriteLine(e.Message);
        e.Message.ShouldContain(path);
        e.FileName.ShouldBe(path);
        ShouldBeUnchanged(model, before, "missing path");
    }

    [Test]
    public void Load_PathIsADirectory_ClearIOError_ModelUnchanged()
    {
        var model = Model(2);
        var before = Snapshot(model);
        var e = Should.Throw<IOException>(() => model.Load(_dir));
        TestContext.Out.WriteLine($"{e.GetType().Name}: {e.Message}");
        e.Message.ShouldContain(_dir);
        ShouldBeUnchanged(model, before, "directory");
    }

    [Test]
    public void Load_NonStrict_LoadsTheKeysThatFitAndReportsTheOthers()
    {
        string path = Path.Combine(_dir, "partial.safetensors");
        var source = Model(1);
        var state = source.StateDict();
        state.Remove("2.bias");
        state["extra"] = Tensor.Ones(1);
        var holder = new StateHolder(state);
        holder.Save(path);

        var model = Model(2);
        var oldBias = model.StateDict()["2.bias"].ToArray<float>();
        var keys = model.Load(path, strict: false);
        keys.MissingKeys.ShouldBe(["2.bias"]);
        keys.UnexpectedKeys.ShouldBe(["extra"]);
        model.StateDict()["0.weight"].ToArray<float>().ShouldBe(source.StateDict()["0.weight"].ToArray<float>());
        model.StateDict()["2.bias"].ToArray<float>().ShouldBe(oldBias);
    }

    [Test]
    public void Load_NonStrictWithAWrongShape_StillFailsAndChangesNothing()
    {
        string path = Path.Combine(_dir, "shape.safetensors");
        var state = Model(1).StateDict();
        state["0.bias"] = Tensor.Ones(5);
        new StateHolder(state).Save(path);
        var model = Model(2);
        var before = Snapshot(model);
        Should.Throw<InvalidDataException>(() => model.Load(path, strict: false)).Message.ShouldContain("size mismatch for 0.bias");
        ShouldBeUnchanged(model, before, "non-strict, wrong shape");
    }

    /// <summary>A linear map with a learned 0-d temperature, as CLIP's logit_scale.</summary>
    private sealed class Scaled : Module
    {
        public Scaled(float scale)
        {
            RegisterParameter("logit_scale", Tensor.Scalar(scale));
            RegisterModule("proj", new Linear(3, 2, generator: new Generator(7)));
        }

        public override Tensor Forward(Tensor input) => input;
    }

    [Test]
    [Category("Regression")]
    public void SaveLoad_ZeroDParameter_RoundTrips()
    {
        // Issue 12, attack 2: failed with "size mismatch ... shape [1] ... current model is []".
        string path = Path.Combine(_dir, "scaled.safetensors");
        new Scaled(2.6592f).Save(path);
        var model = new Scaled(1f);
        model.Load(path);
        var scale = model.NamedParameters().Single(p => p.Name == "logit_scale").Parameter;
        scale.Shape.ShouldBe([]);
        scale.Item().ShouldBe(2.6592f);
    }

    [Test]
    [Category("Regression")]
    public void Load_PyTorchFileWithScalarParameter_Loads()
    {
        // safetensors.torch.save_file({"logit_scale": torch.tensor(2.5), ...}) writes shape [] and 4 bytes.
        var source = new Scaled(0f).StateDict();
        var entries = new List<(string, string, int[], int)> { ("logit_scale", "F32", [], 4), ("proj.weight", "F32", [2, 3], 24), ("proj.bias", "F32", [2], 8) };
        var data = new[] { 2.5f }.Concat(source["proj.weight"].ToArray<float>()).Concat(source["proj.bias"].ToArray<float>())
            .SelectMany(BitConverter.GetBytes).ToArray();
        string path = Path.Combine(_dir, "torch.safetensors");
        System.IO.File.WriteAllBytes(path, File("{\"__metadata__\":{\"format\":\"pt\"}," + Header([.. entries])[1..], data));

        var model = new Scaled(1f);
        model.Load(path);
        model.StateDict()["logit_scale"].Item().ShouldBe(2.5);
        model.StateDict()["logit_scale"].Shape.ShouldBe([]);
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int mkfifo(string path, uint mode);

    /// <summary>Loads <paramref name="model"/> from a named pipe that a writer thread fills with <paramref name="bytes"/>.</summary>
    private void LoadThroughFifo(Module model, byte[] bytes, string name = "pipe.safetensors")
    {
        Assume.That(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "named pipes by mkfifo");
        string fifo = Path.Combine(_dir, name);
        mkfifo(fifo, Convert.ToUInt32("600", 8)).ShouldBe(0);
        var writer = new Thread(() =>
        {
            try
            {
                using var w = new FileStream(fifo, FileMode.Open, FileAccess.Write); // waits for the reader
                w.Write(bytes);
            }
            catch (IOException)
            {
                // The reader closed the pipe early (a broken file): what it reported is what counts.
            }
        }) { IsBackground = true };
        writer.Start();
        try
        {
            model.Load(fifo);
        }
        finally
        {
            if (!writer.Join(TimeSpan.FromSeconds(2)))
            {
                using var unblock = new FileStream(fifo, FileMode.Open, FileAccess.Read); // lets a writer nobody read finish
                unblock.CopyTo(Stream.Null);
            }
            writer.Join(TimeSpan.FromSeconds(30)).ShouldBeTrue();
        }
    }

    [Test]
    [Category("Regression")]
    public void Load_NamedPipe_ReadsTheModel()
    {
        // Issue 12, attack 6: a named pipe (not seekable) threw NotSupportedException from Stream.Length.
        string good = Path.Combine(_dir, "good.safetensors");
        var source = Model(1);
        source.Save(good);
        var model = Model(2);
        LoadThroughFifo(model, System.IO.File.ReadAllBytes(good));
        Snapshot(model).ShouldBe(Snapshot(source));
    }

    [TestCaseSource(nameof(BrokenFileCases))]
    [Category("Regression")]
    public void Load_BrokenFileThroughANamedPipe_SameKindOfErrorModelUnchanged(BrokenFile broken)
    {
        string good = Path.Combine(_dir, "good.safetensors");
        Model(1).Save(good);
        var model = Model(2);
        var before = Snapshot(model);
        var e = Should.Throw<InvalidDataException>(() => LoadThroughFifo(model, broken.Bytes(System.IO.File.ReadAllBytes(good))), broken.Name);
        TestContext.Out.WriteLine($"{broken.Name}: {e.Message}");
        e.Message.ShouldContain("pipe.safetensors", Case.Sensitive, broken.Name);
        ShouldBeUnchanged(model, before, broken.Name);
    }

    /// <summary>A module whose parameters are an arbitrary state dict (to write files with any keys).</summary>
    internal sealed class StateHolder : Module
    {
        public StateHolder(IReadOnlyDictionary<string, Tensor> state)
        {
            foreach (var (name, value) in state)
            {
                if (name.Contains('.'))
                {
                    var parts = name.Split('.', 2);
                    var child = Children().OfType<StateHolder>().FirstOrDefault(c => c.Prefix == parts[0])
                        ?? RegisterModule(parts[0], new StateHolder(new Dictionary<string, Tensor>()) { Prefix = parts[0] });
                    child.Add(parts[1], value);
                }
                else
                {
                    Add(name, value);
                }
            }
        }

        public string Prefix { get; init; } = "";

        public void Add(string name, Tensor value) => RegisterParameter(name, value.Detach().Clone());

        public override Tensor Forward(Tensor input) => input;
    }
}
