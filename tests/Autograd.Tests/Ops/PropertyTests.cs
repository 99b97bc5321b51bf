using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Tests.Ops;

/// <summary>
/// Properties over random shapes, checked with FsCheck (100 random cases each, a fresh seed per
/// run; a failure prints the case and the seed to replay it). The references are written with
/// explicit index arithmetic, independently of the library's strides and kernels. FsCheck
/// generates the shapes and a seed; the element values come from <see cref="Generator"/> with
/// that seed, so a printed case determines its data.
/// </summary>
public class PropertyTests
{
    private static readonly Config Runs = Config.QuickThrowOnFailure.WithMaxTest(100).WithQuietOnSuccess(true);

    private static void ForAll<T>(Gen<T> cases, Action<T> property) => Check.One(Runs, Prop.ForAll(Arb.From(cases), property));

    // ---- (a) broadcasting binary ops --------------------------------------------------------

    private sealed record BinaryCase(int[] A, int[] B, DType DType, int Seed)
    {
        public override string ToString() => $"{Fmt(A)} with {Fmt(B)}, {DType}, seed {Seed}";
    }

    private sealed record BinaryOp(string Name, Func<Tensor, Tensor, Tensor> Apply, Func<double, double, double> F,
        Func<float, float, float> F32, Func<double, double, double> DfDa, Func<double, double, double> DfDb);

    private static readonly BinaryOp[] BinaryOps =
    [
        new("+", (a, b) => a + b, (a, b) => a + b, (a, b) => a + b, (_, _) => 1, (_, _) => 1),
        new("-", (a, b) => a - b, (a, b) => a - b, (a, b) => a - b, (_, _) => 1, (_, _) => -1),
        new("*", (a, b) => a * b, (a, b) => a * b, (a, b) => a * b, (_, b) => b, (a, _) => a),
        new("/", (a, b) => a / b, (a, b) => a / b, (a, b) => a / b, (_, b) => 1 / b, (a, b) => -a / (b * b)),
    ];

    [Test]
    public void BinaryOps_BroadcastableShapes_MatchNaiveValuesAndGradients()
    {
        var cases =
            from full in Shape(0, 4)
            from a in BroadcastableTo(full)
            from b in BroadcastableTo(full)
            from dtype in Gen.Elements(DType.Float32, DType.Float64)
            from seed in Seed
            select new BinaryCase(a, b, dtype, seed);

        ForAll(cases, c =>
        {
            var g = new Generator(c.Seed);
            double[] av = Draw(c.A, g, r => r.NextNormal()), bv = Draw(c.B, g, NonZero);
            int[] shape = NaiveBroadcast(c.A, c.B)!;
            double[] wv = Draw(shape, g, r => r.NextNormal());
            if (c.DType == DType.Float32)
                foreach (var v in new[] { av, bv, wv }) for (int i = 0; i < v.Length; i++) v[i] = (float)v[i];
            var w = Make(wv, shape, c.DType);

            foreach (var op in BinaryOps)
            {
                var a = Make(av, c.A, c.DType);
                var b = Make(bv, c.B, c.DType);
                a.RequiresGrad = b.RequiresGrad = true;
                var r = op.Apply(a, b);
                string what = $"{Fmt(c.A)} {op.Name} {Fmt(c.B)}";
                r.Shape.ShouldBe(shape, what);
                r.DType.ShouldBe(c.DType, what);

                // One correctly rounded op per element: the values must be bit-identical.
                double[] actual = r.ToArray<double>();
                var gradA = new double[av.Length];
                var gradB = new double[bv.Length];
                var scaleA = new double[av.Length];
                var scaleB = new double[bv.Length];
                for (int o = 0; o < actual.Length; o++)
                {
                    int[] index = Unflatten(o, shape);
                    int ia = BroadcastSource(index, c.A), ib = BroadcastSource(index, c.B);
                    double expected = c.DType == DType.Float32 ? op.F32((float)av[ia], (float)bv[ib]) : op.F(av[ia], bv[ib]);
                    actual[o].ShouldBe(expected, $"{what}: element {o}");
                    double ta = wv[o] * op.DfDa(av[ia], bv[ib]), tb = wv[o] * op.DfDb(av[ia], bv[ib]);
                    gradA[ia] += ta;
                    gradB[ib] += tb;
                    scaleA[ia] += Math.Abs(ta);
                    scaleB[ib] += Math.Abs(tb);
                }

                (r * w).Sum().Backward();
                ShouldBeClose(a.Grad!, gradA, scaleA, c.DType, $"{what}: gradient of the left operand");
                ShouldBeClose(b.Grad!, gradB, scaleB, c.DType, $"{what}: gradient of the right operand");
            }
        });
    }

