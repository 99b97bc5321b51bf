namespace Autograd.Tests.Reliability;

public static partial class CoreCatalogue
{
    private static IEnumerable<BadCall> EmptyCases()
    {
        const string k = Kind.Empty;
        foreach (var (name, apply) in new (string, Func<Tensor, int, object?>)[]
        {
            ("Max", (t, d) => t.Max(d)), ("Min", (t, d) => t.Min(d)), ("ArgMax", (t, d) => t.ArgMax(d)), ("ArgMin", (t, d) => t.ArgMin(d, keepDim: true)),
        })
        {
            string word = name.EndsWith("Max", StringComparison.Ordinal) ? "max" : "min";
            yield return Arg(k, $"{name}(0) of [0]", () => apply(F32(0), 0), word, "[0]", "dimension 0");
            yield return Arg(k, $"{name}(1) of [2, 0]", () => apply(F32(2, 0), 1), word, "[2, 0]", "dimension 1");
        }
        yield return Arg(k, "ArgMax() of [0]", () => F32(0).ArgMax(), "ArgMax", "[0]", "no elements");
        yield return Arg(k, "ArgMin() of [2, 0]", () => F32(2, 0).ArgMin(), "ArgMin", "[2, 0]", "no elements");
        yield return Arg(k, "Amax([1]) of [2, 0]", () => F32(2, 0).Amax([1]), "Amax", "[2, 0]", "dim 1");
        yield return Arg(k, "Amin([0, 1]) of [0, 3]", () => F32(0, 3).Amin([0, 1]), "Amin", "[0, 3]", "dim 0");
        yield return Arg(k, "Max() of [0]", () => F32(0).Max(), "max", "[0]");
        yield return Arg(k, "Min() of [3, 0]", () => F32(3, 0).Min(), "min", "[0]");
        yield return Op(k, "Item() of [0]", () => F32(0).Item(), "Item", "[0]", "0 elements");
        yield return Op(k, "Item() of [2, 0, 3]", () => F32(2, 0, 3).Item(), "Item", "[2, 0, 3]");
        yield return Arg(k, "Concat of no tensors", () => Tensor.Concat([]), "tensors", "at least one");
        yield return Arg(k, "Stack of no tensors", () => Tensor.Stack([]), "tensors", "at least one");
        yield return Arg(k, "Select(0, 0) of [0]", () => F32(0).Select(0, 0), "index", "size 0");
        yield return Arg(k, "Gather index 0 from an empty dim", () => F32(2, 0).Gather(1, Tensor.Zeros([2, 1], DType.Int64)), "index", "size 0");
    }

