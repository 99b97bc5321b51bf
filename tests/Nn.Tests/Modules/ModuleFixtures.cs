using System.Text.Json;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Nn.Tests.Modules;

/// <summary>
/// The PyTorch 1.13 reference data written by tools/gen_module_fixtures.py
/// (Fixtures/modules/modules.json): one JSON object per case, sections "linear", "layers",
/// "dropout_scales", "repr", "named_parameters" and "state_files".
/// </summary>
internal static class ModuleFixtures
{
    private static readonly Lazy<JsonElement> Root = new(() =>
    {
        string path = Path.Combine(TestContext.CurrentContext.TestDirectory, "Fixtures", "modules", "modules.json");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return doc.RootElement.Clone();
    });

    /// <summary>The cases of a section, keyed by their "name".</summary>
    public static Dictionary<string, JsonElement> Section(string section)
        => Root.Value.GetProperty(section).EnumerateArray()
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => c, StringComparer.Ordinal);

    /// <summary>The cases of a section, in file order.</summary>
    public static IEnumerable<JsonElement> List(string section) => Root.Value.GetProperty(section).EnumerateArray();

    public static DType ParseDType(string name) => name switch
    {
        "float32" => DType.Float32,
        "float64" => DType.Float64,
        _ => throw new InvalidOperationException($"fixture dtype {name}"),
    };

    /// <summary>A fixture tensor {"dtype", "shape", "values"} as a Tensor (float32 values are exact doubles of floats).</summary>
    public static Tensor ToTensor(JsonElement t)
    {
        var dtype = ParseDType(t.GetProperty("dtype").GetString()!);
        int[] shape = t.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        double[] values = t.GetProperty("values").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        return dtype == DType.Float32
            ? Tensor.FromArray(values.Select(v => (float)v).ToArray(), shape)
            : Tensor.FromArray(values, shape);
    }

    /// <summary>The elements of a float tensor as doubles.</summary>
    public static double[] Values(Tensor t) => t.ToArray<double>();

    /// <summary>Unit roundoff: 2^-24 for Float32, 2^-53 for Float64.</summary>
    public static double UnitRoundoff(DType dtype) => dtype == DType.Float32 ? Math.ScaleB(1, -24) : Math.ScaleB(1, -53);

    /// <summary>
    /// Asserts |actual - expected| &lt;= 2 γ_terms · magnitude per element, γ_n = n u / (1 - n u):
    /// the classic bound on the rounding error of an n-term sum (or dot product) whose terms have
    /// absolute values summing to <c>magnitude</c>, in any order, with or without FMA. Two
    /// implementations that each meet it (ours and PyTorch's BLAS) differ by at most twice that.
    /// An implementation that used the wrong operand, transpose or reduction axis would be off by
    /// O(magnitude), some 10^6 times more.
    /// </summary>
    public static void AssertWithinSumBound(Tensor actual, Tensor expected, double[] magnitude, int terms, string what)
    {
        actual.DType.ShouldBe(expected.DType, $"{what}: dtype");
        actual.Shape.ShouldBe(expected.Shape, $"{what}: shape");
        double u = UnitRoundoff(expected.DType);
        double gamma = terms * u / (1 - terms * u);
        double[] a = Values(actual), e = Values(expected);
        magnitude.Length.ShouldBe(e.Length, $"{what}: magnitude count");
        for (int i = 0; i < e.Length; i++)
        {
            double bound = 2 * gamma * magnitude[i];
            Math.Abs(a[i] - e[i]).ShouldBeLessThanOrEqualTo(bound,
                $"{what}[{i}]: actual {a[i]:R}, PyTorch {e[i]:R}, bound {bound:R} (terms {terms}, magnitude {magnitude[i]:R})");
        }
    }

    /// <summary>Asserts bit-identical values (and dtype and shape).</summary>
    public static void AssertBitwiseEqual(Tensor actual, Tensor expected, string what)
    {
        actual.DType.ShouldBe(expected.DType, $"{what}: dtype");
        actual.Shape.ShouldBe(expected.Shape, $"{what}: shape");
        if (actual.DType == DType.Float32)
            actual.Buffer<float>().Select(BitConverter.SingleToInt32Bits).ShouldBe(expected.Buffer<float>().Select(BitConverter.SingleToInt32Bits), what);
        else
            actual.Buffer<double>().Select(BitConverter.DoubleToInt64Bits).ShouldBe(expected.Buffer<double>().Select(BitConverter.DoubleToInt64Bits), what);
    }

    /// <summary>A deep copy of every parameter, for before/after comparisons.</summary>
    public static List<(string Name, Tensor Value)> Snapshot(Module module)
        => module.NamedParameters().Select(p => (p.Name, p.Parameter.Clone())).ToList();

    /// <summary>Asserts every parameter is bitwise what <paramref name="snapshot"/> recorded (names, dtypes, shapes, bits).</summary>
    public static void AssertUnchanged(Module module, List<(string Name, Tensor Value)> snapshot)
    {
        var now = module.NamedParameters().ToList();
        now.Select(p => p.Name).ShouldBe(snapshot.Select(p => p.Name));
        for (int i = 0; i < now.Count; i++) AssertBitwiseEqual(now[i].Parameter, snapshot[i].Value, now[i].Name);
    }
}
