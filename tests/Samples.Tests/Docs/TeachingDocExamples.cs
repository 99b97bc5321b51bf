using Autograd.Nn;
using Autograd.Samples.Tests.Notebooks;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Samples.Tests.Docs;

/// <summary>
/// The example of <c>docs/teaching.md</c>: the backward pass of a two-layer MLP as a trace and as a
/// drawn graph, run and checked against the output the doc shows; and every number of the PyTorch
/// output the doc shows beside it found in the trace (DocsInSyncTests keeps the copies in sync).
/// </summary>
[TestFixture]
public sealed class TeachingDocExamples
{
    private const string Trace = """
        step 1: BinaryCrossEntropy  output []  inputs Sigmoid output [1, 1], constant [1, 1]
          rule  ℓ = −w[y log p + (1 − y) log(1 − p)]: ∂ℓ/∂p = g·w·(p − y)/(p(1 − p)) (÷N for the mean)
          g     1
          → Sigmoid output  [-2.0384]
        step 2: Sigmoid  output [1, 1]  inputs Linear output [1, 1]
          rule  ∂/∂x = g·σ(x)(1 − σ(x))
          g     [-2.0384]
          → Linear output  [-0.50942]
        step 3: Linear  output [1, 1]  inputs Tanh output [1, 3], W2 [1, 3], b2 [1]
          rule  y = x·Wᵀ + b: ∂/∂x = g·W, ∂/∂W = gᵀ·x, ∂/∂b = Σ_rows g
          g     [-0.50942]
          → Tanh output  [-0.50942, 0.76413, -0.35659]
          → W2           [-0.42468, -0.19355, 0.3649]
          → b2           [-0.50942]
        step 4: Tanh  output [1, 3]  inputs Linear output [1, 3]
          rule  ∂/∂x = g·(1 − tanh²(x))
          g     [-0.50942, 0.76413, -0.35659]
          → Linear output  [-0.15538, 0.65382, -0.17363]
        step 5: Linear  output [1, 3]  inputs constant [1, 2], W1 [3, 2], b1 [3]
          rule  y = x·Wᵀ + b: ∂/∂x = g·W, ∂/∂W = gᵀ·x, ∂/∂b = Σ_rows g
          g     [-0.15538, 0.65382, -0.17363]
          → W1  [-0.15538, 0.31077, 0.65382, -1.3076, -0.17363, 0.34726]
          → b1  [-0.15538, 0.65382, -0.17363]
        leaf gradients
          W2  [-0.42468, -0.19355, 0.3649]
          b2  [-0.50942]
          W1  [-0.15538, 0.31077, 0.65382, -1.3076, -0.17363, 0.34726]
          b1  [-0.15538, 0.65382, -0.17363]
        """;

    [Test]
    public void Mlp_TraceAndGraph_PrintWhatTheDocShows()
    {
        string printed = DocRunner.CaptureInTempDirectory(() =>
        {
            Tensor Param(string name, double[] values, params int[] shape)
            {
                var t = Tensor.FromArray(values, shape);
                t.RequiresGrad = true;
                t.Name = name;
                return t;
            }
            var x = Tensor.FromArray(new double[,] { { 1.0, -2.0 } });
            var W1 = Param("W1", [0.5, -0.3, 0.8, 0.2, -0.6, 0.1], 3, 2);
            var b1 = Param("b1", [0.1, 0.0, -0.1], 3);
            var W2 = Param("W2", [1.0, -1.5, 0.7], 1, 3);
            var b2 = Param("b2", [0.2], 1);

            var h = Functional.Linear(x, W1, b1).Tanh();
            var p = Functional.Linear(h, W2, b2).Sigmoid();
            var loss = Functional.BinaryCrossEntropy(p, Tensor.FromArray(new double[,] { { 1.0 } }));
            var trace = Tape.TraceBackward(loss, retainGraph: true);   // loss.Backward(), step by step
            Console.Write(trace);
            File.WriteAllText("mlp.svg", loss.ToSvg(showData: true, gradients: trace));   // no Graphviz needed
            File.ReadAllText("mlp.svg").ShouldBe(TeachingMlp.Picture());   // the picture of the doc
        });
        DocRunner.ShouldMatchPrinted(printed, Trace);
        // The sample that draws the doc's picture runs the same program.
        var sample = new StringWriter { NewLine = "\n" };
        TeachingMlp.Run(sample);
        sample.ToString().ShouldBe(printed);
    }

    [Test]
    public void Mlp_EveryNumberPyTorchPrints_IsInTheTrace()
    {
        string doc = File.ReadAllText(Path.Combine(DocsInSyncTests.RepositoryRoot, "docs", "teaching.md"));
        int python = doc.IndexOf("```python\nimport torch", StringComparison.Ordinal);
        python.ShouldBeGreaterThan(0, "docs/teaching.md shows the PyTorch program");
        int start = doc.IndexOf("```text\n", python, StringComparison.Ordinal) + "```text\n".Length;
        string pytorch = doc[start..doc.IndexOf("```", start, StringComparison.Ordinal)];
        PrintedNumbers.Decimals(pytorch).Count.ShouldBeGreaterThanOrEqualTo(20);
        PrintedNumbers.ShouldAllBeFoundIn(pytorch, Trace, "docs/teaching.md");
    }
}
