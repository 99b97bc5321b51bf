using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Autograd.Nn.Serialization;

/// <summary>
/// One tensor of a safetensors file: its name, its element type as spelled by the
/// safetensors format (<c>"F32"</c>, <c>"F64"</c>, <c>"I64"</c>, ...), its shape (row-major,
/// an empty array for a 0-d scalar) and its raw little-endian element bytes.
/// </summary>
/// <param name="Name">The tensor's key in the file header; unique within a file.</param>
/// <param name="DType">The safetensors dtype string, e.g. <c>"F32"</c>.</param>
/// <param name="Shape">The dimensions, outermost first; every entry non-negative.</param>
/// <param name="Data">The elements in row-major order, little-endian, exactly
/// <c>product(Shape) * itemsize(DType)</c> bytes.</param>
/// <remarks>Arrays compare by reference in the generated record equality; compare
/// <see cref="Shape"/> and <see cref="Data"/> element-wise when that matters.</remarks>
internal sealed record SafeTensorEntry(string Name, string DType, long[] Shape, byte[] Data);

/// <summary>
/// Byte-level reader and writer for the safetensors format
/// (https://github.com/huggingface/safetensors): an 8-byte little-endian header length
/// <c>N</c>, <c>N</c> bytes of UTF-8 JSON header padded with spaces to a multiple of 8, then
/// the data section, which the tensors' <c>data_offsets</c> must cover exactly and without
/// overlap.
/// </summary>
/// <remarks>
/// <para>
/// The writer reproduces the layout of the reference Rust implementation byte for byte:
/// tensors are laid out by descending rank of the reference <c>Dtype</c> enum (so I64 before
/// F64 before F32), ties broken by the UTF-8 bytes of the name; the header is compact JSON
/// whose keys are <c>"__metadata__"</c> (when metadata is given) followed by the tensors in
/// that same data order; strings are escaped the way serde_json escapes them (only
/// <c>"</c>, <c>\</c> and control characters; everything else is raw UTF-8).
/// </para>
/// <para>
/// One unavoidable difference: the reference library keeps <c>__metadata__</c> in a hash map
/// whose iteration order is randomized per process, so with two or more metadata keys its
/// own output is not deterministic. This writer emits metadata keys sorted by their UTF-8
/// bytes, which is one of the orders the reference may produce.
/// </para>
/// <para>
/// The reader (SafeTensors.Reading.cs) validates the whole file before returning anything and
/// reports every problem as an <see cref="InvalidDataException"/> whose message names the file
/// and the defect.
/// </para>
/// </remarks>
internal static partial class SafeTensors
{
    /// <summary>The header key holding free-form string metadata.</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>Largest accepted header, in bytes (the reference library's limit).</summary>
    public const long MaxHeaderSize = 100_000_000;

    /// <summary>
    /// The most tensors, and separately the most metadata entries, a file may list (read or
    /// written). Bounds what a hostile header can make the reader build; models in the wild list
    /// hundreds to a few thousand tensors per file.
    /// </summary>
    public const int MaxEntries = 100_000;

    /// <summary>The most dimensions a tensor's shape may have in a file (NumPy's limit, too).</summary>
    public const int MaxRank = 64;

    private const int PrefixSize = 8;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    // Rank = position in the reference Rust `Dtype` enum (which it documents as "increasing
    // alignment order"); the writer lays tensors out by descending rank. Sub-byte dtypes
    // (F4, F6_E2M3, F6_E3M2) hold ranks 1..3 there and are not supported here.
    private static readonly Dictionary<string, (int Rank, int ItemSize)> DTypes = new(StringComparer.Ordinal)
    {
        ["BOOL"] = (0, 1),
        ["U8"] = (4, 1),
        ["I8"] = (5, 1),
        ["F8_E5M2"] = (6, 1),
        ["F8_E4M3"] = (7, 1),
        ["F8_E8M0"] = (8, 1),
        ["I16"] = (9, 2),
        ["U16"] = (10, 2),
        ["F16"] = (11, 2),
        ["BF16"] = (12, 2),
        ["I32"] = (13, 4),
        ["U32"] = (14, 4),
        ["F32"] = (15, 4),
        ["C64"] = (16, 8),
        ["F64"] = (17, 8),
        ["I64"] = (18, 8),
        ["U64"] = (19, 8),
    };

