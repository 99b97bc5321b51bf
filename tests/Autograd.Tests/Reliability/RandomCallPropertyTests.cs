using FsCheck;
using FsCheck.Fluent;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Tests.Reliability;

/// <summary>
/// Properties (FsCheck): random calls of every core op with random, often invalid, shapes, dtypes,
/// dims and indices either succeed - and then backward through the result succeeds too - or throw
/// a documented exception (ArgumentException family, InvalidOperationException); never an
/// IndexOutOfRange, NullReference, InvalidCast or any other exception from inside.
/// A failure prints the case and FsCheck's seed to replay it.
/// </summary>
[TestFixture]
public sealed class RandomCallPropertyTests
{
    private static readonly Config Runs = Config.QuickThrowOnFailure.WithMaxTest(600).WithQuietOnSuccess(true);

    /// <summary>A random call: op, two operands (shape, dtype), a dim, two small ints, a target shape.</summary>
    public sealed record CallCase(int Op, int[] A, DType DA, int[] B, DType DB, int Dim, int I, int J, int[] Target, bool Grad, int Seed)
    {
        public override string ToString() =>
            $"{Ops[Op].Name}: a {Fmt(A)} {DA}, b {Fmt(B)} {DB}, dim {Dim}, i {I}, j {J}, target {Fmt(Target)}, grad {Grad}, seed {Seed}";
    }

    private sealed record RandomOp(string Name, Func<Tensor, Tensor, CallCase, object?> Apply);

    private static readonly RandomOp[] Ops =
    [
        new("a + b", (a, b, _) => a + b), new("a - b", (a, b, _) => a - b), new("a * b", (a, b, _) => a * b),
        new("a / b", (a, b, _) => a / b), new("a + i", (a, _, c) => a + c.I), new("i / a", (a, _, c) => c.I / a),
        new("-a", (a, _, _) => -a), new("Eq", (a, b, _) => a.Eq(b)), new("Lt", (a, b, _) => a.Lt(b)), new("Ge(i)", (a, _, c) => a.Ge(c.I)),
        new("Where", (a, b, _) => Tensor.Where(a.Gt(0), a, b)), new("MatMul", (a, b, _) => a.MatMul(b)),
        new("Exp", (a, _, _) => a.Exp()), new("Log", (a, _, _) => a.Log()), new("Sqrt", (a, _, _) => a.Sqrt()),
        new("Abs", (a, _, _) => a.Abs()), new("Sign", (a, _, _) => a.Sign()), new("Sigmoid", (a, _, _) => a.Sigmoid()),
        new("Tanh", (a, _, _) => a.Tanh()), new("Relu", (a, _, _) => a.Relu()), new("Pow", (a, _, c) => a.Pow(c.I)),
        new("Clamp", (a, _, c) => a.Clamp(c.I, c.J)), new("Clamp(min)", (a, _, c) => a.Clamp(min: c.I)),
        new("Sum()", (a, _, _) => a.Sum()), new("Mean()", (a, _, _) => a.Mean()), new("Sum(dim)", (a, _, c) => a.Sum(c.Dim, c.I > 0)),
        new("Mean(dim)", (a, _, c) => a.Mean(c.Dim, c.I > 0)), new("Max(dim)", (a, _, c) => a.Max(c.Dim, c.I > 0)),
        new("Min(dim)", (a, _, c) => a.Min(c.Dim)), new("Max()", (a, _, _) => a.Max()), new("Min()", (a, _, _) => a.Min()),
        new("ArgMax", (a, _, c) => a.ArgMax(c.Dim, c.I > 0)), new("ArgMin", (a, _, c) => a.ArgMin(c.Dim)),
        new("LogSumExp", (a, _, c) => a.LogSumExp(c.Dim, c.I > 0)), new("Softmax", (a, _, c) => a.Softmax(c.Dim)),
        new("LogSoftmax", (a, _, c) => a.LogSoftmax(c.Dim)), new("Reshape", (a, _, c) => a.Reshape(c.Target)),
        new("Transpose", (a, _, c) => a.Transpose(c.Dim, c.I)), new("T", (a, _, _) => a.T), new("Unsqueeze", (a, _, c) => a.Unsqueeze(c.Dim)),
        new("Squeeze()", (a, _, _) => a.Squeeze()), new("Squeeze(dim)", (a, _, c) => a.Squeeze(c.Dim)),
        new("Expand", (a, _, c) => a.Expand(c.Target)), new("Narrow", (a, _, c) => a.Narrow(c.Dim, c.I, c.J)),
        new("Select", (a, _, c) => a.Select(c.Dim, c.I)), new("Concat", (a, b, c) => Tensor.Concat([a, b], c.Dim)),
        new("Stack", (a, b, c) => Tensor.Stack([a, b], c.Dim)), new("Gather", (a, b, c) => a.Gather(c.Dim, b)),
        new("To", (a, _, c) => a.To(c.DB)), new("Item", (a, _, _) => a.Item()), new("Detach", (a, _, _) => a.Detach()),
        new("Grad =", (a, b, _) => a.Grad = b), new("RequiresGrad =", (_, b, _) => b.RequiresGrad = true),
        new("Backward(b)", (a, b, _) => { (a * 1).Backward(b); return null; }),
        new("Tape.Grad", (a, b, _) => Tape.Grad((a * 1).Sum(), [b])),
        new("FromArray", (a, _, c) => Tensor.FromArray(a.ToArray<float>(), c.Target)),
        new("Full", (_, _, c) => Tensor.Full(c.Target, c.I, c.DA)),
    ];

