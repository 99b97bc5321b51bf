using System.Text.Json;
using NUnit.Framework;

namespace Autograd.Tests.Fixtures;

/// <summary>
/// A tensor stored in a fixture file: dtype, shape and flat row-major data (see the format
/// description at the top of <c>tools/gen_core_fixtures.py</c>).
/// </summary>
public sealed class FixtureTensor
{
    private FixtureTensor(DType dtype, int[] shape, double[]? floats, long[]? longs, bool requiresGrad)
    {
        DType = dtype;
        Shape = shape;
        Floats = floats;
        Longs = longs;
        RequiresGrad = requiresGrad;
    }

    /// <summary>The element type.</summary>
    public DType DType { get; }

    /// <summary>The shape ([] for a 0-d tensor).</summary>
    public int[] Shape { get; }

    /// <summary>Float32/Float64 data as doubles (float32 values are exactly representable), else null.</summary>
    public double[]? Floats { get; }

    /// <summary>Int64 data, else null.</summary>
    public long[]? Longs { get; }

    /// <summary>Whether the input is a leaf that requires grad (inputs only).</summary>
    public bool RequiresGrad { get; }

    /// <summary>The number of elements.</summary>
    public int Count => Floats?.Length ?? Longs!.Length;

    /// <summary>The value at flat index i as a double (Int64 converted).</summary>
    public double this[int i] => Floats is not null ? Floats[i] : Longs![i];

    /// <summary>A fresh <see cref="Tensor"/> with this data; a leaf that requires grad when <see cref="RequiresGrad"/>.</summary>
    public Tensor ToTensor()
    {
        Tensor t;
        bool scalar = Shape.Length == 0;
        switch (DType)
        {
            case DType.Float32:
                {
                    float[] data = Array.ConvertAll(Floats!, v => (float)v);
                    t = scalar ? Tensor.Scalar(data[0]) : Tensor.FromArray(data, Shape);
                    break;
                }
            case DType.Float64:
                t = scalar ? Tensor.Scalar(Floats![0]) : Tensor.FromArray((double[])Floats!.Clone(), Shape);
                break;
            default:
                t = scalar ? Tensor.Scalar(Longs![0]) : Tensor.FromArray((long[])Longs!.Clone(), Shape);
                break;
        }
        if (RequiresGrad)
            t.RequiresGrad = true;
        return t;
    }

    /// <summary>Parses "float32" / "float64" / "int64".</summary>
    public static DType ParseDType(string name) => name switch
    {
        "float32" => DType.Float32,
        "float64" => DType.Float64,
        "int64" => DType.Int64,
        _ => throw new FormatException($"Unknown dtype '{name}' in fixture."),
    };

    internal static FixtureTensor? Parse(JsonElement e)
    {
        if (e.ValueKind == JsonValueKind.Null)
            return null;
        DType dtype = ParseDType(e.GetProperty("dtype").GetString()!);
        int[] shape = e.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray();
        JsonElement data = e.GetProperty("data");
        double[]? floats = null;
        long[]? longs = null;
        if (dtype == DType.Int64)
            longs = data.EnumerateArray().Select(v => v.GetInt64()).ToArray();
        else
            floats = data.EnumerateArray().Select(v => v.GetDouble()).ToArray();
        bool requiresGrad = e.TryGetProperty("requires_grad", out JsonElement rg) && rg.GetBoolean();
        var t = new FixtureTensor(dtype, shape, floats, longs, requiresGrad);
        int expected = shape.Aggregate(1, (a, b) => a * b);
        if (t.Count != expected)
            throw new FormatException($"Fixture tensor of shape [{string.Join(",", shape)}] has {t.Count} values.");
        return t;
    }
}

/// <summary>One PyTorch reference case of <c>core_ops.json</c>.</summary>
public sealed class CoreOpCase
{
    /// <summary>Unique case name (also the NUnit test name).</summary>
    public required string Name { get; init; }

    /// <summary>The op id, dispatched by <see cref="FixtureOps.Apply"/>.</summary>
    public required string Op { get; init; }

    /// <summary>The group (binary, unary, reduction, ...), used to split cases between test classes.</summary>
    public required string Group { get; init; }

    /// <summary>The tolerance class, see <see cref="Tolerances"/>.</summary>
    public required string Tol { get; init; }

    /// <summary>The dtype of the floating inputs.</summary>
    public required DType DType { get; init; }

    /// <summary>The op inputs.</summary>
    public required FixtureTensor[] Inputs { get; init; }

    /// <summary>The op arguments (a JSON object).</summary>
    public required JsonElement Args { get; init; }

    /// <summary>The expected output.</summary>
    public required FixtureTensor Output { get; init; }

