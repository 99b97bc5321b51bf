using NUnit.Framework;
using Shouldly;

namespace Autograd.Tests.Ops;

/// <summary>
/// Behaviours where the library used to differ from PyTorch 1.13 (issue 13's bugs). Each expected
/// value was printed by PyTorch 1.13 on the same inputs (quoted beside the assertion).
/// </summary>
public class PyTorchSemanticsTests
{
    [Test]
    public void Clone_OfTensorRequiringGrad_PassesGradientThrough()
    {
        // x = torch.tensor([1., 2., 3.], requires_grad=True); y = x.clone(); (y * y).sum().backward()
        // y.requires_grad True, y.is_leaf False, x.grad tensor([2., 4., 6.])
        var x = Tensor.FromArray([1f, 2f, 3f]);
        x.RequiresGrad = true;
        var y = x.Clone();
        y.RequiresGrad.ShouldBeTrue();
        y.IsLeaf.ShouldBeFalse();
        (y * y).Sum().Backward();
        x.Grad!.ToArray<float>().ShouldBe([2f, 4f, 6f]);
    }

    [Test]
    public void Clone_HasItsOwnData()
    {
        var x = Tensor.FromArray([1f, 2f, 3f]);
        var y = x.Clone();
        y.AddInPlace(Tensor.FromArray([1f, 1f, 1f]));
        x.ToArray<float>().ShouldBe([1f, 2f, 3f]);
        y.ToArray<float>().ShouldBe([2f, 3f, 4f]);
    }

    [Test]
    public void Clone_UnderNoGradOrOfDetached_IsALeafWithoutGrad()
    {
        var x = Tensor.FromArray([1f, 2f]);
        x.RequiresGrad = true;
        using (Tape.NoGrad()) x.Clone().RequiresGrad.ShouldBeFalse();
        var d = x.Detach().Clone();
        d.RequiresGrad.ShouldBeFalse();
        d.IsLeaf.ShouldBeTrue();
    }

    [Test]
    public void MatMul_3DBy2DWithEmptyInnerDim_GivesZeros()
    {
        // torch.ones(5, 5, 0).matmul(torch.ones(0, 5)): zeros of shape (5, 5, 5)
        using (var dirty = Tensor.Full([125], 7, DType.Float32)) { } // leave a non-zero array of that length in the pool
        var a = Tensor.Ones([5, 5, 0], DType.Float32);
        a.RequiresGrad = true;
        var b = Tensor.Ones([0, 5], DType.Float32);
        b.RequiresGrad = true;
        var c = a.MatMul(b);
        c.Shape.ShouldBe([5, 5, 5]);
        c.ToArray<float>().ShouldAllBe(v => v == 0f);
        c.Sum().Backward();
        a.Grad!.Shape.ShouldBe([5, 5, 0]);
        b.Grad!.Shape.ShouldBe([0, 5]);
    }

    [Test]
    public void MatMul_2DWithEmptyInnerDim_GivesZeros()
    {
        using (var dirty = Tensor.Full([12], 7, DType.Float64)) { }
        var c = Tensor.Ones([3, 0], DType.Float64).MatMul(Tensor.Ones([0, 4], DType.Float64));
        c.Shape.ShouldBe([3, 4]);
        c.ToArray<double>().ShouldAllBe(v => v == 0.0);
    }

    [Test]
    public void T_OfMoreThanTwoDims_Throws()
    {
        // torch.ones(2, 3, 4, 5).t(): RuntimeError: t() expects a tensor with <= 2 dimensions, but self is 4D
        var ex = Should.Throw<InvalidOperationException>(() => _ = Tensor.Zeros(2, 3, 4, 5).T);
        ex.Message.ShouldContain("<= 2 dimensions");
        ex.Message.ShouldContain("[2, 3, 4, 5]");
    }

    [Test]
    public void T_OfAtMostTwoDims_TransposesOrReturnsAsIs()
    {
        Tensor.Zeros(2, 3).T.Shape.ShouldBe([3, 2]);
        Tensor.Zeros(3).T.Shape.ShouldBe([3]);
        Tensor.Scalar(1.0).T.Shape.ShouldBe(Array.Empty<int>());
    }

    // torch.ones(3) * torch.tensor(1.5, dtype=torch.float64) -> float32, and so on (result_type).
    [TestCase(DType.Float32, 1, DType.Float64, 0, DType.Float32, TestName = "Promotion_Float32Vector_Float64Scalar_StaysFloat32")]
    [TestCase(DType.Float64, 0, DType.Float32, 1, DType.Float32, TestName = "Promotion_Float64Scalar_Float32Vector_StaysFloat32")]
    [TestCase(DType.Int64, 1, DType.Float64, 0, DType.Float64, TestName = "Promotion_Int64Vector_Float64Scalar_IsFloat64")]
    [TestCase(DType.Int64, 1, DType.Float32, 0, DType.Float32, TestName = "Promotion_Int64Vector_Float32Scalar_IsFloat32")]
    [TestCase(DType.Float32, 1, DType.Int64, 0, DType.Float32, TestName = "Promotion_Float32Vector_Int64Scalar_IsFloat32")]
    [TestCase(DType.Float64, 0, DType.Float32, 0, DType.Float64, TestName = "Promotion_TwoScalars_PromoteAsUsual")]
    [TestCase(DType.Float32, 1, DType.Float64, 1, DType.Float64, TestName = "Promotion_TwoVectors_PromoteAsUsual")]
    [TestCase(DType.Float64, 0, DType.Int64, 0, DType.Float64, TestName = "Promotion_Float64Scalar_Int64Scalar_IsFloat64")]
    public void Mul_ZeroDimOperand_PromotesAsPyTorchResultType(DType aType, int aRank, DType bType, int bRank, DType expected)
    {
        Tensor Make(DType t, int rank) => rank == 0 ? Tensor.Full([], 2, t) : Tensor.Full([3], 2, t);
        var a = Make(aType, aRank);
        var b = Make(bType, bRank);
        (a * b).DType.ShouldBe(expected);
        (a + b).DType.ShouldBe(expected);
        (b - a).DType.ShouldBe(expected);
    }

    [Test]
    public void Mul_Float32VectorByFloat64Scalar_GradientsKeepEachOperandsDType()
    {
        // a = torch.tensor([1., 2., 3.], requires_grad=True); d = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
        // y = a * d -> float32 [1.5, 3., 4.5]; y.sum().backward(): a.grad float32 [1.5, 1.5, 1.5], d.grad float64 6.
        var a = Tensor.FromArray([1f, 2f, 3f]);
        a.RequiresGrad = true;
        var d = Tensor.Scalar(1.5);
        d.RequiresGrad = true;
        var y = a * d;
        y.DType.ShouldBe(DType.Float32);
        y.ToArray<float>().ShouldBe([1.5f, 3f, 4.5f]);
        y.Sum().Backward();
        a.Grad!.DType.ShouldBe(DType.Float32);
        a.Grad.ToArray<float>().ShouldBe([1.5f, 1.5f, 1.5f]);
        d.Grad!.DType.ShouldBe(DType.Float64);
        d.Grad.Item().ShouldBe(6.0);
    }
}
