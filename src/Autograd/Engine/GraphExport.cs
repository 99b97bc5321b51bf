using System.Globalization;
using System.Text;

namespace Autograd;

public sealed partial class Tensor
{
    /// <summary>
    /// The graph recorded behind this tensor as Graphviz DOT: one box per op (name and output
    /// shape), one ellipse per leaf that requires grad (its <see cref="Name"/> if set, and shape),
    /// edges from inputs to the ops that use them. Render with <c>dot -Tsvg graph.dot</c>.
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
        var nodeGradients = new Dictionary<Node, Tensor>(ReferenceEqualityComparer.Instance);
        var leafGradients = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance);
        if (gradients is not null)
        {
            foreach (var step in gradients.Steps) nodeGradients[step.Node] = step.Gradient;
            foreach (var (leaf, g) in gradients.Leaves) leafGradients[leaf] = g;
        }
        string Numbers(Tensor t, Tensor? g)
        {
            string text = "";
            if (showData) text += "\\ndata " + Escape(BackwardTrace.Show(t, 4));
            if (g is not null) text += "\\ngrad " + Escape(BackwardTrace.Show(g, 4));
            return text;
        }

        var sb = new StringBuilder();
        sb.AppendLine("digraph autograd {");
        sb.AppendLine("  rankdir=BT;");
        sb.AppendLine("  node [fontname=\"Helvetica\", fontsize=11];");
        // Vertices are ops (nodes) and leaves (tensors): a tensor changed in place has had two
        // producers, and each op's edges lead to the producer of the value it used.
        var ids = new Dictionary<object, string>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<object>();
        string Id(object vertex)
        {
            if (!ids.TryGetValue(vertex, out var id))
            {
                id = "t" + ids.Count.ToString(CultureInfo.InvariantCulture);
                ids[vertex] = id;
                stack.Push(vertex);
            }
            return id;
        }

        Id(GradFn ?? (object)this);
        var edges = new List<string>();
        while (stack.Count > 0)
        {
            var vertex = stack.Pop();
            string id = ids[vertex];
            if (vertex is Node node)
            {
                var t = node.Output;
                string shape = "(" + string.Join(", ", t.Dims) + ")";
                string label = (t.Name is null ? "" : t.Name + " = ") + node.Name + "\\n" + shape + Numbers(t, nodeGradients.GetValueOrDefault(node));
                string style = ReferenceEquals(node, GradFn) ? ", style=filled, fillcolor=\"#c8e6c9\"" : "";
                sb.AppendLine($"  {id} [label=\"{label}\", shape=box{style}];");
                for (int i = 0; i < node.Inputs.Length; i++)
                {
                    if (!node.InputRequiresGrad[i]) continue;
                    edges.Add($"  {Id(node.InputFns[i] ?? (object)node.Inputs[i])} -> {id};");
                }
            }
            else
            {
                var t = (Tensor)vertex;
                string shape = "(" + string.Join(", ", t.Dims) + ")";
                string numbers = Numbers(t, leafGradients.GetValueOrDefault(t));
                sb.AppendLine($"  {id} [label=\"{t.Name ?? "leaf"}\\n{shape}{numbers}\", shape=ellipse, style=filled, fillcolor=\"#bbdefb\"];");
            }
        }
        foreach (var e in edges) sb.AppendLine(e);
        sb.AppendLine("}");
        return sb.ToString();
    }

    private static string Escape(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
}
