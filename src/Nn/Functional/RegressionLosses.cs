using System.Numerics;

namespace Autograd.Nn;

public static partial class Functional
{
    /// <summary>
    /// Mean squared error, like <c>torch.nn.functional.mse_loss</c>. For each element
    /// <c>ℓ = (x - y)²</c>.
    /// </summary>
    /// <remarks>
    /// <para><b>Reduction.</b> <see cref="Reduction.None"/>: the per-element losses, shaped like the
    /// input; <see cref="Reduction.Sum"/>: Σ ℓ; <see cref="Reduction.Mean"/> (default): Σ ℓ / N
    /// (NaN for an empty input).</para>
    /// <para><b>Gradient.</b> ∂ℓ/∂x = 2 (x - y), times 1/N for the mean (PyTorch multiplies by the
    /// rounded factor 2/N); ∂ℓ/∂y = -∂ℓ/∂x. Written with tensor ops, so it can be differentiated
    /// again (∂²ℓ/∂x² = 2).</para>
    /// <para><b>Shapes.</b> input: any shape, Float32 or Float64; target: exactly the input's shape
    /// and dtype. PyTorch only warns on a target of another shape and broadcasts (a (4, 1) input
    /// against a (4) target silently averages 16 differences); here that is an error.</para>
    /// <para><b>Numerics.</b> Each element in the input's dtype; the sum is accumulated in double
    /// and rounded once.</para>
    /// <code>
    /// var x = Tensor.FromArray(new[] { 1f, 2f, 4f }, 3);
    /// var y = Tensor.FromArray(new[] { 1.5f, 2f, 3f }, 3);
    /// var loss = Functional.MseLoss(x, y);                 // (0.25 + 0 + 1) / 3 = 0.41667
    /// </code>
    /// </remarks>
    /// <param name="input">The predictions.</param>
    /// <param name="target">The targets: the input's shape and dtype.</param>
    /// <param name="reduction">How to reduce the per-element losses.</param>
    /// <returns>A 0-d tensor, or the per-element losses for <see cref="Reduction.None"/>.</returns>
    /// <exception cref="ArgumentNullException">input or target is null.</exception>
    /// <exception cref="ArgumentException">A dtype is not floating point, the dtypes differ, or the shapes differ.</exception>
    public static Tensor MseLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        ElementwiseLoss.CheckPair(input, target, reduction, nameof(MseLoss));
        return new MseLossFunction(reduction).Apply(input, target);
    }

    /// <summary>
    /// Mean absolute error, like <c>torch.nn.functional.l1_loss</c>. For each element
    /// <c>ℓ = |x - y|</c>.
    /// </summary>
    /// <remarks>
    /// <para><b>Reduction.</b> <see cref="Reduction.None"/>: the per-element losses, shaped like the
    /// input; <see cref="Reduction.Sum"/>: Σ ℓ; <see cref="Reduction.Mean"/> (default): Σ ℓ / N
    /// (NaN for an empty input).</para>
    /// <para><b>Gradient.</b> ∂ℓ/∂x = sign(x - y), taken as 0 where x = y (PyTorch's subgradient),
    /// divided by N for the mean; ∂ℓ/∂y = -∂ℓ/∂x. The second derivative is 0.</para>
    /// <para><b>Shapes.</b> input: any shape, Float32 or Float64; target: exactly the input's shape
    /// and dtype (an error otherwise, where PyTorch warns and broadcasts).</para>
    /// <code>
    /// var x = Tensor.FromArray(new[] { 1f, 2f, 4f }, 3);
    /// var y = Tensor.FromArray(new[] { 1.5f, 2f, 3f }, 3);
    /// var loss = Functional.L1Loss(x, y);                  // (0.5 + 0 + 1) / 3 = 0.5
    /// </code>
    /// </remarks>
    /// <param name="input">The predictions.</param>
    /// <param name="target">The targets: the input's shape and dtype.</param>
    /// <param name="reduction">How to reduce the per-element losses.</param>
    /// <returns>A 0-d tensor, or the per-element losses for <see cref="Reduction.None"/>.</returns>
    /// <exception cref="ArgumentNullException">input or target is null.</exception>
    /// <exception cref="ArgumentException">A dtype is not floating point, the dtypes differ, or the shapes differ.</exception>
    public static Tensor L1Loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        ElementwiseLoss.CheckPair(input, target, reduction, nameof(L1Loss));
        return new L1LossFunction(reduction).Apply(input, target);
    }

    /// <summary>
    /// Huber loss, like <c>torch.nn.functional.huber_loss</c>: quadratic for small errors, linear
    /// (slope δ) for large ones. With d = x - y, each element is <c>ℓ = ½ d²</c> if |d| &lt; δ,
    /// else <c>δ (|d| - ½ δ)</c>.
    /// </summary>
    /// <remarks>
    /// <para><b>Reduction.</b> <see cref="Reduction.None"/>: the per-element losses, shaped like the
    /// input; <see cref="Reduction.Sum"/>: Σ ℓ; <see cref="Reduction.Mean"/> (default): Σ ℓ / N
    /// (NaN for an empty input).</para>
    /// <para><b>Gradient.</b> ∂ℓ/∂x = d if |d| &lt; δ, else δ · sign(d) (the two agree at |d| = δ, so
    /// the gradient is continuous), times 1/N for the mean; ∂ℓ/∂y = -∂ℓ/∂x. Written with tensor ops
    /// (∂²ℓ/∂x² = 1 inside, 0 outside). Huber with δ equals δ · SmoothL1 with β = δ.</para>
    /// <para><b>Shapes.</b> input: any shape, Float32 or Float64; target: exactly the input's shape
    /// and dtype.</para>
    /// <code>
    /// var x = Tensor.FromArray(new[] { 0f, 0f, 0f }, 3);
    /// var y = Tensor.FromArray(new[] { 0.5f, -2f, 3f }, 3);
    /// var loss = Functional.HuberLoss(x, y, delta: 1.0);   // (0.125 + 1.5 + 2.5) / 3 = 1.375
    /// </code>
    /// </remarks>
    /// <param name="input">The predictions.</param>
    /// <param name="target">The targets: the input's shape and dtype.</param>
    /// <param name="reduction">How to reduce the per-element losses.</param>
    /// <param name="delta">Where the loss turns linear; must be positive.</param>
    /// <returns>A 0-d tensor, or the per-element losses for <see cref="Reduction.None"/>.</returns>
    /// <exception cref="ArgumentNullException">input or target is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">delta is not positive (or NaN).</exception>
    /// <exception cref="ArgumentException">A dtype is not floating point, the dtypes differ, or the shapes differ.</exception>
    public static Tensor HuberLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, double delta = 1.0)
    {
        ElementwiseLoss.CheckPair(input, target, reduction, nameof(HuberLoss));
        ElementwiseLoss.CheckDelta(delta, nameof(HuberLoss));
        return new HuberLossFunction(reduction, delta).Apply(input, target);
    }

    /// <summary>
    /// Smooth L1 loss, like <c>torch.nn.functional.smooth_l1_loss</c>: quadratic for small errors,
    /// |d| for large ones. With d = x - y, each element is <c>ℓ = ½ d² / β</c> if |d| &lt; β, else
    /// <c>|d| - ½ β</c>; β = 0 is exactly <see cref="L1Loss"/>.
    /// </summary>
    /// <remarks>
    /// <para><b>Reduction.</b> <see cref="Reduction.None"/>: the per-element losses, shaped like the
    /// input; <see cref="Reduction.Sum"/>: Σ ℓ; <see cref="Reduction.Mean"/> (default): Σ ℓ / N
    /// (NaN for an empty input).</para>
    /// <para><b>Gradient.</b> ∂ℓ/∂x = d / β if |d| &lt; β, else sign(d) (the two agree at |d| = β),
    /// times 1/N for the mean; with β = 0, sign(d) and 0 at d = 0 (L1's). ∂ℓ/∂y = -∂ℓ/∂x.
    /// Written with tensor ops (∂²ℓ/∂x² = 1/β inside, 0 outside).</para>
    /// <para><b>Shapes.</b> input: any shape, Float32 or Float64; target: exactly the input's shape
    /// and dtype.</para>
    /// <code>
    /// var x = Tensor.FromArray(new[] { 0f, 0f, 0f }, 3);
    /// var y = Tensor.FromArray(new[] { 0.5f, -2f, 3f }, 3);
    /// var loss = Functional.SmoothL1Loss(x, y, beta: 1.0); // (0.125 + 1.5 + 2.5) / 3 = 1.375
    /// </code>
    /// </remarks>
    /// <param name="input">The predictions.</param>
    /// <param name="target">The targets: the input's shape and dtype.</param>
    /// <param name="reduction">How to reduce the per-element losses.</param>
    /// <param name="beta">Where the loss turns linear; must be &gt;= 0 (0 gives the L1 loss).</param>
    /// <returns>A 0-d tensor, or the per-element losses for <see cref="Reduction.None"/>.</returns>
    /// <exception cref="ArgumentNullException">input or target is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">beta is negative (or NaN).</exception>
    /// <exception cref="ArgumentException">A dtype is not floating point, the dtypes differ, or the shapes differ.</exception>
    public static Tensor SmoothL1Loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, double beta = 1.0)
    {
        ElementwiseLoss.CheckPair(input, target, reduction, nameof(SmoothL1Loss));
        ElementwiseLoss.CheckBeta(beta, nameof(SmoothL1Loss));
        return beta == 0
            ? new L1LossFunction(reduction).Apply(input, target)
            : new SmoothL1LossFunction(reduction, beta).Apply(input, target);
    }
}

