using NUnit.Framework;
using Shouldly;

namespace Autograd.Tests.Reliability;

/// <summary>
/// Graph misuse (issue 6): each gets one clear error naming what went wrong, as PyTorch's autograd
/// does, and deep graphs never overflow the stack.
/// </summary>
[TestFixture]
public sealed class GraphMisuseTests
{
    private static Tensor Leaf(params double[] values)
    {
        var t = Tensor.FromArray(values);
        t.RequiresGrad = true;
        return t;
    }

    [Test]
    public void Backward_NonScalarWithoutGradient_ThrowsNamingTheShape()
    {
        var x = Leaf(1, 2, 3, 4, 5, 6);
        var y = x.Reshape(2, 3) * 2;
        var e = Should.Throw<InvalidOperationException>(() => y.Backward());
        TestContext.Out.WriteLine(e.Message);
        e.Message.ShouldContain("grad can be implicitly created only for scalar outputs");
        e.Message.ShouldContain("[2, 3]");
        x.Grad.ShouldBeNull();
    }

    [Test]
    public void TapeGrad_NonScalarWithoutGradient_Throws()
    {
        var x = Leaf(1, 2);
        Should.Throw<InvalidOperationException>(() => Tape.Grad(x * x, [x])).Message.ShouldContain("[2]");
    }

    [Test]
    public void Backward_SecondTimeThroughFreedGraph_ThrowsNamingTheOpAndRetainGraph()
    {
        var x = Leaf(0.5, 1.5);
        var y = (x.Exp() * x).Sum();
        y.Backward();
        var e = Should.Throw<InvalidOperationException>(() => y.Backward());
        TestContext.Out.WriteLine(e.Message);
        e.Message.ShouldContain("backward through the graph a second time");
        e.Message.ShouldContain("Backward"); // names the op whose saved tensors were freed
        e.Message.ShouldContain("retainGraph: true");
    }

    [Test]
    public void Backward_SecondTimeWithRetainGraph_AccumulatesExactlyTwice()
    {
        var x = Leaf(0.5, 1.5);
        var y = (x * x).Sum();
        y.Backward(retainGraph: true);
        y.Backward();
        x.Grad!.ToArray<double>().ShouldBe([2.0, 6.0]); // 2 · 2x
    }

    [Test]
    public void TapeGrad_AfterBackwardFreedTheGraph_Throws()
    {
        var x = Leaf(2);
        var y = x.Log().Sum();
        Tape.Grad(y, [x]);
        Should.Throw<InvalidOperationException>(() => Tape.Grad(y, [x])).Message.ShouldContain("second time");
    }

    [Test]
    public void Backward_PartOfAFreedGraph_Throws()
    {
        // A branch shared by two outputs: backward through the first frees the shared node.
        var x = Leaf(1, 2);
        var shared = x.Sigmoid();
        var a = shared.Sum();
        var b = (shared * 3).Sum();
        a.Backward();
        Should.Throw<InvalidOperationException>(() => b.Backward()).Message.ShouldContain("SigmoidBackward");
    }

    [Test]
    public void Backward_GradientOfWrongShape_ThrowsNamingBothShapes()
    {
        var x = Leaf(1, 2, 3);
        var y = x * 2;
        var e = Should.Throw<ArgumentException>(() => y.Backward(Tensor.Ones(3, 1)));
        TestContext.Out.WriteLine(e.Message);
        e.ParamName.ShouldBe("gradOutput");
        e.Message.ShouldContain("[3, 1]");
        e.Message.ShouldContain("[3]");
        x.Grad.ShouldBeNull();
        // The graph was not consumed by the failed call.
        y.Backward(Tensor.Ones(3));
        x.Grad!.ToArray<double>().ShouldBe([2.0, 2.0, 2.0]);
    }

    [Test]
    public void Backward_TensorChangedInPlaceAfterAnOpSavedIt_ThrowsNamingOpShapeAndVersions()
    {
        var x = Leaf(1, 2, 3);
        var w = Leaf(0.5, 0.25, 2);
        var y = (x * w).Sum();             // Mul saves x and w
        using (Tape.NoGrad()) w.AddInPlace(Tensor.Ones([3], DType.Float64)); // as an optimizer step does
        var e = Should.Throw<InvalidOperationException>(() => y.Backward());
        TestContext.Out.WriteLine(e.Message);
        e.Message.ShouldContain("modified by an in-place operation");
        e.Message.ShouldContain("saved by Mul");
        e.Message.ShouldContain("shape [3]");
        e.Message.ShouldContain("version 1; expected version 0");
        x.Grad.ShouldBeNull();
        w.Grad.ShouldBeNull();
    }

