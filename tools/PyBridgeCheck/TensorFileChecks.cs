using System.Text;
using Autograd;
using Autograd.Nn.Serialization;
using TorchSharp;
using TorchSharp.PyBridge;
using TT = TorchSharp.torch.Tensor;

namespace PyBridgeCheck;

/// <summary>What a tensor read from a file must hold: its file dtype, shape and exact values.</summary>
/// <param name="Name">The key.</param>
/// <param name="FileDType">The safetensors dtype the writer stores it as.</param>
/// <param name="Shape">The dims.</param>
/// <param name="Float32Bits">For F32, F16 and BF16: the Float32 bit patterns it loads as.</param>
/// <param name="Float64Bits">For F64: the bit patterns.</param>
/// <param name="Int64Values">For the integers and BOOL: the Int64 values it loads as.</param>
internal sealed record Expected(string Name, string FileDType, long[] Shape, uint[]? Float32Bits = null, ulong[]? Float64Bits = null, long[]? Int64Values = null);

/// <summary>Checks a and b: plain dictionaries of tensors through files, each side reading the other's.</summary>
internal static class TensorFileChecks
{
    private static readonly Dictionary<torch.ScalarType, string> FileDTypes = new()
    {
        [torch.ScalarType.Float32] = "F32",
        [torch.ScalarType.Float64] = "F64",
        [torch.ScalarType.Int64] = "I64",
        [torch.ScalarType.Int32] = "I32",
        [torch.ScalarType.Int16] = "I16",
        [torch.ScalarType.Int8] = "I8",
        [torch.ScalarType.Byte] = "U8",
        [torch.ScalarType.Bool] = "BOOL",
        [torch.ScalarType.Float16] = "F16",
        [torch.ScalarType.BFloat16] = "BF16",
    };

    /// <summary>A name System.Text.Json (PyBridge's writer) escapes: non-ASCII and HTML-sensitive characters become \uXXXX.</summary>
    public const string EscapedName = "layer.ü+<é>'&\"\\.weight";

    /// <summary>The tensors of the small file: every dtype, edge values, a 0-d, an empty tensor, a name that needs escaping.</summary>
    private static List<(string Name, torch.ScalarType DType, long[] Shape, byte[] Bytes)> SmallTensors() =>
    [
        ("f32", torch.ScalarType.Float32, [2, 5], Bits.FromSingleBits(
            0x00000000, 0x80000000, 0x3F800000, 0xC0200000, 0x00000001, 0x7F7FFFFF, 0x7F800000, 0xFF800000, 0x7FC00001, 0xFF800001)),
        ("f64", torch.ScalarType.Float64, [5, 2], Bits.FromDoubleBits(
            0x0000000000000000, 0x8000000000000000, 0x3FB999999999999A, 0xFE37E43C8800759C, 0x0000000000000001,
            0x7FEFFFFFFFFFFFFF, 0x7FF0000000000000, 0xFFF0000000000000, 0x7FF8000000000001, 0xFFF0000000000001)),
        ("i64", torch.ScalarType.Int64, [6], Bits.FromInt64s(0, 1, -1, long.MaxValue, long.MinValue, 9007199254740993)),
        ("i32", torch.ScalarType.Int32, [2, 3], Bits.FromInt32s(0, 1, -1, int.MaxValue, int.MinValue, 123456)),
        ("i16", torch.ScalarType.Int16, [5], Bits.FromInt16s(0, 1, -1, short.MaxValue, short.MinValue)),
        ("i8", torch.ScalarType.Int8, [5], [0x00, 0x01, 0xFF, 0x7F, 0x80]),
        ("u8", torch.ScalarType.Byte, [5], [0, 1, 127, 128, 255]),
        ("bool", torch.ScalarType.Bool, [2, 2], [1, 0, 0, 1]),
        // zeros, the smallest subnormal, the largest subnormal, the smallest normal, 1, the largest
        // finite, infinities, a quiet NaN, a signalling NaN, a negative NaN with payload
        ("f16", torch.ScalarType.Float16, [12], Bits.FromUInt16s(
            0x0000, 0x8000, 0x0001, 0x03FF, 0x0400, 0x3C00, 0x7BFF, 0x7C00, 0xFC00, 0x7E00, 0x7D00, 0xFE01)),
        ("bf16", torch.ScalarType.BFloat16, [3, 4], Bits.FromUInt16s(
            0x0000, 0x8000, 0x0001, 0x007F, 0x0080, 0x3F80, 0x7F7F, 0x7F80, 0xFF80, 0x7FC0, 0x7F81, 0xFFC1)),
        ("f32_scalar", torch.ScalarType.Float32, [], Bits.FromSingles(3.5f)),
        ("i32_empty", torch.ScalarType.Int32, [0, 3], []),
        (EscapedName, torch.ScalarType.Float32, [1], Bits.FromSingles(-2f)),
    ];

