using System.Text.Json;
using NUnit.Framework;
using static Autograd.Tests.Fixtures.FixtureJson;
using Shouldly;

namespace Autograd.Tests.Ops;

/// <summary>
/// <see cref="Tensor.Permute"/>, <see cref="Tensor.Flip"/>, <see cref="Tensor.Repeat"/>,
/// <see cref="Tensor.Chunk"/>, <see cref="Tensor.Split(int, int)"/>, <see cref="Tensor.Slice"/>,
/// <see cref="Tensor.IndexSelect"/>, <see cref="Tensor.MaskedFill"/>, <see cref="Tensor.Sort"/>,
/// <see cref="Tensor.ArgSort"/> and <see cref="Tensor.TopK"/> against PyTorch 1.13
/// (<c>tools/gen_shape_ops_fixtures.py</c>): values and gradients, Float32 and Float64. These ops
/// only move elements and their gradients only move or add them (Repeat and IndexSelect add the
/// copies' gradients, at most a handful of terms, in PyTorch's order of indices), so everything is
/// compared bit for bit (NaN matches NaN), except Repeat's gradient: a sum of the copies, in one
/// reduction here and in PyTorch's order there (tolerance argued at the comparison).
/// </summary>
[TestFixture]
public sealed class ShapeOpsFixtureTests
{
    private static readonly Dictionary<string, JsonElement> Cases = LoadCases("shape_ops.json");

    public static IEnumerable<TestCaseData> All() => Cases.Keys.Select(n => new TestCaseData(n).SetName(n));

    [TestCaseSource(nameof(All))]
    public void ValueAndGradient_MatchPyTorch(string name)
    {
        var c = Cases[name];
        var args = c.GetProperty("args");
        var inputs = c.GetProperty("inputs").EnumerateArray().Select(Read).ToArray();
        if (inputs.Length > 0) inputs[0].RequiresGrad = true;
        var ys = Apply(c.GetProperty("op").GetString()!, args, inputs);
        var expected = c.GetProperty("outputs").EnumerateArray().Select(Read).ToArray();
        ys.Length.ShouldBe(expected.Length, name);
        for (int i = 0; i < ys.Length; i++) AssertSame(ys[i], expected[i], $"{name} output {i}");

        var seedJson = c.GetProperty("grad_output").EnumerateArray().ToArray();
        if (seedJson.All(e => e.ValueKind == JsonValueKind.Null)) return; // Int64 outputs only
        var total = ys.Select((y, i) => seedJson[i].ValueKind == JsonValueKind.Null ? null : (y * Read(seedJson[i])).Sum())
            .OfType<Tensor>().Aggregate((a, b) => a + b);
        var grad = Tape.Grad(total, [inputs[0]])[0];
        var expectedGrad = Read(c.GetProperty("grads")[0]);
        if (c.GetProperty("op").GetString() == "repeat")
        {
            // A sum of k = Π repeats copies of the seed, in PyTorch's order against one reduction
            // here: each within (k - 1) eps Σ|terms| ≤ k·eps·k·max|seed| of the exact sum.
            int k = args.GetProperty("repeats").EnumerateArray().Aggregate(1, (p, e) => p * e.GetInt32());
            double eps = grad.DType == DType.Float32 ? Math.Pow(2, -23) : Math.Pow(2, -52);
            double tol = k * k * eps * Read(seedJson[0]).ToArray<double>().Select(Math.Abs).DefaultIfEmpty(0).Max();
            AssertClose(grad, expectedGrad, tol, $"{name} grad");
        }
        else AssertSame(grad, expectedGrad, $"{name} grad");
    }

    [Test]
    public void Fixture_CoversEveryOpInBothDTypes()
    {
        Cases.Values.Select(c => c.GetProperty("op").GetString()).Distinct().ShouldBe(
            ["permute", "flip", "repeat", "chunk", "split", "slice", "index_select", "masked_fill", "sort", "argsort", "topk", "linspace", "logspace"], ignoreOrder: true);
        Cases.Keys.Count(n => n.EndsWith("_float32", StringComparison.Ordinal)).ShouldBe(Cases.Keys.Count(n => n.EndsWith("_float64", StringComparison.Ordinal)));
    }

    private static Tensor[] Apply(string op, JsonElement args, Tensor[] x)
    {
        int[] Ints(string p) => [.. args.GetProperty(p).EnumerateArray().Select(e => e.GetInt32())];
        int Int(string p) => args.GetProperty(p).GetInt32();
        bool Bool(string p) => args.GetProperty(p).GetBoolean();
        static Tensor[] Pair((Tensor Values, Tensor Indices) r) => [r.Values, r.Indices];
        int? NullableInt(string p) => args.GetProperty(p).ValueKind == JsonValueKind.Null ? null : args.GetProperty(p).GetInt32();
        return op switch
        {
            "permute" => [x[0].Permute(Ints("dims"))],
            "flip" => [x[0].Flip(Ints("dims"))],
            "repeat" => [x[0].Repeat(Ints("repeats"))],
            "chunk" => x[0].Chunk(Int("chunks"), Int("dim")),
            "split" => args.GetProperty("size").ValueKind == JsonValueKind.Array ? x[0].Split(Ints("size"), Int("dim")) : x[0].Split(Int("size"), Int("dim")),
            "slice" => [x[0].Slice(Int("dim"), NullableInt("start"), NullableInt("end"), Int("step"))],
            "index_select" => [x[0].IndexSelect(Int("dim"), x[1])],
            "masked_fill" => [x[0].MaskedFill(x[1], Decode(args.GetProperty("value")))],
            "sort" => Pair(x[0].Sort(Int("dim"), Bool("descending"), Bool("stable"))),
            "argsort" => [x[0].ArgSort(Int("dim"), Bool("descending"), Bool("stable"))],
            "linspace" => [Tensor.Linspace(args.GetProperty("start").GetDouble(), args.GetProperty("end").GetDouble(), Int("steps"), ParseDType(args.GetProperty("dtype").GetString()!))],
            "logspace" => [Tensor.Logspace(args.GetProperty("start").GetDouble(), args.GetProperty("end").GetDouble(), Int("steps"), args.GetProperty("base").GetDouble(), ParseDType(args.GetProperty("dtype").GetString()!))],
            "topk" => Pair(x[0].TopK(Int("k"), Int("dim"), Bool("largest"))),
            _ => throw new ArgumentException($"Unknown op {op}."),
        };
    }

    private static void AssertSame(Tensor actual, Tensor expected, string what)
    {
        actual.DType.ShouldBe(expected.DType, what);
        actual.Shape.ToArray().ShouldBe(expected.Shape.ToArray(), what);
        double[] a = actual.ToArray<double>(), e = expected.ToArray<double>();
        for (int i = 0; i < a.Length; i++)
            if (!(double.IsNaN(e[i]) && double.IsNaN(a[i])))
                BitConverter.DoubleToInt64Bits(a[i]).ShouldBe(BitConverter.DoubleToInt64Bits(e[i]), $"{what}[{i}]: {a[i]:R} against PyTorch's {e[i]:R}");
    }

    private static void AssertClose(Tensor actual, Tensor expected, double tol, string what)
    {
        actual.DType.ShouldBe(expected.DType, what);
        actual.Shape.ToArray().ShouldBe(expected.Shape.ToArray(), what);
        double[] a = actual.ToArray<double>(), e = expected.ToArray<double>();
        for (int i = 0; i < a.Length; i++)
            Math.Abs(a[i] - e[i]).ShouldBeLessThanOrEqualTo(tol, $"{what}[{i}]: {a[i]:R} against PyTorch's {e[i]:R}");
    }
}
