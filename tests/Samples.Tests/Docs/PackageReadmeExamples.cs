using System.Text.RegularExpressions;
using Autograd;
using Autograd.Nn;
using Autograd.Optim;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Samples.Tests.Docs;

/// <summary>
/// The examples of the package READMEs (src/*/PACKAGE.md, shipped as each package's README.md),
/// verbatim (DocsInSyncTests keeps them in sync), each run and checked; and the READMEs themselves
/// checked for what a package page cannot show: relative links and fresh-clone steps.
/// </summary>
[TestFixture]
public sealed partial class PackageReadmeExamples
{
    [Test]
    public void Autograd_Package_FirstGradient() => DocRunner.ShouldPrintItsComments(() =>
    {
        var x = Tensor.FromArray([1.0f, 2.0f, 3.0f]);
        x.RequiresGrad = true;
        var w = Tensor.FromArray([0.5f, -1.0f, 2.0f]);
        w.RequiresGrad = true;

        var y = (x * w).Sigmoid().Sum();   // y = Σ σ(x_i w_i)
        y.Backward();                      // replay the tape backwards

        Console.WriteLine(y);       // tensor(1.7392, shape=(), grad_fn=<SumBackward>)
        Console.WriteLine(x.Grad);  // tensor([ 0.1175, -0.1050,  0.0049], shape=(3,))  = σ'(x w) · w
        Console.WriteLine(w.Grad);  // tensor([0.2350, 0.2100, 0.0074], shape=(3,))     = σ'(x w) · x
    });

    [Test]
    public void Nn_Package_TrainsAClassifierAndSavesIt()
    {
        string printed = DocRunner.CaptureInTempDirectory(() =>
        {
            var g = new Generator(0);
            var x = Tensor.Randn([64, 4], g);
            var y = x.Sum(1).Gt(0).To(DType.Int64);   // two classes: is the sum of the features positive?

            var model = new Sequential(new Linear(4, 16, generator: g), new ReLU(), new Linear(16, 2, generator: g));
            var lossFn = new CrossEntropyLoss();
            var optimizer = new SGD(model.Parameters(), lr: 0.5);
            for (int epoch = 0; epoch < 100; epoch++)
            {
                optimizer.ZeroGrad();
                var loss = lossFn.Forward(model.Forward(x), y);
                loss.Backward();
                optimizer.Step();
            }
            var accuracy = model.Forward(x).ArgMax(1).Eq(y).To(DType.Float32).Mean();
            Console.WriteLine(accuracy.Item() > 0.95);   // True
            model.Save("model.safetensors");
            Console.WriteLine(File.Exists("model.safetensors"));
        });
        printed.ShouldBe("True\nTrue\n");
    }

    private static IEnumerable<string> PackageReadmes()
    {
        var root = DocsInSyncTests.RepositoryRoot;
        return new[] { "Autograd", "Nn", "Optim", "Interactive" }.Select(p => Path.Combine(root, "src", p, "PACKAGE.md"));
    }

    [TestCaseSource(nameof(PackageReadmes))]
    public void PackageReadme_IsWrittenForAPackagePage(string path)
    {
        File.Exists(path).ShouldBeTrue($"{path} is packed as the package's README (Directory.Build.targets)");
        string text = File.ReadAllText(path);
        text.ShouldContain("dotnet add package", customMessage: "the install line");
        text.ShouldContain("```csharp", customMessage: "a short example");
        text.ShouldContain("## What is in this package", customMessage: "what the package holds");
        // A package page has no repository beside it: no relative links, no fresh-clone steps.
        RelativeLink().Matches(text).Select(m => m.Value).ShouldBeEmpty();
        text.ShouldNotContain("git clone", Case.Insensitive);
        text.ShouldNotContain("fresh clone", Case.Insensitive);
        text.ShouldNotContain("dotnet run --project", Case.Insensitive);
    }

    [GeneratedRegex(@"\]\((?!https?://)[^)]*\)")]
    private static partial Regex RelativeLink();
}
