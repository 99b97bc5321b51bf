using System.Numerics;
using Autograd.Kernels;

namespace Autograd;

/// <summary>Activations and the (log-)softmax family.</summary>
public sealed partial class Tensor
{
    /// <summary>σ(x) = 1 / (1 + e^-x). dσ/dx = σ(x) (1 - σ(x)): <c>grad · (1 - result) · result</c>.</summary>
    public Tensor Sigmoid()
    {
        var r = Map(UnaryKind.Sigmoid, "Sigmoid");
        return Tape.Record(r, "Sigmoid", [this], g => [Gradient<SigmoidGradient>(r, g)], r);
    }

    /// <summary>The sigmoid's backward from its result s, multiplied left to right.</summary>
    internal readonly struct SigmoidGradient : IElementwiseGradient
    {
        public static TV Apply<TV>(TV s, TV g) where TV : IGradientValue<TV> => g * TV.OneMinus(s) * s;
    }

    /// <summary>tanh(x). d/dx = 1 - tanh²(x): <c>grad · (1 - result²)</c>.</summary>
    public Tensor Tanh()
    {
        var r = Map(UnaryKind.Tanh, "Tanh");
        return Tape.Record(r, "Tanh", [this], g => [Gradient<TanhGradient>(r, g)], r);
    }

    /// <summary>The tanh's backward from its result t.</summary>
    internal readonly struct TanhGradient : IElementwiseGradient
    {
        public static TV Apply<TV>(TV t, TV g) where TV : IGradientValue<TV> => g * TV.OneMinus(t * t);
    }

    /// <summary>
    /// max(x, 0). d/dx = 1 where x &gt; 0, else 0 (0 at x = 0, as PyTorch):
    /// <c>threshold_backward(grad, result, 0)</c> = <c>result &gt; 0 ? grad : 0</c>.
    /// </summary>
    public Tensor Relu()
    {
        var r = Map(UnaryKind.Relu);
        return Tape.Record(r, "Relu", [this], g => [Gradient<ReluGradient>(r, g)], r);
    }

    /// <summary>The ReLU's backward from its result r (r &gt; 0 exactly where x &gt; 0).</summary>
    internal readonly struct ReluGradient : IElementwiseGradient
    {
        public static TV Apply<TV>(TV r, TV g) where TV : IGradientValue<TV> => TV.ThresholdBackward(g, r);
    }

    /// <summary>
    /// softmax(x)_i = e^(x_i - max) / Σ_j e^(x_j - max) along <paramref name="dim"/> (stable for any logits).
    /// Backward: s ⊙ (g - Σ(g ⊙ s)). With a <paramref name="dtype"/>, this tensor is converted to it
    /// first, as <c>torch.softmax(x, dim, dtype=dtype)</c> (the way to a softmax of Int64 values,
    /// or one computed in Float64); the gradient flows back converted to this tensor's dtype.
    /// </summary>
    public Tensor Softmax(int dim, DType? dtype = null)
    {
        if (dtype is { } t) return To(t).Softmax(dim);
        var r = SoftmaxForward(dim, log: false, "Softmax");
        int d = Shapes.NormalizeDim(dim, Rank);
        return Tape.Record(r, "Softmax", [this], g => [r * (g - (g * r).Sum(d, keepDim: true))], r);
    }

    /// <summary>
    /// log softmax(x)_i = x_i - max - log Σ_j e^(x_j - max) along <paramref name="dim"/>.
    /// Backward: g - softmax(x) Σ g. With a <paramref name="dtype"/>, this tensor is converted to it
    /// first, as <c>torch.log_softmax(x, dim, dtype=dtype)</c>.
    /// </summary>
    public Tensor LogSoftmax(int dim, DType? dtype = null)
    {
        if (dtype is { } t) return To(t).LogSoftmax(dim);
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

    private Tensor SoftmaxForward(int dim, bool log, string op)
    {
        RequireFloat(op);
        int d = Shapes.NormalizeDim(dim, Rank);
        var (outer, size, inner) = Shapes.SplitAt(Dims, d);
        var r = UninitializedLike();
        DTypeDispatch.RunFloat(DType, new SoftmaxCall(this, outer, size, inner, r, log));
        return r;
    }

    private readonly struct SoftmaxCall(Tensor x, int outer, int size, int inner, Tensor r, bool log) : IFloatKernelCall
    {
        public void Run<T>() where T : unmanaged, IFloatingPointIeee754<T> => SoftmaxKernels.Softmax(x.Buffer<T>(), outer, size, inner, r.Buffer<T>(), log);
    }
}
