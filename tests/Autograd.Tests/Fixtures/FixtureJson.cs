using System.Globalization;
using System.Text.Json;

namespace Autograd.Tests.Fixtures;

/// <summary>
/// Reading the fixture JSON that <c>tools/fixtures.py</c> writes: dtype names, numbers (NaN and
/// the infinities spelled as strings) and tensors (<c>{"dtype", "shape", "data"}</c>).
/// </summary>
public static class FixtureJson
{
    /// <summary>The cases of a fixture file under <c>Fixtures/</c>, by name.</summary>
    public static Dictionary<string, JsonElement> LoadCases(string fileName)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", fileName)));
        return doc.RootElement.GetProperty("cases").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c.Clone());
    }

    /// <summary>PyTorch's dtype name as a <see cref="DType"/>.</summary>
    public static DType ParseDType(string name) => name switch
    {
        "float32" => DType.Float32,
        "float64" => DType.Float64,
        "int64" => DType.Int64,
        _ => throw new FormatException($"Unknown dtype {name}."),
    };

    /// <summary>A number: a JSON number, or "nan", "inf", "-inf" (or a number written as a string).</summary>
    public static double Decode(JsonElement v) => v.ValueKind == JsonValueKind.Number ? v.GetDouble() : v.GetString() switch
    {
        "nan" => double.NaN,
        "inf" => double.PositiveInfinity,
        "-inf" => double.NegativeInfinity,
        var s => double.Parse(s!, CultureInfo.InvariantCulture),
    };

    /// <summary>A tensor of the fixture's dtype and shape (not requiring grad).</summary>
    public static Tensor Read(JsonElement t)
    {
        int[] shape = [.. t.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32())];
        var data = t.GetProperty("data").EnumerateArray();
        return ParseDType(t.GetProperty("dtype").GetString()!) switch
        {
            DType.Float32 => Tensor.FromArray(data.Select(v => (float)Decode(v)).ToArray(), shape),
            DType.Float64 => Tensor.FromArray(data.Select(Decode).ToArray(), shape),
            _ => Tensor.FromArray(data.Select(v => v.GetInt64()).ToArray(), shape),
        };
    }
}
