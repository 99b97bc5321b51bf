using System.Globalization;
using Autograd.Nn;

namespace Autograd.Samples;

/// <summary>
/// A tour of the loss functions through small worked examples. Every value and gradient the
/// library computes is printed next to its closed form, computed here by hand in double
/// precision with <see cref="Math"/>, so you can see both that the formulas are right and where
/// float32 rounding starts to matter.
/// </summary>
public static class LossTour
{
    /// <summary>
    /// Prints the tour to <paramref name="output"/> and returns the key numbers it printed, by name
    /// (the smoke test compares them with PyTorch 1.13's).
    /// </summary>
    public static IReadOnlyDictionary<string, double> Run(TextWriter output)
    {
        var numbers = new Dictionary<string, double>();
        void Say(FormattableString line) => output.WriteLine(FormattableString.Invariant(line));
        double Keep(string key, double value) => numbers[key] = value;
        void KeepAll(string key, float[] values)
        {
            for (int i = 0; i < values.Length; i++) numbers[$"{key}[{i}]"] = values[i];
        }

        // ------------------------------------------------------------------------------------
        Say($"1. BCELoss(Sigmoid(x)) and BCEWithLogitsLoss(x) are the same loss");
        Say($"   loss = mean over elements of -[y log σ(x) + (1 - y) log(1 - σ(x))],  gradient = (σ(x) - y) / N");
        var x = Tensor.FromArray(new float[,] { { 0.4f, 0.7f, 1.2f, 0.3f }, { 1.1f, 0.6f, 0.9f, 1.6f } });
        var y = Tensor.FromArray(new float[,] { { 1, 0, 1, 0 }, { 0, 1, 1, 0 } });
        x.RequiresGrad = true;

        var bce = new BCELoss().Forward(x.Sigmoid(), y);
        float[] bceGrad = GradOf(bce, x);
        var bceWithLogits = new BCEWithLogitsLoss().Forward(x, y);
        float[] bceWithLogitsGrad = GradOf(bceWithLogits, x);

        double[] xs = x.ToArray<double>(), ys = y.ToArray<double>();
        double bceByHand = Enumerable.Range(0, xs.Length).Average(i => -(ys[i] * Math.Log(Sigmoid(xs[i])) + (1 - ys[i]) * Math.Log(1 - Sigmoid(xs[i]))));
        double[] gradByHand = xs.Select((xi, i) => (Sigmoid(xi) - ys[i]) / xs.Length).ToArray();

        Say($"   BCELoss(Sigmoid(x), y)   = {Keep("bce_sigmoid", bce.Item()):F9}");
        Say($"   BCEWithLogitsLoss(x, y)  = {Keep("bce_with_logits", bceWithLogits.Item()):F9}");
        Say($"   by hand                  = {bceByHand:F9}");
        float ulp = MathF.BitIncrement((float)bceByHand) - (float)bceByHand;
        Say($"   (they differ by {Math.Abs(bce.Item() - bceWithLogits.Item()):0.0E+0}; one float32 ulp here is {ulp:0.0E+0}: the same loss, rounded along different paths)");
        Say($"   gradient, BCELoss(Sigmoid): {Format(bceGrad)}");
        Say($"   gradient, BCEWithLogits:    {Format(bceWithLogitsGrad)}");
        Say($"   gradient, by hand:          {Format(gradByHand)}");
        KeepAll("bce_sigmoid_grad", bceGrad);
        KeepAll("bce_with_logits_grad", bceWithLogitsGrad);
        Say($"");

        // ------------------------------------------------------------------------------------
        Say($"2. BCELoss(sigmoid([0.2, 0.4, 0.6]), [0, 1, 1])");
        var p = Tensor.FromArray([0.2f, 0.4f, 0.6f], 3).Sigmoid();
        var t = Tensor.FromArray([0f, 1f, 1f], 3);
        double[] ps = [Sigmoid(0.2), Sigmoid(0.4), Sigmoid(0.6)], ts = [0, 1, 1];
        double[] perElementByHand = ps.Select((pi, i) => -(ts[i] * Math.Log(pi) + (1 - ts[i]) * Math.Log(1 - pi))).ToArray();
        Say($"   BCELoss = {Keep("bce_blog", new BCELoss().Forward(p, t).Item()):F9}");
        Say($"   by hand = (-log(1 - σ(0.2)) - log σ(0.4) - log σ(0.6)) / 3 = ({perElementByHand[0]:F4} + {perElementByHand[1]:F4} + {perElementByHand[2]:F4}) / 3 = {perElementByHand.Average():F9}");
        Say($"   (a widely copied blog post prints 0.4661 for this call: that number is wrong)");
        Say($"");

        // ------------------------------------------------------------------------------------
        Say($"3. Reductions: None keeps one loss per element, Sum adds them, Mean divides the sum by N = {p.NumberOfElements}");
        float[] none = new BCELoss(reduction: Reduction.None).Forward(p, t).ToArray<float>();
        double sum = Keep("reduction_sum", new BCELoss(reduction: Reduction.Sum).Forward(p, t).Item());
        double mean = Keep("reduction_mean", new BCELoss(reduction: Reduction.Mean).Forward(p, t).Item());
        KeepAll("reduction_none", none);
        Say($"   None = {Format(none)}   (by hand {Format(perElementByHand)})");
        Say($"   Sum  = {sum:F7}");
        Say($"   Mean = {mean:F7} = Sum / {p.NumberOfElements}");
        Say($"");

        // ------------------------------------------------------------------------------------
        Say($"4. A per-element weight as a mask: weight 0 removes an element from the loss and from the gradient");
        var pLeaf = p.Detach();
        pLeaf.RequiresGrad = true;
        var mask = Tensor.FromArray([1f, 0f, 1f], 3);
        float[] maskedNone = new BCELoss(mask, Reduction.None).Forward(pLeaf, t).ToArray<float>();
        double maskedSum = Keep("mask_sum", new BCELoss(mask, Reduction.Sum).Forward(pLeaf, t).Item());
        var maskedMean = new BCELoss(mask).Forward(pLeaf, t);
        Keep("mask_mean", maskedMean.Item());
        float[] maskedGrad = GradOf(maskedMean, pLeaf);
        KeepAll("mask_none", maskedNone);
        KeepAll("mask_grad", maskedGrad);
        double[] maskedGradByHand = ps.Select((pi, i) => new[] { 1.0, 0, 1 }[i] * (pi - ts[i]) / (pi * (1 - pi)) / 3).ToArray();
        Say($"   weight = [1, 0, 1]");
        Say($"   None = {Format(maskedNone)}");
        Say($"   Sum  = {maskedSum:F7}");
        Say($"   Mean = {maskedMean.Item():F7} = Sum / 3: Mean divides by the number of elements, masked ones included,");
        Say($"          not by the weights' sum; for the mean over the kept elements use Sum / weight.Sum() = {maskedSum / 2:F7}");
        Say($"   gradient of Mean w.r.t. the probabilities = w (p - y) / (p (1 - p)) / N = {Format(maskedGrad)}");
        Say($"   by hand                                                         = {Format(maskedGradByHand)}");
        Say($"");

        // ------------------------------------------------------------------------------------
        Say($"5. posWeight for an imbalanced problem: 1 positive among 10 samples, every logit 0 (p = 0.5)");
        var logits = Tensor.Zeros(10);
        logits.RequiresGrad = true;
        var labels = Tensor.FromArray([1f, 0, 0, 0, 0, 0, 0, 0, 0, 0], 10);
        var plain = new BCEWithLogitsLoss().Forward(logits, labels);
        float[] plainGrad = GradOf(plain, logits);
        var posWeight = Tensor.Scalar(9f);   // negatives / positives = 9 / 1
        var weighted = new BCEWithLogitsLoss(posWeight: posWeight).Forward(logits, labels);
        float[] weightedGrad = GradOf(weighted, logits);
        Say($"   gradient = (σ(x) (p y + 1 - y) - p y) / N; its sum is what a shared bias would receive");
        Say($"   without posWeight: loss {Keep("pos_weight_none_loss", plain.Item()):F7}, gradient {Format(plainGrad[..2])} ..., sum {Keep("pos_weight_none_grad_sum", plainGrad.Sum()):F7}");
        Say($"                      the bias is pushed down until σ(b) = 1/10, b = log(1/9) = {Math.Log(1.0 / 9):F4}: the model learns to say 'no'");
        Say($"   posWeight = 9:     loss {Keep("pos_weight_9_loss", weighted.Item()):F7}, gradient {Format(weightedGrad[..2])} ..., sum {Keep("pos_weight_9_grad_sum", weightedGrad.Sum()):F7}");
        Say($"                      by hand: loss = (9 + 9) log 2 / 10 = {18 * Math.Log(2) / 10:F7}, gradient (-9/2) / 10 = -0.45 and (1/2) / 10 = 0.05, sum 0:");
        Say($"                      the positive counts as much as the nine negatives, and b = 0 is already balanced");
        Say($"");

        // ------------------------------------------------------------------------------------
        Say($"6. CrossEntropyLoss on logits [[4, 8, 3]]: loss = -x[label] + log(Σ exp(x)), gradient = softmax(x) - onehot(label)");
        var scores = Tensor.FromArray(new float[,] { { 4, 8, 3 } });
        scores.RequiresGrad = true;
        double logSumExp = Math.Log(Math.Exp(4) + Math.Exp(8) + Math.Exp(3));
        double[] softmax = [Math.Exp(4 - logSumExp), Math.Exp(8 - logSumExp), Math.Exp(3 - logSumExp)];
        double[] scoreValues = [4, 8, 3];
        for (int label = 0; label < 3; label++)
        {
            var ce = new CrossEntropyLoss().Forward(scores, Tensor.FromArray([(long)label], 1));
            float[] ceGrad = GradOf(ce, scores);
            KeepAll($"ce_label{label}_grad", ceGrad);
            double[] ceGradByHand = softmax.Select((s, c) => s - (c == label ? 1 : 0)).ToArray();
            Say($"   label {label}: loss {Keep($"ce_label{label}", ce.Item()):F7}, by hand -{scoreValues[label]} + {logSumExp:F7} = {-scoreValues[label] + logSumExp:F7}");
            Say($"            gradient {Format(ceGrad)}, by hand {Format(ceGradByHand)}");
        }
        Say($"");

        // ------------------------------------------------------------------------------------
        Say($"7. CrossEntropyLoss(x, t) is NLLLoss(LogSoftmax(x), t): one fused op instead of two");
        var batch = Tensor.FromArray(new float[,] { { 4, 8, 3 }, { 0.5f, -1, 2 }, { 1, 1, 1 } });
        batch.RequiresGrad = true;
        var targets = Tensor.FromArray([1L, 2, 0], 3);
        var fused = new CrossEntropyLoss().Forward(batch, targets);
        float[] fusedGrad = GradOf(fused, batch);
        var twoSteps = new NLLLoss().Forward(batch.LogSoftmax(1), targets);
        float[] twoStepsGrad = GradOf(twoSteps, batch);
        Say($"   x = [[4, 8, 3], [0.5, -1, 2], [1, 1, 1]], t = [1, 2, 0]");
        Say($"   CrossEntropyLoss           = {Keep("ce_batch", fused.Item()):F9}");
        Say($"   NLLLoss(LogSoftmax(x, 1))  = {Keep("nll_batch", twoSteps.Item()):F9}");
        Say($"   largest gradient difference: {fusedGrad.Zip(twoStepsGrad, (a, b) => Math.Abs(a - b)).Max():0.0E+0}");
        Say($"");

        // ------------------------------------------------------------------------------------
        const double e = 0.1;
        Say($"8. Label smoothing e = {e}: the target is (1 - e) onehot + e / C, so the loss mixes in the mean of -log p over all classes");
        var smoothed = new CrossEntropyLoss(labelSmoothing: e).Forward(scores, Tensor.FromArray([1L], 1));
        float[] smoothedGrad = GradOf(smoothed, scores);
        KeepAll("smoothing_grad", smoothedGrad);
        double[] minusLogP = scoreValues.Select(v => logSumExp - v).ToArray();
        double smoothedByHand = (1 - e) * minusLogP[1] + e * minusLogP.Average();
        double[] smoothedGradByHand = softmax.Select((s, c) => s - ((1 - e) * (c == 1 ? 1 : 0) + e / 3)).ToArray();
        Say($"   label 1: loss {Keep("smoothing", smoothed.Item()):F7}, by hand (1 - e) {minusLogP[1]:F7} + e ({minusLogP[0]:F4} + {minusLogP[1]:F4} + {minusLogP[2]:F4}) / 3 = {smoothedByHand:F7}");
        Say($"            gradient {Format(smoothedGrad)}, by hand {Format(smoothedGradByHand)}");
        Say($"   a confident right answer now costs more than {minusLogP[1]:F4}: smoothing discourages ever-larger logits");
        Say($"");

        // ------------------------------------------------------------------------------------
        Say($"9. Why BCEWithLogitsLoss beats Sigmoid + BCELoss for extreme logits (target 0)");
        Say($"   exact: loss = log(1 + e^x) ≈ x, gradient = σ(x) ≈ 1");
        Say($"   In float32 σ(x) rounds to exactly 1 once x passes about 16.6, so log(1 - σ(x)) = log 0 = -inf, which BCELoss clamps at -100;");
        Say($"   its gradient is then 1 / max(σ(1 - σ), 1e-12) = 1e12 times Sigmoid's local derivative σ(1 - σ) = 0, that is 0.");
        Say($"          Sigmoid + BCELoss     BCEWithLogitsLoss     exact");
        Say($"            loss  gradient        loss  gradient        loss  gradient");
        foreach (float v in new[] { 20f, 50f, 100f })
        {
            var logit = Tensor.FromArray([v], 1);
            logit.RequiresGrad = true;
            var zero = Tensor.FromArray([0f], 1);
            var viaSigmoid = new BCELoss().Forward(logit.Sigmoid(), zero);
            double viaSigmoidGrad = Keep($"extreme{v}_sigmoid_bce_grad", GradOf(viaSigmoid, logit)[0]);
            var withLogits = new BCEWithLogitsLoss().Forward(logit, zero);
            double withLogitsGrad = Keep($"extreme{v}_with_logits_grad", GradOf(withLogits, logit)[0]);
            Keep($"extreme{v}_sigmoid_bce", viaSigmoid.Item());
            Keep($"extreme{v}_with_logits", withLogits.Item());
            double exact = v + Math.Log(1 + Math.Exp(-v));
            Say($"   x = {v,3}  {viaSigmoid.Item(),6:F1}  {viaSigmoidGrad,8:F1}      {withLogits.Item(),6:F1}  {withLogitsGrad,8:F1}      {exact,6:F1}  {Sigmoid(v),8:F1}");
        }
        Say($"   BCEWithLogitsLoss never forms σ(x): it computes (1 - y) x + m + log(e^-m + e^(-x - m)) with m = max(-x, 0)");
        Say($"   (the log-sum-exp trick), where no exponential can overflow and nothing rounds to log 0.");
        return numbers;
    }

    private static float[] GradOf(Tensor loss, Tensor input) => Tape.Grad(loss, [input])[0].ToArray<float>();

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    private static string Format(IEnumerable<float> values) => Format(values.Select(v => (double)v));

    // Adding 0.0 turns -0 (a masked weight times a negative gradient) into 0 for printing.
    private static string Format(IEnumerable<double> values)
        => "[" + string.Join(", ", values.Select(v => (v + 0.0).ToString("0.0000000", CultureInfo.InvariantCulture))) + "]";
}
