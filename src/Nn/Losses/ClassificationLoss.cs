using System.Numerics;
using Autograd.Kernels;

namespace Autograd.Nn;

/// <summary>Argument checks of the classification losses; every message names the shapes at fault.</summary>
internal static class ClassificationChecks
{
    public static ClassLayout Check(string loss, Tensor input, Tensor target, Tensor? weight, long ignoreIndex, Reduction reduction,
        double labelSmoothing, bool allowProbabilities)
    {
        LossChecks.NotNull(input, loss, nameof(input));
        LossChecks.NotNull(target, loss, nameof(target));
        LossChecks.Float(input, loss, nameof(input));
        LossChecks.Reduction(reduction, loss);
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, $"{loss}: labelSmoothing must be in [0, 1], got {labelSmoothing}.");
        int[] dims = input.Dims;
        if (dims.Length == 0 || dims[dims.Length == 1 ? 0 : 1] == 0)
            throw new ArgumentException($"{loss}: input must have shape (C), (N, C) or (N, C, d1, ..., dk) with C >= 1 classes, got {Shapes.Format(dims)}.", nameof(input));

        int classDim = dims.Length == 1 ? 0 : 1;
        int classes = dims[classDim];
        int[] positionShape = Shapes.Remove(dims, classDim);
        bool probabilities = allowProbabilities && Shapes.Equal(target.Dims, dims);
        if (probabilities)
        {
            if (target.DType != input.DType)
                throw new ArgumentException(
                    $"{loss}: a target of the input's shape {Shapes.Format(dims)} holds class probabilities and must have the input's dtype {input.DType}, got {target.DType}. " +
                    $"(Class indices are Int64 of shape {Shapes.Format(positionShape)}.)", nameof(target));
            if (ignoreIndex >= 0)
                throw new ArgumentException($"{loss}: ignoreIndex ({ignoreIndex}) is not supported for class-probability targets (target shape {Shapes.Format(target.Dims)} = the input's); leave it at its default.", nameof(ignoreIndex));
        }
        else
        {
            string expected = allowProbabilities
                ? $"Int64 class indices of shape {Shapes.Format(positionShape)}, or class probabilities of the input's shape {Shapes.Format(dims)} and dtype {input.DType}"
                : $"Int64 class indices of shape {Shapes.Format(positionShape)}";
            if (target.DType != DType.Int64 || !Shapes.Equal(target.Dims, positionShape))
                throw new ArgumentException(
                    $"{loss}: for input of shape {Shapes.Format(dims)} the target must be {expected}; got {target.DType} of shape {Shapes.Format(target.Dims)}.", nameof(target));
        }

        if (weight is not null)
        {
            if (weight.DType != input.DType || weight.Rank != 1 || weight.Dims[0] != classes)
                throw new ArgumentException(
                    $"{loss}: weight must be a 1-D {input.DType} tensor with one entry per class (C = {classes}, input shape {Shapes.Format(dims)}); got {weight.DType} of shape {Shapes.Format(weight.Dims)} (length {weight.NumberOfElements}).", nameof(weight));
            if (!probabilities && weight.RequiresGrad && Tape.IsGradEnabled)
                throw new ArgumentException(
                    $"{loss}: weight requires grad, but with class-index targets the loss is not differentiable with respect to the weight (as in PyTorch). Pass weight.Detach().", nameof(weight));
        }

        if (!probabilities)
        {
            foreach (long t in target.Buffer<long>())
                if (t != ignoreIndex && (t < 0 || t >= classes))
                    throw new ArgumentOutOfRangeException(nameof(target), t,
                        $"{loss}: Target {t} is out of bounds. Class indices must be in [0, {classes}) for C = {classes} classes (input shape {Shapes.Format(dims)}), or equal ignoreIndex ({ignoreIndex}).");
        }

        var (outer, _, inner) = Shapes.SplitAt(dims, classDim);
        return new ClassLayout(outer, classes, inner, classDim, probabilities, positionShape);
    }
}

