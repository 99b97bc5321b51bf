using System.Globalization;
using System.Security;
using System.Text;

namespace Autograd;

public sealed partial class Tensor
{
    /// <summary>
    /// The graph recorded behind this tensor as Graphviz DOT: one box per op (name and output
    /// shape), one ellipse per leaf that requires grad (its <see cref="Name"/> if set, and shape),
    /// edges from inputs to the ops that use them. Render with <c>dot -Tsvg graph.dot</c>, or use
    /// <see cref="ToSvg"/>, which needs no Graphviz.
    /// </summary>
    public string ToDot() => ToDot(showData: false, gradients: null);

    /// <summary>
    /// The recorded graph as Graphviz DOT with numbers, as micrograd's <c>draw_dot</c> draws them:
    /// with <paramref name="showData"/> each tensor's values, and with a <paramref name="gradients"/>
    /// trace (<see cref="Tape.TraceBackward"/> of this tensor) each tensor's gradient from that pass
    /// (a leaf's is what the pass added to its <see cref="Grad"/>). Tensors of more than 4 elements
    /// are summarised (shape, mean, largest magnitude).
    /// </summary>
    /// <param name="showData">Draw each tensor's values.</param>
    /// <param name="gradients">A trace of a backward pass through this graph (run with <c>retainGraph: true</c> if the graph is to be drawn after it), or null.</param>
    /// <returns>The DOT text.</returns>
    public string ToDot(bool showData, BackwardTrace? gradients = null)
    {
        var graph = GraphDrawing.Collect(this, showData, gradients);
        var sb = new StringBuilder();
        sb.AppendLine("digraph autograd {");
        sb.AppendLine("  rankdir=BT;");
        sb.AppendLine("  node [fontname=\"Helvetica\", fontsize=11];");
        foreach (var v in graph.Vertices)
        {
            string label = string.Join("\\n", v.Lines.Select(EscapeDot));
            string style = v.IsLeaf
                ? "shape=ellipse, style=filled, fillcolor=\"#bbdefb\""
                : v.IsRoot ? "shape=box, style=filled, fillcolor=\"#c8e6c9\"" : "shape=box";
            sb.AppendLine(CultureInfo.InvariantCulture, $"  t{v.Id} [label=\"{label}\", {style}];");
        }
        foreach (var (from, to) in graph.Edges) sb.AppendLine(CultureInfo.InvariantCulture, $"  t{from} -> t{to};");
        sb.AppendLine("}");
        return sb.ToString();
    }

    /// <summary>
    /// The recorded graph drawn as an SVG document by the library itself (no Graphviz needed): the
    /// boxes and ellipses of <see cref="ToDot(bool, BackwardTrace?)"/> in layers, this tensor's op
    /// at the top and each tensor just below the first op that uses it (a parameter beside the
    /// activation it meets), edges pointing from each input up to the op that uses it. Meant for
    /// the small graphs of teaching examples; a browser or a notebook shows it.
    /// </summary>
    /// <param name="showData">Draw each tensor's values.</param>
    /// <param name="gradients">A trace of a backward pass through this graph, to draw each tensor's gradient, or null.</param>
    /// <returns>The SVG text.</returns>
    public string ToSvg(bool showData = false, BackwardTrace? gradients = null)
        => GraphDrawing.Svg(GraphDrawing.Collect(this, showData, gradients));

    private static string EscapeDot(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
}

/// <summary>The recorded graph as vertices and edges, and its SVG layout (<see cref="Tensor.ToDot(bool, BackwardTrace?)"/>, <see cref="Tensor.ToSvg"/>).</summary>
internal static class GraphDrawing
{
    /// <summary>An op (box) or a leaf (ellipse) with its label lines.</summary>
    public sealed record Vertex(int Id, string[] Lines, bool IsLeaf, bool IsRoot);

    /// <summary>The vertices in discovery order (the root first) and the edges input → op.</summary>
    public sealed record Graph(List<Vertex> Vertices, List<(int From, int To)> Edges);

    /// <summary>
    /// Walks the graph from <paramref name="root"/>. Vertices are ops (nodes) and leaves (tensors):
    /// a tensor changed in place has had two producers, and each op's edges lead to the producer of
    /// the value it used.
    /// </summary>
    public static Graph Collect(Tensor root, bool showData, BackwardTrace? gradients)
    {
        var nodeGradients = new Dictionary<Node, Tensor>(ReferenceEqualityComparer.Instance);
        var leafGradients = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance);
        if (gradients is not null)
        {
            foreach (var step in gradients.Steps) nodeGradients[step.Node] = step.Gradient;
            foreach (var (leaf, g) in gradients.Leaves) leafGradients[leaf] = g;
        }

