using NUnit.Framework;
using Shouldly;

namespace Autograd.Tests.Ops;

/// <summary>
/// Reductions over a list of dims, ArgMax/ArgMin over all elements, MatMul with broadcast batch
/// dims and the dtype options: finite differences in Float64, the fixed summation order (bit
/// for bit), and bad input. Values and gradients against PyTorch are in <see cref="ReductionOpsFixtureTests"/>.
/// </summary>
[TestFixture]
public sealed class ReductionOpsTests
{
    private static Tensor Normal(int seed, params int[] shape) => Tensor.Randn(shape, new Generator(seed), DType.Float64);

    private static Tensor WithZeros(Tensor x, params int[] flatIndices)
    {
        var data = x.ToArray<double>();
        foreach (int i in flatIndices) data[i] = 0;
        return Tensor.FromArray(data, x.Shape.ToArray());
    }

    private static IEnumerable<TestCaseData> GradCheckCases()
    {
        TestCaseData Case(string name, Func<IReadOnlyList<Tensor>, Tensor> f, params Tensor[] inputs) => new TestCaseData(f, inputs).SetName("GradCheck_" + name);
        yield return Case("Sum_Dims02", x => x[0].Sum([0, 2]), Normal(1, 2, 3, 4));
        yield return Case("Sum_DimsM1_0_Keep", x => x[0].Sum([-1, 0], keepDim: true), Normal(2, 2, 3, 4));
        yield return Case("Sum_DimsEmpty", x => x[0].Sum([]), Normal(3, 2, 3));
        yield return Case("Mean_Dims13", x => x[0].Mean([1, 3]), Normal(4, 2, 3, 2, 4));
        yield return Case("Mean_Dims01_Keep", x => x[0].Mean([0, 1], keepDim: true), Normal(5, 3, 4));
        yield return Case("LogSumExp_Dims02", x => x[0].LogSumExp([0, 2]), Normal(6, 2, 3, 4));
        yield return Case("LogSumExp_Dims12_Keep", x => x[0].LogSumExp([2, 1], keepDim: true), Normal(7, 2, 3, 4));
        // Standard normals have no ties, so Amax/Amin are differentiable at the sample.
        yield return Case("Amax_Dims02", x => x[0].Amax([0, 2]), Normal(8, 2, 3, 4));
        yield return Case("Amin_Dims1_Keep", x => x[0].Amin([1], keepDim: true), Normal(9, 2, 3, 4));
        yield return Case("MatMul_4Dby2D", x => x[0].MatMul(x[1]), Normal(10, 2, 3, 4, 5), Normal(11, 5, 2));
        yield return Case("MatMul_BroadcastBoth", x => x[0].MatMul(x[1]), Normal(12, 2, 1, 3, 4), Normal(13, 3, 4, 2));
        yield return Case("MatMul_2Dby4D", x => x[0].MatMul(x[1]), Normal(14, 3, 4), Normal(15, 2, 1, 4, 2));
        yield return Case("MatMul_1Dby4D", x => x[0].MatMul(x[1]), Normal(16, 4), Normal(17, 2, 3, 4, 2));
        // A conversion through Float32 would round away the finite differences; the Float32 -> Float64
        // gradients are in the PyTorch fixtures.
        yield return Case("Softmax_Dtype", x => x[0].Softmax(1, DType.Float64), Normal(18, 2, 3));
        yield return Case("LogSoftmax_Dtype", x => x[0].LogSoftmax(0, DType.Float64), Normal(25, 3, 2));
        yield return Case("Var_Dims02", x => x[0].Var([0, 2]), Normal(26, 2, 3, 4));
        yield return Case("Var_Dim1_Correction0_Keep", x => x[0].Var(1, correction: 0, keepDim: true), Normal(27, 2, 3, 4));
        yield return Case("Var_All", x => x[0].Var(), Normal(28, 3, 4));
        yield return Case("Std_All", x => x[0].Std(), Normal(29, 3, 4));
        yield return Case("Std_DimsM1_Correction2", x => x[0].Std([-1], correction: 2), Normal(30, 3, 5));
        // The second derivative of Var: the backward takes the mean again, so it depends on x.
        yield return Case("Var_GradGrad", x => SecondOrder(x[0], t => (t.Var([1]) * Tensor.FromArray([1.5, -0.5], 2)).Sum()), Normal(31, 2, 4));
        yield return Case("CumSum_Dim1", x => x[0].CumSum(1), Normal(32, 2, 3, 4));
        yield return Case("CumSum_DimM1", x => x[0].CumSum(-1), Normal(33, 3, 5));
        yield return Case("CumSum_GradGrad", x => SecondOrder(x[0], t => (t.CumSum(0) * t).Sum()), Normal(34, 4, 2));
        yield return Case("Prod_Dim1", x => x[0].Prod(1), Normal(35, 2, 3, 4));
        yield return Case("Prod_All", x => x[0].Prod(), Normal(36, 2, 3));
        // A polynomial, smooth through zeros: the gradient there is the product of the others.
        yield return Case("Prod_WithZeros", x => x[0].Prod(0, keepDim: true), WithZeros(Normal(37, 4, 3), 1, 4, 5));
        yield return Case("Prod_GradGrad", x => SecondOrder(x[0], t => (t.Prod(1) * Tensor.FromArray([1.5, -0.5], 2)).Sum()), Normal(38, 2, 4));
        yield return Case("Prod_GradGrad_WithZeros", x => SecondOrder(x[0], t => (t.Prod(1) * Tensor.FromArray([1.5, -0.5], 2)).Sum()), WithZeros(Normal(39, 2, 4), 2, 5, 6));
        yield return Case("Sum_Dims_Dtype", x => x[0].Sum([0, 1], dtype: DType.Float64), Normal(19, 2, 3));
    }