    [Test]
    public void Backward_ViewOfTheSavedTensorChangedInPlace_IsCaughtThroughTheSharedCounter()
    {
        var x = Leaf(1, 4, 9);
        var y = x.Sqrt().Sum();            // Sqrt saves its result r
        var view = x.Detach().Reshape(3);  // shares x's data and version counter
        view.AddInPlace(Tensor.Ones([3], DType.Float64));
        // The saved tensor is Sqrt's result, not x: an in-place change to x is allowed here, as in PyTorch.
        Should.NotThrow(() => y.Backward());

        var z = Leaf(1, 2);
        var p = (z * z).Sum();             // Mul saves z itself
        z.Detach().AddInPlace(Tensor.Ones([2], DType.Float64));
        Should.Throw<InvalidOperationException>(() => p.Backward()).Message.ShouldContain("saved by Mul");
    }

    [Test]
    public void TapeGrad_InputNotInTheGraph_ThrowsUnlessAllowUnused()
    {
        var x = Leaf(1, 2);
        var unused = Leaf(3, 4, 5);
        var y = (x * x).Sum();
        var e = Should.Throw<InvalidOperationException>(() => Tape.Grad(y, [x, unused], retainGraph: true));
        TestContext.Out.WriteLine(e.Message);
        e.Message.ShouldContain("inputs[1]");
        e.Message.ShouldContain("[3]");
        e.Message.ShouldContain("allowUnused: true");
        var grads = Tape.Grad(y, [x, unused], allowUnused: true);
        grads[0].ToArray<double>().ShouldBe([2.0, 4.0]);
        grads[1].ToArray<double>().ShouldBe([0.0, 0.0, 0.0]);
        unused.Grad.ShouldBeNull();
    }

    [Test]
    public void TapeGrad_InputThatDoesNotRequireGrad_ThrowsArgumentException()
    {
        var x = Leaf(1);
        var constant = Tensor.FromArray(new[] { 2.0 });
        var e = Should.Throw<ArgumentException>(() => Tape.Grad((x * constant).Sum(), [constant]));
        TestContext.Out.WriteLine(e.Message);
        e.ParamName.ShouldBe("inputs");
        e.Message.ShouldContain("inputs[0]");
    }

    [Test]
    public void Backward_ChainOf100000Ops_DoesNotOverflowTheStack()
    {
        const int n = 100_000;
        var x = Leaf(1.0, -2.0);
        var y = x;
        for (int i = 0; i < n; i++) y = i % 2 == 0 ? y + 1.0 : y * 1.0;
        y.Sum().Backward();
        x.Grad!.ToArray<double>().ShouldBe([1.0, 1.0]);
        y.ToArray<double>().ShouldBe([1.0 + n / 2, -2.0 + n / 2]);
    }

    [Test]
    public void TapeGradAndToDot_ChainOf100000Ops_DoNotOverflowTheStack()
    {
        const int n = 100_000;
        var x = Leaf(0.5);
        var y = x;
        for (int i = 0; i < n; i++) y = y.Tanh();
        y.ToDot().Length.ShouldBeGreaterThan(n);
        var g = Tape.Grad(y.Sum(), [x])[0].Item();
        double.IsFinite(g).ShouldBeTrue();
        g.ShouldBeGreaterThan(0);
    }

    [Test]
    public void TapeGrad_ChainOf100000OpsWithCreateGraph_DoesNotOverflowTheStack()
    {
        const int steps = 33_334; // three ops each: 100,002 ops
        var x = Leaf(0.25);
        var z = x;
        for (int i = 0; i < steps; i++) z = (z * z + 0.75) * 0.5; // maps (0, 1) into (0.375, 0.875): values stay finite
        var dz = Tape.Grad(z.Sum(), [x], createGraph: true)[0];
        dz.RequiresGrad.ShouldBeTrue(); // the gradient is itself a graph of some 200,000 ops
        double.IsFinite(dz.Item()).ShouldBeTrue();
    }
}
