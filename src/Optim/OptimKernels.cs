using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Autograd.Optim;

/// <summary>
/// The per-element update loops of the optimizers, one fused pass per parameter.
/// </summary>
/// <remarks>
/// <para>
/// Each loop reproduces, element by element, the rounding of PyTorch 1.13's single-tensor CPU code
/// path, so float32 trajectories match PyTorch bit for bit. What those kernels do was measured on
/// PyTorch 1.13.1 (AVX2 kernels), and tools/gen_optim_fixtures.py re-checks it before writing fixtures:
/// </para>
/// <list type="bullet">
/// <item><c>a.add(b, alpha=s)</c> is one fused multiply-add, <c>fma(b, s, a)</c> (AVX2 <c>vfmadd</c> in the
/// vector body, and GCC contracts the scalar tail the same way);</item>
/// <item><c>a.addcmul_(t1, t2, value=s)</c> is <c>fma(s * t1, t2, a)</c>;</item>
/// <item><c>a.addcdiv_(t1, t2, value=s)</c> is <c>a + (s * t1) / t2</c>, no fusion (there is a division in the way);</item>
/// <item><c>a.mul_(s)</c>, <c>a / s</c>, <c>a + s</c>, <c>sqrt</c>, <c>torch.maximum</c> are single IEEE operations.</item>
/// </list>
/// <para>
/// A Python scalar (lr, a beta, a bias correction) is a double; the kernel converts it to the
/// tensor's dtype once, so every scalar below arrives already rounded to the element type,
/// computed in double exactly as the Python code computes it. .NET never contracts <c>a * b + c</c>
/// on its own, so every fusion here is an explicit <c>T.FusedMultiplyAdd</c>.
/// </para>
/// </remarks>
internal static partial class OptimKernels
{
    /// <summary>The scalars of one SGD step, already converted to the parameter's dtype.</summary>
    internal readonly record struct SgdScalars<T>(
        T NegativeLr, T Momentum, T OneMinusDampening, T WeightDecay,
        bool UseWeightDecay, bool UseMomentum, bool Nesterov, bool Maximize);

