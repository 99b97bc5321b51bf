using NUnit.Framework;
using Shouldly;

namespace Autograd.Nn.Tests.Losses;

/// <summary>
/// The classification losses written with primitive ops (LogSoftmax, Gather, weights, Sum): the
/// slow unfused path, whose gradient autograd derives on its own. A reference, not an implementation.
/// </summary>
public static class PrimitiveClassificationLosses
{
    /// <summary>cross_entropy = nll of log_softmax, plus PyTorch's label-smoothing and probability-target forms.</summary>
    public static Tensor CrossEntropy(Tensor x, Tensor target, Tensor? weight, long ignoreIndex, Reduction reduction, double labelSmoothing) =>
        FromLogProbabilities(x.LogSoftmax(x.Rank == 1 ? 0 : 1), target, weight, ignoreIndex, reduction, labelSmoothing);

    /// <summary>nll_loss.</summary>
    public static Tensor NllLoss(Tensor logp, Tensor target, Tensor? weight, long ignoreIndex, Reduction reduction) =>
        FromLogProbabilities(logp, target, weight, ignoreIndex, reduction, 0);

    private static Tensor FromLogProbabilities(Tensor logp, Tensor target, Tensor? weight, long ignoreIndex, Reduction reduction, double e)
    {
        int d = logp.Rank == 1 ? 0 : 1;
        int classes = logp.Shape[d];
        Tensor? wRow = null;
        if (weight is not null)
        {
            var rowShape = Enumerable.Repeat(1, logp.Rank).ToArray();
            rowShape[d] = classes;
            wRow = weight.Reshape(rowShape);
        }

        if (target.DType != DType.Int64)
        {
            // loss_i = -Σ_c w[c] q'_c log p_c; the mean divides by the number of positions.
            var q = e > 0 ? target * (1 - e) + e / classes : target;
            var product = logp * q;
            if (wRow is not null) product = product * wRow;
            var perPosition = -product.Sum(d);
            return reduction switch
            {
                Reduction.None => perPosition,
                Reduction.Sum => perPosition.Sum(),
                _ => perPosition.Sum() / perPosition.NumberOfElements,
            };
        }

        var valid = target.Ne(ignoreIndex);
        var safeTarget = Tensor.Where(valid, target, Tensor.Scalar(0L));
        var validF = valid.To(logp.DType);
        var picked = logp.Gather(d, safeTarget.Unsqueeze(d)).Squeeze(d);
        var targetWeight = weight is null ? Tensor.OnesLike(validF) : weight.Gather(0, safeTarget.Reshape(-1)).Reshape([.. target.Shape]);
        var nll = -picked * targetWeight * validF;
        var smooth = -(wRow is null ? logp : logp * wRow).Sum(d) * validF;
        var total = (targetWeight * validF).Sum();
        return reduction switch
        {
            Reduction.None => e > 0 ? (1 - e) * nll + e / classes * smooth : nll,
            Reduction.Sum => e > 0 ? (1 - e) * nll.Sum() + e / classes * smooth.Sum() : nll.Sum(),
            _ => e > 0 ? (1 - e) * (nll.Sum() / total) + e / classes * (smooth.Sum() / total) : nll.Sum() / total,
        };
    }
}

/// <summary>One configuration of a classification loss on random data.</summary>
public sealed record ClassificationConfig(string Loss, int[] Shape, bool Probabilities, bool Weighted, Reduction Reduction, double LabelSmoothing, DType DType)
{
    /// <summary>Ignored in the index-target configurations (some targets are set to it).</summary>
    public const long Ignore = 2;

    /// <summary>A readable test name.</summary>
    public override string ToString() =>
        $"{Loss}_[{string.Join(",", Shape)}]_{(Probabilities ? "prob" : "index")}_{(Weighted ? "w" : "now")}_{Reduction}_ls{LabelSmoothing}_{DType}";