    private static IEnumerable<BadCall> NullCases()
    {
        const string k = Kind.Null;
        Tensor x = F32(2), nul = null!;
        yield return Arg(k, "FromArray((float[])null)", () => Tensor.FromArray((float[])null!, 1), "data");
        yield return Arg(k, "FromArray((double[])null)", () => Tensor.FromArray((double[])null!), "data");
        yield return Arg(k, "FromArray((long[])null)", () => Tensor.FromArray((long[])null!, 0), "data");
        yield return Arg(k, "FromArray((float[,])null)", () => Tensor.FromArray((float[,])null!), "data");
        yield return Arg(k, "FromArray((double[,])null)", () => Tensor.FromArray((double[,])null!), "data");
        foreach (var (name, call) in new (string, Func<object?>)[]
        {
            ("FromArray(float[], (int[])null)", () => Tensor.FromArray(new float[1], (int[])null!)),
            ("FromArray(double[], (int[])null)", () => Tensor.FromArray(new double[1], (int[])null!)),
            ("FromArray(long[], (int[])null)", () => Tensor.FromArray(new long[1], (int[])null!)),
        })
        {
            yield return Bug(Arg(k, name, call, "shape"),
                "Tensor.FromArray (src/Autograd/Tensor.Factories.cs): a null shape reaches ShapeOrVector, which reads shape.Length: NullReferenceException instead of ArgumentNullException(shape).");
        }
        yield return Arg(k, "Zeros((int[])null)", () => Tensor.Zeros((int[])null!), "shape");
        yield return Arg(k, "Full(null, 1)", () => Tensor.Full(null!, 1), "shape");
        yield return Bug(Arg(k, "ZerosLike(null)", () => Tensor.ZerosLike(null!), "other"),
            "Tensor.ZerosLike / OnesLike (src/Autograd/Tensor.Factories.cs) read other.Dims without a null check: NullReferenceException instead of ArgumentNullException(other).");
        yield return Bug(Arg(k, "OnesLike(null)", () => Tensor.OnesLike(null!), "other"),
            "Tensor.OnesLike: NullReferenceException on null (see ZerosLike).");
        yield return Arg(k, "Reshape((int[])null)", () => x.Reshape(null!), "shape");
        yield return Arg(k, "Expand((int[])null)", () => x.Expand(null!), "shape");
        foreach (var (name, call, param) in new (string, Func<object?>, string)[]
        {
            ("x + null", () => x + nul, "b"), ("null + x", () => nul + x, "a"), ("x - null", () => x - nul, "b"),
            ("x * null", () => x * nul, "b"), ("x / null", () => x / nul, "b"), ("null / x", () => nul / x, "a"),
            ("x.MatMul(null)", () => x.MatMul(nul), "other"), ("x.Gather(0, null)", () => x.Gather(0, nul), "index"),
            ("x.Eq(null)", () => x.Eq(nul), "other"), ("x.Lt(null)", () => x.Lt(nul), "other"),
            ("Where(null, x, x)", () => Tensor.Where(nul, x, x), "condition"), ("Where(x, null, x)", () => Tensor.Where(x, nul, x), "a"),
            ("Where(x, x, null)", () => Tensor.Where(x, x, nul), "b"),
            ("Concat(null)", () => Tensor.Concat(null!), "tensors"), ("Concat([x, null])", () => Tensor.Concat([x, nul]), "tensors"),
            ("Concat([null])", () => Tensor.Concat([nul]), "tensors"),
            ("Stack(null)", () => Tensor.Stack(null!), "tensors"), ("Stack([x, null])", () => Tensor.Stack([x, nul]), "tensors"),
            ("Tape.Grad(null, [x])", () => Tape.Grad(nul, [x]), "output"), ("Tape.Grad(y, null)", () => Tape.Grad(F32(1).Sum(), null!), "inputs"),
            ("Tape.Grad(y, [null])", () => Tape.Grad(F32(1).Sum(), [nul]), "inputs"),
            ("GradCheck.Check(null, [x])", () => GradCheck.Check(null!, [x]), "function"),
            ("GradCheck.Check(f, null)", () => GradCheck.Check(t => t[0], null!), "inputs"),
            ("Function.Apply(null)", () => new IdentityFunction().Apply(null!), "inputs"),
            ("Function.Apply(x, null)", () => new IdentityFunction().Apply(x, nul), "inputs"),
        })
        {
            yield return Arg(k, name, call, param);
        }
        foreach (var (name, call, param) in new (string, Func<object?>, string)[]
        {
            ("null + 1.0", () => nul + 1.0, "a"), ("1.0 - null", () => 1.0 - nul, "b"), ("2.0 * null", () => 2.0 * nul, "b"), ("null / 2.0", () => nul / 2.0, "a"),
        })
        {
            yield return Bug(Arg(k, name, call, $"Parameter '{param}'"),
                "The tensor-scalar operators (src/Autograd/Ops/Arithmetic.cs) check null inside the private helper ScalarFor, so the ArgumentNullException names its parameter 't' instead of the operator's 'a' or 'b'.");
        }
        yield return Bug(Arg(k, "-(Tensor)null", () => -nul, "a"),
            "Tensor unary operator - (src/Autograd/Ops/Arithmetic.cs) calls a.Map without a null check: NullReferenceException instead of ArgumentNullException(a).");
        yield return Bug(Arg(k, "GradCheck.Check(f, [null])", () => GradCheck.Check(t => t[0], [nul]), "inputs"),
            "GradCheck.Check (src/Autograd/Engine/GradCheck.cs) reads t.DType of each input without a null check: NullReferenceException instead of ArgumentNullException(inputs) naming the index.");
    }