/// <summary>(x - y)² as one op.</summary>
internal sealed class MseLossFunction(Reduction reduction) : BuiltInFunction
{

    protected override Tensor Forward(IReadOnlyList<Tensor> inputs)
    {
        SaveForBackward(inputs[0], inputs[1]);
        return inputs[0].DType == DType.Float32 ? Compute<float>(inputs[0], inputs[1]) : Compute<double>(inputs[0], inputs[1]);
    }

    private Tensor Compute<T>(Tensor input, Tensor target) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] x = input.Buffer<T>(), y = target.Buffer<T>();
        var result = new LossReduction<T>(reduction, input.Dims);
        for (int i = 0; i < x.Length; i++)
        {
            T d = x[i] - y[i];
            result.Add(i, d * d);
        }
        return result.Finish();
    }

    // dℓ/dx = norm (x - y), norm = 2 or 2/N (rounded to the dtype first, as PyTorch's mse_loss_backward).
    protected override IReadOnlyList<Tensor?> Backward(Tensor grad)
    {
        var (x, y) = (SavedTensors[0], SavedTensors[1]);
        double norm = reduction == Reduction.Mean ? 2.0 / x.NumberOfElements : 2.0;
        return
        [
            NeedsInputGrad(0) ? (x - y) * norm * grad : null,
            NeedsInputGrad(1) ? (y - x) * norm * grad : null,
        ];
    }
}