    private static readonly HashSet<string> SubByteDTypes = new(StringComparer.Ordinal) { "F4", "F6_E2M3", "F6_E3M2" };

    /// <summary>Whether <paramref name="dtype"/> is a safetensors dtype this codec can read and write.</summary>
    /// <param name="dtype">A dtype string such as <c>"F32"</c>.</param>
    /// <returns><see langword="true"/> for the byte-sized spec dtypes.</returns>
    public static bool IsSupportedDType(string dtype) => dtype is not null && DTypes.ContainsKey(dtype);

    /// <summary>Bytes per element of a supported dtype.</summary>
    /// <param name="dtype">A dtype string such as <c>"F32"</c>.</param>
    /// <returns>The element size in bytes.</returns>
    /// <exception cref="ArgumentException">The dtype is unknown or unsupported.</exception>
    public static int GetItemSize(string dtype)
    {
        ArgumentNullException.ThrowIfNull(dtype);
        return DTypes.TryGetValue(dtype, out var info)
            ? info.ItemSize
            : throw new ArgumentException($"Unknown or unsupported safetensors dtype '{dtype}'.", nameof(dtype));
    }

    // ------------------------------------------------------------------ writing

    /// <summary>
    /// Validates <paramref name="tensors"/> and writes them to <paramref name="path"/> atomically:
    /// the bytes go to a temporary file in the same directory, are flushed to disk, and the
    /// temporary file then replaces <paramref name="path"/>. On any failure the temporary file is
    /// deleted and an existing file at <paramref name="path"/> is left untouched. When
    /// <paramref name="path"/> is a symbolic link, its final target is what is replaced (the
    /// temporary file goes beside the target), and the link stays.
    /// </summary>
    /// <param name="path">Destination file.</param>
    /// <param name="tensors">The tensors; names must be unique and non-empty.</param>
    /// <param name="metadata">Optional string metadata stored under <c>__metadata__</c>;
    /// <see langword="null"/> omits the key, an empty dictionary writes <c>{}</c>.</param>
    /// <exception cref="ArgumentException">A tensor or metadata entry is invalid (the message names it).</exception>
    /// <exception cref="IOException">The file could not be written.</exception>
    public static void Write(string path, IReadOnlyList<SafeTensorEntry> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var (header, ordered) = Prepare(tensors, metadata);

        string fullPath = ResolveLinks(Path.GetFullPath(path));
        string directory = Path.GetDirectoryName(fullPath) ?? throw new ArgumentException($"'{path}' has no parent directory.", nameof(path));
        string tempPath = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                WriteTo(stream, header, ordered);
                stream.Flush(flushToDisk: true);
            }

