using NUnit.Framework;
using Shouldly;

namespace Autograd.Samples.Tests.Teaching;

/// <summary>The graph-drawing sample: the DOT holds the ops and the named parameters, and is written to disk.</summary>
[TestFixture]
public sealed class GraphDrawingTests
{
    [Test]
    public void Run_Model_WritesDotWithOpsAndNamedParameters()
    {
        string directory = Path.Combine(Path.GetTempPath(), "graph-drawing-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            var output = new StringWriter();
            var result = GraphDrawing.Run(output, directory);

            File.ReadAllText(result.DotPath).ShouldBe(result.Dot);
            result.Dot.ShouldStartWith("digraph autograd {");
            foreach (string node in new[] { "loss = CrossEntropy", "Linear\\n(5, 4)", "Tanh\\n(5, 4)", "Linear\\n(5, 2)" })
                result.Dot.ShouldContain(node);
            foreach (string parameter in new[] { "0.weight\\n(4, 3)", "0.bias\\n(4)", "2.weight\\n(2, 4)", "2.bias\\n(2)" })
                result.Dot.ShouldContain(parameter);
            // 4 ops + 4 parameters, 7 edges: each Linear has 3 inputs, Tanh and the loss 1 each.
            result.Dot.Split('\n').Count(l => l.Contains("->")).ShouldBe(7);

            // Graphviz is optional: either the SVG was rendered, or the sample said why not.
            if (result.SvgPath is string svg) File.ReadAllText(svg).ShouldContain("<svg");
            else output.ToString().ShouldContain("Graphviz");
        }
        finally
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
    }
}
