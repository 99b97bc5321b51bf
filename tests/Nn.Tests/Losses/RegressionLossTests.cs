using NUnit.Framework;
using Shouldly;
using F = Autograd.Nn.Functional;

namespace Autograd.Nn.Tests.Losses;

/// <summary>
/// MseLoss, L1Loss, HuberLoss and SmoothL1Loss: the fused ops against the same losses written with
/// primitive tensor ops, finite differences (GradCheck, Float64), the kinks, reductions, shapes and
/// every rejected argument.
/// </summary>
[TestFixture]
public sealed class RegressionLossTests
{
    public enum Kind { Mse, L1, Huber, HuberDelta2, SmoothL1, SmoothL1Beta05, SmoothL1Beta0 }

    private static readonly Reduction[] Reductions = [Reduction.None, Reduction.Mean, Reduction.Sum];

    private static Tensor Fused(Kind kind, Tensor x, Tensor y, Reduction r) => kind switch
    {
        Kind.Mse => F.MseLoss(x, y, r),
        Kind.L1 => F.L1Loss(x, y, r),
        Kind.Huber => F.HuberLoss(x, y, r),
        Kind.HuberDelta2 => F.HuberLoss(x, y, r, delta: 2),
        Kind.SmoothL1 => F.SmoothL1Loss(x, y, r),
        Kind.SmoothL1Beta05 => F.SmoothL1Loss(x, y, r, beta: 0.5),
        _ => F.SmoothL1Loss(x, y, r, beta: 0),
    };

    private static Tensor Primitive(Kind kind, Tensor x, Tensor y, Reduction r)
    {
        var d = x - y;
        var a = d.Abs();
        var loss = kind switch
        {
            Kind.Mse => d * d,
            Kind.L1 or Kind.SmoothL1Beta0 => a,
            Kind.Huber => Tensor.Where(a.Lt(1), 0.5 * d * d, 1 * (a - 0.5 * 1)),
            Kind.HuberDelta2 => Tensor.Where(a.Lt(2), 0.5 * d * d, 2 * (a - 0.5 * 2)),
            Kind.SmoothL1 => Tensor.Where(a.Lt(1), 0.5 * d * d / 1, a - 0.5 * 1),
            _ => Tensor.Where(a.Lt(0.5), 0.5 * d * d / 0.5, a - 0.5 * 0.5),
        };
        return r switch { Reduction.Mean => loss.Mean(), Reduction.Sum => loss.Sum(), _ => loss };
    }

    private static Tensor Leaf(Tensor t)
    {
        t.RequiresGrad = true;
        return t;
    }

    [Test]
    public void FusedGradient_EqualsAutogradOfPrimitives([Values] Kind kind,
        [Values(DType.Float32, DType.Float64)] DType dtype, [ValueSource(nameof(Reductions))] Reduction reduction)
    {
        // Few roundings per element on both sides: float32 2e-6 relative + 1 ulp(1)·g absolute, float64 1e-13 + 1e-15.
        var (rel, abs) = dtype == DType.Float32 ? (2e-6, 2e-7) : (1e-13, 1e-15);
        var g = new Generator(11);
        var x0 = (Tensor.Rand([3, 5], g, dtype) - 0.5) * 6;
        var y0 = (Tensor.Rand([3, 5], g, dtype) - 0.5) * 2;
        var v = Tensor.Rand([3, 5], g, dtype) - 0.5;
        var results = new List<Tensor[]>();
        foreach (var fused in new[] { true, false })
        {
            var (x, y) = (Leaf(x0.Clone()), Leaf(y0.Clone()));
            var loss = fused ? Fused(kind, x, y, reduction) : Primitive(kind, x, y, reduction);
            var seed = loss.Rank == 0 ? Tensor.Scalar(0.75, dtype) : Tensor.Rand([3, 5], new Generator(12), dtype);
            var grads = Tape.Grad(loss, [x, y], seed, createGraph: true);
            // L1's gradient is piecewise constant: nothing in it depends on x or y, its derivative is 0.
            var s = (grads[0] * v).Sum();
            var hvp = s.RequiresGrad ? Tape.Grad(s, [x, y], allowUnused: true) : [null!, null!];
            results.Add([loss, grads[0], grads[1], hvp[0] ?? Tensor.ZerosLike(x), hvp[1] ?? Tensor.ZerosLike(y)]);
        }
        string[] names = ["loss", "d/dinput", "d/dtarget", "Hessian-vector product (input)", "Hessian-vector product (target)"];
        for (int k = 0; k < names.Length; k++)
            ElementwiseLossFixtures.AssertClose(results[0][k], results[1][k], rel, abs, $"{kind} {dtype} {reduction}: {names[k]}");
    }

