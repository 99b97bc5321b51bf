using NUnit.Framework;
using Shouldly;

namespace Autograd.Tests.Engine;

public class GraphExportTests
{
    [Test]
    public void ToDot_SmallModel_ListsOpsLeavesAndEdges()
    {
        var x = Tensor.Ones(4, 3);
        var w = Tensor.Ones(3, 2);
        w.RequiresGrad = true;
        w.Name = "weight";
        var b = Tensor.Zeros(2);
        b.RequiresGrad = true;
        var loss = (x.MatMul(w) + b).Sigmoid().Mean();
        var dot = loss.ToDot();
        dot.ShouldStartWith("digraph autograd {");
        dot.ShouldContain("MatMul\\n(4, 2)");
        dot.ShouldContain("Add\\n(4, 2)");
        dot.ShouldContain("Sigmoid\\n(4, 2)");
        dot.ShouldContain("weight\\n(3, 2)");
        dot.ShouldContain("leaf\\n(2)");
        // x does not require grad, so it is not drawn: only w and b are leaves.
        dot.Split('\n').Count(l => l.Contains("shape=ellipse")).ShouldBe(2);
        dot.Split('\n').Count(l => l.Contains("->")).ShouldBe(5); // w->mm, mm->add, b->add, add->sig, sig->mean
        dot.ShouldContain("Mean\\n()");
        dot.TrimEnd().ShouldEndWith("}");
    }
}

/// <summary><see cref="Tensor.ToSvg"/>: a well-formed SVG with every vertex and edge, laid out in layers, rendered by rsvg-convert where it exists.</summary>
public class GraphSvgTests
{
    private static (Tensor Loss, BackwardTrace Trace) SmallMlp()
    {
        var g = new Generator(1);
        var x = Tensor.Randn([2, 3], g, DType.Float64);
        var w1 = Tensor.Randn([4, 3], g, DType.Float64);
        w1.RequiresGrad = true;
        w1.Name = "w1";
        var w2 = Tensor.Randn([1, 4], g, DType.Float64);
        w2.RequiresGrad = true;
        w2.Name = "w2";
        var loss = x.MatMul(w1.T).Tanh().MatMul(w2.T).Sigmoid().Mean();
        return (loss, Tape.TraceBackward(loss, retainGraph: true));
    }

    [Test]
    public void ToSvg_IsWellFormed_WithEveryVertexAndEdgeOfTheDot()
    {
        var (loss, trace) = SmallMlp();
        string svg = loss.ToSvg(showData: true, gradients: trace);
        var doc = System.Xml.Linq.XDocument.Parse(svg);
        System.Xml.Linq.XNamespace ns = "http://www.w3.org/2000/svg";
        doc.Root!.Name.ShouldBe(ns + "svg");
        string dot = loss.ToDot(showData: true, gradients: trace);
        int vertices = dot.Split('\n').Count(l => l.Contains("[label="));
        int edges = dot.Split('\n').Count(l => l.Contains("->"));
        (doc.Descendants(ns + "rect").Count() + doc.Descendants(ns + "ellipse").Count()).ShouldBe(vertices);
        doc.Descendants(ns + "line").Count().ShouldBe(edges);
        var texts = doc.Descendants(ns + "text").Select(t => t.Value).ToList();
        texts.ShouldContain("w1");
        texts.ShouldContain("Sigmoid");
        texts.ShouldContain(t => t.StartsWith("grad ", StringComparison.Ordinal));
        texts.ShouldContain(t => t.StartsWith("data ", StringComparison.Ordinal));
    }

    [Test]
    public void ToSvg_DrawsInputsBelowTheOpsThatUseThem_AndNothingOverlaps()
    {
        var (loss, _) = SmallMlp();
        var doc = System.Xml.Linq.XDocument.Parse(loss.ToSvg());
        System.Xml.Linq.XNamespace ns = "http://www.w3.org/2000/svg";
        double A(System.Xml.Linq.XElement e, string name) => double.Parse(e.Attribute(name)!.Value, System.Globalization.CultureInfo.InvariantCulture);
        // Every edge points up (from an input below to the op above).
        foreach (var line in doc.Descendants(ns + "line")) A(line, "y1").ShouldBeGreaterThan(A(line, "y2"));
        // No two boxes overlap.
        var boxes = doc.Descendants(ns + "rect").Select(r => (X: A(r, "x"), Y: A(r, "y"), W: A(r, "width"), H: A(r, "height")))
            .Concat(doc.Descendants(ns + "ellipse").Select(e => (X: A(e, "cx") - A(e, "rx"), Y: A(e, "cy") - A(e, "ry"), W: 2 * A(e, "rx"), H: 2 * A(e, "ry")))).ToList();
        for (int i = 0; i < boxes.Count; i++)
            for (int j = i + 1; j < boxes.Count; j++)
            {
                var (a, b) = (boxes[i], boxes[j]);
                bool apart = a.X + a.W <= b.X || b.X + b.W <= a.X || a.Y + a.H <= b.Y || b.Y + b.H <= a.Y;
                apart.ShouldBeTrue($"boxes {i} and {j} overlap");
            }
    }

