using Autograd;
using Autograd.Interactive;
using NUnit.Framework;

namespace Autograd.Samples.Tests.Docs;

/// <summary>The example of src/Interactive/PACKAGE.md, verbatim, in its own file so that its two using directives are found together.</summary>
[TestFixture]
public sealed class PackageReadmeInteractiveExample
{
    [Test]
    public void Package_Example() => DocRunner.ShouldPrintItsComments(() =>
    {
        AutogradFormatters.Register();
        var x = Tensor.FromArray([1.0, 2.0]);
        x.RequiresGrad = true;
        var y = (x * x).Sum();
        var trace = Tape.TraceBackward(y, retainGraph: true);
        var picture = y.Draw(trace);   // ends a notebook cell: the graph, with values and gradients
        Console.WriteLine(picture.Svg.StartsWith("<svg"));   // True
    });
}
