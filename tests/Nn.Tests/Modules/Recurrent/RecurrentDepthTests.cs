using NUnit.Framework;
using Shouldly;

namespace Autograd.Nn.Tests.Modules.Recurrent;

/// <summary>
/// Backpropagation through a long sequence: 1,000 steps train without a stack overflow, also on
/// a thread with a small stack, and the graph of a layer is a handful of nodes whatever the
/// length (each direction of a layer is one recorded op whose backward loops over the steps,
/// and the engine walks graphs with an explicit stack).
/// </summary>
[TestFixture]
public sealed class RecurrentDepthTests
{
    private static double TrainSteps(int length, int steps)
    {
        var g = new Generator(40);
        var lstm = new LSTM(2, 8, 2, generator: g);
        var head = new Linear(8, 1, generator: g);
        var parameters = lstm.Parameters().Concat(head.Parameters()).ToList();
        var optimizer = new Autograd.Optim.SGD(parameters, lr: 0.05);
        var x = Tensor.Randn([length, 2, 2], g);
        var target = Tensor.Randn([2, 1], g);
        double first = 0, last = 0;
        for (int s = 0; s < steps; s++)
        {
            optimizer.ZeroGrad();
            var (output, _) = lstm.Forward(x);
            var loss = Autograd.Nn.Functional.MseLoss(head.Forward(output.Select(0, length - 1)), target);
            loss.Backward();
            optimizer.Step();
            if (s == 0) first = loss.Item();
            last = loss.Item();
        }
        parameters.ShouldAllBe(p => p.Grad != null && p.Grad.ToArray<float>().All(float.IsFinite));
        return last - first;
    }

    [Test]
    public void Lstm_ThousandStepSequence_TrainsWithoutStackOverflow()
    {
        TrainSteps(1000, 3).ShouldBeLessThan(0); // the loss goes down
    }

    [Test]
    public void Lstm_ThousandStepSequence_TrainsOnA256KbStack()
    {
        Exception? error = null;
        double change = 0;
        var thread = new Thread(() =>
        {
            try { change = TrainSteps(1000, 1); }
            catch (Exception e) { error = e; }
        }, maxStackSize: 256 * 1024);
        thread.Start();
        thread.Join();
        error.ShouldBeNull();
        change.ShouldBe(0);
    }

    [Test]
    public void Lstm_Graph_HasAFixedNumberOfNodesWhateverTheLength()
    {
        // Memory: the recorded graph holds one layer op per layer and direction (plus a few
        // slices), and each op keeps its steps' values: O(L) tensors of (N, hidden).
        var g = new Generator(41);
        var lstm = new LSTM(2, 4, 2, generator: g);
        int Nodes(int length)
        {
            var (output, _) = lstm.Forward(Tensor.Randn([length, 1, 2], g));
            return CountNodes(output);
        }
        Nodes(1000).ShouldBe(Nodes(10));
    }

    private static int CountNodes(Tensor root)
    {
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<Tensor>([root]);
        while (stack.Count > 0)
        {
            var t = stack.Pop();
            if (t.GradFn is not { } node || !seen.Add(node)) continue;
            foreach (var input in node.Inputs) stack.Push(input);
        }
        return seen.Count;
    }
}