    [Test]
    public void GradCheck_AwayFromKinks_Passes([Values] Kind kind, [ValueSource(nameof(Reductions))] Reduction reduction)
    {
        // Differences d = x - y of ±{0.3, 0.8, 1.3, 1.7, 2.4, 3.1}: at least 0.2 from 0 and from every delta / beta used.
        var y = Tensor.Rand([2, 6], new Generator(13), DType.Float64) - 0.5;
        var d = Tensor.FromArray(new[] { 0.3, -0.8, 1.3, -1.7, 2.4, -3.1, -0.3, 0.8, -1.3, 1.7, -2.4, 3.1 }, 2, 6);
        var result = GradCheck.Check(t => Fused(kind, t[0], t[1], reduction), [y + d, y]);
        Assert.That(result.Passed, result.ToString());
    }

    [Test]
    public void Kinks_GradientsArePyTorchs()
    {
        // d = 0 -> 0 for every loss; |d| == delta / beta -> the linear branch, equal to the quadratic one.
        var x = Leaf(Tensor.FromArray(new[] { 0.0, 1.0, -1.0, 0.5, -0.5 }, 5));
        var y = Tensor.Zeros([5], DType.Float64);
        double[] Grad(Func<Tensor> loss) => Tape.Grad(loss(), [x])[0].ToArray<double>();
        Assert.Multiple(() =>
        {
            Assert.That(Grad(() => F.L1Loss(x, y, Reduction.Sum)), Is.EqualTo(new[] { 0.0, 1, -1, 1, -1 }));
            Assert.That(Grad(() => F.SmoothL1Loss(x, y, Reduction.Sum, beta: 0)), Is.EqualTo(new[] { 0.0, 1, -1, 1, -1 }));
            Assert.That(Grad(() => F.HuberLoss(x, y, Reduction.Sum, delta: 1)), Is.EqualTo(new[] { 0.0, 1, -1, 0.5, -0.5 }));
            Assert.That(Grad(() => F.HuberLoss(x, y, Reduction.Sum, delta: 0.5)), Is.EqualTo(new[] { 0.0, 0.5, -0.5, 0.5, -0.5 }));
            Assert.That(Grad(() => F.SmoothL1Loss(x, y, Reduction.Sum, beta: 0.5)), Is.EqualTo(new[] { 0.0, 1, -1, 1, -1 }));
            Assert.That(Grad(() => F.SmoothL1Loss(x, y, Reduction.Sum, beta: 1)), Is.EqualTo(new[] { 0.0, 1, -1, 0.5, -0.5 }));
            Assert.That(F.HuberLoss(x, y, Reduction.None, delta: 0.5).ToArray<double>(), Is.EqualTo(new[] { 0.0, 0.375, 0.375, 0.125, 0.125 }));
            Assert.That(F.SmoothL1Loss(x, y, Reduction.None, beta: 0.5).ToArray<double>(), Is.EqualTo(new[] { 0.0, 0.75, 0.75, 0.25, 0.25 }));
        });
    }

    [Test]
    public void HuberLoss_EqualsDeltaTimesSmoothL1WithBetaDelta()
    {
        var g = new Generator(14);
        var x = Tensor.Randn([4, 3], g, DType.Float64) * 2;
        var y = Tensor.Randn([4, 3], g, DType.Float64);
        var huber = F.HuberLoss(x, y, Reduction.None, delta: 0.7).ToArray<double>();
        var smooth = F.SmoothL1Loss(x, y, Reduction.None, beta: 0.7).ToArray<double>();
        Assert.That(huber, Is.EqualTo(smooth.Select(s => 0.7 * s)).Within(1e-15));
    }

    [Test]
    public void Reductions_NoneKeepsShape_MeanIsSumOverN([Values] Kind kind, [Values(DType.Float32, DType.Float64)] DType dtype)
    {
        var g = new Generator(15);
        var x = Tensor.Randn([2, 3, 2], g, dtype);
        var y = Tensor.Randn([2, 3, 2], g, dtype);
        var none = Fused(kind, x, y, Reduction.None);
        var sum = Fused(kind, x, y, Reduction.Sum);
        var mean = Fused(kind, x, y, Reduction.Mean);
        Assert.Multiple(() =>
        {
            Assert.That(none.Shape, Is.EqualTo(new[] { 2, 3, 2 }));
            Assert.That(none.DType, Is.EqualTo(dtype));
            Assert.That(sum.Rank, Is.Zero);
            Assert.That(mean.DType, Is.EqualTo(dtype));
            double exact = none.ToArray<double>().Sum();
            // The sum is compensated in double and rounded once: within half an ulp of the exact sum of the elements.
            Assert.That(sum.Item(), Is.EqualTo(exact).Within(dtype == DType.Float32 ? 4e-7 * exact : 1e-15 * exact));
            Assert.That(mean.Item(), Is.EqualTo(dtype == DType.Float32 ? (float)sum.Item() / 12f : sum.Item() / 12));
        });
    }

    [Test]
    public void ZeroDimensionalInput_GivesZeroDimensionalLoss([Values] Kind kind)
    {
        var x = Leaf(Tensor.Scalar(2.5));
        var y = Tensor.Scalar(0.5);
        var loss = Fused(kind, x, y, Reduction.None);
        loss.Rank.ShouldBe(0);
        Tape.Grad(loss, [x])[0].Rank.ShouldBe(0);
    }

