using NUnit.Framework;
using Shouldly;

namespace Autograd.Tests.Ops;

/// <summary>
/// Issue 13's elementwise ops beyond the PyTorch fixtures (<see cref="ElementwiseOpsFixtureTests"/>):
/// finite differences in Float64 (<see cref="GradCheck"/> with its defaults, eps 1e-6, atol 1e-5,
/// rtol 1e-3, on inputs away from ties, bounds and other kinks), second order through
/// <c>createGraph</c>, and bad input.
/// </summary>
[TestFixture]
public sealed class ElementwiseOpsTests
{
    private static IEnumerable<TestCaseData> GradCheckCases()
    {
        yield return Case("MT", x => x[0].MT, Normal(2, 3, 4));
        yield return Case("Maximum_Broadcast", x => x[0].Maximum(x[1]), Spread(2, 1, 3), Spread(4, 1));
        yield return Case("Minimum_Broadcast", x => x[0].Minimum(x[1]), Spread(2, 3), Spread(3));
        yield return Case("Clamp_Tensors", x => x[0].Clamp(x[1], x[2]), Spread(3, 4), Lower(4), Upper(3, 1));
        yield return Case("Clamp_MinTensor", x => x[0].Clamp(x[1], null), Spread(3, 4), Lower(3, 4));
        yield return Case("Clamp_MaxTensor", x => x[0].Clamp(null, x[1]), Spread(3, 4), Upper(4));
        yield return Case("Pow_Tensor", x => x[0].Pow(x[1]), Positive(2, 3), Normal(2, 3));
        yield return Case("Pow_Tensor_Broadcast", x => x[0].Pow(x[1]), Positive(2, 1), Normal(3));
        yield return Case("Pow_ScalarBase", x => Tensor.Pow(2.5, x[0]), Normal(2, 3));
        yield return Case("Sin", x => x[0].Sin(), Normal(2, 3));
        yield return Case("Cos", x => x[0].Cos(), Normal(2, 3));
        yield return Case("Log1p", x => x[0].Log1p(), Positive(2, 3));
        yield return Case("Expm1", x => x[0].Expm1(), Normal(2, 3));
        yield return Case("Erf", x => x[0].Erf(), Normal(2, 3));
        yield return Case("Square", x => x[0].Square(), Normal(2, 3));
        yield return Case("Reciprocal", x => x[0].Reciprocal(), Positive(2, 3));
        yield return GradGrad("Maximum", x => x[0].Maximum(x[1]) * x[0] * x[1], Spread(2, 3), Spread(3)); // max alone is piecewise linear: no second derivative to check
        yield return GradGrad("Clamp_Tensors", x => x[0].Clamp(x[1], x[2]) * x[0], Spread(3, 4), Lower(4), Upper(3, 1));
        yield return GradGrad("Pow_Tensor", x => x[0].Pow(x[1]), Positive(2, 3), Normal(2, 3));
        yield return GradGrad("Pow_ScalarBase", x => Tensor.Pow(2.5, x[0]), Normal(2, 3));
        yield return GradGrad("Sin", x => x[0].Sin(), Normal(2, 3));
        yield return GradGrad("Cos", x => x[0].Cos(), Normal(2, 3));
        yield return GradGrad("Log1p", x => x[0].Log1p(), Positive(2, 3));
        yield return GradGrad("Expm1", x => x[0].Expm1(), Normal(2, 3));
        yield return GradGrad("Erf", x => x[0].Erf(), Normal(2, 3));
        yield return GradGrad("Square", x => x[0].Square(), Normal(2, 3));
        yield return GradGrad("Reciprocal", x => x[0].Reciprocal(), Positive(2, 3));
    }

    [TestCaseSource(nameof(GradCheckCases))]
    public void GradCheck_Op_MatchesFiniteDifferences(Func<IReadOnlyList<Tensor>, Tensor> f, Tensor[] inputs)
    {
        var result = GradCheck.Check(f, inputs);
        Assert.That(result.Passed, Is.True, result.ToString());
    }