            File.Move(tempPath, fullPath, overwrite: true);
        }
        catch
        {
            TryDelete(tempPath);
            throw;
        }
    }

    /// <summary>
    /// The file a write to <paramref name="fullPath"/> should replace: the final target when it is a
    /// symbolic link (a chain of them, relative or absolute), so the link stays a link, as it does
    /// when a program opens the path for writing (torch.save, safetensors' save_file). The target
    /// need not exist yet; a loop of links is an <see cref="IOException"/>.
    /// </summary>
    private static string ResolveLinks(string fullPath)
    {
        var info = new FileInfo(fullPath);
        return info.LinkTarget is null ? fullPath : info.ResolveLinkTarget(returnFinalTarget: true)!.FullName;
    }

    /// <summary>Serializes <paramref name="tensors"/> to an in-memory safetensors image (same bytes as <see cref="Write"/>).</summary>
    /// <param name="tensors">The tensors; names must be unique and non-empty.</param>
    /// <param name="metadata">Optional string metadata stored under <c>__metadata__</c>.</param>
    /// <returns>The complete file contents.</returns>
    /// <exception cref="ArgumentException">A tensor or metadata entry is invalid (the message names it).</exception>
    public static byte[] Serialize(IReadOnlyList<SafeTensorEntry> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var (header, ordered) = Prepare(tensors, metadata);
        using var stream = new MemoryStream();
        WriteTo(stream, header, ordered);
        return stream.ToArray();
    }

    private static void WriteTo(Stream stream, byte[] header, List<SafeTensorEntry> ordered)
    {
        Span<byte> prefix = stackalloc byte[PrefixSize];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
        stream.Write(prefix);
        stream.Write(header);
        foreach (var entry in ordered)
        {
            stream.Write(entry.Data);
        }
    }

    private static (byte[] Header, List<SafeTensorEntry> Ordered) Prepare(
        IReadOnlyList<SafeTensorEntry> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        // The reader's limits (see MaxEntries): a file this writer makes is one it can read back.
        if (tensors.Count > MaxEntries)
        {
            throw new ArgumentException($"{tensors.Count} tensors are more than the {MaxEntries} a file may list.", nameof(tensors));
        }

        if (metadata is not null && metadata.Count > MaxEntries)
        {
            throw new ArgumentException($"{metadata.Count} metadata entries are more than the {MaxEntries} a file may list.", nameof(metadata));
        }

        var keyed = new List<(SafeTensorEntry Entry, byte[] NameUtf8, int Rank)>(tensors.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < tensors.Count; i++)
        {
            var entry = tensors[i] ?? throw new ArgumentException($"Tensor at index {i} is null.", nameof(tensors));
            keyed.Add((entry, ValidateEntry(entry, i), DTypes[entry.DType].Rank));
            if (!seen.Add(entry.Name))
            {
                throw new ArgumentException($"Tensor name '{entry.Name}' occurs more than once.", nameof(tensors));
            }
        }

        List<(byte[] Key, byte[] Value)>? meta = null;
        if (metadata is not null)
        {
            meta = new List<(byte[] Key, byte[] Value)>(metadata.Count);
            foreach (var (key, value) in metadata)
            {
                if (value is null)
                {
                    throw new ArgumentException($"Metadata value for key '{key}' is null.", nameof(metadata));
                }

                meta.Add((EncodeName(key, $"metadata key '{key}'", nameof(metadata)),
                          EncodeName(value, $"metadata value for key '{key}'", nameof(metadata))));
            }

            meta.Sort((a, b) => a.Key.AsSpan().SequenceCompareTo(b.Key));
        }

        // Reference order: descending dtype rank, then name bytes ascending.
        keyed.Sort((a, b) => a.Rank != b.Rank ? b.Rank.CompareTo(a.Rank) : a.NameUtf8.AsSpan().SequenceCompareTo(b.NameUtf8));

        var json = new MemoryStream();
        json.WriteByte((byte)'{');
        bool first = true;
        if (meta is not null)
        {
            WriteJsonString(json, Encoding.UTF8.GetBytes(MetadataKey));
            json.WriteByte((byte)':');
            json.WriteByte((byte)'{');
            for (int i = 0; i < meta.Count; i++)
            {
                if (i > 0)
                {
                    json.WriteByte((byte)',');
                }

                WriteJsonString(json, meta[i].Key);
                json.WriteByte((byte)':');
                WriteJsonString(json, meta[i].Value);
            }

            json.WriteByte((byte)'}');
            first = false;
        }

        long offset = 0;
        foreach (var (entry, nameUtf8, _) in keyed)
        {
            if (!first)
            {
                json.WriteByte((byte)',');
            }

            first = false;
            WriteJsonString(json, nameUtf8);
            WriteAscii(json, ":{\"dtype\":\"");
            WriteAscii(json, entry.DType);
            WriteAscii(json, "\",\"shape\":[");
            for (int d = 0; d < entry.Shape.Length; d++)
            {
                if (d > 0)
                {
                    json.WriteByte((byte)',');
                }

                WriteAscii(json, entry.Shape[d].ToString(CultureInfo.InvariantCulture));
            }

            WriteAscii(json, "],\"data_offsets\":[");
            WriteAscii(json, offset.ToString(CultureInfo.InvariantCulture));
            json.WriteByte((byte)',');
            offset += entry.Data.Length;
            WriteAscii(json, offset.ToString(CultureInfo.InvariantCulture));
            WriteAscii(json, "]}");
        }

        json.WriteByte((byte)'}');
        while (json.Length % PrefixSize != 0)
        {
            json.WriteByte((byte)' ');
        }

        if (json.Length > MaxHeaderSize)
        {
            throw new ArgumentException(
                $"The safetensors header would be {json.Length} bytes, above the {MaxHeaderSize}-byte limit readers accept.", nameof(tensors));
        }

        return (json.ToArray(), keyed.ConvertAll(k => k.Entry));
    }

    private static byte[] ValidateEntry(SafeTensorEntry entry, int index)
    {
        const string param = "tensors";
        if (string.IsNullOrEmpty(entry.Name))
        {
            throw new ArgumentException($"Tensor at index {index} has a null or empty name.", param);
        }

        string who = $"Tensor '{entry.Name}'";
        if (entry.Name == MetadataKey)
        {
            throw new ArgumentException($"{who}: the name '{MetadataKey}' is reserved for file metadata.", param);
        }

        byte[] nameUtf8 = EncodeName(entry.Name, $"tensor name '{entry.Name}'", param);
        if (entry.DType is null || !DTypes.TryGetValue(entry.DType, out var info))
        {
            throw new ArgumentException($"{who} has unknown or unsupported dtype '{entry.DType}'.", param);
        }

        if (entry.Shape is null)
        {
            throw new ArgumentException($"{who} has a null shape.", param);
        }

        if (entry.Shape.Length > MaxRank)
        {
            throw new ArgumentException($"{who} has {entry.Shape.Length} dimensions, more than the {MaxRank} a file may give a shape.", param);
        }

        if (entry.Data is null)
        {
            throw new ArgumentException($"{who} has null data.", param);
        }

        long expected = 1;
        try
        {
            foreach (long dim in entry.Shape)
            {
                if (dim < 0)
                {
                    throw new ArgumentException($"{who} has negative dimension {dim} in shape {FormatShape(entry.Shape)}.", param);
                }

                expected = checked(expected * dim);
            }

            expected = checked(expected * info.ItemSize);
        }
        catch (OverflowException)
        {
            throw new ArgumentException($"{who}: shape {FormatShape(entry.Shape)} of {entry.DType} overflows a 64-bit byte count.", param);
        }

        if (entry.Data.LongLength != expected)
        {
            throw new ArgumentException(
                $"{who} ({entry.DType}, shape {FormatShape(entry.Shape)}) needs {expected} bytes of data but has {entry.Data.LongLength}.", param);
        }

        return nameUtf8;
    }

    private static byte[] EncodeName(string text, string what, string param)
    {
        try
        {
            return StrictUtf8.GetBytes(text);
        }
        catch (EncoderFallbackException)
        {
            throw new ArgumentException($"The {what} is not valid Unicode (it contains an unpaired surrogate).", param);
        }
    }

    // serde_json's escaping: '"' and '\' and control characters only; all else raw UTF-8.
    private static void WriteJsonString(Stream json, byte[] utf8)
    {
        const string hex = "0123456789abcdef";
        json.WriteByte((byte)'"');
        foreach (byte b in utf8)
        {
            switch (b)
            {
                case (byte)'"': WriteAscii(json, "\\\""); break;
                case (byte)'\\': WriteAscii(json, "\\\\"); break;
                case 0x08: WriteAscii(json, "\\b"); break;
                case 0x0C: WriteAscii(json, "\\f"); break;
                case (byte)'\n': WriteAscii(json, "\\n"); break;
                case (byte)'\r': WriteAscii(json, "\\r"); break;
                case (byte)'\t': WriteAscii(json, "\\t"); break;
                case < 0x20:
                    WriteAscii(json, "\\u00");
                    json.WriteByte((byte)hex[b >> 4]);
                    json.WriteByte((byte)hex[b & 0xF]);
                    break;
                default: json.WriteByte(b); break;
            }
        }

        json.WriteByte((byte)'"');
    }

    private static void WriteAscii(Stream stream, string ascii)
    {
        foreach (char c in ascii)
        {
            stream.WriteByte((byte)c);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: the original exception is what the caller needs to see.
        }
        catch (UnauthorizedAccessException)
        {
            // Same as above.
        }
    }

    // ------------------------------------------------------------------ element encoding

    /// <summary>Encodes float32 values as little-endian bytes (bit-exact, NaN payloads kept).</summary>
    /// <param name="values">The values.</param>
    /// <returns>4 bytes per value.</returns>
    public static byte[] EncodeSingles(ReadOnlySpan<float> values)
    {
        if (BitConverter.IsLittleEndian)
        {
            return MemoryMarshal.AsBytes(values).ToArray();
        }

        var bytes = new byte[values.Length * sizeof(float)];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(i * sizeof(float)), BitConverter.SingleToInt32Bits(values[i]));
        }

        return bytes;
    }

    /// <summary>Encodes float64 values as little-endian bytes (bit-exact, NaN payloads kept).</summary>
    /// <param name="values">The values.</param>
    /// <returns>8 bytes per value.</returns>
    public static byte[] EncodeDoubles(ReadOnlySpan<double> values)
    {
        if (BitConverter.IsLittleEndian)
        {
            return MemoryMarshal.AsBytes(values).ToArray();
        }

        var bytes = new byte[values.Length * sizeof(double)];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * sizeof(double)), BitConverter.DoubleToInt64Bits(values[i]));
        }

        return bytes;
    }

    /// <summary>Encodes 64-bit integers as little-endian bytes.</summary>
    /// <param name="values">The values.</param>
    /// <returns>8 bytes per value.</returns>
    public static byte[] EncodeInt64s(ReadOnlySpan<long> values)
    {
        if (BitConverter.IsLittleEndian)
        {
            return MemoryMarshal.AsBytes(values).ToArray();
        }

        var bytes = new byte[values.Length * sizeof(long)];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * sizeof(long)), values[i]);
        }

        return bytes;
    }

    /// <summary>Decodes little-endian float32 bytes (bit-exact).</summary>
    /// <param name="data">A multiple of 4 bytes.</param>
    /// <returns>The values.</returns>
    /// <exception cref="ArgumentException">The length is not a multiple of 4.</exception>
    public static float[] DecodeSingles(ReadOnlySpan<byte> data)
    {
        CheckMultiple(data.Length, sizeof(float));
        var values = new float[data.Length / sizeof(float)];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadInt32LittleEndian(data.Slice(i * sizeof(float))));
        }

        return values;
    }

    /// <summary>Decodes little-endian float64 bytes (bit-exact).</summary>
    /// <param name="data">A multiple of 8 bytes.</param>
    /// <returns>The values.</returns>
    /// <exception cref="ArgumentException">The length is not a multiple of 8.</exception>
    public static double[] DecodeDoubles(ReadOnlySpan<byte> data)
    {
        CheckMultiple(data.Length, sizeof(double));
        var values = new double[data.Length / sizeof(double)];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = BitConverter.Int64BitsToDouble(BinaryPrimitives.ReadInt64LittleEndian(data.Slice(i * sizeof(double))));
        }

        return values;
    }

    /// <summary>Decodes little-endian 64-bit integer bytes.</summary>
    /// <param name="data">A multiple of 8 bytes.</param>
    /// <returns>The values.</returns>
    /// <exception cref="ArgumentException">The length is not a multiple of 8.</exception>
    public static long[] DecodeInt64s(ReadOnlySpan<byte> data)
    {
        CheckMultiple(data.Length, sizeof(long));
        var values = new long[data.Length / sizeof(long)];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadInt64LittleEndian(data.Slice(i * sizeof(long)));
        }

        return values;
    }

    private static void CheckMultiple(int length, int itemSize)
    {
        if (length % itemSize != 0)
        {
            throw new ArgumentException($"{length} bytes is not a whole number of {itemSize}-byte elements.", "data");
        }
    }
}
