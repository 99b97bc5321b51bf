using Autograd.Interactive;
using Microsoft.DotNet.Interactive.Formatting;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Samples.Tests.Notebooks;

/// <summary>The notebook formatters of Autograd.Interactive, and the package README's example.</summary>
[TestFixture]
public sealed class FormatterTests
{
    [OneTimeSetUp]
    public void RegisterFormatters() => AutogradFormatters.Register();

    [Test]
    public void Tensor_IsAnHtmlTableOfItsValues()
    {
        var t = Tensor.FromArray(new float[,] { { 1, 2.5f }, { -3, 4 } });
        string html = t.ToDisplayString(HtmlFormatter.MimeType);
        html.ShouldContain("<table class=\"autograd-tensor\">");
        html.ShouldContain("shape (2, 2), Float32");
        html.ShouldContain("<tr><td>1</td><td>2.5</td></tr><tr><td>-3</td><td>4</td></tr>");
    }

    [Test]
    public void LargeTensor_ShowsItsCornerAndEllipses()
    {
        string html = Tensor.Zeros(20, 30).ToDisplayString(HtmlFormatter.MimeType);
        html.Split("<tr>").Length.ShouldBe(AutogradFormatters.MaxShown + 2);   // the rows shown, the "…" row, and the text before the first
        html.ShouldContain("<td>…</td>");
    }

    [Test]
    public void Trace_IsATableOfTheSteps_AndGraphPictureIsItsSvg()
    {
        var x = Tensor.FromArray([1.0, 2.0]);
        x.RequiresGrad = true;
        x.Name = "x";
        var y = (x * x).Sum();
        var trace = Tape.TraceBackward(y, retainGraph: true);
        string html = System.Net.WebUtility.HtmlDecode(trace.ToDisplayString(HtmlFormatter.MimeType));   // ∂ and · are written as character references
        html.ShouldContain("<table class=\"autograd-trace\">");
        html.ShouldContain("∂/∂a = g·b");
        html.Split("x: [1, 2]").Length.ShouldBe(3);   // x used twice by Mul: it receives g·x from each side
        html.ShouldContain("<td>[2, 4]</td>");        // the leaf's sum
        y.Draw(trace).ToDisplayString(HtmlFormatter.MimeType).ShouldStartWith("<svg");
    }
}