    [Test]
    public void MT_SwapsTheLastTwoDims()
    {
        var x = Tensor.Arange(24, DType.Float64).Reshape(2, 3, 4);
        var t = x.MT;
        t.Shape.ToArray().ShouldBe([2, 4, 3]);
        t.ToArray<double>()[1].ShouldBe(4.0); // t[0, 0, 1] = x[0, 1, 0]
    }

    [TestCase(0)]
    [TestCase(1)]
    public void MT_FewerThanTwoDims_ThrowsNamingTheShape(int rank)
    {
        var x = rank == 0 ? Tensor.Scalar(1.0) : Tensor.Ones(3);
        var e = Should.Throw<InvalidOperationException>(() => _ = x.MT);
        e.Message.ShouldContain("MT");
        e.Message.ShouldContain(rank == 0 ? "[]" : "[3]");
    }

    [Test]
    public void Maximum_FloatAndInt64_PromotesAsPyTorch()
    {
        var r = Tensor.FromArray([1L, 5L], 2).Maximum(Tensor.FromArray([2.5f, 3f], 2));
        r.DType.ShouldBe(DType.Float32);
        r.ToArray<float>().ShouldBe([2.5f, 5f]);
        // A 0-d Float64 tensor beside a Float32 vector keeps Float32 (result_type).
        Tensor.FromArray([1f, 4f], 2).Minimum(Tensor.Scalar(2.0)).DType.ShouldBe(DType.Float32);
    }

    [Test]
    public void Maximum_BadInput_ThrowsNamingTheArgumentOrShapes()
    {
        var x = Tensor.Ones(2, 3);
        Should.Throw<ArgumentNullException>(() => x.Maximum(null!)).ParamName.ShouldBe("other");
        Should.Throw<ArgumentNullException>(() => x.Minimum(null!)).ParamName.ShouldBe("other");
        Should.Throw<ArgumentException>(() => x.Maximum(Tensor.Ones(4))).Message.ShouldContain("[2, 3] and [4]");
    }

    [Test]
    public void Clamp_BadInput_Throws()
    {
        var x = Tensor.Ones(2, 3);
        Should.Throw<ArgumentException>(() => x.Clamp((Tensor?)null, null)).Message.ShouldContain("at least one");
        Should.Throw<ArgumentException>(() => x.Clamp(Tensor.Zeros(4), null)).Message.ShouldContain("cannot be broadcast");
    }

    [Test]
    public void Clamp_ScalarOverloadStillWorks()
    {
        Tensor.FromArray([-2.0, 0.5, 3.0], 3).Clamp(-1, 1).ToArray<double>().ShouldBe([-1.0, 0.5, 1.0]);
    }

    [Test]
    public void Div_Int64ByZeroWithRounding_ThrowsAndLeavesOperandsAsTheyWere()
    {
        var a = Tensor.FromArray([7L, 8L], 2);
        var b = Tensor.FromArray([2L, 0L], 2);
        Should.Throw<DivideByZeroException>(() => a.Div(b, RoundingMode.Floor)).Message.ShouldContain("division by zero");
        Should.Throw<DivideByZeroException>(() => a.Div(b, RoundingMode.Trunc));
        a.ToArray<long>().ShouldBe([7L, 8L]);
        b.ToArray<long>().ShouldBe([2L, 0L]);
    }

    [Test]
    public void Div_RoundingModes_Int64AndScalars()
    {
        var a = Tensor.FromArray([7L, -7L], 2);
        a.Div(2, RoundingMode.Floor).ToArray<long>().ShouldBe([3L, -4L]);
        a.Div(2, RoundingMode.Trunc).ToArray<long>().ShouldBe([3L, -3L]);
        a.Div(2).DType.ShouldBe(DType.Float32); // true division, as the / operator
        a.Div(2.5, RoundingMode.Floor).ToArray<float>().ShouldBe([2f, -3f]);
        Tensor.FromArray([long.MinValue], 1).Div(Tensor.FromArray([-1L], 1), RoundingMode.Floor).ToArray<long>().ShouldBe([long.MinValue]);
    }