    [Test]
    public void EmptyInput_MeanIsNaN_SumIsZero([Values] Kind kind)
    {
        var x = Leaf(Tensor.Zeros([0, 3]));
        var y = Tensor.Zeros([0, 3]);
        Assert.Multiple(() =>
        {
            Assert.That(Fused(kind, x, y, Reduction.Mean).Item(), Is.NaN);
            Assert.That(Fused(kind, x, y, Reduction.Sum).Item(), Is.Zero);
            Assert.That(Fused(kind, x, y, Reduction.None).Shape, Is.EqualTo(new[] { 0, 3 }));
            Assert.That(Tape.Grad(Fused(kind, x, y, Reduction.Mean), [x])[0].Shape, Is.EqualTo(new[] { 0, 3 }));
        });
    }

    [Test]
    public void Loss_IsOneFusedOp()
    {
        var x = Leaf(Tensor.Randn([4], new Generator(16)));
        var y = Tensor.Randn([4], new Generator(17));
        Assert.Multiple(() =>
        {
            Assert.That(F.MseLoss(x, y).GradFnName, Is.EqualTo("MseLossBackward"));
            Assert.That(F.L1Loss(x, y).GradFnName, Is.EqualTo("L1LossBackward"));
            Assert.That(F.HuberLoss(x, y).GradFnName, Is.EqualTo("HuberLossBackward"));
            Assert.That(F.SmoothL1Loss(x, y).GradFnName, Is.EqualTo("SmoothL1LossBackward"));
        });
    }

    [Test]
    public void MseLoss_ColumnInputAgainstVectorTarget_Throws()
    {
        // PyTorch warns and broadcasts (4, 1) against (4) to (4, 4), averaging 16 differences; here it is an error.
        var x = Tensor.Randn([4, 1], new Generator(18));
        var y = Tensor.Randn([4], new Generator(19));
        var ex = Should.Throw<ArgumentException>(() => F.MseLoss(x, y));
        ex.ParamName.ShouldBe("target");
        ex.Message.ShouldContain("[4]");
        ex.Message.ShouldContain("[4, 1]");
        ex.Message.ShouldContain("MseLoss");
    }

    [Test]
    public void TargetOfOtherShape_Throws([Values] Kind kind)
    {
        var ex = Should.Throw<ArgumentException>(() => Fused(kind, Tensor.Zeros(2, 3), Tensor.Zeros(3, 2), Reduction.Mean));
        ex.Message.ShouldContain("[3, 2]");
        ex.Message.ShouldContain("[2, 3]");
    }

    [Test]
    public void Int64InputOrTarget_Throws([Values] Kind kind)
    {
        var ints = Tensor.FromArray(new long[] { 1, 2 }, 2);
        var floats = Tensor.Zeros(2);
        var ex = Should.Throw<ArgumentException>(() => Fused(kind, ints, floats, Reduction.Mean));
        ex.ParamName.ShouldBe("input");
        ex.Message.ShouldContain("Int64");
        ex = Should.Throw<ArgumentException>(() => Fused(kind, floats, ints, Reduction.Mean));
        ex.ParamName.ShouldBe("target");
        ex.Message.ShouldContain("Int64");
    }

    [Test]
    public void TargetOfOtherFloatDType_Throws([Values] Kind kind)
    {
        var ex = Should.Throw<ArgumentException>(() => Fused(kind, Tensor.Zeros(2), Tensor.Zeros([2], DType.Float64), Reduction.Mean));
        ex.ParamName.ShouldBe("target");
        ex.Message.ShouldContain("Float64");
        ex.Message.ShouldContain("Float32");
    }

    [Test]
    public void NullArguments_Throw([Values] Kind kind)
    {
        Should.Throw<ArgumentNullException>(() => Fused(kind, null!, Tensor.Zeros(2), Reduction.Mean)).ParamName.ShouldBe("input");
        Should.Throw<ArgumentNullException>(() => Fused(kind, Tensor.Zeros(2), null!, Reduction.Mean)).ParamName.ShouldBe("target");
    }

    [Test]
    public void UnknownReduction_Throws([Values] Kind kind)
        => Should.Throw<ArgumentOutOfRangeException>(() => Fused(kind, Tensor.Zeros(2), Tensor.Zeros(2), (Reduction)7)).ParamName.ShouldBe("reduction");

    [TestCase(0.0)]
    [TestCase(-1.0)]
    [TestCase(double.NaN)]
    public void HuberLoss_NonPositiveDelta_Throws(double delta)
    {
        var ex = Should.Throw<ArgumentOutOfRangeException>(() => F.HuberLoss(Tensor.Zeros(2), Tensor.Zeros(2), delta: delta));
        ex.ParamName.ShouldBe("delta");
        ex.Message.ShouldContain("positive");
    }

    [TestCase(-0.5)]
    [TestCase(double.NaN)]
    public void SmoothL1Loss_NegativeBeta_Throws(double beta)
    {
        var ex = Should.Throw<ArgumentOutOfRangeException>(() => F.SmoothL1Loss(Tensor.Zeros(2), Tensor.Zeros(2), beta: beta));
        ex.ParamName.ShouldBe("beta");
        ex.Message.ShouldContain(">= 0");
    }
}