    /// <summary>
    /// A summed gradient is a few products and at most 4 levels of at most 4-term sums: ~16
    /// roundings, so its error is below 16u·Σ|terms|. Allowing 32u (u = 2^-24 or 2^-53) leaves a
    /// factor of 2 without letting a wrong or missing term through.
    /// </summary>
    private static void ShouldBeClose(Tensor actual, double[] expected, double[] scale, DType dtype, string what)
    {
        double u = dtype == DType.Float32 ? Math.Pow(2, -24) : Math.Pow(2, -53);
        double[] got = actual.ToArray<double>();
        got.Length.ShouldBe(expected.Length, what);
        for (int i = 0; i < got.Length; i++)
            Math.Abs(got[i] - expected[i]).ShouldBeLessThanOrEqualTo(32 * u * scale[i], $"{what}: element {i} is {got[i]:R}, expected {expected[i]:R}");
    }

    // ---- (b) random chains pass GradCheck -----------------------------------------------------

    private enum Operand { None, Broadcast, Positive, Square }

    private sealed record ChainOp(string Name, Operand Operand, Func<Tensor, Tensor?, Tensor> Apply);

    // Shape-preserving ops, smooth everywhere (so no finite difference can straddle a kink), with
    // a fresh GradCheck input as the second operand of the binary ones.
    private static readonly ChainOp[] ChainOps =
    [
        new("Tanh", Operand.None, (x, _) => x.Tanh()),
        new("Sigmoid", Operand.None, (x, _) => x.Sigmoid()),
        new("Exp", Operand.None, (x, _) => x.Exp()),
        new("Neg", Operand.None, (x, _) => -x),
        new("Square", Operand.None, (x, _) => x.Pow(2)),
        new("Cube", Operand.None, (x, _) => x.Pow(3)),
        new("Softplus", Operand.None, (x, _) => (x.Exp() + 1).Log()),
        new("LogSigmoid", Operand.None, (x, _) => x.Sigmoid().Log()),
        new("SqrtOnePlusSquare", Operand.None, (x, _) => (x * x + 1).Sqrt()),
        new("Softmax", Operand.None, (x, _) => x.Softmax(-1)),
        new("LogSoftmax", Operand.None, (x, _) => x.LogSoftmax(-1)),
        new("MinusLogSumExp", Operand.None, (x, _) => x - x.LogSumExp(-1, keepDim: true)),
        new("Center", Operand.None, (x, _) => x - x.Mean(-1, keepDim: true)),
        new("TimesSumDim0", Operand.None, (x, _) => x * x.Sum(0, keepDim: true)),
        new("SelfGate", Operand.None, (x, _) => x * x.Sigmoid()),
        new("Add", Operand.Broadcast, (x, y) => x + y!),
        new("Sub", Operand.Broadcast, (x, y) => x - y!),
        new("RSub", Operand.Broadcast, (x, y) => y! - x),
        new("Mul", Operand.Broadcast, (x, y) => x * y!),
        new("Div", Operand.Positive, (x, y) => x / y!),
        new("MatMul", Operand.Square, (x, y) => x.MatMul(y!)),
    ];

