using System.Text.Json;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Nn.Tests.Kernels;

/// <summary>
/// The PyTorch numerics the fused forward reproduces, checked bit for bit against values recorded
/// from PyTorch 1.13 (tools/gen_classification_loss_fixtures.py): Sleef's float32 exp and log, and
/// the order in which torch.sum adds.
/// </summary>
[TestFixture]
public sealed class ClassificationLossKernelTests
{
    private static readonly Lazy<JsonDocument> Fixture = new(() => JsonDocument.Parse(File.ReadAllBytes(
        Path.Combine(AppContext.BaseDirectory, "Fixtures", "losses", "classification_losses.json"))));

    private static double[] Values(JsonElement e) => e.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String
        ? v.GetString() switch { "nan" => double.NaN, "inf" => double.PositiveInfinity, "-inf" => double.NegativeInfinity, var s => throw new InvalidDataException(s) }
        : v.GetDouble()).ToArray();

    [TestCase("exp")]
    [TestCase("log")]
    public void SleefFloat_RecordedTorchValues_MatchBitForBit(string function)
    {
        var section = Fixture.Value.RootElement.GetProperty(function);
        var input = Values(section.GetProperty("input"));
        var expected = Values(section.GetProperty("output"));

        for (int i = 0; i < input.Length; i++)
        {
            float x = (float)input[i];
            float actual = function == "exp" ? SleefFloat.Exp(x) : SleefFloat.Log(x);
            BitConverter.SingleToInt32Bits(actual).ShouldBe(BitConverter.SingleToInt32Bits((float)expected[i]),
                $"torch.{function}({x:R}) = {(float)expected[i]:R}, Sleef emulation gives {actual:R}");
        }
    }

    [Test]
    public void SleefFloat_VectorExp_MatchesTorchBitForBit()
    {
        var section = Fixture.Value.RootElement.GetProperty("exp");
        var input = Values(section.GetProperty("input")).Select(v => (float)v).ToArray();
        var expected = Values(section.GetProperty("output")).Select(v => (float)v).ToArray();
        var actual = new float[input.Length];

        SleefFloat.Exp(input, actual); // 8 lanes at a time, the last few scalar

        for (int i = 0; i < input.Length; i++)
            BitConverter.SingleToInt32Bits(actual[i]).ShouldBe(BitConverter.SingleToInt32Bits(expected[i]), $"exp({input[i]:R})");
    }

    private static IEnumerable<TestCaseData> Sums() =>
        Fixture.Value.RootElement.GetProperty("sums").EnumerateArray().Select(s =>
        {
            string dtype = s.GetProperty("dtype").GetString()!;
            var shape = s.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray();
            bool strided = s.GetProperty("dim").ValueKind != JsonValueKind.Null;
            return new TestCaseData(dtype, shape, strided, Values(s.GetProperty("input")), Values(s.GetProperty("sum")))
                .SetArgDisplayNames($"{dtype}_[{string.Join(",", shape)}]_{(strided ? "sum(1)" : "sum()")}");
        });

    [TestCaseSource(nameof(Sums))]
    public void TorchSum_RecordedTorchSums_MatchBitForBit(string dtype, int[] shape, bool strided, double[] input, double[] expected)
    {
        double[] actual = dtype == "float32"
            ? Sum(input.Select(v => (float)v).ToArray(), shape, strided).Select(v => (double)v).ToArray()
            : Sum(input, shape, strided);

        actual.Length.ShouldBe(expected.Length);
        for (int i = 0; i < actual.Length; i++)
            actual[i].ShouldBe(expected[i], $"sum {i}: {actual[i]:R} vs torch {expected[i]:R}");
    }

    private static T[] Sum<T>(T[] x, int[] shape, bool strided) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (!strided) return [TorchSum.Contiguous<T>(x)];
        var layout = new ClassLayout(shape[0], shape[1], shape[2], 1, false, [shape[0], shape[2]]);
        var d = new T[layout.Positions];
        ClassificationLossKernels.SumOverClasses<T>(x, layout, d);
        return d;
    }
}
