namespace Autograd.Tests.Reliability;

public static partial class CoreCatalogue
{
    /// <summary>Shape pairs that do not broadcast (NumPy rules), with mixed operand dtypes.</summary>
    private static readonly (int[] A, int[] B)[] Unbroadcastable =
    [
        ([2, 3], [3, 2]),
        ([4], [5]),
        ([2, 3, 4], [2, 4, 3]),
        ([3, 1, 5], [4, 6]),
    ];

    private static readonly (DType A, DType B)[] DTypePairs =
    [
        (DType.Float32, DType.Float32), (DType.Float64, DType.Float32), (DType.Int64, DType.Int64), (DType.Float32, DType.Int64),
    ];

    private static readonly (string Name, Func<Tensor, Tensor, Tensor> Apply)[] BinaryOps =
    [
        ("a + b", (a, b) => a + b), ("a - b", (a, b) => a - b), ("a * b", (a, b) => a * b), ("a / b", (a, b) => a / b),
        ("a.Eq(b)", (a, b) => a.Eq(b)), ("a.Ne(b)", (a, b) => a.Ne(b)), ("a.Gt(b)", (a, b) => a.Gt(b)),
        ("a.Ge(b)", (a, b) => a.Ge(b)), ("a.Lt(b)", (a, b) => a.Lt(b)), ("a.Le(b)", (a, b) => a.Le(b)),
        ("Where(1, a, b)", (a, b) => Tensor.Where(Tensor.Ones(a.Shape.ToArray()), a, b)),
        ("Where(b, a, a)", (a, b) => Tensor.Where(b, a, a)),
    ];

    private static IEnumerable<BadCall> ShapeCases()
    {
        const string k = Kind.Shapes;
        for (int o = 0; o < BinaryOps.Length; o++)
        {
            var (name, apply) = BinaryOps[o];
            for (int s = 0; s < Unbroadcastable.Length; s++)
            {
                var (a, b) = Unbroadcastable[s];
                var (da, db) = DTypePairs[(o + s) % DTypePairs.Length];
                yield return Arg(k, $"{name} with {Fmt(a)} {da} and {Fmt(b)} {db}", () =>
                {
                    var x = Make(da, a);
                    if (da != DType.Int64) x.RequiresGrad = true; // recording must not change the check
                    return apply(x, Make(db, b));
                }, Fmt(a), Fmt(b));
            }
        }

        // Matrix products: inner sizes, batch sizes.
        foreach (var (a, b, what) in new (int[], int[], string)[]
        {
            ([2, 3], [4, 5], "3 != 4"), ([3], [4], "3 != 4"), ([2, 3], [2], "3 != 2"), ([5], [4, 5], "5 != 4"),
            ([2, 4, 3], [2, 4, 3], "3 != 4"), ([2, 3, 4], [5], "4 != 5"), ([6, 2], [3, 3, 2], "2 != 3"),
        })
        {
            yield return Arg(k, $"MatMul {Fmt(a)} by {Fmt(b)}", () => F32(a).MatMul(F32(b)), Fmt(a), Fmt(b), what);
        }
        yield return Arg(k, "MatMul batch 2 by batch 3", () => F32(2, 2, 3).MatMul(F32(3, 3, 2)), "[2, 2, 3]", "[3, 3, 2]", "batch sizes 2 and 3");

        // Reshape: element counts that do not fit.
        foreach (var shape in new[] { new[] { 4 }, [-1, 4], [7, -1], [0, -1], [2, 2, 2], [6, 0] })
            yield return Arg(k, $"Reshape [2, 3] to {Fmt(shape)}", () => F32(2, 3).Reshape(shape), "shape", Fmt(shape), "[2, 3]");
        yield return Arg(k, "Reshape with two -1", () => F32(2, 3).Reshape(-1, -1), "shape", "[-1, -1]", "only one");
        yield return Arg(k, "Reshape with -2", () => F32(2, 3).Reshape(-2, -3), "shape", "[-2, -3]", "-2");

        // Expand: sizes that are neither 1 nor equal.
        foreach (var shape in new[] { new[] { 3, 3 }, [2, 4], [5, 2, 2], [2, -2] })
            yield return Arg(k, $"Expand [2, 3] to {Fmt(shape)}", () => F32(2, 3).Expand(shape), "shape", "[2, 3]", Fmt(shape));
        yield return Arg(k, "Expand [3] to [-1, 3] (-1 for a new dim)", () => F32(3).Expand(-1, 3), "shape", "[3]", "[-1, 3]");
        yield return Bug(Arg(k, "Expand a 0-d tensor to [-1]", () => Tensor.Scalar(1f).Expand(-1), "shape", "[]", "[-1]"),
            "Tensor.Expand (src/Autograd/Ops/ShapeOps.cs): a 0-d tensor expanded to a shape with -1 (or any negative size) reads Dims[0] of an empty shape while building the message: IndexOutOfRangeException instead of ArgumentException.");

        // Joins.
        yield return Arg(k, "Concat [2, 3] and [3, 3] along dim 1", () => Tensor.Concat([F32(2, 3), F32(3, 3)], 1), "tensors", "[3, 3]", "[2, 3]");
        yield return Arg(k, "Concat [2, 3] and [2, 4] along dim 0", () => Tensor.Concat([F32(2, 3), F32(2, 4)], 0), "tensors", "[2, 4]", "[2, 3]");
        yield return Arg(k, "Stack [2, 3] and [3, 2]", () => Tensor.Stack([F32(2, 3), F32(3, 2)]), "tensors", "[2, 3]", "[3, 2]");
        yield return Arg(k, "Stack [2] and [2, 1]", () => Tensor.Stack([F32(2), F32(2, 1)], 0), "tensors", "[2]", "[2, 1]");
        yield return Arg(k, "Gather index larger than the input off the gather dim", () => F32(2, 3).Gather(1, Tensor.Zeros([3, 1], DType.Int64)), "index", "[3, 1]", "[2, 3]");
    }

