using NUnit.Framework;
using Shouldly;
using static Autograd.Nn.Tests.Modules.ModuleFixtures;
using F = Autograd.Nn.Functional;

namespace Autograd.Nn.Tests.Modules;

/// <summary>
/// The max-pooling modules' <c>ForwardWithIndices</c> (PyTorch's <c>return_indices=True</c>):
/// the functional form's output and indices, with the module's settings, and the same gradient.
/// </summary>
public sealed class PoolingModuleTests
{
    private static Tensor Input(params int[] shape)
    {
        var x = Tensor.Randn(shape, new Generator(11));
        x.RequiresGrad = true;
        return x;
    }

    [Test]
    public void MaxPool2d_ForwardWithIndices_EqualsTheFunctionalForm()
    {
        var pool = new MaxPool2d((3, 2), stride: (2, 1), padding: (1, 0), dilation: 1, ceilMode: true);
        var x = Input(2, 3, 7, 6);
        var (y, indices) = pool.ForwardWithIndices(x);
        var (expected, expectedIndices) = F.MaxPool2dWithIndices(x, (3, 2), (2, 1), (1, 0), 1, ceilMode: true);
        AssertBitwiseEqual(y.Detach(), expected.Detach(), "output");
        indices.ToArray<long>().ShouldBe(expectedIndices.ToArray<long>());
        indices.DType.ShouldBe(DType.Int64);
        AssertBitwiseEqual(y.Detach(), pool.Forward(x).Detach(), "Forward");

        y.Sum().Backward();
        var grad = x.Grad!.ToArray<float>();
        grad.Sum().ShouldBe(y.NumberOfElements, "each output sends its gradient 1 to its maximum");
    }

    [Test]
    public void MaxPool1d_ForwardWithIndices_EqualsTheFunctionalForm()
    {
        var pool = new MaxPool1d(3, stride: 2, padding: 1);
        var x = Input(2, 3, 9);
        var (y, indices) = pool.ForwardWithIndices(x);
        var (expected, expectedIndices) = F.MaxPool1dWithIndices(x, 3, 2, 1);
        AssertBitwiseEqual(y.Detach(), expected.Detach(), "output");
        indices.ToArray<long>().ShouldBe(expectedIndices.ToArray<long>());
        indices.Shape.ShouldBe(y.Shape);
    }

    [Test]
    public void AdaptiveMaxPool2d_ForwardWithIndices_EqualsTheFunctionalForm()
    {
        var pool = new AdaptiveMaxPool2d((2, 3));
        var x = Input(3, 5, 7);
        var (y, indices) = pool.ForwardWithIndices(x);
        var (expected, expectedIndices) = F.AdaptiveMaxPool2dWithIndices(x, (2, 3));
        AssertBitwiseEqual(y.Detach(), expected.Detach(), "output");
        indices.ToArray<long>().ShouldBe(expectedIndices.ToArray<long>());
        y.Shape.ShouldBe(new[] { 3, 2, 3 });
    }

    [Test]
    public void ForwardWithIndices_BadInput_ThrowsNamingTheInput()
    {
        var ex = Should.Throw<ArgumentException>(() => new MaxPool2d(2).ForwardWithIndices(Tensor.Zeros(4, 4)));
        ex.ParamName.ShouldBe("input");
    }
}
