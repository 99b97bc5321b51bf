using System.Globalization;
using System.Security;
using System.Text;

namespace Autograd.Samples.Classifiers;

/// <summary>One line of a line chart: points (X[i], Y[i]) joined in order.</summary>
/// <param name="Name">The name shown in the legend.</param>
/// <param name="X">The x coordinates.</param>
/// <param name="Y">The y coordinates, as many as <paramref name="X"/>.</param>
/// <param name="Color">An SVG colour ("#1f77b4").</param>
/// <param name="Dashed">Draw the line dashed (for a second quantity in the same colour).</param>
public sealed record Series(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y, string Color, bool Dashed = false);

/// <summary>Where a line chart puts its legend: in the corner the curves leave free.</summary>
public enum LegendCorner
{
    /// <summary>The upper right corner (free above falling curves, such as a loss).</summary>
    TopRight,

    /// <summary>The lower right corner (free below rising curves, such as an accuracy).</summary>
    BottomRight,
}

/// <summary>
/// Two small charts written as SVG text by hand, with no plotting library: a line chart (axes,
/// ticks, grid, labels, legend) and a heatmap with the count in every cell. SVG is XML that any
/// browser shows; the coordinates are pixels from the top left corner, y pointing down.
/// </summary>
public static class SvgPlot
{
    /// <summary>Colours that stay apart for most readers (the first of matplotlib's default cycle).</summary>
    public static readonly string[] Palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"];

    private const double Width = 640, Height = 400;
    private const double MarginLeft = 72, MarginRight = 24, MarginTop = 44, MarginBottom = 56;

    /// <summary>A line chart of <paramref name="series"/>, with nicely rounded axes that hold every point.</summary>
    /// <param name="title">The title above the chart.</param>
    /// <param name="xLabel">The label under the x axis.</param>
    /// <param name="yLabel">The label beside the y axis.</param>
    /// <param name="series">The lines, at least one, each with at least one point.</param>
    /// <param name="legend">The corner of the legend.</param>
    /// <param name="yFromZero">True to start the y axis at 0 (for a loss, so its size can be judged).</param>
    /// <returns>The SVG document.</returns>
    public static string LineChart(string title, string xLabel, string yLabel, IReadOnlyList<Series> series,
        LegendCorner legend = LegendCorner.TopRight, bool yFromZero = false)
    {
        double xMin = series.Min(s => s.X.Min()), xMax = series.Max(s => s.X.Max());
        double yMin = series.Min(s => s.Y.Min()), yMax = series.Max(s => s.Y.Max());
        var xAxis = Axis.Nice(xMin, xMax, minStep: 1);  // the x axis counts epochs
        var yAxis = Axis.Nice(yFromZero ? Math.Min(0, yMin) : yMin, yMax);

        double plotWidth = Width - MarginLeft - MarginRight, plotHeight = Height - MarginTop - MarginBottom;
        double Px(double x) => MarginLeft + (x - xAxis.Min) / (xAxis.Max - xAxis.Min) * plotWidth;
        double Py(double y) => MarginTop + plotHeight - (y - yAxis.Min) / (yAxis.Max - yAxis.Min) * plotHeight;

        var svg = Begin(Width, Height, title);

        // Grid lines and tick labels, then the frame on top of them.
        svg.AppendLine("  <g class=\"axes\" font-size=\"12\" fill=\"#333\">");
        foreach (double x in xAxis.Ticks())
        {
            svg.AppendLine($"    <line x1=\"{F(Px(x))}\" y1=\"{F(MarginTop)}\" x2=\"{F(Px(x))}\" y2=\"{F(MarginTop + plotHeight)}\" stroke=\"#e6e6e6\" />");
            svg.AppendLine($"    <text x=\"{F(Px(x))}\" y=\"{F(MarginTop + plotHeight + 18)}\" text-anchor=\"middle\">{xAxis.Format(x)}</text>");
        }
        foreach (double y in yAxis.Ticks())
        {
            svg.AppendLine($"    <line x1=\"{F(MarginLeft)}\" y1=\"{F(Py(y))}\" x2=\"{F(MarginLeft + plotWidth)}\" y2=\"{F(Py(y))}\" stroke=\"#e6e6e6\" />");
            svg.AppendLine($"    <text x=\"{F(MarginLeft - 8)}\" y=\"{F(Py(y) + 4)}\" text-anchor=\"end\">{yAxis.Format(y)}</text>");
        }
        svg.AppendLine($"    <rect x=\"{F(MarginLeft)}\" y=\"{F(MarginTop)}\" width=\"{F(plotWidth)}\" height=\"{F(plotHeight)}\" fill=\"none\" stroke=\"#333\" />");
        svg.AppendLine($"    <text x=\"{F(MarginLeft + plotWidth / 2)}\" y=\"{F(Height - 14)}\" text-anchor=\"middle\" font-size=\"14\">{Escape(xLabel)}</text>");
        svg.AppendLine($"    <text transform=\"translate(20 {F(MarginTop + plotHeight / 2)}) rotate(-90)\" text-anchor=\"middle\" font-size=\"14\">{Escape(yLabel)}</text>");
        svg.AppendLine("  </g>");

        // The curves; dots too when there are few enough points to tell apart.
        foreach (var s in series)
        {
            svg.AppendLine($"  <g class=\"series\" stroke=\"{s.Color}\" fill=\"{s.Color}\">");
            string points = string.Join(" ", s.X.Select((x, i) => $"{F(Px(x))},{F(Py(s.Y[i]))}"));
            svg.AppendLine($"    <polyline points=\"{points}\" fill=\"none\" stroke-width=\"2\"{(s.Dashed ? " stroke-dasharray=\"6,4\"" : "")} />");
            if (s.X.Count <= 25)
                for (int i = 0; i < s.X.Count; i++)
                    svg.AppendLine($"    <circle cx=\"{F(Px(s.X[i]))}\" cy=\"{F(Py(s.Y[i]))}\" r=\"2.5\" />");
            svg.AppendLine("  </g>");
        }

