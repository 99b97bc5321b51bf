using Autograd;
using Autograd.Nn;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Samples.Tests.Docs;

/// <summary>
/// The examples of <c>docs/autograd.md</c> and <c>README.md</c>, verbatim, each run and checked
/// against the values its comments show (DocsInSyncTests keeps the copies in sync with the docs).
/// </summary>
[TestFixture]
public sealed class AutogradDocExamples
{
    [Test]
    public void Readme_FirstExample_PrintsWhatTheReadmeShows()
    {
        string printed = DocRunner.Capture(() =>
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
            Console.WriteLine(y.ToDot());  // the recorded graph, for Graphviz
        });
        var lines = printed.Split('\n');
        DocRunner.ShouldMatchPrinted(string.Join("\n", lines[..3]), """
            tensor(1.7392, shape=(), grad_fn=<SumBackward>)
            tensor([ 0.1175, -0.1050,  0.0049], shape=(3,))
            tensor([0.2350, 0.2100, 0.0074], shape=(3,))
            """);
        lines[3].ShouldStartWith("digraph");
        string.Join("\n", lines[3..]).ShouldContain("Sigmoid");
    }

    [Test]
    public void Tensors_Factories_GiveTheDocumentedShapesAndDTypes()
    {
        var a = Tensor.FromArray([1f, 2f, 3f, 4f], 2, 2);   // shape (2, 2)
        var b = Tensor.FromArray(new double[,] { { 1, 2 }, { 3, 4 } });
        var t = Tensor.FromArray([0L, 2L, 1L]);              // Int64 targets
        var s = Tensor.Scalar(2.5f);                          // 0-d
        var r = Tensor.Randn([3, 4], new Generator(42));      // seeded: same numbers on every machine

        a.Shape.ShouldBe([2, 2]);
        a.DType.ShouldBe(DType.Float32);
        (b.DType, b.Shape.Count).ShouldBe((DType.Float64, 2));
        t.DType.ShouldBe(DType.Int64);
        s.Rank.ShouldBe(0);
        r.ToArray<float>().ShouldBe(Tensor.Randn([3, 4], new Generator(42)).ToArray<float>());
    }

    [Test]
    public void Recording_SigmoidOfProduct_GivesTheDocumentedGradients()
    {
        var x = Tensor.FromArray([1.0f, 2.0f, 3.0f]);
        x.RequiresGrad = true;
        var w = Tensor.FromArray([0.5f, -1.0f, 2.0f]);
        w.RequiresGrad = true;
        var y = (x * w).Sigmoid().Sum();
        y.Backward();
        // y      = tensor(1.7392, shape=(), grad_fn=<SumBackward>)
        // x.Grad = tensor([ 0.1175, -0.1050,  0.0049], shape=(3,))
        // w.Grad = tensor([0.2350, 0.2100, 0.0074], shape=(3,))

        DocRunner.ShouldMatchPrinted($"{y}\n{x.Grad}\n{w.Grad}", """
            tensor(1.7392, shape=(), grad_fn=<SumBackward>)
            tensor([ 0.1175, -0.1050,  0.0049], shape=(3,))
            tensor([0.2350, 0.2100, 0.0074], shape=(3,))
            """);
    }

    [Test]
    public void Replaying_GraphAndGradCheck_GiveTheDocumentedOutput()
    {
        DocRunner.CaptureInTempDirectory(() =>
        {
            var gen = new Generator(0);
            var X = Tensor.Randn([4, 3], gen);
            var W = Tensor.Randn([3, 2], gen); W.RequiresGrad = true; W.Name = "weight";
            var b = Tensor.Zeros(2); b.RequiresGrad = true; b.Name = "bias";
            var loss = (X.MatMul(W) + b).Sigmoid().Mean();   // tensor(0.6142, shape=(), grad_fn=<MeanBackward>)
            File.WriteAllText("graph.dot", loss.ToDot());

            DocRunner.ShouldMatchPrinted(loss.ToString(), "tensor(0.6142, shape=(), grad_fn=<MeanBackward>)");
            string dot = File.ReadAllText("graph.dot");
            dot.ShouldStartWith("digraph");
            dot.ShouldContain("weight");
            dot.ShouldContain("bias");

            // The gradient check of the doc's last section draws from the same generator, after the graph's tensors.
            GradCheck.Check(t => (t[0] * t[1]).Tanh().Sum(), [Tensor.Randn([2, 3], gen), Tensor.Randn([3], gen)]);
            // GradCheck passed: max |analytic - numeric| = 1.611E-010 at input 1, element 0, output element 0
            //   (analytic 0.440296797, numeric 0.4402967968).

            var replay = new Generator(0);
            _ = Tensor.Randn([4, 3], replay);
            _ = Tensor.Randn([3, 2], replay);
            var result = GradCheck.Check(t => (t[0] * t[1]).Tanh().Sum(), [Tensor.Randn([2, 3], replay), Tensor.Randn([3], replay)]);
            result.Passed.ShouldBeTrue();
            DocRunner.ShouldMatchPrinted(result.ToString(),
                "GradCheck passed: max |analytic - numeric| = 1.611E-010 at input 1, element 0, output element 0 (analytic 0.440296797, numeric 0.4402967968).");
        });
    }

    [Test]
    public void Errors_SecondBackward_ThrowsTheDocumentedMessage()
    {
        var x = Tensor.FromArray([1.0f, 2.0f, 3.0f]);
        x.RequiresGrad = true;

        var e = Should.Throw<InvalidOperationException>(() =>
        {
            var y = (x.Exp() * x).Sum();
            y.Backward();
            y.Backward();   // InvalidOperationException:
            // Trying to backward through the graph a second time (through SumBackward), or to use its
            // saved tensors after they were freed. The first Backward() freed them: pass
            // retainGraph: true to the first Backward() (or Tape.Grad) if you need to backward
            // through the graph again.
        });
        e.Message.ShouldBe(
            "Trying to backward through the graph a second time (through SumBackward), or to use its saved tensors after they were freed. " +
            "The first Backward() freed them: pass retainGraph: true to the first Backward() (or Tape.Grad) if you need to backward through the graph again.");
    }

    [Test]
    public void NoGrad_Evaluation_RecordsNothing()
    {
        var model = new Linear(3, 2, generator: new Generator(0));
        var xTest = Tensor.Randn([4, 3], new Generator(1));

        using (Tape.NoGrad())
        {
            var pred = model.Forward(xTest);   // pred.RequiresGrad == false
        }

        using (Tape.NoGrad()) model.Forward(xTest).RequiresGrad.ShouldBeFalse();
        model.Forward(xTest).RequiresGrad.ShouldBeTrue();
    }

    [Test]
    public void GradientsOfGradients_Cube_GivesThreeAndSixZ()
    {
        var z = Tensor.FromArray([0.5, -2.0, 3.0]);
        z.RequiresGrad = true;
        var dz = Tape.Grad(z.Pow(3).Sum(), [z], createGraph: true)[0];
        // dz = tensor([ 0.7500, 12.0000, 27.0000], shape=(3,), dtype=Float64, grad_fn=<MulBackward>)   = 3z²
        var d2z = Tape.Grad(dz.Sum(), [z])[0];
        // d2z = tensor([  3., -12.,  18.], shape=(3,), dtype=Float64)                                  = 6z

        DocRunner.ShouldMatchPrinted($"{dz}\n{d2z}", """
            tensor([ 0.7500, 12.0000, 27.0000], shape=(3,), dtype=Float64, grad_fn=<MulBackward>)
            tensor([  3., -12.,  18.], shape=(3,), dtype=Float64)
            """);
    }

    [Test]
    public void ReleasingMemoryEarly_DisposedResultsAreReusedAndThrowAfterwards()
    {
        Tensor? kept = null;
        long allocated = 0;
        DocRunner.ShouldPrintItsComments(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            var x = Tensor.Randn([1 << 20], new Generator(0));
            for (int step = 0; step < 100; step++)
            {
                using var y = x.Sigmoid();   // from the second step on, y reuses the array the last y gave back
                // ... use y ...
            }

            var z = x.Exp();
            z.Dispose();
            z.Dispose();                     // a second Dispose does nothing
            Console.WriteLine(z);            // tensor(<disposed>, shape=(1048576,))
            Console.WriteLine(z.Shape[0]);   // 1048576: metadata stays readable
            // z.Sum() throws ObjectDisposedException: This tensor (shape [1048576], Float32) was disposed; ...
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            kept = z;
        });
        // x, the first y and z: three 4 MB arrays, not 101.
        allocated.ShouldBeLessThan(4L * 4 * (1 << 20));
        Should.Throw<ObjectDisposedException>(() => kept!.Sum()).Message
            .ShouldStartWith("This tensor (shape [1048576], Float32) was disposed; ");
    }

    sealed class Cube : Function
    {
        protected override Tensor Forward(IReadOnlyList<Tensor> inputs)
        {
            SaveForBackward(inputs[0]);
            return inputs[0] * inputs[0] * inputs[0];
        }

        // d(x^3)/dx = 3x^2
        protected override IReadOnlyList<Tensor?> Backward(Tensor grad)
            => [grad * 3 * SavedTensors[0] * SavedTensors[0]];
    }

    [Test]
    public void CustomFunction_Cube_GivesTheDocumentedValuesAndGradient()
    {
        var c = Tensor.FromArray([1.0, -2.0]);
        c.RequiresGrad = true;
        var cube = new Cube().Apply(c);   // tensor([ 1., -8.], ..., grad_fn=<CubeBackward>)
        cube.Sum().Backward();            // c.Grad = tensor([ 3., 12.], ...)

        DocRunner.ShouldMatchPrinted($"{cube}\n{c.Grad}", """
            tensor([ 1., -8.], shape=(2,), dtype=Float64, grad_fn=<CubeBackward>)
            tensor([ 3., 12.], shape=(2,), dtype=Float64)
            """);
    }

    [Test]
    public void TraceBackward_PrintsTheChainRule() => DocRunner.ShouldPrint(() =>
    {
        var x = Tensor.FromArray([1.0, 2.0]);
        x.RequiresGrad = true;
        x.Name = "x";
        var w = Tensor.FromArray([3.0, -1.0]);
        w.RequiresGrad = true;
        w.Name = "w";
        var y = (x * w).Sigmoid().Sum();   // y = Σ σ(x_i w_i)
        Console.Write(Tape.TraceBackward(y));
    }, """
        step 1: Sum  output []  inputs Sigmoid output [2]
          rule  ∂/∂x = g, repeated over the summed dims
          g     1
          → Sigmoid output  [1, 1]
        step 2: Sigmoid  output [2]  inputs Mul output [2]
          rule  ∂/∂x = g·σ(x)(1 − σ(x))
          g     [1, 1]
          → Mul output  [0.045177, 0.10499]
        step 3: Mul  output [2]  inputs x [2], w [2]
          rule  ∂/∂a = g·b, ∂/∂b = g·a (summed over broadcast dims)
          g     [0.045177, 0.10499]
          → x  [0.13553, -0.10499]
          → w  [0.045177, 0.20999]
        leaf gradients
          x  [0.13553, -0.10499]
          w  [0.045177, 0.20999]
        """);

    [Test]
    public void InPlace_RecordedOnANonLeaf_RebasesTheHistory() => DocRunner.ShouldPrintItsComments(() =>
    {
        var a = Tensor.FromArray([1.0, 2.0, 3.0]);
        a.RequiresGrad = true;
        var h = a * 2;
        var before = h + 1;                      // uses h's old value
        h.MulInPlace(a);                         // h = (2a)·a, recorded: MulBackward
        Console.WriteLine(h.GradFnName);         // MulBackward
        (before.Sum() + h.Sum()).Backward();
        Console.WriteLine(a.Grad);               // tensor([ 6., 10., 14.], shape=(3,), dtype=Float64)   = 2 + 4a
    });

    [Test]
    public void InPlace_ChangeOfASavedTensor_IsRefusedAtBackward()
    {
        var x = Tensor.FromArray([0.5f, -1f]);
        x.RequiresGrad = true;
        var ex = Should.Throw<InvalidOperationException>(() =>
        {
            var y = x.Sigmoid();                          // Sigmoid saves y for its backward
            using (Tape.NoGrad()) y.MulInPlace(2);
            y.Sum().Backward();                           // InvalidOperationException: ... modified by an in-place operation ...
        });
        ex.Message.ShouldContain("modified by an in-place operation");
    }

    [Test]
    public void InPlace_PolynomialFitTutorial_ManualUpdateLoopFits()
    {
        // The tutorial's data: y = sin(x) on [-pi, pi], fitted by a + b x + c x^2 + d x^3.
        var x = Tensor.Linspace(-Math.PI, Math.PI, 2000, DType.Float64);
        var y = x.Sin();
        var g = new Generator(0);
        Tensor Coefficient()
        {
            var t = Tensor.Randn([], g, DType.Float64);
            t.RequiresGrad = true;
            return t;
        }
        var (a, b, c, d) = (Coefficient(), Coefficient(), Coefficient(), Coefficient());
        double learningRate = 1e-6;
        double firstLoss = ((a + b * x + c * x.Pow(2) + d * x.Pow(3) - y).Pow(2).Sum()).Item();

        for (int t = 0; t < 2000; t++)
        {
            var yPred = a + b * x + c * x.Pow(2) + d * x.Pow(3);
            var loss = (yPred - y).Pow(2).Sum();
            loss.Backward();
            using (Tape.NoGrad())
            {
                a.SubInPlace(learningRate * a.Grad!);  // a -= learning_rate * a.grad
                b.SubInPlace(learningRate * b.Grad!);
                c.SubInPlace(learningRate * c.Grad!);
                d.SubInPlace(learningRate * d.Grad!);
                a.Grad = null;                         // or a.Grad.ZeroInPlace()
                b.Grad = null;
                c.Grad = null;
                d.Grad = null;
            }
        }

        double lastLoss = ((a + b * x + c * x.Pow(2) + d * x.Pow(3) - y).Pow(2).Sum()).Item();
        lastLoss.ShouldBeLessThan(firstLoss);
        lastLoss.ShouldBeLessThan(50.0); // the tutorial's fit reaches about 9 after 2000 steps
    }
}