    private static IEnumerable<BadCall> RankCases()
    {
        const string k = Kind.Rank;
        yield return Arg(k, "MatMul 4-D by 3-D, batch dims that do not broadcast", () => F32(2, 2, 2, 2).MatMul(F32(3, 2, 2)), "[2, 2, 2, 2]", "[3, 2, 2]", "batch dims", "do not broadcast");
        yield return Arg(k, "MatMul 2-D by 4-D, inner dims differ", () => F32(2, 3).MatMul(F32(1, 1, 2, 2)), "[2, 3]", "[1, 1, 2, 2]", "3 != 2");
        yield return Arg(k, "MatMul 0-d by 1-D", () => Tensor.Scalar(2f).MatMul(F32(3)), "[]", "[3]");
        yield return Arg(k, "MatMul 1-D by 0-d", () => F32(3).MatMul(Tensor.Scalar(2f)), "[3]", "[]");
        yield return Arg(k, "Concat of 0-d tensors", () => Tensor.Concat([Tensor.Scalar(1f), Tensor.Scalar(2f)]), "tensors", "0-d");
        yield return Arg(k, "Concat [3] with a 0-d tensor", () => Tensor.Concat([F32(3), Tensor.Scalar(1f)]), "tensors", "[]", "[3]");
        yield return Arg(k, "Concat [2, 3] with [6]", () => Tensor.Concat([F32(2, 3), F32(6)]), "tensors", "[6]", "[2, 3]");
        yield return Arg(k, "Narrow a 0-d tensor", () => Tensor.Scalar(1f).Narrow(0, 0, 1), "Narrow", "at least one dimension");
        yield return Arg(k, "Select on a 0-d tensor", () => Tensor.Scalar(1f).Select(0, 0), "Select", "at least one dimension");
        yield return Arg(k, "Gather a [2, 3] with a [6] index", () => F32(2, 3).Gather(1, Tensor.Zeros([6], DType.Int64)), "index", "[6]", "[2, 3]");
        yield return Arg(k, "Gather a [4] with a [2, 2] index", () => F32(4).Gather(0, Tensor.Zeros([2, 2], DType.Int64)), "index", "[2, 2]", "[4]");
        yield return Arg(k, "Expand [2, 3] to [3] (fewer dims)", () => F32(2, 3).Expand(3), "shape", "[3]", "[2, 3]");
        yield return Arg(k, "Expand [2, 3] to [] (fewer dims)", () => F32(2, 3).Expand(), "shape", "[]", "[2, 3]");
    }
}
