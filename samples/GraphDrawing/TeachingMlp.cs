using Autograd.Nn;

namespace Autograd.Samples;

/// <summary>
/// The two-layer MLP of docs/teaching.md and notebook 2 (docs/notebooks/02-chain-rule-mlp.ipynb):
/// h = tanh(x W1ᵀ + b1), p = σ(h W2ᵀ + b2), ℓ = BCE(p, 1), on one example with fixed weights, so
/// that each number of its backward pass can be found again in PyTorch's output for the same code.
/// </summary>
public static class TeachingMlp
{
    /// <summary>Builds the MLP, runs its backward pass traced (the graph retained, to draw it), and prints the trace.</summary>
    /// <param name="output">Where to print the trace.</param>
    /// <returns>The loss and the trace of its backward pass.</returns>
    public static (Tensor Loss, BackwardTrace Trace) Run(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        static Tensor Param(string name, double[] values, params int[] shape)
        {
            var t = Tensor.FromArray(values, shape);
            t.RequiresGrad = true;
            t.Name = name;
            return t;
        }
        var x = Tensor.FromArray(new double[,] { { 1.0, -2.0 } });
        var w1 = Param("W1", [0.5, -0.3, 0.8, 0.2, -0.6, 0.1], 3, 2);
        var b1 = Param("b1", [0.1, 0.0, -0.1], 3);
        var w2 = Param("W2", [1.0, -1.5, 0.7], 1, 3);
        var b2 = Param("b2", [0.2], 1);

        var h = Functional.Linear(x, w1, b1).Tanh();
        var p = Functional.Linear(h, w2, b2).Sigmoid();
        var loss = Functional.BinaryCrossEntropy(p, Tensor.FromArray(new double[,] { { 1.0 } }));
        var trace = Tape.TraceBackward(loss, retainGraph: true);   // loss.Backward(), step by step
        output.Write(trace);
        return (loss, trace);
    }

    /// <summary>The MLP's graph with each tensor's value and gradient, drawn by the library (docs/images/teaching-mlp.svg).</summary>
    public static string Picture()
    {
        var (loss, trace) = Run(TextWriter.Null);
        return loss.ToSvg(showData: true, gradients: trace);
    }
}
