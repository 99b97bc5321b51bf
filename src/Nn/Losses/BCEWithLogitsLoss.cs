using System.Numerics;
using Autograd.Kernels;

namespace Autograd.Nn;

/// <summary>
/// Binary cross entropy on logits, a sigmoid and <see cref="BCELoss"/> fused into one numerically
/// stable op, like <c>torch.nn.BCEWithLogitsLoss</c>. A one-line wrapper over
/// <see cref="Functional.BinaryCrossEntropyWithLogits"/>, whose docs give the derivation and the numerics.
/// </summary>
/// <remarks>
/// <para>Unreduced, each element is <c>ℓ = -w · [p · y · log σ(x) + (1 - y) · log(1 - σ(x))]</c>,
/// where p (<see cref="PosWeight"/>) weighs the positive term per class (the last dimension), so
/// p &gt; 1 raises recall and p &lt; 1 precision. <see cref="Reduction.Mean"/> (default) is Σ ℓ / N
/// over all N elements, <see cref="Reduction.Sum"/> is Σ ℓ, <see cref="Reduction.None"/> returns ℓ
/// shaped like the input.</para>
/// <para>Gradient: ∂ℓ/∂x = w · (σ(x) (p y + 1 - y) - p y), divided by N for the mean.</para>
/// <para>Numerics: the log-sum-exp trick (see <see cref="Functional.BinaryCrossEntropyWithLogits"/>),
/// so logits of ±1e4 give finite losses and gradients.</para>
/// <para>Shapes: input any shape; target the same shape and dtype; weight and posWeight
/// broadcastable to the input (posWeight usually (C) for an (N, C) multi-label input).</para>
/// <code>
/// var criterion = new BCEWithLogitsLoss(posWeight: Tensor.FromArray(new[] { 1f, 3f, 0.5f }, 3));
/// var logits = model.Forward(x);                         // (N, 3)
/// var loss = criterion.Forward(logits, y);               // y: (N, 3), in [0, 1]
/// </code>
/// </remarks>
public sealed class BCEWithLogitsLoss : WeightedLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="weight">Optional rescaling weight of each element, broadcast to the input (it gets no gradient).</param>
    /// <param name="posWeight">Optional weight of the positive term, broadcast to the input, usually one per class (it gets no gradient).</param>
    /// <param name="reduction">How to reduce the per-element losses (default: the mean).</param>
    /// <exception cref="ArgumentException">weight or posWeight is not Float32 or Float64.</exception>
    /// <exception cref="ArgumentOutOfRangeException">reduction is not a defined value.</exception>
    public BCEWithLogitsLoss(Tensor? weight = null, Tensor? posWeight = null, Reduction reduction = Reduction.Mean)
        : base(weight, reduction, loss =>
        {
            if (posWeight is not null) LossChecks.Float(posWeight, loss, nameof(posWeight));
        })
    {
        PosWeight = posWeight;
    }

    /// <summary>The weight of the positive term (per class), or null.</summary>
    public Tensor? PosWeight { get; }

    /// <summary>The loss of logits <paramref name="input"/> against <paramref name="target"/>; see <see cref="Functional.BinaryCrossEntropyWithLogits"/>.</summary>
    /// <param name="input">Logits, any real values.</param>
    /// <param name="target">Targets of the input's shape and dtype.</param>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.BinaryCrossEntropyWithLogits(input, target, Weight, PosWeight, Reduction);
}