    private sealed record ChainCase(int[] Shape, int[] Ops, int[][] Operands, int Seed)
    {
        public override string ToString() =>
            $"x {Fmt(Shape)} -> " + string.Join(" -> ", Ops.Select((op, i) => ChainOps[op].Operand switch
            {
                Operand.None => ChainOps[op].Name,
                Operand.Square => $"{ChainOps[op].Name}({Shape[^1]}x{Shape[^1]})",
                _ => $"{ChainOps[op].Name}({Fmt(Operands[i])})",
            })) + $" -> Sum, seed {Seed}";
    }

    [Test]
    public void RandomChainsOfOps_PassGradCheck()
    {
        var cases =
            from shape in Shape(1, 3)
            from n in Gen.Choose(2, 5)
            from ops in Gen.ArrayOf(Gen.Choose(0, ChainOps.Length - 1), n)
            from operands in Gen.ArrayOf(BroadcastableTo(shape), n)
            from seed in Seed
            select new ChainCase(shape, ops, operands, seed);
        // Exp after Square after Exp... can overflow; keep the intermediates O(1)-ish, where
        // central differences with eps = 1e-6 are accurate to far below the tolerance.
        cases = cases.Where(c => MaxIntermediate(c) <= 50);

        ForAll(cases, c =>
        {
            var result = GradCheck.Check(x => RunChain(c, x, null), ChainInputs(c));
            result.Passed.ShouldBeTrue($"{c}: {result}");
        });
    }

    private static Tensor[] ChainInputs(ChainCase c)
    {
        var g = new Generator(c.Seed);
        var inputs = new List<Tensor> { Uniform(c.Shape, g, -1, 1) };
        for (int i = 0; i < c.Ops.Length; i++)
        {
            switch (ChainOps[c.Ops[i]].Operand)
            {
                case Operand.Broadcast: inputs.Add(Uniform(c.Operands[i], g, -1, 1)); break;
                case Operand.Positive: inputs.Add(Uniform(c.Operands[i], g, 0.5, 1.5)); break;
                case Operand.Square: inputs.Add(Uniform([c.Shape[^1], c.Shape[^1]], g, -1, 1)); break;
            }
        }
        return [.. inputs];
    }

    private static Tensor RunChain(ChainCase c, IReadOnlyList<Tensor> x, Action<Tensor>? observe)
    {
        var v = x[0];
        int next = 1;
        foreach (int op in c.Ops)
        {
            var chainOp = ChainOps[op];
            v = chainOp.Apply(v, chainOp.Operand == Operand.None ? null : x[next++]);
            v.Shape.ShouldBe(c.Shape, $"{chainOp.Name} must preserve the shape");
            observe?.Invoke(v);
        }
        return v.Sum();
    }

    private static double MaxIntermediate(ChainCase c)
    {
        double max = 0;
        var inputs = ChainInputs(c);
        using (Tape.NoGrad())
            RunChain(c, inputs, t => max = Math.Max(max, t.ToArray<double>().Max(v => double.IsFinite(v) ? Math.Abs(v) : double.PositiveInfinity)));
        return max;
    }

    // ---- (c) Sum(dim) -----------------------------------------------------------------------

    private sealed record SumCase(int[] Shape, int Dim, bool KeepDim, DType DType, int Seed)
    {
        public override string ToString() => $"{Fmt(Shape)}.Sum({Dim}, keepDim: {KeepDim}), {DType}, seed {Seed}";
    }

