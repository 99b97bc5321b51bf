using Autograd;
using Autograd.Nn;
using NUnit.Framework;

namespace Autograd.Samples.Tests.Docs;

/// <summary>
/// The pooling example of docs/convolution.md, verbatim (DocsInSyncTests keeps it in sync), run and
/// checked against the output the doc shows (the numbers PyTorch 1.13 gives).
/// </summary>
[TestFixture]
public sealed class PoolingDocExamples
{
    [Test]
    public void Pooling_MaxRoutesToTheArgmax_AvgSpreadsOverTheWindow() => DocRunner.ShouldPrint(() =>
    {
        var x = Tensor.FromArray(new float[] { 1, 3, 3, 0, 2, 2, 1, 5, 0, 4, 4, 1 }, 1, 1, 3, 4);
        x.RequiresGrad = true;
        var (y, indices) = Functional.MaxPool2dWithIndices(x, 2, stride: 1);
        y.Sum().Backward();
        Console.WriteLine($"max     = [{string.Join(", ", y.ToArray<float>())}]");
        Console.WriteLine($"indices = [{string.Join(", ", indices.ToArray<long>())}]");
        Console.WriteLine($"dx      = [{string.Join(", ", x.Grad!.ToArray<float>())}]");

        var x2 = x.Detach().Clone();
        x2.RequiresGrad = true;
        var mean = Functional.AvgPool2d(x2, 2, stride: 1);
        mean.Sum().Backward();
        Console.WriteLine($"avg     = [{string.Join(", ", mean.ToArray<float>())}]");
        Console.WriteLine($"dx      = [{string.Join(", ", x2.Grad!.ToArray<float>())}]");
    }, """
        max     = [3, 3, 5, 4, 4, 5]
        indices = [1, 1, 7, 9, 9, 7]
        dx      = [0, 2, 0, 0, 0, 0, 0, 2, 0, 2, 0, 0]
        avg     = [2, 2.25, 2.25, 2, 2.75, 2.75]
        dx      = [0.25, 0.5, 0.5, 0.25, 0.5, 1, 1, 0.5, 0.25, 0.5, 0.5, 0.25]
        """);
}
