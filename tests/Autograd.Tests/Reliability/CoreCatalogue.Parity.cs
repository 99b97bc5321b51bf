namespace Autograd.Tests.Reliability;

// Wrong calls of the API added for PyTorch parity (issue 13): in-place updates, shape and index
// ops, sorting, elementwise pairs and the alpha forms.
public static partial class CoreCatalogue
{
    private static IEnumerable<BadCall> ParityCases()
    {
        // In-place updates: shapes that do not broadcast to the tensor, casts PyTorch refuses, leaves.
        const string s = Kind.Shapes;
        yield return Arg(s, "AddInPlace of [3] with [2, 3]", () => F32(3).AddInPlace(F32(2, 3)), "other", "[3]", "[2, 3]");
        yield return Arg(s, "MulInPlace of [2, 3] with [4]", () => F32(2, 3).MulInPlace(F32(4)), "other", "[4]", "[2, 3]");
        yield return Arg(s, "CopyFrom of [2] with [3]", () => F32(2).CopyFrom(F32(3)), "src", "[3]", "[2]");
        yield return Arg(s, "Maximum of [2] and [3]", () => F32(2).Maximum(F32(3)), "[2]", "[3]");
        yield return Arg(s, "Add(alpha) of [2] and [3]", () => F32(2).Add(F32(3), alpha: 2), "[2]", "[3]");
        yield return Arg(s, "MaskedFill of [2, 3] with mask [4]", () => F32(2, 3).MaskedFill(F32(4), 0), "mask", "[4]", "[2, 3]");
        yield return Arg(s, "Permute of [2, 3] with 3 dims", () => F32(2, 3).Permute(0, 1, 2), "dims", "[0, 1, 2]");
        yield return Arg(s, "Permute of [2, 3] with [0, 0]", () => F32(2, 3).Permute(0, 0), "dims", "[0, 0]");
        yield return Arg(s, "Repeat of [2, 3] with 1 repeat", () => F32(2, 3).Repeat(2), "repeats", "[2, 3]");

        const string d = Kind.DType;
        yield return Arg(d, "AddInPlace(0.5) of Int64", () => I64(3).AddInPlace(0.5), "Float", "Long");
        yield return Arg(d, "DivInPlace(2) of Int64", () => I64(3).DivInPlace(2), "Float", "Long");
        yield return Arg(d, "MulInPlace of Int64 by Float32", () => I64(3).MulInPlace(F32(3)), "Float", "Long");
        yield return Arg(d, "Add(alpha 0.5) of Int64", () => I64(3).Add(I64(3), alpha: 0.5), "alpha", "0.5");
        yield return Arg(d, "IndexSelect with a Float32 index", () => F32(3).IndexSelect(0, F32(2)), "index", "Int64");

        const string i = Kind.Index;
        yield return Arg(i, "IndexSelect of [3] with index 3", () => F32(3).IndexSelect(0, Tensor.FromArray([3L])), "index", "3");
        yield return Arg(i, "TopK 4 of [3]", () => F32(3).TopK(4), "k", "4");
        yield return Arg(i, "Slice step 0", () => F32(5).Slice(0, 0, 5, 0), "step", "0");
        yield return Arg(i, "Split sizes [2, 2] of [5]", () => F32(5).Split([2, 2]), "[2, 2]", "5");
        yield return Arg(i, "Chunk 0", () => F32(5).Chunk(0), "chunks", "0");
        yield return Arg(i, "t[0, 3] of [2, 3]", () => F32(2, 3)[0, 3], "indices", "Index 3", "dim 1", "size 3");
        yield return Arg(i, "t[0] = 1 of [2, 3]", () => { var t = F32(2, 3); t[0] = 1; return t; }, "indices", "needs 2 indices", "[2, 3]");

        const string r = Kind.RequiresGrad;
        yield return Op(r, "AddInPlace on a leaf that requires grad", () => { var w = F32(3); w.RequiresGrad = true; return w.AddInPlace(1); }, "leaf Variable that requires grad", "in-place");
        yield return Op(r, "MulInPlace on a tensor with a recorded view", () => { var w = F32(4); w.RequiresGrad = true; var y = w * 2; _ = y.Reshape(2, 2); return y.MulInPlace(2); }, "view recorded in the graph");
    }
}
