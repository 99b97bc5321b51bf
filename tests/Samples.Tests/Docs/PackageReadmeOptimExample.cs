using Autograd;
using Autograd.Optim;
using NUnit.Framework;

namespace Autograd.Samples.Tests.Docs;

/// <summary>The example of src/Optim/PACKAGE.md, verbatim, in its own file so that its two using directives are found together.</summary>
[TestFixture]
public sealed class PackageReadmeOptimExample
{
    [Test]
    public void Optim_Package_MinimisesAQuadratic() => DocRunner.ShouldPrintItsComments(() =>
    {
        var w = Tensor.FromArray([4.0, -3.0]);
        w.RequiresGrad = true;
        var optimizer = new SGD([w], lr: 0.1, momentum: 0.9);
        for (int step = 0; step < 500; step++)
        {
            optimizer.ZeroGrad();
            (w * w).Sum().Backward();   // minimise |w|²
            optimizer.Step();
        }
        Console.WriteLine(w.Abs().Max().Item() < 1e-6);   // True
    });
}