    /// <summary>
    /// One SGD step (torch/optim/sgd.py, <c>_single_tensor_sgd</c>). <paramref name="buffer"/> is the
    /// momentum buffer (empty without momentum); <paramref name="firstStep"/> initialises it with the
    /// gradient itself, undamped, as PyTorch's <c>torch.clone(d_p)</c> does.
    /// </summary>
    public static void Sgd<T>(Span<T> param, ReadOnlySpan<T> grad, Span<T> buffer, bool firstStep, in SgdScalars<T> s)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < param.Length; i++)
        {
            T d = s.Maximize ? -grad[i] : grad[i];                                    // d_p = -grad if maximize
            if (s.UseWeightDecay) d = T.FusedMultiplyAdd(param[i], s.WeightDecay, d); // d_p = d_p.add(param, alpha=wd)
            if (s.UseMomentum)
            {
                T b = firstStep ? d : T.FusedMultiplyAdd(d, s.OneMinusDampening, buffer[i] * s.Momentum); // buf.mul_(mu).add_(d_p, alpha=1-tau)
                buffer[i] = b;
                d = s.Nesterov ? T.FusedMultiplyAdd(b, s.Momentum, d) : b;          // d_p.add(buf, alpha=mu) or buf
            }
            param[i] = T.FusedMultiplyAdd(d, s.NegativeLr, param[i]);               // param.add_(d_p, alpha=-lr)
        }
    }

    /// <summary>The scalars of one Adam/AdamW step, already converted to the parameter's dtype.</summary>
    internal readonly record struct AdamScalars<T>(
        T Beta1, T OneMinusBeta1, T Beta2, T OneMinusBeta2, T Eps, T WeightDecay, T DecoupledDecay,
        T BiasCorrection2Sqrt, T NegativeStepSize, bool UseWeightDecay, bool Decoupled, bool Amsgrad, bool Maximize);

    /// <summary>
    /// One Adam step (torch/optim/adam.py, <c>_single_tensor_adam</c>) or, with
    /// <see cref="AdamScalars{T}.Decoupled"/>, one AdamW step (adamw.py, <c>_single_tensor_adamw</c>):
    /// AdamW first shrinks the parameter by <c>1 - lr * wd</c> and does not add the decay to the gradient.
    /// <paramref name="maxExpAvgSq"/> is empty unless amsgrad is on.
    /// </summary>
    public static void Adam<T>(Span<T> param, ReadOnlySpan<T> grad, Span<T> expAvg, Span<T> expAvgSq, Span<T> maxExpAvgSq, in AdamScalars<T> s)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = s.Amsgrad ? 0 : AdamVectors(param, grad, expAvg, expAvgSq, s);
        for (; i < param.Length; i++)
        {
            T g = s.Maximize ? -grad[i] : grad[i];
            if (s.UseWeightDecay) g = T.FusedMultiplyAdd(param[i], s.WeightDecay, g);   // grad.add(param, alpha=wd)
            if (s.Decoupled) param[i] *= s.DecoupledDecay;                             // param.mul_(1 - lr * wd)

            T m = T.FusedMultiplyAdd(g, s.OneMinusBeta1, expAvg[i] * s.Beta1);         // exp_avg.mul_(b1).add_(grad, alpha=1-b1)
            T v = T.FusedMultiplyAdd(s.OneMinusBeta2 * g, g, expAvgSq[i] * s.Beta2);   // exp_avg_sq.mul_(b2).addcmul_(grad, grad, value=1-b2)
            expAvg[i] = m;
            expAvgSq[i] = v;
            if (s.Amsgrad)
            {
                v = T.Max(maxExpAvgSq[i], v);                                          // torch.maximum (NaN propagates)
                maxExpAvgSq[i] = v;
            }

            T denom = T.Sqrt(v) / s.BiasCorrection2Sqrt + s.Eps;                        // (v.sqrt() / sqrt(bc2)).add_(eps)
            param[i] = param[i] + s.NegativeStepSize * m / denom;                       // param.addcdiv_(m, denom, value=-step_size)
        }
    }

    /// <summary>
    /// The Adam update above (without amsgrad) a vector at a time: the same operations per element
    /// (fused multiply-adds stay fused, sqrt and division are correctly rounded either way), so the
    /// same bits. Returns how many leading elements it updated; the scalar loop does the rest.
    /// </summary>
    private static int AdamVectors<T>(Span<T> param, ReadOnlySpan<T> grad, Span<T> expAvg, Span<T> expAvgSq, in AdamScalars<T> s)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!Vector256.IsHardwareAccelerated || (typeof(T) != typeof(float) && typeof(T) != typeof(double))) return 0;
        int n = param.Length - param.Length % Vector256<T>.Count;
        if (grad.Length < n || expAvg.Length < n || expAvgSq.Length < n) return 0;
        var beta1 = Vector256.Create(s.Beta1);
        var oneMinusBeta1 = Vector256.Create(s.OneMinusBeta1);
        var beta2 = Vector256.Create(s.Beta2);
        var oneMinusBeta2 = Vector256.Create(s.OneMinusBeta2);
        var eps = Vector256.Create(s.Eps);
        var weightDecay = Vector256.Create(s.WeightDecay);
        var decoupledDecay = Vector256.Create(s.DecoupledDecay);
        var biasCorrection2Sqrt = Vector256.Create(s.BiasCorrection2Sqrt);
        var negativeStepSize = Vector256.Create(s.NegativeStepSize);
        ref T p = ref MemoryMarshal.GetReference(param);
        ref T gr = ref MemoryMarshal.GetReference(grad);
        ref T ea = ref MemoryMarshal.GetReference(expAvg);
        ref T es = ref MemoryMarshal.GetReference(expAvgSq);
        for (int i = 0; i < n; i += Vector256<T>.Count)
        {
            var pi = Vector256.LoadUnsafe(ref p, (nuint)i);
            var g = Vector256.LoadUnsafe(ref gr, (nuint)i);
            if (s.Maximize) g = -g;
            if (s.UseWeightDecay) g = FusedMultiplyAdd(pi, weightDecay, g);
            if (s.Decoupled) pi *= decoupledDecay;
            var m = FusedMultiplyAdd(g, oneMinusBeta1, Vector256.LoadUnsafe(ref ea, (nuint)i) * beta1);
            var v = FusedMultiplyAdd(oneMinusBeta2 * g, g, Vector256.LoadUnsafe(ref es, (nuint)i) * beta2);
            m.StoreUnsafe(ref ea, (nuint)i);
            v.StoreUnsafe(ref es, (nuint)i);
            var denom = Vector256.Sqrt(v) / biasCorrection2Sqrt + eps;
            (pi + negativeStepSize * m / denom).StoreUnsafe(ref p, (nuint)i);
        }
        return n;
    }

    private static Vector256<T> FusedMultiplyAdd<T>(Vector256<T> a, Vector256<T> b, Vector256<T> c) where T : unmanaged =>
        typeof(T) == typeof(float)
            ? Vector256.FusedMultiplyAdd(a.As<T, float>(), b.As<T, float>(), c.As<T, float>()).As<float, T>()
            : Vector256.FusedMultiplyAdd(a.As<T, double>(), b.As<T, double>(), c.As<T, double>()).As<double, T>();
}
