using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Autograd.Kernels;

/// <summary>
/// The arithmetic a derivative formula is written in. <see cref="Tensor"/> implements it with its
/// recorded ops (so the formula is differentiable again under createGraph); <see cref="ScalarValue{T}"/>
/// and <see cref="VectorValue{T}"/> implement it on one element and on one SIMD vector, so the same
/// formula runs as the fused loop of <see cref="ElementwiseGradient"/>. The same IEEE operations in
/// the same order on every path: the paths agree bit for bit.
/// </summary>
internal interface IGradientValue<TSelf> where TSelf : IGradientValue<TSelf>
{
    static abstract TSelf operator +(TSelf a, TSelf b);
    static abstract TSelf operator -(TSelf a, TSelf b);
    static abstract TSelf operator *(TSelf a, TSelf b);
    static abstract TSelf operator /(TSelf a, TSelf b);

    /// <summary>
    /// 1 - x. (One operation rather than a constant 1: the JIT reloads a SIMD constant that passes
    /// through a struct on every pass of the fused loop; see docs/performance.md.)
    /// </summary>
    static abstract TSelf OneMinus(TSelf x);

    /// <summary>
    /// g where r &gt; 0, else +0 (PyTorch's <c>threshold_backward(grad, result, 0)</c>; false for a
    /// NaN r).
    /// </summary>
    static abstract TSelf ThresholdBackward(TSelf g, TSelf r);
}

/// <summary>
/// An elementwise op's input gradient from its result r and output gradient g, written once as a
/// generic formula over <see cref="IGradientValue{TSelf}"/> (as TensorPrimitives' operator structs).
/// </summary>
internal interface IElementwiseGradient
{
    static abstract TV Apply<TV>(TV r, TV g) where TV : IGradientValue<TV>;
}

/// <summary>One element, for the fused loop's tail.</summary>
internal readonly struct ScalarValue<T>(T value) : IGradientValue<ScalarValue<T>> where T : unmanaged, IFloatingPointIeee754<T>
{
    public readonly T Value = value;

    public static ScalarValue<T> operator +(ScalarValue<T> a, ScalarValue<T> b) => new(a.Value + b.Value);
    public static ScalarValue<T> operator -(ScalarValue<T> a, ScalarValue<T> b) => new(a.Value - b.Value);
    public static ScalarValue<T> operator *(ScalarValue<T> a, ScalarValue<T> b) => new(a.Value * b.Value);
    public static ScalarValue<T> operator /(ScalarValue<T> a, ScalarValue<T> b) => new(a.Value / b.Value);
    public static ScalarValue<T> OneMinus(ScalarValue<T> x) => new(T.One - x.Value);
    public static ScalarValue<T> ThresholdBackward(ScalarValue<T> g, ScalarValue<T> r) => new(r.Value > T.Zero ? g.Value : T.Zero);
}

/// <summary>One SIMD vector of elements, for the fused loop's body.</summary>
internal readonly struct VectorValue<T>(Vector<T> value) : IGradientValue<VectorValue<T>> where T : unmanaged, IFloatingPointIeee754<T>
{
    public readonly Vector<T> Value = value;

    public static VectorValue<T> operator +(VectorValue<T> a, VectorValue<T> b) => new(a.Value + b.Value);
    public static VectorValue<T> operator -(VectorValue<T> a, VectorValue<T> b) => new(a.Value - b.Value);
    public static VectorValue<T> operator *(VectorValue<T> a, VectorValue<T> b) => new(a.Value * b.Value);
    public static VectorValue<T> operator /(VectorValue<T> a, VectorValue<T> b) => new(a.Value / b.Value);
    public static VectorValue<T> OneMinus(VectorValue<T> x) => new(Vector<T>.One - x.Value);
    public static VectorValue<T> ThresholdBackward(VectorValue<T> g, VectorValue<T> r)
        => new(Vector.ConditionalSelect(Vector.GreaterThan(r.Value, Vector<T>.Zero), g.Value, Vector<T>.Zero));
}

/// <summary>The fused loop that runs an <see cref="IElementwiseGradient"/> formula over spans.</summary>
internal static class ElementwiseGradient
{
    /// <summary><c>d[i] = TFormula(r[i], g[i])</c>, a SIMD vector at a time, then element by element.</summary>
    public static void Apply<T, TFormula>(ReadOnlySpan<T> r, ReadOnlySpan<T> g, Span<T> d)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TFormula : IElementwiseGradient
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
                var v = TFormula.Apply(new VectorValue<T>(Vector.LoadUnsafe(ref rs, (nuint)i)), new VectorValue<T>(Vector.LoadUnsafe(ref gs, (nuint)i)));
                v.Value.StoreUnsafe(ref ds, (nuint)i);
            }
        }
        for (; i < r.Length; i++)
            Unsafe.Add(ref ds, i) = TFormula.Apply(new ScalarValue<T>(Unsafe.Add(ref rs, i)), new ScalarValue<T>(Unsafe.Add(ref gs, i))).Value;
    }
}
