using F = Autograd.Nn.Functional;

namespace Autograd.Nn.Tests.Reliability;

public static partial class NnCatalogue
{
    /// <summary>An elementwise loss: functional form or module, called with a reduction.</summary>
    private sealed record ElementwiseForm(string Name, Func<Tensor, Tensor, Reduction, Tensor> Apply);

    private static readonly ElementwiseForm[] ElementwiseForms =
    [
        new("F.BinaryCrossEntropy", (x, y, r) => F.BinaryCrossEntropy(x, y, reduction: r)),
        new("BCELoss", (x, y, r) => new BCELoss(reduction: r).Forward(x, y)),
        new("F.BinaryCrossEntropyWithLogits", (x, y, r) => F.BinaryCrossEntropyWithLogits(x, y, reduction: r)),
        new("BCEWithLogitsLoss", (x, y, r) => new BCEWithLogitsLoss(reduction: r).Forward(x, y)),
        new("F.MseLoss", (x, y, r) => F.MseLoss(x, y, r)),
        new("MSELoss", (x, y, r) => new MSELoss(r).Forward(x, y)),
        new("F.L1Loss", (x, y, r) => F.L1Loss(x, y, r)),
        new("L1Loss", (x, y, r) => new L1Loss(r).Forward(x, y)),
        new("F.HuberLoss", (x, y, r) => F.HuberLoss(x, y, r)),
        new("HuberLoss", (x, y, r) => new HuberLoss(r).Forward(x, y)),
        new("F.SmoothL1Loss", (x, y, r) => F.SmoothL1Loss(x, y, r)),
        new("SmoothL1Loss", (x, y, r) => new SmoothL1Loss(r).Forward(x, y)),
    ];

    /// <summary>Input and target shapes that differ; the first is PyTorch's silent (4) vs (4, 1) broadcast.</summary>
    private static readonly (int[] Input, int[] Target)[] LossShapePairs =
    [
        ([4, 1], [4]), ([4], [4, 1]), ([2, 3], [3, 2]), ([3], [4]), ([], [1]), ([2, 3], [6]),
    ];

