using NUnit.Framework;
using Shouldly;

namespace Autograd.Tests.Ops;

public class EmptyTensorTests
{
    private static IEnumerable<TestCaseData> UnaryOps()
    {
        yield return new TestCaseData((Func<Tensor, Tensor>)(t => t.Sigmoid())).SetName("Sigmoid_Empty_ReturnsEmpty");
        yield return new TestCaseData((Func<Tensor, Tensor>)(t => t.Tanh())).SetName("Tanh_Empty_ReturnsEmpty");
        yield return new TestCaseData((Func<Tensor, Tensor>)(t => t.Exp())).SetName("Exp_Empty_ReturnsEmpty");
        yield return new TestCaseData((Func<Tensor, Tensor>)(t => t.Log())).SetName("Log_Empty_ReturnsEmpty");
        yield return new TestCaseData((Func<Tensor, Tensor>)(t => t.Sqrt())).SetName("Sqrt_Empty_ReturnsEmpty");
        yield return new TestCaseData((Func<Tensor, Tensor>)(t => t.Abs())).SetName("Abs_Empty_ReturnsEmpty");
        yield return new TestCaseData((Func<Tensor, Tensor>)(t => t.Relu())).SetName("Relu_Empty_ReturnsEmpty");
        yield return new TestCaseData((Func<Tensor, Tensor>)(t => -t)).SetName("Neg_Empty_ReturnsEmpty");
        yield return new TestCaseData((Func<Tensor, Tensor>)(t => t.Pow(3))).SetName("Pow_Empty_ReturnsEmpty");
        yield return new TestCaseData((Func<Tensor, Tensor>)(t => t.Softmax(1))).SetName("Softmax_Empty_ReturnsEmpty");
        yield return new TestCaseData((Func<Tensor, Tensor>)(t => t * t + 1)).SetName("Arithmetic_Empty_ReturnsEmpty");
    }

    [TestCaseSource(nameof(UnaryOps))]
    public void Op_EmptyTensor_ReturnsEmptyAndBackwardWorks(Func<Tensor, Tensor> op)
    {
        var x = Tensor.Zeros(0, 3);
        x.RequiresGrad = true;
        var y = op(x);
        y.NumberOfElements.ShouldBe(0);
        y.Sum().Backward();
        x.Grad!.Shape.ShouldBe([0, 3]);
    }

    [Test]
    public void Sum_Empty_IsZeroAndMeanIsNaN()
    {
        Tensor.Zeros(0).Sum().Item().ShouldBe(0.0);
        double.IsNaN(Tensor.Zeros(0).Mean().Item()).ShouldBeTrue();
    }
}
