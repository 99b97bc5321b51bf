using F = Autograd.Nn.Functional;

namespace Autograd.Nn.Tests.Reliability;

public static partial class NnCatalogue
{
    /// <summary>CrossEntropy / NllLoss, functional or module, with every option.</summary>
    private sealed record ClassForm(string Name, bool CrossEntropy, Func<Tensor, Tensor, Tensor?, long, Reduction, double, Tensor> Apply);

    private static readonly ClassForm[] ClassForms =
    [
        new("F.CrossEntropy", true, (x, t, w, i, r, e) => F.CrossEntropy(x, t, w, i, r, e)),
        new("CrossEntropyLoss", true, (x, t, w, i, r, e) => new CrossEntropyLoss(w, i, r, e).Forward(x, t)),
        new("F.NllLoss", false, (x, t, w, i, r, _) => F.NllLoss(x, t, w, i, r)),
        new("NLLLoss", false, (x, t, w, i, r, _) => new NLLLoss(w, i, r).Forward(x, t)),
    ];

    private static IEnumerable<BadCall> ClassificationCases()
    {
        foreach (var form in ClassForms)
        {
            string n = form.Name;
            // (N = 4, C = 5) unless stated.
            Tensor Call(Tensor? x = null, Tensor? t = null, Tensor? w = null, long ignore = -100, Reduction r = Reduction.Mean, double e = 0)
                => form.Apply(x ?? Half(4, 5), t ?? Labels(0, 1, 2, 3), w, ignore, r, e);

            // Targets of the wrong dtype or shape.
            yield return Arg(Kind.DType, $"{n} Float32 class indices", () => Call(t: Tensor.FromArray(new[] { 0f, 1, 2, 3 })), "target", "Int64 class indices of shape [4]", "Float32 of shape [4]");
            yield return Arg(Kind.DType, $"{n} Float64 class indices", () => Call(t: Tensor.FromArray(new[] { 0.0, 1, 2, 3 })), "target", "Int64", "Float64 of shape [4]");
            yield return Arg(Kind.DType, $"{n} Int64 input", () => Call(x: Int(4, 5)), "input", "Int64");
            yield return Arg(Kind.DType, $"{n} Float64 probabilities for a Float32 input", () => Call(t: Full(DType.Float64, 0.2, 4, 5)), "target", "Float64");
            yield return Arg(Kind.DType, $"{n} Int64 probabilities (target of the input's shape)", () => Call(t: Int(4, 5)), "target", "Int64", "[4, 5]");
            foreach (var (xs, ts) in new (int[], int[])[] { ([4, 5], [3]), ([4, 5], [4, 1]), ([4, 5], []), ([2, 5, 3], [2, 5]), ([2, 5, 3], [2, 3, 1]), ([5], [1]), ([4, 5], [5, 4]) })
                yield return Arg(Kind.Shapes, $"{n} input {Fmt(xs)}, Int64 target {Fmt(ts)}", () => Call(x: Half(xs), t: Int(ts)), "target", Fmt(xs), $"shape {Fmt(ts)}");
            yield return Arg(Kind.Rank, $"{n} 0-d input", () => Call(x: Tensor.Scalar(0.5f), t: Tensor.Scalar(0L)), "input", "(N, C)", "[]");
            yield return Arg(Kind.Empty, $"{n} input [4, 0] (no classes)", () => Call(x: Half(4, 0)), "input", "C >= 1", "[4, 0]");
            yield return Arg(Kind.Empty, $"{n} input [0] (no classes)", () => Call(x: Half(0), t: Tensor.Scalar(0L)), "input", "C >= 1", "[0]");

            // Class indices outside [0, C).
            foreach (long c in new[] { 5L, 6L, 100L, long.MaxValue })
                yield return Arg(Kind.ClassIndex, $"{n} target {c} with C = 5", () => Call(t: Labels(0, c, 2, 3)), "target", $"Target {c}", "[0, 5)");
            yield return Arg(Kind.ClassIndex, $"{n} unbatched target 5 with C = 5", () => Call(x: Half(5), t: Tensor.Scalar(5L)), "target", "Target 5", "[0, 5)");
            yield return Arg(Kind.ClassIndex, $"{n} spatial target 3 with C = 3", () => Call(x: Half(2, 3, 2), t: Tensor.FromArray(new long[] { 0, 1, 2, 3 }, 2, 2)), "target", "Target 3", "[0, 3)");
            yield return Arg(Kind.ClassIndex, $"{n} target 5 with ignoreIndex 7", () => Call(t: Labels(7, 5, 7, 7), ignore: 7), "target", "Target 5", "ignoreIndex (7)");
            foreach (long c in new[] { -1L, -2L, -99L, -101L, long.MinValue })
                yield return Arg(Kind.NegativeIndex, $"{n} target {c} (ignoreIndex -100)", () => Call(t: Labels(0, 1, c, 3)), "target", $"Target {c}", "ignoreIndex (-100)");
            yield return Arg(Kind.NegativeIndex, $"{n} target -2 with ignoreIndex -1", () => Call(t: Labels(-1, -2, 0, 0), ignore: -1), "target", "Target -2", "ignoreIndex (-1)");
            yield return Arg(Kind.NegativeIndex, $"{n} target -100 with ignoreIndex -1", () => Call(t: Labels(-100, 0, 0, 0), ignore: -1), "target", "Target -100", "ignoreIndex (-1)");

            // Class weights: one per class, the input's dtype, no grad.
            foreach (int len in new[] { 3, 6, 1 })
                yield return Arg(Kind.Weights, $"{n} weight of length {len} for C = 5", () => Call(w: Half(len)), "weight", Fmt(len), "C = 5");
            yield return Arg(Kind.Weights, $"{n} weight [1, 5]", () => Call(w: Half(1, 5)), "weight", "[1, 5]", "1-D");
            yield return Arg(Kind.Weights, $"{n} 0-d weight", () => Call(w: Tensor.Scalar(1f)), "weight", "[]", "1-D");
            yield return Arg(Kind.Weights, $"{n} Int64 weight", () => Call(w: Int(5)), "weight", "Int64");
            yield return Arg(Kind.Weights, $"{n} Float64 weight for a Float32 input", () => Call(w: Full(DType.Float64, 1, 5)), "weight", "Float64");
            yield return Arg(Kind.Parameters, $"{n} weight that requires grad (class indices)", () => Call(w: Grad(Half(5))), "weight", "requires grad");

            // Settings and nulls.
            yield return Arg(Kind.Setting, $"{n} reduction 7", () => Call(r: (Reduction)7), "reduction", "7");
            yield return Arg(Kind.Null, $"{n} null input", () => form.Apply(null!, Labels(0), null, -100, Reduction.Mean, 0), "input");
            yield return Arg(Kind.Null, $"{n} null target", () => form.Apply(Half(1, 5), null!, null, -100, Reduction.Mean, 0), "target");
            if (!form.CrossEntropy) continue;
            foreach (double e in new[] { -0.1, 1.1, -1e-9, double.NaN, double.PositiveInfinity, double.NegativeInfinity })
                yield return Arg(Kind.Smoothing, $"{n} labelSmoothing {e}", () => Call(e: e), "labelSmoothing", "[0, 1]", $"got {e}");
            yield return Arg(Kind.Setting, $"{n} ignoreIndex 3 with probability targets", () => Call(t: Half(4, 5), ignore: 3), "ignoreIndex", "3");
        }
    }
}