/// <summary>
/// What <c>reduction</c> means for cross entropy and NLL, decided here once: None keeps one value
/// per position, Sum adds, Mean divides by the divisor it is given (Σ w[t], or the number of
/// positions for probability targets), and the result's gradient comes back per position or as one
/// value.
/// </summary>
internal readonly record struct ClassReduction(Reduction Reduction)
{
    public bool PerPosition => Reduction == Reduction.None;

    public bool Mean => Reduction == Reduction.Mean;

    /// <summary>The result's shape: one value per position for None, else 0-d.</summary>
    public int[] ResultShape(ClassLayout layout) => PerPosition ? (int[])layout.PositionShape.Clone() : [];

    /// <summary>A reduced sum: <c>sum / divisor</c> for the mean, the sum otherwise.</summary>
    public T Of<T>(T sum, T divisor) where T : IFloatingPointIeee754<T> => Mean ? sum / divisor : sum;

    /// <summary>The result's gradient scaled as the reduction scaled the loss: <c>g / divisor</c> for the mean, g otherwise.</summary>
    public Tensor Of(Tensor g, Tensor divisor) => Mean ? g / divisor : g;

    /// <inheritdoc cref="Of(Tensor, Tensor)"/>
    public Tensor Of(Tensor g, double divisor) => Mean ? g / divisor : g;

    /// <summary>The result's gradient with a length-1 class dim for None (one value per position), so it broadcasts over the classes.</summary>
    public Tensor PerClass(Tensor g, ClassLayout layout) => PerPosition && layout.ClassDim == 1 ? g.Unsqueeze(1) : g;

    /// <summary>A mean over no target (every target ignored): PyTorch writes no gradient anywhere.</summary>
    public bool MeanOfNothing(int counted) => Mean && counted == 0;
}

/// <summary>The closed-form gradients with respect to the log-probabilities, written with tensor ops.</summary>
internal static class ClassificationGradients
{
    /// <summary>
    /// ∂loss/∂log p for class-index targets, in PyTorch's rounding order: the nll part
    /// w[t] · (-(g (1 - e) / Σw)) at the target positions, plus the smoothing part
    /// -(g e / C / Σw) · w[c] on every class of a non-ignored position (no /Σw for Sum and None).
    /// </summary>
    public static Tensor IndexTargets(ClassLayout layout, DType dtype, Tensor target, Tensor? weight, Tensor? wRow, long ignoreIndex,
        ClassReduction reduce, double labelSmoothing, Tensor g, double totalWeight, double smoothWeight, int counted)
    {
        int[] shape = Shapes.Insert(layout.PositionShape, layout.ClassDim, layout.Classes);
        if (reduce.MeanOfNothing(counted))
            return Tensor.Zeros(shape, dtype) * g; // every target ignored: PyTorch writes no gradient anywhere

        var targetWeights = TargetWeights(layout, target, weight, ignoreIndex, shape, dtype);
        var total = Tensor.Scalar(totalWeight, dtype);
        var gNll = labelSmoothing > 0 ? g * (1 - labelSmoothing) : g;
        var sNll = -reduce.Of(gNll, total);
        var a = targetWeights * sNll;
        // PyTorch writes w[t] · s at the targets into zeros, so the other classes hold +0, where
        // 0 · s would give -0 (for s < 0) and, when Σ w[t] = 0 with targets present (all their
        // weights 0: s infinite), 0 · inf = NaN; PyTorch has that NaN at the targets only.
        bool infinite = reduce.Mean && (totalWeight == 0 || smoothWeight == 0);
        if (infinite || !(labelSmoothing > 0))
        {
            // Without weights the target weights are the 1/0 target mask already.
            var isTarget = weight is null ? targetWeights : TargetWeights(layout, target, null, ignoreIndex, shape, dtype);
            a = Tensor.Where(isTarget, a, Tensor.Scalar(0, dtype));
        }
        if (!(labelSmoothing > 0)) return a;

        var sSmooth = -reduce.Of(g * (labelSmoothing / layout.Classes), Tensor.Scalar(smoothWeight, dtype));
        var smooth = wRow is null ? sSmooth.Expand(shape) : sSmooth * wRow;
        var valid = ValidMask(layout, target, ignoreIndex, dtype);
        smooth = infinite
            ? Tensor.Where(valid, smooth, Tensor.Scalar(0, dtype))
            : smooth * valid;
        return a + smooth;
    }