        var ids = new Dictionary<object, int>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<object>();
        int Id(object vertex)
        {
            if (!ids.TryGetValue(vertex, out int id))
            {
                id = ids.Count;
                ids[vertex] = id;
                stack.Push(vertex);
            }
            return id;
        }

        var vertices = new List<Vertex>();
        var edges = new List<(int, int)>();
        Id(root.GradFn ?? (object)root);
        while (stack.Count > 0)
        {
            var vertex = stack.Pop();
            int id = ids[vertex];
            var lines = new List<string>();
            if (vertex is Node node)
            {
                var t = node.Output;
                lines.Add((t.Name is null ? "" : t.Name + " = ") + node.Name);
                lines.Add(Shape(t));
                AddNumbers(lines, t, nodeGradients.GetValueOrDefault(node), showData);
                vertices.Add(new Vertex(id, [.. lines], IsLeaf: false, IsRoot: ReferenceEquals(node, root.GradFn)));
                for (int i = 0; i < node.Inputs.Length; i++)
                {
                    if (!node.InputRequiresGrad[i]) continue;
                    edges.Add((Id(node.InputFns[i] ?? (object)node.Inputs[i]), id));
                }
            }
            else
            {
                var t = (Tensor)vertex;
                lines.Add(t.Name ?? "leaf");
                lines.Add(Shape(t));
                AddNumbers(lines, t, leafGradients.GetValueOrDefault(t), showData);
                vertices.Add(new Vertex(id, [.. lines], IsLeaf: true, IsRoot: false));
            }
        }
        return new Graph(vertices, edges);
    }

    private static string Shape(Tensor t) => "(" + string.Join(", ", t.Dims) + ")";

    private static void AddNumbers(List<string> lines, Tensor t, Tensor? g, bool showData)
    {
        if (showData) lines.Add("data " + BackwardTrace.Show(t, 4));
        if (g is not null) lines.Add("grad " + BackwardTrace.Show(g, 4));
    }

    /// <summary>The width the layout allows a character of the 12-pixel sans-serif font (wider than its digits' 6.7).</summary>
    internal const double CharWidth = 7.2;

    private const double LineHeight = 16, PadX = 12, PadY = 8, GapX = 28, GapY = 48, Margin = 20;

    /// <summary>The width the layout allows <paramref name="lines"/> of label text.</summary>
    internal static double TextWidth(IEnumerable<string> lines) => lines.Max(l => l.Length) * CharWidth;

