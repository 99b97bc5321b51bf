using Autograd.Nn.Serialization;

namespace Autograd.Nn;

/// <summary>Model files: the state dict as safetensors.</summary>
public abstract partial class Module
{
    /// <summary>
    /// Writes the state dict (see <see cref="StateDict"/>: parameters and persistent buffers; Int64 buffers as I64) to <paramref name="path"/> in the
    /// safetensors format, with PyTorch's names (<c>0.weight</c>, ...) and the metadata
    /// <c>{"format": "pt"}</c>, so <c>safetensors.torch.load_file</c> followed by PyTorch's
    /// <c>load_state_dict</c> reads it into the equivalent PyTorch model. The write is atomic:
    /// the bytes go to a temporary file next to <paramref name="path"/> that then replaces it,
    /// so a failure leaves any existing file untouched. Through a symbolic link, the file the link
    /// points to is replaced (atomically, beside it) and the link stays a link, as when PyTorch's
    /// <c>torch.save</c> writes through one.
    /// </summary>
    /// <param name="path">The destination file (conventionally <c>*.safetensors</c>).</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="IOException">The file could not be written (e.g. the path is a directory, or a loop of symbolic links).</exception>
    /// <exception cref="UnauthorizedAccessException">The directory is not writable.</exception>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var entries = new List<SafeTensorEntry>();
        foreach (var (name, slot) in StateSlots())
        {
            var p = slot.Value;
            var shape = p.Dims.Select(d => (long)d).ToArray();
            entries.Add(p.DType switch
            {
                DType.Float32 => new SafeTensorEntry(name, "F32", shape, SafeTensors.EncodeSingles(p.Buffer<float>())),
                DType.Float64 => new SafeTensorEntry(name, "F64", shape, SafeTensors.EncodeDoubles(p.Buffer<double>())),
                _ => new SafeTensorEntry(name, "I64", shape, SafeTensors.EncodeInt64s(p.Buffer<long>())), // an Int64 buffer
            });
        }
        SafeTensors.Write(path, entries, new Dictionary<string, string> { ["format"] = "pt" });
    }

    /// <summary>
    /// Reads a safetensors file written by <see cref="Save"/> (or by <c>safetensors</c> from a
    /// PyTorch state dict) into the parameters, in place. The whole file is read and checked
    /// first (its format, then every key, dtype and shape, as <see cref="LoadStateDict"/> does);
    /// the model changes only if everything passes. F32 and F64 tensors load into parameters and
    /// floating point buffers of either dtype (converted as <c>Tensor.To</c> does), I64 tensors into
    /// Int64 buffers; other dtypes are rejected.
    /// </summary>
    /// <param name="path">The file to read: a regular file or a named pipe (read front to back).</param>
    /// <param name="strict">True (the default) to require exactly the model's keys; false to load
    /// the keys that match and report the others.</param>
    /// <returns>The missing and unexpected keys (both empty after a strict load).</returns>
    /// <exception cref="FileNotFoundException">No file exists at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not valid safetensors, or its tensors do not
    /// fit the model (missing or unexpected keys with <paramref name="strict"/>, a wrong shape, an
    /// unsupported dtype); the message names the file and every problem. The model is unchanged.</exception>
    public IncompatibleKeys Load(string path, bool strict = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var entries = SafeTensors.Read(path).ToDictionary(e => e.Name, StringComparer.Ordinal);
        var plan = PlanLoad(entries.Keys, (key, target) => Decode(entries[key], target, path), strict, out var problems);
        if (problems.Count > 0)
            throw new InvalidDataException($"Cannot load '{path}': " + LoadErrorMessage(problems));
        return ApplyLoad(plan);
    }

    private static Tensor Decode(SafeTensorEntry entry, DType target, string path)
    {
        if (target.IsFloatingPoint() && entry.DType is not ("F32" or "F64"))
            throw new InvalidDataException($"dtype mismatch for {ErrorText.Name(entry.Name)}: the file stores it as {entry.DType}, but parameters and floating point buffers need F32 or F64.");
        if (!target.IsFloatingPoint() && entry.DType != "I64")
            throw new InvalidDataException($"dtype mismatch for {ErrorText.Name(entry.Name)}: the file stores it as {entry.DType}, but the buffer is {target} and needs I64.");
        if (entry.Shape.Any(d => d > int.MaxValue))
            throw new InvalidDataException($"size mismatch for {ErrorText.Name(entry.Name)}: its shape [{string.Join(", ", entry.Shape)}] in '{path}' is too large for a tensor.");
        int[] shape = entry.Shape.Select(d => (int)d).ToArray();
        return entry.DType switch
        {
            "F32" => Tensor.FromArray(SafeTensors.DecodeSingles(entry.Data), shape),
            "F64" => Tensor.FromArray(SafeTensors.DecodeDoubles(entry.Data), shape),
            _ => Tensor.FromArray(SafeTensors.DecodeInt64s(entry.Data), shape),
        };
    }
}
