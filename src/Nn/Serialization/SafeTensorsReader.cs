using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;
using static Autograd.Nn.Serialization.SafeTensors; // the format's limits and helpers

namespace Autograd.Nn.Serialization;

/// <summary>The safetensors reader: framing, header and data, validated before anything is returned.</summary>
/// <remarks>
/// <para>
/// The header is parsed as it is read (<see cref="Utf8JsonReader"/>, no document tree), and
/// what a header can make the reader build is bounded: at most <see cref="MaxEntries"/> tensors
/// and as many metadata entries, at most <see cref="MaxRank"/> dims per shape, nothing kept for
/// ignored fields or extra <c>data_offsets</c> elements. So the work and memory a file can cause
/// are linear in its header, which is at most <see cref="MaxHeaderSize"/> bytes, and each error
/// message names one fault, with long names shortened.
/// </para>
/// <para>
/// Streams that cannot seek (a named pipe) are read front to back: the header as it arrives (up
/// to its declared length), then exactly the bytes the tensors cover, then one more read to make
/// sure nothing follows.
/// </para>
/// </remarks>
internal static class SafeTensorsReader
{
    private static readonly JsonReaderOptions JsonOptions = new()
    {
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = 64,
    };

    /// <summary>Opens <paramref name="path"/> for reading.</summary>
    /// <exception cref="FileNotFoundException">No file exists at <paramref name="path"/>.</exception>
    public static FileStream OpenForRead(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Safetensors file '{path}' does not exist.", path);
        }

        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
    }

    private sealed record HeaderEntry(string Name, string DType, long[] Shape, long Begin, long End);

    /// <summary>
    /// Reads and validates a safetensors image from the stream's position to its end; the tensors'
    /// bytes are skipped when not <paramref name="readData"/> (the entries then have empty data).
    /// </summary>
    /// <exception cref="InvalidDataException">The data is not a valid safetensors image; the message says why.</exception>
    public static IReadOnlyList<SafeTensorEntry> ReadFrom(
        Stream stream, string source, bool readData, out IReadOnlyDictionary<string, string>? metadata)
    {
        InvalidDataException Bad(string what) => new($"Invalid safetensors file '{source}': {what}");

        // The file's length, when the stream can tell (a pipe's is found by reading it).
        long? fileLength = stream.CanSeek ? stream.Length - stream.Position : null;

        Span<byte> prefix = stackalloc byte[PrefixSize];
        int prefixLength = stream.ReadAtLeast(prefix, PrefixSize, throwOnEndOfStream: false);
        if (prefixLength == 0)
        {
            throw Bad("the file is empty (expected at least the 8-byte header length).");
        }

        if (prefixLength < PrefixSize)
        {
            throw Bad($"the file is {prefixLength} bytes long, shorter than the 8-byte header length.");
        }

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > MaxHeaderSize)
        {
            throw Bad($"header length {headerLength} exceeds the {MaxHeaderSize}-byte limit.");
        }

        if (fileLength is long known && (long)headerLength > known - PrefixSize)
        {
            throw Bad($"header length {headerLength} exceeds the {known - PrefixSize} bytes that follow the length prefix.");
        }

        var (headerBytes, headerRead) = ReadUpTo(stream, (long)headerLength, keep: true, sizeKnown: fileLength is not null);
        if (headerBytes is null)
        {
            throw Bad($"header length {headerLength} exceeds the {headerRead} bytes that follow the length prefix.");
        }

        try
        {
            _ = StrictUtf8.GetCharCount(headerBytes);
        }
        catch (DecoderFallbackException ex)
        {
            throw Bad($"the header is not valid UTF-8 (invalid byte at header offset {ex.Index}).");
        }

        long? dataLength = fileLength - PrefixSize - (long)headerLength;
        CheckSyntaxAndCounts(headerBytes, Bad);
        var entries = ParseHeader(headerBytes, dataLength, Bad, out metadata);

        // Offsets must tile [0, dataLength) exactly: sort as the reference does, then walk.
        var byOffset = new List<HeaderEntry>(entries);
        byOffset.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long covered = 0;
        HeaderEntry? previous = null;
        foreach (var entry in byOffset)
        {
            if (entry.Begin < covered)
            {
                throw Bad($"tensor '{ErrorText.Name(entry.Name)}' data_offsets [{entry.Begin}, {entry.End}] overlap tensor '{ErrorText.Name(previous!.Name)}' " +
                          $"[{previous.Begin}, {previous.End}].");
            }

            if (entry.Begin > covered)
            {
                throw Bad($"data section bytes [{covered}, {entry.Begin}) are not covered by any tensor " +
                          $"(gap before tensor '{ErrorText.Name(entry.Name)}'); tensor data must be contiguous.");
            }

            covered = entry.End;
            previous = entry;
        }

        if (dataLength is long length && covered != length)
        {
            throw Bad($"the data section is {length} bytes but the tensors cover only {covered}: " +
                      $"{length - covered} trailing bytes after the last tensor.");
        }

        var result = new List<SafeTensorEntry>(byOffset.Count);
        if (!readData && dataLength is not null)
        {
            // The header was checked against the file's length: the data need not be read.
            result.AddRange(byOffset.Select(e => new SafeTensorEntry(e.Name, e.DType, e.Shape, [])));
            return result;
        }

        long read = 0;
        foreach (var entry in byOffset)
        {
            long size = entry.End - entry.Begin;
            if (readData && size > Array.MaxLength)
            {
                throw Bad($"tensor '{ErrorText.Name(entry.Name)}' has {size} bytes, more than a single array can hold.");
            }

            var (data, got) = ReadUpTo(stream, size, keep: readData, sizeKnown: dataLength is not null);
            read += got;
            if (got < size)
            {
                // The stream ended early (one that cannot seek, or a file cut while being read).
                var first = entries.First(e => e.End > read);
                throw Bad($"tensor '{ErrorText.Name(first.Name)}' data_offsets [{first.Begin}, {first.End}] extend past the end of the {read}-byte data section.");
            }

            result.Add(new SafeTensorEntry(entry.Name, entry.DType, entry.Shape, data ?? []));
        }

        if (dataLength is null && stream.ReadByte() >= 0)
        {
            throw Bad($"the data section continues past the {covered} bytes the tensors cover: trailing bytes after the last tensor.");
        }

        return result;
    }

    /// <summary>
    /// Reads <paramref name="size"/> bytes, or as many as the stream has; returns them (null when
    /// fewer arrived, or when not <paramref name="keep"/>) and the count read. Unless the stream's
    /// length already vouched for <paramref name="size"/> (<paramref name="sizeKnown"/>), a large
    /// size is read in growing chunks, so a header that claims gigabytes costs only what arrives.
    /// </summary>
    private static (byte[]? Data, long Read) ReadUpTo(Stream stream, long size, bool keep, bool sizeKnown)
    {
        const int Chunk = 1 << 20;
        if (size == 0)
        {
            return (keep ? [] : null, 0);
        }

        if (!keep)
        {
            var scratch = new byte[(int)Math.Min(size, Chunk)];
            long skipped = 0;
            while (skipped < size)
            {
                int n = stream.Read(scratch, 0, (int)Math.Min(scratch.Length, size - skipped));
                if (n == 0)
                {
                    break;
                }

                skipped += n;
            }

            return (null, skipped);
        }

        var buffer = new byte[sizeKnown ? size : Math.Min(size, Chunk)];
        long filled = 0;
        while (filled < size)
        {
            if (filled == buffer.Length)
            {
                Array.Resize(ref buffer, (int)Math.Min(size, 2L * buffer.Length));
            }

            int n = stream.Read(buffer, (int)filled, (int)Math.Min(buffer.Length - filled, size - filled));
            if (n == 0)
            {
                return (null, filled);
            }

            filled += n;
        }

        return (buffer, filled);
    }

    /// <summary>
    /// The first pass over the header, which allocates nothing: its JSON syntax (so that a syntax
    /// error anywhere is the fault reported), and the number of tensors and of metadata entries,
    /// refused past <see cref="MaxEntries"/> before anything is built.
    /// </summary>
    private static void CheckSyntaxAndCounts(byte[] header, Func<string, InvalidDataException> bad)
    {
        var reader = new Utf8JsonReader(header, JsonOptions);
        int tensors = 0, metadataEntries = 0;
        bool inMetadata = false;
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.PropertyName)
                {
                    continue;
                }

                if (reader.CurrentDepth == 1)
                {
                    inMetadata = reader.ValueTextEquals("__metadata__"u8);
                    if (!inMetadata && ++tensors > MaxEntries)
                    {
                        throw bad($"the header lists more than {MaxEntries} tensors, the most this reader accepts.");
                    }
                }
                else if (reader.CurrentDepth == 2 && inMetadata && ++metadataEntries > MaxEntries)
                {
                    throw bad($"'{MetadataKey}' has more than {MaxEntries} metadata entries, the most this reader accepts.");
                }
            }
        }
        catch (JsonException ex)
        {
            throw bad($"the header is not valid JSON: {ex.Message}");
        }
    }

    /// <summary>
    /// The second pass: the tensors in header order, and the metadata. The syntax and the counts
    /// were checked by <see cref="CheckSyntaxAndCounts"/>; this pass reports the first semantic fault.
    /// </summary>
    private static List<HeaderEntry> ParseHeader(byte[] header, long? dataLength, Func<string, InvalidDataException> bad,
        out IReadOnlyDictionary<string, string>? metadata)
    {
        metadata = null;
        var entries = new List<HeaderEntry>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        var reader = new Utf8JsonReader(header, JsonOptions);
        try
        {
            if (!reader.Read())
            {
                throw new JsonException("The header is empty.");
            }

            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw bad($"the header must be a JSON object but is a JSON {Kind(reader.TokenType)}.");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                string name = ReadString(ref reader, "a key", bad);
                if (!names.Add(name))
                {
                    throw bad($"the header has duplicate key '{ErrorText.Name(name)}'.");
                }

                reader.Read();
                if (name == MetadataKey)
                {
                    metadata = ParseMetadata(ref reader, bad);
                }
                else
                {
                    entries.Add(ParseEntry(name, ref reader, dataLength, bad));
                }
            }
        }
        catch (JsonException ex)
        {
            throw bad($"the header is not valid JSON: {ex.Message}");
        }

        return entries;
    }

    private static Dictionary<string, string> ParseMetadata(ref Utf8JsonReader reader, Func<string, InvalidDataException> bad)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw bad($"'{MetadataKey}' must be a JSON object of strings but is a JSON {Kind(reader.TokenType)}.");
        }

        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string key = ReadString(ref reader, $"a '{MetadataKey}' key", bad);
            reader.Read();
            if (reader.TokenType != JsonTokenType.String)
            {
                throw bad($"'{MetadataKey}' value for key '{ErrorText.Name(key)}' must be a string but is a JSON {Kind(reader.TokenType)}.");
            }

            string value = ReadString(ref reader, $"the '{MetadataKey}' value for key '{ErrorText.Name(key)}'", bad);
            if (!result.TryAdd(key, value))
            {
                throw bad($"'{MetadataKey}' has duplicate key '{ErrorText.Name(key)}'.");
            }
        }

        return result;
    }

    private static HeaderEntry ParseEntry(string name, ref Utf8JsonReader reader, long? dataLength, Func<string, InvalidDataException> bad)
    {
        // Messages name the tensor; built only for a fault (a header may list MaxEntries tensors).
        InvalidDataException Fault(string what) => bad($"tensor '{ErrorText.Name(name)}' {what}");

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw Fault($"must be described by a JSON object but is a JSON {Kind(reader.TokenType)}.");
        }

        string? dtype = null;
        long[]? shape = null;
        long begin = 0, end = 0;
        bool hasOffsets = false;
        Span<long> dims = stackalloc long[MaxRank];
        Span<long> pair = stackalloc long[2];
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            // Unknown fields are skipped, as the reference reader does (their names must still be valid text).
            string? escaped = reader.ValueIsEscaped ? ReadString(ref reader, $"a field name of tensor '{ErrorText.Name(name)}'", bad) : null;
            bool isDType = escaped is null ? reader.ValueTextEquals("dtype"u8) : escaped == "dtype";
            bool isShape = escaped is null ? reader.ValueTextEquals("shape"u8) : escaped == "shape";
            bool isOffsets = escaped is null ? reader.ValueTextEquals("data_offsets"u8) : escaped == "data_offsets";
            reader.Read();
            if (isDType)
            {
                if (dtype is not null)
                {
                    throw Fault("has duplicate field 'dtype'.");
                }

                if (reader.TokenType != JsonTokenType.String)
                {
                    throw Fault($"'dtype' must be a string but is a JSON {Kind(reader.TokenType)}.");
                }

                dtype = ReadString(ref reader, $"the dtype of tensor '{ErrorText.Name(name)}'", bad);
            }
            else if (isShape)
            {
                if (shape is not null)
                {
                    throw Fault("has duplicate field 'shape'.");
                }

                int rank = ReadIntegers(ref reader, name, "shape", dims, bad);
                if (rank > MaxRank)
                {
                    throw Fault($"'shape' has more than {MaxRank} dimensions, the most this reader accepts.");
                }

                shape = dims[..rank].ToArray();
            }
            else if (isOffsets)
            {
                if (hasOffsets)
                {
                    throw Fault("has duplicate field 'data_offsets'.");
                }

                int count = ReadIntegers(ref reader, name, "data_offsets", pair, bad);
                if (count != 2)
                {
                    throw Fault($"'data_offsets' must be [begin, end] but has {count} elements.");
                }

                (begin, end, hasOffsets) = (pair[0], pair[1], true);
            }
            else
            {
                reader.Skip();
            }
        }

        if (dtype is null)
        {
            throw Fault("lacks 'dtype'.");
        }

        if (shape is null)
        {
            throw Fault("lacks 'shape'.");
        }

        if (!hasOffsets)
        {
            throw Fault("lacks 'data_offsets'.");
        }

        if (!SafeTensorDType.TryGetItemSize(dtype, out int itemSize))
        {
            throw Fault(SafeTensorDType.IsSubByte(dtype)
                ? $"has sub-byte dtype '{dtype}', which is not supported."
                : $"has unknown dtype '{ErrorText.Name(dtype)}'.");
        }

        if (begin > end)
        {
            throw Fault($"data_offsets [{begin}, {end}] have begin > end.");
        }

        if (end > dataLength)
        {
            throw Fault($"data_offsets [{begin}, {end}] extend past the end of the {dataLength}-byte data section.");
        }

        long expected = 1;
        try
        {
            foreach (long dim in shape)
            {
                expected = checked(expected * dim);
            }

            expected = checked(expected * itemSize);
        }
        catch (OverflowException)
        {
            throw Fault($"shape {FormatShape(shape)} of {dtype} overflows a 64-bit byte count.");
        }

        if (end - begin != expected)
        {
            throw bad($"tensor '{ErrorText.Name(name)}' ({dtype}, shape {FormatShape(shape)}) needs {expected} bytes but data_offsets " +
                      $"[{begin}, {end}] span {end - begin}.");
        }

        return new HeaderEntry(name, dtype, shape, begin, end);
    }

    /// <summary>
    /// Reads an array of non-negative 64-bit integers into <paramref name="values"/> and returns how
    /// many it has; those past the span's length are checked and counted, not kept.
    /// </summary>
    private static int ReadIntegers(ref Utf8JsonReader reader, string name, string field, scoped Span<long> values, Func<string, InvalidDataException> bad)
    {
        InvalidDataException Fault(string what) => bad($"tensor '{ErrorText.Name(name)}' '{field}' {what}");

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw Fault($"must be an array of non-negative integers but is a JSON {Kind(reader.TokenType)}.");
        }

        int count = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out long value) || value < 0)
            {
                throw Fault($"element {count} is {RawText(ref reader)}, not a non-negative 64-bit integer.");
            }

            if (count < values.Length)
            {
                values[count] = value;
            }

            count++;
        }

        return count;
    }

    /// <summary>A string token's text; a lone surrogate escape (<c>\ud800</c>) is refused as serde_json refuses it.</summary>
    private static string ReadString(ref Utf8JsonReader reader, string what, Func<string, InvalidDataException> bad)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw bad($"{what} at header offset {reader.TokenStartIndex} is not valid Unicode: the escape {LoneSurrogate(reader.ValueSpan)} is an unpaired surrogate.");
        }
    }

    /// <summary>The first <c>\uXXXX</c> escape in <paramref name="raw"/> that is half of a surrogate pair without its other half.</summary>
    private static string LoneSurrogate(ReadOnlySpan<byte> raw)
    {
        int pendingHigh = -1;
        for (int i = 0; i + 1 < raw.Length; i++)
        {
            if (raw[i] != '\\')
            {
                if (pendingHigh >= 0)
                {
                    break;
                }

                continue;
            }

            if (raw[i + 1] != 'u' || i + 6 > raw.Length)
            {
                if (pendingHigh >= 0)
                {
                    break;
                }

                i++; // another escape (\n, \\, ...): skip its second character
                continue;
            }

            int unit = int.Parse(Encoding.ASCII.GetString(raw.Slice(i + 2, 4)), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            bool high = unit is >= 0xD800 and <= 0xDBFF, low = unit is >= 0xDC00 and <= 0xDFFF;
            if (pendingHigh >= 0 && !low)
            {
                break;
            }

            if (pendingHigh < 0 && low)
            {
                return Encoding.ASCII.GetString(raw.Slice(i, 6));
            }

            pendingHigh = pendingHigh < 0 && high ? i : -1;
            i += 5;
        }

        return pendingHigh >= 0 ? Encoding.ASCII.GetString(raw.Slice(pendingHigh, 6)) : "\\u....";
    }

    /// <summary>A scalar token as written in the header (shortened), or the kind of a nested value.</summary>
    private static string RawText(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.StartArray or JsonTokenType.StartObject => $"a JSON {Kind(reader.TokenType)}",
        JsonTokenType.String => "\"" + ErrorText.Name(Encoding.UTF8.GetString(reader.ValueSpan)) + "\"",
        _ => ErrorText.Name(Encoding.UTF8.GetString(reader.ValueSpan)),
    };

    private static string Kind(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "object",
        JsonTokenType.StartArray => "array",
        JsonTokenType.String => "string",
        JsonTokenType.Number => "number",
        JsonTokenType.True => "true",
        JsonTokenType.False => "false",
        JsonTokenType.Null => "null",
        _ => token.ToString().ToLowerInvariant(),
    };
}
