using System.Numerics;
using System.Runtime.InteropServices;
using Autograd.Kernels;

namespace Autograd.Nn;

/// <summary>
/// One LSTM step's elementwise work for a range of hidden units of one row, for the layer's fused
/// path (<see cref="LstmSequence"/>, used by <c>RecurrentLayerFunction</c> outside <c>createGraph</c>). Each element goes through the same
/// IEEE operations in the same order as the cell's ops (<c>RecurrentSteps.Lstm</c>) and their
/// autograd derivatives, with the same Sleef sigmoid and tanh, so the fused and the recorded
/// paths agree bit for bit (RecurrentModuleTests checks it); what it saves is the dozen
/// temporaries and passes over memory of the separate ops.
/// </summary>
internal static class LstmKernels
{
    /// <summary>
    /// One row's units [start, start + count): <paramref name="a"/> is the row's (4·hidden) gate
    /// pre-activations [i f g o], activated in place (i, f, o = σ, g = tanh); then c = f c_prev + i g,
    /// tc = tanh(c), h = o tc for those units (<paramref name="cPrev"/>, <paramref name="c"/>,
    /// <paramref name="tc"/>, <paramref name="h"/> are the units' slices).
    /// </summary>
    public static void ActivateAndUpdate<T>(Span<T> a, int start, int count, int hidden, ReadOnlySpan<T> cPrev, Span<T> c, Span<T> tc, Span<T> h)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Span<T> i = a.Slice(start, count), f = a.Slice(hidden + start, count), g = a.Slice(2 * hidden + start, count), o = a.Slice(3 * hidden + start, count);
        Sigmoid(i);
        Sigmoid(f);
        Tanh(g);
        Sigmoid(o);
        // (f * c) + (i * g): two rounded products, one sum. Vector<T> lanes round each element as
        // the scalar tail does (no fused operations), so the width never shows in the bits.
        int v = Vector<T>.Count, k = 0;
        for (; k <= count - v; k += v)
            (new Vector<T>(f[k..]) * new Vector<T>(cPrev[k..]) + new Vector<T>(i[k..]) * new Vector<T>(g[k..])).CopyTo(c[k..]);
        for (; k < count; k++)
        {
            T product = i[k] * g[k];
            c[k] = f[k] * cPrev[k] + product;
        }
        Tanh(c, tc);
        System.Numerics.Tensors.TensorPrimitives.Multiply<T>(o, tc, h);
    }

    /// <summary>
    /// One row's backward for units [start, start + count), from dh (the gradient reaching h) and
    /// dcNext (reaching c from later): the gates' gradient before the activations, into the row's
    /// (4·hidden) <paramref name="dGates"/> [di df dg do] and into <paramref name="dGatesPart"/>
    /// (4·count, the units' gates side by side), and the gradient reaching c_prev, as autograd
    /// composes the cell's derivatives:
    /// do = dh tc; dc = (dh o)(1 - tc²) + dcNext; di = dc g; df = dc c_prev; dg = dc i;
    /// σ' = (d (1 - s)) s; tanh' = d (1 - t²); dc_prev = dc f.
    /// <paramref name="dcPrev"/> may be <paramref name="dcNext"/> itself.
    /// </summary>
    public static void BackwardUnits<T>(ReadOnlySpan<T> dh, ReadOnlySpan<T> dcNext, ReadOnlySpan<T> act, ReadOnlySpan<T> tc, ReadOnlySpan<T> cPrev,
        int start, int count, int hidden, Span<T> dGates, Span<T> dGatesPart, Span<T> dcPrev) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T one = T.One;
        int v = Vector<T>.Count, k = 0;
        var ones = Vector<T>.One;
        for (; k <= count - v; k += v)
        {
            int u = start + k;
            Vector<T> i = new(act[u..]), f = new(act[(hidden + u)..]), g = new(act[(2 * hidden + u)..]), o = new(act[(3 * hidden + u)..]), t = new(tc[k..]);
            Vector<T> dhv = new(dh[k..]);
            var dO = dhv * t;
            var dC = (dhv * o) * (ones - t * t) + new Vector<T>(dcNext[k..]);
            var di = (dC * g) * (ones - i) * i;
            var df = (dC * new Vector<T>(cPrev[k..])) * (ones - f) * f;
            var dg = (dC * i) * (ones - g * g);
            var dOut = dO * (ones - o) * o;
            (dC * f).CopyTo(dcPrev[k..]);
            di.CopyTo(dGates[u..]);
            df.CopyTo(dGates[(hidden + u)..]);
            dg.CopyTo(dGates[(2 * hidden + u)..]);
            dOut.CopyTo(dGates[(3 * hidden + u)..]);
            di.CopyTo(dGatesPart[k..]);
            df.CopyTo(dGatesPart[(count + k)..]);
            dg.CopyTo(dGatesPart[(2 * count + k)..]);
            dOut.CopyTo(dGatesPart[(3 * count + k)..]);
        }
        for (; k < count; k++)
        {
            int u = start + k;
            T i = act[u], f = act[hidden + u], g = act[2 * hidden + u], o = act[3 * hidden + u], t = tc[k];
            T dO = dh[k] * t;
            T dC = (dh[k] * o) * (one - t * t) + dcNext[k];
            dcPrev[k] = dC * f;
            T di = (dC * g) * (one - i) * i;
            T df = (dC * cPrev[k]) * (one - f) * f;
            T dg = (dC * i) * (one - g * g);
            T dOut = dO * (one - o) * o;
            (dGates[u], dGates[hidden + u], dGates[2 * hidden + u], dGates[3 * hidden + u]) = (di, df, dg, dOut);
            (dGatesPart[k], dGatesPart[count + k], dGatesPart[2 * count + k], dGatesPart[3 * count + k]) = (di, df, dg, dOut);
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
