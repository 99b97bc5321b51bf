using NUnit.Framework;
using Shouldly;

namespace Autograd.Tests.Reliability;

/// <summary>
/// Issue 12, attack 1: a gradient a leaf receives never aliases another leaf's gradient or a tensor
/// the caller passed in, so a later in-place accumulation cannot change them silently. PyTorch's
/// AccumulateGrad copies a gradient it cannot prove is its own (1.13: x.grad is not y.grad after
/// <c>(x + y).sum().backward(create_graph=True)</c>, and x.grad is not the caller's gradient).
/// </summary>
[TestFixture]
[Category("Regression")]
public sealed class GradientAliasingTests
{
    private static Tensor Leaf(params double[] values)
    {
        var t = Tensor.FromArray(values);
        t.RequiresGrad = true;
        return t;
    }

    [Test]
    public void Backward_CreateGraphThroughAdd_LeavesGetSeparateGradients()
    {
        var (x, y) = (Leaf(1, 2, 3), Leaf(4, 5, 6));
        (x + y).Sum().Backward(createGraph: true);
        x.Grad.ShouldNotBeSameAs(y.Grad);

        (x * 3).Sum().Backward();

        x.Grad!.ToArray<double>().ShouldBe([4.0, 4.0, 4.0]);
        y.Grad!.ToArray<double>().ShouldBe([1.0, 1.0, 1.0]); // was [4, 4, 4]: x's accumulation wrote into y.Grad
    }

    [Test]
    public void Backward_CreateGraphWithCallerGradient_CallerTensorNeverChanges()
    {
        var (x, y) = (Leaf(1, 2, 3), Leaf(4, 5, 6));
        var gradient = Tensor.FromArray(new[] { 1.0, 10.0, 100.0 });
        (x + y).Backward(gradient, createGraph: true);
        x.Grad.ShouldNotBeSameAs(gradient);
        y.Grad.ShouldNotBeSameAs(gradient);

        (x * 3).Sum().Backward();
        (y * 5).Sum().Backward();

        gradient.ToArray<double>().ShouldBe([1.0, 10.0, 100.0]);
        x.Grad!.ToArray<double>().ShouldBe([4.0, 13.0, 103.0]);
        y.Grad!.ToArray<double>().ShouldBe([6.0, 15.0, 105.0]);
    }

    [Test]
    public void Backward_OnALeafWithCreateGraph_CallerTensorNeverChanges()
    {
        var x = Leaf(1, 2);
        var gradient = Tensor.FromArray(new[] { 0.5, 0.25 });
        x.Backward(gradient, createGraph: true);
        x.Grad.ShouldNotBeSameAs(gradient);

        (x * 2).Sum().Backward();

        gradient.ToArray<double>().ShouldBe([0.5, 0.25]);
        x.Grad!.ToArray<double>().ShouldBe([2.5, 2.25]);
    }

    [Test]
    public void Backward_CreateGraphGradientThatIsItselfRecorded_SeparateAndStillDifferentiable()
    {
        // d/dx and d/dy of sum((x + y) * w) are both w: one recorded tensor reaching two leaves.
        var (x, y, w) = (Leaf(1, 2), Leaf(3, 4), Leaf(5, 7));
        ((x + y) * w).Sum().Backward(createGraph: true);
        x.Grad.ShouldNotBeSameAs(y.Grad);
        x.Grad!.ToArray<double>().ShouldBe([5.0, 7.0]);
        x.Grad.RequiresGrad.ShouldBeTrue();

        // Second order through the copy: d/dw sum(x.Grad * [1, 2]) = [1, 2].
        var second = Tape.Grad((x.Grad * Tensor.FromArray(new[] { 1.0, 2.0 })).Sum(), [w]);
        second[0].ToArray<double>().ShouldBe([1.0, 2.0]);

        (x * 3).Sum().Backward();
        x.Grad.ToArray<double>().ShouldBe([8.0, 10.0]);
        y.Grad!.ToArray<double>().ShouldBe([5.0, 7.0]);
    }

    [Test]
    public void Backward_WithoutCreateGraph_CallerGradientIsCopied()
    {
        // The plain path already copied; pinned so that the two paths keep one contract.
        var (x, y) = (Leaf(1, 2), Leaf(3, 4));
        var gradient = Tensor.FromArray(new[] { 1.0, 1.0 });
        (x + y).Backward(gradient);
        x.Grad.ShouldNotBeSameAs(gradient);
        x.Grad.ShouldNotBeSameAs(y.Grad);
        (x * 2).Sum().Backward();
        gradient.ToArray<double>().ShouldBe([1.0, 1.0]);
        y.Grad!.ToArray<double>().ShouldBe([1.0, 1.0]);
    }
}