    private static IEnumerable<BadCall> RequiresGradCases()
    {
        const string k = Kind.RequiresGrad;
        foreach (var (name, make) in new (string, Func<Tensor>)[]
        {
            ("FromArray(long[])", () => Tensor.FromArray(new long[] { 1, 2 })), ("Scalar(long)", () => Tensor.Scalar(3L)),
            ("Zeros Int64", () => Tensor.Zeros([2], DType.Int64)), ("Ones Int64", () => Tensor.Ones([2, 2], DType.Int64)),
            ("Full Int64", () => Tensor.Full([1], 7, DType.Int64)), ("Arange Int64", () => Tensor.Arange(4, DType.Int64)),
            ("Eye Int64", () => Tensor.Eye(2, DType.Int64)), ("RandInt", () => Tensor.RandInt(0, 3, [4], new Generator(1))),
            ("ArgMax result", () => F32(2, 3).ArgMax(1)), ("To(Int64) result", () => F32(3).To(DType.Int64)),
            ("Int64 comparison result", () => I64(3).Gt(1)), ("Int64 sum", () => I64(3).Sum()),
        })
        {
            yield return Op(k, $"RequiresGrad = true on {name}", () => make().RequiresGrad = true, "floating point", "Int64");
        }
        foreach (var (name, make, op) in new (string, Func<Tensor, Tensor>, string)[]
        {
            ("a * 2", a => a * 2, "Mul"), ("a.Sum()", a => a.Sum(), "Sum"), ("a.Reshape(3, 2)", a => a.Reshape(3, 2), "Reshape"), ("a.Exp()", a => a.Exp(), "Exp"),
        })
        {
            yield return Op(k, $"RequiresGrad = false on {name} (not a leaf)", () =>
            {
                var a = F32(2, 3);
                a.RequiresGrad = true;
                return make(a).RequiresGrad = false;
            }, "leaf", op);
        }
        foreach (var (shape, grad) in new (int[], int[])[] { ([2, 3], [3, 2]), ([4], [4, 1]), ([], [1]), ([2], []) })
            yield return Arg(k, $"Grad of {Fmt(grad)} on a {Fmt(shape)} tensor", () => F32(shape).Grad = F32(grad), "value", Fmt(shape), Fmt(grad));
        foreach (var dtype in new[] { DType.Float64, DType.Int64 })
        {
            yield return Bug(Arg(k, $"Grad of {dtype} on a Float32 tensor", () => Leaf(2).Grad = Make(dtype, 2), "value", dtype.ToString(), "Float32"),
                "The Tensor.Grad setter (src/Autograd/Tensor.cs) checks the shape only: a gradient of another dtype is accepted (PyTorch: \"assigned grad has data of a different type\"), and the optimizers then reject it in Step after updating the parameters before it (see the Nn KnownBug FailedStep_GradOfAnotherDTypeOnTheSecondParameter_NoParameterChanges).");
        }
    }