    /// <summary>Random logits, targets, weight and upstream gradient (deterministic per configuration).</summary>
    public (Tensor X, Tensor Target, Tensor? Weight, Tensor GradOutput) Make()
    {
        var gen = new Generator(ToString().Aggregate(17L, (h, ch) => h * 31 + ch));
        int classDim = Shape.Length == 1 ? 0 : 1;
        int classes = Shape[classDim];
        var x = Tensor.Randn(Shape, gen, DType) * 2;
        Tensor target;
        int[] positionShape = Shape.Where((_, i) => i != classDim).ToArray();
        if (Probabilities)
        {
            target = Tensor.Randn(Shape, gen, DType).Softmax(classDim);
        }
        else
        {
            var t = Tensor.RandInt(0, classes, positionShape, gen);
            var data = t.ToArray<long>();
            // Some ignored, some not. (All ignored is a fixture case: the primitive form's mean is
            // 0/0 with NaN gradients where PyTorch and the fused op give zeros.)
            if (data.Length > 1) data[1] = Ignore;
            else if (data[0] == Ignore) data[0] = Ignore + 1;
            target = Tensor.FromArray(data).Reshape(positionShape).Detach();
        }
        var weight = Weighted ? Tensor.Rand([classes], gen, DType) + 0.5 : null;
        int[] outShape = Reduction == Reduction.None ? positionShape : [];
        var g = Tensor.Randn(outShape, gen, DType);
        return (x.Detach(), target, weight?.Detach(), g.Detach());
    }

    /// <summary>The fused op.</summary>
    public Tensor Fused(Tensor x, Tensor target, Tensor? weight) => Loss == "CrossEntropy"
        ? Nn.Functional.CrossEntropy(x, target, weight, Probabilities ? -100 : Ignore, Reduction, LabelSmoothing)
        : Nn.Functional.NllLoss(x, target, weight, Ignore, Reduction);

    /// <summary>The same loss from primitive ops.</summary>
    public Tensor Primitive(Tensor x, Tensor target, Tensor? weight) => Loss == "CrossEntropy"
        ? PrimitiveClassificationLosses.CrossEntropy(x, target, weight, Probabilities ? -100 : Ignore, Reduction, LabelSmoothing)
        : PrimitiveClassificationLosses.NllLoss(x, target, weight, Ignore, Reduction);
}

/// <summary>
/// Ways 2 and 3 of 3: the fused closed-form gradients equal what autograd derives from the same
/// loss written with primitive ops, and pass finite-difference checks in Float64 (first and, with
/// createGraph, second derivatives).
/// </summary>
[TestFixture]
public sealed class ClassificationLossGradientTests
{
    private static readonly int[][] Shapes = [[5], [4, 5], [3, 5, 2], [2, 5, 2, 3]];