/// <summary>|x - y| as one op (also SmoothL1 with β = 0).</summary>
internal sealed class L1LossFunction(Reduction reduction) : BuiltInFunction
{

    protected override Tensor Forward(IReadOnlyList<Tensor> inputs)
    {
        SaveForBackward(inputs[0], inputs[1]);
        return inputs[0].DType == DType.Float32 ? Compute<float>(inputs[0], inputs[1]) : Compute<double>(inputs[0], inputs[1]);
    }

    private Tensor Compute<T>(Tensor input, Tensor target) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] x = input.Buffer<T>(), y = target.Buffer<T>();
        var result = new LossReduction<T>(reduction, input.Dims);
        for (int i = 0; i < x.Length; i++) result.Add(i, T.Abs(x[i] - y[i]));
        return result.Finish();
    }

    // dℓ/dx = sign(x - y) (0 at x = y), applied to the gradient already divided by N for the mean
    // (PyTorch 1.13 composes l1_loss from abs and mean, whose backwards do exactly this).
    protected override IReadOnlyList<Tensor?> Backward(Tensor grad)
    {
        var (x, y) = (SavedTensors[0], SavedTensors[1]);
        var scaled = reduction == Reduction.Mean ? grad / x.NumberOfElements : grad;
        var gradInput = scaled * (x - y).Sign();
        return [NeedsInputGrad(0) ? gradInput : null, NeedsInputGrad(1) ? -gradInput : null];
    }
}

/// <summary>Huber loss as one op.</summary>
internal sealed class HuberLossFunction(Reduction reduction, double delta) : BuiltInFunction
{

