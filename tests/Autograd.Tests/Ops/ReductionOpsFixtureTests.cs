using System.Text.Json;
using NUnit.Framework;
using static Autograd.Tests.Fixtures.FixtureJson;
using Shouldly;

namespace Autograd.Tests.Ops;

/// <summary>
/// Reductions over a list of dims (<see cref="Tensor.Sum(int[], bool, DType?)"/>, Mean, LogSumExp,
/// Amax, Amin), <see cref="Tensor.ArgMax()"/>/<see cref="Tensor.ArgMin()"/> over all elements,
/// <see cref="Tensor.MatMul"/> with broadcast batch dims and the dtype option of Sum, Mean,
/// Softmax and LogSoftmax, Var/Std with a correction, CumSum and Prod against PyTorch 1.13 (<c>tools/gen_reduction_ops_fixtures.py</c>):
/// values and gradients, Float32 and Float64.
/// </summary>
/// <remarks>
/// Tolerances, in units of eps (2^-23 for Float32, 2^-52 for Float64) times a scale that bounds
/// the rounding error of any summation order:
/// <list type="bullet">
/// <item>Selections (amax, amin, the arg-forms), the gradients of sum, mean, amax and amin
/// (an expand, a division by n, a split among ties, done by the same operations as PyTorch) and
/// CumSum with its gradient (in order, in double, rounded once per output, as PyTorch's CPU
/// kernel) are compared bit for bit.</item>
/// <item>A sum differs from PyTorch's only by summation order. Any order's error is bounded by
/// γ·Σ|x|, where γ grows with the number of terms only in the worst case; PyTorch's cascade sum
/// and the fixed-order sum here (double partials, one rounding) stay within a few eps·Σ|x|, so
/// 4 eps·Σ|x| (sums of up to 1024 terms) accepts either order and not a sloppy one. A mean adds
/// the division's half ulp. Matrix products: the same bound with Σ|a||b| per dot product (the
/// gradients' dot products include the sums over broadcast batch dims).</item>
/// <item>LogSumExp: exp and log are within an ulp of PyTorch's (both use SLEEF's algorithms),
/// the sum of the shifted exponentials is ≥ 1, so the result is within 8 eps·(1 + |result|);
/// its gradient g·e^(x - r) inherits that absolute error of r in the exponent: 8 eps·|g·e^(x-r)|·(1 + |r| + |x - r|).
/// Softmax and LogSoftmax with a dtype: 8 eps relative plus 8 eps·(1 + |x|) absolute in the same way.</item>
/// <item>Prod: n factors multiplied in some order, n eps relative; its gradient n + 2 eps relative.</item>
/// <item>Var and Std: 8 eps relative (the argument is at the case in <c>ValueScale</c>); their
/// gradients 8 eps of |2g/(N - correction)|·(|x| + |mean|).</item>
/// </list>
/// </remarks>
[TestFixture]
public sealed class ReductionOpsFixtureTests
{
    private static readonly Dictionary<string, JsonElement> Cases = LoadCases("reduction_ops.json");

    public static IEnumerable<TestCaseData> All() => Cases.Keys.Select(n => new TestCaseData(n).SetName(n));

    [TestCaseSource(nameof(All))]
    public void ValueAndGradient_MatchPyTorch(string name)
    {
        var c = Cases[name];
        string op = c.GetProperty("op").GetString()!;
        var args = c.GetProperty("args");
        var inputs = c.GetProperty("inputs").EnumerateArray().Select(Read).ToArray();
        foreach (var x in inputs) if (x.DType != DType.Int64) x.RequiresGrad = true;

        var y = Apply(op, args, inputs);
        var expected = Read(c.GetProperty("output"));
        y.DType.ShouldBe(expected.DType, name);
        y.Shape.ToArray().ShouldBe(expected.Shape.ToArray(), name);
        AssertClose(y, expected, ValueScale(op, args, inputs, expected), y.DType, name + " output");

        if (c.GetProperty("grad_output").ValueKind == JsonValueKind.Null) return;
        var g = Read(c.GetProperty("grad_output"));
        var differentiable = inputs.Where(x => x.RequiresGrad).ToArray();
        var grads = Tape.Grad(y, differentiable, g);
        var expectedGrads = c.GetProperty("grads").EnumerateArray().Where(e => e.ValueKind != JsonValueKind.Null).Select(Read).ToArray();
        for (int i = 0; i < grads.Length; i++)
        {
            grads[i].Shape.ToArray().ShouldBe(expectedGrads[i].Shape.ToArray(), $"{name} grad {i}");
            grads[i].DType.ShouldBe(expectedGrads[i].DType, $"{name} grad {i}");
            AssertClose(grads[i], expectedGrads[i], GradScale(op, args, inputs, expected, g, i, expectedGrads[i].ToArray<double>()), y.DType, $"{name} grad {i}");
        }
    }

