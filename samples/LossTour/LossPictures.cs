using System.Globalization;
using Autograd.Nn;
using Autograd.Samples.Classifiers;

namespace Autograd.Samples;

/// <summary>
/// The pictures of docs/losses.md: for each loss, ℓ and ∂ℓ/∂x against the input x, for a few
/// targets and options, computed by the library (each point is the loss of one element and its
/// gradient from <see cref="Tensor.Backward"/>) and drawn by the samples' own SVG code. The docs'
/// files are regenerated with <c>dotnet run --project samples/LossTour -- --pictures docs/images/losses</c>,
/// and a test fails when they differ from what this code draws, so they cannot drift.
/// </summary>
public static class LossPictures
{
    /// <summary>One curve: a name and ℓ(x) for one element (the library's loss with reduction Sum of a one-element input).</summary>
    private sealed record Curve(string Name, Func<Tensor, Tensor> Loss);

    /// <summary>Every picture, by file name.</summary>
    public static IReadOnlyDictionary<string, string> Render()
    {
        var logits = Grid(-5, 5, 101);
        var probabilities = Grid(0.05, 0.95, 91);
        var errors = Grid(-3, 3, 121);
        Tensor Y(double v) => Tensor.FromArray([(float)v]);
        return new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["bce.svg"] = Chart("BCELoss on a probability p", "input p", probabilities,
            [
                new("target 1", p => Functional.BinaryCrossEntropy(p, Y(1), reduction: Reduction.Sum)),
                new("target 0", p => Functional.BinaryCrossEntropy(p, Y(0), reduction: Reduction.Sum)),
            ]),
            ["bce-with-logits.svg"] = Chart("BCEWithLogitsLoss on a logit x, target 1", "input x (logit)", logits,
            [
                new("posWeight 1", x => Functional.BinaryCrossEntropyWithLogits(x, Y(1), reduction: Reduction.Sum)),
                new("posWeight 3", x => Functional.BinaryCrossEntropyWithLogits(x, Y(1), posWeight: Tensor.FromArray([3f]), reduction: Reduction.Sum)),
            ]),
            ["cross-entropy.svg"] = Chart("CrossEntropyLoss, 2 classes, logits [x, 0], target class 0", "input x (logit of the target class)", logits,
            [
                new("no smoothing", x => Functional.CrossEntropy(Tensor.Concat([x, Tensor.Zeros(1)], 0).Reshape(1, 2), Tensor.FromArray([0L]), reduction: Reduction.Sum)),
                new("labelSmoothing 0.2", x => Functional.CrossEntropy(Tensor.Concat([x, Tensor.Zeros(1)], 0).Reshape(1, 2), Tensor.FromArray([0L]), reduction: Reduction.Sum, labelSmoothing: 0.2)),
            ]),
            ["nll.svg"] = Chart("NLLLoss on a log-probability x of the target class", "input x (log-probability)", Grid(-5, 0, 51),
            [
                new("target class", x => Functional.NllLoss(x.Reshape(1, 1), Tensor.FromArray([0L]), reduction: Reduction.Sum)),
            ]),
            ["regression.svg"] = Chart("MSELoss, L1Loss, HuberLoss (delta 1), target 0", "input x (error x - y)", errors,
            [
                new("MSE", x => Functional.MseLoss(x, Y(0), Reduction.Sum)),
                new("L1", x => Functional.L1Loss(x, Y(0), Reduction.Sum)),
                new("Huber, delta 1", x => Functional.HuberLoss(x, Y(0), Reduction.Sum, delta: 1)),
            ]),
            ["huber-delta.svg"] = Chart("HuberLoss and SmoothL1Loss, target 0", "input x (error x - y)", errors,
            [
                new("Huber, delta 0.5", x => Functional.HuberLoss(x, Y(0), Reduction.Sum, delta: 0.5)),
                new("Huber, delta 2", x => Functional.HuberLoss(x, Y(0), Reduction.Sum, delta: 2)),
                new("SmoothL1, beta 2", x => Functional.SmoothL1Loss(x, Y(0), Reduction.Sum, beta: 2)),
            ]),
        };
    }

    /// <summary>Writes every picture into <paramref name="directory"/>.</summary>
    public static void Write(string directory, TextWriter output)
    {
        Directory.CreateDirectory(directory);
        foreach (var (name, svg) in Render())
        {
            File.WriteAllText(Path.Combine(directory, name), svg);
            output.WriteLine($"wrote {Path.Combine(directory, name)}");
        }
    }

    private static double[] Grid(double from, double to, int points)
        => [.. Enumerable.Range(0, points).Select(i => Math.Round(from + (to - from) * i / (points - 1), 6))];

    /// <summary>ℓ (solid colours) and ∂ℓ/∂x (the same colours, named "slope") of each curve over <paramref name="xs"/>.</summary>
    private static string Chart(string title, string xLabel, double[] xs, Curve[] curves)
    {
        var series = new List<Series>();
        for (int c = 0; c < curves.Length; c++)
        {
            var values = new double[xs.Length];
            var slopes = new double[xs.Length];
            for (int i = 0; i < xs.Length; i++)
            {
                var x = Tensor.FromArray([(float)xs[i]]);
                x.RequiresGrad = true;
                var loss = curves[c].Loss(x);
                loss.Backward();
                values[i] = loss.Item();
                slopes[i] = x.Grad!.Item();
            }
            series.Add(new Series("ℓ, " + curves[c].Name, xs, values, SvgPlot.Palette[c]));
            series.Add(new Series("∂ℓ/∂x, " + curves[c].Name, xs, slopes, SvgPlot.Palette[c], Dashed: true));
        }
        return SvgPlot.LineChart(title, xLabel, "ℓ (solid) and ∂ℓ/∂x (dashed)", series);
    }
}
