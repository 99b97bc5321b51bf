using NUnit.Framework;
using Shouldly;

namespace Autograd.Tests.Engine;

public class TapeGradTests
{
    [Test]
    public void Grad_LeafInputs_ReturnsGradientsWithoutTouchingGrad()
    {
        var x = Tensor.FromArray([1.0, 2.0]);
        var w = Tensor.FromArray([3.0, 5.0]);
        x.RequiresGrad = w.RequiresGrad = true;
        var y = (x * w).Sum();
        var g = Tape.Grad(y, [x, w]);
        g[0].ToArray<double>().ShouldBe([3.0, 5.0]);
        g[1].ToArray<double>().ShouldBe([1.0, 2.0]);
        x.Grad.ShouldBeNull();
        w.Grad.ShouldBeNull();
    }

    [Test]
    public void Grad_IntermediateInput_ReturnsGradientAtThatTensor()
    {
        var x = Tensor.FromArray([1.0, 2.0]);
        x.RequiresGrad = true;
        var h = x * 3;
        var y = (h * h).Sum();
        Tape.Grad(y, [h])[0].ToArray<double>().ShouldBe([6.0, 12.0]);
    }

    [Test]
    public void Grad_UnusedInput_ThrowsUnlessAllowed()
    {
        var x = Tensor.FromArray([1.0]);
        var z = Tensor.FromArray([1.0]);
        x.RequiresGrad = z.RequiresGrad = true;
        var y = (x * 2).Sum();
        Should.Throw<InvalidOperationException>(() => Tape.Grad(y, [z], retainGraph: true)).Message.ShouldContain("allowUnused");
        Tape.Grad(y, [z], allowUnused: true)[0].ToArray<double>().ShouldBe([0.0]);
    }

    [Test]
    public void Grad_CreateGraph_SecondDerivativeOfCubeIsSixX()
    {
        var x = Tensor.FromArray([0.5, -2.0, 3.0]);
        x.RequiresGrad = true;
        var y = x.Pow(3).Sum();
        var dy = Tape.Grad(y, [x], createGraph: true)[0];
        dy.ToArray<double>().ShouldBe([0.75, 12.0, 27.0]);
        var d2y = Tape.Grad(dy.Sum(), [x])[0];
        d2y.ToArray<double>().ShouldBe([3.0, -12.0, 18.0]);
    }

    [Test]
    public void Backward_CreateGraph_GradIsDifferentiable()
    {
        var x = Tensor.Scalar(2.0);
        x.RequiresGrad = true;
        (x * x * x).Backward(createGraph: true);
        var g = x.Grad!;
        g.Item().ShouldBe(12.0);
        g.RequiresGrad.ShouldBeTrue();
        var d2 = Tape.Grad(g, [x])[0];
        d2.Item().ShouldBe(12.0);
    }

    [Test]
    public void Grad_WithoutCreateGraph_RecordsNothing()
    {
        var x = Tensor.FromArray([1.0, 2.0]);
        x.RequiresGrad = true;
        var g = Tape.Grad((x.Sigmoid() * x).Sum(), [x])[0];
        g.RequiresGrad.ShouldBeFalse();
        g.IsLeaf.ShouldBeTrue();
    }

    [Test]
    public void Grad_InputThatDoesNotRequireGrad_Throws()
    {
        var x = Tensor.FromArray([1.0]);
        var w = Tensor.FromArray([1.0]);
        w.RequiresGrad = true;
        Should.Throw<ArgumentException>(() => Tape.Grad((x * w).Sum(), [x])).Message.ShouldContain("inputs[0]");
    }
}