    [Test]
    public void SumDim_RandomShapesAndDims_MatchesNaiveSumAndGradient()
    {
        var cases =
            from shape in Shape(0, 4)
            from dim in Gen.Choose(-Math.Max(shape.Length, 1), Math.Max(shape.Length, 1) - 1)
            from keep in Gen.Elements(false, true)
            from dtype in Gen.Elements(DType.Float32, DType.Float64, DType.Int64)
            from seed in Seed
            select new SumCase(shape, dim, keep, dtype, seed);

        ForAll(cases, c =>
        {
            var g = new Generator(c.Seed);
            // Integers below 50 in magnitude: every partial sum is exact in every dtype, so any
            // difference is an indexing error.
            double[] xv = Draw(c.Shape, g, r => r.NextInt64(-50, 51));
            int rank = c.Shape.Length;
            int d = c.Dim < 0 ? c.Dim + Math.Max(rank, 1) : c.Dim;
            int[] outShape = rank == 0 ? [] : c.KeepDim ? c.Shape.Select((s, k) => k == d ? 1 : s).ToArray() : c.Shape.Where((_, k) => k != d).ToArray();

            var expected = new double[Size(outShape)];
            var outOf = new int[xv.Length];
            for (int i = 0; i < xv.Length; i++)
            {
                int[] index = Unflatten(i, c.Shape);
                int[] outIndex = rank == 0 ? [] : c.KeepDim ? index.Select((v, k) => k == d ? 0 : v).ToArray() : index.Where((_, k) => k != d).ToArray();
                outOf[i] = Flatten(outIndex, outShape);
                expected[outOf[i]] += xv[i];
            }

            var x = Make(xv, c.Shape, c.DType);
            var r = x.Sum(c.Dim, c.KeepDim);
            r.Shape.ShouldBe(outShape, c.ToString());
            r.DType.ShouldBe(c.DType, c.ToString());
            r.ToArray<double>().ShouldBe(expected, c.ToString());

            if (c.DType == DType.Int64) return;
            // The gradient of Σ w·Sum(x, dim) is w repeated along dim: copies only, so exact.
            x.RequiresGrad = true;
            double[] wv = Draw(outShape, g, r => r.NextInt64(-50, 51));
            (x.Sum(c.Dim, c.KeepDim) * Make(wv, outShape, c.DType)).Sum().Backward();
            x.Grad!.ToArray<double>().ShouldBe(outOf.Select(o => wv[o]).ToArray(), c.ToString());
        });
    }

    // ---- (d) Reshape and Transpose round trips ------------------------------------------------

    private sealed record MoveCase(int[] Shape, int[] Target, int Dim0, int Dim1, int Seed)
    {
        public override string ToString() => $"{Fmt(Shape)}: Reshape{Fmt(Target)}, Transpose({Dim0}, {Dim1}), seed {Seed}";
    }

