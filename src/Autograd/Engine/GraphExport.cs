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
    public string ToDot()
    {
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
                string label = (t.Name is null ? "" : t.Name + " = ") + node.Name + "\\n" + shape;
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
                sb.AppendLine($"  {id} [label=\"{t.Name ?? "leaf"}\\n{shape}\", shape=ellipse, style=filled, fillcolor=\"#bbdefb\"];");
            }
        }
        foreach (var e in edges) sb.AppendLine(e);
        sb.AppendLine("}");
        return sb.ToString();
    }
}