    [Test]
    public void Fixture_CoversEveryOpInBothDTypes()
    {
        var ops = Cases.Values.Select(c => c.GetProperty("op").GetString()).Distinct().ToArray();
        ops.ShouldBe(["sum", "mean", "logsumexp", "amax", "amin", "argmax", "argmin", "matmul", "sum_all_dtype", "sum_dim", "mean_all_dtype", "mean_dim", "softmax", "log_softmax", "var", "std", "cumsum", "prod"], ignoreOrder: true);
        Cases.Keys.Count(n => n.EndsWith("_float32", StringComparison.Ordinal)).ShouldBe(Cases.Keys.Count(n => n.EndsWith("_float64", StringComparison.Ordinal)));
    }

    private static Tensor Apply(string op, JsonElement args, Tensor[] x)
    {
        DType? dtype = args.TryGetProperty("dtype", out var dt) ? ParseDType(dt.GetString()!) : null;
        int[] Dims() => [.. args.GetProperty("dims").EnumerateArray().Select(e => e.GetInt32())];
        bool Keep() => args.GetProperty("keep_dim").GetBoolean();
        int Dim() => args.GetProperty("dim").GetInt32();
        return op switch
        {
            "sum" => x[0].Sum(Dims(), Keep(), dtype),
            "mean" => x[0].Mean(Dims(), Keep(), dtype),
            "logsumexp" => x[0].LogSumExp(Dims(), Keep()),
            "amax" => x[0].Amax(Dims(), Keep()),
            "amin" => x[0].Amin(Dims(), Keep()),
            "argmax" => x[0].ArgMax(),
            "argmin" => x[0].ArgMin(),
            "matmul" => x[0].MatMul(x[1]),
            "sum_all_dtype" => x[0].Sum(dtype!.Value),
            "mean_all_dtype" => x[0].Mean(dtype!.Value),
            "sum_dim" => x[0].Sum(Dim(), Keep(), dtype),
            "mean_dim" => x[0].Mean(Dim(), Keep(), dtype),
            "softmax" => x[0].Softmax(Dim(), dtype),
            "log_softmax" => x[0].LogSoftmax(Dim(), dtype),
            "var" => x[0].Var(NullableDims(args), args.GetProperty("correction").GetInt32(), Keep()),
            "std" => x[0].Std(NullableDims(args), args.GetProperty("correction").GetInt32(), Keep()),
            "cumsum" => x[0].CumSum(Dim(), dtype),
            "prod" => args.GetProperty("dim").ValueKind == JsonValueKind.Null ? x[0].Prod(dtype) : x[0].Prod(Dim(), Keep(), dtype),
            _ => throw new ArgumentException($"Unknown op {op}."),
        };
    }

    /// <summary>The per-element error allowed on the output, in units of eps of the output's dtype; null: bit for bit.</summary>
    private static double[]? ValueScale(string op, JsonElement args, Tensor[] x, Tensor expected)
    {
        using var _ = Tape.NoGrad();
        var abs = x[0].To(DType.Float64).Abs();
        double[] e = expected.ToArray<double>();
        switch (op)
        {
            case "sum" or "sum_dim" or "sum_all_dtype":
                var s = op == "sum" ? abs.Sum(Dims(args), Keep(args)) : op == "sum_dim" ? abs.Sum(args.GetProperty("dim").GetInt32(), Keep(args)) : abs.Sum();
                return Times(4, s.ToArray<double>());
            case "mean" or "mean_dim" or "mean_all_dtype":
                var m = op == "mean" ? abs.Mean(Dims(args), Keep(args)) : op == "mean_dim" ? abs.Mean(args.GetProperty("dim").GetInt32(), Keep(args)) : abs.Mean();
                return [.. m.ToArray<double>().Select((v, i) => 4 * v + 0.5 * Math.Abs(e[i]))];
            case "logsumexp":
                return [.. e.Select(v => 8 * (1 + Math.Abs(v)))];
            case "softmax" or "log_softmax":
                return [.. e.Select(v => 8 * (Math.Abs(v) + 1))];
            case "matmul":
                return Times(4, abs.MatMul(x[1].To(DType.Float64).Abs()).ToArray<double>());
            case "prod":
                // n multiplications in some order, each within half an ulp: n eps relative.
                return [.. e.Select(v => ProdTerms(x[0], args) * Math.Abs(v))];
            case "var" or "std":
                // Σ (x - mean)² sums non-negative terms, each within 3 eps; an error δ in the mean
                // changes the sum only by n·δ² (Σ (x - mean) = 0): 8 eps relative, for std too.
                return [.. e.Select(v => 8 * Math.Abs(v))];
            default:
                return null; // selections
        }
    }

