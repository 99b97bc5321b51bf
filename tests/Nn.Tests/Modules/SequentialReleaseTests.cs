using Autograd.Optim;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Nn.Tests.Modules;

/// <summary>
/// <see cref="Sequential"/> disposes the activations passed between two library layers once the
/// second has read them (so their arrays are reused by the next step): the values and gradients
/// stay exactly those of the same layers called one by one, activations a user module can see are
/// never disposed, and a steady-state training step stops allocating its activations.
/// </summary>
[TestFixture]
public sealed class SequentialReleaseTests
{
    /// <summary>A user module that keeps its input and returns it unchanged.</summary>
    private sealed class KeepInput : Module
    {
        public Tensor? Last;

        public override Tensor Forward(Tensor input) => Last = input;
    }

    /// <summary>A user module that keeps what it returns.</summary>
    private sealed class KeepOutput : Module
    {
        public Tensor? Last;

        public override Tensor Forward(Tensor input) => Last = input * 2f;
    }

    private static (Linear, Linear) Layers(int seed, int inputs = 6, int hidden = 5, int outputs = 3)
        => (new Linear(inputs, hidden, generator: new Generator(seed)), new Linear(hidden, outputs, generator: new Generator(seed + 1)));

    private static void AssertBitwiseEqual(Tensor actual, Tensor expected)
    {
        actual.Shape.ShouldBe(expected.Shape);
        actual.ToArray<double>().ShouldBe(expected.ToArray<double>());
    }

    [Test]
    public void TrainingSteps_GiveTheSameValuesAndGradientsAsTheLayersCalledOneByOne()
    {
        // Several steps, so that later steps run on recycled arrays.
        var (a1, a2) = Layers(1);
        var (b1, b2) = Layers(1);
        var seq = new Sequential(a1, new ReLU(), new Flatten(), a2, new Sigmoid());
        var optA = new SGD(seq.Parameters(), 0.1);
        var optB = new SGD([.. b1.Parameters(), .. b2.Parameters()], 0.1);
        var g = new Generator(3);
        for (int step = 0; step < 5; step++)
        {
            var x = Tensor.Randn([4, 6], g);
            var outA = seq.Forward(x);
            var outB = b2.Forward(b1.Forward(x).Relu().Reshape(4, 5)).Sigmoid();
            AssertBitwiseEqual(outA, outB);
            optA.ZeroGrad();
            optB.ZeroGrad();
            outA.Sum().Backward();
            outB.Sum().Backward();
            AssertBitwiseEqual(a1.Weight.Grad!, b1.Weight.Grad!);
            AssertBitwiseEqual(a2.Weight.Grad!, b2.Weight.Grad!);
            AssertBitwiseEqual(a1.Bias!.Grad!, b1.Bias!.Grad!);
            optA.Step();
            optB.Step();
            x.IsDisposed.ShouldBeFalse("the caller's input is never disposed");
            outA.IsDisposed.ShouldBeFalse("the output is never disposed");
        }
    }

    [Test]
    public void SecondOrderGradients_ThroughDisposedActivations_MatchTheLayersCalledOneByOne()
    {
        var (a1, a2) = Layers(5);
        var (b1, b2) = Layers(5);
        var seq = new Sequential(a1, new Tanh(), a2);
        var x = Tensor.Randn([3, 6], new Generator(6));
        x.RequiresGrad = true;
        var gA = Tape.Grad(seq.Forward(x).Pow(2).Sum(), [x], createGraph: true)[0];
        var gB = Tape.Grad(b2.Forward(b1.Forward(x).Tanh()).Pow(2).Sum(), [x], createGraph: true)[0];
        AssertBitwiseEqual(gA, gB);
        gA.Sum().Backward();
        var wA = a1.Weight.Grad!.Clone();
        a1.Weight.Grad = null;
        gB.Sum().Backward();
        AssertBitwiseEqual(wA, b1.Weight.Grad!);
    }

