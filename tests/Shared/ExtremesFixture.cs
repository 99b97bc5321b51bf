using System.Globalization;
using System.Text.Json;
using NUnit.Framework;

namespace Autograd.Testing;

/// <summary>
/// Reads Fixtures/reliability/extremes.json (written by tools/gen_reliability_fixtures.py; the
/// format is described at the top of that script).
/// </summary>
internal static class ExtremesFixture
{
    private static JsonDocument? _document;

    public static JsonElement Root => (_document ??= JsonDocument.Parse(File.ReadAllText(
        Path.Combine(TestContext.CurrentContext.TestDirectory, "Fixtures", "reliability", "extremes.json")))).RootElement;

    public static IEnumerable<JsonElement> Cases => Root.GetProperty("cases").EnumerateArray();

    public static JsonElement Case(string name) => Cases.Single(c => c.GetProperty("name").GetString() == name);

    public static DType DTypeOf(JsonElement c) => c.GetProperty("dtype").GetString() == "float32" ? DType.Float32 : DType.Float64;

    /// <summary>A JSON number or one of "nan", "inf", "-inf".</summary>
    public static double Number(JsonElement e) => e.ValueKind == JsonValueKind.String
        ? e.GetString() switch
        {
            "nan" => double.NaN,
            "inf" => double.PositiveInfinity,
            "-inf" => double.NegativeInfinity,
            var s => double.Parse(s!, CultureInfo.InvariantCulture),
        }
        : e.GetDouble();

    public static double[] Data(JsonElement tensor) => tensor.GetProperty("data").EnumerateArray().Select(Number).ToArray();

    public static int[] Shape(JsonElement tensor) => tensor.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray();

    /// <summary>The tensor in <paramref name="dtype"/> (float32 values are exact doubles, so the cast restores their bits).</summary>
    public static Tensor Tensor(JsonElement tensor, DType dtype)
    {
        var data = Data(tensor);
        var shape = Shape(tensor);
        return dtype == DType.Float32
            ? Autograd.Tensor.FromArray(data.Select(v => (float)v).ToArray(), shape.Length == 0 ? [] : shape).Reshape(shape)
            : Autograd.Tensor.FromArray(data, shape.Length == 0 ? [] : shape).Reshape(shape);
    }

    /// <summary>
    /// The distance between two values in units in the last place of <paramref name="expected"/> in
    /// <paramref name="dtype"/> (0 when both are the same infinity or both NaN; infinite when only one is finite).
    /// </summary>
    public static double Ulps(double actual, double expected, DType dtype)
    {
        if (actual.Equals(expected) || (double.IsNaN(actual) && double.IsNaN(expected))) return 0;
        if (!double.IsFinite(actual) || !double.IsFinite(expected)) return double.PositiveInfinity;
        double ulp = dtype == DType.Float32
            ? Math.Max(MathF.BitIncrement(MathF.Abs((float)expected)) - MathF.Abs((float)expected), float.Epsilon)
            : Math.Max(Math.BitIncrement(Math.Abs(expected)) - Math.Abs(expected), double.Epsilon);
        return Math.Abs(actual - expected) / ulp;
    }

    /// <summary>
    /// The "input_formula" logits: row n, class c is float32(((n * 7919 + c * 104729) % 2003) / 100.0 - 10.0)
    /// (the same double arithmetic as the generator, then one rounding), then the spikes.
    /// </summary>
    public static Tensor FormulaLogits(JsonElement formula, DType dtype)
    {
        int rows = formula.GetProperty("rows").GetInt32(), classes = formula.GetProperty("classes").GetInt32();
        var x = new double[rows * classes];
        for (long n = 0; n < rows; n++)
            for (long c = 0; c < classes; c++)
                x[n * classes + c] = ((n * 7919 + c * 104729) % 2003) / 100.0 - 10.0;
        foreach (var spike in formula.GetProperty("spikes").EnumerateArray())
        {
            var s = spike.EnumerateArray().ToArray();
            x[s[0].GetInt32() * classes + s[1].GetInt32()] = Number(s[2]);
        }
        var t = Autograd.Tensor.FromArray(x, rows, classes);
        return dtype == DType.Float64 ? t : t.To(DType.Float32);
    }
}