    [Test]
    public void Div_BadInput_Throws()
    {
        var x = Tensor.Ones(2);
        Should.Throw<ArgumentNullException>(() => x.Div((Tensor)null!, RoundingMode.Floor)).ParamName.ShouldBe("other");
        Should.Throw<ArgumentOutOfRangeException>(() => x.Div(x, (RoundingMode)7)).ParamName.ShouldBe("roundingMode");
    }

    [Test]
    public void Div_WithRounding_GradientIsZeroAsPyTorch()
    {
        var a = Tensor.FromArray([7.0, -3.5], 2);
        var b = Tensor.FromArray([2.0, 1.5], 2);
        a.RequiresGrad = b.RequiresGrad = true;
        var y = a.Div(b, RoundingMode.Floor);
        y.RequiresGrad.ShouldBeTrue();
        y.Sum().Backward();
        a.Grad!.ToArray<double>().ShouldBe([0.0, 0.0]);
        b.Grad!.ToArray<double>().ShouldBe([0.0, 0.0]);
    }

    [Test]
    public void Pow_BadInput_ThrowsNamingPowAndTheDType()
    {
        var i = Tensor.FromArray([1L, 2L], 2);
        Should.Throw<ArgumentException>(() => i.Pow(i)).Message.ShouldContain("Pow needs a floating point tensor");
        Should.Throw<ArgumentException>(() => Tensor.Pow(2, i)).Message.ShouldContain("Int64");
        Should.Throw<ArgumentNullException>(() => Tensor.Ones(2).Pow((Tensor)null!)).ParamName.ShouldBe("exponent");
        Should.Throw<ArgumentNullException>(() => Tensor.Pow(2, null!)).ParamName.ShouldBe("exponent");
        Should.Throw<ArgumentException>(() => Tensor.Ones(2, 3).Pow(Tensor.Ones(4))).Message.ShouldContain("cannot be broadcast");
    }

    [Test]
    public void Pow_FractionalBaseOverInt64Exponent_IsFloat32AsPyTorch()
    {
        var r = Tensor.Pow(2.5, Tensor.FromArray([1L, 2L], 2));
        r.DType.ShouldBe(DType.Float32);
        r.ToArray<float>().ShouldBe([2.5f, 6.25f]);
    }

    [TestCase("Sin")]
    [TestCase("Cos")]
    [TestCase("Log1p")]
    [TestCase("Expm1")]
    [TestCase("Erf")]
    [TestCase("Reciprocal")]
    public void Transcendental_OnInt64_ThrowsNamingTheOp(string op)
    {
        var i = Tensor.FromArray([1L, 2L], 2);
        Func<Tensor> call = op switch
        {
            "Sin" => i.Sin, "Cos" => i.Cos, "Log1p" => i.Log1p, "Expm1" => i.Expm1, "Erf" => i.Erf, _ => i.Reciprocal,
        };
        Should.Throw<ArgumentException>(() => call()).Message.ShouldContain(op + " needs a floating point tensor");
    }

    [Test]
    public void RoundingOps_Int64_ReturnTheValuesAndNoGraph()
    {
        var i = Tensor.FromArray([3L, -2L], 2);
        i.Floor().ToArray<long>().ShouldBe([3L, -2L]);
        i.Ceil().ToArray<long>().ShouldBe([3L, -2L]);
        i.Round().ToArray<long>().ShouldBe([3L, -2L]);
        i.Square().ToArray<long>().ShouldBe([9L, 4L]);
    }