public static partial class Functional
{
    /// <summary>
    /// Binary cross entropy on logits (sigmoid and BCE fused, stable for any logit), like
    /// <c>torch.nn.functional.binary_cross_entropy_with_logits</c>. For each element
    /// <c>ℓ = -w · [p · y · log σ(x) + (1 - y) · log(1 - σ(x))]</c>, where <c>p</c> (pos_weight)
    /// weighs the positive term of each class.
    /// </summary>
    /// <remarks>
    /// <para><b>Reduction.</b> <see cref="Reduction.None"/>: the per-element losses, shaped like the
    /// input; <see cref="Reduction.Sum"/>: Σ ℓ; <see cref="Reduction.Mean"/> (default): Σ ℓ / N over
    /// all N elements (NaN for an empty input).</para>
    /// <para><b>Gradient.</b> ∂ℓ/∂x = w · (σ(x) · (p y + 1 - y) - p y), i.e. w · (σ(x) - y) without
    /// pos_weight, divided by N for the mean. ∂ℓ/∂y = w · (log σ(-x) - p · log σ(x)) (-w x without
    /// pos_weight). Both are written with tensor ops, so they can be differentiated again
    /// (∂²ℓ/∂x² = w · (p y + 1 - y) · σ(x) (1 - σ(x))). weight and posWeight get no gradient: one
    /// that requires grad is an error while recording, as in PyTorch.</para>
    /// <para><b>Numerics.</b> The log-sum-exp trick, exactly as PyTorch 1.13 computes it, in the
    /// input's dtype: with m = max(-x, 0),
    /// <c>ℓ = (1 - y) · x + m + log(e^(-m) + e^(-x - m))</c>, and with pos_weight
    /// <c>ℓ = (1 - y) · x + ((p - 1) · y + 1) · (log(e^(-m) + e^(-x - m)) + m)</c>. No exponential
    /// overflows, so logits of ±1e4 give finite losses and gradients (x = -1e4, y = 1, p = 3:
    /// loss 30000, gradient -3). The sum is accumulated in double and rounded once.</para>
    /// <para><b>Shapes.</b> input: any shape (0-d included), Float32 or Float64; target: the input's
    /// shape and dtype (soft targets allowed); weight and posWeight: the input's dtype,
    /// broadcastable to the input's shape; for a multi-label input (N, C), posWeight is usually (C),
    /// one weight per class along the last dimension.</para>
    /// <code>
    /// var logits = Tensor.FromArray(new float[,] { { 0.4f, -1.2f, 2.0f }, { 1.1f, 0.6f, -0.3f } });
    /// var y = Tensor.FromArray(new float[,] { { 1, 0, 1 }, { 0, 1, 1 } });
    /// var loss = Functional.BinaryCrossEntropyWithLogits(logits, y, posWeight: Tensor.FromArray(new[] { 1f, 2f, 3f }, 3));
    /// </code>
    /// </remarks>
    /// <param name="input">Logits (unnormalised scores), any real values.</param>
    /// <param name="target">Targets, usually in [0, 1]; the input's shape and dtype.</param>
    /// <param name="weight">Optional rescaling weight of each element, broadcast to the input.</param>
    /// <param name="posWeight">Optional weight of the positive term, broadcast to the input (per class: the last dimension).</param>
    /// <param name="reduction">How to reduce the per-element losses.</param>
    /// <returns>A 0-d tensor, or the per-element losses for <see cref="Reduction.None"/>.</returns>
    /// <exception cref="ArgumentNullException">input or target is null.</exception>
    /// <exception cref="ArgumentException">A dtype is not floating point or differs from the input's,
    /// the target's shape differs from the input's, or weight / posWeight does not broadcast to the
    /// input or requires grad while recording.</exception>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor input, Tensor target, Tensor? weight = null, Tensor? posWeight = null,
        Reduction reduction = Reduction.Mean)
    {
        const string loss = nameof(BinaryCrossEntropyWithLogits);
        ElementwiseLoss.CheckPair(input, target, reduction, loss);
        ElementwiseLoss.CheckWeight(weight, input, loss, nameof(weight));
        ElementwiseLoss.CheckWeight(posWeight, input, loss, nameof(posWeight));
        return new BinaryCrossEntropyWithLogitsFunction(weight, posWeight, reduction).Apply(input, target);
    }
}

