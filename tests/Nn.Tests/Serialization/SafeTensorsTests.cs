using System.Text;
using System.Text.Json;
using Autograd.Nn.Serialization;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Nn.Tests.Serialization;

[TestFixture]
public sealed class SafeTensorsTests
{
    // Written by tools/gen_safetensors_fixture.py: exact .safetensors bytes (base64) as the
    // reference huggingface implementation lays them out, plus the decoded values.
    private static readonly string FixturePath =
        Path.Combine(AppContext.BaseDirectory, "Fixtures", "safetensors", "reference.json");

    private string _dir = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "safetensors-tests-" + Guid.NewGuid().ToString("N"));
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

    // ------------------------------------------------------------ reference fixture

    private sealed record FixtureTensor(string Name, string DType, long[] Shape, JsonElement[] Values);

    private sealed record FixtureCase(string Name, byte[] Bytes, Dictionary<string, string>? Metadata, FixtureTensor[] Tensors);

    private static readonly Lazy<Dictionary<string, FixtureCase>> Fixture = new(LoadFixture);

    private static Dictionary<string, FixtureCase> LoadFixture()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(FixturePath));
        var cases = new Dictionary<string, FixtureCase>(StringComparer.Ordinal);
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            var metaElement = c.GetProperty("metadata");
            Dictionary<string, string>? metadata = metaElement.ValueKind == JsonValueKind.Null
                ? null
                : metaElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal);
            var tensors = c.GetProperty("tensors").EnumerateArray().Select(t => new FixtureTensor(
                t.GetProperty("name").GetString()!,
                t.GetProperty("dtype").GetString()!,
                t.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray(),
                t.GetProperty("values").EnumerateArray().Select(e => e.Clone()).ToArray())).ToArray();
            string name = c.GetProperty("name").GetString()!;
            cases.Add(name, new FixtureCase(name, Convert.FromBase64String(c.GetProperty("file_base64").GetString()!), metadata, tensors));
        }

        return cases;
    }

    private static IEnumerable<string> FixtureCaseNames() => Fixture.Value.Keys;

    private static byte[] EncodeFixtureValues(FixtureTensor t) => t.DType switch
    {
        "F32" => SafeTensors.EncodeSingles(t.Values.Select(v => (float)v.GetDouble()).ToArray()),
        "F64" => SafeTensors.EncodeDoubles(t.Values.Select(v => v.GetDouble()).ToArray()),
        "I64" => SafeTensors.EncodeInt64s(t.Values.Select(v => v.GetInt64()).ToArray()),
        _ => throw new InvalidOperationException($"fixture dtype {t.DType}"),
    };

    [TestCaseSource(nameof(FixtureCaseNames))]
    public void Read_ReferenceBytes_DecodesExpectedValues(string caseName)
    {
        var fixture = Fixture.Value[caseName];
        string path = Path.Combine(_dir, caseName + ".safetensors");
        File.WriteAllBytes(path, fixture.Bytes);

        var entries = SafeTensors.Read(path, out var metadata);

        entries.Select(e => e.Name).ShouldBe(fixture.Tensors.Select(t => t.Name));
        for (int i = 0; i < entries.Count; i++)
        {
            var expected = fixture.Tensors[i];
            entries[i].DType.ShouldBe(expected.DType);
            entries[i].Shape.ShouldBe(expected.Shape);
            // Bit-exact comparison of the values (covers -0.0 and the float32 subnormal).
            entries[i].Data.ShouldBe(EncodeFixtureValues(expected), $"tensor {expected.Name}");
        }

        if (fixture.Metadata is null)
        {
            metadata.ShouldBeNull();
        }
        else
        {
            metadata.ShouldNotBeNull().ShouldBe(fixture.Metadata, ignoreOrder: true);
        }
    }

    [TestCaseSource(nameof(FixtureCaseNames))]
    public void Write_ReferenceEntries_ProducesReferenceBytesExactly(string caseName)
    {
        var fixture = Fixture.Value[caseName];
        // Hand the writer the tensors in reverse file order: the layout must be its own doing.
        var entries = fixture.Tensors.Reverse()
            .Select(t => new SafeTensorEntry(t.Name, t.DType, t.Shape, EncodeFixtureValues(t))).ToList();
        string path = Path.Combine(_dir, caseName + ".safetensors");

        SafeTensors.Write(path, entries, fixture.Metadata);

        File.ReadAllBytes(path).ShouldBe(fixture.Bytes);
        SafeTensors.Serialize(entries, fixture.Metadata).ShouldBe(fixture.Bytes);
    }

    [Test]
    public void ReadMetadata_ReferenceBytes_ReturnsMetadataOnly()
    {
        var fixture = Fixture.Value["model_with_metadata"];
        string path = Path.Combine(_dir, "m.safetensors");
        File.WriteAllBytes(path, fixture.Bytes);

        SafeTensors.ReadMetadata(path).ShouldNotBeNull()["format"].ShouldBe("pt");

        File.WriteAllBytes(path, Fixture.Value["model_without_metadata"].Bytes);
        SafeTensors.ReadMetadata(path).ShouldBeNull();
    }

    // ------------------------------------------------------------ round trips

    [Test]
    public void WriteRead_SpecialFloatingPointValues_RoundTripBitExact()
    {
        float[] singles =
        [
            BitConverter.Int32BitsToSingle(0x7FC12345), // quiet NaN with payload
            BitConverter.Int32BitsToSingle(0x7F800001), // signaling NaN
            BitConverter.Int32BitsToSingle(unchecked((int)0xFFC00001)), // negative NaN
            -0.0f, 0.0f, float.Epsilon, -float.Epsilon,
            BitConverter.Int32BitsToSingle(0x007FFFFF), // largest subnormal
            float.PositiveInfinity, float.NegativeInfinity, float.MaxValue, float.MinValue,
        ];
        double[] doubles =
        [
            BitConverter.Int64BitsToDouble(0x7FF8000000ABCDEF),
            BitConverter.Int64BitsToDouble(0x7FF0000000000001),
            BitConverter.Int64BitsToDouble(unchecked((long)0xFFF8000000000001)),
            -0.0, double.Epsilon, BitConverter.Int64BitsToDouble(0x000FFFFFFFFFFFFF),
            double.PositiveInfinity, double.NegativeInfinity, double.MaxValue,
        ];
        long[] longs = [long.MinValue, -1, 0, 1, long.MaxValue];
        string path = Path.Combine(_dir, "special.safetensors");

        SafeTensors.Write(path,
        [
            new SafeTensorEntry("s", "F32", [3, 4], SafeTensors.EncodeSingles(singles)),
            new SafeTensorEntry("d", "F64", [9], SafeTensors.EncodeDoubles(doubles)),
            new SafeTensorEntry("l", "I64", [5], SafeTensors.EncodeInt64s(longs)),
        ]);
        var read = SafeTensors.Read(path).ToDictionary(e => e.Name);

        SafeTensors.DecodeSingles(read["s"].Data).Select(BitConverter.SingleToInt32Bits)
            .ShouldBe(singles.Select(BitConverter.SingleToInt32Bits));
        SafeTensors.DecodeDoubles(read["d"].Data).Select(BitConverter.DoubleToInt64Bits)
            .ShouldBe(doubles.Select(BitConverter.DoubleToInt64Bits));
        SafeTensors.DecodeInt64s(read["l"].Data).ShouldBe(longs);
        read["s"].Shape.ShouldBe([3L, 4L]);
    }

    [Test]
    public void WriteRead_ScalarAndEmptyTensors_RoundTrip()
    {
        string path = Path.Combine(_dir, "shapes.safetensors");
        SafeTensors.Write(path,
        [
            new SafeTensorEntry("scalar", "F64", [], SafeTensors.EncodeDoubles([42.5])),
            new SafeTensorEntry("empty", "F32", [0], []),
            new SafeTensorEntry("empty2d", "I64", [3, 0], []),
        ]);

        var read = SafeTensors.Read(path).ToDictionary(e => e.Name);

        read["scalar"].Shape.ShouldBeEmpty();
        SafeTensors.DecodeDoubles(read["scalar"].Data).ShouldBe([42.5]);
        read["empty"].Shape.ShouldBe([0L]);
        read["empty"].Data.ShouldBeEmpty();
        read["empty2d"].Shape.ShouldBe([3L, 0L]);
    }

    [Test]
    public void WriteRead_Metadata_RoundTrips()
    {
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "pt",
            ["zeta"] = "line1\nline2\t\"quoted\" \\ <&> caf\u00e9 \U0001F600 \u0001",
            ["alpha"] = "",
        };
        string path = Path.Combine(_dir, "meta.safetensors");

        SafeTensors.Write(path, [new SafeTensorEntry("w", "F32", [1], SafeTensors.EncodeSingles([1f]))], metadata);

        SafeTensors.Read(path, out var read);
        read.ShouldNotBeNull().ShouldBe(metadata, ignoreOrder: true);
        SafeTensors.ReadMetadata(path).ShouldNotBeNull().ShouldBe(metadata, ignoreOrder: true);
    }

    [Test]
    public void WriteRead_EmptyMetadataDictionary_RoundTripsAsEmptyNotNull()
    {
        string path = Path.Combine(_dir, "meta.safetensors");

        SafeTensors.Write(path, [], new Dictionary<string, string>());

        SafeTensors.ReadMetadata(path).ShouldNotBeNull().ShouldBeEmpty();
        HeaderText(File.ReadAllBytes(path)).ShouldBe("{\"__metadata__\":{}}");
    }

    [Test]
    public void Write_SeveralMetadataKeys_EmitsKeysSortedByUtf8Bytes()
    {
        // The reference library emits metadata keys in (random) hash-map order; we pick sorted.
        var metadata = new Dictionary<string, string> { ["b"] = "2", ["\uff21"] = "4", ["a"] = "1", ["\U0001F600"] = "3" };

        byte[] bytes = SafeTensors.Serialize([], metadata);

        HeaderText(bytes).ShouldBe("{\"__metadata__\":{\"a\":\"1\",\"b\":\"2\",\"\uff21\":\"4\",\"\U0001F600\":\"3\"}}");
    }

    [Test]
    public void Write_MixedDTypes_LaysOutByDTypeRankDescendingThenName()
    {
        byte[] bytes = SafeTensors.Serialize(
        [
            new SafeTensorEntry("a32", "F32", [1], new byte[4]),
            new SafeTensorEntry("b64", "F64", [1], new byte[8]),
            new SafeTensorEntry("z", "I64", [1], new byte[8]),
            new SafeTensorEntry("a", "I64", [1], new byte[8]),
            new SafeTensorEntry("u8", "U8", [2], new byte[2]),
        ]);

        HeaderText(bytes).ShouldBe(
            "{\"a\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}," +
            "\"z\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[8,16]}," +
            "\"b64\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[16,24]}," +
            "\"a32\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[24,28]}," +
            "\"u8\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[28,30]}}");
        (BitConverter.ToInt64(bytes, 0) % 8).ShouldBe(0);
    }

    [Test]
    public void Write_ExistingFile_IsReplaced()
    {
        string path = Path.Combine(_dir, "model.safetensors");
        File.WriteAllText(path, "old contents that are much longer than the new file will be, to catch truncation bugs");

        SafeTensors.Write(path, [new SafeTensorEntry("w", "I64", [1], SafeTensors.EncodeInt64s([5]))]);

        SafeTensors.DecodeInt64s(SafeTensors.Read(path).Single().Data).ShouldBe([5L]);
        Directory.GetFiles(_dir).ShouldBe([path]);
    }

    // ------------------------------------------------------------ write validation and atomicity

    private static IEnumerable<TestCaseData> InvalidWriteCases()
    {
        byte[] four = new byte[4];
        yield return new TestCaseData(new[] { new SafeTensorEntry("", "F32", [1], four) }, "empty name")
            .SetName("Write_EmptyName_ThrowsArgumentException");
        yield return new TestCaseData(new[] { new SafeTensorEntry("w", "F32", [1], four), new SafeTensorEntry("w", "F32", [1], four) }, "'w' occurs more than once")
            .SetName("Write_DuplicateName_ThrowsArgumentException");
        yield return new TestCaseData(new[] { new SafeTensorEntry("w", "F31", [1], four) }, "Tensor 'w' has unknown or unsupported dtype 'F31'")
            .SetName("Write_UnknownDType_ThrowsArgumentException");
        yield return new TestCaseData(new[] { new SafeTensorEntry("w", "F32", [2], four) }, "Tensor 'w' (F32, shape [2]) needs 8 bytes of data but has 4")
            .SetName("Write_DataLengthMismatch_ThrowsArgumentException");
        yield return new TestCaseData(new[] { new SafeTensorEntry("w", "F32", [-1, -1], four) }, "Tensor 'w' has negative dimension -1")
            .SetName("Write_NegativeDimension_ThrowsArgumentException");
        yield return new TestCaseData(new[] { new SafeTensorEntry("__metadata__", "F32", [1], four) }, "reserved")
            .SetName("Write_ReservedName_ThrowsArgumentException");
        yield return new TestCaseData(new[] { new SafeTensorEntry("bad\ud800", "F32", [1], four) }, "unpaired surrogate")
            .SetName("Write_LoneSurrogateName_ThrowsArgumentException");
        yield return new TestCaseData(new[] { new SafeTensorEntry("huge", "F64", [long.MaxValue, 2], four) }, "Tensor 'huge': shape")
            .SetName("Write_OverflowingShape_ThrowsArgumentException");
        // The reader's limits: what is written can be read back.
        yield return new TestCaseData(new[] { new SafeTensorEntry("deep", "U8", Enumerable.Repeat(1L, 65).ToArray(), new byte[1]) }, "Tensor 'deep' has 65 dimensions, more than the 64")
            .SetName("Write_ShapeOfMoreThan64Dims_ThrowsArgumentException");
        yield return new TestCaseData(Enumerable.Range(0, SafeTensors.MaxEntries + 1).Select(i => new SafeTensorEntry($"t{i}", "U8", [0], [])).ToArray(), "100001 tensors are more than the 100000")
            .SetName("Write_MoreThanMaxEntriesTensors_ThrowsArgumentException");
    }

    // `entries` is a SafeTensorEntry[]; typed object because SafeTensorEntry is internal.
    [TestCaseSource(nameof(InvalidWriteCases))]
    public void Write_InvalidEntry_ThrowsArgumentExceptionAndKeepsExistingFile(object entries, string expectedMessage)
    {
        string path = Path.Combine(_dir, "model.safetensors");
        byte[] original = SafeTensors.Serialize([new SafeTensorEntry("keep", "F32", [1], SafeTensors.EncodeSingles([7f]))]);
        File.WriteAllBytes(path, original);

        var ex = Should.Throw<ArgumentException>(() => SafeTensors.Write(path, (SafeTensorEntry[])entries));

        ex.Message.ShouldContain(expectedMessage);
        File.ReadAllBytes(path).ShouldBe(original);
        Directory.GetFiles(_dir).ShouldBe([path]);
    }

    [Test]
    public void Write_NullMetadataValue_ThrowsArgumentException()
    {
        var metadata = new Dictionary<string, string> { ["k"] = null! };

        Should.Throw<ArgumentException>(() => SafeTensors.Write(Path.Combine(_dir, "x.safetensors"), [], metadata))
            .Message.ShouldContain("'k'");
        Directory.GetFiles(_dir).ShouldBeEmpty();
    }

    [Test]
    public void Write_TargetIsADirectory_ThrowsAndLeavesNoTempFile()
    {
        string target = Path.Combine(_dir, "occupied");
        Directory.CreateDirectory(target);

        Should.Throw<IOException>(() => SafeTensors.Write(target, [new SafeTensorEntry("w", "F32", [1], new byte[4])]));

        Directory.GetFiles(_dir).ShouldBeEmpty();
        Directory.Exists(target).ShouldBeTrue();
    }

    [Test]
    public void Write_MissingDirectory_ThrowsDirectoryNotFoundException()
    {
        string path = Path.Combine(_dir, "no", "such", "dir", "x.safetensors");

        Should.Throw<DirectoryNotFoundException>(() => SafeTensors.Write(path, []));
    }

    // ------------------------------------------------------------ read validation

    [Test]
    public void Read_MissingFile_ThrowsFileNotFoundExceptionNamingPath()
    {
        string path = Path.Combine(_dir, "absent.safetensors");

        var ex = Should.Throw<FileNotFoundException>(() => SafeTensors.Read(path));

        ex.FileName.ShouldBe(path);
        ex.Message.ShouldContain(path);
        Should.Throw<FileNotFoundException>(() => SafeTensors.ReadMetadata(path));
    }

    /// <summary>Builds a file: 8-byte length prefix (or <paramref name="declaredLength"/>), header, data bytes.</summary>
    private static byte[] File_(string header, int dataBytes, ulong? declaredLength = null, byte[]? rawHeader = null)
    {
        byte[] headerBytes = rawHeader ?? Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + headerBytes.Length + dataBytes];
        BitConverter.TryWriteBytes(bytes.AsSpan(0, 8), declaredLength ?? (ulong)headerBytes.Length).ShouldBeTrue();
        headerBytes.CopyTo(bytes, 8);
        return bytes;
    }

    private static IEnumerable<TestCaseData> MalformedFiles()
    {
        TestCaseData Case(string name, byte[] bytes, string fragment) =>
            new TestCaseData(bytes, fragment).SetName("Read_" + name + "_ThrowsInvalidDataException");

        const string f32x2 = "\"dtype\":\"F32\",\"shape\":[2]";
        yield return Case("EmptyFile", [], "the file is empty");
        yield return Case("ShorterThanPrefix", [1, 0, 0, 0, 0], "5 bytes long, shorter than the 8-byte header length");
        yield return Case("HeaderLengthBeyondFile", File_("{}", 0, declaredLength: 64), "header length 64 exceeds the 2 bytes");
        yield return Case("HeaderLengthAbsurd", File_("{}", 0, declaredLength: 100_000_001), "header length 100000001 exceeds the 100000000-byte limit");
        yield return Case("HeaderLengthMaxValue", File_("{}", 0, declaredLength: ulong.MaxValue), "exceeds the 100000000-byte limit");
        yield return Case("InvalidUtf8", File_("", 0, rawHeader: [(byte)'{', 0xFF, 0xFE, (byte)'}']), "not valid UTF-8 (invalid byte at header offset 1)");
        yield return Case("InvalidJson", File_("{\"a\":", 0), "the header is not valid JSON");
        yield return Case("TrailingJsonText", File_("{} x", 0), "the header is not valid JSON");
        yield return Case("HeaderIsArray", File_("[]", 0), "the header must be a JSON object but is a JSON array");
        yield return Case("EntryNotObject", File_("{\"a\":3}", 0), "tensor 'a' must be described by a JSON object but is a JSON number");
        yield return Case("MissingDType", File_("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "tensor 'a' lacks 'dtype'");
        yield return Case("MissingShape", File_("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4), "tensor 'a' lacks 'shape'");
        yield return Case("MissingOffsets", File_("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4), "tensor 'a' lacks 'data_offsets'");
        yield return Case("DTypeNotString", File_("{\"a\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "tensor 'a' 'dtype' must be a string");
        yield return Case("UnknownDType", File_("{\"a\":{\"dtype\":\"F33\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "tensor 'a' has unknown dtype 'F33'");
        yield return Case("SubByteDType", File_("{\"a\":{\"dtype\":\"F4\",\"shape\":[2],\"data_offsets\":[0,1]}}", 1), "sub-byte dtype 'F4'");
        yield return Case("NegativeShape", File_("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4), "tensor 'a' 'shape' element 0 is -1");
        yield return Case("FractionalShape", File_("{\"a\":{\"dtype\":\"F32\",\"shape\":[1,2.5],\"data_offsets\":[0,4]}}", 4), "tensor 'a' 'shape' element 1 is 2.5");
        yield return Case("StringShape", File_("{\"a\":{\"dtype\":\"F32\",\"shape\":\"2\",\"data_offsets\":[0,4]}}", 4), "'shape' must be an array");
        yield return Case("ShapeOverflow", File_("{\"a\":{\"dtype\":\"F32\",\"shape\":[9223372036854775807,4],\"data_offsets\":[0,4]}}", 4), "overflows");
        yield return Case("ThreeOffsets", File_("{\"a\":{" + f32x2 + ",\"data_offsets\":[0,8,8]}}", 8), "'data_offsets' must be [begin, end] but has 3 elements");
        yield return Case("NegativeOffset", File_("{\"a\":{" + f32x2 + ",\"data_offsets\":[-8,0]}}", 8), "'data_offsets' element 0 is -8");
        yield return Case("BeginAfterEnd", File_("{\"a\":{" + f32x2 + ",\"data_offsets\":[8,0]}}", 8), "tensor 'a' data_offsets [8, 0] have begin > end");
        yield return Case("OffsetsPastData", File_("{\"a\":{" + f32x2 + ",\"data_offsets\":[0,8]}}", 4), "tensor 'a' data_offsets [0, 8] extend past the end of the 4-byte data section");
        yield return Case("SizeMismatch", File_("{\"a\":{" + f32x2 + ",\"data_offsets\":[0,4]}}", 4), "tensor 'a' (F32, shape [2]) needs 8 bytes but data_offsets [0, 4] span 4");
        yield return Case("Overlap", File_("{\"a\":{" + f32x2 + ",\"data_offsets\":[0,8]},\"b\":{" + f32x2 + ",\"data_offsets\":[4,12]}}", 12), "tensor 'b' data_offsets [4, 12] overlap tensor 'a' [0, 8]");
        yield return Case("SameRangeTwice", File_("{\"a\":{" + f32x2 + ",\"data_offsets\":[0,8]},\"b\":{" + f32x2 + ",\"data_offsets\":[0,8]}}", 8), "overlap");
        yield return Case("Gap", File_("{\"a\":{" + f32x2 + ",\"data_offsets\":[0,8]},\"b\":{" + f32x2 + ",\"data_offsets\":[12,20]}}", 20), "data section bytes [8, 12) are not covered by any tensor (gap before tensor 'b')");
        yield return Case("GapAtStart", File_("{\"a\":{" + f32x2 + ",\"data_offsets\":[4,12]}}", 12), "bytes [0, 4) are not covered");
        yield return Case("TrailingGarbage", File_("{\"a\":{" + f32x2 + ",\"data_offsets\":[0,8]}}", 11), "the data section is 11 bytes but the tensors cover only 8: 3 trailing bytes");
        yield return Case("DataWithoutTensors", File_("{}", 4), "4 trailing bytes");
        yield return Case("DuplicateTensorName", File_("{\"a\":{" + f32x2 + ",\"data_offsets\":[0,8]},\"a\":{" + f32x2 + ",\"data_offsets\":[8,16]}}", 16), "duplicate key 'a'");
        yield return Case("DuplicateField", File_("{\"a\":{" + f32x2 + ",\"shape\":[2],\"data_offsets\":[0,8]}}", 8), "tensor 'a' has duplicate field 'shape'");
        // Valid UTF-8, but a JSON escape that decodes to half a surrogate pair (issue 12, attack 5).
        yield return Case("LoneSurrogateInKey", File_("{\"a\\ud800\":{" + f32x2 + ",\"data_offsets\":[0,8]}}", 8), "a key at header offset 1 is not valid Unicode: the escape \\ud800 is an unpaired surrogate");
        yield return Case("LoneLowSurrogateInKey", File_("{\"a\\udc00b\":{" + f32x2 + ",\"data_offsets\":[0,8]}}", 8), "the escape \\udc00 is an unpaired surrogate");
        yield return Case("HighSurrogateThenOtherEscape", File_("{\"a\\ud800\\n\":{" + f32x2 + ",\"data_offsets\":[0,8]}}", 8), "the escape \\ud800 is an unpaired surrogate");
        yield return Case("LoneSurrogateInDType", File_("{\"a\":{\"dtype\":\"F32\\ud800\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8), "the dtype of tensor 'a'");
        yield return Case("LoneSurrogateInIgnoredFieldName", File_("{\"a\":{" + f32x2 + ",\"data_offsets\":[0,8],\"x\\udbff\":1}}", 8), "a field name of tensor 'a'");
        yield return Case("LoneSurrogateInMetadataKey", File_("{\"__metadata__\":{\"\\ud800\":\"v\"}}", 0), "a '__metadata__' key");
        yield return Case("LoneSurrogateInMetadataValue", File_("{\"__metadata__\":{\"k\":\"v\\ud800\"}}", 0), "the '__metadata__' value for key 'k'");
        yield return Case("ShapeTooLong", File_("{\"a\":{\"dtype\":\"U8\",\"shape\":[" + string.Join(",", Enumerable.Repeat(1, 65)) + "],\"data_offsets\":[0,1]}}", 1), "'shape' has more than 64 dimensions");
        yield return Case("MetadataNotObject", File_("{\"__metadata__\":\"x\"}", 0), "'__metadata__' must be a JSON object of strings but is a JSON string");
        yield return Case("MetadataValueNotString", File_("{\"__metadata__\":{\"epoch\":3}}", 0), "'__metadata__' value for key 'epoch' must be a string but is a JSON number");
        yield return Case("DuplicateMetadataKey", File_("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0), "'__metadata__' has duplicate key 'k'");
    }

    [TestCaseSource(nameof(MalformedFiles))]
    public void Read_MalformedFile_ThrowsInvalidDataExceptionNamingFileAndProblem(byte[] bytes, string expectedFragment)
    {
        string path = Path.Combine(_dir, "broken.safetensors");
        File.WriteAllBytes(path, bytes);

        var ex = Should.Throw<InvalidDataException>(() => SafeTensors.Read(path));

        ex.Message.ShouldContain(path);
        ex.Message.ShouldContain(expectedFragment);
        Should.Throw<InvalidDataException>(() => SafeTensors.ReadMetadata(path));
        Should.Throw<InvalidDataException>(() => SafeTensors.Deserialize(bytes, out _));
    }

    /// <summary>A stream that cannot seek and hands out its bytes a few at a time, as a pipe does.</summary>
    private sealed class PipeLikeStream(byte[] bytes) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = Math.Min(Math.Min(count, 7), bytes.Length - _position);
            Array.Copy(bytes, _position, buffer, offset, n);
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [TestCaseSource(nameof(FixtureCaseNames))]
    [Category("Regression")]
    public void Read_NonSeekableStream_SameTensorsAsFromMemory(string caseName)
    {
        // Issue 12, attack 6: a stream that cannot seek threw NotSupportedException from Stream.Length.
        var bytes = Fixture.Value[caseName].Bytes;
        var expected = SafeTensors.Deserialize(bytes, out var expectedMetadata);

        var entries = SafeTensors.Read(new PipeLikeStream(bytes), "pipe", out var metadata);

        entries.Select(e => (e.Name, e.DType, string.Join(",", e.Shape))).ShouldBe(expected.Select(e => (e.Name, e.DType, string.Join(",", e.Shape))));
        for (int i = 0; i < entries.Count; i++) entries[i].Data.ShouldBe(expected[i].Data);
        (metadata is null).ShouldBe(expectedMetadata is null);
    }

    private static IEnumerable<TestCaseData> MalformedStreams() => MalformedFiles().Select(c =>
        new TestCaseData(c.Arguments).SetName(c.TestName!.Replace("_ThrowsInvalidDataException", "_NonSeekable_ThrowsInvalidDataException", StringComparison.Ordinal)));

    [TestCaseSource(nameof(MalformedStreams))]
    [Category("Regression")]
    public void Read_MalformedNonSeekableStream_ThrowsInvalidDataException(byte[] bytes, string expectedFragment)
    {
        var ex = Should.Throw<InvalidDataException>(() => SafeTensors.Read(new PipeLikeStream(bytes), "pipe", out _));
        ex.Message.ShouldContain("'pipe'");
        // The stream's length is unknown until it ends: a trailing-bytes fault is worded without a count.
        if (!expectedFragment.Contains("trailing", StringComparison.Ordinal)) ex.Message.ShouldContain(expectedFragment);
    }

    [Test]
    public void Read_NonSeekableStreamClaimingAHugeTensor_AllocatesOnlyWhatArrives()
    {
        // A header may claim 2 GB of data that a pipe never sends: the reader grows its buffer as bytes arrive.
        byte[] bytes = File_("{\"a\":{\"dtype\":\"U8\",\"shape\":[2000000000],\"data_offsets\":[0,2000000000]}}", 16);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Should.Throw<InvalidDataException>(() => SafeTensors.Read(new PipeLikeStream(bytes), "pipe", out _))
            .Message.ShouldContain("extend past the end of the 16-byte data section");
        (GC.GetAllocatedBytesForCurrentThread() - before).ShouldBeLessThan(4L << 20);
    }

    [Test]
    public void Read_UnknownFieldsAndPaddingWhitespace_AreAccepted()
    {
        // The reference reader ignores unknown per-tensor fields and surrounding whitespace.
        byte[] bytes = File_("  {\"a\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8],\"extra\":true}}\n\t ", 8);
        bytes[^8] = 9;

        var entries = SafeTensors.Deserialize(bytes, out var metadata);

        metadata.ShouldBeNull();
        SafeTensors.DecodeInt64s(entries.Single().Data).ShouldBe([9L]);
    }

    [Test]
    public void Read_TensorsListedOutOfOffsetOrder_ReturnsThemInFileOrder()
    {
        byte[] bytes = File_(
            "{\"b\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]},\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 2);
        bytes[^2] = 10;
        bytes[^1] = 20;

        var entries = SafeTensors.Deserialize(bytes, out _);

        entries.Select(e => (e.Name, e.Data[0])).ShouldBe([("a", (byte)10), ("b", (byte)20)]);
    }

    // ------------------------------------------------------------ element helpers

    [Test]
    public void DecodeSingles_LengthNotMultipleOfFour_ThrowsArgumentException()
    {
        Should.Throw<ArgumentException>(() => SafeTensors.DecodeSingles(new byte[6]));
        Should.Throw<ArgumentException>(() => SafeTensors.DecodeDoubles(new byte[4]));
        Should.Throw<ArgumentException>(() => SafeTensors.DecodeInt64s(new byte[9]));
    }

    [Test]
    public void GetItemSize_KnownAndUnknownDTypes_ReturnsSizeOrThrows()
    {
        SafeTensors.GetItemSize("F32").ShouldBe(4);
        SafeTensors.GetItemSize("F64").ShouldBe(8);
        SafeTensors.GetItemSize("I64").ShouldBe(8);
        SafeTensors.GetItemSize("BF16").ShouldBe(2);
        SafeTensors.IsSupportedDType("F4").ShouldBeFalse();
        Should.Throw<ArgumentException>(() => SafeTensors.GetItemSize("f32"));
    }

    private static string HeaderText(byte[] file)
    {
        long n = BitConverter.ToInt64(file, 0);
        (n % 8).ShouldBe(0);
        return Encoding.UTF8.GetString(file, 8, (int)n).TrimEnd(' ');
    }
}