    [Test]
    public void ReshapeAndTranspose_RoundTrips_AreIdentities()
    {
        var cases =
            from shape in Shape(0, 4)
            from seed in Seed
            let r = Math.Max(shape.Length, 1)
            from d0 in Gen.Choose(-r, r - 1)
            from d1 in Gen.Choose(-r, r - 1)
            select new MoveCase(shape, ReshapeTarget(shape, new Generator(seed)), d0, d1, seed);

        ForAll(cases, c =>
        {
            var g = new Generator(c.Seed);
            double[] xv = Draw(c.Shape, g, r => r.NextNormal());
            double[] wv = Draw(c.Shape, g, r => r.NextNormal());
            var w = Make(wv, c.Shape, DType.Float64);

            var x = Make(xv, c.Shape, DType.Float64);
            x.RequiresGrad = true;
            var y = x.Reshape(c.Target);
            y.NumberOfElements.ShouldBe(xv.Length, c.ToString());
            y.Shape.Where((s, i) => c.Target[i] != -1 && s != c.Target[i]).ShouldBeEmpty(c.ToString());
            y.ToArray<double>().ShouldBe(xv, c.ToString()); // row-major order is unchanged
            var back = y.Reshape([.. c.Shape]);
            back.Shape.ShouldBe(c.Shape, c.ToString());
            back.ToArray<double>().ShouldBe(xv, c.ToString());
            (back * w).Sum().Backward();
            x.Grad!.ToArray<double>().ShouldBe(wv, c.ToString());

            x = Make(xv, c.Shape, DType.Float64);
            x.RequiresGrad = true;
            var t = x.Transpose(c.Dim0, c.Dim1);
            int rank = c.Shape.Length;
            int d0 = c.Dim0 < 0 ? c.Dim0 + Math.Max(rank, 1) : c.Dim0, d1 = c.Dim1 < 0 ? c.Dim1 + Math.Max(rank, 1) : c.Dim1;
            int[] swapped = Swap(c.Shape, d0, d1);
            t.Shape.ShouldBe(swapped, c.ToString());
            double[] tv = t.ToArray<double>();
            for (int o = 0; o < tv.Length; o++)
                tv[o].ShouldBe(xv[Flatten(Swap(Unflatten(o, swapped), d0, d1), c.Shape)], $"{c}: transposed element {o}");
            x.Transpose(c.Dim1, c.Dim0).ToArray<double>().ShouldBe(tv, c.ToString());
            var twice = t.Transpose(c.Dim0, c.Dim1);
            twice.Shape.ShouldBe(c.Shape, c.ToString());
            twice.ToArray<double>().ShouldBe(xv, c.ToString());
            (twice * w).Sum().Backward();
            x.Grad!.ToArray<double>().ShouldBe(wv, c.ToString());
        });
    }

    private static int[] Swap(int[] a, int i, int j)
    {
        var r = (int[])a.Clone();
        if (r.Length > 0) (r[i], r[j]) = (r[j], r[i]);
        return r;
    }

    /// <summary>A shape with the same element count: the dims shuffled, some neighbours merged, some 1s inserted, maybe one -1.</summary>
    private static int[] ReshapeTarget(int[] shape, Generator g)
    {
        var dims = new List<int>();
        foreach (int i in g.Permutation(shape.Length))
        {
            if (dims.Count > 0 && g.NextDouble() < 0.3) dims[^1] *= shape[i];
            else dims.Add(shape[i]);
        }
        for (int k = (int)g.NextInt64(0, 3); k > 0; k--) dims.Insert((int)g.NextInt64(0, dims.Count + 1), 1);
        if (dims.Count > 0 && g.NextDouble() < 0.5) dims[(int)g.NextInt64(0, dims.Count)] = -1;
        return [.. dims];
    }

    // ---- (e) only argument errors, with both shapes named -------------------------------------

    private sealed record PairCase(int[] A, int[] B, int Seed)
    {
        public override string ToString() => $"{Fmt(A)} with {Fmt(B)}, seed {Seed}";
    }