    /// <summary>The gradient fed to backward, or null for a non-differentiable op.</summary>
    public required FixtureTensor? GradOutput { get; init; }

    /// <summary>Expected gradient per input (null entries for inputs that do not require grad), or null.</summary>
    public required FixtureTensor?[]? Grads { get; init; }

    /// <summary>Second-order cases: the vector v per input (null where not requiring grad).</summary>
    public required FixtureTensor?[]? HvpVectors { get; init; }

    /// <summary>Second-order cases: the expected Hessian-vector product per input.</summary>
    public required FixtureTensor?[]? HvpExpected { get; init; }

    /// <summary>An int argument.</summary>
    public int Int(string name) => Args.GetProperty(name).GetInt32();

    /// <summary>A bool argument.</summary>
    public bool Bool(string name) => Args.GetProperty(name).GetBoolean();

    /// <summary>A double argument.</summary>
    public double Double(string name) => Args.GetProperty(name).GetDouble();

    /// <summary>An optional double argument (absent or null gives null).</summary>
    public double? OptionalDouble(string name) =>
        Args.TryGetProperty(name, out JsonElement e) && e.ValueKind != JsonValueKind.Null ? e.GetDouble() : null;

    /// <summary>An int array argument.</summary>
    public int[] Ints(string name) => Args.GetProperty(name).EnumerateArray().Select(v => v.GetInt32()).ToArray();

    /// <summary>A string argument.</summary>
    public string String(string name) => Args.GetProperty(name).GetString()!;

    /// <inheritdoc/>
    public override string ToString() => Name;

    internal static CoreOpCase Parse(JsonElement e)
    {
        static FixtureTensor?[]? List(JsonElement parent, string name) =>
            parent.TryGetProperty(name, out JsonElement l) && l.ValueKind == JsonValueKind.Array
                ? l.EnumerateArray().Select(FixtureTensor.Parse).ToArray()
                : null;

        JsonElement hvp = e.GetProperty("hvp");
        bool hasHvp = hvp.ValueKind == JsonValueKind.Object;
        return new CoreOpCase
        {
            Name = e.GetProperty("name").GetString()!,
            Op = e.GetProperty("op").GetString()!,
            Group = e.GetProperty("group").GetString()!,
            Tol = e.GetProperty("tol").GetString()!,
            DType = FixtureTensor.ParseDType(e.GetProperty("dtype").GetString()!),
            Inputs = e.GetProperty("inputs").EnumerateArray().Select(i => FixtureTensor.Parse(i)!).ToArray(),
            Args = e.GetProperty("args").Clone(),
            Output = FixtureTensor.Parse(e.GetProperty("output"))!,
            GradOutput = FixtureTensor.Parse(e.GetProperty("grad_output")),
            Grads = List(e, "grads"),
            HvpVectors = hasHvp ? List(hvp, "vectors") : null,
            HvpExpected = hasHvp ? List(hvp, "expected") : null,
        };
    }
}

/// <summary>Loads the PyTorch fixture files copied next to the test assembly.</summary>
public static class FixtureLoader
{
    private static readonly Lazy<IReadOnlyList<CoreOpCase>> s_coreOps = new(() => LoadCoreOps("core_ops.json"));

    /// <summary>All cases of <c>Fixtures/core_ops.json</c> (generated by <c>tools/gen_core_fixtures.py</c>).</summary>
    public static IReadOnlyList<CoreOpCase> CoreOps => s_coreOps.Value;

    /// <summary>The full path of a fixture file in the test output directory.</summary>
    public static string PathOf(string fileName) =>
        Path.Combine(AppContext.BaseDirectory, "Fixtures", fileName);

    /// <summary>The core-op cases of the given groups, one NUnit test case each, named after the case.</summary>
    public static IEnumerable<TestCaseData> CoreOpCases(params string[] groups) =>
        CoreOps.Where(c => groups.Contains(c.Group))
               .Select(c => new TestCaseData(c).SetName(c.Name));

    private static IReadOnlyList<CoreOpCase> LoadCoreOps(string fileName)
    {
        string path = PathOf(fileName);
        using FileStream stream = File.OpenRead(path);
        using JsonDocument doc = JsonDocument.Parse(stream);
        JsonElement root = doc.RootElement;
        string format = root.GetProperty("format").GetString()!;
        int version = root.GetProperty("version").GetInt32();
        if (format != "autograd-core-ops" || version != 1)
            throw new FormatException($"{path}: unexpected fixture format {format} v{version}.");
        return root.GetProperty("cases").EnumerateArray().Select(CoreOpCase.Parse).ToArray();
    }
}
