using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using static Autograd.Nn.Serialization.SafeTensors; // the format's limits and helpers

namespace Autograd.Nn.Serialization;

/// <summary>
/// The safetensors writer: validates the entries, lays them out as the reference Rust
/// implementation does (see <see cref="SafeTensors"/>) and writes the bytes, atomically to a file.
/// </summary>
internal static class SafeTensorsWriter
{
    /// <summary>
    /// Writes a prepared file to <paramref name="path"/> atomically (see <see cref="SafeTensors.Write"/>):
    /// a temporary file beside the target, flushed to disk, then moved over it; deleted on failure.
    /// </summary>
    public static void WriteAtomically(string path, byte[] header, List<SafeTensorEntry> ordered)
    {
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

    /// <summary>Writes the length prefix, the header and the tensors' bytes in order.</summary>
    public static void WriteTo(Stream stream, byte[] header, List<SafeTensorEntry> ordered)
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

    /// <summary>
    /// Validates the entries and builds the padded header; returns it with the entries in the
    /// order their bytes follow it.
    /// </summary>
    /// <exception cref="ArgumentException">A tensor or metadata entry is invalid (the message names it).</exception>
    public static (byte[] Header, List<SafeTensorEntry> Ordered) Prepare(
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
            keyed.Add((entry, ValidateEntry(entry, i), SafeTensorDType.Rank(entry.DType)));
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
        if (entry.DType is null || !SafeTensorDType.TryGetItemSize(entry.DType, out int itemSize))
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

            expected = checked(expected * itemSize);
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
        catch (EncoderFallbackException ex)
        {
            throw new ArgumentException(
                $"The {EscapeLoneSurrogates(what)} is not valid Unicode (it contains an unpaired surrogate, \\u{(int)ex.CharUnknown:x4}, at index {ex.Index}).", param);
        }
    }

    /// <summary>
    /// <paramref name="text"/> with each unpaired surrogate written as a <c>\uXXXX</c> escape, so that
    /// a message naming a bad string can itself be written out as UTF-8 (a log, a console).
    /// </summary>
    private static string EscapeLoneSurrogates(string text)
    {
        var sb = new StringBuilder(text.Length + 8);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                sb.Append(c).Append(text[++i]);
            }
            else if (char.IsSurrogate(c))
            {
                sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
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
}
