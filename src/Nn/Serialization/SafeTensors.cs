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
/// Files of named tensors in the safetensors format (https://github.com/huggingface/safetensors),
/// as <c>safetensors.torch</c>: <see cref="Save(string, IReadOnlyDictionary{string, Tensor}, IReadOnlyDictionary{string, string}?)"/>
/// is <c>save_file(tensors, path, metadata)</c>, <see cref="Load(string, bool)"/> is
/// <c>load_file(path)</c>, and <see cref="ReadMetadata"/> is <c>safe_open(path).metadata()</c>.
/// Model files (<c>Module.Save</c>/<c>Module.Load</c>) are written and read by the same code.
/// </summary>
/// <remarks>
/// <para>
/// The format: an 8-byte little-endian header length <c>N</c>, <c>N</c> bytes of UTF-8 JSON
/// header padded with spaces to a multiple of 8, then the data section, which the tensors'
/// <c>data_offsets</c> must cover exactly and without overlap.
/// </para>
/// <para>
/// This file holds the byte-level entry points and the limits they share; SafeTensors.Tensors.cs
/// holds the public <see cref="Save(string, IReadOnlyDictionary{string, Tensor}, IReadOnlyDictionary{string, string}?)"/>
/// and <see cref="Load(string, bool)"/> of tensors. The work is done in
/// <see cref="SafeTensorsWriter"/> (the byte layout of the reference implementation),
/// <see cref="SafeTensorsReader"/> (validation of the whole file before anything is returned),
/// <see cref="SafeTensorDType"/> (what each dtype string means) and SafeTensors.Elements.cs
/// (the elements of each dtype to and from little-endian bytes).
/// </para>
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
/// The reader validates the whole file before returning anything and reports every problem as
/// an <see cref="InvalidDataException"/> whose message names the file and the defect.
/// </para>
/// </remarks>
public static partial class SafeTensors
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

    /// <summary>The size of the little-endian header length that opens a file.</summary>
    internal const int PrefixSize = 8;

    /// <summary>UTF-8 that refuses unpaired surrogates (writing) and invalid bytes (reading).</summary>
    internal static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Whether <paramref name="dtype"/> is a safetensors dtype this codec can read and write.</summary>
    /// <param name="dtype">A dtype string such as <c>"F32"</c>.</param>
    /// <returns><see langword="true"/> for the byte-sized spec dtypes.</returns>
    internal static bool IsSupportedDType(string dtype) => SafeTensorDType.IsSupported(dtype);

    /// <summary>Bytes per element of a supported dtype.</summary>
    /// <param name="dtype">A dtype string such as <c>"F32"</c>.</param>
    /// <returns>The element size in bytes.</returns>
    /// <exception cref="ArgumentException">The dtype is unknown or unsupported.</exception>
    internal static int GetItemSize(string dtype)
    {
        ArgumentNullException.ThrowIfNull(dtype);
        return SafeTensorDType.TryGetItemSize(dtype, out int itemSize)
            ? itemSize
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
    internal static void Write(string path, IReadOnlyList<SafeTensorEntry> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var (header, ordered) = SafeTensorsWriter.Prepare(tensors, metadata);
        SafeTensorsWriter.WriteAtomically(path, header, ordered);
    }

    /// <summary>Serializes <paramref name="tensors"/> to an in-memory safetensors image (same bytes as <see cref="Write"/>).</summary>
    /// <param name="tensors">The tensors; names must be unique and non-empty.</param>
    /// <param name="metadata">Optional string metadata stored under <c>__metadata__</c>.</param>
    /// <returns>The complete file contents.</returns>
    /// <exception cref="ArgumentException">A tensor or metadata entry is invalid (the message names it).</exception>
    internal static byte[] Serialize(IReadOnlyList<SafeTensorEntry> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var (header, ordered) = SafeTensorsWriter.Prepare(tensors, metadata);
        using var stream = new MemoryStream();
        SafeTensorsWriter.WriteTo(stream, header, ordered);
        return stream.ToArray();
    }

    // ------------------------------------------------------------------ reading

    /// <summary>Reads and fully validates a safetensors file.</summary>
    /// <param name="path">The file to read.</param>
    /// <returns>The tensors in file (data offset) order.</returns>
    /// <exception cref="FileNotFoundException">No file exists at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid safetensors file; the message says why.</exception>
    internal static IReadOnlyList<SafeTensorEntry> Read(string path) => Read(path, out _);

    /// <summary>Reads and fully validates a safetensors file, also returning its <c>__metadata__</c>.</summary>
    /// <param name="path">The file to read (a regular file, or a named pipe).</param>
    /// <param name="metadata">The header's <c>__metadata__</c> map, or <see langword="null"/> when the file has none.</param>
    /// <returns>The tensors in file (data offset) order.</returns>
    /// <exception cref="FileNotFoundException">No file exists at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid safetensors file; the message says why.</exception>
    internal static IReadOnlyList<SafeTensorEntry> Read(string path, out IReadOnlyDictionary<string, string>? metadata)
    {
        using var stream = SafeTensorsReader.OpenForRead(path);
        return SafeTensorsReader.ReadFrom(stream, path, readData: true, out metadata);
    }

    /// <summary>Reads and fully validates safetensors data from a stream, seekable or not, from its current position to its end.</summary>
    /// <param name="stream">The stream; read to its end, not closed.</param>
    /// <param name="sourceName">How error messages refer to the data (e.g. a file name).</param>
    /// <param name="metadata">The header's <c>__metadata__</c> map, or <see langword="null"/> when absent.</param>
    /// <returns>The tensors in file (data offset) order.</returns>
    /// <exception cref="InvalidDataException">The data is not a valid safetensors image; the message says why.</exception>
    internal static IReadOnlyList<SafeTensorEntry> Read(Stream stream, string sourceName, out IReadOnlyDictionary<string, string>? metadata)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sourceName);
        return SafeTensorsReader.ReadFrom(stream, sourceName, readData: true, out metadata);
    }

    /// <summary>
    /// Reads only the <c>__metadata__</c> map of a safetensors file, after validating the whole
    /// header against the file size (tensor bytes are not loaded).
    /// </summary>
    /// <param name="path">The file to read.</param>
    /// <returns>The metadata, or <see langword="null"/> when the file has none.</returns>
    /// <exception cref="FileNotFoundException">No file exists at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid safetensors file; the message says why.</exception>
    public static IReadOnlyDictionary<string, string>? ReadMetadata(string path)
    {
        using var stream = SafeTensorsReader.OpenForRead(path);
        SafeTensorsReader.ReadFrom(stream, path, readData: false, out var metadata);
        return metadata;
    }

    /// <summary>Parses and fully validates an in-memory safetensors image.</summary>
    /// <param name="bytes">The complete file contents.</param>
    /// <param name="metadata">The header's <c>__metadata__</c> map, or <see langword="null"/> when absent.</param>
    /// <param name="sourceName">How error messages refer to the data (e.g. a file name).</param>
    /// <returns>The tensors in file (data offset) order.</returns>
    /// <exception cref="InvalidDataException">The bytes are not a valid safetensors image; the message says why.</exception>
    internal static IReadOnlyList<SafeTensorEntry> Deserialize(byte[] bytes, out IReadOnlyDictionary<string, string>? metadata, string sourceName = "<memory>")
    {
        ArgumentNullException.ThrowIfNull(bytes);
        using var stream = new MemoryStream(bytes, writable: false);
        return SafeTensorsReader.ReadFrom(stream, sourceName, readData: true, out metadata);
    }

    /// <summary>"[2, 3]", for error messages.</summary>
    internal static string FormatShape(long[] shape) => "[" + string.Join(", ", shape) + "]";
}
