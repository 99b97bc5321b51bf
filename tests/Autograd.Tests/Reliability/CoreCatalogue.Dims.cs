namespace Autograd.Tests.Reliability;

public static partial class CoreCatalogue
{
    /// <summary>An op taking one dim: its name, the parameter that carries the dim, and the call.</summary>
    private sealed record DimOp(string Name, string Param, Func<Tensor, int, object?> Apply, bool FloatOnly = false, bool NeedsRank = false);

    private static readonly DimOp[] DimOps =
    [
        new("Sum(dim)", "dim", (t, d) => t.Sum(d)),
        new("Mean(dim)", "dim", (t, d) => t.Mean(d, keepDim: true)),
        new("Max(dim)", "dim", (t, d) => t.Max(d)),
        new("Min(dim)", "dim", (t, d) => t.Min(d, keepDim: true)),
        new("ArgMax(dim)", "dim", (t, d) => t.ArgMax(d)),
        new("ArgMin(dim)", "dim", (t, d) => t.ArgMin(d)),
        new("LogSumExp(dim)", "dim", (t, d) => t.LogSumExp(d)),
        new("Softmax(dim)", "dim", (t, d) => t.Softmax(d)),
        new("LogSoftmax(dim)", "dim", (t, d) => t.LogSoftmax(d)),
        new("Squeeze(dim)", "dim", (t, d) => t.Squeeze(d)),
        new("Transpose(dim, 0)", "dim0", (t, d) => t.Transpose(d, 0)),
        new("Transpose(0, dim)", "dim1", (t, d) => t.Transpose(0, d)),
        new("Select(dim, 0)", "dim", (t, d) => t.Select(d, 0)),
        new("Narrow(dim, 0, 1)", "dim", (t, d) => t.Narrow(d, 0, 1)),
        new("Gather(dim, index)", "dim", (t, d) => t.Gather(d, Tensor.Zeros(Enumerable.Repeat(1, t.Rank).ToArray(), DType.Int64))),
        new("Concat([t, t], dim)", "dim", (t, d) => Tensor.Concat([t, t], d), NeedsRank: true),
        new("Sum(dims)", "dims", (t, d) => t.Sum([0, d])),
        new("Mean(dims)", "dims", (t, d) => t.Mean([d], keepDim: true)),
        new("LogSumExp(dims)", "dims", (t, d) => t.LogSumExp([d, 0])),
        new("Amax(dims)", "dims", (t, d) => t.Amax([d])),
        new("Amin(dims)", "dims", (t, d) => t.Amin([d])),
        new("Var(dim)", "dims", (t, d) => t.Var(d)),
        new("Std(dims)", "dims", (t, d) => t.Std([d])),
        new("CumSum(dim)", "dim", (t, d) => t.CumSum(d)),
        new("Prod(dim)", "dim", (t, d) => t.Prod(d)),
        new("Norm(2, dims)", "dims", (t, d) => t.Norm(2, [d])),
    ];

    /// <summary>Ranks and dims outside [-max(rank, 1), max(rank, 1) - 1] (PyTorch's range; 0-d takes -1 and 0).</summary>
    private static readonly (int[] Shape, int[] BadDims)[] DimCasesByRank =
    [
        ([], [1, -2]),
        ([3], [1, -2, int.MaxValue]),
        ([2, 3, 4], [3, -4, int.MinValue]),
    ];

