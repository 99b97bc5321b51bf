using NUnit.Framework;
using Shouldly;

namespace Autograd.Tests.Engine;

/// <summary>
/// The recycling of backward temporaries (<see cref="BufferPool"/>): a later backward pass must
/// never write into a tensor someone can still read, and a steady-state pass must reuse arrays.
/// The graphs use 64×64 matrices so that every gradient is large enough to be pooled.
/// </summary>
[TestFixture]
public sealed class BufferPoolTests
{
    private static Tensor Param(int seed)
    {
        var p = Tensor.Randn([64, 64], new Generator(seed)).To(DType.Float32);
        p.RequiresGrad = true;
        return p;
    }

    // y = sum(relu(x · w) · 3): every intermediate gradient is a 64×64 temporary.
    private static Tensor Loss(Tensor x, Tensor w) => (x.MatMul(w).Relu() * 3).Sum();

    /// <summary>A user function that keeps the gradient it is given (legitimate: e.g. for inspection).</summary>
    private sealed class KeepGradient : Function
    {
        public Tensor? Kept;

        protected override Tensor Forward(IReadOnlyList<Tensor> inputs) => inputs[0] * 1;

        protected override IReadOnlyList<Tensor?> Backward(Tensor gradOutput)
        {
            Kept = gradOutput;
            return [gradOutput];
        }
    }

    [Test]
    public void Backward_Repeated_LeafGradsAreNeverOverwrittenByLaterPasses()
    {
        var (x, w) = (Param(1), Param(2));
        Loss(x, w).Backward();
        var first = w.Grad!;
        var snapshot = first.ToArray<float>();
        w.Grad = null; // the next pass creates a new Grad; the old tensor must keep its values
        for (int i = 0; i < 3; i++) Loss(x * (i + 2), w).Backward();
        first.ToArray<float>().ShouldBe(snapshot);
    }

    [Test]
    public void TapeGrad_Results_StayValidAfterLaterBackwardPasses()
    {
        var (x, w) = (Param(3), Param(4));
        var g = Tape.Grad(Loss(x, w), [w])[0];
        var snapshot = g.ToArray<float>();
        for (int i = 0; i < 3; i++) Loss(x * (i + 2), w).Backward();
        g.ToArray<float>().ShouldBe(snapshot);
    }

    [Test]
    public void UserFunction_KeptGradient_IsNotRecycled()
    {
        var (x, w) = (Param(5), Param(6));
        var keep = new KeepGradient();
        (keep.Apply(x.MatMul(w).Relu()) * 3).Sum().Backward();
        var kept = keep.Kept!;
        var snapshot = kept.ToArray<float>();
        for (int i = 0; i < 3; i++) Loss(x * (i + 2), w).Backward();
        kept.ToArray<float>().ShouldBe(snapshot);
    }

    [Test]
    public void CreateGraph_Gradients_StayValidAfterLaterBackwardPasses()
    {
        var (x, w) = (Param(7), Param(8));
        Loss(x, w).Backward(createGraph: true);
        var g = w.Grad!;
        var snapshot = g.ToArray<float>();
        w.Grad = null;
        for (int i = 0; i < 3; i++) Loss(x * (i + 2), w).Backward();
        g.ToArray<float>().ShouldBe(snapshot);
    }

    [Test]
    public void Backward_AfterCreateGraph_TheSummedLeafGradOutlivesThePass()
    {
        var (x, w) = (Param(11), Param(12));
        Loss(x, w).Backward(createGraph: true); // w.Grad has a grad_fn
        Loss(x * 2, w).Backward();               // so this pass stores (Grad + g).Detach(), a new tensor
        var g = w.Grad!;
        var snapshot = g.ToArray<float>();
        w.Grad = null;
        for (int i = 0; i < 3; i++) Loss(x * (i + 3), w).Backward();
        g.ToArray<float>().ShouldBe(snapshot);
    }

    [Test]
    public void Backward_SteadyState_ReusesItsTemporaries()
    {
        var (x, w) = (Param(9), Param(10));
        for (int i = 0; i < 3; i++) Loss(x, w).Backward(); // warm-up: the pool fills
        var loss = Loss(x, w);
        long before = GC.GetAllocatedBytesForCurrentThread();
        loss.Backward();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        // Without the pool the pass allocates at least four 64×64 float gradients (64 KiB).
        allocated.ShouldBeLessThan(4 * 64 * 64 * 4);
    }

    [Test]
    public void Return_SameArrayTwice_KeepsItOnce()
    {
        BufferPool.ClearThisThread();
        var a = new float[4096];
        BufferPool.Return(a);
        BufferPool.Return(a);
        BufferPool.FreeCount<float>(4096).ShouldBe(1);
        BufferPool.Rent<float>(4096).ShouldBeSameAs(a);
        BufferPool.Rent<float>(4096).ShouldNotBeSameAs(a);
        BufferPool.ClearThisThread();
    }

    [Test]
    public void Return_SmallArrays_KeptUpToTheBytesPerLengthCap()
    {
        // A recurrent net's backward pass rents a few same-size gradients per time step: far more
        // than the 16 arrays per length that suit large arrays.
        BufferPool.ClearThisThread();
        const int n = 1024; // 4 KiB
        int cap = (int)(BufferPool.MaxBytesPerLength / (n * 4));
        for (int i = 0; i < cap + 10; i++) BufferPool.Return(new float[n]);
        BufferPool.FreeCount<float>(n).ShouldBe(cap);
        const int large = 1 << 20; // 4 MiB: the count cap
        for (int i = 0; i < BufferPool.MaxPerLength + 3; i++) BufferPool.Return(new float[large]);
        BufferPool.FreeCount<float>(large).ShouldBe(BufferPool.MaxPerLength);
        BufferPool.ClearThisThread();
    }
}
