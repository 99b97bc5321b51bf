using System.Text.Json;
using NUnit.Framework;
using Shouldly;
using static Autograd.Tests.Fixtures.FixtureJson;

namespace Autograd.Tests.Ops;

/// <summary>
/// <see cref="Tensor.Norm(double, int[], bool, DType?)"/> against PyTorch 1.13's <c>torch.norm</c>
/// (<c>tools/gen_norm_fixtures.py</c>): values and gradients for p = 2, 1, ±∞, 0, 3, 1.5, 0.5 and -1,
/// Float32 and Float64, over every dim, one dim and several, zero slices, ties, NaN, a 0-d input and
/// an empty reduction.
/// </summary>
/// <remarks>
/// Tolerances, in eps of the dtype (2^-23, 2^-52):
/// <list type="bullet">
/// <item>p = 0, ±∞ (a count, a selection) and their gradients (zeros; the split among ties by the
/// same operations as PyTorch), p = 1's gradient (sgn(x)·g) and every empty reduction: bit for bit.</item>
/// <item>The other values: (Σ|x|^p)^(1/p) over n terms per output. Here the sum is accumulated in
/// double from exact |x| and x² and rounded once; PyTorch accumulates in the tensor's dtype (8 or 4
/// running partial sums for p = 2 over the last dim, one running sum otherwise), whose error on n
/// positive terms is at most (n + 2)·eps relative in any order. The root 1/p scales a relative
/// error by 1/|p|, and the powers add an ulp each: ((n + 2)/|p| + 2)·eps relative.
/// Measured on these cases: at most 3.7 eps in Float32 and 5.4 in Float64 (p = 0.5 over 300 terms).</item>
/// <item>The gradients: the formulas of PyTorch's <c>norm_backward</c> applied to this library's r,
/// whose relative error δ is the value's: |x|-weighted terms change by (|p - 1| + 1)·δ plus the
/// formula's own few roundings.</item>
/// </list>
/// </remarks>
[TestFixture]
public sealed class NormFixtureTests
{
    private static readonly Dictionary<string, JsonElement> Cases = LoadCases("norm_ops.json");

    public static IEnumerable<TestCaseData> All() => Cases.Keys.Select(n => new TestCaseData(n).SetName(n));

    [TestCaseSource(nameof(All))]
    public void ValueAndGradient_MatchPyTorch(string name)
    {
        var c = Cases[name];
        var args = c.GetProperty("args");
        double p = Decode(args.GetProperty("p"));
        int[]? dims = args.GetProperty("dims").ValueKind == JsonValueKind.Null ? null : [.. args.GetProperty("dims").EnumerateArray().Select(e => e.GetInt32())];
        bool keep = args.GetProperty("keep_dim").GetBoolean();
        var x = Read(c.GetProperty("inputs")[0]);
        x.RequiresGrad = true;

        var y = dims is null ? x.Norm(p) : x.Norm(p, dims, keep);
        var expected = Read(c.GetProperty("output"));
        y.DType.ShouldBe(expected.DType, name);
        y.Shape.ToArray().ShouldBe(expected.Shape.ToArray(), name);
        int terms = Math.Max(1, x.NumberOfElements / Math.Max(1, expected.NumberOfElements));
        bool exact = p == 0 || double.IsInfinity(p) || x.NumberOfElements == 0;
        double valueScale = exact ? 0 : (2 + terms) / Math.Abs(p) + 2;
        AssertClose(y, expected, valueScale, name + " output");

        var g = Read(c.GetProperty("grad_output"));
        var grad = Tape.Grad(y, [x], g)[0];
        var expectedGrad = Read(c.GetProperty("grads")[0]);
        grad.Shape.ToArray().ShouldBe(expectedGrad.Shape.ToArray(), name);
        double gradScale = exact || p == 1 ? 0 : (Math.Abs(p - 1) + 1) * valueScale + 8;
        AssertClose(grad, expectedGrad, gradScale, name + " grad");
    }

    [Test]
    public void Fixture_CoversEveryOrderInBothDTypes()
    {
        var orders = Cases.Values.Select(c => Decode(c.GetProperty("args").GetProperty("p"))).Distinct().ToArray();
        orders.ShouldBe([2, 1, double.PositiveInfinity, double.NegativeInfinity, 0, 3, 1.5, 0.5, -1], ignoreOrder: true);
        Cases.Keys.Count(n => n.EndsWith("_float32", StringComparison.Ordinal)).ShouldBe(Cases.Keys.Count(n => n.EndsWith("_float64", StringComparison.Ordinal)));
    }

    /// <summary>|actual - expected| ≤ scale·eps·|expected| elementwise (scale 0: bit for bit; NaN matches NaN).</summary>
    private static void AssertClose(Tensor actual, Tensor expected, double scale, string what)
    {
        actual.DType.ShouldBe(expected.DType, what);
        double eps = actual.DType == DType.Float32 ? Math.Pow(2, -23) : Math.Pow(2, -52);
        double[] a = actual.ToArray<double>(), e = expected.ToArray<double>();
        a.Length.ShouldBe(e.Length, what);
        double worst = 0;
        for (int i = 0; i < a.Length; i++)
        {
            if (a[i] == e[i] || (double.IsNaN(a[i]) && double.IsNaN(e[i]))) continue;
            double tol = scale * eps * Math.Abs(e[i]);
            Math.Abs(a[i] - e[i]).ShouldBeLessThanOrEqualTo(tol, $"{what}[{i}]: {a[i]:R} against PyTorch's {e[i]:R}");
            worst = Math.Max(worst, Math.Abs(a[i] - e[i]) / (eps * Math.Abs(e[i])));
        }
        if (Environment.GetEnvironmentVariable("NORM_REPORT") is not null) TestContext.Out.WriteLine($"{what}: worst {worst:F2} eps relative (allowed {scale})");
    }
}
