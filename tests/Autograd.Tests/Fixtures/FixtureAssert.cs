using System.Globalization;
using System.Text;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Tests.Fixtures;

/// <summary>
/// Tolerances for comparing against PyTorch, per tolerance class (chosen by the fixture
/// generator for each case) and dtype of the compared tensor. A value passes when
/// |actual - expected| &lt;= Rel * |expected| + Abs.
/// </summary>
/// <remarks>
/// Inputs and grad_outputs are O(1) (standard normal or in [0.25, 1.75]) everywhere except the
/// few "wide"/"extreme" cases, so the absolute terms are expressed relative to ulp(1):
/// ulp(1) = 2^-23 = 1.19e-7 for float32 and 2^-52 = 2.2e-16 for float64.
/// </remarks>
public static class Tolerances
{
    /// <summary>The (relative, absolute) tolerance for a tolerance class and dtype.</summary>
    public static (double Rel, double Abs) For(string tolClass, DType dtype)
    {
        bool f32 = dtype == DType.Float32;
        return tolClass switch
        {
            // Pure data movement or selection (reshape, transpose, narrow, select, concat, stack,
            // gather, where, max/min values and their gradients, argmax, comparison masks): no
            // arithmetic happens, so the result must be bit-identical (up to the sign of zero).
            "exact" => (0, 0),

            // One pointwise op and its derivative formula (2-3 rounded operations). float32:
            // 1e-6 relative is ~8 ulps, enough for the 1-ulp differences between PyTorch's SLEEF
            // vectorised exp/log/tanh and .NET's MathF; the absolute 2 ulp(1) = 2.4e-7 covers
            // derivatives computed from saturated O(1) outputs (1 - tanh^2, s * (1 - s)) whose
            // absolute error is a rounding of a value near 1. float64: 1e-12 relative, and
            // ~4.5 ulp(1) absolute for the same reason.
            "elementwise" => f32 ? (1e-6, 2.4e-7) : (1e-12, 1e-15),

            // Short reductions (<= 24 terms), softmax / log_softmax / logsumexp over <= 5 terms,
            // broadcast-gradient sums (expand, gather with duplicate indices, where with
            // broadcasting). The summation order differs from PyTorch's vectorised order; the
            // error of an n-term sum is bounded by ~n * eps * sum|x_i|, a few ulps of
            // sum|x_i| ~ 10 here: float32 1e-6 absolute (~8 ulp(1)) and 2e-6 relative.
            "reduction" => f32 ? (2e-6, 1e-6) : (1e-12, 1e-14),

            // 256-term reductions of standard normals. PyTorch sums float32 pairwise (cascade), so
            // its error is ~log2(n) * eps * sum|x|; a float32 sum with n-term sequential
            // accumulation is ~sqrt(n) times worse. 1e-5 (sum|x| ~ 200, ~1e-7 relative to it)
            // accepts any reasonably accurate summation but not a badly accumulating one.
            "long_reduction" => f32 ? (1e-5, 1e-5) : (1e-12, 1e-13),

            // Dot products of length K <= 7 (PyTorch calls MKL/OpenBLAS gemm: blocked order and
            // FMAs), error bound K * eps * sum|a_k b_k|: same reasoning as "reduction".
            "matmul" => f32 ? (2e-6, 1e-6) : (1e-12, 1e-14),

            // Compositions of 5-10 ops (and second-order gradients, which run the backward
            // formulas of every op once more): each step is a few ulps, amplified by the
            // conditioning of the composition (log_softmax of sums, division by a standard
            // deviation in layer norm, products of derivatives). 10x the per-op tolerance.
            "chain" => f32 ? (1e-5, 2e-6) : (1e-11, 1e-13),

            _ => throw new ArgumentException($"Unknown tolerance class '{tolClass}'.", nameof(tolClass)),
        };
    }
}

/// <summary>Compares a <see cref="Tensor"/> with a <see cref="FixtureTensor"/>.</summary>
public static class FixtureAssert
{
    private const int MaxListed = 6;

    /// <summary>Asserts dtype, shape and values (within the tolerance class for the expected dtype).</summary>
    public static void Matches(Tensor? actual, FixtureTensor expected, string tolClass, string what, string caseName)
    {
        actual.ShouldNotBeNull($"{caseName}: {what} is null");
        actual.DType.ShouldBe(expected.DType, $"{caseName}: {what} dtype");
        actual.Shape.ToArray().ShouldBe(expected.Shape, $"{caseName}: {what} shape");
        actual.NumberOfElements.ShouldBe(expected.Count, $"{caseName}: {what} element count");

        double[] values = ValuesOf(actual);
        (double rel, double abs) = expected.DType == DType.Int64 ? (0, 0) : Tolerances.For(tolClass, expected.DType);

        var failures = new List<(int Index, double Expected, double Actual, double Diff, double Allowed)>();
        for (int i = 0; i < values.Length; i++)
        {
            double e = expected[i];
            double a = values[i];
            double diff = Math.Abs(a - e);
            double allowed = rel * Math.Abs(e) + abs;
            if (!(diff <= allowed)) // also catches NaN
                failures.Add((i, e, a, diff, allowed));
        }
        if (failures.Count == 0)
            return;

        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture,
            $"{caseName}: {what} ({expected.DType}, shape [{string.Join(",", expected.Shape)}]) differs from PyTorch in {failures.Count} of {values.Length} elements (tolerance class '{tolClass}': rel {rel:G3}, abs {abs:G3}).");
        foreach (var f in failures.OrderByDescending(f => f.Diff / Math.Max(f.Allowed, double.Epsilon)).Take(MaxListed))
        {
            sb.AppendLine();
            sb.Append(CultureInfo.InvariantCulture,
                $"  [{FormatIndex(f.Index, expected.Shape)}] expected {f.Expected:R} actual {f.Actual:R} |diff| {f.Diff:G3} > {f.Allowed:G3}");
        }
        Assert.Fail(sb.ToString());
    }

    /// <summary>The elements of a tensor as doubles (exact for every dtype used in fixtures).</summary>
    public static double[] ValuesOf(Tensor t) => t.DType switch
    {
        DType.Float32 => Array.ConvertAll(t.ToArray<float>(), v => (double)v),
        DType.Float64 => t.ToArray<double>(),
        _ => Array.ConvertAll(t.ToArray<long>(), v => (double)v),
    };

    private static string FormatIndex(int flat, int[] shape)
    {
        if (shape.Length == 0)
            return "";
        var idx = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            idx[d] = flat % shape[d];
            flat /= shape[d];
        }
        return string.Join(",", idx);
    }
}
