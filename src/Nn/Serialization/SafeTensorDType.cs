namespace Autograd.Nn.Serialization;

/// <summary>
/// The dtype strings of the safetensors format and what the reader and writer need of each: its
/// size in bytes, and its rank, which orders tensors in a written file.
/// </summary>
/// <remarks>
/// This library's tensors are stored as F32, F64 and I64 (their bytes are converted in
/// SafeTensors.Elements.cs); <c>SafeTensors.Load</c> also reads the narrower integers (to I64
/// values) and F16/BF16 (to F32 values, on request). The reader accepts every byte-sized dtype
/// of the format, so that it can check any file's offsets and report which tensor has a dtype
/// that cannot be loaded.
/// </remarks>
internal static class SafeTensorDType
{
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

    /// <summary>Whether <paramref name="dtype"/> is one of the byte-sized dtypes of the format (null is not).</summary>
    public static bool IsSupported(string? dtype) => dtype is not null && DTypes.ContainsKey(dtype);

    /// <summary>Whether <paramref name="dtype"/> is a dtype of the format whose elements are smaller than a byte.</summary>
    public static bool IsSubByte(string dtype) => SubByteDTypes.Contains(dtype);

    /// <summary>Bytes per element of a supported <paramref name="dtype"/>; false for any other string.</summary>
    public static bool TryGetItemSize(string dtype, out int itemSize)
    {
        bool known = DTypes.TryGetValue(dtype, out var info);
        itemSize = info.ItemSize;
        return known;
    }

    /// <summary>The layout rank of a supported <paramref name="dtype"/>: the writer puts higher ranks first.</summary>
    public static int Rank(string dtype) => DTypes[dtype].Rank;
}
