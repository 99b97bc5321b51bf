using Autograd;
using Autograd.Nn;
using NUnit.Framework;

namespace Autograd.Samples.Tests.Docs;

/// <summary>The example of docs/normalization.md, verbatim (DocsInSyncTests keeps it in sync), run and checked against the output the doc shows (PyTorch 1.13 prints the same running statistics).</summary>
[TestFixture]
public sealed class NormalizationDocExamples
{
    [Test]
    public void Normalization_BatchNorm2d_TrainThenEval() => DocRunner.ShouldPrint(() =>
    {
        var bn = new BatchNorm2d(2);
        var x = Tensor.FromArray(new float[] { 1, 2, 3, 4, 10, 20, 30, 40 }, 2, 2, 1, 2);
        var y = bn.Forward(x);
        Console.WriteLine(string.Join(", ", bn.RunningMean!.ToArray<float>()));
        Console.WriteLine(string.Join(", ", bn.RunningVar!.ToArray<float>().Select(v => v.ToString("F4"))));
        Console.WriteLine(bn.NumBatchesTracked!.ToArray<long>()[0]);
        Console.WriteLine(string.Join(", ", bn.StateDict().Keys));
        bn.Eval();
        var z = bn.Forward(x);   // uses the running statistics now; they stay as they are
    }, """
        0.825, 1.925
        8.6583, 35.6583
        1
        weight, bias, running_mean, running_var, num_batches_tracked
        """);
}
