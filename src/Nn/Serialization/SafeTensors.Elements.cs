using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Autograd.Nn.Serialization;

// The element codec: this library's tensor values (float32, float64, int64) to and from the
// little-endian bytes of a SafeTensorEntry (F32, F64, I64), bit for bit; and, for reading only,
// the narrower integers (I32, I16, I8, U32, U16, U8, BOOL) widened to int64, and the 16-bit floats
// (F16, BF16) widened to float32, both exactly.
public static partial class SafeTensors
{
    /// <summary>Encodes float32 values as little-endian bytes (bit-exact, NaN payloads kept).</summary>
    /// <param name="values">The values.</param>
    /// <returns>4 bytes per value.</returns>
    internal static byte[] EncodeSingles(ReadOnlySpan<float> values)
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
    internal static byte[] EncodeDoubles(ReadOnlySpan<double> values)
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
    internal static byte[] EncodeInt64s(ReadOnlySpan<long> values)
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
    internal static float[] DecodeSingles(ReadOnlySpan<byte> data)
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
    internal static double[] DecodeDoubles(ReadOnlySpan<byte> data)
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
    internal static long[] DecodeInt64s(ReadOnlySpan<byte> data)
    {
        CheckMultiple(data.Length, sizeof(long));
        var values = new long[data.Length / sizeof(long)];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadInt64LittleEndian(data.Slice(i * sizeof(long)));
        }

        return values;
    }

    /// <summary>
    /// Decodes little-endian integers of a narrower integer dtype (or I64) to 64-bit integers:
    /// signed ones sign-extended, unsigned ones and BOOL zero-extended, so every value is kept.
    /// </summary>
    /// <param name="dtype">I64, I32, I16, I8, U32, U16, U8 or BOOL.</param>
    /// <param name="data">A whole number of elements.</param>
    /// <returns>The values; BOOL bytes must be 0 or 1 (checked by the caller).</returns>
    internal static long[] DecodeIntegersToInt64(string dtype, ReadOnlySpan<byte> data)
    {
        int size = SafeTensorDType.TryGetItemSize(dtype, out int itemSize) ? itemSize : throw new ArgumentException($"Unknown dtype '{dtype}'.", nameof(dtype));
        CheckMultiple(data.Length, size);
        var values = new long[data.Length / size];
        for (int i = 0; i < values.Length; i++)
        {
            var at = data.Slice(i * size, size);
            values[i] = dtype switch
            {
                "I64" => BinaryPrimitives.ReadInt64LittleEndian(at),
                "I32" => BinaryPrimitives.ReadInt32LittleEndian(at),
                "I16" => BinaryPrimitives.ReadInt16LittleEndian(at),
                "I8" => (sbyte)at[0],
                "U32" => BinaryPrimitives.ReadUInt32LittleEndian(at),
                "U16" => BinaryPrimitives.ReadUInt16LittleEndian(at),
                "U8" or "BOOL" => at[0],
                _ => throw new ArgumentException($"'{dtype}' is not an integer dtype that fits in 64-bit signed integers.", nameof(dtype)),
            };
        }

        return values;
    }

    /// <summary>
    /// Decodes little-endian IEEE half-precision (F16) bytes to float32, exactly: every F16 value,
    /// subnormals and infinities included, is a float32 value. A NaN keeps its sign and payload and
    /// comes out quiet (bit 22 set), as PyTorch's <c>half.float()</c> gives it.
    /// </summary>
    /// <param name="data">A multiple of 2 bytes.</param>
    /// <returns>The values.</returns>
    internal static float[] DecodeHalfs(ReadOnlySpan<byte> data)
    {
        CheckMultiple(data.Length, sizeof(ushort));
        var values = new float[data.Length / sizeof(ushort)];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = HalfToSingle(BinaryPrimitives.ReadUInt16LittleEndian(data.Slice(i * sizeof(ushort))));
        }

        return values;
    }

    /// <summary>
    /// Decodes little-endian bfloat16 (BF16) bytes to float32, exactly: a BF16 value is the top
    /// half of a float32's bits, so each becomes its bits shifted left by 16 (NaNs keep their
    /// payload, signaling ones stay signaling, as in PyTorch's <c>bfloat16.float()</c>).
    /// </summary>
    /// <param name="data">A multiple of 2 bytes.</param>
    /// <returns>The values.</returns>
    internal static float[] DecodeBFloat16s(ReadOnlySpan<byte> data)
    {
        CheckMultiple(data.Length, sizeof(ushort));
        var values = new float[data.Length / sizeof(ushort)];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(data.Slice(i * sizeof(ushort))) << 16);
        }

        return values;
    }

    /// <summary>One F16 bit pattern as float32 (see <see cref="DecodeHalfs"/>).</summary>
    internal static float HalfToSingle(ushort bits)
    {
        // F16: 1 sign bit, 5 exponent bits (bias 15), 10 fraction bits. float32: 8 (bias 127), 23.
        uint sign = (uint)(bits & 0x8000) << 16;
        int exponent = (bits >> 10) & 0x1F;
        uint fraction = (uint)bits & 0x3FF;
        uint result;
        if (exponent == 0x1F)
        {
            // Infinity, or NaN: the payload moves to the top of float32's fraction, made quiet.
            result = sign | 0x7F800000 | (fraction == 0 ? 0 : 0x00400000 | (fraction << 13));
        }
        else if (exponent == 0)
        {
            // Zero or subnormal: fraction * 2^-24, a product of two float32s that is exact
            // (fraction < 2^10 and the result is a normal float32).
            float magnitude = fraction * (1f / 16777216f);
            result = sign | (uint)BitConverter.SingleToInt32Bits(magnitude);
        }
        else
        {
            // Normal: rebias the exponent (127 - 15 = 112) and widen the fraction.
            result = sign | ((uint)(exponent + 112) << 23) | (fraction << 13);
        }

        return BitConverter.Int32BitsToSingle((int)result);
    }

    private static void CheckMultiple(int length, int itemSize)
    {
        if (length % itemSize != 0)
        {
            throw new ArgumentException($"{length} bytes is not a whole number of {itemSize}-byte elements.", "data");
        }
    }
}
