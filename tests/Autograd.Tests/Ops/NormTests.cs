using NUnit.Framework;
using Shouldly;

namespace Autograd.Tests.Ops;

/// <summary>
/// <see cref="Tensor.Norm(double, int[], bool, DType?)"/>: finite differences in Float64 for every
/// order (first and second derivatives), the dtype option, and bad input. Values and gradients
/// against PyTorch are in <see cref="NormFixtureTests"/>.
/// </summary>
[TestFixture]
public sealed class NormTests
{
    private static Tensor Normal(int seed, params int[] shape) => Tensor.Randn(shape, new Generator(seed), DType.Float64);

    /// <summary>∂⟨f(x), w⟩/∂x with its graph, so that GradCheck differentiates the backward formulas.</summary>
    private static Tensor SecondOrder(Tensor x, Func<Tensor, Tensor> f)
    {
        using (Tape.EnableGrad())
        {
            var y = f(x);
            var w = Tensor.Randn([.. y.Shape], new Generator(99), DType.Float64);
            return Tape.Grad(y, [x], w, createGraph: true)[0];
        }
    }

    private static IEnumerable<TestCaseData> GradCheckCases()
    {
        TestCaseData Case(string name, Func<IReadOnlyList<Tensor>, Tensor> f, Tensor input) => new TestCaseData(f, new[] { input }).SetName("GradCheck_Norm_" + name);
        // Standard normals: no zeros and no ties, so every order is differentiable at the sample.
        foreach (var (tag, p) in new[] { ("2", 2.0), ("1", 1.0), ("3", 3.0), ("1p5", 1.5), ("0p5", 0.5), ("m1", -1.0), ("Inf", double.PositiveInfinity), ("MInf", double.NegativeInfinity) })
        {
            yield return Case(tag + "_All", x => x[0].Norm(p), Normal(1, 3, 4));
            yield return Case(tag + "_Dims02_Keep", x => x[0].Norm(p, [0, 2], keepDim: true), Normal(2, 2, 3, 4));
            yield return Case(tag + "_DimM1", x => x[0].Norm(p, -1), Normal(3, 3, 5));
            if (!double.IsInfinity(p) && p != 1)
                yield return Case(tag + "_GradGrad", x => SecondOrder(x[0], t => t.Norm(p, [1])), Normal(4, 2, 4));
        }
        yield return Case("0_IsFlat", x => x[0].Norm(0, [1]), Normal(5, 2, 3));
    }

    [TestCaseSource(nameof(GradCheckCases))]
    public void GradCheck_MatchesFiniteDifferences(Func<IReadOnlyList<Tensor>, Tensor> f, Tensor[] inputs)
    {
        var result = GradCheck.Check(f, inputs);
        Assert.That(result.Passed, Is.True, result.ToString());
    }

    [Test]
    public void Norm_Defaults_AreTheEuclideanNormOfEveryElement()
    {
        var x = Tensor.FromArray(new float[,] { { 3, 0 }, { 0, -4 } });
        x.Norm().Item().ShouldBe(5);
        x.Norm().DType.ShouldBe(DType.Float32);
        x.Norm(1, 0).ToArray<float>().ShouldBe([3f, 4f]);
        x.Norm(double.PositiveInfinity, [0, 1], keepDim: true).Shape.ToArray().ShouldBe([1, 1]);
        x.Norm(0).Item().ShouldBe(2);
    }

    [Test]
    public void Norm_Dtype_ConvertsFirst()
    {
        var x = Tensor.FromArray([3f, 4f]);
        var r = x.Norm(dtype: DType.Float64);
        r.DType.ShouldBe(DType.Float64);
        r.Item().ShouldBe(5);
        Tensor.FromArray([3L, 4L]).Norm(dtype: DType.Float32).Item().ShouldBe(5);
    }

    [Test]
    public void Norm_Int64_IsRefusedWithTheDtype()
    {
        var e = Should.Throw<ArgumentException>(() => Tensor.FromArray([3L, 4L]).Norm());
        e.Message.ShouldContain("Int64");
        e.Message.ShouldContain("floating point");
    }

    [Test]
    public void Norm_NaNOrder_IsRefusedNamingP()
    {
        var e = Should.Throw<ArgumentOutOfRangeException>(() => Tensor.FromArray([3f, 4f]).Norm(double.NaN));
        e.ParamName.ShouldBe("p");
    }

    [Test]
    public void Norm_BadDims_AreRefusedNamingTheDims()
    {
        var x = Tensor.Zeros(2, 3);
        Should.Throw<ArgumentOutOfRangeException>(() => x.Norm(2, [2])).ParamName.ShouldBe("dims");
        Should.Throw<ArgumentException>(() => x.Norm(2, [1, -1])).Message.ShouldContain("appears multiple times");
    }

    [Test]
    public void Norm_ZeroVector_HasAZeroGradientForP2()
    {
        // PyTorch masks the 0/0 of x / ‖x‖ where the norm is 0.
        var x = Tensor.Zeros([3], DType.Float64);
        x.RequiresGrad = true;
        x.Norm().Backward();
        x.Grad!.ToArray<double>().ShouldBe([0.0, 0.0, 0.0]);
    }

    [Test]
    public void Norm_IsTheSameAtEveryThreadCount()
    {
        var x = Tensor.Randn([64, 3000], new Generator(7));
        int saved = Threading.NumThreads;
        try
        {
            Threading.NumThreads = 1;
            var one = x.Norm(2, [1]).ToArray<float>();
            Threading.NumThreads = 2;
            x.Norm(2, [1]).ToArray<float>().ShouldBe(one);
        }
        finally
        {
            Threading.NumThreads = saved;
        }
    }
}