    /// <summary>A constant of the input's shape: w[t] (1 without weights) at each non-ignored target, 0 elsewhere.</summary>
    private static Tensor TargetWeights(ClassLayout layout, Tensor target, Tensor? weight, long ignoreIndex, int[] shape, DType dtype)
    {
        var r = Tensor.Zeroed(shape, dtype);
        DTypeDispatch.RunFloat(dtype, new ScatterTargetWeightsCall(layout, target, weight, ignoreIndex, r));
        return r;
    }

    /// <summary>1 at the non-ignored positions, with a length-1 class dim to broadcast over the classes.</summary>
    private static Tensor ValidMask(ClassLayout layout, Tensor target, long ignoreIndex, DType dtype)
    {
        var t = target.Buffer<long>();
        var mask = new double[t.Length];
        for (int k = 0; k < t.Length; k++) mask[k] = t[k] == ignoreIndex ? 0 : 1;
        return Tensor.FromArray(mask, Shapes.Insert(layout.PositionShape, layout.ClassDim, 1)).To(dtype);
    }

    /// <summary>e^x elementwise, as a constant, with the exp of PyTorch's kernels (see ClassificationLossKernels.Exp).</summary>
    public static Tensor ExpConstant(Tensor x)
    {
        var r = Tensor.Zeroed((int[])x.Dims.Clone(), x.DType);
        DTypeDispatch.RunFloat(x.DType, new ExpCall(x, r));
        return r;
    }

    /// <summary>
    /// Σ_c a over the classes on the last dim, keeping the dim, as a constant, added in the order of
    /// PyTorch's log-softmax backward (<see cref="TorchSum.ReduceAll{T}"/>): a fixed order, unlike a
    /// sum whose lanes follow the hardware's vector width.
    /// </summary>
    public static Tensor RowSumsConstant(Tensor a)
    {
        var shape = (int[])a.Dims.Clone();
        int classes = shape[^1];
        shape[^1] = 1;
        var r = Tensor.Zeroed(shape, a.DType);
        DTypeDispatch.RunFloat(a.DType, new ReduceAllRowsCall(a, classes, r));
        return r;
    }

    /// <summary>(1, C, 1, ..., 1) for an input of rank <paramref name="rank"/>: a per-class vector that broadcasts along dim 1.</summary>
    public static int[] ClassShape(int rank, int classes)
    {
        var shape = Enumerable.Repeat(1, rank).ToArray();
        shape[1] = classes;
        return shape;
    }

    /// <summary>Sums an input-shaped gradient over every dim but the class dim, giving a (C) vector.</summary>
    public static Tensor SumToClasses(Tensor grad, int classDim)
    {
        if (classDim == 0) return grad;
        for (int dim = grad.Rank - 1; dim >= 0; dim--)
            if (dim != classDim) grad = grad.Sum(dim);
        return grad;
    }

    private readonly struct ScatterTargetWeightsCall(ClassLayout layout, Tensor target, Tensor? weight, long ignoreIndex, Tensor r) : IFloatKernelCall
    {
        public void Run<T>() where T : unmanaged, IFloatingPointIeee754<T>
            => ClassificationLossKernels.ScatterTargetWeights<T>(layout, target.Buffer<long>(), weight is null ? [] : weight.Buffer<T>(), ignoreIndex, r.Buffer<T>());
    }

    private readonly struct ExpCall(Tensor x, Tensor r) : IFloatKernelCall
    {
        public void Run<T>() where T : unmanaged, IFloatingPointIeee754<T> => ClassificationLossKernels.Exp<T>(x.Buffer<T>(), r.Buffer<T>());
    }

    private readonly struct ReduceAllRowsCall(Tensor a, int classes, Tensor r) : IFloatKernelCall
    {
        public void Run<T>() where T : unmanaged, IFloatingPointIeee754<T> => TorchSum.ReduceAllRows<T>(a.Buffer<T>(), classes, r.Buffer<T>());
    }
}