    /// <summary>
    /// A layered drawing: the root's op at the top, and each vertex one layer below the lowest op
    /// that uses it (so every edge points up); within
    /// a layer vertices are ordered by the mean position of their inputs (one sweep up from the
    /// leaves, in discovery order where that ties), and each layer is centred.
    /// </summary>
    public static string Svg(Graph graph)
    {
        int n = graph.Vertices.Count;
        var inputs = Enumerable.Range(0, n).Select(_ => new List<int>()).ToArray();
        foreach (var (from, to) in graph.Edges) inputs[to].Add(from);

        // Layers: the longest path from each vertex up to the root (the graph is acyclic and every
        // vertex reaches the root), counted down from the top, so that each tensor sits just below
        // the first op that uses it: a parameter beside the activation it meets (W2 beside tanh's
        // output), not at the bottom of the picture. Consumers are done before their inputs (Kahn).
        var uses = new int[n];
        foreach (var (from, _) in graph.Edges) uses[from]++;
        var depth = new int[n];
        var ready = new Queue<int>(Enumerable.Range(0, n).Where(v => uses[v] == 0));
        while (ready.Count > 0)
        {
            int v = ready.Dequeue();
            foreach (int i in inputs[v])
            {
                depth[i] = Math.Max(depth[i], depth[v] + 1);
                if (--uses[i] == 0) ready.Enqueue(i);
            }
        }
        int deepest = n == 0 ? 0 : depth.Max();
        var layer = depth.Select(d => deepest - d).ToArray();
        int layers = n == 0 ? 0 : layer.Max() + 1;

        // Sizes by id (the vertex list is in the order the walk finished them, not by id). A box holds
        // its text with padding; an ellipse is the one through the corners of that padded box
        // (half-axes √2 times its half-sides), so that the first and last lines fit inside too.
        var width = new double[n];
        var height = new double[n];
        foreach (var v in graph.Vertices)
        {
            (width[v.Id], height[v.Id]) = (TextWidth(v.Lines) + 2 * PadX, v.Lines.Length * LineHeight + 2 * PadY);
            if (v.IsLeaf) (width[v.Id], height[v.Id]) = (width[v.Id] * Math.Sqrt(2), height[v.Id] * Math.Sqrt(2));
        }
        var x = new double[n];   // centre
        var rows = new List<int>[layers];
        for (int l = 0; l < layers; l++) rows[l] = [];
        for (int v = 0; v < n; v++) rows[layer[v]].Add(v);

        double totalWidth = 0;
        for (int l = 0; l < layers; l++)
        {
            // Order by the mean centre of the inputs (placed in the layers below), ties by discovery order.
            var row = rows[l].OrderBy(v => inputs[v].Count == 0 ? v : inputs[v].Average(i => x[i])).ThenBy(v => v).ToList();
            rows[l] = row;
            double cursor = 0;
            foreach (int v in row)
            {
                x[v] = cursor + width[v] / 2;
                cursor += width[v] + GapX;
            }
            totalWidth = Math.Max(totalWidth, cursor - GapX);
        }
        // Centre each layer.
        for (int l = 0; l < layers; l++)
        {
            double rowWidth = rows[l].Sum(v => width[v]) + GapX * Math.Max(0, rows[l].Count - 1);
            double shift = (totalWidth - rowWidth) / 2;
            foreach (int v in rows[l]) x[v] += shift;
        }
        var rowHeight = Enumerable.Range(0, layers).Select(l => rows[l].Count == 0 ? 0 : rows[l].Max(v => height[v])).ToArray();
        var y = new double[n];   // centre; the top layer (the root's) first
        double top = Margin;
        for (int l = layers - 1; l >= 0; l--)
        {
            foreach (int v in rows[l]) y[v] = top + rowHeight[l] / 2;
            top += rowHeight[l] + GapY;
        }
        double svgWidth = totalWidth + 2 * Margin, svgHeight = top - GapY + Margin;

        var sb = new StringBuilder();
        string F(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);
        sb.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{F(svgWidth)}\" height=\"{F(svgHeight)}\" viewBox=\"0 0 {F(svgWidth)} {F(svgHeight)}\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n");
        sb.Append("  <defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#555\"/></marker></defs>\n");
        sb.Append("  <g class=\"edges\" stroke=\"#555\" stroke-width=\"1.2\">\n");
        foreach (var (from, to) in graph.Edges)
        {
            double x1 = x[from] + Margin, y1 = y[from] - height[from] / 2, x2 = x[to] + Margin, y2 = y[to] + height[to] / 2;
            sb.Append(CultureInfo.InvariantCulture, $"    <line x1=\"{F(x1)}\" y1=\"{F(y1)}\" x2=\"{F(x2)}\" y2=\"{F(y2)}\" marker-end=\"url(#arrow)\"/>\n");
        }
        sb.Append("  </g>\n  <g class=\"vertices\">\n");
        foreach (var v in graph.Vertices)
        {
            double cx = x[v.Id] + Margin, cy = y[v.Id], w = width[v.Id], h = height[v.Id];
            string fill = v.IsLeaf ? "#bbdefb" : v.IsRoot ? "#c8e6c9" : "#ffffff";
            if (v.IsLeaf)
                sb.Append(CultureInfo.InvariantCulture, $"    <ellipse cx=\"{F(cx)}\" cy=\"{F(cy)}\" rx=\"{F(w / 2)}\" ry=\"{F(h / 2)}\" fill=\"{fill}\" stroke=\"#333\"/>\n");
            else
                sb.Append(CultureInfo.InvariantCulture, $"    <rect x=\"{F(cx - w / 2)}\" y=\"{F(cy - h / 2)}\" width=\"{F(w)}\" height=\"{F(h)}\" rx=\"4\" fill=\"{fill}\" stroke=\"#333\"/>\n");
            double firstBaseline = cy - (v.Lines.Length - 1) * LineHeight / 2 + 4;
            for (int i = 0; i < v.Lines.Length; i++)
            {
                string weight = i == 0 ? " font-weight=\"bold\"" : "";
                sb.Append(CultureInfo.InvariantCulture, $"    <text x=\"{F(cx)}\" y=\"{F(firstBaseline + i * LineHeight)}\" text-anchor=\"middle\"{weight}>{SecurityElement.Escape(v.Lines[i])}</text>\n");
            }
        }
        sb.Append("  </g>\n</svg>\n");
        return sb.ToString();
    }
}
