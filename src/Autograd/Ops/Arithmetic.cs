using System.Numerics;
using Autograd.Kernels;

namespace Autograd;

/// <summary>The binary ops: <c>+ - * /</c> with NumPy/PyTorch broadcasting, and comparisons.</summary>
public sealed partial class Tensor
{
    internal enum BinaryKind { Add, Sub, Mul, Div, Eq, Ne, Gt, Ge, Lt, Le, Maximum, Minimum, DivTrunc, DivFloor }

    /// <summary>a + b. d/da = 1, d/db = 1 (each summed back over broadcast dims).</summary>
    public static Tensor operator +(Tensor a, Tensor b)
    {
        (a, b) = Promote(a, b, BinaryKind.Add);
        var r = Compute(BinaryKind.Add, a, b);
        return Tape.Record(r, "Add", [a, b], g => [g.SumTo(a.Dims), g.SumTo(b.Dims)]);
    }

    /// <summary>a - b. d/da = 1, d/db = -1.</summary>
    public static Tensor operator -(Tensor a, Tensor b)
    {
        (a, b) = Promote(a, b, BinaryKind.Sub);
        var r = Compute(BinaryKind.Sub, a, b);
        return Tape.Record(r, "Sub", [a, b], g => [g.SumTo(a.Dims), b.RequiresGrad ? (-g).SumTo(b.Dims) : null]);
    }

    /// <summary>a * b (elementwise). d/da = b, d/db = a.</summary>
    public static Tensor operator *(Tensor a, Tensor b)
    {
        (a, b) = Promote(a, b, BinaryKind.Mul);
        var r = Compute(BinaryKind.Mul, a, b);
        return Tape.Record(r, "Mul", [a, b], g =>
        [
            a.RequiresGrad ? (g * b).SumTo(a.Dims) : null,
            b.RequiresGrad ? (g * a).SumTo(b.Dims) : null,
        ], a, b);
    }

    /// <summary>a / b (true division: Int64 / Int64 gives Float32). d/da = 1/b, d/db = -a/b².</summary>
    public static Tensor operator /(Tensor a, Tensor b)
    {
        (a, b) = Promote(a, b, BinaryKind.Div);
        var r = Compute(BinaryKind.Div, a, b);
        return Tape.Record(r, "Div", [a, b], g =>
        [
            a.RequiresGrad ? (g / b).SumTo(a.Dims) : null,
            b.RequiresGrad ? (-g * a / (b * b)).SumTo(b.Dims) : null,
        ], a, b);
    }

