using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.DotNet.Interactive.Formatting;

namespace Autograd.Interactive;

/// <summary>
/// HTML formatters for notebooks (.NET Interactive, VS Code's Polyglot Notebooks): a
/// <see cref="Tensor"/> shows as a table of its values, a <see cref="BackwardTrace"/> as a table of
/// the chain rule's steps, and a <see cref="GraphPicture"/> (from <see cref="Draw"/>) as the recorded
/// graph drawn in SVG. Call <see cref="Register"/> once in a notebook (after <c>#r</c> of this package).
/// </summary>
/// <remarks>
/// <code>
/// Autograd.Interactive.AutogradFormatters.Register();
/// var x = Tensor.FromArray([1.0, 2.0]);
/// x.RequiresGrad = true;
/// var y = (x * x).Sum();
/// var trace = Tape.TraceBackward(y, retainGraph: true);
/// trace               // the steps as a table
/// y.Draw(trace)       // the graph with values and gradients
/// </code>
/// </remarks>
public static class AutogradFormatters
{
    /// <summary>The most rows and columns a tensor's table shows; larger tensors show their corners and a summary.</summary>
    public const int MaxShown = 12;

    /// <summary>Registers the HTML formatters for <see cref="Tensor"/>, <see cref="BackwardTrace"/> and <see cref="GraphPicture"/>.</summary>
    public static void Register()
    {
        Formatter.Register<Tensor>(TensorHtml, HtmlFormatter.MimeType);
        Formatter.Register<BackwardTrace>(TraceHtml, HtmlFormatter.MimeType);
        Formatter.Register<GraphPicture>(picture => picture.Svg, HtmlFormatter.MimeType);
    }

    /// <summary>The recorded graph behind <paramref name="tensor"/>, with values and (given a trace) gradients, as a picture a notebook shows.</summary>
    /// <param name="tensor">The graph's output.</param>
    /// <param name="gradients">A trace of a backward pass through the graph (<see cref="Tape.TraceBackward"/> with <c>retainGraph: true</c>), or null.</param>
    /// <param name="showData">Draw each tensor's values.</param>
    /// <returns>The picture.</returns>
    public static GraphPicture Draw(this Tensor tensor, BackwardTrace? gradients = null, bool showData = true)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return new GraphPicture(tensor.ToSvg(showData, gradients));
    }

    /// <summary>A tensor as an HTML table: a caption (shape, dtype, requires grad, grad_fn) and the values of its last two dims.</summary>
    public static string TensorHtml(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var sb = new StringBuilder();
        var dims = tensor.Shape.ToArray();
        string caption = $"tensor, shape ({string.Join(", ", dims)}), {tensor.DType}"
            + (tensor.RequiresGrad ? ", requires grad" : "")
            + (tensor.GradFnName is string fn ? $", grad_fn {fn}" : "");
        sb.Append("<table class=\"autograd-tensor\"><caption>").Append(WebUtility.HtmlEncode(caption)).Append("</caption>");
        double[] v = tensor.ToArray<double>();
        if (dims.Length == 0)
        {
            sb.Append("<tr><td>").Append(Format(v[0], tensor.DType)).Append("</td></tr>");
        }
        else
        {
            int cols = dims[^1], rows = v.Length / Math.Max(1, cols);
            int shownRows = Math.Min(rows, MaxShown), shownCols = Math.Min(cols, MaxShown);
            for (int r = 0; r < shownRows; r++)
            {
                sb.Append("<tr>");
                for (int c = 0; c < shownCols; c++) sb.Append("<td>").Append(Format(v[r * cols + c], tensor.DType)).Append("</td>");
                if (shownCols < cols) sb.Append("<td>…</td>");
                sb.Append("</tr>");
            }
            if (shownRows < rows) sb.Append("<tr><td colspan=\"").Append(shownCols + (shownCols < cols ? 1 : 0)).Append("\">…</td></tr>");
            if (dims.Length > 2)
                sb.Append("<tr><td colspan=\"").Append(shownCols).Append("\">(the leading dims flattened into rows)</td></tr>");
        }
        sb.Append("</table>");
        return sb.ToString();
    }

    /// <summary>A backward trace as an HTML table: one row per step (op, rule, incoming gradient, what each input received), then the leaves.</summary>
    public static string TraceHtml(BackwardTrace trace)
    {
        ArgumentNullException.ThrowIfNull(trace);
        var sb = new StringBuilder("<table class=\"autograd-trace\"><tr><th>step</th><th>op</th><th>rule</th><th>g (incoming)</th><th>sent to each input</th></tr>");
        foreach (var step in trace.Steps)
        {
            sb.Append("<tr><td>").Append(step.Index.ToString(CultureInfo.InvariantCulture)).Append("</td><td>").Append(WebUtility.HtmlEncode(step.Op))
              .Append("</td><td>").Append(WebUtility.HtmlEncode(step.Rule)).Append("</td><td>");
            sb.Append(WebUtility.HtmlEncode(step.Contributions.Count > 1
                ? string.Join(" + ", step.Contributions.Select(t => BackwardTrace.Show(t))) + " = " + BackwardTrace.Show(step.Gradient)
                : BackwardTrace.Show(step.Gradient)));
            sb.Append("</td><td>");
            for (int i = 0; i < step.InputGradients.Count; i++)
            {
                if (step.InputGradients[i] is not Tensor g) continue;
                sb.Append(WebUtility.HtmlEncode($"{step.InputNames[i]}: {BackwardTrace.Show(g)}")).Append("<br/>");
            }
            sb.Append("</td></tr>");
        }
        foreach (var (leaf, g) in trace.Leaves)
            sb.Append("<tr><td></td><td>leaf</td><td colspan=\"2\">").Append(WebUtility.HtmlEncode(leaf.Name ?? "leaf"))
              .Append("</td><td>").Append(WebUtility.HtmlEncode(BackwardTrace.Show(g))).Append("</td></tr>");
        sb.Append("</table>");
        return sb.ToString();
    }

    private static string Format(double value, DType dtype)
        => dtype == DType.Int64 ? ((long)value).ToString(CultureInfo.InvariantCulture) : value.ToString("G6", CultureInfo.InvariantCulture);
}

/// <summary>A drawing of a recorded graph (SVG text), shown as a picture by the notebook formatters.</summary>
/// <param name="Svg">The SVG document.</param>
public sealed record GraphPicture(string Svg);
