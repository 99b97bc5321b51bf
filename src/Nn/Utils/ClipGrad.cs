using System.Globalization;
using System.Numerics;
using Autograd.Kernels;

namespace Autograd.Nn;

/// <summary>
/// Training utilities that act on parameters rather than on activations (like
/// <c>torch.nn.utils</c>): gradient clipping.
/// </summary>
public static partial class Utils
{
    /// <summary>
    /// Rescales the gradients of <paramref name="parameters"/> in place so that their total norm is
    /// at most <paramref name="maxNorm"/> (like <c>torch.nn.utils.clip_grad_norm_</c>), and returns
    /// that total norm, measured before the rescaling. The gradients are seen as one vector:
    /// <code>
    /// total = ‖(‖g₁‖_p, ‖g₂‖_p, …)‖_p          (p = ∞: max over all |gᵢⱼ|)
    /// coef  = min(maxNorm / (total + 1e-6), 1)
    /// gᵢ   ← coef · gᵢ                         (every gradient, even when coef = 1)
    /// </code>
    /// </summary>
    /// <remarks>
    /// Rounds as PyTorch 1.13: each gradient's norm in its own dtype with PyTorch's summation order
    /// (<c>torch.norm</c>), the norms stacked (Float64 if any gradient is) and normed again; then,
    /// in that dtype, <c>maxNorm · (1 / (total + 1e-6))</c> (PyTorch's <c>float / tensor</c> is a
    /// reciprocal times the number), clamped at 1 (a NaN stays NaN), converted to each gradient's
    /// dtype and multiplied in (<c>mul_</c>: the gradient's version counter moves). Parameters without
    /// a gradient are skipped; if none has one, the result is a Float32 zero and nothing changes.
    /// A norm of 32,768 elements or more is added in one sequence, as PyTorch with one thread.
    /// Unlike PyTorch, a NaN or negative <paramref name="maxNorm"/> (which would flip the gradients'
    /// signs) and a NaN <paramref name="normType"/> are refused.
    /// <code>
    /// loss.Backward();
    /// var norm = Utils.ClipGradNorm(model.Parameters(), maxNorm: 1.0);
    /// optimizer.Step();
    /// </code>
    /// </remarks>
    /// <param name="parameters">The tensors whose <see cref="Tensor.Grad"/> to clip (null gradients are skipped).</param>
    /// <param name="maxNorm">The largest total norm allowed, at least 0 (<see cref="double.PositiveInfinity"/> measures without clipping).</param>
    /// <param name="normType">The order p of the norm: 2 (Euclidean) by default, 1, <see cref="double.PositiveInfinity"/> or any other p, as <c>torch.norm</c>.</param>
    /// <param name="errorIfNonfinite">True to throw, before changing anything, when the total norm is NaN or infinite.</param>
    /// <returns>The total norm of the gradients as a 0-d tensor of their (promoted) dtype.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="parameters"/> is null.</exception>
    /// <exception cref="ArgumentException">An element of <paramref name="parameters"/> is null or has an Int64 gradient.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxNorm"/> is negative or NaN, or <paramref name="normType"/> is NaN.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="errorIfNonfinite"/> is true and the total norm is not finite (no gradient was changed).</exception>
    public static Tensor ClipGradNorm(IEnumerable<Tensor> parameters, double maxNorm, double normType = 2, bool errorIfNonfinite = false)
    {
        var grads = GradientsOf(parameters, "ClipGradNorm");
        if (!(maxNorm >= 0))
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, $"ClipGradNorm: maxNorm must be at least 0, got {maxNorm.ToString(CultureInfo.InvariantCulture)}.");
        if (double.IsNaN(normType))
            throw new ArgumentOutOfRangeException(nameof(normType), normType, "ClipGradNorm: normType must be a number (1, 2, double.PositiveInfinity, ...), got NaN.");
        if (grads.Count == 0) return Tensor.Scalar(0f);

