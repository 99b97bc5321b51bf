using Autograd;
using Autograd.Nn;
using NUnit.Framework;

namespace Autograd.Samples.Tests.Docs;

/// <summary>
/// The examples of docs/training-toolkit.md (gradient clipping, Embedding, OneHot), verbatim
/// (DocsInSyncTests keeps them in sync), each run and checked against the output the doc shows.
/// </summary>
[TestFixture]
public sealed class TrainingToolkitDocExamples
{
    [Test]
    public void TrainingToolkit_ClipGradNorm_ThenClipGradValue() => DocRunner.ShouldPrint(() =>
    {
        var w = Tensor.FromArray([3f, 4f]);
        var b = Tensor.FromArray([12f]);
        w.RequiresGrad = b.RequiresGrad = true;
        ((w * w).Sum() + (b * b).Sum()).Backward();     // gradients 2w = [6, 8] and 2b = [24]

        var total = Utils.ClipGradNorm([w, b], maxNorm: 13);
        Console.WriteLine(total);                        // ‖(‖[6, 8]‖, ‖[24]‖)‖ = ‖(10, 24)‖ = 26
        Console.WriteLine(string.Join(", ", w.Grad!.ToArray<float>()));    // scaled by 13 / (26 + 1e-6)
        Console.WriteLine(string.Join(", ", b.Grad!.ToArray<float>()));

        Utils.ClipGradValue([w, b], clipValue: 3.5);
        Console.WriteLine(string.Join(", ", w.Grad!.ToArray<float>()));
        Console.WriteLine(string.Join(", ", b.Grad!.ToArray<float>()));
    }, """
        tensor(26., shape=())
        2.9999998, 3.9999998
        11.999999
        2.9999998, 3.5
        3.5
        """);

    [Test]
    public void TrainingToolkit_Embedding_LookupAndGradient() => DocRunner.ShouldPrint(() =>
    {
        var table = Tensor.FromArray(new float[,] { { 0, 0 }, { 1, 2 }, { 3, 4 } });
        var embed = Embedding.FromPretrained(table, freeze: false, paddingIdx: 0);
        var tokens = Tensor.FromArray(new long[] { 1, 2, 1, 0 }, 2, 2);    // a batch of 2 sequences of 2 tokens
        var vectors = embed.Forward(tokens);
        Console.WriteLine(vectors);
        vectors.Sum().Backward();
        Console.WriteLine(embed.Weight.Grad);   // row 1 was used twice, row 0 is the padding row
    }, """
        tensor([[[1., 2.],
                 [3., 4.]],
        
                [[1., 2.],
                 [0., 0.]]], shape=(2, 2, 2), grad_fn=<EmbeddingBackward>)
        tensor([[0., 0.],
                [2., 2.],
                [1., 1.]], shape=(3, 2))
        """);

    [Test]
    public void TrainingToolkit_OneHot_TimesTheTableIsTheLookup() => DocRunner.ShouldPrint(() =>
    {
        var tokens = Tensor.FromArray(new long[] { 2, 0, 1 }, 3);
        var oneHot = Functional.OneHot(tokens, numClasses: 3);
        Console.WriteLine(oneHot);
        var table = Tensor.FromArray(new float[,] { { 0, 0 }, { 1, 2 }, { 3, 4 } });
        Console.WriteLine(oneHot.To(DType.Float32).MatMul(table));
        Console.WriteLine(Functional.Embedding(tokens, table));
    }, """
        tensor([[0, 0, 1],
                [1, 0, 0],
                [0, 1, 0]], shape=(3, 3), dtype=Int64)
        tensor([[3., 4.],
                [0., 0.],
                [1., 2.]], shape=(3, 2))
        tensor([[3., 4.],
                [0., 0.],
                [1., 2.]], shape=(3, 2))
        """);
}
