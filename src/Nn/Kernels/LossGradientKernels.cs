using System.Numerics;

// The benchmark project times these kernels directly (as Autograd lets it time the GEMM).
[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("Autograd.Benchmarks")]

namespace Autograd.Nn;

/// <summary>
/// Fused gradient loops of the elementwise losses. Each computes, element by element, the same
/// IEEE operations in the same order as the tensor-op formula in the loss's Backward, so the
/// fused and the recorded gradients agree bit for bit.
/// </summary>
internal static class LossGradientKernels
{
    /// <summary>
    /// The input gradient of BCE with logits, in place over <paramref name="sigmoid"/> = σ(x):
    /// <c>((σ - y) · g) [· w] [/ N]</c>, or with pos_weight p <c>((((p·y + 1) - y) · σ - p·y) · g) [· w] [/ N]</c>,
    /// where g is one value (a reduced loss) or one per element.
    /// </summary>
    public static void BinaryCrossEntropyWithLogits<T>(Span<T> sigmoid, ReadOnlySpan<T> y, ReadOnlySpan<T> posWeight, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> g, bool mean) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = sigmoid.Length;
        if (y.Length != n || (!posWeight.IsEmpty && posWeight.Length != n) || (!weight.IsEmpty && weight.Length != n) || (g.Length != 1 && g.Length != n))
            throw new ArgumentException("BinaryCrossEntropyWithLogits gradient: spans of different lengths.");
        T count = T.CreateTruncating(n); // grad / n: n as a scalar of the dtype
        bool scalarG = g.Length == 1;
        for (int i = 0; i < n; i++)
        {
            T s = sigmoid[i], yi = y[i];
            T local;
            if (posWeight.IsEmpty) local = s - yi;
            else
            {
                T py = posWeight[i] * yi;
                local = (py + T.One - yi) * s - py;
            }
            T r = local * (scalarG ? g[0] : g[i]);
            if (!weight.IsEmpty) r *= weight[i];
            sigmoid[i] = mean ? r / count : r;
        }
    }
}
