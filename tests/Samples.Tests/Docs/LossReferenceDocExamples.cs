using Autograd;
using Autograd.Nn;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Samples.Tests.Docs;

/// <summary>
/// The readable cross entropy of docs/losses.md ("The readable version"): the classification
/// losses written with primitive ops, the same reference tests/Nn.Tests/Losses uses to check the
/// fused op's gradient. Here it is checked against the fused op on the doc's examples.
/// </summary>
[TestFixture]
public sealed class LossReferenceDocExamples
{
    [Test]
    public void ReadableCrossEntropy_DocExamples_MatchTheFusedOp()
    {
        var logits = Tensor.FromArray(new float[,] { { 2.0f, 0.5f, -1.0f }, { 0.1f, 1.5f, 0.3f }, { -0.4f, 0.2f, 2.2f }, { 1f, 1f, 1f } });
        var labels = Tensor.FromArray([0L, 2L, 2L, -100L]);
        var weight = Tensor.FromArray([1f, 2f, 0.5f]);
        foreach (var reduction in new[] { Reduction.None, Reduction.Sum, Reduction.Mean })
            foreach (double e in new[] { 0.0, 0.1 })
            {
                var fused = Functional.CrossEntropy(logits, labels, weight, -100, reduction, e).ToArray<float>();
                var readable = PrimitiveClassificationLosses.CrossEntropy(logits, labels, weight, -100, reduction, e).ToArray<float>();
                // The two add in different orders: a few float32 ulps of the loss (1e-6 relative).
                for (int i = 0; i < fused.Length; i++) readable[i].ShouldBe(fused[i], 1e-6 * Math.Max(1, Math.Abs(fused[i])));
            }
    }
}

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