    /// <summary>∂f/∂x with its graph, so that GradCheck differentiates the backward formulas (it evaluates inside NoGrad).</summary>
    private static Tensor SecondOrder(Tensor x, Func<Tensor, Tensor> f)
    {
        using (Tape.EnableGrad()) return Tape.Grad(f(x), [x], createGraph: true)[0];
    }

    [TestCaseSource(nameof(GradCheckCases))]
    public void GradCheck_MatchesFiniteDifferences(Func<IReadOnlyList<Tensor>, Tensor> f, Tensor[] inputs)
    {
        var result = GradCheck.Check(f, inputs);
        Assert.That(result.Passed, Is.True, result.ToString());
    }

    private static long[] Bits(Tensor t) => [.. t.ToArray<double>().Select(BitConverter.DoubleToInt64Bits)];

    [Test]
    public void Sum_OneDimInAList_IsSumOverThatDim_BitForBit()
    {
        var x = Tensor.Randn([7, 33, 5], new Generator(20));
        Bits(x.Sum([1])).ShouldBe(Bits(x.Sum(1)));
        Bits(x.Sum([-3], keepDim: true)).ShouldBe(Bits(x.Sum(0, keepDim: true)));
        Bits(x.Mean([2])).ShouldBe(Bits(x.Mean(2)));
    }

    [Test]
    public void Sum_EveryDim_IsSumOfAll_BitForBit()
    {
        var x = Tensor.Randn([6, 35, 9], new Generator(21));
        Bits(x.Sum([])).ShouldBe(Bits(x.Sum()));
        Bits(x.Sum([2, 0, 1])).ShouldBe(Bits(x.Sum()));
        Bits(x.Mean([])).ShouldBe(Bits(x.Mean()));
        x.Sum([], keepDim: true).Shape.ToArray().ShouldBe([1, 1, 1]);
    }

    [Test]
    public void Sum_SeveralDims_SumsInTheDocumentedOrder()
    {
        // The reduced dims moved after the kept ones, then each row summed as Sum() sums a tensor.
        var x = Tensor.Randn([4, 19, 3, 23], new Generator(22));
        var moved = x.Transpose(1, 2).Reshape(4, 3, 19 * 23);
        var expected = Enumerable.Range(0, 12).Select(i => moved.Reshape(12, -1).Narrow(0, i, 1).Sum().Item()).ToArray();
        x.Sum([3, 1]).ToArray<double>().ShouldBe(expected);
    }

    [Test]
    public void Amax_Ties_SplitTheGradient()
    {
        var x = Tensor.FromArray([1.0, 3.0, 3.0, 2.0, 3.0, 0.0], 2, 3);
        x.RequiresGrad = true;
        x.Amax([0, 1]).Backward();
        x.Grad!.ToArray<double>().ShouldBe([0, 1.0 / 3, 1.0 / 3, 0, 1.0 / 3, 0]);
    }

    [Test]
    public void ArgMax_All_IsTheFlatIndex()
    {
        var x = Tensor.FromArray([1f, 7f, 7f, -2f, 0f, -2f], 2, 3);
        var i = x.ArgMax();
        i.DType.ShouldBe(DType.Int64);
        i.Rank.ShouldBe(0);
        i.ToArray<long>().ShouldBe([1L]);
        x.ArgMin().ToArray<long>().ShouldBe([3L]);
    }

