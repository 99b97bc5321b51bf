using NUnit.Framework;
using Shouldly;

namespace Autograd.Tests.Engine;

/// <summary>
/// <see cref="Tensor.Dispose"/>: a disposed tensor's array is reused by the next op of its size only
/// when no one can read it any more (the library allocated it, no view is alive, no unfreed graph
/// holds it); every other use of a disposed tensor throws <see cref="ObjectDisposedException"/>, and
/// a backward pass through a disposed tensor its graph needs gets the right gradients.
/// The tensors are large enough (above <see cref="BufferPool.MinBytes"/>) to be pooled; the pool is
/// per thread and a test runs on one thread, so each test starts from an empty pool.
/// </summary>
[TestFixture]
public sealed class TensorDisposeTests
{
    private const int N = 5000; // 20 KB of Float32: pooled

    [SetUp]
    public void EmptyThePool() => BufferPool.ClearThisThread();

    private static Tensor Input(int seed, int n = N) => Tensor.Randn([n], new Generator(seed));

    private static float[] Sigmoid(float[] x) => x.Select(v => (float)(1 / (1 + Math.Exp(-v)))).ToArray();

    /// <summary>Ops of the same length that would take a recycled array and overwrite it.</summary>
    private static void Scribble(int n = N)
    {
        for (int i = 0; i < 4; i++) _ = Tensor.Full([n], 123.0);
        for (int i = 0; i < 4; i++) _ = Tensor.Full([n], -7.0).Exp();
    }

    // ---- reuse -----------------------------------------------------------------------------

    [Test]
    public void Dispose_ThenAnOpOfTheSameSize_ReusesTheArray()
    {
        var x = Input(1);
        var r = x.Sigmoid();
        var array = r.Data;
        r.Dispose();
        BufferPool.FreeCount<float>(N).ShouldBe(1);
        var again = x.Sigmoid();
        ReferenceEquals(again.Data, array).ShouldBeTrue();
        again.ToArray<float>().ShouldBe(Sigmoid(x.ToArray<float>()), tolerance: 1e-6f);
    }

    [Test]
    public void Dispose_ThenZeros_ReusesTheArrayCleared()
    {
        var r = Tensor.Full([N], 5.0);
        var array = r.Data;
        r.Dispose();
        var zeros = Tensor.Zeros(N);
        ReferenceEquals(zeros.Data, array).ShouldBeTrue();
        zeros.ToArray<float>().ShouldAllBe(v => v == 0f);
    }

    [Test]
    public void Dispose_Float64AndInt64Results_AreReusedToo()
    {
        var d = Tensor.Randn([N], new Generator(2), DType.Float64);
        var e = d.Exp();
        var array = e.Data;
        e.Dispose();
        ReferenceEquals(d.Tanh().Data, array).ShouldBeTrue();

        var l = Tensor.Arange(N, DType.Int64);
        var c = l.Clone();
        var longs = c.Data;
        c.Dispose();
        ReferenceEquals(l.Clone().Data, longs).ShouldBeTrue();
    }

    [Test]
    public void Dispose_SmallTensor_IsNotPooled()
    {
        var r = Tensor.Ones(16);
        r.Dispose();
        BufferPool.FreeCount<float>(16).ShouldBe(0);
    }

    [Test]
    public void UsingLoop_OfSigmoids_AllocatesAlmostNothingAfterWarmUp()
    {
        // On one thread: a parallel map's own bookkeeping (about 2 KB per call through Parallel.For)
        // would otherwise count here and, varying from run to run, put 100 calls near the bound.
        int threads = Threading.NumThreads;
        Threading.NumThreads = 1;
        try
        {
            var x = Tensor.Randn([1 << 20], new Generator(3));
            for (int i = 0; i < 3; i++)
            {
                using var warm = x.Sigmoid();
            }
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 100; i++)
            {
                using var r = x.Sigmoid();
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            // A fresh result is a 4 MB array; 100 recycled ones allocate only their Tensor objects.
            allocated.ShouldBeLessThan(256 * 1024);
        }
        finally
        {
            Threading.NumThreads = threads;
        }
    }