    protected override Tensor Forward(IReadOnlyList<Tensor> inputs)
    {
        SaveForBackward(inputs[0], inputs[1]);
        return inputs[0].DType == DType.Float32 ? Compute<float>(inputs[0], inputs[1]) : Compute<double>(inputs[0], inputs[1]);
    }

    private Tensor Compute<T>(Tensor input, Tensor target) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] x = input.Buffer<T>(), y = target.Buffer<T>();
        T dlt = T.CreateTruncating(delta), half = T.CreateTruncating(0.5);
        var result = new LossReduction<T>(reduction, input.Dims);
        for (int i = 0; i < x.Length; i++)
        {
            T z = T.Abs(x[i] - y[i]);
            result.Add(i, z < dlt ? half * z * z : dlt * (z - half * dlt));
        }
        return result.Finish();
    }

    // dℓ/dx = d inside, δ·sign(d) outside (|d| >= δ, PyTorch's branch), times norm = 1/N for the mean.
    protected override IReadOnlyList<Tensor?> Backward(Tensor grad)
    {
        var (x, y) = (SavedTensors[0], SavedTensors[1]);
        var d = x - y;
        var slope = Tensor.Where(d.Abs().Ge(delta), d.Sign() * delta, d);
        var gradInput = (reduction == Reduction.Mean ? slope * (1.0 / x.NumberOfElements) : slope) * grad;
        return [NeedsInputGrad(0) ? gradInput : null, NeedsInputGrad(1) ? -gradInput : null];
    }
}

/// <summary>Smooth L1 loss (β &gt; 0) as one op.</summary>
internal sealed class SmoothL1LossFunction(Reduction reduction, double beta) : BuiltInFunction
{

    protected override Tensor Forward(IReadOnlyList<Tensor> inputs)
    {
        SaveForBackward(inputs[0], inputs[1]);
        return inputs[0].DType == DType.Float32 ? Compute<float>(inputs[0], inputs[1]) : Compute<double>(inputs[0], inputs[1]);
    }

    private Tensor Compute<T>(Tensor input, Tensor target) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] x = input.Buffer<T>(), y = target.Buffer<T>();
        T b = T.CreateTruncating(beta), half = T.CreateTruncating(0.5);
        var result = new LossReduction<T>(reduction, input.Dims);
        for (int i = 0; i < x.Length; i++)
        {
            T z = T.Abs(x[i] - y[i]);
            result.Add(i, z < b ? half * z * z / b : z - half * b);
        }
        return result.Finish();
    }

    // dℓ/dx = d/β inside, sign(d) outside (|d| >= β, PyTorch's branch), times norm = 1/N for the mean.
    protected override IReadOnlyList<Tensor?> Backward(Tensor grad)
    {
        var (x, y) = (SavedTensors[0], SavedTensors[1]);
        var d = x - y;
        var slope = Tensor.Where(d.Abs().Ge(beta), d.Sign(), d / beta);
        var gradInput = (reduction == Reduction.Mean ? slope * (1.0 / x.NumberOfElements) : slope) * grad;
        return [NeedsInputGrad(0) ? gradInput : null, NeedsInputGrad(1) ? -gradInput : null];
    }
}

/// <summary>
/// What the elementwise losses (here and in BinaryLosses.cs) share: argument checks, weights
/// broadcast to the input, and the reduction's scaling of a gradient.
/// </summary>
internal static class ElementwiseLoss
{
    /// <summary>input and target: not null, floating point, one dtype, one shape; a known reduction.</summary>
    public static void CheckPair(Tensor input, Tensor target, Reduction reduction, string loss)
    {
        LossChecks.NotNull(input, loss, nameof(input));
        LossChecks.NotNull(target, loss, nameof(target));
        LossChecks.Float(input, loss, nameof(input));
        LossChecks.Float(target, loss, nameof(target));
        SameDType(target, input, loss, nameof(target));
        LossChecks.SameShape(input, target, loss);
        LossChecks.Reduction(reduction, loss);
    }