/// <summary>BCE on logits as one op: the stable loss and its reduction in one pass, the closed-form gradient in backward.</summary>
internal sealed class BinaryCrossEntropyWithLogitsFunction(Tensor? weight, Tensor? posWeight, Reduction reduction) : BuiltInFunction
{

    protected override Tensor Forward(IReadOnlyList<Tensor> inputs)
    {
        // The weights are saved too, so that an in-place change to them before backward is detected.
        SaveForBackward([inputs[0], inputs[1], .. new[] { weight, posWeight }.OfType<Tensor>()]);
        return DTypeDispatch.RunFloat<ComputeCall, Tensor>(inputs[0].DType, new(this, inputs[0], inputs[1]));
    }

    private Tensor Compute<T>(Tensor input, Tensor target) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] x = input.Buffer<T>(), y = target.Buffer<T>();
        T[]? w = ElementwiseLoss.Expanded<T>(weight, input);
        T[]? p = ElementwiseLoss.Expanded<T>(posWeight, input);
        var result = new LossReduction<T>(reduction, input.Dims);
        // PyTorch: log(1 + e^-x) = m + log(e^-m + e^(-x - m)) with m = max(-x, 0), so no exponent
        // is positive. One of the two exponents is exactly 0 (e^0 = 1), so the log term is
        // log(1 + e^-|x|) bit for bit, with one exponential instead of two: with Sleef's exp and log,
        // as PyTorch's exp_ and log_ compute them, a vector at a time. Every other step rounds in T
        // where PyTorch's tensor ops do.
        var rented = System.Buffers.ArrayPool<T>.Shared.Rent(x.Length);
        var softplusAll = rented.AsSpan(0, x.Length);
        System.Numerics.Tensors.TensorPrimitives.Abs<T>(x, softplusAll);
        System.Numerics.Tensors.TensorPrimitives.Negate<T>(softplusAll, softplusAll);
        Autograd.Kernels.SleefSpan.Exp<T>(softplusAll, softplusAll);
        System.Numerics.Tensors.TensorPrimitives.Add<T>(softplusAll, T.One, softplusAll);
        Autograd.Kernels.SleefSpan.Log<T>(softplusAll, softplusAll);
        for (int i = 0; i < x.Length; i++)
        {
            T xi = x[i], yi = y[i];
            T m = T.Max(-xi, T.Zero);
            T softplus = softplusAll[i];
            T loss = p is null
                ? (T.One - yi) * xi + m + softplus
                : (T.One - yi) * xi + ((p[i] - T.One) * yi + T.One) * (softplus + m);
            result.Add(i, w is null ? loss : loss * w[i]);
        }
        System.Buffers.ArrayPool<T>.Shared.Return(rented);
        return result.Finish();
    }

    protected override IReadOnlyList<Tensor?> Backward(Tensor grad)
    {
        var (x, y) = (SavedTensors[0], SavedTensors[1]);
        int n = x.NumberOfElements;
        // Empty in, empty out (and TensorPrimitives.Sigmoid rejects empty spans).
        if (n == 0) return [NeedsInputGrad(0) ? Tensor.ZerosLike(x) : null, NeedsInputGrad(1) ? Tensor.ZerosLike(y) : null];
        Tensor? gradInput = null, gradTarget = null;
        if (NeedsInputGrad(0) && !Tape.IsGradEnabled)
        {
            // The formula below in one pass when the backward is not itself recorded.
            gradInput = DTypeDispatch.RunFloat<FusedInputGradientCall, Tensor>(x.DType, new(this, x, y, grad));
        }
        else if (NeedsInputGrad(0))
        {
            // dℓ/dx = σ(x) (p y + 1 - y) - p y; without pos_weight σ(x) - y.
            Tensor local;
            if (posWeight is null) local = x.Sigmoid() - y;
            else
            {
                var py = posWeight * y;
                local = (py + 1 - y) * x.Sigmoid() - py;
            }
            gradInput = ElementwiseLoss.WeightAndMean(local * grad, weight, reduction, n);
        }
        if (NeedsInputGrad(1))
        {
            // dℓ/dy = log σ(-x) - p log σ(x); without pos_weight -x.
            var local = posWeight is null ? -x : new LogSigmoidFunction().Apply(-x) - new LogSigmoidFunction().Apply(x) * posWeight;
            gradTarget = ElementwiseLoss.WeightAndMean(local * grad, weight, reduction, n);
        }
        return [gradInput, gradTarget];
    }

    private Tensor FusedInputGradient<T>(Tensor x, Tensor y, Tensor grad) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var r = Tensor.Uninitialized((int[])x.Dims.Clone(), x.DType);
        var d = r.Buffer<T>();
        Autograd.Kernels.UnaryKernels.Apply(Autograd.Kernels.UnaryKind.Sigmoid, x.Buffer<T>(), d); // σ(x), as x.Sigmoid()
        LossGradientKernels.BinaryCrossEntropyWithLogits<T>(d, y.Buffer<T>(), ElementwiseLoss.Expanded<T>(posWeight, x), ElementwiseLoss.Expanded<T>(weight, x),
            grad.Buffer<T>(), reduction == Reduction.Mean);
        return r;
    }

    private readonly struct ComputeCall(BinaryCrossEntropyWithLogitsFunction f, Tensor input, Tensor target) : IFloatKernelCall<Tensor>
    {
        public Tensor Run<T>() where T : unmanaged, IFloatingPointIeee754<T> => f.Compute<T>(input, target);
    }

    private readonly struct FusedInputGradientCall(BinaryCrossEntropyWithLogitsFunction f, Tensor x, Tensor y, Tensor grad) : IFloatKernelCall<Tensor>
    {
        public Tensor Run<T>() where T : unmanaged, IFloatingPointIeee754<T> => f.FusedInputGradient<T>(x, y, grad);
    }
}

