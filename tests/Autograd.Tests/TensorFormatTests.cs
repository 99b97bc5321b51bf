using NUnit.Framework;
using Shouldly;

namespace Autograd.Tests;

public class TensorFormatTests
{
    [Test]
    public void ToString_Floats_FourDecimalsLikePyTorch()
        => Tensor.FromArray([0.5f, 1.25f]).ToString().ShouldBe("tensor([0.5000, 1.2500], shape=(2,))");

    [Test]
    public void ToString_IntegralFloats_PrintWithTrailingDot()
        => Tensor.FromArray([1f, 2f, 3f, 4f], 2, 2).ToString().ShouldBe("tensor([[1., 2.],\n        [3., 4.]], shape=(2, 2))");

    [Test]
    public void ToString_WideRange_UsesScientific()
        => Tensor.FromArray([1e-5, 1.0]).ToString().ShouldBe("tensor([1.0000e-05, 1.0000e+00], shape=(2,), dtype=Float64)");

    [Test]
    public void ToString_Int64AndScalar_PrintDTypeAndNoShapeDims()
    {
        Tensor.FromArray([1L, 2L]).ToString().ShouldBe("tensor([1, 2], shape=(2,), dtype=Int64)");
        Tensor.Scalar(2.5f).ToString().ShouldBe("tensor(2.5000, shape=())");
    }

    [Test]
    public void ToString_RecordedTensor_ShowsGradFn()
    {
        var x = Tensor.FromArray([1f]);
        x.RequiresGrad = true;
        x.ToString().ShouldBe("tensor([1.], shape=(1,), requires_grad=True)");
        (x + 1).ToString().ShouldBe("tensor([2.], shape=(1,), grad_fn=<AddBackward>)");
    }

    [Test]
    public void ToString_LargeTensor_IsSummarised()
    {
        // PyTorch switches to scientific notation when max/min exceeds 1000, as here.
        var s = Tensor.Arange(2000).ToString();
        s.ShouldBe("tensor([0.0000e+00, 1.0000e+00, 2.0000e+00, ..., 1.9970e+03, 1.9980e+03, 1.9990e+03], shape=(2000,))");
        Tensor.Arange(1001, 3000).ToString().ShouldBe("tensor([1001., 1002., 1003., ..., 2997., 2998., 2999.], shape=(1999,))");
    }

    [Test]
    public void ToString_NonFinite_PrintsNanAndInf()
        => Tensor.FromArray([float.NaN, float.PositiveInfinity, 1.5f]).ToString().ShouldBe("tensor([   nan,    inf, 1.5000], shape=(3,))");
}
