using System.Text.Json;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Tests.Ops;

/// <summary>
/// <see cref="Tensor.Max()"/> and <see cref="Tensor.Min()"/> over all elements against PyTorch
/// (<c>tools/gen_max_ties_fixtures.py</c>) when elements tie: the gradient is split evenly among
/// the ties (among the NaNs when the result is NaN), +0 elsewhere, bit for bit including the sign
/// of the zeros, for positive and negative upstream gradients, Float32 and Float64.
/// </summary>
[TestFixture]
public sealed class MaxTiesFixtureTests
{
    private static readonly JsonElement[] Cases = Load();

    private static JsonElement[] Load()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "max_ties.json")));
        return [.. doc.RootElement.GetProperty("cases").EnumerateArray().Select(c => c.Clone())];
    }

    private static double Decode(JsonElement v) => v.ValueKind == JsonValueKind.Number ? v.GetDouble() : v.GetString() switch
    {
        "nan" => double.NaN,
        "inf" => double.PositiveInfinity,
        "-inf" => double.NegativeInfinity,
        "-0" => -0.0,
        var s => throw new FormatException($"Unknown value {s}."),
    };

    public static IEnumerable<TestCaseData> All() => Cases.Select(c => new TestCaseData(c.GetProperty("name").GetString()).SetName(c.GetProperty("name").GetString()));

    [TestCaseSource(nameof(All))]
    public void ValueAndGradient_MatchPyTorch(string name)
    {
        var c = Cases.Single(x => x.GetProperty("name").GetString() == name);
        var dtype = c.GetProperty("dtype").GetString() == "float32" ? DType.Float32 : DType.Float64;
        int[] shape = [.. c.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32())];
        double[] input = [.. c.GetProperty("input").EnumerateArray().Select(Decode)];
        double[] expectedGrad = [.. c.GetProperty("grad_input").EnumerateArray().Select(Decode)];
        double expected = Decode(c.GetProperty("output"));

        var x = (dtype == DType.Float32 ? Tensor.FromArray(input.Select(v => (float)v).ToArray(), shape) : Tensor.FromArray(input, shape));
        x.RequiresGrad = true;
        var y = c.GetProperty("op").GetString() == "max" ? x.Max() : x.Min();
        // The value compares with == (PyTorch returns -0 for the max of {+0, -0}, an equal value).
        if (double.IsNaN(expected)) double.IsNaN(y.Item()).ShouldBeTrue();
        else y.Item().ShouldBe(expected);

        y.Backward(Tensor.Scalar(c.GetProperty("grad_output").GetDouble(), dtype));
        double[] grad = x.Grad!.ToArray<double>();
        for (int i = 0; i < grad.Length; i++)
            BitConverter.DoubleToInt64Bits(grad[i]).ShouldBe(BitConverter.DoubleToInt64Bits(expectedGrad[i]),
                $"grad[{i}] = {grad[i]:R}, PyTorch {expectedGrad[i]:R}");
    }

    [Test]
    public void Fixture_CoversTiesNaNAndBothDTypes()
    {
        Cases.Length.ShouldBe(144);
        Cases.Count(c => c.GetProperty("name").GetString()!.Contains("nan", StringComparison.Ordinal)).ShouldBeGreaterThan(0);
    }

    [Test]
    public void SecondOrder_TieSplitIsDifferentiableInTheUpstreamGradient()
    {
        // d/dg of (dMax/dx · v) with createGraph: the split gradient g/k on the ties is linear in g.
        var x = Tensor.FromArray([1.0, 3.0, 3.0], 3);
        x.RequiresGrad = true;
        var g = Tensor.Scalar(2.0);
        g.RequiresGrad = true;
        var dx = Tape.Grad(x.Max(), [x], g, createGraph: true)[0];
        dx.ToArray<double>().ShouldBe([0.0, 1.0, 1.0]);
        var dg = Tape.Grad((dx * Tensor.FromArray([5.0, 7.0, 11.0], 3)).Sum(), [g])[0];
        dg.Item().ShouldBe((7.0 + 11.0) / 2);
    }
}
