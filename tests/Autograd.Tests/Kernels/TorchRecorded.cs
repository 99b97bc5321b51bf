using System.Globalization;
using System.Text.Json;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Tests.Kernels;

/// <summary>
/// Values recorded from PyTorch for the Sleef kernel tests (tests/Autograd.Tests/Fixtures/kernels/*.json,
/// written by tools/gen_sleef_*_fixtures.py): arrays of "0x..." bit patterns, so every value, NaN
/// payloads and signed zeros included, is exact; and the bit-for-bit comparison against them.
/// </summary>
internal static class TorchRecorded
{
    private static JsonDocument Load(string file) =>
        JsonDocument.Parse(File.ReadAllBytes(Path.Combine(TestContext.CurrentContext.TestDirectory, "Fixtures", "kernels", file)));

    private static ulong Hex(JsonElement e) => ulong.Parse(e.GetString()!.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    /// <summary>The Float64 arrays stored under <paramref name="keys"/> in <paramref name="file"/>, in that order.</summary>
    public static double[][] Doubles(string file, params string[] keys)
    {
        using var doc = Load(file);
        return [.. keys.Select(k => doc.RootElement.GetProperty(k).EnumerateArray().Select(e => BitConverter.UInt64BitsToDouble(Hex(e))).ToArray())];
    }

    /// <summary>The Float32 arrays stored under <paramref name="keys"/> in <paramref name="file"/>, in that order.</summary>
    public static float[][] Floats(string file, params string[] keys)
    {
        using var doc = Load(file);
        return [.. keys.Select(k => doc.RootElement.GetProperty(k).EnumerateArray().Select(e => BitConverter.UInt32BitsToSingle((uint)Hex(e))).ToArray())];
    }

    /// <summary><paramref name="actual"/> equals PyTorch's <paramref name="expected"/> bit for bit (any NaN for a NaN).</summary>
    public static void ShouldMatchTorch(string op, double[] actual, double[] input, double[] expected)
    {
        actual.Length.ShouldBe(expected.Length);
        for (int i = 0; i < actual.Length; i++)
        {
            if (double.IsNaN(expected[i])) double.IsNaN(actual[i]).ShouldBeTrue($"{op}({input[i]:R})");
            else BitConverter.DoubleToInt64Bits(actual[i]).ShouldBe(BitConverter.DoubleToInt64Bits(expected[i]), $"{op}({input[i]:R}) = {actual[i]:R}, torch {expected[i]:R}");
        }
    }

    /// <inheritdoc cref="ShouldMatchTorch(string, double[], double[], double[])"/>
    public static void ShouldMatchTorch(string op, float[] actual, float[] input, float[] expected)
    {
        actual.Length.ShouldBe(expected.Length);
        for (int i = 0; i < actual.Length; i++)
        {
            if (float.IsNaN(expected[i])) float.IsNaN(actual[i]).ShouldBeTrue($"{op}({input[i]:R})");
            else BitConverter.SingleToInt32Bits(actual[i]).ShouldBe(BitConverter.SingleToInt32Bits(expected[i]), $"{op}({input[i]:R}) = {actual[i]:R}, torch {expected[i]:R}");
        }
    }
}