    private static IEnumerable<BadCall> ElementwiseLossCases()
    {
        foreach (var form in ElementwiseForms)
        {
            Tensor Call(Tensor x, Tensor y, Reduction r = Reduction.Mean) => form.Apply(x, y, r);
            foreach (var (xs, ys) in LossShapePairs)
                yield return Arg(Kind.Shapes, $"{form.Name} input {Fmt(xs)}, target {Fmt(ys)}", () => Call(Half(xs), Half(ys)), "target", Fmt(xs), Fmt(ys));
            yield return Arg(Kind.DType, $"{form.Name} Int64 input", () => Call(Int(4), Half(4)), "input", "Int64");
            yield return Arg(Kind.DType, $"{form.Name} Int64 target", () => Call(Half(4), Int(4)), "target", "Int64");
            yield return Arg(Kind.DType, $"{form.Name} Float64 target, Float32 input", () => Call(Half(4), Full(DType.Float64, 0.5, 4)), "target", "Float64", "Float32");
            yield return Arg(Kind.DType, $"{form.Name} Float32 target, Float64 input", () => Call(Full(DType.Float64, 0.5, 4), Half(4)), "target", "Float32", "Float64");
            yield return Arg(Kind.Null, $"{form.Name} null input", () => Call(null!, Half(4)), "input");
            yield return Arg(Kind.Null, $"{form.Name} null target", () => Call(Half(4), null!), "target");
            yield return Arg(Kind.Setting, $"{form.Name} reduction 7", () => Call(Half(4), Half(4), (Reduction)7), "reduction", "7");
        }

        // BCELoss: probabilities must be in [0, 1] (PyTorch: "all elements of input should be between 0 and 1").
        foreach (var form in ElementwiseForms.Take(2))
        {
            foreach (float bad in new[] { -0.1f, 1.5f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, -1e-7f, 1.0000001f })
            {
                string shown = bad.ToString(System.Globalization.CultureInfo.CurrentCulture);
                yield return Arg(Kind.BceRange, $"{form.Name} input[1] = {shown}",
                    () => form.Apply(Tensor.FromArray(new[] { 0.5f, bad, 0.25f }), Half(3), Reduction.Mean), "input", "between 0 and 1", $"input[1] = {shown}");
            }
            yield return Arg(Kind.BceRange, $"{form.Name} input[1, 0] = 2 (Float64)",
                () => form.Apply(Tensor.FromArray(new[] { 0.5, 0.5, 2.0, 0.5 }, 2, 2), Full(DType.Float64, 1, 2, 2), Reduction.Sum), "input", "input[1, 0] = 2");
            yield return Arg(Kind.BceRange, $"{form.Name} 0-d input -3",
                () => form.Apply(Tensor.Scalar(-3f), Tensor.Scalar(1f), Reduction.None), "input", "= -3");
        }

        // Weights of the binary losses: broadcastable to the input, its dtype, no grad.
        var weighted = new (string Name, Func<Tensor, Tensor, Tensor?, Tensor?, Tensor> Apply, bool HasPos)[]
        {
            ("F.BinaryCrossEntropy", (x, y, w, _) => F.BinaryCrossEntropy(x, y, w), false),
            ("BCELoss", (x, y, w, _) => new BCELoss(w).Forward(x, y), false),
            ("F.BinaryCrossEntropyWithLogits", (x, y, w, p) => F.BinaryCrossEntropyWithLogits(x, y, w, p), true),
            ("BCEWithLogitsLoss", (x, y, w, p) => new BCEWithLogitsLoss(w, p).Forward(x, y), true),
        };
        foreach (var (name, apply, hasPos) in weighted)
        {
            foreach (var arg in hasPos ? new[] { "weight", "posWeight" } : ["weight"])
            {
                Tensor Call(Tensor x, Tensor w) => arg == "weight" ? apply(x, Half(x.Shape.ToArray()), w, null) : apply(x, Half(x.Shape.ToArray()), null, w);
                foreach (var (xs, ws) in new (int[], int[])[] { ([2, 4], [3]), ([2, 4], [5]), ([2, 4], [2, 1, 4]), ([4], [2]), ([2, 4], [4, 1]) })
                    yield return Arg(Kind.Weights, $"{name} {arg} {Fmt(ws)} for input {Fmt(xs)}", () => Call(Half(xs), Half(ws)), arg, Fmt(ws), Fmt(xs));
                yield return Arg(Kind.Weights, $"{name} Int64 {arg}", () => Call(Half(2, 4), Int(4)), arg, "Int64");
                yield return Arg(Kind.Weights, $"{name} Float64 {arg} for a Float32 input", () => Call(Half(2, 4), Full(DType.Float64, 1, 4)), arg, "Float64", "Float32");
                yield return Arg(Kind.Parameters, $"{name} {arg} that requires grad", () => Call(Half(2, 4), Grad(Half(4))), arg, "cannot require grad");
            }
        }

        foreach (double delta in new[] { 0.0, -1.0, double.NaN })
        {
            yield return Arg(Kind.Setting, $"F.HuberLoss delta {delta}", () => F.HuberLoss(Half(3), Half(3), delta: delta), "delta", "positive");
            yield return Arg(Kind.Setting, $"HuberLoss(delta: {delta})", () => new HuberLoss(delta: delta), "delta", "positive");
        }
        foreach (double beta in new[] { -1.0, double.NaN, double.NegativeInfinity })
        {
            yield return Arg(Kind.Setting, $"F.SmoothL1Loss beta {beta}", () => F.SmoothL1Loss(Half(3), Half(3), beta: beta), "beta", ">= 0");
            yield return Arg(Kind.Setting, $"SmoothL1Loss(beta: {beta})", () => new SmoothL1Loss(beta: beta), "beta", ">= 0");
        }
        yield return Arg(Kind.Weights, "BCELoss(weight: Int64) constructor", () => new BCELoss(Int(3)), "weight", "Int64");
        yield return Arg(Kind.Weights, "BCEWithLogitsLoss(posWeight: Int64) constructor", () => new BCEWithLogitsLoss(posWeight: Int(3)), "posWeight", "Int64");
        yield return Arg(Kind.Weights, "BCEWithLogitsLoss(weight: Int64) constructor", () => new BCEWithLogitsLoss(Int(3)), "weight", "Int64");
    }
}