    [Test]
    public void Ops_ArbitraryShapePairs_ThrowOnlyArgumentErrorsNamingBothShapes()
    {
        var cases = from a in Shape(0, 4) from b in Shape(0, 4) from seed in Seed select new PairCase(a, b, seed);

        ForAll(cases, c =>
        {
            var g = new Generator(c.Seed);
            int[]? broadcast = NaiveBroadcast(c.A, c.B);

            foreach (var op in BinaryOps)
            {
                var ex = Outcome(c, g, op.Name, op.Apply, out var r);
                if (broadcast is null)
                {
                    ex.ShouldBeAssignableTo<ArgumentException>($"{c}: {op.Name} of shapes that do not broadcast");
                    ex!.Message.ShouldContain(Fmt(c.A), customMessage: $"{c}: {op.Name}");
                    ex.Message.ShouldContain(Fmt(c.B), customMessage: $"{c}: {op.Name}");
                }
                else
                {
                    ex.ShouldBeNull($"{c}: {op.Name} of broadcastable shapes");
                    r!.Shape.ShouldBe(broadcast, $"{c}: {op.Name}");
                }
            }

            var mask = Make(Draw(c.A, g, r => r.NextInt64(0, 2)), c.A, DType.Int64);
            var index = Make(Draw(c.B, g, r => r.NextInt64(0, 3)), c.B, DType.Int64);
            Outcome(c, g, "MatMul", (a, b) => a.MatMul(b), out _);
            Outcome(c, g, "Concat", (a, b) => Tensor.Concat([a, b], 0), out _);
            Outcome(c, g, "Concat(-1)", (a, b) => Tensor.Concat([a, b], -1), out _);
            Outcome(c, g, "Stack", (a, b) => Tensor.Stack([a, b], 1), out _);
            Outcome(c, g, "Where", (a, b) => Tensor.Where(mask, a, b), out _);
            Outcome(c, g, "Expand", (a, _) => a.Expand([.. c.B]), out _);
            Outcome(c, g, "Reshape", (a, _) => a.Reshape([.. c.B]), out _);
            // Gather with a 0-d input or index is wrong in the library (see the Gather_ZeroDim* tests below).
            if (c.A.Length > 0 && c.B.Length > 0) Outcome(c, g, "Gather", (a, _) => a.Gather(0, index), out _);
            Outcome(c, g, "Sum(dim)", (a, _) => a.Sum(c.B.Length - 2), out _);
            Outcome(c, g, "Transpose", (a, _) => a.Transpose(c.B.Length - 2, 1), out _);
            Outcome(c, g, "Narrow", (a, _) => a.Narrow(0, c.B.Length - 1, 2), out _);
        });
    }

    /// <summary>
    /// Runs an op on fresh operands of the case's shapes: it may throw ArgumentException (or a
    /// subclass) or InvalidOperationException, nothing else. If it succeeds, its backward must
    /// succeed too and give each operand a gradient of its own shape.
    /// </summary>
    private static Exception? Outcome(PairCase c, Generator g, string op, Func<Tensor, Tensor, Tensor> run, out Tensor? result)
    {
        var a = Make(Draw(c.A, g, NonZero), c.A, DType.Float64);
        var b = Make(Draw(c.B, g, NonZero), c.B, DType.Float64);
        a.RequiresGrad = b.RequiresGrad = true;
        result = null;
        try
        {
            result = run(a, b);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return e;
        }
        catch (Exception e)
        {
            throw new AssertionException($"{c}: {op} threw {e.GetType().Name}, not an ArgumentException or InvalidOperationException: {e}");
        }
        var grads = Tape.Grad(result.Sum(), [a, b], allowUnused: true);
        grads[0].Shape.ShouldBe(c.A, $"{c}: {op}, gradient of the left operand");
        grads[1].Shape.ShouldBe(c.B, $"{c}: {op}, gradient of the right operand");
        return null;
    }

    // ---- regressions found by the property above (expected values from PyTorch 1.13) ----------

    [Test]
    public void Gather_ZeroDimIndexOn1D_ReadsTheIndexedElement()
    {
        // torch.tensor([1., 2., 3.]).gather(0, torch.tensor(2)) == tensor(3.), grad [0, 0, 1].
        var x = Tensor.FromArray([1.0, 2.0, 3.0]);
        x.RequiresGrad = true;

        var y = x.Gather(0, Tensor.Scalar(2L));

        y.Shape.ShouldBeEmpty();
        y.Item().ShouldBe(3.0);
        y.Backward();
        x.Grad!.ToArray<double>().ShouldBe([0.0, 0.0, 1.0]);
    }

    [Test]
    public void Gather_1DIndexOnZeroDim_RepeatsTheScalar()
    {
        // torch.tensor(5.).gather(0, torch.tensor([0, 0])) == tensor([5., 5.]), grad of the sum 2.
        var x = Tensor.Scalar(5.0);
        x.RequiresGrad = true;

        var y = x.Gather(0, Tensor.FromArray([0L, 0L]));

        y.Shape.ShouldBe([2]);
        y.ToArray<double>().ShouldBe([5.0, 5.0]);
        y.Sum().Backward();
        x.Grad!.Item().ShouldBe(2.0);
    }

