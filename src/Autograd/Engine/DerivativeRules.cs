namespace Autograd;

/// <summary>
/// Each op's local derivative rule as a line of text, for <see cref="Tape.TraceBackward"/>: the
/// gradient each input receives in terms of the incoming gradient g (the rules the ops' own
/// documentation states next to their forward). A user-defined <see cref="Function"/> states its
/// own through <see cref="Function.DerivativeRule"/>.
/// </summary>
internal static class DerivativeRules
{
    private static readonly Dictionary<string, string> Rules = new(StringComparer.Ordinal)
    {
        ["Add"] = "∂/∂a = g, ∂/∂b = g (each summed over the dims it was broadcast along)",
        ["Sub"] = "∂/∂a = g, ∂/∂b = −g (summed over broadcast dims)",
        ["Mul"] = "∂/∂a = g·b, ∂/∂b = g·a (summed over broadcast dims)",
        ["Div"] = "∂/∂a = g/b, ∂/∂b = −g·a/b² (summed over broadcast dims)",
        ["Neg"] = "∂/∂x = −g",
        ["Exp"] = "∂/∂x = g·exp(x)",
        ["Log"] = "∂/∂x = g/x",
        ["Sqrt"] = "∂/∂x = g/(2√x)",
        ["Abs"] = "∂/∂x = g·sign(x)",
        ["Pow"] = "∂/∂x = g·p·x^(p−1) (and ∂/∂p = g·x^p·ln x for a tensor exponent)",
        ["Square"] = "∂/∂x = g·2x",
        ["Reciprocal"] = "∂/∂x = −g/x²",
        ["Sin"] = "∂/∂x = g·cos(x)",
        ["Cos"] = "∂/∂x = −g·sin(x)",
        ["Sigmoid"] = "∂/∂x = g·σ(x)(1 − σ(x))",
        ["Tanh"] = "∂/∂x = g·(1 − tanh²(x))",
        ["Relu"] = "∂/∂x = g where x > 0, else 0",
        ["Clamp"] = "∂/∂x = g where min ≤ x ≤ max, else 0",
        ["Softmax"] = "∂/∂x = s·(g − Σ g·s), s = softmax(x)",
        ["LogSoftmax"] = "∂/∂x = g − softmax(x)·Σ g",
        ["LogSumExp"] = "∂/∂x = g·exp(x − logsumexp(x))",
        ["Sum"] = "∂/∂x = g, repeated over the summed dims",
        ["Mean"] = "∂/∂x = g/n, repeated over the n averaged elements",
        ["Max"] = "∂/∂x = g at the maximum (split evenly among ties), else 0",
        ["Min"] = "∂/∂x = g at the minimum (split evenly among ties), else 0",
        ["MatMul"] = "∂/∂A = g·Bᵀ, ∂/∂B = Aᵀ·g",
        ["BatchedMatMul"] = "∂/∂A = g·Bᵀ, ∂/∂B = Aᵀ·g, per batch",
        ["Linear"] = "y = x·Wᵀ + b: ∂/∂x = g·W, ∂/∂W = gᵀ·x, ∂/∂b = Σ_rows g",
        ["Reshape"] = "∂/∂x = g reshaped back to x's shape",
        ["Transpose"] = "∂/∂x = g transposed back",
        ["Permute"] = "∂/∂x = g permuted back",
        ["Expand"] = "∂/∂x = g summed over the expanded dims",
        ["Narrow"] = "∂/∂x = g in the narrowed slice, 0 elsewhere",
        ["Concat"] = "∂/∂xᵢ = g's slice where xᵢ was placed",
        ["Gather"] = "∂/∂x = g scattered (added) back to the gathered positions",
        ["Where"] = "∂/∂a = g where the condition holds, ∂/∂b = g elsewhere",
        ["To"] = "∂/∂x = g converted back to x's dtype",
        ["Clone"] = "∂/∂x = g",
        ["CrossEntropy"] = "∂ℓ/∂x = g·(softmax(x) − onehot(t))·w[t]/N (with the reduction's scale)",
        ["NllLoss"] = "∂ℓ/∂x[i, t_i] = −g·w[t_i]/N, 0 elsewhere",
        ["Var"] = "∂/∂x = g·2(x − mean)/(N − correction)",
        ["Norm"] = "∂/∂x = g·x/‖x‖ for p = 2 (PyTorch's norm_backward for other p)",
        ["Prod"] = "∂/∂xᵢ = g·Π_{j≠i} xⱼ",
        ["CumSum"] = "∂/∂xᵢ = Σ_{j≥i} gⱼ",
    };

    /// <summary>The rule of <paramref name="node"/>'s op, or a pointer to its documentation.</summary>
    public static string For(Node node)
        => node.Rule ?? (Rules.TryGetValue(node.Name, out var rule) ? rule : $"see {node.Name}'s documentation (its backward is {node.Name}Backward)");
}