    /// <summary>
    /// An optional weight-like tensor: floating point, the input's dtype, broadcastable to the
    /// input, and (as in PyTorch, which has no derivative for it) not requiring grad while recording.
    /// </summary>
    public static void CheckWeight(Tensor? weight, Tensor input, string loss, string name)
    {
        if (weight is null) return;
        LossChecks.Float(weight, loss, name);
        SameDType(weight, input, loss, name);
        LossChecks.BroadcastsTo(weight, input, loss, name);
        if (Tape.IsGradEnabled && weight.RequiresGrad)
            throw new ArgumentException(
                $"{loss} is not differentiable with respect to {name} (as in PyTorch), so {name} cannot require grad. " +
                $"Pass {name}.Detach(), or compute the loss inside Tape.NoGrad().", name);
    }

    public static void CheckDelta(double delta, string loss)
    {
        if (!(delta > 0))
            throw new ArgumentOutOfRangeException(nameof(delta), delta, $"{loss}: delta must be positive, got {delta}.");
    }

    public static void CheckBeta(double beta, string loss)
    {
        if (!(beta >= 0))
            throw new ArgumentOutOfRangeException(nameof(beta), beta, $"{loss}: beta must be >= 0 (0 gives the L1 loss), got {beta}.");
    }

    /// <summary>The elements of <paramref name="weight"/> broadcast to the input's shape (null stays null).</summary>
    public static T[]? Expanded<T>(Tensor? weight, Tensor input)
        => weight is null ? null : weight.Expand(input.Dims).Buffer<T>();

    /// <summary>The gradient of a weighted loss: times the weight, then divided by N for the mean (PyTorch's order).</summary>
    public static Tensor WeightAndMean(Tensor grad, Tensor? weight, Reduction reduction, int n)
    {
        if (weight is not null) grad *= weight;
        return reduction == Reduction.Mean ? grad / n : grad;
    }

    /// <summary>"[i, j, ...]": a flat index as a multi-index of <paramref name="shape"/>, for error messages.</summary>
    public static string Index(int flat, int[] shape)
    {
        var index = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            index[d] = flat % shape[d];
            flat /= shape[d];
        }
        return "[" + string.Join(", ", index) + "]";
    }

    private static void SameDType(Tensor other, Tensor input, string loss, string name)
    {
        if (other.DType != input.DType)
            throw new ArgumentException(
                $"{loss}: {name} is {other.DType} but the input is {input.DType}; convert one with To(DType.{input.DType}).", name);
    }
}

/// <summary>
/// The reduction of an elementwise loss, fed one element at a time so the loss takes one pass:
/// <see cref="Reduction.None"/> stores each element's loss; Sum and Mean add them up in double
/// (compensated, so the result is the exact sum rounded once to T; PyTorch's pairwise float sum is
/// within an ulp or two of it) and the mean divides the rounded sum by N in T, as PyTorch does.
/// </summary>
internal sealed class LossReduction<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Reduction _reduction;
    private readonly Tensor? _elements;
    private readonly T[]? _buffer;
    private readonly int _count;
    private double _sum, _compensation;

    public LossReduction(Reduction reduction, int[] shape)
    {
        _reduction = reduction;
        _count = Shapes.Size(shape);
        if (reduction == Reduction.None)
        {
            _elements = Tensor.Empty((int[])shape.Clone(), typeof(T) == typeof(float) ? DType.Float32 : DType.Float64);
            _buffer = _elements.Buffer<T>();
        }
    }

    public void Add(int index, T loss)
    {
        if (_buffer is not null)
        {
            _buffer[index] = loss;
            return;
        }
        // Neumaier's compensated summation.
        double v = double.CreateTruncating(loss), t = _sum + v;
        _compensation += Math.Abs(_sum) >= Math.Abs(v) ? (_sum - t) + v : (v - t) + _sum;
        _sum = t;
    }

    public Tensor Finish()
    {
        if (_elements is not null) return _elements;
        // A non-finite sum (an infinite or NaN loss) makes the compensation meaningless.
        T sum = T.CreateTruncating(double.IsFinite(_sum) ? _sum + _compensation : _sum);
        var result = Tensor.Empty([], typeof(T) == typeof(float) ? DType.Float32 : DType.Float64);
        result.Buffer<T>()[0] = _reduction == Reduction.Mean ? sum / T.CreateTruncating(_count) : sum;
        return result;
    }
}