    private static IEnumerable<BadCall> DimCases()
    {
        const string k = Kind.Dim;
        foreach (var op in DimOps)
        {
            foreach (var (shape, badDims) in DimCasesByRank)
            {
                if (op.NeedsRank && shape.Length == 0) continue;
                int r = Math.Max(shape.Length, 1);
                foreach (int dim in badDims)
                    yield return Arg(k, $"{op.Name} of {Fmt(shape)} with dim {dim}", () => op.Apply(F32(shape), dim),
                        op.Param, $"[{-r}, {r - 1}]", $"got {dim}");
            }
        }

        // A dim named twice in a list (PyTorch: "dim 1 appears multiple times in the list of dims").
        yield return Arg(k, "Sum(dims) of [2, 3] with dims [1, -1]", () => F32(2, 3).Sum([1, -1]), "dims", "Dim 1 appears multiple times", "[1, -1]");
        yield return Arg(k, "Mean(dims) of [2, 3] with dims [0, 0]", () => F32(2, 3).Mean([0, 0]), "dims", "Dim 0 appears multiple times", "[0, 0]");
        yield return Arg(k, "LogSumExp(dims) of [2, 3] with dims [-2, 0]", () => F32(2, 3).LogSumExp([-2, 0]), "dims", "Dim 0 appears multiple times");
        yield return Arg(k, "Var(dims) of [] with dims [0, -1]", () => F32().Var([0, -1]), "dims", "Dim 0 appears multiple times", "[0, -1]");
        yield return Arg(k, "Norm(2, dims) of [2, 3] with dims [1, -1]", () => F32(2, 3).Norm(2, [1, -1]), "dims", "Dim 1 appears multiple times", "[1, -1]");

        // Ops that insert a dim accept [-(rank + 1), rank].
        foreach (var (shape, _) in DimCasesByRank)
        {
            int r = shape.Length;
            foreach (int dim in new[] { r + 1, -(r + 2) })
            {
                yield return Arg(k, $"Unsqueeze of {Fmt(shape)} with dim {dim}", () => F32(shape).Unsqueeze(dim), "dim", $"[{-(r + 1)}, {r}]", $"got {dim}");
                yield return Arg(k, $"Stack of two {Fmt(shape)} with dim {dim}", () => Tensor.Stack([F32(shape), F32(shape)], dim), "dim", $"[{-(r + 1)}, {r}]", $"got {dim}");
            }
        }
    }

    private static IEnumerable<BadCall> IndexCases()
    {
        const string k = Kind.Index;
        foreach (long i in new[] { 3L, -1L, long.MaxValue, long.MinValue })
            yield return Arg(k, $"Gather index {i} from a dim of size 3", () => F32(2, 3).Gather(1, Tensor.FromArray(new[] { 0L, i }, 2, 1)),
                "index", $"index {i}", "size 3");
        yield return Arg(k, "Gather index 1 from a 0-d tensor", () => Tensor.Scalar(1f).Gather(0, Tensor.Scalar(1L)), "index", "index 1", "size 1");
        foreach (int i in new[] { 3, -4, int.MaxValue, int.MinValue })
            yield return Arg(k, $"Select index {i} of a dim of size 3", () => F32(3, 2).Select(0, i), "index", $"index {i}", "size 3");
        yield return Arg(k, "Narrow start 4 of a dim of size 3", () => F32(3).Narrow(0, 4, 0), "start", "4", "size 3");
        yield return Arg(k, "Narrow length 4 of a dim of size 3", () => F32(3).Narrow(0, 0, 4), "[0, 4)", "size 3");
        yield return Bug(Arg(k, "Narrow length -1", () => F32(3).Narrow(0, 1, -1), "length", "-1", "size 3"),
            "Tensor.Narrow (src/Autograd/Ops/ShapeOps.cs): the ArgumentOutOfRangeException always names 'start', even when length is at fault; Narrow(0, 1, -1) says \"[1, 0) is out of range ... (Parameter 'start')\" without naming length or -1.");
        yield return Bug(Arg(k, "Narrow start -4 of a dim of size 3", () => F32(3).Narrow(0, -4, 1), "start", "-4", "size 3"),
            "Tensor.Narrow (src/Autograd/Ops/ShapeOps.cs): a negative start is wrapped before the check, so the message reports the range [-1, 0) instead of the start -4 the caller passed.");
        yield return Bug(Arg(k, "Narrow start 1, length int.MaxValue (start + length overflows)", () => F32(3).Narrow(0, 1, int.MaxValue), "length", "2147483647", "size 3"),
            "Tensor.Narrow (src/Autograd/Ops/ShapeOps.cs): start + length overflows int, passes the range check, and the op tries to allocate int.MaxValue elements (OutOfMemoryException / OverflowException) instead of an ArgumentOutOfRangeException naming length.");
    }
}
