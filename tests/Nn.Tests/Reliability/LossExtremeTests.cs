using System.Text.Json;
using NUnit.Framework;
using Shouldly;
using F = Autograd.Nn.Functional;

namespace Autograd.Nn.Tests.Reliability;

/// <summary>
/// Numerical extremes of the losses (issue 6): logits of ±1e4 through CrossEntropy, NllLoss and
/// BCEWithLogits, probabilities of exactly 0 and 1 through BCELoss, C = 10,000 classes: finite
/// losses and gradients equal to PyTorch's (tools/gen_reliability_fixtures.py).
/// </summary>
/// <remarks>
/// Tolerance, as in the core's extremes: 4 ulps of each expected element, or 2 ulps of the
/// tensor's scale (its largest expected element, and 1 for a gradient: the losses' gradients are
/// differences of O(1) probabilities, so an element far below 1 is only as accurate as one rounding of 1).
/// </remarks>
[TestFixture]
public sealed class LossExtremeTests
{
    private const double MaxUlps = 4;

    private static IEnumerable<TestCaseData> Cases() => ExtremesFixture.Cases
        .Select(c => c.GetProperty("name").GetString()!)
        .Select(name => new TestCaseData(name).SetArgDisplayNames(name));

    private static Reduction ReductionOf(JsonElement c) => c.GetProperty("reduction").GetString() switch
    {
        "none" => Reduction.None,
        "sum" => Reduction.Sum,
        _ => Reduction.Mean,
    };

    private static Tensor? Optional(JsonElement c, string name, DType dtype)
        => c.GetProperty(name).ValueKind == JsonValueKind.Null ? null : ExtremesFixture.Tensor(c.GetProperty(name), dtype);

    /// <summary>Class indices (Int64) for CrossEntropy / NllLoss unless the target has the input's shape (probabilities).</summary>
    private static Tensor Target(JsonElement c, DType dtype, Tensor input)
    {
        var t = c.GetProperty("target");
        bool indices = c.GetProperty("loss").GetString() is "cross_entropy" or "nll" && !ExtremesFixture.Shape(t).SequenceEqual(input.Shape);
        return indices
            ? Tensor.FromArray(ExtremesFixture.Data(t).Select(v => (long)v).ToArray(), ExtremesFixture.Shape(t))
            : ExtremesFixture.Tensor(t, dtype);
    }

    [TestCaseSource(nameof(Cases))]
    public void Loss_ExtremeInputs_FiniteAndEqualToPyTorch(string name)
    {
        var c = ExtremesFixture.Case(name);
        var dtype = ExtremesFixture.DTypeOf(c);
        var x = c.TryGetProperty("input_formula", out var formula)
            ? ExtremesFixture.FormulaLogits(formula, dtype)
            : ExtremesFixture.Tensor(c.GetProperty("input"), dtype);
        x.RequiresGrad = true;
        var target = Target(c, dtype, x);
        var weight = Optional(c, "weight", dtype);
        var reduction = ReductionOf(c);
        var loss = c.GetProperty("loss").GetString() switch
        {
            "cross_entropy" => F.CrossEntropy(x, target, weight, reduction: reduction, labelSmoothing: c.GetProperty("label_smoothing").GetDouble()),
            "nll" => F.NllLoss(x, target, weight, reduction: reduction),
            "bce_logits" => F.BinaryCrossEntropyWithLogits(x, target, weight, Optional(c, "pos_weight", dtype), reduction),
            _ => F.BinaryCrossEntropy(x, target, weight, reduction),
        };
        var grad = Tape.Grad(loss, [x], ExtremesFixture.Tensor(c.GetProperty("grad_output"), dtype))[0];

        Compare(name + " loss", loss.ToArray<double>(), ExtremesFixture.Data(c.GetProperty("loss_value")), dtype, 0);
        if (c.TryGetProperty("grad_input", out var gradInput))
        {
            Compare(name + " gradient", grad.ToArray<double>(), ExtremesFixture.Data(gradInput), dtype, 1);
            return;
        }

        // C = 10,000: the gradient at chosen entries, its absolute sum and its row sums.
        var summary = c.GetProperty("grad_summary");
        int classes = x.Shape[1];
        double[] g = grad.ToArray<double>();
        g.ShouldAllBe(v => double.IsFinite(v), name);
        var at = summary.GetProperty("at").EnumerateArray().Select(p => p[0].GetInt32() * classes + p[1].GetInt32()).ToArray();
        Compare(name + " gradient entries", at.Select(i => g[i]).ToArray(), summary.GetProperty("values").EnumerateArray().Select(ExtremesFixture.Number).ToArray(), dtype, 1);
        double absSum = g.Sum(Math.Abs), expectedAbsSum = summary.GetProperty("abs_sum").GetDouble();
        Math.Abs(absSum - expectedAbsSum).ShouldBeLessThanOrEqualTo(1e-5 * expectedAbsSum, $"{name}: Σ|grad| {absSum:R} vs PyTorch {expectedAbsSum:R}");
        var rowSums = summary.GetProperty("row_sums").EnumerateArray().Select(ExtremesFixture.Number).ToArray();
        for (int n = 0; n < rowSums.Length; n++)
        {
            // Σ_c of a row of softmax - target is 0; C roundings of at most an ulp of the row's largest entry each.
            var row = g.Skip(n * classes).Take(classes).ToArray();
            double bound = classes * Math.Pow(2, dtype == DType.Float32 ? -23 : -52) * row.Max(Math.Abs);
            Math.Abs(row.Sum()).ShouldBeLessThanOrEqualTo(bound, $"{name}: row {n} sums to {row.Sum():R} (PyTorch {rowSums[n]:R})");
            TestContext.Out.WriteLine($"{name}: row {n} sums to {row.Sum():E2}, PyTorch {rowSums[n]:E2}, bound {bound:E2}");
        }
    }

    private static void Compare(string what, double[] a, double[] e, DType dtype, double scaleFloor)
    {
        a.Length.ShouldBe(e.Length, what);
        double scale = Math.Max(scaleFloor, e.Where(double.IsFinite).Select(Math.Abs).DefaultIfEmpty(0).Max());
        double floor = 2 * (dtype == DType.Float32 ? Math.Pow(2, -23) : Math.Pow(2, -52)) * scale;
        double worst = 0;
        for (int i = 0; i < e.Length; i++)
        {
            if (double.IsFinite(e[i])) double.IsFinite(a[i]).ShouldBeTrue($"{what}[{i}]: {a[i]} where PyTorch gives {e[i]}");
            double ulps = ExtremesFixture.Ulps(a[i], e[i], dtype);
            (ulps <= MaxUlps || Math.Abs(a[i] - e[i]) <= floor).ShouldBeTrue($"{what}[{i}]: {a[i]:R} vs PyTorch {e[i]:R} ({ulps:G3} ulps)");
            if (ulps <= MaxUlps) worst = Math.Max(worst, ulps);
        }
        TestContext.Out.WriteLine($"{what}: worst {worst:G3} ulps");
    }
}