    private static IEnumerable<BadCall> SettingCases()
    {
        const string k = Kind.Setting;
        yield return Arg(k, "Clamp() with neither bound", () => F32(3).Clamp(), "min", "max");
        yield return Arg(k, "Clamp(3, 1)", () => F32(3).Clamp(3, 1), "min=3", "max=1");
        yield return Arg(k, "Clamp(0.5, -0.5) Int64", () => I64(3).Clamp(0.5, -0.5), "min=0.5", "max=-0.5");
        yield return Arg(k, "Arange step 0", () => Tensor.Arange(0, 5, 0), "step", "non-zero");
        yield return Arg(k, "Arange step NaN", () => Tensor.Arange(0, 5, double.NaN), "step");
        yield return Arg(k, "Norm(NaN)", () => F32(2, 3).Norm(double.NaN), "p", "NaN");
        yield return Arg(k, "Linspace steps -1", () => Tensor.Linspace(0, 1, -1), "steps", "-1");
        yield return Arg(k, "Linspace Int64", () => Tensor.Linspace(0, 1, 5, DType.Int64), "dtype", "Int64");
        yield return Arg(k, "Logspace steps -2", () => Tensor.Logspace(0, 1, -2), "steps", "-2");
        yield return Arg(k, "Logspace Int64", () => Tensor.Logspace(0, 1, 5, dtype: DType.Int64), "dtype", "Int64");
        yield return Arg(k, "Arange(5, 0, 1) never reaches", () => Tensor.Arange(5, 0, 1), "step", "5", "0");
        yield return Arg(k, "Arange(0, -3)", () => Tensor.Arange(0, -3), "step", "-3");
        yield return Bug(Arg(k, "Arange(+inf)", () => Tensor.Arange(double.PositiveInfinity), "end"),
            "Tensor.Arange (src/Autograd/Tensor.Factories.cs) does not check that start and end are finite: Arange(double.PositiveInfinity) computes a saturated count of int.MaxValue elements and throws OutOfMemoryException (PyTorch: RuntimeError \"unsupported range: 0 -> inf\"). Should be an ArgumentException naming end.");
        yield return Bug(Arg(k, "Arange(NaN)", () => Tensor.Arange(double.NaN), "end"),
            "Tensor.Arange: Arange(double.NaN) returns an empty tensor (the NaN count saturates to 0) instead of rejecting the bound (PyTorch: RuntimeError \"unsupported range\").");
        yield return Bug(Arg(k, "Arange(0, 1e12) (more than int.MaxValue elements)", () => Tensor.Arange(0, 1e12), "end"),
            "Tensor.Arange: a range of more than int.MaxValue elements saturates the count to int.MaxValue and attempts the allocation (OutOfMemoryException) instead of an ArgumentException naming the range.");
        foreach (var (name, call) in new (string, Func<object?>)[]
        {
            ("Full([2], NaN, Int64)", () => Tensor.Full([2], double.NaN, DType.Int64)),
            ("Full([2], 1e30, Int64)", () => Tensor.Full([2], 1e30, DType.Int64)),
            ("Scalar(NaN, Int64)", () => Tensor.Scalar(double.NaN, DType.Int64)),
            ("Full([1], +inf, Int64)", () => Tensor.Full([1], double.PositiveInfinity, DType.Int64)),
        })
        {
            yield return Bug(Arg(k, name, call, "value"),
                "Tensor.Full / Scalar(value, Int64) (src/Autograd/Tensor.Factories.cs, Fill) cast the double with (long): NaN silently becomes 0 and 1e30 or +inf long.MaxValue. PyTorch raises \"value cannot be converted to type int64_t without overflow\"; should be an ArgumentException naming value.");
        }
        yield return Arg(k, "Eye(-1)", () => Tensor.Eye(-1), "n", "-1");
        yield return Arg(k, "Eye(50000) (> int.MaxValue elements)", () => Tensor.Eye(50000), "[50000, 50000]");
        yield return Arg(k, "RandInt(5, 5)", () => Tensor.RandInt(5, 5, [2]), "high", "low=5", "high=5");
        yield return Arg(k, "RandInt(5, 1)", () => Tensor.RandInt(5, 1, [2]), "high", "low=5", "high=1");
        yield return Arg(k, "Generator.NextInt64(3, 3)", () => new Generator(1).NextInt64(3, 3), "low=3", "high=3");
        yield return Bug(Arg(k, "Generator.Permutation(int.MaxValue) (past Array.MaxLength)", () => new Generator(1).Permutation(int.MaxValue), "n", "2147483647", "2147483591"),
            "Generator.Permutation (src/Autograd/Generator.cs) allocates new int[n] for any n >= 0: n = int.MaxValue is past Array.MaxLength (2147483591) and throws OutOfMemoryException (issue 12, attack 8).");
        yield return Bug(Arg(k, "Generator.Permutation(-1)", () => new Generator(1).Permutation(-1), "n", "-1"),
            "Generator.Permutation (src/Autograd/Generator.cs) does not check n: Permutation(-1) allocates new int[-1] and throws OverflowException instead of ArgumentOutOfRangeException(n).");
        yield return Arg(k, "Threading.NumThreads = 0", () => Threading.NumThreads = 0, "value", "0");
        yield return Arg(k, "Threading.NumThreads = -3", () => Threading.NumThreads = -3, "value", "-3");
        yield return Op(k, "Item() of [2, 3]", () => F32(2, 3).Item(), "Item", "[2, 3]", "6 elements");
        yield return Bug(Arg(k, "ToArray<int>()", () => F32(3).ToArray<int>(), "Int32"),
            "Tensor.ToArray<T> (src/Autograd/Tensor.cs) throws NotSupportedException for an unsupported T (after converting every element), outside the documented families; should be an ArgumentException (or InvalidOperationException) raised before any work.");
    }

