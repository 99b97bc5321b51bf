using NUnit.Framework;
using Shouldly;

namespace Autograd.Tests.Ops;

/// <summary>
/// Permute, Flip, Repeat, Chunk, Split, Slice, IndexSelect, MaskedFill, Sort and TopK: finite differences in
/// Float64 and bad input. Values and gradients against PyTorch are in <see cref="ShapeOpsFixtureTests"/>.
/// </summary>
[TestFixture]
public sealed class ShapeOpsTests
{
    private static Tensor Normal(int seed, params int[] shape) => Tensor.Randn(shape, new Generator(seed), DType.Float64);

    private static Tensor Index(params long[] values) => Tensor.FromArray(values, values.Length);

    private static IEnumerable<TestCaseData> GradCheckCases()
    {
        TestCaseData Case(string name, Func<IReadOnlyList<Tensor>, Tensor> f, params Tensor[] inputs) => new TestCaseData(f, inputs).SetName("GradCheck_" + name);
        // Weights make the sum of several outputs sensitive to which output each element went to.
        static Tensor Weighted(Tensor[] pieces) => pieces.Select((p, i) => (p * (i + 1.5)).Sum()).Aggregate((a, b) => a + b);
        yield return Case("Permute", x => x[0].Permute(2, 0, 1), Normal(1, 2, 3, 4));
        yield return Case("Flip", x => x[0].Flip(0, -1), Normal(2, 2, 3, 4));
        yield return Case("Repeat", x => x[0].Repeat(2, 1, 3), Normal(3, 2, 3));
        yield return Case("Chunk", x => Weighted(x[0].Chunk(3, 1)), Normal(4, 2, 7));
        yield return Case("Split", x => Weighted(x[0].Split([1, 3, 2])), Normal(5, 6, 2));
        yield return Case("Slice", x => x[0].Slice(1, -7, null, 3), Normal(6, 2, 8));
        yield return Case("IndexSelect_Repeated", x => x[0].IndexSelect(0, Index(2, 0, 2, 2)), Normal(7, 3, 4));
        yield return Case("Sort", x => x[0].Sort(0).Values, Normal(10, 4, 3));
        yield return Case("Sort_Descending", x => x[0].Sort(-1, descending: true).Values, Normal(11, 3, 5));
        yield return Case("TopK", x => x[0].TopK(2, 1).Values, Normal(12, 3, 5));
        yield return Case("TopK_Smallest", x => x[0].TopK(3, 0, largest: false).Values, Normal(13, 4, 2));
        yield return Case("MaskedFill", x => x[0].MaskedFill(Tensor.FromArray([1.0, 0, 0, 1], 4), -2), Normal(8, 3, 4));
    }

    [TestCaseSource(nameof(GradCheckCases))]
    public void GradCheck_MatchesFiniteDifferences(Func<IReadOnlyList<Tensor>, Tensor> f, Tensor[] inputs)
    {
        var result = GradCheck.Check(f, inputs);
        Assert.That(result.Passed, Is.True, result.ToString());
    }

    [Test]
    public void MaskedFill_AnyNonzeroMaskDtype_Fills()
    {
        var x = Tensor.FromArray([1.0, 2, 3], 3);
        x.MaskedFill(Tensor.FromArray([0L, 5, 0], 3), 9).ToArray<double>().ShouldBe([1.0, 9, 3]);
        x.MaskedFill(x.Gt(1.5), -1).ToArray<double>().ShouldBe([1.0, -1, -1]);
    }

    [Test]
    public void Sort_Int64_AndTiesKeepTheirOrder()
    {
        var (v, i) = Tensor.FromArray([3L, 1, 3, 2, 1], 5).Sort(descending: true);
        v.ToArray<long>().ShouldBe([3L, 3, 2, 1, 1]);
        i.ToArray<long>().ShouldBe([0L, 2, 3, 1, 4]);
        Tensor.FromArray([2.0, double.NaN, 1], 3).ArgSort().ToArray<long>().ShouldBe([2L, 0, 1]);
    }

