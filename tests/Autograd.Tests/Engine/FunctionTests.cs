using NUnit.Framework;
using Shouldly;

namespace Autograd.Tests.Engine;

public class FunctionTests
{
    private sealed class CubeFunction : Function
    {
        protected override Tensor Forward(IReadOnlyList<Tensor> inputs)
        {
            SaveForBackward(inputs[0]);
            return inputs[0] * inputs[0] * inputs[0];
        }

        // d(x^3)/dx = 3x^2
        protected override IReadOnlyList<Tensor?> Backward(Tensor gradOutput)
            => [gradOutput * 3 * SavedTensors[0] * SavedTensors[0]];
    }

    private sealed class ScaledAdd(double scale) : Function
    {
        public bool[] Needed { get; } = new bool[2];

        protected override Tensor Forward(IReadOnlyList<Tensor> inputs) => inputs[0] + inputs[1] * scale;

        protected override IReadOnlyList<Tensor?> Backward(Tensor gradOutput)
        {
            Needed[0] = NeedsInputGrad(0);
            Needed[1] = NeedsInputGrad(1);
            return [NeedsInputGrad(0) ? gradOutput : null, NeedsInputGrad(1) ? gradOutput * scale : null];
        }
    }

    private sealed class IdentityFunction : Function
    {
        protected override Tensor Forward(IReadOnlyList<Tensor> inputs) => inputs[0];

        protected override IReadOnlyList<Tensor?> Backward(Tensor gradOutput) => [gradOutput];
    }

    private sealed class WrongShapeFunction : Function
    {
        protected override Tensor Forward(IReadOnlyList<Tensor> inputs) => inputs[0].Sum();

        protected override IReadOnlyList<Tensor?> Backward(Tensor gradOutput) => [gradOutput];
    }

    [Test]
    public void Apply_CustomCube_GradientIsThreeXSquared()
    {
        var x = Tensor.FromArray([1.0, -2.0]);
        x.RequiresGrad = true;
        var y = new CubeFunction().Apply(x);
        y.GradFnName.ShouldBe("CubeBackward");
        y.ToArray<double>().ShouldBe([1.0, -8.0]);
        y.Sum().Backward();
        x.Grad!.ToArray<double>().ShouldBe([3.0, 12.0]);
    }

    [Test]
    public void Apply_CustomCubeWithCreateGraph_SecondDerivativeIsSixX()
    {
        var x = Tensor.FromArray([1.0, -2.0]);
        x.RequiresGrad = true;
        var g = Tape.Grad(new CubeFunction().Apply(x).Sum(), [x], createGraph: true)[0];
        Tape.Grad(g.Sum(), [x])[0].ToArray<double>().ShouldBe([6.0, -12.0]);
    }

    [Test]
    public void Apply_OnlySecondInputRequiresGrad_NeedsInputGradReflectsIt()
    {
        var a = Tensor.FromArray([1.0]);
        var b = Tensor.FromArray([2.0]);
        b.RequiresGrad = true;
        var f = new ScaledAdd(4);
        f.Apply(a, b).Sum().Backward();
        f.Needed.ShouldBe([false, true]);
        b.Grad!.ToArray<double>().ShouldBe([4.0]);
        a.Grad.ShouldBeNull();
    }

    [Test]
    public void Apply_NoInputRequiresGrad_NothingRecorded()
    {
        var y = new CubeFunction().Apply(Tensor.FromArray([2.0]));
        y.IsLeaf.ShouldBeTrue();
        y.RequiresGrad.ShouldBeFalse();
    }

    [Test]
    public void Apply_TwiceOnOneInstance_Throws()
    {
        var f = new CubeFunction();
        f.Apply(Tensor.FromArray([1.0]));
        Should.Throw<InvalidOperationException>(() => f.Apply(Tensor.FromArray([1.0]))).Message.ShouldContain("new instance");
    }

    [Test]
    public void Apply_ForwardReturnsItsInput_InputStaysALeaf()
    {
        var x = Tensor.FromArray([1.0]);
        x.RequiresGrad = true;
        var y = new IdentityFunction().Apply(x);
        x.IsLeaf.ShouldBeTrue();
        y.IsLeaf.ShouldBeFalse();
        (y * 5).Sum().Backward();
        x.Grad!.Item().ShouldBe(5.0);
    }

    [Test]
    public void Backward_FunctionReturnsWrongShape_ThrowsNamingTheFunction()
    {
        var x = Tensor.FromArray([1.0, 2.0]);
        x.RequiresGrad = true;
        var ex = Should.Throw<InvalidOperationException>(() => new WrongShapeFunction().Apply(x).Backward());
        ex.Message.ShouldContain("WrongShapeBackward");
        ex.Message.ShouldContain("[2]");
    }

    [Test]
    public void SavedTensors_AfterBackwardWithoutRetainGraph_SecondBackwardThrows()
    {
        var x = Tensor.FromArray([1.0]);
        x.RequiresGrad = true;
        var y = new CubeFunction().Apply(x).Sum();
        y.Backward();
        Should.Throw<InvalidOperationException>(() => y.Backward()).Message.ShouldContain("retainGraph");
    }

    [Test]
    public void DetectAnomaly_ForwardProducesNaN_ThrowsNamingOp()
    {
        Tape.DetectAnomaly = true;
        try
        {
            var x = Tensor.FromArray([-1.0]);
            Should.Throw<ArithmeticException>(() => x.Log()).Message.ShouldContain("Log");
        }
        finally
        {
            Tape.DetectAnomaly = false;
        }
    }

    [Test]
    public void DetectAnomaly_BackwardProducesInfinity_ThrowsNamingOp()
    {
        var x = Tensor.FromArray([0.0]);
        x.RequiresGrad = true;
        var y = x.Sqrt().Sum(); // forward 0 is fine; d sqrt/dx at 0 is inf
        Tape.DetectAnomaly = true;
        try
        {
            Should.Throw<ArithmeticException>(() => y.Backward()).Message.ShouldContain("SqrtBackward");
        }
        finally
        {
            Tape.DetectAnomaly = false;
        }
    }
}
