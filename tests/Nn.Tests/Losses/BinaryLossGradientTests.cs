using NUnit.Framework;
using F = Autograd.Nn.Functional;

namespace Autograd.Nn.Tests.Losses;

/// <summary>
/// The fused BCE ops against the same losses written with primitive tensor ops (whose gradients
/// autograd derives), and against finite differences (GradCheck, Float64).
/// </summary>
[TestFixture]
public sealed class BinaryLossGradientTests
{
    private static readonly Reduction[] Reductions = [Reduction.None, Reduction.Mean, Reduction.Sum];

    // The primitive graphs round 6-12 times per element, in another order than the fused kernels,
    // and their gradients are differences of terms up to 1/min(x, 1 - x) = 10 (BCE) or of O(1)
    // softplus terms: float32 1e-5 relative + 1e-6 absolute (~8 ulps of the terms), float64 1e-12 + 1e-14.
    private static (double Rel, double Abs) Tolerance(DType dtype) => dtype == DType.Float32 ? (1e-5, 1e-6) : (1e-12, 1e-14);

    private static Tensor Leaf(Tensor t)
    {
        t.RequiresGrad = true;
        return t;
    }

    private static Tensor Reduce(Tensor perElement, Reduction reduction) => reduction switch
    {
        Reduction.Mean => perElement.Mean(),
        Reduction.Sum => perElement.Sum(),
        _ => perElement,
    };

    /// <summary>-w [y log x + (1 - y) log(1 - x)] from Log, Clamp, * and -.</summary>
    private static Tensor PrimitiveBce(Tensor x, Tensor y, Tensor? w, Reduction reduction)
    {
        var loss = -(y * x.Log().Clamp(min: -100) + (1 - y) * (1 - x).Log().Clamp(min: -100));
        return Reduce(w is null ? loss : loss * w, reduction);
    }

    /// <summary>(1 - y) x + (1 + (p - 1) y) softplus(-x), softplus(-x) = relu(-x) + log(1 + e^-|x|).</summary>
    private static Tensor PrimitiveBceWithLogits(Tensor x, Tensor y, Tensor? w, Tensor? p, Reduction reduction)
    {
        var softplus = (-x).Relu() + (1 + (-x.Abs()).Exp()).Log();
        var loss = (1 - y) * x + (p is null ? softplus : (1 + (p - 1) * y) * softplus);
        return Reduce(w is null ? loss : loss * w, reduction);
    }

    /// <summary>Loss, input and target gradients and a Hessian-vector product of two formulations at one point.</summary>
    private static void AssertSameLossAndDerivatives(Func<Tensor, Tensor, Tensor> fused, Func<Tensor, Tensor, Tensor> primitive,
        Tensor x0, Tensor y0, string what)
    {
        var (rel, abs) = Tolerance(x0.DType);
        var results = new List<Tensor[]>();
        foreach (var f in new[] { fused, primitive })
        {
            var (x, y) = (Leaf(x0.Clone()), Leaf(y0.Clone()));
            var loss = f(x, y);
            var seed = loss.Rank == 0 ? Tensor.Scalar(0.75, loss.DType) : Tensor.Rand([.. loss.Shape], new Generator(7), loss.DType);
            var grads = Tape.Grad(loss, [x, y], seed, createGraph: true);
            var v = Tensor.Rand([.. x.Shape], new Generator(8), x.DType) - 0.5;
            var hvp = Tape.Grad((grads[0] * v).Sum(), [x, y]);
            results.Add([loss, grads[0], grads[1], hvp[0], hvp[1]]);
        }
        string[] names = ["loss", "d/dinput", "d/dtarget", "Hessian-vector product (input)", "Hessian-vector product (target)"];
        for (int k = 0; k < names.Length; k++)
            ElementwiseLossFixtures.AssertClose(results[0][k], results[1][k], rel, abs, $"{what}: {names[k]}");
    }

    [Test]
    public void BinaryCrossEntropy_FusedGradient_EqualsAutogradOfPrimitives(
        [Values(DType.Float32, DType.Float64)] DType dtype, [ValueSource(nameof(Reductions))] Reduction reduction, [Values] bool weighted)
    {
        var g = new Generator(1);
        var x = Tensor.Rand([3, 4], g, dtype) * 0.8 + 0.1;
        var y = Tensor.Rand([3, 4], g, dtype);
        var w = weighted ? Tensor.Rand([4], g, dtype) * 2 : null;
        AssertSameLossAndDerivatives(
            (a, b) => F.BinaryCrossEntropy(a, b, w, reduction),
            (a, b) => PrimitiveBce(a, b, w, reduction), x, y, $"BCE {dtype} {reduction} weighted={weighted}");
    }

    [Test]
    public void BinaryCrossEntropyWithLogits_FusedGradient_EqualsAutogradOfPrimitives(
        [Values(DType.Float32, DType.Float64)] DType dtype, [ValueSource(nameof(Reductions))] Reduction reduction,
        [Values] bool weighted, [Values] bool posWeighted)
    {
        var g = new Generator(2);
        var x = (Tensor.Rand([4, 3], g, dtype) - 0.5) * 8;
        var y = Tensor.Rand([4, 3], g, dtype);
        var w = weighted ? Tensor.Rand([4, 1], g, dtype) * 2 : null;
        var p = posWeighted ? Tensor.Rand([3], g, dtype) * 3 + 0.25 : null;
        AssertSameLossAndDerivatives(
            (a, b) => F.BinaryCrossEntropyWithLogits(a, b, w, p, reduction),
            (a, b) => PrimitiveBceWithLogits(a, b, w, p, reduction), x, y,
            $"BCEWithLogits {dtype} {reduction} weighted={weighted} posWeighted={posWeighted}");
    }

    [Test]
    public void BinaryCrossEntropy_GradCheck_Passes([ValueSource(nameof(Reductions))] Reduction reduction, [Values] bool weighted)
    {
        var g = new Generator(3);
        var x = Tensor.Rand([2, 3], g, DType.Float64) * 0.8 + 0.1;
        var y = Tensor.Rand([2, 3], g, DType.Float64);
        var w = weighted ? Tensor.Rand([3], g, DType.Float64) + 0.5 : null;
        var result = GradCheck.Check(t => F.BinaryCrossEntropy(t[0], t[1], w, reduction), [x, y]);
        Assert.That(result.Passed, result.ToString());
    }

    [Test]
    public void BinaryCrossEntropyWithLogits_GradCheck_Passes([ValueSource(nameof(Reductions))] Reduction reduction,
        [Values] bool weighted, [Values] bool posWeighted)
    {
        var g = new Generator(4);
        var x = (Tensor.Rand([2, 3], g, DType.Float64) - 0.5) * 6;
        var y = Tensor.Rand([2, 3], g, DType.Float64);
        var w = weighted ? Tensor.Rand([2, 1], g, DType.Float64) + 0.5 : null;
        var p = posWeighted ? Tensor.Rand([3], g, DType.Float64) * 3 + 0.25 : null;
        var result = GradCheck.Check(t => F.BinaryCrossEntropyWithLogits(t[0], t[1], w, p, reduction), [x, y]);
        Assert.That(result.Passed, result.ToString());
    }
}
