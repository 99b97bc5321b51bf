using System.Runtime.InteropServices;
using Autograd;
using TorchSharp;
using TT = TorchSharp.torch.Tensor;

namespace PyBridgeCheck;

/// <summary>Raw bytes and values of tensors of both libraries, and their comparison.</summary>
internal static class Bits
{
    /// <summary>A TorchSharp tensor of <paramref name="dtype"/> and <paramref name="shape"/> holding exactly <paramref name="bytes"/>.</summary>
    public static TT TorchFromBytes(torch.ScalarType dtype, long[] shape, byte[] bytes)
    {
        var t = torch.empty(shape, dtype: dtype);
        t.bytes = bytes;
        return t;
    }

    /// <summary>The elements of a CPU TorchSharp tensor as little-endian bytes, row-major.</summary>
    public static byte[] Of(TT t) => t.contiguous().bytes.ToArray();

    /// <summary>The elements of a tensor of this library as little-endian bytes (the layout of its safetensors dtype).</summary>
    public static byte[] Of(Tensor t) => t.DType switch
    {
        DType.Float32 => MemoryMarshal.AsBytes(t.ToArray<float>().AsSpan()).ToArray(),
        DType.Float64 => MemoryMarshal.AsBytes(t.ToArray<double>().AsSpan()).ToArray(),
        _ => MemoryMarshal.AsBytes(t.ToArray<long>().AsSpan()).ToArray(),
    };

    public static byte[] FromSingles(params float[] values) => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    public static byte[] FromSingleBits(params uint[] bits) => MemoryMarshal.AsBytes(bits.AsSpan()).ToArray();

    public static byte[] FromDoubleBits(params ulong[] bits) => MemoryMarshal.AsBytes(bits.AsSpan()).ToArray();

    public static byte[] FromDoubles(params double[] values) => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    public static byte[] FromInt64s(params long[] values) => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    public static byte[] FromInt32s(params int[] values) => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    public static byte[] FromInt16s(params short[] values) => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    public static byte[] FromUInt16s(params ushort[] values) => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    public static uint[] SingleBits(byte[] bytes) => MemoryMarshal.Cast<byte, uint>(bytes).ToArray();

    public static ushort[] UInt16s(byte[] bytes) => MemoryMarshal.Cast<byte, ushort>(bytes).ToArray();

    public static ulong[] DoubleBits(byte[] bytes) => MemoryMarshal.Cast<byte, ulong>(bytes).ToArray();

    public static long[] Int64s(byte[] bytes) => MemoryMarshal.Cast<byte, long>(bytes).ToArray();

    /// <summary>"[2, 3]".</summary>
    public static string Shape(IEnumerable<long> shape) => "[" + string.Join(", ", shape) + "]";

    /// <summary>Where two byte arrays of elements of <paramref name="itemSize"/> bytes differ: a problem per differing element (the first few).</summary>
    public static void Compare(string what, byte[] actual, byte[] expected, int itemSize, List<string> problems)
    {
        if (actual.Length != expected.Length)
        {
            problems.Add($"{what}: {actual.Length} bytes, expected {expected.Length}");
            return;
        }

        int shown = 0;
        for (int i = 0; i < actual.Length; i += itemSize)
        {
            if (!actual.AsSpan(i, itemSize).SequenceEqual(expected.AsSpan(i, itemSize)))
            {
                if (shown++ < 3)
                {
                    problems.Add($"{what}: element {i / itemSize} is 0x{Hex(actual, i, itemSize)}, expected 0x{Hex(expected, i, itemSize)}");
                }
            }
        }

        if (shown > 3)
        {
            problems.Add($"{what}: {shown} elements differ in all");
        }
    }

    private static string Hex(byte[] bytes, int start, int count)
    {
        var slice = bytes.AsSpan(start, count).ToArray();
        Array.Reverse(slice); // little-endian: the most significant byte first
        return Convert.ToHexString(slice);
    }
}
