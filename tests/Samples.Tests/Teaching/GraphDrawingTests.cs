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

            // Graphviz is optional: without it the library draws the SVG itself, with every op and parameter.
            string svg = File.ReadAllText(result.SvgPath);
            svg.ShouldContain("<svg");
            if (output.ToString().Contains("Graphviz", StringComparison.Ordinal))
            {
                output.ToString().ShouldContain("drawn by the library's own layout");
                System.Xml.Linq.XDocument.Parse(svg).Root!.Name.LocalName.ShouldBe("svg");
                foreach (string label in new[] { "loss = CrossEntropy", "Tanh", "0.weight", "2.bias" }) svg.ShouldContain(">" + label + "<");
            }
        }
        finally
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
    }

    [Test]
    public void TeachingMlp_PictureInTheDocs_IsWhatTheLibraryDrawsNow()
    {
        string path = Path.Combine(Docs.DocsInSyncTests.RepositoryRoot, "docs", "images", "teaching-mlp.svg");
        File.ReadAllText(path).ShouldBe(TeachingMlp.Picture(),
            "docs/images/teaching-mlp.svg differs from what the library draws now: redraw it with dotnet run --project samples/GraphDrawing -- --teaching docs/images");
    }

    [Test]
    public void TeachingMlp_Picture_ShowsEachTensorsValueAndGradient()
    {
        var doc = System.Xml.Linq.XDocument.Parse(TeachingMlp.Picture());
        var texts = doc.Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value).ToList();
        // W2's gradient is ∂ℓ/∂z2 · h = -0.509418 · tanh(x W1ᵀ + b1), PyTorch 1.13: [-0.42468, -0.19355, 0.3649].
        texts.ShouldContain("grad [-0.42468, -0.19355, 0.3649]");
        texts.ShouldContain("data [1, -1.5, 0.7]");
        texts.ShouldContain("W1");
        texts.ShouldContain(t => t.StartsWith("data [3, 2] mean ", StringComparison.Ordinal));   // six elements: summarised
    }
}