    /// <summary>
    /// a / b rounded as <paramref name="roundingMode"/> says, like <c>torch.div(a, b, rounding_mode=...)</c>:
    /// null is true division (the <c>/</c> operator); <see cref="RoundingMode.Trunc"/> rounds the
    /// quotient toward zero and <see cref="RoundingMode.Floor"/> down. With a rounding mode, Int64 by
    /// Int64 stays Int64 (C's truncating division, Python's floor division) and a division by zero
    /// throws; floats follow IEEE (x / 0 gives ±inf or NaN). Derivatives with a rounding mode: 0 for
    /// both operands (the result is piecewise constant), as PyTorch.
    /// </summary>
    /// <exception cref="DivideByZeroException">Int64 operands with a rounding mode and a zero divisor.</exception>
    public Tensor Div(Tensor other, RoundingMode? roundingMode = null)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (roundingMode is not RoundingMode mode) return this / other;
        if (mode is not (RoundingMode.Trunc or RoundingMode.Floor))
            throw new ArgumentOutOfRangeException(nameof(roundingMode), mode, "Div expects RoundingMode.Trunc, RoundingMode.Floor or null.");
        var (a, b) = Promote(this, other, BinaryKind.DivFloor);
        var r = Compute(mode == RoundingMode.Trunc ? BinaryKind.DivTrunc : BinaryKind.DivFloor, a, b);
        if (!r.DType.IsFloatingPoint()) return r;
        return Tape.Record(r, "Div", [a, b], g =>
        [
            a.RequiresGrad ? ZerosLike(a) : null,
            b.RequiresGrad ? ZerosLike(b) : null,
        ]);
    }

    /// <summary>
    /// This tensor divided by a scalar, rounded as <paramref name="roundingMode"/> says (see
    /// <see cref="Div(Tensor, RoundingMode?)"/>); an integral scalar keeps Int64 with a rounding mode.
    /// </summary>
    public Tensor Div(double other, RoundingMode? roundingMode = null) =>
        roundingMode is null ? this / other : Div(ScalarFor(this, other, BinaryKind.DivFloor), roundingMode);

    /// <summary>-a. d/da = -1.</summary>
    public static Tensor operator -(Tensor a)
    {
        ArgumentNullException.ThrowIfNull(a);
        var r = a.Map(UnaryKind.Neg);
        return Tape.Record(r, "Neg", [a], g => [-g]);
    }

    /// <summary>Tensor + scalar (the scalar takes the tensor's dtype, as in PyTorch).</summary>
    public static Tensor operator +(Tensor a, double b) => a + ScalarFor(a, b, BinaryKind.Add);

    /// <summary>Scalar + tensor.</summary>
    public static Tensor operator +(double a, Tensor b) => ScalarFor(b, a, BinaryKind.Add) + b;

    /// <summary>Tensor - scalar.</summary>
    public static Tensor operator -(Tensor a, double b) => a - ScalarFor(a, b, BinaryKind.Sub);

    /// <summary>Scalar - tensor.</summary>
    public static Tensor operator -(double a, Tensor b) => ScalarFor(b, a, BinaryKind.Sub) - b;

    /// <summary>Tensor * scalar.</summary>
    public static Tensor operator *(Tensor a, double b) => a * ScalarFor(a, b, BinaryKind.Mul);

    /// <summary>Scalar * tensor.</summary>
    public static Tensor operator *(double a, Tensor b) => ScalarFor(b, a, BinaryKind.Mul) * b;

    /// <summary>Tensor / scalar.</summary>
    public static Tensor operator /(Tensor a, double b) => a / ScalarFor(a, b, BinaryKind.Div);

    /// <summary>Scalar / tensor.</summary>
    public static Tensor operator /(double a, Tensor b) => ScalarFor(b, a, BinaryKind.Div) / b;

    /// <summary>1 where this equals <paramref name="other"/>, else 0 (broadcast; not differentiable).</summary>
    public Tensor Eq(Tensor other) => Compare(BinaryKind.Eq, other);

    /// <summary>1 where this differs from <paramref name="other"/>, else 0.</summary>
    public Tensor Ne(Tensor other) => Compare(BinaryKind.Ne, other);

    /// <summary>1 where this is greater than <paramref name="other"/>, else 0.</summary>
    public Tensor Gt(Tensor other) => Compare(BinaryKind.Gt, other);

    /// <summary>1 where this is greater than or equal to <paramref name="other"/>, else 0.</summary>
    public Tensor Ge(Tensor other) => Compare(BinaryKind.Ge, other);

    /// <summary>1 where this is less than <paramref name="other"/>, else 0.</summary>
    public Tensor Lt(Tensor other) => Compare(BinaryKind.Lt, other);

    /// <summary>1 where this is less than or equal to <paramref name="other"/>, else 0.</summary>
    public Tensor Le(Tensor other) => Compare(BinaryKind.Le, other);

    /// <summary>1 where this equals <paramref name="other"/>, else 0.</summary>
    public Tensor Eq(double other) => Eq(ScalarFor(this, other, BinaryKind.Eq));

    /// <summary>1 where this differs from <paramref name="other"/>, else 0.</summary>
    public Tensor Ne(double other) => Ne(ScalarFor(this, other, BinaryKind.Ne));

    /// <summary>1 where this is greater than <paramref name="other"/>, else 0.</summary>
    public Tensor Gt(double other) => Gt(ScalarFor(this, other, BinaryKind.Gt));

    /// <summary>1 where this is greater than or equal to <paramref name="other"/>, else 0.</summary>
    public Tensor Ge(double other) => Ge(ScalarFor(this, other, BinaryKind.Ge));

    /// <summary>1 where this is less than <paramref name="other"/>, else 0.</summary>
    public Tensor Lt(double other) => Lt(ScalarFor(this, other, BinaryKind.Lt));

    /// <summary>1 where this is less than or equal to <paramref name="other"/>, else 0.</summary>
    public Tensor Le(double other) => Le(ScalarFor(this, other, BinaryKind.Le));

    private Tensor Compare(BinaryKind kind, Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var (a, b) = Promote(Detach(), other.Detach(), kind);
        return Compute(kind, a, b);
    }

    /// <summary>A 0-d tensor for a scalar operand: the tensor's dtype, except that a fractional scalar (or a division) lifts Int64 to Float32.</summary>
    private static Tensor ScalarFor(Tensor t, double value, BinaryKind kind,
        [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(t))] string? name = null)
    {
        ArgumentNullException.ThrowIfNull(t, name);
        var dtype = t.DType;
        if (dtype == DType.Int64 && (value != Math.Floor(value) || double.IsInfinity(value) || kind == BinaryKind.Div)) dtype = DType.Float32;
        return Scalar(value, dtype);
    }

    private static (Tensor, Tensor) Promote(Tensor a, Tensor b, BinaryKind kind)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var dtype = ResultType(a, b);
        if (kind == BinaryKind.Div && dtype == DType.Int64) dtype = DType.Float32;
        return (a.To(dtype), b.To(dtype));
    }

    /// <summary>
    /// The dtype a binary op computes in, as PyTorch's <c>result_type</c>: operands of the same rank
    /// kind promote as usual (Float64 over Float32, any float over Int64), but a 0-d tensor beside a
    /// dimensioned one decides only when it is of a higher category (a float beside Int64):
    /// a Float32 vector times a 0-d Float64 tensor stays Float32.
    /// </summary>
    private static DType ResultType(Tensor a, Tensor b)
    {
        bool aScalar = a.Rank == 0, bScalar = b.Rank == 0;
        if (aScalar == bScalar) return DTypeExtensions.Promote(a.DType, b.DType);
        var (dimensioned, scalar) = aScalar ? (b.DType, a.DType) : (a.DType, b.DType);
        return scalar.IsFloatingPoint() && !dimensioned.IsFloatingPoint() ? scalar : dimensioned;
    }

    /// <summary>The forward of a binary op on operands of one dtype.</summary>
    internal static Tensor Compute(BinaryKind kind, Tensor a, Tensor b)
    {
        var shape = Shapes.Broadcast(a.Dims, b.Dims);
        var r = Uninitialized(shape, a.DType);
        DTypeDispatch.Run(a.DType, new BinaryCall(kind, a, b, r));
        return r;
    }

    private readonly struct BinaryCall(BinaryKind kind, Tensor a, Tensor b, Tensor r) : IKernelCall
    {
        public void Run<T>() where T : unmanaged, INumber<T>
        {
            ReadOnlySpan<T> x = a.Buffer<T>(), y = b.Buffer<T>();
            Span<T> d = r.Buffer<T>();
            int[] xs = a.Dims, ys = b.Dims, ds = r.Dims;
            switch (kind)
            {
                case BinaryKind.Add: BinaryKernels.Broadcast<T, AddOp<T>>(x, xs, y, ys, d, ds); break;
                case BinaryKind.Sub: BinaryKernels.Broadcast<T, SubOp<T>>(x, xs, y, ys, d, ds); break;
                case BinaryKind.Mul: BinaryKernels.Broadcast<T, MulOp<T>>(x, xs, y, ys, d, ds); break;
                case BinaryKind.Div: BinaryKernels.Broadcast<T, DivOp<T>>(x, xs, y, ys, d, ds); break;
                case BinaryKind.Eq: BinaryKernels.Broadcast<T, CompareOp<T, EqCmp<T>>>(x, xs, y, ys, d, ds); break;
                case BinaryKind.Ne: BinaryKernels.Broadcast<T, CompareOp<T, NeCmp<T>>>(x, xs, y, ys, d, ds); break;
                case BinaryKind.Gt: BinaryKernels.Broadcast<T, CompareOp<T, GtCmp<T>>>(x, xs, y, ys, d, ds); break;
                case BinaryKind.Ge: BinaryKernels.Broadcast<T, CompareOp<T, GeCmp<T>>>(x, xs, y, ys, d, ds); break;
                case BinaryKind.Lt: BinaryKernels.Broadcast<T, CompareOp<T, LtCmp<T>>>(x, xs, y, ys, d, ds); break;
                case BinaryKind.Le: BinaryKernels.Broadcast<T, CompareOp<T, LeCmp<T>>>(x, xs, y, ys, d, ds); break;
                case BinaryKind.Maximum: BinaryKernels.Broadcast<T, MaximumOp<T>>(x, xs, y, ys, d, ds); break;
                case BinaryKind.Minimum: BinaryKernels.Broadcast<T, MinimumOp<T>>(x, xs, y, ys, d, ds); break;
                case BinaryKind.DivTrunc: BinaryKernels.Broadcast<T, DivTruncOp<T>>(x, xs, y, ys, d, ds); break;
                case BinaryKind.DivFloor: BinaryKernels.Broadcast<T, DivFloorOp<T>>(x, xs, y, ys, d, ds); break;
            }
        }
    }
}

/// <summary>How <see cref="Tensor.Div(Tensor, RoundingMode?)"/> rounds the quotient (PyTorch's <c>rounding_mode</c> strings).</summary>
public enum RoundingMode
{
    /// <summary>Toward zero, as <c>rounding_mode="trunc"</c> (C's integer division).</summary>
    Trunc,

    /// <summary>Toward negative infinity, as <c>rounding_mode="floor"</c> (Python's <c>//</c>).</summary>
    Floor,
}
