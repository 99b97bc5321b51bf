using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Autograd.Kernels;

/// <summary>The activations whose backward has a fused kernel.</summary>
internal enum ActivationGradient { Relu, Sigmoid, Tanh }

/// <summary>
/// Fused forward and backward loops of the activations. Each computes, element by element, exactly
/// what the tensor-op formula beside the op computes (the same IEEE operations in the same order),
/// so the fused and the recorded backward agree bit for bit.
/// </summary>
internal static class ActivationKernels
{
    /// <summary><c>d</c> = the gradient of the activation <paramref name="kind"/> from its result <paramref name="r"/> and the output gradient <paramref name="g"/>.</summary>
    public static void Backward<T>(ActivationGradient kind, ReadOnlySpan<T> r, ReadOnlySpan<T> g, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (kind)
        {
            case ActivationGradient.Relu: ReluBackward(r, g, d); break;
            case ActivationGradient.Sigmoid: SigmoidBackward(r, g, d); break;
            default: TanhBackward(r, g, d); break;
        }
    }

    /// <summary><c>d[i] = x[i] &gt; 0 || x[i] is NaN ? x[i] : 0</c> (max(x, 0) with NaN kept, as torch.relu).</summary>
    public static void Relu<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (d.Length < x.Length) throw new ArgumentException("Destination too short.", nameof(d));
        ref T xs = ref MemoryMarshal.GetReference(x);
        ref T ds = ref MemoryMarshal.GetReference(d);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= x.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var v = Vector.LoadUnsafe(ref xs, (nuint)i);
                var keep = Vector.GreaterThan(v, Vector<T>.Zero) | ~Vector.Equals(v, v);
                Vector.ConditionalSelect(keep, v, Vector<T>.Zero).StoreUnsafe(ref ds, (nuint)i);
            }
        }
        for (; i < x.Length; i++)
        {
            T v = Unsafe.Add(ref xs, i);
            Unsafe.Add(ref ds, i) = v > T.Zero || T.IsNaN(v) ? v : T.Zero;
        }
    }

    /// <summary><c>d[i] = r[i] &gt; 0 ? g[i] : 0</c>: the ReLU gradient from its result r.</summary>
    public static void ReluBackward<T>(ReadOnlySpan<T> r, ReadOnlySpan<T> g, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (g.Length < r.Length || d.Length < r.Length) throw new ArgumentException("Spans of different lengths.");
        ref T rs = ref MemoryMarshal.GetReference(r);
        ref T gs = ref MemoryMarshal.GetReference(g);
        ref T ds = ref MemoryMarshal.GetReference(d);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= r.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var keep = Vector.GreaterThan(Vector.LoadUnsafe(ref rs, (nuint)i), Vector<T>.Zero);
                Vector.ConditionalSelect(keep, Vector.LoadUnsafe(ref gs, (nuint)i), Vector<T>.Zero).StoreUnsafe(ref ds, (nuint)i);
            }
        }
        for (; i < r.Length; i++) Unsafe.Add(ref ds, i) = Unsafe.Add(ref rs, i) > T.Zero ? Unsafe.Add(ref gs, i) : T.Zero;
    }

    /// <summary><c>d[i] = g[i] · (1 - s[i]) · s[i]</c>: the sigmoid gradient from its result s, multiplied left to right.</summary>
    public static void SigmoidBackward<T>(ReadOnlySpan<T> s, ReadOnlySpan<T> g, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (g.Length < s.Length || d.Length < s.Length) throw new ArgumentException("Spans of different lengths.");
        ref T ss = ref MemoryMarshal.GetReference(s);
        ref T gs = ref MemoryMarshal.GetReference(g);
        ref T ds = ref MemoryMarshal.GetReference(d);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= s.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var v = Vector.LoadUnsafe(ref ss, (nuint)i);
                (Vector.LoadUnsafe(ref gs, (nuint)i) * (Vector<T>.One - v) * v).StoreUnsafe(ref ds, (nuint)i);
            }
        }
        for (; i < s.Length; i++)
        {
            T v = Unsafe.Add(ref ss, i);
            Unsafe.Add(ref ds, i) = Unsafe.Add(ref gs, i) * (T.One - v) * v;
        }
    }

    /// <summary><c>d[i] = g[i] · (1 - t[i] · t[i])</c>: the tanh gradient from its result t.</summary>
    public static void TanhBackward<T>(ReadOnlySpan<T> t, ReadOnlySpan<T> g, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (g.Length < t.Length || d.Length < t.Length) throw new ArgumentException("Spans of different lengths.");
        ref T ts = ref MemoryMarshal.GetReference(t);
        ref T gs = ref MemoryMarshal.GetReference(g);
        ref T ds = ref MemoryMarshal.GetReference(d);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= t.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var v = Vector.LoadUnsafe(ref ts, (nuint)i);
                (Vector.LoadUnsafe(ref gs, (nuint)i) * (Vector<T>.One - v * v)).StoreUnsafe(ref ds, (nuint)i);
            }
        }
        for (; i < t.Length; i++)
        {
            T v = Unsafe.Add(ref ts, i);
            Unsafe.Add(ref ds, i) = Unsafe.Add(ref gs, i) * (T.One - v * v);
        }
    }
}