    /// <summary>The per-element error allowed on gradient <paramref name="i"/>, in eps; null: bit for bit.</summary>
    private static double[]? GradScale(string op, JsonElement args, Tensor[] x, Tensor y, Tensor g, int i, double[] expectedGrad)
    {
        switch (op)
        {
            case "logsumexp":
            {
                using var _ = Tape.NoGrad();
                var x64 = x[0].To(DType.Float64);
                var dims = Dims(args);
                var keepShape = x64.Sum(dims, keepDim: true).Shape.ToArray();
                var r = y.To(DType.Float64).Reshape(keepShape);
                var grad = (g.To(DType.Float64).Reshape(keepShape) * (x64 - r).Exp()).Abs();
                var bound = grad * ((x64 - r).Abs() + r.Abs() + 1) * 8;
                return bound.ToArray<double>();
            }
            case "matmul":
            {
                // The same products on |a|, |b|, |g|: Σ|terms| of every dot product (and batch sum) in the gradient.
                var a = Detached64(x[0]).Abs();
                var b = Detached64(x[1]).Abs();
                a.RequiresGrad = true;
                b.RequiresGrad = true;
                var grads = Tape.Grad(a.MatMul(b), [a, b], Detached64(g).Abs());
                return Times(4, grads[i].ToArray<double>());
            }
            case "prod":
            {
                // g · result / x, or g times the product of the others: n + 2 roundings of the value.
                double n = ProdTerms(x[0], args) + 2;
                return [.. expectedGrad.Select(v => n * Math.Abs(v))];
            }
            case "var" or "std":
            {
                // g · 2 (x - mean) / (N - correction), std: g / (2 std) in place of g. x - mean is
                // within eps·(|x| + |mean|); the rest are a few roundings of the product.
                using var _ = Tape.NoGrad();
                var x64 = x[0].To(DType.Float64);
                var dims = NullableDims(args) ?? [];
                var keepShape = x64.Sum(dims, keepDim: true).Shape.ToArray();
                int n = x64.NumberOfElements / Math.Max(1, keepShape.Aggregate(1, (p, v) => p * v));
                double divisor = Math.Max(0, n - args.GetProperty("correction").GetInt32());
                var gk = g.To(DType.Float64).Reshape(keepShape);
                if (op == "std") gk = gk / (y.To(DType.Float64).Reshape(keepShape) * 2);
                var bound = (gk * 2 / divisor).Abs() * (x64.Abs() + x64.Mean(dims, keepDim: true).Abs()) * 8;
                return bound.ToArray<double>();
            }
            case "softmax" or "log_softmax":
            {
                // g - Σ(g·s) and g - e^r·Σg: every term is bounded by the size of the dim times max |g| (s ≤ 1).
                int size = x[0].Shape[args.GetProperty("dim").GetInt32() is var d && d < 0 ? d + x[0].Rank : d];
                return [.. Enumerable.Repeat(8.0 * (1 + size * g.Abs().Max().Item()), x[0].NumberOfElements)];
            }
            default:
                return null; // expand, division by n, split among ties: the same operations as PyTorch
        }
    }

    private static Tensor Detached64(Tensor t) => Tensor.FromArray(t.ToArray<double>(), t.Shape.ToArray());

    private static double[] Times(double k, double[] v) => [.. v.Select(x => k * x)];

    /// <summary>The number of factors in each product.</summary>
    private static int ProdTerms(Tensor x, JsonElement args) => args.GetProperty("dim").ValueKind == JsonValueKind.Null
        ? x.NumberOfElements
        : x.Rank == 0 ? 1 : x.Shape[args.GetProperty("dim").GetInt32() is var d && d < 0 ? d + x.Rank : d];

    private static int[]? NullableDims(JsonElement args) => args.GetProperty("dims").ValueKind == JsonValueKind.Null ? null : Dims(args);

    private static int[] Dims(JsonElement args) => [.. args.GetProperty("dims").EnumerateArray().Select(e => e.GetInt32())];

    private static bool Keep(JsonElement args) => args.GetProperty("keep_dim").GetBoolean();

    /// <summary>
    /// |actual - expected| ≤ scale · eps elementwise, eps that of the coarser of the computing dtype
    /// and the compared tensor's (a gradient flows back through a dtype conversion); equal values,
    /// non-finite ones and a null scale must match exactly (both NaN counts as a match).
    /// </summary>
    private static void AssertClose(Tensor actual, Tensor expected, double[]? scale, DType computed, string what)
    {
        double[] a = actual.ToArray<double>(), e = expected.ToArray<double>();
        a.Length.ShouldBe(e.Length, what);
        static double Eps(DType d) => d == DType.Float32 ? Math.Pow(2, -23) : d == DType.Float64 ? Math.Pow(2, -52) : 0;
        double eps = Math.Max(Eps(actual.DType), Eps(computed));
        double worst = 0;
        for (int i = 0; i < a.Length; i++)
        {
            if (a[i] == e[i]) continue;
            if (double.IsNaN(e[i]) || double.IsInfinity(e[i]) || scale is null || double.IsNaN(scale[i]))
            {
                if (!(double.IsNaN(e[i]) && double.IsNaN(a[i])))
                    a[i].ShouldBe(e[i], $"{what}[{i}]");
                continue;
            }
            double tol = scale[i] * eps;
            Math.Abs(a[i] - e[i]).ShouldBeLessThanOrEqualTo(tol, $"{what}[{i}]: {a[i]:R} against PyTorch's {e[i]:R}");
            if (tol > 0) worst = Math.Max(worst, Math.Abs(a[i] - e[i]) / tol);
        }
        if (Environment.GetEnvironmentVariable("REDUCTION_OPS_REPORT") is not null) TestContext.Out.WriteLine($"{what}: worst {worst:F3} of the tolerance");
    }
}
