using NUnit.Framework;
using Shouldly;
using static Autograd.Nn.Tests.Utils.EmbeddingClipFixtures;
using F = Autograd.Nn.Functional;

namespace Autograd.Nn.Tests.Functional;

/// <summary>
/// <see cref="F.OneHot"/> against PyTorch 1.13's <c>torch.nn.functional.one_hot</c>
/// (tools/gen_embedding_clip_fixtures.py, section "one_hot"), and its refusals, which follow
/// PyTorch's messages.
/// </summary>
[TestFixture]
public sealed class OneHotTests
{
    private static IEnumerable<string> Cases() => Names("one_hot");

    [TestCaseSource(nameof(Cases))]
    public void OneHot_Fixture_MatchesPyTorch(string name)
    {
        var c = Case("one_hot", name);
        var result = F.OneHot(Read(c.GetProperty("indices")), c.GetProperty("num_classes").GetInt32());
        AssertBits(result, Read(c.GetProperty("output")), name);
    }

    [Test]
    public void OneHot_RowsSumToOne_AndSelectTheClass()
    {
        var x = Tensor.FromArray(new long[] { 4, 0, 2 }, 3);
        var y = F.OneHot(x, 5);
        y.DType.ShouldBe(DType.Int64);
        y.ToArray<long>().ShouldBe([0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0]);
        y.RequiresGrad.ShouldBeFalse();
    }

    [Test]
    public void OneHot_BadInput_ThrowsWithPyTorchsReason()
    {
        var negative = Should.Throw<ArgumentOutOfRangeException>(() => F.OneHot(Tensor.FromArray(new long[] { 1, -1 }, 2)));
        negative.ParamName.ShouldBe("indices");
        negative.Message.ShouldContain("non-negative, got -1");
        var tooLarge = Should.Throw<ArgumentOutOfRangeException>(() => F.OneHot(Tensor.FromArray(new long[] { 1, 5 }, 2), 3));
        tooLarge.Message.ShouldContain("smaller than numClasses=3, got 5");
        Should.Throw<ArgumentOutOfRangeException>(() => F.OneHot(Tensor.FromArray(new long[] { 0, 1 }, 2), 0)).Message.ShouldContain("numClasses=0");
        Should.Throw<ArgumentException>(() => F.OneHot(Tensor.Zeros([0], DType.Int64))).Message.ShouldContain("empty tensor");
        Should.Throw<ArgumentException>(() => F.OneHot(Tensor.Zeros([2, 0], DType.Int64), 0)).ParamName.ShouldBe("numClasses");
        Should.Throw<ArgumentException>(() => F.OneHot(Tensor.FromArray([1f], 1))).Message.ShouldContain("Float32");
        Should.Throw<ArgumentOutOfRangeException>(() => F.OneHot(Tensor.FromArray(new long[] { 1 }, 1), -2)).ParamName.ShouldBe("numClasses");
        Should.Throw<ArgumentNullException>(() => F.OneHot(null!));
    }
}
