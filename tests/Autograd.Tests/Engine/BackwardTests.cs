using NUnit.Framework;
using Shouldly;

namespace Autograd.Tests.Engine;

public class BackwardTests
{
    [Test]
    public void Backward_ValueUsedTwice_GradientsAdd()
    {
        var x = Tensor.FromArray([3.0], 1);
        x.RequiresGrad = true;
        var y = (x * x + x).Sum(); // dy/dx = 2x + 1 = 7
        y.Backward();
        x.Grad!.ToArray<double>().ShouldBe([7.0]);
    }

    [Test]
    public void Backward_CalledTwiceWithRetainGraph_AccumulatesInGrad()
    {
        var x = Tensor.FromArray([2.0f]);
        x.RequiresGrad = true;
        var y = (x * x).Sum();
        y.Backward(retainGraph: true);
        y.Backward();
        x.Grad!.ToArray<float>().ShouldBe([8f]);
    }

    [Test]
    public void Backward_SecondTimeWithoutRetainGraph_ThrowsWithFix()
    {
        var x = Tensor.FromArray([2.0f]);
        x.RequiresGrad = true;
        var y = (x.Exp() * x).Sum();
        y.Backward();
        var ex = Should.Throw<InvalidOperationException>(() => y.Backward());
        ex.Message.ShouldContain("second time");
        ex.Message.ShouldContain("retainGraph: true");
    }

    [Test]
    public void Backward_NonScalarWithoutGradient_Throws()
    {
        var x = Tensor.Ones(2, 3);
        x.RequiresGrad = true;
        var ex = Should.Throw<InvalidOperationException>(() => (x * 2).Backward());
        ex.Message.ShouldContain("grad can be implicitly created only for scalar outputs");
        ex.Message.ShouldContain("[2, 3]");
    }

    [Test]
    public void Backward_GradientOfWrongShape_ThrowsNamingBothShapes()
    {
        var x = Tensor.Ones(2, 3);
        x.RequiresGrad = true;
        var ex = Should.Throw<ArgumentException>(() => (x * 2).Backward(Tensor.Ones(3, 2)));
        ex.Message.ShouldContain("[3, 2]");
        ex.Message.ShouldContain("[2, 3]");
    }

    [Test]
    public void Backward_NonScalarWithGradient_GivesVectorJacobianProduct()
    {
        var x = Tensor.FromArray([1.0, 2.0, 3.0]);
        x.RequiresGrad = true;
        (x * x).Backward(Tensor.FromArray([1.0, 10.0, 100.0]));
        x.Grad!.ToArray<double>().ShouldBe([2.0, 40.0, 600.0]);
    }

    [Test]
    public void Backward_TensorThatDoesNotRequireGrad_Throws()
    {
        var x = Tensor.Ones(2);
        Should.Throw<InvalidOperationException>(() => (x * 2).Sum().Backward()).Message.ShouldContain("does not require grad");
    }

    [Test]
    public void Backward_ChainOf100000Ops_DoesNotOverflowTheStack()
    {
        var x = Tensor.Scalar(1.0);
        x.RequiresGrad = true;
        var y = x;
        for (int i = 0; i < 100_000; i++) y = y * 1.0;
        y.Backward();
        x.Grad!.Item().ShouldBe(1.0);
    }

    [Test]
    public void Backward_BroadcastInputs_GradientsReducedToEachShape()
    {
        var a = Tensor.Ones(2, 3);
        var b = Tensor.FromArray([1f, 2f, 3f]);
        a.RequiresGrad = b.RequiresGrad = true;
        (a * b).Sum().Backward();
        a.Grad!.Shape.ShouldBe([2, 3]);
        a.Grad.ToArray<float>().ShouldBe([1f, 2f, 3f, 1f, 2f, 3f]);
        b.Grad!.Shape.ShouldBe([3]);
        b.Grad.ToArray<float>().ShouldBe([2f, 2f, 2f]);
    }

    [Test]
    public void Backward_MixedDTypes_GradientKeepsEachInputsDType()
    {
        var a = Tensor.FromArray([1f, 2f]);
        var b = Tensor.FromArray([3.0, 4.0]);
        a.RequiresGrad = b.RequiresGrad = true;
        var y = (a * b).Sum();
        y.DType.ShouldBe(DType.Float64);
        y.Backward();
        a.Grad!.DType.ShouldBe(DType.Float32);
        a.Grad.ToArray<float>().ShouldBe([3f, 4f]);
        b.Grad!.DType.ShouldBe(DType.Float64);
    }

    [Test]
    public void NoGrad_InsideScope_NothingRecorded()
    {
        var x = Tensor.Ones(2);
        x.RequiresGrad = true;
        Tensor y;
        using (Tape.NoGrad())
        {
            Tape.IsGradEnabled.ShouldBeFalse();
            y = x * 2;
        }
        Tape.IsGradEnabled.ShouldBeTrue();
        y.RequiresGrad.ShouldBeFalse();
        y.IsLeaf.ShouldBeTrue();
    }

    [Test]
    public void RequiresGrad_OnInt64_Throws()
    {
        var t = Tensor.FromArray([1L, 2L]);
        Should.Throw<InvalidOperationException>(() => t.RequiresGrad = true).Message.ShouldContain("Int64");
    }

    [Test]
    public void RequiresGrad_SetOnNonLeaf_Throws()
    {
        var x = Tensor.Ones(2);
        x.RequiresGrad = true;
        var y = x * 2;
        Should.Throw<InvalidOperationException>(() => y.RequiresGrad = false).Message.ShouldContain("leaf");
    }

    [Test]
    public void Backward_SavedTensorChangedInPlace_ThrowsNamingVersions()
    {
        var w = Tensor.FromArray([1f, 2f]);
        w.RequiresGrad = true;
        var y = (w * w).Sum();
        using (Tape.NoGrad()) w.AddInPlace(Tensor.FromArray([1f, 1f]));
        var ex = Should.Throw<InvalidOperationException>(() => y.Backward());
        ex.Message.ShouldContain("modified by an in-place operation");
        ex.Message.ShouldContain("version 1; expected version 0");
    }

    [Test]
    public void Detach_Result_IsLeafSharingData()
    {
        var x = Tensor.Ones(2);
        x.RequiresGrad = true;
        var d = (x * 3).Detach();
        d.IsLeaf.ShouldBeTrue();
        d.RequiresGrad.ShouldBeFalse();
        d.ToArray<float>().ShouldBe([3f, 3f]);
    }
}