    /// <summary>Every F16 and every BF16 bit pattern, one tensor each.</summary>
    private static List<(string Name, torch.ScalarType DType, long[] Shape, byte[] Bytes)> AllHalfPatterns()
    {
        var patterns = Enumerable.Range(0, 65536).Select(i => (ushort)i).ToArray();
        return
        [
            ("f16_all", torch.ScalarType.Float16, [256, 256], Bits.FromUInt16s(patterns)),
            ("bf16_all", torch.ScalarType.BFloat16, [65536], Bits.FromUInt16s(patterns)),
        ];
    }

    /// <summary>
    /// a: files written by PyBridge's <c>Safetensors.SaveStateDict</c> read by <see cref="SafeTensors.Load(string, out IReadOnlyDictionary{string, string}?, bool)"/>.
    /// </summary>
    public static void PyBridgeToAutograd(Report report, string dir, FixtureWriter fixture)
    {
        foreach (var (label, tensors) in new[] { ("every dtype", SmallTensors()), ("all F16 and BF16 patterns", AllHalfPatterns()) })
        {
            string path = Path.Combine(dir, label.Replace(' ', '_') + ".safetensors");
            List<Expected> expected = [];
            report.Run($"a. PyBridge SaveStateDict -> SafeTensors.Load, {label}", () =>
            {
                var problems = new List<string>();
                var dict = new Dictionary<string, TT>();
                foreach (var (name, dtype, shape, bytes) in tensors)
                {
                    var t = Bits.TorchFromBytes(dtype, shape, bytes);
                    // TorchSharp must hold exactly the bytes given, or the comparison below means nothing.
                    Bits.Compare($"TorchSharp's copy of '{name}'", Bits.Of(t), bytes, t.ElementSize > 0 ? (int)t.ElementSize : 1, problems);
                    dict.Add(name, t);
                    expected.Add(ExpectedOf(name, t));
                }

                Safetensors.SaveStateDict(path, dict);
                byte[] file = File.ReadAllBytes(path);
                DescribeHeader("PyBridge's file (" + label + ")", file);

                var loaded = SafeTensors.Load(path, out var metadata, halfToFloat32: true);
                if (metadata is not null)
                {
                    problems.Add($"metadata: PyBridge writes none, but SafeTensors.Load returned {metadata.Count} entries");
                }

                CompareLoaded(loaded, expected, problems);
                if (label == "every dtype")
                {
                    fixture.AddTensorFile("pybridge_tensors", file, null, expected);
                }

                return problems;
            }, () => $"{tensors.Count} tensors, {new FileInfo(path).Length} bytes");
        }
    }