    private static string Fmt(int[] shape) => "[" + string.Join(", ", shape) + "]";

    private static readonly Gen<int[]> Shapes =
        Gen.Choose(0, 3).SelectMany(rank => Gen.ArrayOf(Gen.Frequency((1, Gen.Constant(0)), (6, Gen.Choose(1, 4))), rank));

    private static readonly Gen<int[]> Targets =
        Gen.Choose(0, 3).SelectMany(rank => Gen.ArrayOf(Gen.Frequency((1, Gen.Constant(-1)), (1, Gen.Constant(0)), (6, Gen.Choose(1, 4))), rank));

    private static readonly Gen<DType> DTypes = Gen.Frequency((3, Gen.Constant(DType.Float32)), (2, Gen.Constant(DType.Float64)), (2, Gen.Constant(DType.Int64)));

    private static Gen<CallCase> Cases(int firstOp, int lastOp) =>
        from op in Gen.Choose(firstOp, lastOp)
        from a in Shapes
        from b in Gen.Frequency((2, Gen.Constant(a)), (3, Shapes))
        from da in DTypes
        from db in DTypes
        from dim in Gen.Choose(-5, 5)
        from i in Gen.Choose(-5, 5)
        from j in Gen.Choose(-5, 5)
        from target in Targets
        from grad in Gen.Elements(true, false)
        from seed in Gen.Choose(0, int.MaxValue)
        select new CallCase(op, a, da, b, db, dim, i, j, target, grad, seed);

    private static Tensor Operand(int[] shape, DType dtype, bool grad, Generator g)
    {
        var t = dtype == DType.Int64
            ? Tensor.RandInt(-2, 5, shape, g)
            : Tensor.Randn(shape, g, dtype);
        if (grad && dtype != DType.Int64) t.RequiresGrad = true;
        return t;
    }

    /// <summary>Known bugs (KnownBug cases of the catalogue) excluded here until they are fixed.</summary>
    private static bool HitsKnownBug(CallCase c) =>
        Ops[c.Op].Name == "Expand" && c.A.Length == 0 && c.Target.Any(d => d < 0)   // Expand of a 0-d tensor to a negative size: IndexOutOfRange
        || Ops[c.Op].Name is "FromArray" or "Full" && c.Target.Aggregate(1L, (p, d) => p * d) > int.MaxValue;

    private static int _succeeded, _rejected;

    private static void Property(CallCase c) => Property(c, excludeKnownBugs: true);

    private static void Property(CallCase c, bool excludeKnownBugs)
    {
        if (excludeKnownBugs && HitsKnownBug(c)) return;
        var g = new Generator(c.Seed);
        var a = Operand(c.A, c.DA, c.Grad, g);
        var b = Operand(c.B, c.DB, false, g);
        object? result;
        try
        {
            result = Ops[c.Op].Apply(a, b, c);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            e.Message.Length.ShouldBeGreaterThan(10, c.ToString());
            _rejected++;
            return;
        }
        catch (Exception e)
        {
            throw new ShouldAssertException($"{c}: undocumented {e.GetType().Name}: {e.Message}", e);
        }

        _succeeded++;
        // A call that succeeded records a graph backward must be able to run through.
        if (result is Tensor r && r.RequiresGrad && r.GradFn is not null)
        {
            try
            {
                r.Backward(Tensor.OnesLike(r));
            }
            catch (Exception e)
            {
                throw new ShouldAssertException($"{c}: backward through the result threw {e.GetType().Name}: {e.Message}", e);
            }
        }
    }

    private static void Run(int firstOp, int lastOp)
    {
        (_succeeded, _rejected) = (0, 0);
        Check.One(Runs, Prop.ForAll(Arb.From(Cases(firstOp, lastOp)), Property));
        TestContext.Out.WriteLine($"{_succeeded} calls succeeded (and their backward), {_rejected} were rejected with a documented exception");
        _succeeded.ShouldBeGreaterThan(50); // the generator reaches the valid paths too
    }

    [Test]
    public void RandomCalls_OfElementwiseAndBinaryOps_ThrowOnlyDocumentedExceptions() => Run(0, 22);

    [Test]
    public void RandomCalls_OfReductionsAndSoftmax_ThrowOnlyDocumentedExceptions() => Run(23, 35);

    [Test]
    public void RandomCalls_OfShapeOpsAndFactories_ThrowOnlyDocumentedExceptions() => Run(36, Ops.Length - 1);

    [Test]
    [Category("Regression")]
    public void RandomCalls_OfShapeOpsIncludingKnownBugInputs_ThrowOnlyDocumentedExceptions()
        => Check.One(Runs.WithMaxTest(2000), Prop.ForAll(Arb.From(Cases(36, Ops.Length - 1)), (CallCase c) => Property(c, excludeKnownBugs: false)));

    [Test]
    public void OpTable_CoversTheThreeGroups()
    {
        Ops[22].Name.ShouldBe("Clamp(min)");
        Ops[23].Name.ShouldBe("Sum()");
        Ops[35].Name.ShouldBe("LogSoftmax");
        Ops[36].Name.ShouldBe("Reshape");
    }
}
