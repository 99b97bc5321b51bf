using Autograd;
using Autograd.Nn;
using NUnit.Framework;

namespace Autograd.Samples.Tests.Docs;

/// <summary>
/// The example of docs/convolution.md, verbatim (DocsInSyncTests keeps it in sync), run and
/// checked against the output the doc shows.
/// </summary>
[TestFixture]
public sealed class ConvolutionDocExamples
{
    [Test]
    public void Convolution_Im2ColByHand_MatchesConv2dAndItsGradients() => DocRunner.ShouldPrint(() =>
    {
        var x = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, 1, 1, 3, 3);
        var w = Tensor.FromArray(new float[] { 1, 0, 0, -1 }, 1, 1, 2, 2);
        x.RequiresGrad = true;
        w.RequiresGrad = true;
        var y = Functional.Conv2d(x, w);
        Console.WriteLine($"y  = [{string.Join(", ", y.ToArray<float>())}]");

        // The same numbers as a matrix product: one column of cols per output position.
        var cols = Tensor.FromArray(new float[]
        {
            1, 2, 4, 5,   // x[i, j]
            2, 3, 5, 6,   // x[i, j + 1]
            4, 5, 7, 8,   // x[i + 1, j]
            5, 6, 8, 9,   // x[i + 1, j + 1]
        }, 4, 4);
        Console.WriteLine($"Wc = [{string.Join(", ", w.Detach().Reshape(1, 4).MatMul(cols).ToArray<float>())}]");

        y.Sum().Backward();
        Console.WriteLine($"dx = [{string.Join(", ", x.Grad!.ToArray<float>())}]");
        Console.WriteLine($"dw = [{string.Join(", ", w.Grad!.ToArray<float>())}]");
    }, """
        y  = [-4, -4, -4, -4]
        Wc = [-4, -4, -4, -4]
        dx = [1, 1, 0, 1, 0, -1, 0, -1, -1]
        dw = [12, 16, 24, 28]
        """);
}
