using System.Text.Json;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Tests.Kernels;

/// <summary>
/// Float32 Sigmoid is torch.sigmoid's vector kernel (1 / (1 + Sleef expf(0 - x))): checked bit for
/// bit against values recorded from PyTorch 1.13 (tools/gen_kernel_fixtures.py), through the
/// vector loop and through the scalar tail.
/// </summary>
[TestFixture]
public sealed class SleefFloatTests
{
    private static (float[] Input, float[] Output) Fixture()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(TestContext.CurrentContext.TestDirectory, "Fixtures", "kernels", "sigmoid_float32.json")));
        static float[] Read(JsonElement e) => e.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String
            ? v.GetString() switch { "nan" => float.NaN, "inf" => float.PositiveInfinity, "-inf" => float.NegativeInfinity, var s => throw new InvalidDataException(s) }
            : (float)v.GetDouble()).ToArray();
        return (Read(doc.RootElement.GetProperty("input")), Read(doc.RootElement.GetProperty("output")));
    }

    private static void ShouldMatchTorch(float[] actual, float[] input, float[] expected)
    {
        for (int i = 0; i < actual.Length; i++)
        {
            if (float.IsNaN(expected[i])) float.IsNaN(actual[i]).ShouldBeTrue($"sigmoid({input[i]:R})");
            else BitConverter.SingleToInt32Bits(actual[i]).ShouldBe(BitConverter.SingleToInt32Bits(expected[i]), $"sigmoid({input[i]:R}) = {actual[i]:R}, torch {expected[i]:R}");
        }
    }

    [Test]
    public void TensorSigmoid_Float32_MatchesTorchBitForBit()
    {
        var (input, expected) = Fixture();
        ShouldMatchTorch(Tensor.FromArray(input, input.Length).Sigmoid().ToArray<float>(), input, expected);
    }

    [Test]
    public void Sigmoid_ScalarTail_MatchesTorchBitForBit()
    {
        var (input, expected) = Fixture();
        var actual = new float[input.Length];
        for (int i = 0; i < input.Length; i += 7) // spans of 7: all through the scalar tail
        {
            int n = Math.Min(7, input.Length - i);
            SleefFloat.Sigmoid(input.AsSpan(i, n), actual.AsSpan(i, n));
        }
        ShouldMatchTorch(actual, input, expected);
    }
}