    [Test]
    public void Slice_LikePythonSlicing()
    {
        var x = Tensor.Arange(10, DType.Float64);
        x.Slice(0, null, null, 3).ToArray<double>().ShouldBe([0.0, 3, 6, 9]);
        x.Slice(0, -3, null).ToArray<double>().ShouldBe([7.0, 8, 9]);
        x.Slice(0, 8, 2).NumberOfElements.ShouldBe(0);
        x.Slice(0, -100, 2).ToArray<double>().ShouldBe([0.0, 1]);
    }

    [Test]
    public void BadInput_IsRefusedWithClearMessages()
    {
        var x = Normal(9, 2, 3);
        Should.Throw<ArgumentException>(() => x.Permute(0)).Message.ShouldContain("number of dims");
        Should.Throw<ArgumentException>(() => x.Permute(1, 1)).Message.ShouldContain("more than once");
        Should.Throw<ArgumentOutOfRangeException>(() => x.Permute(0, 2)).ParamName.ShouldBe("dims");
        Should.Throw<ArgumentException>(() => x.Flip(0, -2)).Message.ShouldContain("more than once");
        Should.Throw<ArgumentOutOfRangeException>(() => x.Flip(2));
        Should.Throw<ArgumentException>(() => x.Repeat(2)).Message.ShouldContain("can not be smaller");
        Should.Throw<ArgumentException>(() => x.Repeat(2, -1)).Message.ShouldContain("negative");
        Should.Throw<ArgumentOutOfRangeException>(() => x.Chunk(0)).ParamName.ShouldBe("chunks");
        Should.Throw<ArgumentOutOfRangeException>(() => x.Split(0, 1)).ParamName.ShouldBe("splitSize");
        Should.Throw<ArgumentException>(() => x.Split([1, 1], 1)).Message.ShouldContain("add up to 3");
        Should.Throw<ArgumentException>(() => x.Split([4, -1], 1)).ParamName.ShouldBe("sizes");
        Should.Throw<ArgumentException>(() => Tensor.Scalar(1.0).Chunk(2)).Message.ShouldContain("0-d");
        Should.Throw<ArgumentOutOfRangeException>(() => x.Slice(1, 0, 2, 0)).ParamName.ShouldBe("step");
        Should.Throw<ArgumentOutOfRangeException>(() => x.Slice(1, 0, 2, -1)).ParamName.ShouldBe("step");
        Should.Throw<ArgumentOutOfRangeException>(() => x.Slice(2, 0, 2)).ParamName.ShouldBe("dim");
        Should.Throw<ArgumentException>(() => x.IndexSelect(0, Tensor.FromArray([0.0], 1))).Message.ShouldContain("Int64");
        Should.Throw<ArgumentException>(() => x.IndexSelect(0, Tensor.FromArray([0L, 1], 1, 2))).Message.ShouldContain("1-D");
        Should.Throw<ArgumentOutOfRangeException>(() => x.IndexSelect(1, Index(0, 3))).Message.ShouldContain("index 3 is out of range for dimension 1 with size 3");
        Should.Throw<ArgumentOutOfRangeException>(() => x.IndexSelect(0, Index(-1))).ParamName.ShouldBe("index");
        Should.Throw<ArgumentException>(() => x.MaskedFill(Tensor.Ones(2), 0)).Message.ShouldContain("does not broadcast");
        Should.Throw<ArgumentException>(() => x.MaskedFill(Tensor.Ones(1, 2, 3), 0)).ParamName.ShouldBe("mask");
        Should.Throw<ArgumentNullException>(() => x.MaskedFill(null!, 0));
        Should.Throw<ArgumentNullException>(() => x.IndexSelect(0, null!));
        Should.Throw<ArgumentOutOfRangeException>(() => x.TopK(4)).Message.ShouldContain("k (4) must be in [0, 3]");
        Should.Throw<ArgumentOutOfRangeException>(() => x.TopK(-1)).ParamName.ShouldBe("k");
        Should.Throw<ArgumentOutOfRangeException>(() => x.TopK(1, 2)).ParamName.ShouldBe("dim");
        Should.Throw<ArgumentOutOfRangeException>(() => x.Sort(-3)).ParamName.ShouldBe("dim");
        Should.Throw<ArgumentOutOfRangeException>(() => x.ArgSort(2)).ParamName.ShouldBe("dim");
        // The input is unchanged by the failed calls.
        x.ToArray<double>().ShouldBe(Normal(9, 2, 3).ToArray<double>());
    }
}
