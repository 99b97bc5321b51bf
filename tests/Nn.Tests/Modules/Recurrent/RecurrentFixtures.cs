using System.Globalization;
using System.Text.Json;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Nn.Tests.Modules.Recurrent;

/// <summary>
/// The PyTorch 1.13 reference data written by tools/gen_rnn_fixtures.py
/// (Fixtures/recurrent/*.json: tensors as {"dtype", "shape", "data"}), and the comparison the
/// fixture tests share.
/// </summary>
internal static class RecurrentFixtures
{
    /// <summary>The cases of a fixture file, in file order.</summary>
    public static List<JsonElement> Cases(string file)
    {
        string path = Path.Combine(TestContext.CurrentContext.TestDirectory, "Fixtures", "recurrent", file);
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return doc.RootElement.GetProperty("cases").EnumerateArray().Select(c => c.Clone()).ToList();
    }

    public static DType ParseDType(string name) => name switch
    {
        "float32" => DType.Float32,
        "float64" => DType.Float64,
        _ => throw new FormatException($"fixture dtype {name}"),
    };

    private static double Decode(JsonElement v) => v.ValueKind == JsonValueKind.Number ? v.GetDouble() : v.GetString() switch
    {
        "nan" => double.NaN,
        "inf" => double.PositiveInfinity,
        "-inf" => double.NegativeInfinity,
        var s => double.Parse(s!, CultureInfo.InvariantCulture),
    };

    /// <summary>A fixture tensor (float32 data are exact doubles of floats); null for JSON null.</summary>
    public static Tensor? Read(JsonElement t)
    {
        if (t.ValueKind == JsonValueKind.Null) return null;
        int[] shape = [.. t.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32())];
        var data = t.GetProperty("data").EnumerateArray().Select(Decode).ToArray();
        return ParseDType(t.GetProperty("dtype").GetString()!) == DType.Float32
            ? Autograd.Tensor.FromArray(data.Select(v => (float)v).ToArray(), shape)
            : Autograd.Tensor.FromArray(data, shape);
    }

    public static Tensor Get(JsonElement c, string property) => Read(c.GetProperty(property)) ?? throw new InvalidOperationException($"{property} is null");

    /// <summary>A leaf that requires grad, or null.</summary>
    public static Tensor? Leaf(JsonElement c, string property)
    {
        var t = Read(c.GetProperty(property));
        if (t is not null) t.RequiresGrad = true;
        return t;
    }

    /// <summary>Loads the case's parameters into the module through <see cref="Module.LoadStateDict"/>, checking the names come in PyTorch's order.</summary>
    public static void LoadParameters(Module module, JsonElement c)
    {
        var state = c.GetProperty("params").EnumerateArray()
            .Select(p => (Name: p.GetProperty("name").GetString()!, Value: Read(p.GetProperty("tensor"))!)).ToList();
        module.StateDict().Keys.ShouldBe(state.Select(p => p.Name), "state-dict keys in PyTorch's order");
        module.LoadStateDict(state.ToDictionary(p => p.Name, p => p.Value));
    }

    /// <summary>
    /// Asserts |actual - expected| ≤ ulps · u · (|expected| + scale) per element, u the unit
    /// roundoff of the dtype: a relative error of a few units in the last place, measured against
    /// the element or, where it cancelled to near zero, the tensor's largest magnitude.
    /// </summary>
    public static void AssertClose(Tensor? actual, Tensor? expected, double ulps, string what)
    {
        if (expected is null)
        {
            actual.ShouldBeNull(what);
            return;
        }
        actual.ShouldNotBeNull(what);
        actual.DType.ShouldBe(expected.DType, $"{what}: dtype");
        actual.Shape.ShouldBe(expected.Shape, $"{what}: shape");
        double u = expected.DType == DType.Float32 ? Math.ScaleB(1, -24) : Math.ScaleB(1, -53);
        double[] a = actual.ToArray<double>(), e = expected.ToArray<double>();
        double scale = e.Length == 0 ? 0 : e.Max(Math.Abs);
        for (int i = 0; i < e.Length; i++)
        {
            double bound = ulps * u * (Math.Abs(e[i]) + scale);
            Math.Abs(a[i] - e[i]).ShouldBeLessThanOrEqualTo(bound, $"{what}[{i}]: actual {a[i]:R}, PyTorch {e[i]:R}");
        }
    }

    /// <summary>The largest |actual - expected| / (u · (|expected| + max |expected|)) over the elements (for reporting).</summary>
    public static double Ulps(Tensor actual, Tensor expected)
    {
        double u = expected.DType == DType.Float32 ? Math.ScaleB(1, -24) : Math.ScaleB(1, -53);
        double[] a = actual.ToArray<double>(), e = expected.ToArray<double>();
        double scale = e.Max(Math.Abs);
        return e.Select((v, i) => Math.Abs(a[i] - v) / (u * (Math.Abs(v) + scale))).Max();
    }
}