        var dtype = grads.Any(g => g.DType == DType.Float64) ? DType.Float64 : DType.Float32;
        var total = DTypeDispatch.RunFloat<TotalNormCall, double>(dtype, new(grads, normType));
        if (errorIfNonfinite && !double.IsFinite(total))
            throw new InvalidOperationException(
                $"The total norm of order {PythonFloat(normType)} for gradients from `parameters` is non-finite, so it cannot be clipped. " +
                "To disable this error and scale the gradients by the non-finite norm anyway, set errorIfNonfinite: false.");
        double coef = DTypeDispatch.RunFloat<ClipCoefficientCall, double>(dtype, new(maxNorm, total));
        using (Tape.NoGrad())
        {
            foreach (var g in grads) g.MulInPlace(Tensor.Scalar(coef, g.DType));
        }
        return Tensor.Scalar(total, dtype);
    }

    /// <summary>
    /// Clamps every gradient element of <paramref name="parameters"/> to
    /// [-<paramref name="clipValue"/>, <paramref name="clipValue"/>] in place (like
    /// <c>torch.nn.utils.clip_grad_value_</c>): gᵢⱼ ← min(max(gᵢⱼ, -c), c), with c rounded to the
    /// gradient's dtype. A NaN stays NaN. Parameters without a gradient are skipped. Unlike PyTorch
    /// (which then sets every element to c), a negative or NaN <paramref name="clipValue"/> is refused.
    /// </summary>
    /// <param name="parameters">The tensors whose <see cref="Tensor.Grad"/> to clamp.</param>
    /// <param name="clipValue">The largest magnitude allowed, at least 0.</param>
    /// <exception cref="ArgumentNullException"><paramref name="parameters"/> is null.</exception>
    /// <exception cref="ArgumentException">An element of <paramref name="parameters"/> is null or has an Int64 gradient.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="clipValue"/> is negative or NaN.</exception>
    public static void ClipGradValue(IEnumerable<Tensor> parameters, double clipValue)
    {
        var grads = GradientsOf(parameters, "ClipGradValue");
        if (!(clipValue >= 0))
            throw new ArgumentOutOfRangeException(nameof(clipValue), clipValue, $"ClipGradValue: clipValue must be at least 0, got {clipValue.ToString(CultureInfo.InvariantCulture)}.");
        using (Tape.NoGrad())
        {
            foreach (var g in grads) g.ClampInPlace(-clipValue, clipValue);
        }
    }

    /// <summary>The gradients of the parameters that have one, checked before anything is changed.</summary>
    private static List<Tensor> GradientsOf(IEnumerable<Tensor> parameters, string op)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var grads = new List<Tensor>();
        int i = 0;
        foreach (var p in parameters)
        {
            if (p is null) throw new ArgumentException($"{op}: parameters[{i}] is null.", nameof(parameters));
            if (p.Grad is Tensor g)
            {
                if (!g.DType.IsFloatingPoint())
                    throw new ArgumentException($"{op}: the gradient of parameters[{i}] is {g.DType} (shape {Shapes.Format(g.Dims)}); only Float32 and Float64 gradients can be clipped.", nameof(parameters));
                g.ThrowIfDisposed();
                grads.Add(g);
            }
            i++;
        }
        return grads;
    }

    /// <summary>A double as Python prints a float: "2.0", "inf", "-inf", "nan".</summary>
    internal static string PythonFloat(double value) => double.IsPositiveInfinity(value) ? "inf"
        : double.IsNegativeInfinity(value) ? "-inf" : double.IsNaN(value) ? "nan"
        : Dropout.PythonFloat(value);

    /// <summary>
    /// The total norm in the stack's dtype: each gradient's norm in its own dtype, converted
    /// to the stack's dtype (exact), then the norm of those (p = ∞: their NaN-propagating maximum).
    /// </summary>
    private readonly struct TotalNormCall(List<Tensor> grads, double normType) : IFloatKernelCall<double>
    {
        public double Run<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            var norms = new T[grads.Count];
            for (int i = 0; i < norms.Length; i++)
                norms[i] = grads[i].Data is float[] f ? T.CreateTruncating(TorchNorm.Norm<float>(f, normType)) : T.CreateTruncating(TorchNorm.Norm<double>(grads[i].Buffer<double>(), normType));
            // PyTorch: norms[0] if len(norms) == 1 else torch.max(torch.stack(norms)) for p = inf;
            // torch.norm(torch.stack(norms), p) otherwise (even for one gradient).
            T total = double.IsPositiveInfinity(normType)
                ? (norms.Length == 1 ? norms[0] : Max(norms))
                : TorchNorm.Norm<T>(norms, normType);
            return double.CreateTruncating(total);
        }

        private static T Max<T>(T[] values) where T : unmanaged, IFloatingPointIeee754<T>
        {
            T m = values[0];
            foreach (var v in values)
            {
                if (T.IsNaN(v)) return v;
                if (v > m) m = v;
            }
            return m;
        }
    }

    /// <summary>min(maxNorm · (1 / (total + 1e-6)), 1) in the total's dtype, each step rounded as PyTorch's tensor ops.</summary>
    private readonly struct ClipCoefficientCall(double maxNorm, double total) : IFloatKernelCall<double>
    {
        public double Run<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            T denominator = T.CreateTruncating(total) + T.CreateTruncating(1e-6);
            T coef = T.One / denominator * T.CreateTruncating(maxNorm);
            return double.CreateTruncating(T.IsNaN(coef) || coef <= T.One ? coef : T.One);
        }
    }
}