    private static IEnumerable<BadCall> EngineCases()
    {
        const string k = Kind.Engine;
        yield return Arg(k, "Tape.Grad w.r.t. an input that does not require grad", () => Tape.Grad(Leaf(2).Sum(), [F32(2, 2)]), "inputs[0]", "[2, 2]", "does not require grad");
        yield return Arg(k, "Tape.Grad w.r.t. an Int64 input", () => Tape.Grad(Leaf(2).Sum(), [I64(3)]), "inputs[0]", "[3]");
        yield return Op(k, "Tape.Grad of an output that does not require grad", () => Tape.Grad(F32(2).Sum(), [Leaf(2)]), "does not require grad", "[]");
        yield return Arg(k, "Tape.Grad with a gradOutput of another shape", () => { var a = Leaf(3); return Tape.Grad(a * 2, [a], F32(2)); }, "gradOutput", "[2]", "[3]");
        yield return Op(k, "Backward() on a tensor that does not require grad", () => { F32(1).Sum().Backward(); return null; }, "does not require grad", "[]");
        yield return Op(k, "Backward() inside NoGrad", () =>
        {
            var a = Leaf(2);
            Tensor y;
            using (Tape.NoGrad()) y = (a * a).Sum();
            y.Backward();
            return null;
        }, "does not require grad", "NoGrad");
        yield return Op(k, "Function applied twice", () => { var f = new IdentityFunction(); f.Apply(Leaf(1)); return f.Apply(Leaf(1)); }, "Identity", "already applied");
        yield return Op(k, "Function.Forward returning null", () => new NullFunction().Apply(Leaf(1)), "Null", "returned null");
        yield return Op(k, "Function.Backward returning too few gradients", () =>
        {
            var a = Leaf(2);
            new TooFewGradsFunction().Apply(a, a).Sum().Backward();
            return null;
        }, "TooFewGrads", "1 gradients for 2 inputs");
        yield return Op(k, "Function.Backward returning a gradient of the wrong shape", () =>
        {
            var a = Leaf(2, 3);
            new WrongShapeFunction().Apply(a).Sum().Backward();
            return null;
        }, "WrongShape", "[3, 2]", "[2, 3]");
        yield return Arg(k, "GradCheck of a Float32 function", () => GradCheck.Check(t => t[0].To(DType.Float32), [F32(2)]), "function", "Float32");
        foreach (double eps in new[] { 0.0, -1e-6, double.NaN })
            yield return Arg(k, $"GradCheck eps {eps}", () => GradCheck.Check(t => t[0] * 2, [F32(2)], eps), "eps");
        yield return Bug(Op(k, "GradCheck of a function returning null", () => GradCheck.Check(_ => null!, [F32(2)]), "function", "null"),
            "GradCheck.Check (src/Autograd/Engine/GradCheck.cs) reads output.DType of the function's result without a null check: NullReferenceException instead of a clear error that the function returned null.");
    }

    internal static Tensor Leaf(params int[] shape)
    {
        var t = F32(shape);
        t.RequiresGrad = true;
        return t;
    }

    private sealed class IdentityFunction : Function
    {
        protected override Tensor Forward(IReadOnlyList<Tensor> inputs) => inputs[0] * 1;

        protected override IReadOnlyList<Tensor?> Backward(Tensor gradOutput) => [gradOutput];
    }

    private sealed class NullFunction : Function
    {
        protected override Tensor Forward(IReadOnlyList<Tensor> inputs) => null!;

        protected override IReadOnlyList<Tensor?> Backward(Tensor gradOutput) => [gradOutput];
    }

    private sealed class TooFewGradsFunction : Function
    {
        protected override Tensor Forward(IReadOnlyList<Tensor> inputs) => inputs[0] + inputs[1];

        protected override IReadOnlyList<Tensor?> Backward(Tensor gradOutput) => [gradOutput];
    }

    private sealed class WrongShapeFunction : Function
    {
        protected override Tensor Forward(IReadOnlyList<Tensor> inputs) => inputs[0] * 2;

        protected override IReadOnlyList<Tensor?> Backward(Tensor gradOutput) => [gradOutput.T];
    }
}
