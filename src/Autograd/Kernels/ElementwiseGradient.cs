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

    /// <summary>1, of <paramref name="like"/>'s type (and dtype).</summary>
    static abstract TSelf One(TSelf like);

    /// <summary>+0, of <paramref name="like"/>'s type (and dtype).</summary>
    static abstract TSelf Zero(TSelf like);

    /// <summary>A condition that holds where x &gt; 0 (false for NaN), for <see cref="Select"/>.</summary>
    static abstract TSelf IsPositive(TSelf x);

    /// <summary>a where <paramref name="condition"/> holds, else b.</summary>
    static abstract TSelf Select(TSelf condition, TSelf a, TSelf b);
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
    public T Value { get; } = value;

    public static ScalarValue<T> operator +(ScalarValue<T> a, ScalarValue<T> b) => new(a.Value + b.Value);
    public static ScalarValue<T> operator -(ScalarValue<T> a, ScalarValue<T> b) => new(a.Value - b.Value);
    public static ScalarValue<T> operator *(ScalarValue<T> a, ScalarValue<T> b) => new(a.Value * b.Value);
    public static ScalarValue<T> operator /(ScalarValue<T> a, ScalarValue<T> b) => new(a.Value / b.Value);
    public static ScalarValue<T> One(ScalarValue<T> like) => new(T.One);
    public static ScalarValue<T> Zero(ScalarValue<T> like) => new(T.Zero);
    public static ScalarValue<T> IsPositive(ScalarValue<T> x) => new(x.Value > T.Zero ? T.One : T.Zero);
    public static ScalarValue<T> Select(ScalarValue<T> condition, ScalarValue<T> a, ScalarValue<T> b) => condition.Value != T.Zero ? a : b;
}

/// <summary>One SIMD vector of elements, for the fused loop's body.</summary>
internal readonly struct VectorValue<T>(Vector<T> value) : IGradientValue<VectorValue<T>> where T : unmanaged, IFloatingPointIeee754<T>
{
    public Vector<T> Value { get; } = value;

    public static VectorValue<T> operator +(VectorValue<T> a, VectorValue<T> b) => new(a.Value + b.Value);
    public static VectorValue<T> operator -(VectorValue<T> a, VectorValue<T> b) => new(a.Value - b.Value);
    public static VectorValue<T> operator *(VectorValue<T> a, VectorValue<T> b) => new(a.Value * b.Value);
    public static VectorValue<T> operator /(VectorValue<T> a, VectorValue<T> b) => new(a.Value / b.Value);
    public static VectorValue<T> One(VectorValue<T> like) => new(Vector<T>.One);
    public static VectorValue<T> Zero(VectorValue<T> like) => new(Vector<T>.Zero);
    public static VectorValue<T> IsPositive(VectorValue<T> x) => new(Vector.GreaterThan(x.Value, Vector<T>.Zero));
    public static VectorValue<T> Select(VectorValue<T> condition, VectorValue<T> a, VectorValue<T> b) => new(Vector.ConditionalSelect(condition.Value, a.Value, b.Value));
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