    [Test]
    public void NoGrad_EarlierOutputsKeepTheirValuesWhileLaterCallsReuseArrays()
    {
        var (l1, l2) = Layers(7, inputs: 64, hidden: 256, outputs: 32);
        var seq = new Sequential(l1, new ReLU(), l2, new Tanh());
        var g = new Generator(8);
        var inputs = Enumerable.Range(0, 6).Select(_ => Tensor.Randn([16, 64], g)).ToList();
        using (Tape.NoGrad())
        {
            var outputs = inputs.Select(seq.Forward).ToList();
            for (int i = 0; i < inputs.Count; i++)
                AssertBitwiseEqual(outputs[i], l2.Forward(l1.Forward(inputs[i]).Relu()).Tanh());
        }
    }

    [Test]
    public void ActivationsSeenByAUserModule_AreNotDisposed()
    {
        var (l1, l2) = Layers(9);
        var keepIn = new KeepInput();
        var keepOut = new KeepOutput();
        var seq = new Sequential(l1, keepIn, new ReLU(), keepOut, new Sigmoid(), l2);
        var x = Tensor.Randn([2, 6], new Generator(10));
        seq.Forward(x).Sum().Backward();
        keepIn.Last!.IsDisposed.ShouldBeFalse("a pass-through user module kept Linear's output");
        keepOut.Last!.IsDisposed.ShouldBeFalse("a user module kept its output");
        AssertBitwiseEqual(keepIn.Last, l1.Forward(x));
    }

    [Test]
    public void ActivationsReachingAUserModule_InAnyPosition_AreNotDisposed()
    {
        // At the end of the chain, between a library layer and a later one, and as a nested
        // Sequential's output (whose own last layer is a library layer).
        var linear = new Linear(3, 4, generator: new Generator(11));
        var keep = new KeepInput();
        var seq = new Sequential(linear, new ReLU(), keep);
        seq.Forward(Tensor.Randn([2, 3], new Generator(12)));
        keep.Last!.IsDisposed.ShouldBeFalse("ReLU's output reached a user module");
        var relu = new ReLU();
        var probe = new KeepInput();
        var chain = new Sequential(new Linear(3, 4, generator: new Generator(13)), probe, relu);
        chain.Forward(Tensor.Randn([2, 3], new Generator(14)));
        probe.Last!.IsDisposed.ShouldBeFalse();
        var inner = new Sequential(new Linear(3, 4, generator: new Generator(15)), new ReLU(), new Linear(4, 2, generator: new Generator(16)));
        var spy = new KeepOutput();
        var outer = new Sequential(inner, spy);
        outer.Forward(Tensor.Randn([2, 3], new Generator(17)));
        spy.Last!.IsDisposed.ShouldBeFalse();
    }

    [Test]
    public void SteadyStateTrainingStep_DoesNotAllocateItsActivations()
    {
        // 512×256 Float32 activations are 512 KB each; three of them pass between library layers.
        // After warm-up their arrays come back from the pool, so a step allocates far less than one.
        var model = new Sequential(
            new Linear(128, 256, generator: new Generator(20)), new ReLU(),
            new Linear(256, 256, generator: new Generator(21)), new ReLU(),
            new Linear(256, 10, generator: new Generator(22)));
        var opt = new SGD(model.Parameters(), 0.01);
        var x = Tensor.Randn([512, 128], new Generator(23));
        var target = Tensor.RandInt(0, 10, [512], new Generator(24));
        var loss = new CrossEntropyLoss();
        void Step()
        {
            opt.ZeroGrad();
            loss.Forward(model.Forward(x), target).Backward();
            opt.Step();
        }
        for (int i = 0; i < 5; i++) Step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++) Step();
        long perStep = (GC.GetAllocatedBytesForCurrentThread() - before) / 10;
        perStep.ShouldBeLessThan(512L * 256 * 4, $"a steady-state step allocated {perStep:N0} bytes");
    }
}
