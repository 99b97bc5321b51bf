namespace Autograd.Tests.Reliability;

// Issue 13, second round: every in-place op with each kind of wrong call, and the dims, indices,
// sizes and nulls of the shape and index ops (Flip, Sort, ArgSort, TopK, IndexSelect, Slice,
// Split, Chunk, Repeat, Permute, MaskedFill, T, MT). The in-place cases also check that the
// failed call left the tensor as it was (values and version).
public static partial class CoreCatalogue
{
    /// <summary>
    /// Runs <paramref name="call"/> on <paramref name="target"/> and rethrows what it threw, after
    /// checking that the target's values and version did not change; a changed target throws an
    /// <see cref="Exception"/> of no documented family instead, which fails the case.
    /// </summary>
    private static object? Untouched(Tensor target, Func<Tensor, object?> call)
    {
        var values = target.ToArray<double>();
        int version = target.Storage.Version;
        try
        {
            return call(target);
        }
        finally
        {
            if (!values.SequenceEqual(target.ToArray<double>()) || target.Storage.Version != version)
                throw new Exception($"The failed call changed the tensor (version {version} -> {target.Storage.Version}).");
        }
    }

    private static IEnumerable<BadCall> InPlaceShapeIndexCases()
    {
        // ---- in-place ops: shapes, dtypes, leaves, nulls; each leaves the tensor untouched ----
        const string s = Kind.Shapes;
        yield return Arg(s, "SubInPlace of [2, 3] with [3, 2]", () => Untouched(F32(2, 3), t => t.SubInPlace(F32(3, 2))), "other", "[3, 2]", "[2, 3]");
        yield return Arg(s, "DivInPlace of [3] with [2, 3] (broadcasts to a larger shape)", () => Untouched(F32(3), t => t.DivInPlace(F32(2, 3))), "other", "[2, 3]", "[3]");
        yield return Arg(s, "AddInPlace(alpha 2) of [2, 1] with [2, 3]", () => Untouched(F32(2, 1), t => t.AddInPlace(F32(2, 3), alpha: 2)), "other", "[2, 3]", "[2, 1]");
        yield return Arg(s, "CopyFrom of [2, 3] with [2, 2]", () => Untouched(F32(2, 3), t => t.CopyFrom(F32(2, 2))), "src", "[2, 2]", "[2, 3]");
        yield return Arg(s, "CopyFrom of [] with [2]", () => Untouched(Tensor.Scalar(1f), t => t.CopyFrom(F32(2))), "src", "[2]", "[]");

        const string d = Kind.DType;
        yield return Arg(d, "SubInPlace(0.5) of Int64", () => Untouched(I64(3), t => t.SubInPlace(0.5)), "Float", "Long");
        yield return Arg(d, "MulInPlace(2.5) of Int64", () => Untouched(I64(3), t => t.MulInPlace(2.5)), "Float", "Long");
        yield return Arg(d, "AddInPlace of Int64 with Float64", () => Untouched(I64(2, 3), t => t.AddInPlace(F64(3))), "Double", "Long");
        yield return Arg(d, "DivInPlace of Int64 by Int64 (true division)", () => Untouched(I64(3), t => t.DivInPlace(I64(3))), "Float", "Long");
        yield return Arg(d, "SubInPlace(alpha 0.5) of Int64 with Int64", () => Untouched(I64(3), t => t.SubInPlace(I64(3), alpha: 0.5)), "alpha", "0.5");

        const string r = Kind.RequiresGrad;
        const string leafMessage = "leaf Variable that requires grad";
        foreach (var (name, call) in new (string, Func<Tensor, object?>)[]
        {
            ("SubInPlace(1)", t => t.SubInPlace(1)),
            ("SubInPlace(tensor)", t => t.SubInPlace(F32(2, 3))),
            ("MulInPlace(2)", t => t.MulInPlace(2)),
            ("MulInPlace(tensor)", t => t.MulInPlace(F32(3))),
            ("DivInPlace(2)", t => t.DivInPlace(2)),
            ("DivInPlace(tensor)", t => t.DivInPlace(F32(3))),
            ("ClampInPlace(0, 1)", t => t.ClampInPlace(0, 1)),
            ("ZeroInPlace()", t => t.ZeroInPlace()),
            ("FillInPlace(7)", t => t.FillInPlace(7)),
            ("CopyFrom(tensor)", t => t.CopyFrom(F32(2, 3))),
            ("t[0, 1] = 5", t => { t[0, 1] = 5; return t; }),
        })
        {
            yield return Op(r, $"{name} on a leaf that requires grad", () => Untouched(Leaf(2, 3), call), leafMessage, "in-place");
        }

        const string st = Kind.Setting;
        yield return Arg(st, "ClampInPlace(3, 1)", () => Untouched(F32(3), t => t.ClampInPlace(3, 1)), "min=3", "max=1");
        yield return Arg(st, "ClampInPlace() with no bound", () => Untouched(F32(3), t => t.ClampInPlace()), "min", "max");
        yield return Arg(st, "FillInPlace(NaN) of Int64", () => Untouched(I64(3), t => t.FillInPlace(double.NaN)), "value", "NaN", "Int64");
        yield return Arg(st, "FillInPlace(1e30) of Int64", () => Untouched(I64(3), t => t.FillInPlace(1e30)), "value", "1E+30", "Int64");

        const string n = Kind.Null;
        yield return Arg(n, "AddInPlace(null)", () => Untouched(F32(3), t => t.AddInPlace(null!)), "other");
        yield return Arg(n, "SubInPlace(null)", () => Untouched(F32(3), t => t.SubInPlace(null!)), "other");
        yield return Arg(n, "MulInPlace(null)", () => Untouched(F32(3), t => t.MulInPlace(null!)), "other");
        yield return Arg(n, "DivInPlace(null)", () => Untouched(F32(3), t => t.DivInPlace(null!)), "other");
        yield return Arg(n, "CopyFrom(null)", () => Untouched(F32(3), t => t.CopyFrom(null!)), "src");

        // ---- dims of the shape and index ops: PyTorch's range [-max(rank, 1), max(rank, 1) - 1] ----
        // IndexSelect, Slice, Split and Chunk refuse a 0-d tensor whatever the dim (a case of its own below).
        var dimOps = new (string Name, string Param, Func<Tensor, int, object?> Apply, bool NeedsRank)[]
        {
            ("Flip(dim)", "dims", (t, dim) => t.Flip(dim), false),
            ("Sort(dim)", "dim", (t, dim) => t.Sort(dim), false),
            ("ArgSort(dim)", "dim", (t, dim) => t.ArgSort(dim), false),
            ("TopK(1, dim)", "dim", (t, dim) => t.TopK(1, dim), false),
            ("IndexSelect(dim, [0])", "dim", (t, dim) => t.IndexSelect(dim, Tensor.FromArray([0L])), true),
            ("Slice(dim, 0, 1)", "dim", (t, dim) => t.Slice(dim, 0, 1), true),
            ("Split(1, dim)", "dim", (t, dim) => t.Split(1, dim), true),
            ("Chunk(2, dim)", "dim", (t, dim) => t.Chunk(2, dim), true),
        };
        foreach (var op in dimOps)
        {
            if (op.NeedsRank)
                yield return Arg(Kind.Rank, $"{op.Name} of a 0-d tensor", () => op.Apply(F32(), 0), op.Param, "at least one dimension", "0-d");
            foreach (var (shape, badDims) in DimCasesByRank)
            {
                if (op.NeedsRank && shape.Length == 0) continue;
                int rank = Math.Max(shape.Length, 1);
                foreach (int dim in badDims)
                    yield return Arg(Kind.Dim, $"{op.Name} of {Fmt(shape)} with dim {dim}", () => op.Apply(F32(shape), dim), op.Param, $"[{-rank}, {rank - 1}]", $"got {dim}");
            }
        }
        yield return Arg(Kind.Dim, "Flip(0, 0) of [2, 3]", () => F32(2, 3).Flip(0, 0), "dims", "appears more than once", "[0, 0]");
        yield return Arg(Kind.Dim, "Flip(1, -1) of [2, 3]", () => F32(2, 3).Flip(1, -1), "dims", "appears more than once", "[1, -1]");
        yield return Arg(Kind.Dim, "Permute(0, 2) of [2, 3]", () => F32(2, 3).Permute(0, 2), "dims", "[-2, 1]", "got 2");

        // ---- indices, sizes and counts ----
        const string i = Kind.Index;
        yield return Arg(i, "IndexSelect of [3] with index -1", () => F32(3).IndexSelect(0, Tensor.FromArray([-1L])), "index", "-1");
        yield return Arg(i, "IndexSelect of [2, 3] along dim 1 with index 5", () => F32(2, 3).IndexSelect(1, Tensor.FromArray([0L, 5L])), "index", "5", "3");
        yield return Arg(Kind.Rank, "IndexSelect with a 2-D index", () => F32(3).IndexSelect(0, Tensor.Zeros([1, 1], DType.Int64)), "index", "[1, 1]");
        yield return Arg(i, "TopK -1 of [3]", () => F32(3).TopK(-1), "k", "-1");
        yield return Arg(i, "TopK 3 of [2, 2] along dim 0", () => F32(2, 2).TopK(3, 0), "k", "3", "2");
        yield return Arg(i, "Slice step -1", () => F32(5).Slice(0, null, null, -1), "step", "-1");
        yield return Arg(i, "Split size 0 of [5]", () => F32(5).Split(0), "splitSize", "0");
        yield return Arg(i, "Split size -2 of [5]", () => F32(5).Split(-2), "splitSize", "-2");
        yield return Arg(i, "Split sizes [3, -1] of [2]", () => F32(2).Split([3, -1]), "sizes", "-1");
        yield return Arg(i, "Chunk -1 of [4]", () => F32(4).Chunk(-1), "chunks", "-1");
        yield return Arg(i, "Repeat of [2] with -1", () => F32(2).Repeat(-1), "repeats", "-1");
        yield return Arg(s, "MaskedFill of [3] with mask [2, 3] (broadcasts to a larger shape)", () => F32(3).MaskedFill(F32(2, 3), 0), "mask", "[2, 3]", "[3]");
        yield return Arg(d, "MaskedFill(NaN) of Int64", () => I64(3).MaskedFill(I64(3), double.NaN), "value", "NaN");

        // ---- ranks: T and MT ----
        yield return Op(Kind.Rank, "T of [2, 3, 4]", () => F32(2, 3, 4).T, "<= 2 dimensions", "[2, 3, 4]", "Transpose");
        yield return Op(Kind.Rank, "MT of [3]", () => F32(3).MT, ">= 2 dimensions", "[3]");
        yield return Op(Kind.Rank, "MT of []", () => F32().MT, ">= 2 dimensions", "[]");

        // ---- T is copied when first read: its source changed in place before that ----
        yield return Op(Kind.Engine, "MatMul with a T whose source changed in place since", () =>
        {
            var w = F32(2, 3);
            var wt = w.T;
            w.AddInPlace(1);
            return F32(4, 3).MatMul(wt);
        }, "changed in place", "version 0 -> 1", "w.T.Clone()");

        // ---- gradient hooks ----
        yield return Op(Kind.RequiresGrad, "RegisterHook on a tensor that does not require grad", () => F32(3).RegisterHook(g => g), "doesn't require gradient", "[3]");
        yield return Op(Kind.RequiresGrad, "RetainGrad on a tensor that does not require grad", () => { F32(3).RetainGrad(); return null; }, "does not require grad", "[3]");
        yield return Op(Kind.Engine, "Backward through a hook returning another shape", () =>
        {
            var w = Leaf(3);
            w.RegisterHook(g => g.Sum());
            return Untouched(w, t => { (t * 2).Sum().Backward(); return t.Grad; });
        }, "changed the size of the gradient", "[]", "[3]");
        yield return Op(Kind.Engine, "Backward through a hook returning another dtype", () =>
        {
            var w = Leaf(3);
            var h = w * 2;
            h.RegisterHook(g => g.To(DType.Float64));
            h.Sum().Backward();
            return w.Grad;
        }, "changed the type of the gradient", "Float64", "Float32");
        yield return Arg(Kind.Null, "RegisterHook(null)", () => Leaf(3).RegisterHook((Func<Tensor, Tensor?>)null!), "hook");
        yield return Arg(Kind.Null, "RegisterHook((Action)null)", () => Leaf(3).RegisterHook((Action<Tensor>)null!), "hook");

        // ---- nulls ----
        yield return Arg(n, "Permute(null)", () => F32(2, 3).Permute(null!), "dims");
        yield return Arg(n, "Flip(null)", () => F32(2, 3).Flip(null!), "dims");
        yield return Arg(n, "Repeat(null)", () => F32(2, 3).Repeat(null!), "repeats");
        yield return Arg(n, "Split((int[])null)", () => F32(2, 3).Split((int[])null!), "sizes");
        yield return Arg(n, "IndexSelect(0, null)", () => F32(2, 3).IndexSelect(0, null!), "index");
        yield return Arg(n, "MaskedFill(null, 0)", () => F32(2, 3).MaskedFill(null!, 0), "mask");
    }
}