    /// <summary>
    /// PyBridge's <c>SaveStateDict(path, ...)</c> opens the file with <c>File.OpenWrite</c>, which does
    /// not truncate: over a longer file, the old file's tail stays after the new data. Prints what
    /// SafeTensors.Load (which, like the reference reader, refuses bytes no tensor covers) says of it.
    /// </summary>
    public static void OverwriteWithShorterFile(string dir)
    {
        string path = Path.Combine(dir, "overwritten.safetensors");
        Safetensors.SaveStateDict(path, new Dictionary<string, TT> { ["w"] = torch.zeros(100) });
        Safetensors.SaveStateDict(path, new Dictionary<string, TT> { ["w"] = torch.ones(10) });
        try
        {
            SafeTensors.Load(path);
            Console.WriteLine("# PyBridge's SaveStateDict(path) over a longer file: the result loads");
        }
        catch (InvalidDataException e)
        {
            Console.WriteLine($"# PyBridge's SaveStateDict(path) over a longer file keeps that file's tail (File.OpenWrite does not truncate); SafeTensors.Load refuses it: {e.Message}");
        }
    }

    /// <summary>What <see cref="SafeTensors.Load(string, bool)"/> must give for TorchSharp tensor <paramref name="t"/>: for F16 and BF16, libtorch's own <c>.to(float32)</c>.</summary>
    private static Expected ExpectedOf(string name, TT t)
    {
        string fileDType = FileDTypes[t.dtype];
        long[] shape = t.shape;
        return t.dtype switch
        {
            torch.ScalarType.Float16 or torch.ScalarType.BFloat16
                => new Expected(name, fileDType, shape, Float32Bits: Array.ConvertAll(Bits.UInt16s(Bits.Of(t)), b => HalfTable(t.dtype)[b])),
            torch.ScalarType.Float32 => new Expected(name, fileDType, shape, Float32Bits: Bits.SingleBits(Bits.Of(t))),
            torch.ScalarType.Float64 => new Expected(name, fileDType, shape, Float64Bits: Bits.DoubleBits(Bits.Of(t))),
            _ => new Expected(name, fileDType, shape, Int64Values: Bits.Int64s(Bits.Of(t.to(torch.ScalarType.Int64)))),
        };
    }

    private static readonly Dictionary<torch.ScalarType, uint[]> HalfTables = [];

    /// <summary>
    /// libtorch's <c>.to(float32)</c> of every F16 or BF16 pattern, converted as one tensor of 65536
    /// elements. The expected values of F16 and BF16 tensors are looked up here rather than converted
    /// tensor by tensor: libtorch 2.10 turns an F16 NaN in the scalar tail of a conversion (the last
    /// elements after whole vectors, or a tensor of fewer than 8) into 0x7FFFFFFF, while its vector
    /// path, and PyTorch 1.13 on either path, keep the payload and set the quiet bit.
    /// </summary>
    private static uint[] HalfTable(torch.ScalarType dtype)
    {
        if (!HalfTables.TryGetValue(dtype, out var table))
        {
            var all = Bits.TorchFromBytes(dtype, [65536], Bits.FromUInt16s(Enumerable.Range(0, 65536).Select(i => (ushort)i).ToArray()));
            table = Bits.SingleBits(Bits.Of(all.to(torch.ScalarType.Float32)));
            HalfTables.Add(dtype, table);
        }

        return table;
    }

    /// <summary>
    /// SHA-256 of PyTorch 1.13's <c>.float()</c> of all 65536 patterns in order, as little-endian
    /// Float32 bytes: all_patterns_sha256 of tests/Nn.Tests/Fixtures/safetensors/dtypes.json.
    /// </summary>
    private static readonly Dictionary<torch.ScalarType, string> PyTorch113Digests = new()
    {
        [torch.ScalarType.Float16] = "b636c5716ff84d972782faf02d0194cb8951526bea4cc487082feb47b1860ddf",
        [torch.ScalarType.BFloat16] = "9207d7eb28680a098c73dbe536d1ff7b94311dc417b9a385e0af6660683e93ca",
    };

