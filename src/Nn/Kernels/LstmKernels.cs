using System.Numerics;
using System.Runtime.InteropServices;
using Autograd.Kernels;

namespace Autograd.Nn;

/// <summary>
/// One LSTM step's elementwise work, fused over rows of N × hidden, for the layer op
/// (<c>RecurrentLayerFunction</c>) outside <c>createGraph</c>. Each element goes through the same
/// IEEE operations in the same order as the cell's ops (<c>RecurrentSteps.Lstm</c>) and their
/// autograd derivatives, with the same Sleef sigmoid and tanh, so the fused and the recorded
/// paths agree bit for bit (RecurrentModuleTests checks it); what it saves is the dozen
/// temporaries and passes over memory of the separate ops.
/// </summary>
internal static class LstmKernels
{
    /// <summary>
    /// gates = hg + gi, then i, f, o = σ(·) and g = tanh(·) into <paramref name="act"/> (N, 4·hidden,
    /// rows [i f g o]); c = f c_prev + i g; tc = tanh(c); h = o tc.
    /// </summary>
    public static void Forward<T>(ReadOnlySpan<T> hg, ReadOnlySpan<T> gi, ReadOnlySpan<T> cPrev, Span<T> act, Span<T> c, Span<T> tc, Span<T> h, int rows, int hidden)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int g4 = 4 * hidden;
        Span<T> product = hidden <= 512 ? stackalloc T[hidden] : new T[hidden];
        for (int n = 0; n < rows; n++)
        {
            var a = act.Slice(n * g4, g4);
            for (int k = 0; k < g4; k++) a[k] = hg[n * g4 + k] + gi[n * g4 + k];   // linear_hh(h).add_(gi)
            Sigmoid(a[..(2 * hidden)]);                                            // i, f
            Tanh(a.Slice(2 * hidden, hidden));                                     // g
            Sigmoid(a.Slice(3 * hidden, hidden));                                  // o
            Span<T> i = a[..hidden], f = a.Slice(hidden, hidden), g = a.Slice(2 * hidden, hidden), o = a.Slice(3 * hidden, hidden);
            var cRow = c.Slice(n * hidden, hidden);
            var cp = cPrev.Slice(n * hidden, hidden);
            for (int k = 0; k < hidden; k++)
            {
                product[k] = i[k] * g[k];
                cRow[k] = f[k] * cp[k] + product[k];                                   // (f * c) + (i * g): two rounded products, one sum
            }
            var tcRow = tc.Slice(n * hidden, hidden);
            Tanh(cRow, tcRow);
            var hRow = h.Slice(n * hidden, hidden);
            for (int k = 0; k < hidden; k++) hRow[k] = o[k] * tcRow[k];
        }
    }

    /// <summary>
    /// The step's backward from dh (the gradient reaching h) and dcNext (reaching c from later):
    /// the gates' gradient dGates (N, 4·hidden, [di df dg do] before the activations) and the
    /// gradient reaching c_prev, as autograd composes the cell's derivatives:
    /// do = dh tc; dc = (dh o)(1 - tc²) + dcNext; di = dc g; df = dc c_prev; dg = dc i;
    /// σ' = (d (1 - s)) s; tanh' = d (1 - t²); dc_prev = dc f.
    /// </summary>
    public static void Backward<T>(ReadOnlySpan<T> dh, ReadOnlySpan<T> dcNext, ReadOnlySpan<T> act, ReadOnlySpan<T> tc, ReadOnlySpan<T> cPrev,
        Span<T> dGates, Span<T> dcPrev, int rows, int hidden) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int g4 = 4 * hidden;
        T one = T.One;
        for (int n = 0; n < rows; n++)
        {
            var a = act.Slice(n * g4, g4);
            var d = dGates.Slice(n * g4, g4);
            for (int k = 0; k < hidden; k++)
            {
                int e = n * hidden + k;
                T i = a[k], f = a[hidden + k], g = a[2 * hidden + k], o = a[3 * hidden + k], t = tc[e];
                T dO = dh[e] * t;
                T dC = (dh[e] * o) * (one - t * t) + dcNext[e];
                dcPrev[e] = dC * f;
                d[k] = (dC * g) * (one - i) * i;
                d[hidden + k] = (dC * cPrev[e]) * (one - f) * f;
                d[2 * hidden + k] = (dC * i) * (one - g * g);
                d[3 * hidden + k] = dO * (one - o) * o;
            }
        }
    }

    private static void Sigmoid<T>(Span<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float)) SleefFloat.Sigmoid(MemoryMarshal.Cast<T, float>(x), MemoryMarshal.Cast<T, float>(x));
        else SleefDouble.Sigmoid(MemoryMarshal.Cast<T, double>(x), MemoryMarshal.Cast<T, double>(x));
    }

    private static void Tanh<T>(Span<T> x) where T : unmanaged, IFloatingPointIeee754<T> => Tanh<T>(x, x);

    private static void Tanh<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float)) SleefFloat.Tanh(MemoryMarshal.Cast<T, float>(x), MemoryMarshal.Cast<T, float>(d));
        else SleefDouble.Tanh(MemoryMarshal.Cast<T, double>(x), MemoryMarshal.Cast<T, double>(d));
    }
}