    // ---- shared generators and naive references ----------------------------------------------

    private static readonly Gen<int> Seed = Gen.Choose(0, int.MaxValue);

    private static Gen<int[]> Shape(int minRank, int maxRank) =>
        Gen.Choose(minRank, maxRank).SelectMany(rank => Gen.ArrayOf(Gen.Choose(1, 4), rank));

    /// <summary>A shape that broadcasts to <paramref name="full"/>: a suffix of it (possibly empty) with some dims set to 1.</summary>
    private static Gen<int[]> BroadcastableTo(int[] full) =>
        from rank in Gen.Choose(0, full.Length)
        from keep in Gen.ArrayOf(Gen.Choose(0, 2), rank)
        select full[(full.Length - rank)..].Select((d, i) => keep[i] == 0 ? 1 : d).ToArray();

    /// <summary>NumPy broadcasting, written out: align on the right, sizes must match or be 1. Null if they do not broadcast.</summary>
    private static int[]? NaiveBroadcast(int[] a, int[] b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var result = new int[rank];
        for (int k = 1; k <= rank; k++)
        {
            int da = k <= a.Length ? a[^k] : 1, db = k <= b.Length ? b[^k] : 1;
            if (da != db && da != 1 && db != 1) return null;
            result[^k] = Math.Max(da, db);
        }
        return result;
    }

    /// <summary>The flat index in an operand of shape <paramref name="shape"/> that output index <paramref name="index"/> reads.</summary>
    private static int BroadcastSource(int[] index, int[] shape)
    {
        int flat = 0;
        for (int k = 0; k < shape.Length; k++)
            flat = flat * shape[k] + (shape[k] == 1 ? 0 : index[index.Length - shape.Length + k]);
        return flat;
    }

    private static int[] Unflatten(int flat, int[] shape)
    {
        var index = new int[shape.Length];
        for (int k = shape.Length - 1; k >= 0; k--)
        {
            index[k] = flat % shape[k];
            flat /= shape[k];
        }
        return index;
    }

    private static int Flatten(int[] index, int[] shape)
    {
        int flat = 0;
        for (int k = 0; k < shape.Length; k++) flat = flat * shape[k] + index[k];
        return flat;
    }

    private static int Size(int[] shape) => shape.Aggregate(1, (p, d) => p * d);

    private static double[] Draw(int[] shape, Generator g, Func<Generator, double> draw)
    {
        var data = new double[Size(shape)];
        for (int i = 0; i < data.Length; i++) data[i] = draw(g);
        return data;
    }

    /// <summary>|x| in [0.3, 1.5] with a random sign: safe as a divisor.</summary>
    private static double NonZero(Generator g) => (g.NextDouble() * 1.2 + 0.3) * (g.NextDouble() < 0.5 ? -1 : 1);

    private static Tensor Uniform(int[] shape, Generator g, double lo, double hi) =>
        Make(Draw(shape, g, r => lo + (hi - lo) * r.NextDouble()), shape, DType.Float64);

    /// <summary>A tensor of the given shape and dtype (FromArray with no dims would give a 1-D tensor, so 0-d goes through Scalar).</summary>
    private static Tensor Make(double[] data, int[] shape, DType dtype) => dtype switch
    {
        DType.Float32 => shape.Length == 0 ? Tensor.Scalar((float)data[0]) : Tensor.FromArray(Array.ConvertAll(data, v => (float)v), shape),
        DType.Float64 => shape.Length == 0 ? Tensor.Scalar(data[0]) : Tensor.FromArray(data, shape),
        _ => shape.Length == 0 ? Tensor.Scalar((long)data[0]) : Tensor.FromArray(Array.ConvertAll(data, v => (long)v), shape),
    };

    private static string Fmt(int[] shape) => "[" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";
}
