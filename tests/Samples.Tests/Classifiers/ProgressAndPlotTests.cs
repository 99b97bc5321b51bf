using System.Xml.Linq;
using Autograd.Samples.Classifiers;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Samples.Tests.Classifiers;

/// <summary>The progress display (terminal and redirected) and the SVG writer's edge cases.</summary>
[TestFixture]
public sealed class ProgressAndPlotTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    private static string Show(bool interactive, int epochs)
    {
        var writer = new StringWriter();
        var progress = new Progress(writer, interactive);
        progress.Start(epochs);
        for (int e = 1; e <= epochs; e++)
            progress.Report(new EpochStats(e, 1.0 / e, 0.5 + 0.04 * e, 2.0 / e, 0.5 + 0.03 * e));
        return writer.ToString();
    }

    [Test]
    public void Progress_Terminal_RedrawsOneLineWithABar()
    {
        string text = Show(interactive: true, epochs: 4);
        text.Count(c => c == '\r').ShouldBe(4);
        text.Count(c => c == '\n').ShouldBe(1);  // one line, ended after the last epoch
        text.ShouldContain("  epoch 2/4 [############............] loss 0.5000  train 58.0%  test 56.0%");
        text.ShouldEndWith("  epoch 4/4 [########################] loss 0.2500  train 66.0%  test 62.0%" + Environment.NewLine);
    }

    [Test]
    public void Progress_Redirected_PlainLinesAboutTenPerRun()
    {
        string text = Show(interactive: false, epochs: 25);
        text.ShouldNotContain("\r");
        var lines = text.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        // Every second epoch (25 / 10 = 2), and the last one.
        lines.Length.ShouldBe(13);
        lines[0].ShouldBe("  epoch  2/25  loss 0.5000  train 58.0%  test 56.0%");
        lines[^1].ShouldStartWith("  epoch 25/25  loss 0.0400");
    }

    [Test]
    public void Percent_OneDecimalWithAPoint() => Progress.Percent(0.97368).ShouldBe("97.4%");

    [Test]
    public void LineChart_OnePointAndSpecialCharacters_StillWellFormed()
    {
        string text = SvgPlot.LineChart("loss & <accuracy>", "epoch", "\"y\"",
            [new Series("a < b", [1.0], [0.25], "#000")]);
        var doc = XDocument.Parse(text);
        doc.Root!.Elements(Svg + "text").Single().Value.ShouldBe("loss & <accuracy>");
        // A single point: no line to draw, so the dot shows it.
        doc.Descendants(Svg + "circle").Count().ShouldBe(1);
    }

    [Test]
    public void LineChart_Ticks_AreRoundNumbersCoveringTheData()
    {
        var doc = XDocument.Parse(SvgPlot.LineChart("t", "epoch", "y",
            [new Series("s", [1.0, 2, 3, 4, 5, 6, 7], [0.13, 0.2, 0.31, 0.47, 0.52, 0.6, 0.68], "#000")]));
        var labels = doc.Descendants(Svg + "g").Single(g => (string?)g.Attribute("class") == "axes")
            .Elements(Svg + "text").Select(t => t.Value).ToList();
        // About five ticks, 1, 2 or 5 times a power of ten apart, the axis rounded out to them:
        // x spans 6, a fifth is 1.2, so a step of 2 from 0 to 8; y spans 0.55, so 0.2 from 0 to 0.8.
        labels.ShouldBe(["0", "2", "4", "6", "8", "0.0", "0.2", "0.4", "0.6", "0.8", "epoch", "y"]);
    }

    [Test]
    public void Heatmap_CountsInRowMajorOrder_DarkestCellHasWhiteText()
    {
        var doc = XDocument.Parse(SvgPlot.Heatmap("m", "predicted", "true", new[,] { { 5, 1 }, { 0, 3 } }, ["x", "y"]));
        var cells = doc.Descendants(Svg + "g").Single(g => (string?)g.Attribute("class") == "cells");
        var texts = cells.Elements(Svg + "text").ToList();
        texts.Select(t => t.Value).ShouldBe(["5", "1", "0", "3"]);
        ((string?)texts[0].Attribute("fill")).ShouldBe("#fff");
        cells.Elements(Svg + "rect").Select(r => (string?)r.Attribute("fill")).First().ShouldBe("#08306b");
        cells.Elements(Svg + "rect").Select(r => r.Element(Svg + "title")!.Value).ShouldContain("true y, predicted x: 0");
    }
}