    [Test]
    public void MatMul_Broadcast_EqualsBatchByBatchProducts()
    {
        var a = Normal(23, 2, 1, 4, 5);
        var b = Normal(24, 3, 5, 6);
        var c = a.MatMul(b);
        c.Shape.ToArray().ShouldBe([2, 3, 4, 6]);
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++)
                Bits(c.Select(0, i).Select(0, j)).ShouldBe(Bits(a.Select(0, i).Select(0, 0).MatMul(b.Select(0, j))));
    }

    [Test]
    public void MatMul_Broadcast_EmptyInnerDim_GivesZeros()
    {
        var c = Tensor.Zeros([2, 1, 4, 0], DType.Float64).MatMul(Tensor.Zeros([3, 0, 6], DType.Float64));
        c.Shape.ToArray().ShouldBe([2, 3, 4, 6]);
        c.ToArray<double>().ShouldAllBe(v => v == 0);
    }

    // ---- bad input ----------------------------------------------------------------------

    [Test]
    public void Sum_DuplicateDims_Throws()
    {
        var x = Tensor.Zeros([2, 3]);
        var e = Should.Throw<ArgumentException>(() => x.Sum([1, -1]));
        e.ParamName.ShouldBe("dims");
        e.Message.ShouldContain("Dim 1 appears multiple times");
        e.Message.ShouldContain("[1, -1]");
        Should.Throw<ArgumentException>(() => x.Mean([0, 0])).ParamName.ShouldBe("dims");
        Should.Throw<ArgumentException>(() => x.LogSumExp([0, 0])).ParamName.ShouldBe("dims");
        Should.Throw<ArgumentException>(() => x.Amax([0, -2])).ParamName.ShouldBe("dims");
        Should.Throw<ArgumentException>(() => Tensor.Scalar(1.0).Sum([0, -1])).ParamName.ShouldBe("dims");
    }

    [Test]
    public void Sum_DimOutOfRange_Throws()
    {
        var e = Should.Throw<ArgumentOutOfRangeException>(() => Tensor.Zeros([2, 3]).Sum([0, 2]));
        e.ParamName.ShouldBe("dims");
        e.Message.ShouldContain("[-2, 1]");
        Should.Throw<ArgumentOutOfRangeException>(() => Tensor.Zeros([2, 3]).Amin([-3]));
    }

    [Test]
    public void Sum_NullDims_Throws()
    {
        Should.Throw<ArgumentNullException>(() => Tensor.Zeros([2]).Sum((int[])null!)).ParamName.ShouldBe("dims");
        Should.Throw<ArgumentNullException>(() => Tensor.Zeros([2]).Amax(null!)).ParamName.ShouldBe("dims");
    }

    [Test]
    public void Amax_EmptyReducedDim_Throws()
    {
        var e = Should.Throw<ArgumentException>(() => Tensor.Zeros([2, 0]).Amax([1]));
        e.Message.ShouldContain("reduced dim 1 has size 0");
        e.Message.ShouldContain("[2, 0]");
        Tensor.Zeros([2, 0]).Amax([0]).Shape.ToArray().ShouldBe([0]);
    }

    [Test]
    public void ArgMax_All_OfEmpty_Throws()
    {
        Should.Throw<ArgumentException>(() => Tensor.Zeros([3, 0]).ArgMax()).Message.ShouldContain("[3, 0]");
        Should.Throw<ArgumentException>(() => Tensor.Zeros([0]).ArgMin()).Message.ShouldContain("no elements");
    }

    [Test]
    public void Mean_Int64WithoutDtype_Throws_WithDtypeWorks()
    {
        var x = Tensor.FromArray([1L, 2L, 4L], 3);
        Should.Throw<ArgumentException>(() => x.Mean([0])).Message.ShouldContain("Mean needs a floating point tensor");
        x.Mean([0], dtype: DType.Float64).Item().ShouldBe(7.0 / 3);
        x.Softmax(0, DType.Float32).DType.ShouldBe(DType.Float32);
        Should.Throw<ArgumentException>(() => x.Softmax(0)).Message.ShouldContain("Int64");
    }

    [Test]
    public void Var_BadInput_Throws()
    {
        Should.Throw<ArgumentException>(() => Tensor.FromArray([1L, 2L], 2).Var()).Message.ShouldContain("Var needs a floating point tensor");
        Should.Throw<ArgumentException>(() => Tensor.Zeros([2, 3]).Std([1, 1])).ParamName.ShouldBe("dims");
        Should.Throw<ArgumentOutOfRangeException>(() => Tensor.Zeros([2, 3]).Var(2));
        Should.Throw<ArgumentOutOfRangeException>(() => Tensor.Zeros([2, 3]).CumSum(-3)).ParamName.ShouldBe("dim");
        Should.Throw<ArgumentOutOfRangeException>(() => Tensor.Zeros([2, 3]).Prod(2)).ParamName.ShouldBe("dim");
    }

    [Test]
    public void CumSum_Int64_StaysInt64()
    {
        var y = Tensor.FromArray([3L, -1L, 4L, 1L], 2, 2).CumSum(0);
        y.DType.ShouldBe(DType.Int64);
        y.ToArray<long>().ShouldBe([3L, -1L, 7L, 0L]);
    }

    [Test]
    public void MatMul_BatchDimsDoNotBroadcast_Throws()
    {
        var e = Should.Throw<ArgumentException>(() => Tensor.Zeros([2, 2, 3, 4]).MatMul(Tensor.Zeros([3, 4, 5])));
        e.Message.ShouldContain("batch dims [2, 2] and [3]");
        e.Message.ShouldContain("[2, 2, 3, 4]");
        Should.Throw<ArgumentException>(() => Tensor.Zeros([2, 2, 3, 4]).MatMul(Tensor.Zeros([5, 6]))).Message.ShouldContain("4 != 5");
        Should.Throw<ArgumentException>(() => Tensor.Scalar(1f).MatMul(Tensor.Zeros([2, 2, 2, 2]))).Message.ShouldContain("at least 1 dim");
    }
}
