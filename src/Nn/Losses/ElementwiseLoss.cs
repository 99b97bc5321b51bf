using System.Numerics;
using Autograd.Kernels;

namespace Autograd.Nn;

/// <summary>
/// The per-element loss ℓ(x, y) of an elementwise loss, as an "operator struct" (like
/// TensorPrimitives' <c>IUnaryOperator</c>): <see cref="ElementwiseLossFunction{TLoss}"/> runs the span
/// loop, and the JIT compiles and inlines <see cref="Loss{T}"/> into it for each struct and dtype.
/// </summary>
internal interface IElementwiseLoss
{
    /// <summary>ℓ(x, y); <paramref name="parameter"/> is the loss's option (δ, β), if it has one, in the dtype.</summary>
    static abstract T Loss<T>(T x, T y, T parameter) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>Whether x is a valid input (BCE's probabilities: [0, 1]); an invalid one is an error.</summary>
    static virtual bool InDomain<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => true;

    /// <summary>The error for an input outside the domain; <paramref name="index"/> is its multi-index, as "[i, j]".</summary>
    static virtual Exception OutOfDomain<T>(T x, string index) where T : unmanaged, IFloatingPointIeee754<T> =>
        new ArgumentException($"input{index} = {x} is outside the loss's domain.", "input");
}

/// <summary>
/// The skeleton of an elementwise loss as one fused op: it saves the inputs, dispatches on the
/// dtype, runs ℓ (<typeparamref name="TLoss"/>) over the elements, optionally times a weight,
/// and reduces (<see cref="LossReduction{T}"/>). A loss supplies ℓ and its two partial derivatives,
/// the latter as tensor formulas (<see cref="InputGradient"/>, <see cref="TargetGradient"/>) so that
/// <c>createGraph</c> can differentiate them again.
/// </summary>
/// <param name="reduction">How the per-element losses are reduced.</param>
/// <param name="parameter">The loss's option (δ, β), converted to the dtype once and passed to ℓ.</param>
/// <param name="weight">An optional weight, broadcast to the input, that multiplies each ℓ (it gets no gradient).</param>
internal abstract class ElementwiseLossFunction<TLoss>(Reduction reduction, double parameter = 0, Tensor? weight = null) : BuiltInFunction
    where TLoss : struct, IElementwiseLoss
{
    /// <summary>The loss's option (δ, β), as given.</summary>
    protected double Parameter => parameter;

    protected override Tensor Forward(IReadOnlyList<Tensor> inputs)
    {
        // The weight is saved too, so that an in-place change to it before backward is detected.
        SaveForBackward(weight is null ? [inputs[0], inputs[1]] : [inputs[0], inputs[1], weight]);
        return DTypeDispatch.RunFloat<ComputeCall, Tensor>(inputs[0].DType, new(this, inputs[0], inputs[1]));
    }

    private Tensor Compute<T>(Tensor input, Tensor target) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] x = input.Buffer<T>(), y = target.Buffer<T>();
        T[]? w = ElementwiseLoss.Expanded<T>(weight, input);
        T p = T.CreateTruncating(parameter);
        var result = new LossReduction<T>(reduction, input.Dims);
        for (int i = 0; i < x.Length; i++)
        {
            T xi = x[i];
            if (!TLoss.InDomain(xi)) throw TLoss.OutOfDomain(xi, ElementwiseLoss.Index(i, input.Dims));
            T loss = TLoss.Loss(xi, y[i], p);
            result.Add(i, w is null ? loss : loss * w[i]);
        }
        return result.Finish();
    }

    protected override IReadOnlyList<Tensor?> Backward(Tensor grad)
    {
        var (x, y) = (SavedTensors[0], SavedTensors[1]);
        var gradInput = NeedsInputGrad(0) ? InputGradient(x, y, grad) : null;
        return [gradInput, NeedsInputGrad(1) ? TargetGradient(x, y, grad, gradInput) : null];
    }

    /// <summary>A gradient times the weight, if there is one (before the mean's division, PyTorch's order).</summary>
    protected Tensor Weighted(Tensor t) => weight is null ? t : t * weight;

    /// <summary>What the mean does to a gradient, in the first of PyTorch's two roundings: <c>t / N</c> (the mean's backward), t otherwise.</summary>
    protected Tensor DividedForMean(Tensor t, int n) => reduction == Reduction.Mean ? t / n : t;

    /// <summary>The second: <c>t · (1/N)</c>, the rounded 1/N as a factor (huber_loss_backward, smooth_l1_loss_backward), t otherwise.</summary>
    protected Tensor ScaledForMean(Tensor t, int n) => reduction == Reduction.Mean ? t * (1.0 / n) : t;

    /// <summary>A constant factor of the gradient with the mean's 1/N folded in and rounded: <c>factor / N</c> for the mean (mse_loss_backward's 2/N).</summary>
    protected double FactorForMean(double factor, int n) => reduction == Reduction.Mean ? factor / n : factor;

    /// <summary>∂loss/∂x: ∂ℓ/∂x times <paramref name="grad"/> (and the weight, and 1/N for the mean, in PyTorch's order of roundings).</summary>
    protected abstract Tensor InputGradient(Tensor x, Tensor y, Tensor grad);

    /// <summary>∂loss/∂y; by default -∂loss/∂x, for the losses of x - y (reusing <paramref name="inputGradient"/> when it was computed).</summary>
    protected virtual Tensor TargetGradient(Tensor x, Tensor y, Tensor grad, Tensor? inputGradient) => -(inputGradient ?? InputGradient(x, y, grad));

    private readonly struct ComputeCall(ElementwiseLossFunction<TLoss> f, Tensor input, Tensor target) : IFloatKernelCall<Tensor>
    {
        public Tensor Run<T>() where T : unmanaged, IFloatingPointIeee754<T> => f.Compute<T>(input, target);
    }
}

/// <summary>
/// What the elementwise losses (MSE, L1, Huber, SmoothL1, BCE, BCE with logits) share: argument
/// checks, weights broadcast to the input, and the reduction's scaling of a gradient.
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
            _elements = Tensor.Zeroed((int[])shape.Clone(), typeof(T) == typeof(float) ? DType.Float32 : DType.Float64);
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
        var result = Tensor.Zeroed([], typeof(T) == typeof(float) ? DType.Float32 : DType.Float64);
        result.Buffer<T>()[0] = _reduction == Reduction.Mean ? sum / T.CreateTruncating(_count) : sum;
        return result;
    }
}