/// <summary>
/// log σ(z) = min(z, 0) - log1p(e^-|z|), finite for any z, for the target gradient of
/// BinaryCrossEntropyWithLogits. d/dz log σ(z) = σ(-z).
/// </summary>
/// <remarks>
/// A kernel rather than tensor ops because it needs log1p: log(1 + e^-|z|) loses the low bits of
/// a small e^-|z|, which the subtraction log σ(-x) - p log σ(x) then exposes (up to ~150 float32
/// ulps from PyTorch's log_sigmoid in the fixtures).
/// </remarks>
internal sealed class LogSigmoidFunction : BuiltInFunction
{

    protected override Tensor Forward(IReadOnlyList<Tensor> inputs)
    {
        var z = inputs[0];
        SaveForBackward(z);
        var result = Tensor.Zeroed((int[])z.Dims.Clone(), z.DType);
        DTypeDispatch.RunFloat(z.DType, new LogSigmoidCall(z, result));
        return result;
    }

    // e^-|z| rounds to T as in PyTorch; log1p runs in double, so for float it is then correctly rounded to float.
    private static void LogSigmoid<T>(ReadOnlySpan<T> x, Span<T> r) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) r[i] = T.Min(x[i], T.Zero) - T.CreateTruncating(Log1p(double.CreateTruncating(T.Exp(-T.Abs(x[i])))));
    }

    protected override IReadOnlyList<Tensor?> Backward(Tensor grad) => [grad * (-SavedTensors[0]).Sigmoid()];

    // log(1 + v) accurate for small v (Goldberg: the rounding of 1 + v cancels in log(u) v / (u - 1)).
    // .NET has no Math.Log1P (double.LogP1 is log(1 + v)).
    private static double Log1p(double v)
    {
        double u = 1 + v;
        return u == 1 ? v : Math.Log(u) * v / (u - 1);
    }

    private readonly struct LogSigmoidCall(Tensor z, Tensor r) : IFloatKernelCall
    {
        public void Run<T>() where T : unmanaged, IFloatingPointIeee754<T> => LogSigmoid(z.Buffer<T>(), r.Buffer<T>());
    }
}
