using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Autograd.Nn.Serialization;

// The element codec: this library's tensor values (float32, float64, int64) to and from the
// little-endian bytes of a SafeTensorEntry (F32, F64, I64), bit for bit.
internal static partial class SafeTensors
{
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
