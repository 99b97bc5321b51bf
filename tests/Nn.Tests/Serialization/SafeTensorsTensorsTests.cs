using System.Collections;
using System.Security.Cryptography;
using System.Text.Json;
using Autograd.Nn.Serialization;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Nn.Tests.Serialization;

/// <summary>
/// The public <see cref="SafeTensors.Save(string, IReadOnlyDictionary{string, Tensor}, IReadOnlyDictionary{string, string}?)"/>
/// and <see cref="SafeTensors.Load(string, bool)"/> of plain dictionaries of tensors
/// (<c>safetensors.torch.save_file</c>/<c>load_file</c>): every dtype of the format that loads,
/// checked bit for bit against files from an independent writer (tools/gen_safetensors_fixture.py),
/// round trips, and bad input.
/// </summary>
[TestFixture]
public sealed class SafeTensorsTensorsTests
{
    private static readonly string FixtureDir = Path.Combine(AppContext.BaseDirectory, "Fixtures", "safetensors");

    private string _dir = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "safetensors-tensors-" + Guid.NewGuid().ToString("N"));
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

    private string PathOf(string name) => Path.Combine(_dir, name);

    private static Dictionary<string, Tensor> Dict(params (string Name, Tensor Tensor)[] items) =>
        items.ToDictionary(i => i.Name, i => i.Tensor, StringComparer.Ordinal);

    // ------------------------------------------------------------ every dtype, independent writer

    private static readonly Lazy<JsonDocument> DTypes = new(() => JsonDocument.Parse(File.ReadAllBytes(Path.Combine(FixtureDir, "dtypes.json"))));

    private static byte[] DTypesFile => Convert.FromBase64String(DTypes.Value.RootElement.GetProperty("file_base64").GetString()!);

    [Test]
    public void Load_EveryDTypeFromIndependentWriter_MatchesBitForBit()
    {
        string path = PathOf("dtypes.safetensors");
        File.WriteAllBytes(path, DTypesFile);

        var loaded = SafeTensors.Load(path, out var metadata, halfToFloat32: true);

        metadata.ShouldNotBeNull()["format"].ShouldBe("pt");
        var expected = DTypes.Value.RootElement.GetProperty("tensors").EnumerateArray().ToList();
        loaded.Keys.ToList().ShouldBe(expected.Select(t => t.GetProperty("name").GetString()!).Order(StringComparer.Ordinal).ToList(), "keys in ordinal order");
        foreach (var t in expected)
        {
            string name = t.GetProperty("name").GetString()!;
            var tensor = loaded[name];
            tensor.Shape.ShouldBe(t.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray(), name);
            tensor.RequiresGrad.ShouldBeFalse();
            if (t.TryGetProperty("float32_bits", out var bits))
            {
                tensor.DType.ShouldBe(DType.Float32, name);
                tensor.ToArray<float>().Select(v => (uint)BitConverter.SingleToInt32Bits(v))
                    .ShouldBe(bits.EnumerateArray().Select(e => e.GetUInt32()), name);
            }
            else
            {
                tensor.DType.ShouldBe(DType.Int64, name);
                tensor.ToArray<long>().ShouldBe(t.GetProperty("values").EnumerateArray().Select(e => e.GetInt64()), name);
            }
        }
    }

    [Test]
    public void Write_EveryDTypeEntries_ReproducesIndependentWriterLayout()
    {
        // The writer lays the narrower dtypes out in the reference order too (rank, then name).
        byte[] bytes = DTypesFile;
        var entries = SafeTensors.Deserialize(bytes, out var metadata);

        SafeTensors.Serialize(entries.Reverse().ToList(), metadata).ShouldBe(bytes);
    }

    [TestCase("F16")]
    [TestCase("BF16")]
    public void Load_All65536Patterns_MatchPyTorchFloatConversion(string dtype)
    {
        // PyTorch 1.13's .float() of every 16-bit pattern, digested by the generator.
        byte[] patterns = new byte[65536 * 2];
        for (int i = 0; i < 65536; i++)
        {
            patterns[2 * i] = (byte)i;
            patterns[(2 * i) + 1] = (byte)(i >> 8);
        }

        string path = PathOf("all.safetensors");
        SafeTensors.Write(path, [new SafeTensorEntry("x", dtype, [256, 256], patterns)]);

        var x = SafeTensors.Load(path, halfToFloat32: true)["x"];

        x.DType.ShouldBe(DType.Float32);
        string digest = Convert.ToHexStringLower(SHA256.HashData(SafeTensors.EncodeSingles(x.ToArray<float>())));
        digest.ShouldBe(DTypes.Value.RootElement.GetProperty("all_patterns_sha256").GetProperty(dtype).GetString());
    }

    [Test]
    public void HalfToSingle_EveryFiniteValue_EqualsDotNetHalfExactly()
    {
        // A second, independent check of the exactness claim: System.Half's widening is exact too.
        for (int bits = 0; bits < 65536; bits++)
        {
            Half h = BitConverter.UInt16BitsToHalf((ushort)bits);
            if (Half.IsNaN(h))
            {
                float.IsNaN(SafeTensors.HalfToSingle((ushort)bits)).ShouldBeTrue();
                continue;
            }

            BitConverter.SingleToInt32Bits(SafeTensors.HalfToSingle((ushort)bits)).ShouldBe(BitConverter.SingleToInt32Bits((float)h), $"0x{bits:X4}");
        }
    }

    [TestCase("F16", "half")]
    [TestCase("BF16", "brain")]
    public void Load_HalfWithoutOption_ThrowsNotSupportedNamingTensorDTypeAndOption(string dtype, string name)
    {
        string path = PathOf("half.safetensors");
        SafeTensors.Write(path, [new SafeTensorEntry(name, dtype, [2], new byte[4]), new SafeTensorEntry("ok", "F32", [1], new byte[4])]);

        var ex = Should.Throw<NotSupportedException>(() => SafeTensors.Load(path));

        ex.Message.ShouldContain($"Tensor '{name}' in '{path}' is {dtype}");
        ex.Message.ShouldContain("halfToFloat32: true");
    }

    [TestCase("U64", 8)]
    [TestCase("C64", 8)]
    [TestCase("F8_E4M3", 1)]
    [TestCase("F8_E5M2", 1)]
    public void Load_UnsupportedDType_ThrowsNotSupportedNamingTensorAndDType(string dtype, int itemSize)
    {
        string path = PathOf("u.safetensors");
        SafeTensors.Write(path, [new SafeTensorEntry("odd", dtype, [3], new byte[3 * itemSize])]);

        Should.Throw<NotSupportedException>(() => SafeTensors.Load(path, halfToFloat32: true))
            .Message.ShouldContain($"Tensor 'odd' in '{path}' has dtype {dtype}, which this library cannot load");
    }

    [Test]
    public void Load_BoolByteOtherThanZeroOrOne_ThrowsInvalidDataNamingElement()
    {
        string path = PathOf("b.safetensors");
        SafeTensors.Write(path, [new SafeTensorEntry("mask", "BOOL", [3], [1, 0, 2])]);

        Should.Throw<InvalidDataException>(() => SafeTensors.Load(path))
            .Message.ShouldBe($"Tensor 'mask' in '{path}' is BOOL but element 2 is the byte 2, not 0 or 1.");
    }

    [Test]
    public void Load_DimPastInt32_ThrowsInvalidDataNamingShape()
    {
        string path = PathOf("big.safetensors");
        SafeTensors.Write(path, [new SafeTensorEntry("wide", "I8", [3_000_000_000, 0], [])]);

        Should.Throw<InvalidDataException>(() => SafeTensors.Load(path))
            .Message.ShouldContain("Tensor 'wide' in '" + path + "' has shape [3000000000, 0], too large for a tensor here");
    }

    // ------------------------------------------------------------ Save = save_file

    private static IEnumerable<string> ReferenceCases() => ["model_with_metadata", "model_without_metadata", "escaping", "no_tensors", "single_f32", "no_tensors_with_metadata"];

    [TestCaseSource(nameof(ReferenceCases))]
    public void Save_ReferenceTensors_WritesReferenceBytesExactly(string caseName)
    {
        // The fixture's bytes are save_file's layout; Save from tensors must give them exactly.
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(FixtureDir, "reference.json")));
        var fixture = doc.RootElement.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == caseName);
        byte[] bytes = Convert.FromBase64String(fixture.GetProperty("file_base64").GetString()!);
        var tensors = SafeTensors.Load(new MemoryStream(bytes), out var metadata);

        string path = PathOf("ref.safetensors");
        SafeTensors.Save(path, tensors, metadata);
        File.ReadAllBytes(path).ShouldBe(bytes);

        var stream = new MemoryStream();
        SafeTensors.Save(stream, tensors, metadata);
        stream.ToArray().ShouldBe(bytes);
    }

    [Test]
    public void SaveLoad_EveryDTypeAndShape_RoundTripsBitExact()
    {
        float[] singles = [BitConverter.Int32BitsToSingle(0x7FC12345), BitConverter.Int32BitsToSingle(0x7F800001), float.PositiveInfinity, -0f, float.Epsilon, float.MaxValue];
        double[] doubles = [BitConverter.Int64BitsToDouble(0x7FF0000000000001), double.NegativeInfinity, -0.0, double.Epsilon, 0.1];
        long[] longs = [long.MinValue, -1, 0, 1, long.MaxValue, 9007199254740993];
        var tensors = Dict(
            ("s", Tensor.FromArray(singles, 2, 3)),
            ("d", Tensor.FromArray(doubles)),
            ("l", Tensor.FromArray(longs, 3, 1, 2)),
            ("scalar", Tensor.Scalar(2.5)),
            ("empty", Tensor.Zeros([0, 4], DType.Float64)),
            ("caf\u00e9 \U0001F600", Tensor.Scalar(7L)));
        string path = PathOf("rt.safetensors");

        SafeTensors.Save(path, tensors);
        var loaded = SafeTensors.Load(path, out var metadata);

        metadata.ShouldBeNull();
        loaded.Keys.ShouldBe(tensors.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, t) in tensors)
        {
            loaded[name].DType.ShouldBe(t.DType, name);
            loaded[name].Shape.ShouldBe(t.Shape, name);
        }

        loaded["s"].ToArray<float>().Select(BitConverter.SingleToInt32Bits).ShouldBe(singles.Select(BitConverter.SingleToInt32Bits));
        loaded["d"].ToArray<double>().Select(BitConverter.DoubleToInt64Bits).ShouldBe(doubles.Select(BitConverter.DoubleToInt64Bits));
        loaded["l"].ToArray<long>().ShouldBe(longs);
        loaded["scalar"].Item().ShouldBe(2.5);
        loaded["caf\u00e9 \U0001F600"].ToArray<long>().ShouldBe([7L]);
    }

    [Test]
    public void SaveLoad_Metadata_RoundTripsAndReadMetadataSeesIt()
    {
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "line1\nline2 \"q\"" };
        string path = PathOf("m.safetensors");

        SafeTensors.Save(path, Dict(("w", Tensor.FromArray([1f, 2f]))), metadata);

        SafeTensors.Load(path, out var read);
        read.ShouldNotBeNull().ShouldBe(metadata, ignoreOrder: true);
        SafeTensors.ReadMetadata(path).ShouldNotBeNull().ShouldBe(metadata, ignoreOrder: true);
    }

    [Test]
    public void Save_TensorInAGraph_StoresValuesAndLoadsAsLeafWithoutGrad()
    {
        var w = Tensor.FromArray([1.5, -2.0]);
        w.RequiresGrad = true;
        var y = w * w;

        string path = PathOf("g.safetensors");
        SafeTensors.Save(path, Dict(("w", w), ("y", y)));
        var loaded = SafeTensors.Load(path);

        loaded["y"].ToArray<double>().ShouldBe([2.25, 4.0]);
        loaded["w"].RequiresGrad.ShouldBeFalse();
        loaded["y"].IsLeaf.ShouldBeTrue();
        w.RequiresGrad.ShouldBeTrue();
    }

    [Test]
    public void Load_NonSeekableStream_SameAsFile()
    {
        var tensors = Dict(("a", Tensor.FromArray([1L, 2L])), ("b", Tensor.FromArray([3f])));
        var bytes = new MemoryStream();
        SafeTensors.Save(bytes, tensors, new Dictionary<string, string> { ["k"] = "v" });

        var loaded = SafeTensors.Load(new ForwardOnlyStream(bytes.ToArray()), out var metadata);

        loaded["a"].ToArray<long>().ShouldBe([1L, 2L]);
        loaded["b"].ToArray<float>().ShouldBe([3f]);
        metadata.ShouldNotBeNull()["k"].ShouldBe("v");
    }

    [Test]
    public void Save_ThroughSymbolicLink_ReplacesTargetAndKeepsLink()
    {
        string target = PathOf("target.safetensors");
        string link = PathOf("link.safetensors");
        SafeTensors.Save(target, Dict(("old", Tensor.FromArray([1f]))));
        File.CreateSymbolicLink(link, target);

        SafeTensors.Save(link, Dict(("new", Tensor.FromArray([2f]))));

        new FileInfo(link).LinkTarget.ShouldBe(target);
        SafeTensors.Load(target).Keys.ShouldBe(["new"]);
        Directory.GetFiles(_dir, "*.tmp").ShouldBeEmpty();
    }

    // ------------------------------------------------------------ bad input

    private static IEnumerable<TestCaseData> BadSaves()
    {
        TestCaseData Case(string name, Func<IReadOnlyDictionary<string, Tensor>> tensors, Type exception, string fragment) =>
            new TestCaseData(tensors, exception, fragment).SetName($"Save_{name}_ThrowsAndKeepsExistingFile");

        yield return Case("EmptyName", () => Dict(("", Tensor.FromArray([1f]))), typeof(ArgumentException), "A tensor name is null or empty");
        yield return Case("ReservedName", () => Dict(("__metadata__", Tensor.FromArray([1f]))), typeof(ArgumentException), "the name '__metadata__' is reserved");
        yield return Case("NullTensor", () => Dict(("w", null!)), typeof(ArgumentException), "Tensor 'w' is null.");
        yield return Case("DisposedTensor", () =>
        {
            var t = Tensor.FromArray([1f]);
            t.Dispose();
            return Dict(("a", Tensor.FromArray([0f])), ("w", t));
        }, typeof(ObjectDisposedException), "Tensor 'w' was disposed");
        yield return Case("ViewOfAnotherTensor", () =>
        {
            var t = Tensor.FromArray([1f, 2f, 3f, 4f]);
            return Dict(("a", t), ("b", t.Reshape(2, 2)));
        }, typeof(ArgumentException), "Tensors 'a' and 'b' share memory");
        yield return Case("SameTensorTwice", () =>
        {
            var t = Tensor.FromArray([1.0]);
            return Dict(("a", t), ("b", t));
        }, typeof(ArgumentException), "Tensors 'a' and 'b' share memory");
        yield return Case("DuplicateKeys", () => new ListDictionary([("w", Tensor.FromArray([1f])), ("w", Tensor.FromArray([2f]))]),
            typeof(ArgumentException), "Tensor name 'w' occurs more than once.");
        yield return Case("UnpairedSurrogateName", () => Dict(("bad\ud800", Tensor.FromArray([1f]))), typeof(ArgumentException), @"The tensor name 'bad\ud800' is not valid Unicode (it contains an unpaired surrogate, \ud800, at index 3).");
        yield return Case("RankPastLimit", () => Dict(("deep", Tensor.Zeros(Enumerable.Repeat(1, SafeTensors.MaxRank + 1).ToArray()))),
            typeof(ArgumentException), "65 dimensions, more than the 64");
    }

    [TestCaseSource(nameof(BadSaves))]
    public void Save_BadInput_Throws(Func<IReadOnlyDictionary<string, Tensor>> tensors, Type exception, string fragment)
    {
        string path = PathOf("good.safetensors");
        SafeTensors.Save(path, Dict(("good", Tensor.FromArray([42f]))));
        byte[] before = File.ReadAllBytes(path);

        var ex = Should.Throw(() => SafeTensors.Save(path, tensors()), exception);

        ex.Message.ShouldContain(fragment);
        File.ReadAllBytes(path).ShouldBe(before);
        Directory.GetFiles(_dir, "*.tmp").ShouldBeEmpty();

        var stream = new MemoryStream();
        Should.Throw(() => SafeTensors.Save(stream, tensors()), exception);
        stream.Length.ShouldBe(0, "nothing is written before everything is validated");
    }

    [Test]
    public void Save_MoreTensorsThanTheLimit_ThrowsArgumentException()
    {
        var many = Enumerable.Range(0, SafeTensors.MaxEntries + 1).ToDictionary(i => $"t{i}", _ => Tensor.Zeros([0], DType.Float32));

        Should.Throw<ArgumentException>(() => SafeTensors.Save(new MemoryStream(), many))
            .Message.ShouldContain($"{SafeTensors.MaxEntries + 1} tensors are more than the {SafeTensors.MaxEntries} a file may list");
    }

    [Test]
    public void Save_NullMetadataValue_ThrowsArgumentException()
    {
        Should.Throw<ArgumentException>(() => SafeTensors.Save(new MemoryStream(), Dict(("w", Tensor.FromArray([1f]))), new Dictionary<string, string> { ["k"] = null! }))
            .Message.ShouldContain("Metadata value for key 'k' is null.");
    }

    [Test]
    public void SaveLoad_NullOrEmptyArguments_ThrowArgumentExceptionsNamingThem()
    {
        var tensors = Dict(("w", Tensor.FromArray([1f])));
        Should.Throw<ArgumentException>(() => SafeTensors.Save("", tensors)).ParamName.ShouldBe("path");
        Should.Throw<ArgumentNullException>(() => SafeTensors.Save((string)null!, tensors)).ParamName.ShouldBe("path");
        Should.Throw<ArgumentNullException>(() => SafeTensors.Save(PathOf("x.safetensors"), null!)).ParamName.ShouldBe("tensors");
        Should.Throw<ArgumentNullException>(() => SafeTensors.Save((Stream)null!, tensors)).ParamName.ShouldBe("stream");
        Should.Throw<ArgumentException>(() => SafeTensors.Save(new MemoryStream([], writable: false), tensors)).ParamName.ShouldBe("stream");
        Should.Throw<ArgumentException>(() => SafeTensors.Load("")).ParamName.ShouldBe("path");
        Should.Throw<ArgumentNullException>(() => SafeTensors.Load((Stream)null!)).ParamName.ShouldBe("stream");
        File.Exists(PathOf("x.safetensors")).ShouldBeFalse();
    }

    [Test]
    public void Load_MissingFile_ThrowsFileNotFoundNamingPath()
    {
        string path = PathOf("no-such.safetensors");

        var ex = Should.Throw<FileNotFoundException>(() => SafeTensors.Load(path));

        ex.FileName.ShouldBe(path);
        ex.Message.ShouldContain(path);
    }

    [Test]
    public void Save_MissingDirectory_ThrowsDirectoryNotFoundAndCreatesNothing()
    {
        string path = Path.Combine(_dir, "missing", "x.safetensors");

        Should.Throw<DirectoryNotFoundException>(() => SafeTensors.Save(path, Dict(("w", Tensor.FromArray([1f])))));

        Directory.Exists(Path.Combine(_dir, "missing")).ShouldBeFalse();
    }

    [Test]
    public void Load_BrokenFile_ThrowsInvalidDataNamingFile()
    {
        string path = PathOf("broken.safetensors");
        byte[] bytes = DTypesFile;
        File.WriteAllBytes(path, bytes[..^1]);

        Should.Throw<InvalidDataException>(() => SafeTensors.Load(path, halfToFloat32: true))
            .Message.ShouldStartWith($"Invalid safetensors file '{path}': ");
    }

    /// <summary>An enumerable dictionary that can list a key twice, as a hand-written IReadOnlyDictionary might.</summary>
    private sealed class ListDictionary((string Key, Tensor Value)[] items) : IReadOnlyDictionary<string, Tensor>
    {
        public Tensor this[string key] => items.First(i => i.Key == key).Value;

        public IEnumerable<string> Keys => items.Select(i => i.Key);

        public IEnumerable<Tensor> Values => items.Select(i => i.Value);

        public int Count => items.Length;

        public bool ContainsKey(string key) => items.Any(i => i.Key == key);

        public bool TryGetValue(string key, out Tensor value)
        {
            value = ContainsKey(key) ? this[key] : null!;
            return ContainsKey(key);
        }

        public IEnumerator<KeyValuePair<string, Tensor>> GetEnumerator() => items.Select(i => KeyValuePair.Create(i.Key, i.Value)).GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>A stream that can only be read front to back, as a pipe.</summary>
    private sealed class ForwardOnlyStream(byte[] bytes) : Stream
    {
        private readonly MemoryStream _inner = new(bytes);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 7));

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