    /// <summary>The oracle of the F16/BF16 checks: libtorch 2.10's conversion table against PyTorch 1.13's, and the scalar-tail quirk.</summary>
    public static void HalfConversionOracle(Report report)
    {
        report.Run("a. libtorch's F16/BF16 -> Float32 (vector path) equals PyTorch 1.13's .float() for all 65536 patterns", () =>
        {
            var problems = new List<string>();
            foreach (var (dtype, digest) in PyTorch113Digests)
            {
                string got = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Bits.FromSingleBits(HalfTable(dtype))));
                if (got != digest)
                {
                    problems.Add($"{dtype}: SHA-256 {got}, PyTorch 1.13's {digest}");
                }
            }

            return problems;
        });

        var nans = Bits.TorchFromBytes(torch.ScalarType.Float16, [3], Bits.FromUInt16s(0x7E00, 0x7D00, 0xFE01));
        uint[] scalarPath = Bits.SingleBits(Bits.Of(nans.to(torch.ScalarType.Float32)));
        Console.WriteLine($"# libtorch's F16 -> Float32 of a 3-element tensor (scalar path) of the NaNs 7E00 7D00 FE01: " +
                          $"{string.Join(" ", scalarPath.Select(b => b.ToString("X8")))}; its vector path and PyTorch 1.13: " +
                          $"{string.Join(" ", new ushort[] { 0x7E00, 0x7D00, 0xFE01 }.Select(p => HalfTable(torch.ScalarType.Float16)[p].ToString("X8")))}");
    }

    /// <summary>Compares what SafeTensors.Load gave with what each tensor must hold.</summary>
    public static void CompareLoaded(Dictionary<string, Tensor> loaded, List<Expected> expected, List<string> problems)
    {
        var missing = expected.Select(e => e.Name).Except(loaded.Keys).ToList();
        var extra = loaded.Keys.Except(expected.Select(e => e.Name)).ToList();
        if (missing.Count > 0 || extra.Count > 0)
        {
            problems.Add($"keys: missing [{string.Join(", ", missing)}], unexpected [{string.Join(", ", extra)}]");
        }

        foreach (var e in expected.Where(e => loaded.ContainsKey(e.Name)))
        {
            var t = loaded[e.Name];
            if (!t.Shape.Select(d => (long)d).SequenceEqual(e.Shape))
            {
                problems.Add($"'{e.Name}': shape {Bits.Shape(t.Shape.Select(d => (long)d))}, expected {Bits.Shape(e.Shape)}");
                continue;
            }

            DType want = e.Float32Bits is not null ? DType.Float32 : e.Float64Bits is not null ? DType.Float64 : DType.Int64;
            if (t.DType != want)
            {
                problems.Add($"'{e.Name}' ({e.FileDType}): loaded as {t.DType}, expected {want}");
                continue;
            }

            byte[] expectedBytes = e.Float32Bits is not null ? Bits.FromSingleBits(e.Float32Bits)
                : e.Float64Bits is not null ? Bits.FromDoubleBits(e.Float64Bits)
                : Bits.FromInt64s(e.Int64Values!);
            Bits.Compare($"'{e.Name}' ({e.FileDType})", Bits.Of(t), expectedBytes, want == DType.Float32 ? 4 : 8, problems);
        }
    }

    /// <summary>
    /// b: files written by <see cref="SafeTensors.Save(string, IReadOnlyDictionary{string, Tensor}, IReadOnlyDictionary{string, string}?)"/>
    /// (and to a stream) read by PyBridge's <c>Safetensors.LoadStateDict</c>.
    /// </summary>
    public static void AutogradToPyBridge(Report report, string dir)
    {
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal)
        {
            ["weight"] = Tensor.FromArray(
                new[] { 0f, -0f, 1f, -2.5f, float.Epsilon, float.MaxValue, float.PositiveInfinity, float.NegativeInfinity,
                    BitConverter.Int32BitsToSingle(0x7FC00001), BitConverter.Int32BitsToSingle(unchecked((int)0xFF800001)), 0.1f, 1e-38f }, 2, 3, 2),
            ["bias"] = Tensor.FromArray(new[] { 0.1, -1e300, double.Epsilon, BitConverter.Int64BitsToDouble(0x7FF8000000000001), -0.0 }, 5),
            ["labels"] = Tensor.FromArray(new[] { 0L, -1L, long.MaxValue, long.MinValue, 9007199254740993L, 3L }, 3, 2),
            ["temperature"] = Tensor.Scalar(0.5f),
            ["empty"] = Tensor.FromArray(Array.Empty<double>(), 0, 2),
            [EscapedName] = Tensor.FromArray(new[] { 7L }, 1),
        };
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["source"] = "Autograd \"SafeTensors.Save\"" };

        string path = Path.Combine(dir, "autograd.safetensors");
        report.Run("b. SafeTensors.Save (file) -> PyBridge LoadStateDict", () =>
        {
            SafeTensors.Save(path, tensors, metadata);
            DescribeHeader("SafeTensors.Save's file", File.ReadAllBytes(path));
            return CompareInTorch(tensors, Safetensors.LoadStateDict(path));
        }, () => $"{tensors.Count} tensors (F32, F64, I64; 0-d, empty), 2 metadata entries, {new FileInfo(path).Length} bytes");

        report.Run("b. SafeTensors.Save (stream) -> PyBridge LoadStateDict (stream)", () =>
        {
            using var stream = new MemoryStream();
            SafeTensors.Save(stream, tensors);
            stream.Position = 0;
            return CompareInTorch(tensors, Safetensors.LoadStateDict(stream, leaveOpen: true));
        });
    }

    /// <summary>Compares tensors of this library with the TorchSharp tensors PyBridge read for them.</summary>
    public static List<string> CompareInTorch(IReadOnlyDictionary<string, Tensor> ours, Dictionary<string, TT> theirs)
    {
        var problems = new List<string>();
        var missing = ours.Keys.Except(theirs.Keys).ToList();
        var extra = theirs.Keys.Except(ours.Keys).ToList();
        if (missing.Count > 0 || extra.Count > 0)
        {
            problems.Add($"keys: missing [{string.Join(", ", missing)}], unexpected [{string.Join(", ", extra)}]");
        }

        foreach (var (name, t) in ours.Where(kv => theirs.ContainsKey(kv.Key)))
        {
            var read = theirs[name];
            var want = t.DType switch { DType.Float32 => torch.ScalarType.Float32, DType.Float64 => torch.ScalarType.Float64, _ => torch.ScalarType.Int64 };
            if (read.dtype != want)
            {
                problems.Add($"'{name}': read as {read.dtype}, expected {want}");
                continue;
            }

            if (!read.shape.SequenceEqual(t.Shape.Select(d => (long)d)))
            {
                problems.Add($"'{name}': shape {Bits.Shape(read.shape)}, expected {Bits.Shape(t.Shape.Select(d => (long)d))}");
                continue;
            }

            Bits.Compare($"'{name}'", Bits.Of(read), Bits.Of(t), t.DType == DType.Float32 ? 4 : 8, problems);
        }

        return problems;
    }

    /// <summary>Prints what a file's header looks like: its length, padding, metadata and how it spells names.</summary>
    public static void DescribeHeader(string what, byte[] file)
    {
        long length = BitConverter.ToInt64(file, 0);
        string header = Encoding.UTF8.GetString(file, 8, (int)length);
        string shown = header.Length > 240 ? header[..240] + "..." : header;
        Console.WriteLine($"# {what}: header {length} bytes ({(length % 8 == 0 ? "a multiple of 8" : "not padded to 8")}), " +
                          $"{(header.Contains("\"__metadata__\"") ? "with" : "no")} __metadata__: {shown}");
    }
}