        // The legend: a short stroke of each colour and the series' name, in a box.
        double rowHeight = 20;
        double boxWidth = 44 + 7.5 * series.Max(s => s.Name.Length), boxHeight = 10 + rowHeight * series.Count;
        double boxX = MarginLeft + plotWidth - boxWidth - 10;
        double boxY = legend == LegendCorner.TopRight ? MarginTop + 10 : MarginTop + plotHeight - boxHeight - 10;
        svg.AppendLine("  <g class=\"legend\" font-size=\"13\">");
        svg.AppendLine($"    <rect x=\"{F(boxX)}\" y=\"{F(boxY)}\" width=\"{F(boxWidth)}\" height=\"{F(boxHeight)}\" fill=\"white\" fill-opacity=\"0.9\" stroke=\"#bbb\" />");
        for (int i = 0; i < series.Count; i++)
        {
            double rowY = boxY + 5 + rowHeight * (i + 0.5);
            svg.AppendLine($"    <line x1=\"{F(boxX + 8)}\" y1=\"{F(rowY)}\" x2=\"{F(boxX + 30)}\" y2=\"{F(rowY)}\" stroke=\"{series[i].Color}\" stroke-width=\"2\"{(series[i].Dashed ? " stroke-dasharray=\"6,4\"" : "")} />");
            svg.AppendLine($"    <text x=\"{F(boxX + 36)}\" y=\"{F(rowY + 4.5)}\" fill=\"#333\">{Escape(series[i].Name)}</text>");
        }
        svg.AppendLine("  </g>");

        return End(svg);
    }

    /// <summary>
    /// A heatmap of <paramref name="counts"/>: row i is drawn i-th from the top, column j j-th from
    /// the left, each cell shaded from white (0) to dark blue (the largest count) with its count
    /// written in it. The shade follows the square root of the count, so that a few mistakes
    /// beside a diagonal of dozens still show.
    /// </summary>
    /// <param name="title">The title above the chart.</param>
    /// <param name="xLabel">What the columns are (under the chart).</param>
    /// <param name="yLabel">What the rows are (beside the chart).</param>
    /// <param name="counts">A square matrix of counts.</param>
    /// <param name="labels">The name of each row and column.</param>
    /// <returns>The SVG document.</returns>
    public static string Heatmap(string title, string xLabel, string yLabel, int[,] counts, IReadOnlyList<string> labels)
    {
        int n = counts.GetLength(0);
        const double cell = 36, left = 76, top = 52, right = 24, bottom = 62;
        double width = left + n * cell + right, height = top + n * cell + bottom;
        int max = Math.Max(1, counts.Cast<int>().Max());

        var svg = Begin(width, height, title);
        svg.AppendLine("  <g class=\"cells\" font-size=\"13\" text-anchor=\"middle\">");
        for (int row = 0; row < n; row++)
        {
            for (int col = 0; col < n; col++)
            {
                int count = counts[row, col];
                double shade = Math.Sqrt((double)count / max);
                double x = left + col * cell, y = top + row * cell;
                svg.AppendLine($"    <rect x=\"{F(x)}\" y=\"{F(y)}\" width=\"{F(cell)}\" height=\"{F(cell)}\" fill=\"{Blue(shade)}\" stroke=\"#fff\">" +
                    $"<title>{Escape($"{yLabel} {labels[row]}, {xLabel} {labels[col]}: {count}")}</title></rect>");
                string ink = count == 0 ? "#bbb" : shade > 0.5 ? "#fff" : "#222";
                svg.AppendLine($"    <text x=\"{F(x + cell / 2)}\" y=\"{F(y + cell / 2 + 4.5)}\" fill=\"{ink}\">{count}</text>");
            }
        }
        svg.AppendLine("  </g>");

        svg.AppendLine("  <g class=\"axes\" font-size=\"13\" fill=\"#333\" text-anchor=\"middle\">");
        for (int i = 0; i < n; i++)
        {
            svg.AppendLine($"    <text x=\"{F(left + (i + 0.5) * cell)}\" y=\"{F(top + n * cell + 18)}\">{Escape(labels[i])}</text>");
            svg.AppendLine($"    <text x=\"{F(left - 12)}\" y=\"{F(top + (i + 0.5) * cell + 4.5)}\" text-anchor=\"end\">{Escape(labels[i])}</text>");
        }
        svg.AppendLine($"    <rect x=\"{F(left)}\" y=\"{F(top)}\" width=\"{F(n * cell)}\" height=\"{F(n * cell)}\" fill=\"none\" stroke=\"#333\" />");
        svg.AppendLine($"    <text x=\"{F(left + n * cell / 2)}\" y=\"{F(height - 16)}\" font-size=\"14\">{Escape(xLabel)}</text>");
        svg.AppendLine($"    <text transform=\"translate(24 {F(top + n * cell / 2)}) rotate(-90)\" font-size=\"14\">{Escape(yLabel)}</text>");
        svg.AppendLine("  </g>");
        return End(svg);
    }

    /// <summary>The XML declaration, the root element, a white background and the title.</summary>
    private static StringBuilder Begin(double width, double height, string title)
    {
        var svg = new StringBuilder();
        svg.AppendLine("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
        svg.AppendLine($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{F(width)}\" height=\"{F(height)}\" viewBox=\"0 0 {F(width)} {F(height)}\" font-family=\"Helvetica, Arial, sans-serif\">");
        svg.AppendLine($"  <rect width=\"{F(width)}\" height=\"{F(height)}\" fill=\"white\" />");
        svg.AppendLine($"  <text class=\"title\" x=\"{F(width / 2)}\" y=\"28\" text-anchor=\"middle\" font-size=\"16\" font-weight=\"bold\" fill=\"#222\">{Escape(title)}</text>");
        return svg;
    }

    private static string End(StringBuilder svg) => svg.AppendLine("</svg>").ToString();

    /// <summary>White for 0, through light blues, to dark blue (#08306b) for 1.</summary>
    private static string Blue(double t)
    {
        int Mix(int from, int to) => (int)Math.Round(from + (to - from) * t);
        return $"#{Mix(255, 8):x2}{Mix(255, 48):x2}{Mix(255, 107):x2}";
    }

    /// <summary>A coordinate, with '.' as the decimal point whatever the culture.</summary>
    private static string F(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>Text made safe to put between XML tags or in an attribute (&amp;, &lt;, ...).</summary>
    private static string Escape(string text) => SecurityElement.Escape(text);

    /// <summary>
    /// An axis from <see cref="Min"/> to <see cref="Max"/> with a tick every <see cref="Step"/>,
    /// the step being 1, 2 or 5 times a power of ten, as people round numbers.
    /// </summary>
    private sealed record Axis(double Min, double Max, double Step)
    {
        /// <summary>An axis holding [low, high] with about five ticks.</summary>
        public static Axis Nice(double low, double high, double minStep = 0)
        {
            if (high - low < 1e-12) (low, high) = (low - 0.5, high + 0.5);
            double rough = (high - low) / 5;
            double power = Math.Pow(10, Math.Floor(Math.Log10(rough)));
            double step = new[] { 1.0, 2, 5, 10 }.Select(m => m * power).First(s => s >= rough * (1 - 1e-9));
            step = Math.Max(step, minStep);
            return new Axis(Math.Floor(low / step + 1e-9) * step, Math.Ceiling(high / step - 1e-9) * step, step);
        }

        public IEnumerable<double> Ticks()
        {
            int count = (int)Math.Round((Max - Min) / Step);
            for (int i = 0; i <= count; i++) yield return Min + i * Step;
        }

        /// <summary>A tick label with as many decimals as the step needs (0.05 → two).</summary>
        public string Format(double value)
        {
            int decimals = Math.Max(0, (int)Math.Ceiling(-Math.Log10(Step) - 1e-9));
            return value.ToString("F" + decimals, CultureInfo.InvariantCulture);
        }
    }
}
