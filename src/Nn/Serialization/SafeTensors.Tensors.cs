namespace Autograd.Nn.Serialization;

// The public API: dictionaries of tensors to and from safetensors files, as safetensors.torch's
// save_file/load_file (and save/load for streams). The bytes are made and checked by the
// byte-level entry points in SafeTensors.cs.
public static partial class SafeTensors
{
    // ------------------------------------------------------------------ saving

    /// <summary>
    /// Writes <paramref name="tensors"/> to <paramref name="path"/> as a safetensors file, as
    /// <c>safetensors.torch.save_file(tensors, path, metadata)</c>, with the same bytes: Float32
    /// tensors are stored as F32, Float64 as F64, Int64 as I64, each bit for bit (NaN payloads
    /// and negative zeros kept), laid out as the reference writer lays them out. A tensor's
    /// <c>RequiresGrad</c> and graph are not stored (<c>save_file</c> stores the data alone).
    /// </summary>
    /// <remarks>
    /// <para>
    /// Everything is validated before the file is touched, and the write is atomic: the bytes go to
    /// a temporary file beside the destination, are flushed to disk, and the temporary file then
    /// replaces it, so a failure leaves an existing file as it was. When <paramref name="path"/> is
    /// a symbolic link, the file it finally points to is replaced and the link stays a link, as
    /// <c>save_file</c> (which opens the path for writing) behaves.
    /// </para>
    /// <para>
    /// Tensors here are always contiguous and row-major, so no <c>.contiguous()</c> is needed. As
    /// <c>save_file</c>, this refuses tensors that share memory (a view such as one from
    /// <see cref="Tensor.Reshape"/> or <see cref="Tensor.Detach"/> next to its base, or one tensor
    /// under two names): a file cannot record the sharing, so they would load as separate tensors.
    /// Save a <c>Detach().Clone()</c> of one of them if separate copies are what you want.
    /// </para>
    /// </remarks>
    /// <param name="path">The destination file (conventionally <c>*.safetensors</c>).</param>
    /// <param name="tensors">The tensors by name. Names must be non-empty, valid Unicode and not
    /// <c>__metadata__</c>; at most <see cref="MaxEntries"/> tensors of at most <see cref="MaxRank"/> dims,
    /// with a header of at most <see cref="MaxHeaderSize"/> bytes.</param>
    /// <param name="metadata">Free-form string metadata stored under <c>__metadata__</c>;
    /// <see langword="null"/> (the default) omits the key, as <c>save_file</c> does.</param>
    /// <exception cref="ArgumentNullException"><paramref name="tensors"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty; or a name, a tensor
    /// (null, sharing memory with another) or a metadata entry is invalid, or a limit is passed (the
    /// message names the entry). Nothing is written.</exception>
    /// <exception cref="ObjectDisposedException">A tensor was disposed (the message names it). Nothing is written.</exception>
    /// <exception cref="IOException">The file could not be written (e.g. the path is a directory, a
    /// loop of symbolic links, or its directory does not exist); an existing file is unchanged.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory is not writable.</exception>
    /// <example>
    /// <code>
    /// SafeTensors.Save("weights.safetensors",
    ///     new Dictionary&lt;string, Tensor&gt; { ["w"] = w, ["b"] = b },
    ///     new Dictionary&lt;string, string&gt; { ["format"] = "pt" });
    /// var loaded = SafeTensors.Load("weights.safetensors");   // loaded["w"], loaded["b"]
    /// </code>
    /// </example>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Write(path, ToEntries(tensors), metadata);
    }

    /// <summary>
    /// Writes <paramref name="tensors"/> as a safetensors image to <paramref name="stream"/> at its
    /// current position (the bytes <see cref="Save(string, IReadOnlyDictionary{string, Tensor}, IReadOnlyDictionary{string, string}?)"/>
    /// writes to a file; <c>safetensors.torch.save</c> returns them as <c>bytes</c>). The stream is
    /// not closed.
    /// </summary>
    /// <remarks>Everything is validated before the first byte is written; a stream that fails while
    /// being written holds a partial image (only the file overload can make the write atomic).</remarks>
    /// <param name="stream">A writable stream.</param>
    /// <param name="tensors">The tensors by name (rules as for the file overload).</param>
    /// <param name="metadata">Free-form string metadata stored under <c>__metadata__</c>, or
    /// <see langword="null"/> to omit it.</param>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> or <paramref name="tensors"/> is null.</exception>
    /// <exception cref="ArgumentException">The stream is not writable, or an entry is invalid (the
    /// message names it). Nothing is written.</exception>
    /// <exception cref="ObjectDisposedException">A tensor was disposed. Nothing is written.</exception>
    public static void Save(Stream stream, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanWrite)
        {
            throw new ArgumentException("The stream is not writable.", nameof(stream));
        }

        var (header, ordered) = SafeTensorsWriter.Prepare(ToEntries(tensors), metadata);
        SafeTensorsWriter.WriteTo(stream, header, ordered);
    }

    /// <summary>The tensors as entries of their own dtype, after the checks only tensors need.</summary>
    private static List<SafeTensorEntry> ToEntries(IReadOnlyDictionary<string, Tensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        const string param = nameof(tensors);
        var entries = new List<SafeTensorEntry>(tensors.Count);
        var owners = new Dictionary<Storage, string>(ReferenceEqualityComparer.Instance);
        foreach (var (name, tensor) in tensors)
        {
            if (string.IsNullOrEmpty(name))
            {
                throw new ArgumentException("A tensor name is null or empty; every tensor in a safetensors file needs a non-empty name.", param);
            }

            if (tensor is null)
            {
                throw new ArgumentException($"Tensor '{ErrorText.Name(name)}' is null.", param);
            }

            if (tensor.IsDisposed)
            {
                throw new ObjectDisposedException(nameof(Tensor), $"Tensor '{ErrorText.Name(name)}' was disposed; its data can no longer be saved.");
            }

            if (!owners.TryAdd(tensor.Storage, name))
            {
                throw new ArgumentException(
                    $"Tensors '{ErrorText.Name(owners[tensor.Storage])}' and '{ErrorText.Name(name)}' share memory (one is a view of the other, " +
                    "or the same tensor is given twice); a safetensors file cannot keep that sharing, so safetensors' save_file refuses it too. " +
                    "Save one of them, or a Detach().Clone() of one to store separate copies.", param);
            }

            var shape = tensor.Dims.Select(d => (long)d).ToArray();
            entries.Add(tensor.DType switch
            {
                DType.Float32 => new SafeTensorEntry(name, "F32", shape, EncodeSingles(tensor.Buffer<float>())),
                DType.Float64 => new SafeTensorEntry(name, "F64", shape, EncodeDoubles(tensor.Buffer<double>())),
                _ => new SafeTensorEntry(name, "I64", shape, EncodeInt64s(tensor.Buffer<long>())),
            });
        }

        return entries;
    }

    // ------------------------------------------------------------------ loading

    /// <summary>
    /// Reads every tensor of a safetensors file, as <c>safetensors.torch.load_file(path)</c>. The
    /// whole file is read and validated first (a broken file gets an <see cref="InvalidDataException"/>
    /// naming the file and the fault); the result holds new tensors that do not require grad,
    /// enumerated in ordinal order of their names (the order <c>load_file</c> gives).
    /// </summary>
    /// <remarks>
    /// <para>What each dtype of the file loads as, exactly (every value kept):</para>
    /// <list type="table">
    /// <listheader><term>File dtype</term><description>Tensor</description></listheader>
    /// <item><term>F32, F64</term><description><see cref="DType.Float32"/>, <see cref="DType.Float64"/>, bit for bit.</description></item>
    /// <item><term>I64, I32, I16, I8, U32, U16, U8</term><description><see cref="DType.Int64"/>, the
    /// library's only integer dtype: signed values sign-extended, unsigned ones zero-extended
    /// (PyTorch would give int32, int16, ...; the values are the same).</description></item>
    /// <item><term>BOOL</term><description><see cref="DType.Int64"/> holding 0 and 1 (the library
    /// has no bool dtype); a byte other than 0 or 1 is an <see cref="InvalidDataException"/>.</description></item>
    /// <item><term>F16, BF16</term><description><see cref="DType.Float32"/> when
    /// <paramref name="halfToFloat32"/> is true (PyTorch's <c>.float()</c> of the tensor, bit for
    /// bit: subnormals, infinities and NaN payloads kept, F16 NaNs made quiet as PyTorch does);
    /// otherwise a <see cref="NotSupportedException"/> naming the tensor.</description></item>
    /// <item><term>U64, C64, F8_*</term><description><see cref="NotSupportedException"/> naming the tensor and its dtype.</description></item>
    /// </list>
    /// </remarks>
    /// <param name="path">The file to read: a regular file or a named pipe (read front to back).</param>
    /// <param name="halfToFloat32">True to load F16 and BF16 tensors as Float32 (an exact widening;
    /// the library has no 16-bit float dtype); false (the default) to refuse them.</param>
    /// <returns>The tensors by name.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="FileNotFoundException">No file exists at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not valid safetensors, or a tensor cannot be
    /// a tensor here (a dim past <see cref="int.MaxValue"/>, a BOOL byte other than 0 and 1); the message says which.</exception>
    /// <exception cref="NotSupportedException">A tensor has a dtype this library cannot load (F16 or
    /// BF16 without <paramref name="halfToFloat32"/>, U64, C64, F8_*); the message names it.</exception>
    public static Dictionary<string, Tensor> Load(string path, bool halfToFloat32 = false) => Load(path, out _, halfToFloat32);

    /// <summary>
    /// Reads every tensor of a safetensors file (as <see cref="Load(string, bool)"/>) and its
    /// <c>__metadata__</c> map.
    /// </summary>
    /// <param name="path">The file to read: a regular file or a named pipe.</param>
    /// <param name="metadata">The file's <c>__metadata__</c>, or <see langword="null"/> when it has none.</param>
    /// <param name="halfToFloat32">True to load F16 and BF16 tensors as Float32 (exact); false to refuse them.</param>
    /// <returns>The tensors by name, in ordinal order of their names.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="FileNotFoundException">No file exists at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not valid safetensors, or a tensor cannot be a tensor here.</exception>
    /// <exception cref="NotSupportedException">A tensor has a dtype this library cannot load.</exception>
    public static Dictionary<string, Tensor> Load(string path, out IReadOnlyDictionary<string, string>? metadata, bool halfToFloat32 = false)
    {
        var entries = Read(path, out metadata);
        return ToTensors(entries, path, halfToFloat32);
    }

    /// <summary>
    /// Reads every tensor of a safetensors image from <paramref name="stream"/>, from its current
    /// position to its end (<c>safetensors.torch.load(bytes)</c>); the stream need not seek and is
    /// not closed. Dtypes load as in <see cref="Load(string, bool)"/>.
    /// </summary>
    /// <param name="stream">A readable stream.</param>
    /// <param name="metadata">The image's <c>__metadata__</c>, or <see langword="null"/> when it has none.</param>
    /// <param name="halfToFloat32">True to load F16 and BF16 tensors as Float32 (exact); false to refuse them.</param>
    /// <returns>The tensors by name, in ordinal order of their names.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> is null.</exception>
    /// <exception cref="ArgumentException">The stream is not readable.</exception>
    /// <exception cref="InvalidDataException">The data is not valid safetensors, or a tensor cannot be a tensor here.</exception>
    /// <exception cref="NotSupportedException">A tensor has a dtype this library cannot load.</exception>
    public static Dictionary<string, Tensor> Load(Stream stream, out IReadOnlyDictionary<string, string>? metadata, bool halfToFloat32 = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead)
        {
            throw new ArgumentException("The stream is not readable.", nameof(stream));
        }

        string source = stream is FileStream file ? file.Name : "<stream>";
        var entries = SafeTensorsReader.ReadFrom(stream, source, readData: true, out metadata);
        return ToTensors(entries, source, halfToFloat32);
    }

    /// <summary>
    /// Reads every tensor of a safetensors image from <paramref name="stream"/> (see
    /// <see cref="Load(Stream, out IReadOnlyDictionary{string, string}?, bool)"/>), ignoring its metadata.
    /// </summary>
    /// <param name="stream">A readable stream.</param>
    /// <param name="halfToFloat32">True to load F16 and BF16 tensors as Float32 (exact); false to refuse them.</param>
    /// <returns>The tensors by name, in ordinal order of their names.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> is null.</exception>
    /// <exception cref="ArgumentException">The stream is not readable.</exception>
    /// <exception cref="InvalidDataException">The data is not valid safetensors, or a tensor cannot be a tensor here.</exception>
    /// <exception cref="NotSupportedException">A tensor has a dtype this library cannot load.</exception>
    public static Dictionary<string, Tensor> Load(Stream stream, bool halfToFloat32 = false) => Load(stream, out _, halfToFloat32);

    /// <summary>The entries as tensors, every one checked before any is built.</summary>
    private static Dictionary<string, Tensor> ToTensors(IReadOnlyList<SafeTensorEntry> entries, string source, bool halfToFloat32)
    {
        foreach (var entry in entries)
        {
            CheckLoadable(entry, source, halfToFloat32);
        }

        var result = new Dictionary<string, Tensor>(entries.Count, StringComparer.Ordinal);
        foreach (var entry in entries.OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            int[] shape = Array.ConvertAll(entry.Shape, d => (int)d);
            Array values = entry.DType switch
            {
                "F32" => DecodeSingles(entry.Data),
                "F64" => DecodeDoubles(entry.Data),
                "F16" => DecodeHalfs(entry.Data),
                "BF16" => DecodeBFloat16s(entry.Data),
                _ => DecodeIntegersToInt64(entry.DType, entry.Data),
            };
            result.Add(entry.Name, new Tensor(values, shape));
        }

        return result;
    }

    private static void CheckLoadable(SafeTensorEntry entry, string source, bool halfToFloat32)
    {
        string who = $"Tensor '{ErrorText.Name(entry.Name)}' in '{source}'";
        switch (entry.DType)
        {
            case "F32" or "F64" or "I64" or "I32" or "I16" or "I8" or "U32" or "U16" or "U8":
                break;
            case "BOOL":
                int bad = entry.Data.AsSpan().IndexOfAnyExcept((byte)0, (byte)1);
                if (bad >= 0)
                {
                    throw new InvalidDataException($"{who} is BOOL but element {bad} is the byte {entry.Data[bad]}, not 0 or 1.");
                }

                break;
            case "F16" or "BF16" when !halfToFloat32:
                throw new NotSupportedException(
                    $"{who} is {entry.DType}, and this library has no 16-bit float dtype. Pass halfToFloat32: true to load " +
                    "F16 and BF16 tensors as Float32 (exact: every F16 and BF16 value is a Float32 value).");
            case "F16" or "BF16":
                break;
            default:
                throw new NotSupportedException(
                    $"{who} has dtype {entry.DType}, which this library cannot load: it loads F32, F64, I64, I32, I16, I8, U32, U16, U8 " +
                    "and BOOL (the integers as Int64), and F16 and BF16 as Float32 with halfToFloat32: true.");
        }

        if (entry.Shape.Any(d => d > int.MaxValue))
        {
            throw new InvalidDataException($"{who} has shape {FormatShape(entry.Shape)}, too large for a tensor here (each dim must be at most {int.MaxValue}).");
        }
    }
}
