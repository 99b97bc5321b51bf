using Autograd.Kernels;

namespace Autograd;

/// <summary>Activations and the (log-)softmax family.</summary>
public sealed partial class Tensor
{
    /// <summary>σ(x) = 1 / (1 + e^-x). dσ/dx = σ(x) (1 - σ(x)).</summary>
    public Tensor Sigmoid()
    {
        var r = Map(UnaryKind.Sigmoid, "Sigmoid");
        // Unrecorded backward passes (no createGraph) run the same formula as one fused kernel.
        return Tape.Record(r, "Sigmoid", [this], g => [Tape.IsGradEnabled ? g * (1 - r) * r : Fused(ActivationGradient.Sigmoid, r, g)], r);
    }

    /// <summary>tanh(x). d/dx = 1 - tanh²(x).</summary>
    public Tensor Tanh()
    {
        var r = Map(UnaryKind.Tanh, "Tanh");
        return Tape.Record(r, "Tanh", [this], g => [Tape.IsGradEnabled ? g * (1 - r * r) : Fused(ActivationGradient.Tanh, r, g)], r);
    }

    /// <summary>max(x, 0). d/dx = 1 where x &gt; 0, else 0 (0 at x = 0, as PyTorch).</summary>
    public Tensor Relu()
    {
        var r = Map(UnaryKind.Relu);
        return Tape.Record(r, "Relu", [this], g => [Tape.IsGradEnabled ? Where(r.Detach().Gt(0), g, Scalar(0, g.DType)) : Fused(ActivationGradient.Relu, r, g)], r);
    }

    /// <summary>
    /// softmax(x)_i = e^(x_i - max) / Σ_j e^(x_j - max) along <paramref name="dim"/> (stable for any logits).
    /// Backward: s ⊙ (g - Σ(g ⊙ s)).
    /// </summary>
    public Tensor Softmax(int dim)
    {
        var r = SoftmaxForward(dim, log: false, "Softmax");
        int d = Shapes.NormalizeDim(dim, Rank);
        return Tape.Record(r, "Softmax", [this], g => [r * (g - (g * r).Sum(d, keepDim: true))], r);
    }

    /// <summary>
    /// log softmax(x)_i = x_i - max - log Σ_j e^(x_j - max) along <paramref name="dim"/>.
    /// Backward: g - softmax(x) Σ g.
    /// </summary>
    public Tensor LogSoftmax(int dim)
    {
        var r = SoftmaxForward(dim, log: true, "LogSoftmax");
        int d = Shapes.NormalizeDim(dim, Rank);
        return Tape.Record(r, "LogSoftmax", [this], g => [g - r.Exp() * g.Sum(d, keepDim: true)], r);
    }

    /// <summary>
    /// log Σ e^x along <paramref name="dim"/>, computed as max + log Σ e^(x - max) (stable).
    /// Backward, as PyTorch: g · e^(x - result) (softmax from the saved, rounded result).
    /// </summary>
    public Tensor LogSumExp(int dim, bool keepDim = false)
    {
        RequireFloat("LogSumExp");
        int d = Shapes.NormalizeDim(dim, Rank);
        Tensor r;
        using (Tape.Override(gradEnabled: false))
        {
            var max = Max(d, keepDim: true);
            // An all -inf (or +inf) slice would give inf - inf; shift by 0 there instead.
            max = Where(max.Abs().Eq(double.PositiveInfinity), Scalar(0, DType), max);
            r = (this - max).Exp().Sum(d, keepDim: true).Log() + max;
            if (!keepDim && Rank > 0) r = r.Squeeze(d);
        }
        r = r.Detach();
        return Tape.Record(r, "LogSumExp", [this], g =>
        {
            var (gk, rk) = keepDim || Rank == 0 ? (g, r) : (g.Unsqueeze(d), r.Unsqueeze(d));
            return [gk * (this - rk).Exp()];
        }, this, r);
    }

    /// <summary>
    /// An activation's backward as one fused kernel over (result, gradient), for backward passes
    /// that are not recorded themselves; the formula beside each op computes the same values with
    /// tensor ops, differentiable again under createGraph.
    /// </summary>
    private static Tensor Fused(ActivationGradient kind, Tensor r, Tensor g)
    {
        var d = r.UninitializedLike();
        if (r.DType == DType.Float32) ActivationKernels.Backward<float>(kind, r.Buffer<float>(), g.Buffer<float>(), d.Buffer<float>());
        else ActivationKernels.Backward<double>(kind, r.Buffer<double>(), g.Buffer<double>(), d.Buffer<double>());
        return d;
    }

    private Tensor SoftmaxForward(int dim, bool log, string op)
    {
        RequireFloat(op);
        int d = Shapes.NormalizeDim(dim, Rank);
        var (outer, size, inner) = Shapes.SplitAt(Dims, d);
        var r = UninitializedLike();
        if (DType == DType.Float32) SoftmaxKernels.Softmax<float>(Buffer<float>(), outer, size, inner, r.Buffer<float>(), log);
        else SoftmaxKernels.Softmax<double>(Buffer<double>(), outer, size, inner, r.Buffer<double>(), log);
        return r;
    }
}
