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
        var ids = new Dictionary<Tensor, string>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<Tensor>();
        string Id(Tensor t)
        {
            if (!ids.TryGetValue(t, out var id))
            {
                id = "t" + ids.Count.ToString(CultureInfo.InvariantCulture);
                ids[t] = id;
                stack.Push(t);
            }
            return id;
        }

        Id(this);
        var edges = new List<string>();
        while (stack.Count > 0)
        {
            var t = stack.Pop();
            string id = ids[t];
            string shape = "(" + string.Join(", ", t.Dims) + ")";
            if (t.GradFn is Node node)
            {
                string label = (t.Name is null ? "" : t.Name + " = ") + node.Name + "\\n" + shape;
                string style = ReferenceEquals(t, this) ? ", style=filled, fillcolor=\"#c8e6c9\"" : "";
                sb.AppendLine($"  {id} [label=\"{label}\", shape=box{style}];");
                foreach (var input in node.Inputs)
                {
                    if (!input.RequiresGrad) continue;
                    edges.Add($"  {Id(input)} -> {id};");
                }
            }
            else
            {
                sb.AppendLine($"  {id} [label=\"{t.Name ?? "leaf"}\\n{shape}\", shape=ellipse, style=filled, fillcolor=\"#bbdefb\"];");
            }
        }
        foreach (var e in edges) sb.AppendLine(e);
        sb.AppendLine("}");
        return sb.ToString();
    }
}