    [Test]
    public void Round_HalvesToEven_AndRoundingOpsHaveZeroGradient()
    {
        var x = Tensor.FromArray([0.5, 1.5, 2.5, -0.5, -2.5], 5);
        x.RequiresGrad = true;
        var y = x.Round();
        y.ToArray<double>().ShouldBe([0.0, 2.0, 2.0, -0.0, -2.0]);
        (y + x.Floor() + x.Ceil()).Sum().Backward();
        x.Grad!.ToArray<double>().ShouldBe([0.0, 0.0, 0.0, 0.0, 0.0]);
    }

    [Test]
    public void ScalarMath_EdgeValues()
    {
        Tensor.FromArray([0.0, -1.0, double.PositiveInfinity, -2.0], 4).Log1p().ToArray<double>()
            .ShouldBe([0.0, double.NegativeInfinity, double.PositiveInfinity, double.NaN]);
        Tensor.FromArray([0.0, double.NegativeInfinity, double.PositiveInfinity, 1000.0], 4).Expm1().ToArray<double>()
            .ShouldBe([0.0, -1.0, double.PositiveInfinity, double.PositiveInfinity]);
        Tensor.FromArray([0.0, double.NegativeInfinity, double.PositiveInfinity, double.NaN], 4).Erf().ToArray<double>()
            .ShouldBe([0.0, -1.0, 1.0, double.NaN]);
    }

    // ---- case builders ----------------------------------------------------------------------

    private delegate Tensor Input(Generator g);

    private static TestCaseData Case(string name, Func<IReadOnlyList<Tensor>, Tensor> f, params Input[] inputs)
    {
        var g = new Generator(StableSeed(name));
        return new TestCaseData(f, inputs.Select(make => make(g)).ToArray()).SetName("ElementwiseOps_GradCheck_" + name);
    }

    /// <summary>The Jacobian of x ↦ ∂⟨f(x), w⟩/∂x: checks the backward formulas under createGraph.</summary>
    private static TestCaseData GradGrad(string name, Func<IReadOnlyList<Tensor>, Tensor> f, params Input[] inputs)
    {
        Tensor SecondOrder(IReadOnlyList<Tensor> x)
        {
            using (Tape.EnableGrad())
            {
                var y = f(x);
                var w = Tensor.Randn([.. y.Shape], new Generator(StableSeed(name + "/w")), DType.Float64);
                var grads = Tape.Grad(y, x.Where(t => t.RequiresGrad).ToArray(), w, createGraph: true);
                return Tensor.Concat(grads.Select(t => t.Reshape(-1)).ToArray());
            }
        }
        return Case("GradGrad_" + name, SecondOrder, inputs);
    }

    private static Input Normal(params int[] shape) => g => Tensor.Randn(shape, g, DType.Float64);

    /// <summary>Uniform in [0.5, 1.5].</summary>
    private static Input Positive(params int[] shape) => g => Tensor.Rand(shape, g, DType.Float64) + 0.5;

    /// <summary>Distinct values 0.1 apart and more in (-3, 3): no ties between two such tensors within eps.</summary>
    private static Input Spread(params int[] shape) => g => Tensor.RandInt(-29, 30, shape, g).To(DType.Float64) * 0.1 + 0.013 * (Tensor.Rand(shape, g, DType.Float64) + 1);

    /// <summary>Lower bounds in [-1.5, -0.5] plus 0.005: away from Spread's values.</summary>
    private static Input Lower(params int[] shape) => g => Tensor.Rand(shape, g, DType.Float64) * -1 - 0.5 + 0.005;

    /// <summary>Upper bounds in [0.5, 1.5] plus 0.005.</summary>
    private static Input Upper(params int[] shape) => g => Tensor.Rand(shape, g, DType.Float64) + 0.5 + 0.005;

    private static long StableSeed(string name)
    {
        unchecked
        {
            long h = 1469598103934665603;
            foreach (char c in name) h = (h ^ c) * 1099511628211;
            return h & long.MaxValue;
        }
    }
}