    [Test]
    public void ToSvg_EachLabelFitsInsideItsBoxOrEllipse()
    {
        var (loss, trace) = SmallMlp();
        var doc = System.Xml.Linq.XDocument.Parse(loss.ToSvg(showData: true, gradients: trace));
        System.Xml.Linq.XNamespace ns = "http://www.w3.org/2000/svg";
        var vertices = doc.Descendants(ns + "g").Single(g => (string?)g.Attribute("class") == "vertices").Elements().ToList();
        double A(System.Xml.Linq.XElement e, string name) => double.Parse(e.Attribute(name)!.Value, System.Globalization.CultureInfo.InvariantCulture);
        int shapes = 0;
        for (int i = 0; i < vertices.Count; i++)
        {
            var shape = vertices[i];
            if (shape.Name == ns + "text") continue;
            shapes++;
            var lines = vertices.Skip(i + 1).TakeWhile(e => e.Name == ns + "text").ToList();
            double halfWidth = GraphDrawing.TextWidth(lines.Select(t => t.Value)) / 2;
            double top = A(lines[0], "y") - 12, bottom = A(lines[^1], "y") + 4;   // 12-pixel glyphs above the first baseline, descenders below the last
            if (shape.Name == ns + "rect")
            {
                double x = A(shape, "x"), y = A(shape, "y");
                (A(lines[0], "x") - halfWidth).ShouldBeGreaterThanOrEqualTo(x, lines[0].Value);
                (A(lines[0], "x") + halfWidth).ShouldBeLessThanOrEqualTo(x + A(shape, "width"), lines[0].Value);
                top.ShouldBeGreaterThanOrEqualTo(y, lines[0].Value);
                bottom.ShouldBeLessThanOrEqualTo(y + A(shape, "height"), lines[0].Value);
            }
            else
            {
                // Each line's ends inside the ellipse, at the line's top and bottom.
                double cx = A(shape, "cx"), cy = A(shape, "cy"), rx = A(shape, "rx"), ry = A(shape, "ry");
                foreach (var line in lines)
                {
                    double half = GraphDrawing.TextWidth([line.Value]) / 2;
                    foreach (double y in new[] { A(line, "y") - 12, A(line, "y") + 4 })
                        (Math.Pow(half / rx, 2) + Math.Pow((y - cy) / ry, 2)).ShouldBeLessThanOrEqualTo(1, line.Value);
                }
            }
        }
        shapes.ShouldBe(9);   // w1, Transpose, MatMul, Tanh, w2, Transpose, MatMul, Sigmoid, Mean
    }

    [Test]
    public void ToSvg_DrawsEachParameterOneLayerBelowTheOpThatUsesIt()
    {
        var (loss, _) = SmallMlp();
        var doc = System.Xml.Linq.XDocument.Parse(loss.ToSvg());
        System.Xml.Linq.XNamespace ns = "http://www.w3.org/2000/svg";
        double CentreOf(string label)
        {
            var text = doc.Descendants(ns + "text").Single(t => t.Value == label);
            var shape = (System.Xml.Linq.XElement)text.PreviousNode!;
            while (shape.Name != ns + "ellipse" && shape.Name != ns + "rect") shape = (System.Xml.Linq.XElement)shape.PreviousNode!;
            double A(string name) => double.Parse(shape.Attribute(name)!.Value, System.Globalization.CultureInfo.InvariantCulture);
            return shape.Name == ns + "ellipse" ? A("cy") : A("y") + A("height") / 2;
        }
        // x·w1ᵀ → tanh → ·w2ᵀ → sigmoid → mean: w2 meets the graph three layers above w1 (Transpose, MatMul, Tanh between).
        CentreOf("w2").ShouldBeLessThan(CentreOf("w1"));
        CentreOf("w2").ShouldBeGreaterThan(CentreOf("Tanh"));
    }

    [Test]
    public void ToSvg_RendersToPng_WithRsvgConvert_WhereInstalled()
    {
        string? tool = new[] { "/usr/bin/rsvg-convert", "/usr/local/bin/rsvg-convert" }.FirstOrDefault(File.Exists);
        if (tool is null) Assert.Ignore("rsvg-convert is not installed (Debian: apt-get install librsvg2-bin); the SVG is checked as XML by the other tests.");
        var (loss, trace) = SmallMlp();
        string dir = Path.Combine(Path.GetTempPath(), "autograd-svg-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string svgPath = Path.Combine(dir, "graph.svg"), pngPath = Path.Combine(dir, "graph.png");
            File.WriteAllText(svgPath, loss.ToSvg(showData: true, gradients: trace));
            using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(tool, ["-o", pngPath, svgPath]) { RedirectStandardError = true })!;
            string errors = process.StandardError.ReadToEnd();
            process.WaitForExit();
            process.ExitCode.ShouldBe(0, errors);
            byte[] png = File.ReadAllBytes(pngPath);
            png.Take(4).ShouldBe(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' });
            png.Length.ShouldBeGreaterThan(1000);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
