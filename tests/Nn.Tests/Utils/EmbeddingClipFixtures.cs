using System.Globalization;
using System.Text.Json;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Nn.Tests.Utils;

/// <summary>
/// The PyTorch 1.13 reference data written by tools/gen_embedding_clip_fixtures.py
/// (Fixtures/embedding_clip/embedding_clip.json): sections "clip_grad_norm", "clip_grad_value",
/// "embedding" and "one_hot". Tensors are <c>{"dtype", "shape", "data"}</c> with NaN and the
/// infinities spelled as strings, as tools/fixtures.py writes them (the reader follows
/// tests/Autograd.Tests/Fixtures/FixtureJson.cs, which this project does not compile).
/// </summary>
internal static class EmbeddingClipFixtures
{
    private static readonly Lazy<JsonElement> Root = new(() =>
    {
        string path = Path.Combine(TestContext.CurrentContext.TestDirectory, "Fixtures", "embedding_clip", "embedding_clip.json");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return doc.RootElement.Clone();
    });

    /// <summary>The case names of a section, in file order (for TestCaseSource).</summary>
    public static IEnumerable<string> Names(string section)
        => Root.Value.GetProperty(section).EnumerateArray().Select(c => c.GetProperty("name").GetString()!);

    /// <summary>The case of a section with this name.</summary>
    public static JsonElement Case(string section, string name)
        => Root.Value.GetProperty(section).EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    /// <summary>A number: a JSON number, or "nan", "inf", "-inf".</summary>
    public static double Number(JsonElement v) => v.ValueKind == JsonValueKind.Number ? v.GetDouble() : v.GetString() switch
    {
        "nan" => double.NaN,
        "inf" => double.PositiveInfinity,
        "-inf" => double.NegativeInfinity,
        var s => double.Parse(s!, CultureInfo.InvariantCulture),
    };

    public static DType ParseDType(string name) => name switch
    {
        "float32" => DType.Float32,
        "float64" => DType.Float64,
        "int64" => DType.Int64,
        _ => throw new FormatException($"Unknown dtype {name}."),
    };

    /// <summary>A fixture tensor of its dtype and shape (a new leaf, not requiring grad); null for JSON null.</summary>
    public static Tensor? ReadOrNull(JsonElement t) => t.ValueKind == JsonValueKind.Null ? null : Read(t);

    /// <summary>A fixture tensor of its dtype and shape (a new leaf, not requiring grad).</summary>
    public static Tensor Read(JsonElement t)
    {
        int[] shape = [.. t.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32())];
        var data = t.GetProperty("data").EnumerateArray();
        return ParseDType(t.GetProperty("dtype").GetString()!) switch
        {
            DType.Float32 => Tensor.FromArray(data.Select(v => (float)Number(v)).ToArray(), shape),
            DType.Float64 => Tensor.FromArray(data.Select(Number).ToArray(), shape),
            _ => Tensor.FromArray(data.Select(v => v.GetInt64()).ToArray(), shape),
        };
    }

    /// <summary>Asserts the same dtype, shape and bits (-0 differs from +0; any NaN matches any NaN, as the JSON spells them "nan").</summary>
    public static void AssertBits(Tensor actual, Tensor expected, string what)
    {
        actual.DType.ShouldBe(expected.DType, $"{what}: dtype");
        actual.Shape.ShouldBe(expected.Shape, $"{what}: shape");
        switch (expected.DType)
        {
            case DType.Float32:
                actual.ToArray<float>().Select(v => float.IsNaN(v) ? -1 : BitConverter.SingleToInt32Bits(v)).ShouldBe(expected.ToArray<float>().Select(v => float.IsNaN(v) ? -1 : BitConverter.SingleToInt32Bits(v)), what);
                break;
            case DType.Float64:
                actual.ToArray<double>().Select(v => double.IsNaN(v) ? -1 : BitConverter.DoubleToInt64Bits(v)).ShouldBe(expected.ToArray<double>().Select(v => double.IsNaN(v) ? -1 : BitConverter.DoubleToInt64Bits(v)), what);
                break;
            default:
                actual.ToArray<long>().ShouldBe(expected.ToArray<long>(), what);
                break;
        }
    }
}