    [Test]
    public void WithoutDispose_SigmoidsAllocateTheirArrays()
    {
        // The counterpart of the loop above: the allocation counter sees the 4 MB arrays.
        var x = Tensor.Randn([1 << 20], new Generator(3));
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 3; i++) _ = x.Sigmoid();
        (GC.GetAllocatedBytesForCurrentThread() - before).ShouldBeGreaterThan(3L * 4 * (1 << 20));
    }

    // ---- rule (a): only arrays the library allocated ---------------------------------------

    [Test]
    public void FromArray_DisposedTensor_NeverHandsOutTheCallersArray()
    {
        var mine = Enumerable.Range(0, N).Select(i => (float)i).ToArray();
        var t = Tensor.FromArray(mine);
        ReferenceEquals(t.Data, mine).ShouldBeFalse();
        t.Dispose();
        var x = Input(4);
        var r = x.Sigmoid();
        ReferenceEquals(r.Data, mine).ShouldBeFalse();
        mine[17].ShouldBe(17f);
    }

    [Test]
    public void TensorOverAnArrayItDoesNotOwn_IsNeverRecycled()
    {
        // Arrays someone else keeps (a wrapped array, a backward pass's rented temporaries) are
        // created without ownership: disposing their tensor drops them, it does not pool them.
        var foreign = new float[N];
        var t = new Tensor(foreign, [N]);
        t.Dispose();
        BufferPool.FreeCount<float>(N).ShouldBe(0);
        ReferenceEquals(Input(5).Sigmoid().Data, foreign).ShouldBeFalse();
    }

    // ---- rule (b): no live view --------------------------------------------------------------

    [Test]
    public void Views_KeepTheirValues_AfterTheBaseIsDisposed()
    {
        var x = Input(6);
        var r = x.Sigmoid();
        var expected = r.ToArray<float>();
        var reshaped = r.Reshape(50, 100);
        var detached = r.Detach();
        r.Dispose();
        BufferPool.FreeCount<float>(N).ShouldBe(0);
        Scribble();
        reshaped.ToArray<float>().ShouldBe(expected);
        detached.ToArray<float>().ShouldBe(expected);

        reshaped.Dispose();
        BufferPool.FreeCount<float>(N).ShouldBe(0);
        detached.ToArray<float>().ShouldBe(expected);
        detached.Dispose(); // the last holder: now the array is free
        BufferPool.FreeCount<float>(N).ShouldBe(1);
    }

    [Test]
    public void Base_KeepsItsValues_AfterAViewIsDisposed()
    {
        var r = Input(7).Exp();
        var expected = r.ToArray<float>();
        var view = r.Reshape(-1);
        view.Dispose();
        Scribble();
        r.ToArray<float>().ShouldBe(expected);
    }

    [Test]
    public void Dispose_TwiceOrMore_ReleasesOnce()
    {
        var r = Input(8).Exp();
        var view = r.Detach();
        r.Dispose();
        r.Dispose(); // must not count as the view's release
        r.Dispose();
        BufferPool.FreeCount<float>(N).ShouldBe(0);
        var expected = view.ToArray<float>();
        Scribble();
        view.ToArray<float>().ShouldBe(expected);
        view.Dispose();
        view.Dispose();
        BufferPool.FreeCount<float>(N).ShouldBe(1);
    }

    // ---- rule (c): no graph that can still read it -------------------------------------------

    private static Tensor Leaf(int seed)
    {
        var x = Input(seed);
        x.RequiresGrad = true;
        return x;
    }

    private static float[] SigmoidGradient(Tensor x, float scale)
        => Sigmoid(x.ToArray<float>()).Select(s => scale * s * (1 - s)).ToArray();

    [Test]
    public void OpResult_DisposedBeforeBackward_GivesTheRightGradients()
    {
        var x = Leaf(9);
        var y = x.Sigmoid();          // its backward reads y
        var array = y.Data;
        var loss = (y * 2).Sum();
        y.Dispose();
        BufferPool.IsFree(array).ShouldBeFalse(); // the graph holds it
        Scribble();
        loss.Backward();
        x.Grad!.ToArray<float>().ShouldBe(SigmoidGradient(x, 2), tolerance: 1e-6f);
        BufferPool.IsFree(array).ShouldBeTrue(); // recycled when the graph was freed
    }

    [Test]
    public void OpInputAndSavedTensor_DisposedBeforeBackward_GiveTheRightGradients()
    {
        var x = Leaf(10);
        var a = x.Exp();
        var b = Tensor.Full([N], 3.0);
        var loss = (a * b).Sum();     // Mul saves a and b
        var expected = a.ToArray<float>().Select(v => 3 * v).ToArray();
        a.Dispose();
        b.Dispose();
        Scribble();
        loss.Backward();
        x.Grad!.ToArray<float>().ShouldBe(expected, tolerance: 1e-4f);
    }

    [Test]
    public void RetainGraph_DisposedTensor_StaysHeldUntilTheLastBackward()
    {
        var x = Leaf(11);
        var y = x.Sigmoid();
        var array = y.Data;
        var loss = y.Sum();
        y.Dispose();
        loss.Backward(retainGraph: true);
        BufferPool.IsFree(array).ShouldBeFalse();
        Scribble();
        x.Grad = null;
        loss.Backward();
        x.Grad!.ToArray<float>().ShouldBe(SigmoidGradient(x, 1), tolerance: 1e-6f);
        BufferPool.IsFree(array).ShouldBeTrue();
    }

    [Test]
    public void GraphNeverRunBackward_KeepsItsArraysOutOfThePool()
    {
        var x = Leaf(12);
        var y = x.Sigmoid();
        var array = y.Data;
        _ = y.Sum(); // recorded, never run backward
        y.Dispose();
        BufferPool.IsFree(array).ShouldBeFalse();
        Scribble();
        ((float[])array).ShouldBe(Sigmoid(x.ToArray<float>()), tolerance: 1e-6f);
    }

    [Test]
    public void CreateGraph_SecondOrderThroughADisposedTensor_IsRight()
    {
        var x = Leaf(13);
        var y = x.Sigmoid();
        var g = Tape.Grad(y.Sum(), [x], createGraph: true)[0];   // s (1 - s), recorded through y
        y.Dispose();
        Scribble();
        var g2 = Tape.Grad(g.Sum(), [x])[0];                     // s (1 - s) (1 - 2s)
        var s = Sigmoid(x.ToArray<float>());
        g2.ToArray<float>().ShouldBe(s.Select(v => v * (1 - v) * (1 - 2 * v)).ToArray(), tolerance: 1e-5f);
    }

    /// <summary>A user function that keeps a tensor in a field without SaveForBackward.</summary>
    private sealed class ScaleByField(Tensor scale) : Function
    {
        protected override Tensor Forward(IReadOnlyList<Tensor> inputs) => inputs[0] * scale;

        protected override IReadOnlyList<Tensor?> Backward(Tensor gradOutput) => [gradOutput * scale];
    }

    [Test]
    public void UserFunction_FieldTensorDisposedBeforeBackward_ThrowsInsteadOfReadingRecycledMemory()
    {
        var x = Leaf(14);
        var scale = Tensor.Full([N], 2.0);
        var loss = new ScaleByField(scale).Apply(x).Sum();
        scale.Dispose();               // not held by the graph: recycled now
        Scribble();
        Should.Throw<ObjectDisposedException>(() => loss.Backward()).Message.ShouldContain("disposed");
    }

    /// <summary>A user function that keeps its input in a field (not saved) and reads it in backward.</summary>
    private sealed class SquareByField : Function
    {
        private Tensor? _input;

        protected override Tensor Forward(IReadOnlyList<Tensor> inputs)
        {
            _input = inputs[0];
            return inputs[0] * inputs[0];
        }

        protected override IReadOnlyList<Tensor?> Backward(Tensor gradOutput) => [gradOutput * 2 * _input!];
    }

    [Test]
    public void UserFunction_InputDisposedBeforeBackward_GivesTheRightGradients()
    {
        var x = Leaf(24);
        var h = x * 1;
        var loss = new SquareByField().Apply(h).Sum();
        var expected = h.ToArray<float>().Select(v => 2 * v).ToArray();
        h.Dispose();                   // held as the node's input
        Scribble();
        loss.Backward();
        x.Grad!.ToArray<float>().ShouldBe(expected, tolerance: 1e-6f);
    }

    /// <summary>x · c for a constant input c, kept in a field (not saved) and read in backward.</summary>
    private sealed class MulByInputField : Function
    {
        private Tensor? _constant;

        protected override Tensor Forward(IReadOnlyList<Tensor> inputs)
        {
            _constant = inputs[1];
            return inputs[0] * inputs[1];
        }

        protected override IReadOnlyList<Tensor?> Backward(Tensor gradOutput) => [gradOutput * _constant!, null];
    }

    [Test]
    public void UserFunction_ConstantInputDisposedBeforeBackward_IsHeldAsAnInput()
    {
        var x = Leaf(25);
        var c = Tensor.Full([N], 3.0);  // a leaf without grad: only the node's input hold keeps it
        var loss = new MulByInputField().Apply(x, c).Sum();
        c.Dispose();
        Scribble();
        loss.Backward();
        x.Grad!.ToArray<float>().ShouldAllBe(v => v == 3f);
    }

    [Test]
    public void SavedIndex_DisposedBeforeBackward_IsHeldAsASavedTensor()
    {
        var x = Leaf(26);
        var index = Tensor.RandInt(0, N, [N], new Generator(27)); // saved by Gather, not an input
        var expected = new float[N];
        foreach (long i in index.ToArray<long>()) expected[i]++;
        var loss = x.Gather(0, index).Sum();
        index.Dispose();
        for (int i = 0; i < 4; i++) _ = Tensor.Full([N], 5, DType.Int64);
        loss.Backward();
        x.Grad!.ToArray<float>().ShouldBe(expected);
    }

    /// <summary>A user function whose backward gives no gradient to its input (legal: null).</summary>
    private sealed class NoGradient : Function
    {
        protected override Tensor Forward(IReadOnlyList<Tensor> inputs) => inputs[0] * 1;

        protected override IReadOnlyList<Tensor?> Backward(Tensor gradOutput) => [null];
    }

    [Test]
    public void Node_ReleasedAgainByALaterPass_DropsItsHoldsOnce()
    {
        var x = Leaf(28);
        var a = x.Exp();
        var (xs, expected) = (x.ToArray<float>(), a.ToArray<float>());
        // Both passes reach Exp's node without a gradient for it: the first frees it, the second
        // frees it again, which must not release the storages of x and a a second time.
        new NoGradient().Apply(a).Sum().Backward();
        new NoGradient().Apply(a).Sum().Backward();
        Scribble();
        x.ToArray<float>().ShouldBe(xs);
        a.ToArray<float>().ShouldBe(expected);
    }

    /// <summary>A user function that saves its input and reads it in backward.</summary>
    private sealed class SquareSaved : Function
    {
        protected override Tensor Forward(IReadOnlyList<Tensor> inputs)
        {
            SaveForBackward(inputs[0]);
            return inputs[0] * inputs[0];
        }

        protected override IReadOnlyList<Tensor?> Backward(Tensor gradOutput) => [gradOutput * 2 * SavedTensors[0]];
    }

    [Test]
    public void UserFunction_SavedTensorDisposedBeforeBackward_GivesTheRightGradients()
    {
        var x = Leaf(15);
        var h = x * 1;                 // an intermediate the user owns
        var loss = new SquareSaved().Apply(h).Sum();
        var expected = h.ToArray<float>().Select(v => 2 * v).ToArray();
        h.Dispose();
        Scribble();
        loss.Backward();
        x.Grad!.ToArray<float>().ShouldBe(expected, tolerance: 1e-6f);
    }

    [Test]
    public void Parameter_Disposed_UpdateThrowsAndGradStaysValid()
    {
        var p = Leaf(16);
        (p.Sigmoid() * 2).Sum().Backward();
        var grad = p.Grad!;
        var expected = grad.ToArray<float>();
        p.Dispose();
        Scribble();
        // What an optimizer step does: read the parameter's array under no-grad.
        Should.Throw<ObjectDisposedException>(() => { _ = p.Span<float>().Length; });
        Should.Throw<ObjectDisposedException>(() => p.Sigmoid());
        p.Grad.ShouldBeSameAs(grad);
        grad.ToArray<float>().ShouldBe(expected);
    }

    [Test]
    public void Grad_Disposed_NextBackwardThrows()
    {
        var p = Leaf(17);
        p.Sigmoid().Sum().Backward();
        p.Grad!.Dispose();
        var loss = p.Sigmoid().Sum();
        Should.Throw<ObjectDisposedException>(() => loss.Backward());
    }

    [Test]
    public void Grad_DisposedAndCleared_IsRecreated()
    {
        var p = Leaf(18);
        p.Sigmoid().Sum().Backward();
        p.Grad!.Dispose();
        p.Grad = null;
        p.Sigmoid().Sum().Backward();
        p.Grad!.ToArray<float>().ShouldBe(SigmoidGradient(p, 1), tolerance: 1e-6f);
    }

    [Test]
    public void TapeGradResult_AViewOfTheSeed_DisposedLeavesTheSeedIntact()
    {
        var x = Leaf(19);
        var y = x.Reshape(50, 100);
        var seed = Tensor.Full([50, 100], 2.0);
        var g = Tape.Grad(y, [x], seed)[0];   // Reshape's backward: a view of the seed
        g.Dispose();
        Scribble();
        seed.ToArray<float>().ShouldAllBe(v => v == 2f);
    }

    // ---- every use of a disposed tensor throws, metadata stays ---------------------------------

    private static Tensor Disposed()
    {
        var t = Tensor.Randn([N], new Generator(20));
        t.Dispose();
        return t;
    }

    private static IEnumerable<TestCaseData> Uses()
    {
        (string, Func<Tensor, object?>)[] uses =
        [
            ("Item", t => t.Sum().Item()),
            ("ToArray", t => t.ToArray<float>()),
            ("ToArray<double>", t => t.ToArray<double>()),
            ("unary op", t => t.Sigmoid()),
            ("binary op, left", t => t + Tensor.Ones(N)),
            ("binary op, right", t => Tensor.Ones(N) * t),
            ("op with a scalar", t => t * 2),
            ("reduction", t => t.Mean()),
            ("MatMul", t => t.Reshape(50, 100).MatMul(Tensor.Ones(100, 2))),
            ("Reshape", t => t.Reshape(100, 50)),
            ("Detach", t => t.Detach()),
            ("Clone", t => t.Clone()),
            ("To", t => t.To(DType.Float64)),
            ("Concat", t => Tensor.Concat([t, t])),
            ("Where", t => Tensor.Where(Tensor.Ones(N), t, t)),
            ("Gather", t => t.Gather(0, Tensor.Zeros([1], DType.Int64))),
            ("Expand", t => t.Expand(2, N)),
            ("Narrow", t => t.Narrow(0, 0, 10)),
            ("Function input", t => new SquareSaved().Apply(t)),
            ("internal Buffer", t => t.Buffer<float>()),
        ];
        foreach (var (name, use) in uses) yield return new TestCaseData(use).SetArgDisplayNames(name);
    }

    [TestCaseSource(nameof(Uses))]
    public void DisposedTensor_EveryUseOfItsData_Throws(Func<Tensor, object?> use)
    {
        var e = Should.Throw<ObjectDisposedException>(() => use(Disposed()));
        e.Message.ShouldContain($"This tensor (shape [{N}], Float32) was disposed");
    }

    [Test]
    public void DisposedScalar_Item_Throws()
    {
        var s = Tensor.Scalar(2.5f);
        s.Dispose();
        Should.Throw<ObjectDisposedException>(() => s.Item()).Message.ShouldContain("This tensor (shape [], Float32) was disposed");
    }

    [Test]
    public void DisposedTensor_AsBackwardRootOrSeed_Throws()
    {
        var x = Leaf(21);
        var loss = x.Sigmoid().Sum();
        loss.Dispose();
        Should.Throw<ObjectDisposedException>(() => loss.Backward());

        var y = x.Sigmoid();
        var seed = Tensor.Ones(N);
        seed.Dispose();
        Should.Throw<ObjectDisposedException>(() => y.Backward(seed));
        Should.Throw<ObjectDisposedException>(() => Tape.Grad(y, [x], seed));
    }

    [Test]
    public void DisposedTensor_MetadataAndToString_StayAvailable()
    {
        var x = Leaf(22);
        var y = x.Sigmoid().Reshape(50, 100);
        y.Name = "y";
        y.Dispose();
        y.IsDisposed.ShouldBeTrue();
        x.IsDisposed.ShouldBeFalse();
        y.Shape.ShouldBe([50, 100]);
        y.Rank.ShouldBe(2);
        y.DType.ShouldBe(DType.Float32);
        y.NumberOfElements.ShouldBe(N);
        y.Name.ShouldBe("y");
        y.RequiresGrad.ShouldBeTrue();
        y.GradFnName.ShouldBe("ReshapeBackward");
        y.ToString().ShouldBe("tensor(<disposed>, shape=(50, 100), grad_fn=<ReshapeBackward>)");
        y.ToDot().ShouldContain("Reshape");

        var d = Tensor.FromArray([1.0, 2.0]);
        d.Dispose();
        d.ToString().ShouldBe("tensor(<disposed>, shape=(2,), dtype=Float64)");
        x.Dispose();
        x.ToString().ShouldBe($"tensor(<disposed>, shape=({N},), requires_grad=True)");
    }
}
