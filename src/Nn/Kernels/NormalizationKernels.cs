using System.Numerics;

namespace Autograd.Nn;

/// <summary>
/// Batch normalisation's per-channel loops on an input viewed as (N, C, L), with PyTorch 1.13's
/// CPU rounding (aten/src/ATen/native/cpu/batch_norm_kernel.cpp, contiguous path): sums are
/// accumulated in double in a fixed order (n, then l), the mean is rounded to the element type
/// before it is used, and the per-channel scale α = invstd·γ and shift β = b − mean·α are formed in
/// the element type, β = fma(−mean, α, b) and y = fma(x, α, β) as GCC contracts PyTorch's AVX2
/// kernel. Every loop is sequential, so the bits are the same on every CPU.
/// </summary>
internal static class NormalizationKernels
{
    /// <summary>
    /// mean[c] = (T)(Σ_{n,l} x / M) and varSum[c] = (T)Σ_{n,l} (T)((x − mean[c])²), the sums in double,
    /// M = N·L (PyTorch's batch_norm_cpu_collect_stats).
    /// </summary>
    public static void CollectStats<T>(ReadOnlySpan<T> x, int n, int c, int l, Span<T> mean, Span<T> varSum)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long m = (long)n * l;
        for (int ch = 0; ch < c; ch++)
        {
            double sum = 0;
            for (int b = 0; b < n; b++)
            {
                var row = x.Slice((b * c + ch) * l, l);
                for (int i = 0; i < row.Length; i++) sum += double.CreateTruncating(row[i]);
            }
            T mu = T.CreateTruncating(sum / m);
            double sq = 0;
            for (int b = 0; b < n; b++)
            {
                var row = x.Slice((b * c + ch) * l, l);
                for (int i = 0; i < row.Length; i++)
                {
                    T d = row[i] - mu;
                    sq += double.CreateTruncating(d * d);
                }
            }
            mean[ch] = mu;
            varSum[ch] = T.CreateTruncating(sq);
        }
    }

    /// <summary>y[n, c, l] = x[n, c, l]·α[c] + β[c] (one rounding), α = invstd·γ, β = b − mean·α (one rounding), in T.</summary>
    public static void Transform<T>(ReadOnlySpan<T> x, int n, int c, int l, ReadOnlySpan<T> mean, ReadOnlySpan<T> invstd,
        ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int ch = 0; ch < c; ch++)
        {
            T alpha = invstd[ch] * weight[ch];
            T beta = T.FusedMultiplyAdd(-mean[ch], alpha, bias[ch]);
            for (int b = 0; b < n; b++)
            {
                int start = (b * c + ch) * l;
                var src = x.Slice(start, l);
                var dst = y.Slice(start, l);
                for (int i = 0; i < src.Length; i++)
                {
                    dst[i] = T.FusedMultiplyAdd(src[i], alpha, beta);
                }
            }
        }
    }

    /// <summary>
    /// The backward of y = (x − mean)·invstd·γ + β, per channel (PyTorch's batch_norm_cpu_backward):
    /// s = Σ dy, p = Σ (x − mean)·dy (in double, rounded to T);
    /// training: dx = (dy − s/M − (x − mean)·k)·invstd·γ with k = p·invstd²/M (the batch statistics depend on x);
    /// eval: dx = dy·(invstd·γ); dγ = p·invstd, dβ = s. Null spans are gradients not asked for.
    /// </summary>
    public static void Backward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, int n, int c, int l, ReadOnlySpan<T> mean,
        ReadOnlySpan<T> invstd, ReadOnlySpan<T> weight, bool training, Span<T> dx, Span<T> dWeight, Span<T> dBias)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T count = T.CreateTruncating((double)((long)n * l));
        for (int ch = 0; ch < c; ch++)
        {
            T mu = mean[ch], inv = invstd[ch], w = weight[ch];
            double sum = 0, dot = 0;
            for (int b = 0; b < n; b++)
            {
                int start = (b * c + ch) * l;
                var xs = x.Slice(start, l);
                var gs = dy.Slice(start, l);
                for (int i = 0; i < xs.Length; i++)
                {
                    sum += double.CreateTruncating(gs[i]);
                    dot += double.CreateTruncating((xs[i] - mu) * gs[i]);
                }
            }
            T s = T.CreateTruncating(sum), p = T.CreateTruncating(dot);
            if (!dx.IsEmpty)
            {
                if (training)
                {
                    T k = p * inv * inv / count;
                    T gradMean = s / count;
                    for (int b = 0; b < n; b++)
                    {
                        int start = (b * c + ch) * l;
                        for (int i = start; i < start + l; i++)
                        {
                            T centred = (x[i] - mu) * k;
                            dx[i] = (dy[i] - gradMean - centred) * inv * w;
                        }
                    }
                }
                else
                {
                    T scale = inv * w;
                    for (int b = 0; b < n; b++)
                    {
                        int start = (b * c + ch) * l;
                        for (int i = start; i < start + l; i++) dx[i] = dy[i] * scale;
                    }
                }
            }
            if (!dWeight.IsEmpty) dWeight[ch] = p * inv;
            if (!dBias.IsEmpty) dBias[ch] = s;
        }
    }
}