    private static IEnumerable<ClassificationConfig> PrimitiveConfigs()
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        foreach (var shape in Shapes)
        foreach (var reduction in new[] { Reduction.None, Reduction.Mean, Reduction.Sum })
        foreach (bool weighted in new[] { false, true })
        {
            foreach (bool probabilities in new[] { false, true })
            foreach (double e in new[] { 0.0, 0.3 })
                yield return new ClassificationConfig("CrossEntropy", shape, probabilities, weighted, reduction, e, dtype);
            yield return new ClassificationConfig("NllLoss", shape, false, weighted, reduction, 0, dtype);
        }
    }

    private static IEnumerable<ClassificationConfig> GradCheckConfigs() =>
        PrimitiveConfigs().Where(c => c.DType == DType.Float64 && (c.Loss == "NllLoss" || c.Weighted) && c.LabelSmoothing is 0 or 0.3);

    // Fused and primitive forms add the same terms in different orders, and the gradient cancels
    // (a - p Σa): a few ulps of the largest gradient. Float32 1e-6 (~8 ulps), Float64 2e-15.
    private static double Tolerance(DType dtype) => dtype == DType.Float32 ? 1e-6 : 2e-15;

    [TestCaseSource(nameof(PrimitiveConfigs))]
    public void FusedGradient_EqualsAutogradOfPrimitiveOps(ClassificationConfig config)
    {
        var (x0, target0, weight0, g) = config.Make();
        var (x1, target1, weight1) = Leaves(config, x0, target0, weight0);
        var (x2, target2, weight2) = Leaves(config, x0, target0, weight0);

        var fused = config.Fused(x1, target1, weight1);
        var primitive = config.Primitive(x2, target2, weight2);

        fused.Shape.ShouldBe(primitive.Shape);
        double tol = Tolerance(config.DType);
        ShouldBeClose(fused, primitive, tol, "value");
        var inputs1 = Differentiable(config, x1, target1, weight1);
        var inputs2 = Differentiable(config, x2, target2, weight2);
        var grads1 = Tape.Grad(fused, inputs1, g);
        var grads2 = Tape.Grad(primitive, inputs2, g);
        string[] names = ["input", "target", "weight"];
        for (int i = 0; i < grads1.Length; i++) ShouldBeClose(grads1[i], grads2[i], tol, $"{names[i]} gradient");
    }

    [TestCaseSource(nameof(GradCheckConfigs))]
    public void FusedGradient_Float64_PassesGradCheck(ClassificationConfig config)
    {
        var (x, target, weight, _) = config.Make();
        GradCheckResult result = config.Probabilities
            ? GradCheck.Check(v => config.Fused(v[0], v[1], v[2]), [x, target, weight!])
            : GradCheck.Check(v => config.Fused(v[0], target, weight), [x]);
        result.Passed.ShouldBeTrue(result.ToString());
    }

    private static IEnumerable<ClassificationConfig> SecondOrderConfigs() =>
        GradCheckConfigs().Where(c => c.Loss == "CrossEntropy" && c.Shape.Length is 2 or 3 && c.Reduction != Reduction.None);

    [TestCaseSource(nameof(SecondOrderConfigs))]
    public void FusedGradient_CreateGraph_SecondDerivativesPassGradCheck(ClassificationConfig config)
    {
        var (x, target, weight, _) = config.Make();
        // The Jacobian of the gradient (createGraph) is the Hessian; for probability targets also
        // the mixed derivatives in the target and the weight, and the target gradient's in x.
        GradCheckResult result;
        if (config.Probabilities)
        {
            result = GradCheck.Check(v =>
            {
                using var _ = Tape.EnableGrad();
                var loss = config.Fused(v[0], v[1], v[2]);
                var grads = Tape.Grad(loss, [v[0], v[1]], createGraph: true);
                return Tensor.Concat([grads[0].Reshape(-1), grads[1].Reshape(-1)], 0);
            }, [x, target, weight!]);
        }
        else
        {
            result = GradCheck.Check(v =>
            {
                using var _ = Tape.EnableGrad();
                return Tape.Grad(config.Fused(v[0], target, weight), [v[0]], createGraph: true)[0];
            }, [x]);
        }
        result.Passed.ShouldBeTrue(result.ToString());
    }

    private static (Tensor X, Tensor Target, Tensor? Weight) Leaves(ClassificationConfig config, Tensor x, Tensor target, Tensor? weight)
    {
        var xl = x.Clone();
        xl.RequiresGrad = true;
        var tl = target.Clone();
        var wl = weight?.Clone();
        if (config.Probabilities)
        {
            tl.RequiresGrad = true;
            if (wl is not null) wl.RequiresGrad = true;
        }
        return (xl, tl, wl);
    }

    private static Tensor[] Differentiable(ClassificationConfig config, Tensor x, Tensor target, Tensor? weight) =>
        !config.Probabilities ? [x] : weight is null ? [x, target] : [x, target, weight];

    private static void ShouldBeClose(Tensor actual, Tensor expected, double tol, string what)
    {
        var a = actual.ToArray<double>();
        var e = expected.ToArray<double>();
        a.Length.ShouldBe(e.Length, what);
        double scale = e.Where(double.IsFinite).Select(Math.Abs).DefaultIfEmpty(0).Max();
        for (int i = 0; i < a.Length; i++)
        {
            if (double.IsNaN(e[i])) { double.IsNaN(a[i]).ShouldBeTrue($"{what}[{i}]"); continue; }
            Math.Abs(a[i] - e[i]).ShouldBeLessThanOrEqualTo(tol * (Math.Abs(e[i]) + scale), $"{what}[{i}]: fused {a[i]:R}, primitive {e[i]:R}");
        }
    }
}
