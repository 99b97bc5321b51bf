using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Autograd.Kernels;

/// <summary>
/// The fused ReLU forward. (The activations' backward passes are formulas beside their ops in
/// Ops/Activations.cs, run as fused loops by <see cref="ElementwiseGradient"/>.)
/// </summary>
internal static class ActivationKernels
{
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
}
