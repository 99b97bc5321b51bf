using Autograd;
using Autograd.Nn;
using Autograd.Optim;
using NUnit.Framework;

namespace Autograd.Samples.Tests.Docs;

/// <summary>
/// The examples of docs/recurrent.md, verbatim (DocsInSyncTests keeps them in sync), each run and
/// checked against the output the doc shows.
/// </summary>
[TestFixture]
public sealed class RecurrentDocExamples
{
    [Test]
    public void Recurrent_Shapes_AndStateDictNames() => DocRunner.ShouldPrintItsComments(() =>
    {
        var lstm = new LSTM(inputSize: 3, hiddenSize: 5, numLayers: 2, batchFirst: true, generator: new Generator(0));
        var x = Tensor.Randn([4, 7, 3], new Generator(1));                  // N = 4 sequences, L = 7 steps, 3 features
        var (output, (h, c)) = lstm.Forward(x);                             // initial states: zeros
        Console.WriteLine($"{Shape(output)} {Shape(h)} {Shape(c)}");        // [4, 7, 5] [2, 4, 5] [2, 4, 5]
        var (single, _) = lstm.Forward(x.Select(0, 0));                     // one sequence, unbatched (L, features)
        Console.WriteLine(Shape(single));                                   // [7, 5]
        Console.WriteLine(string.Join(", ", lstm.StateDict().Keys.Take(4))); // weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0
        Console.WriteLine(lstm);                                            // LSTM(3, 5, num_layers=2, batch_first=True)

        static string Shape(Tensor t) => "[" + string.Join(", ", t.Shape) + "]";
    });

    [Test]
    public void Recurrent_TrainAnLstm_ToSumASequence() => DocRunner.ShouldPrint(() =>
    {
        var g = new Generator(2);
        var lstm = new LSTM(1, 16, generator: g);
        var head = new Linear(16, 1, generator: g);
        var optimizer = new Adam(lstm.Parameters().Concat(head.Parameters()), lr: 0.01);
        var x = Tensor.Rand([10, 32, 1], g);            // 32 sequences of 10 numbers in [0, 1), (L, N, 1)
        var target = x.Sum(0) - 5;                      // (32, 1): each sequence's sum, centred (its mean is 5)
        for (int step = 1; step <= 200; step++)
        {
            optimizer.ZeroGrad();
            var (output, _) = lstm.Forward(x);
            var prediction = head.Forward(output.Select(0, -1));   // from the last step's output
            var loss = Functional.MseLoss(prediction, target);
            loss.Backward();                            // backpropagation through the 10 steps
            optimizer.Step();
            if (step % 100 == 0) Console.WriteLine($"step {step}: loss {loss.Item():F4}");
        }
    }, """
        step 100: loss 0.0018
        step 200: loss 0.0003
        """);
}
