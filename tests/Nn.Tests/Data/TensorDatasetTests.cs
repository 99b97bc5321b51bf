using NUnit.Framework;
using Shouldly;

namespace Autograd.Nn.Tests.Data;

/// <summary><see cref="TensorDataset"/>: rows, count and argument checks.</summary>
[TestFixture]
public sealed class TensorDatasetTests
{
    [Test]
    public void Indexer_ReturnsRowOfEachTensor()
    {
        var x = Tensor.Arange(12).Reshape(3, 2, 2);
        var y = Tensor.FromArray(new long[] { 7, 8, 9 }, 3);
        var ds = new TensorDataset(x, y);
        ds.Count.ShouldBe(3);
        ds.Tensors.ShouldBe([x, y]);
        var row = ds[1];
        row.Length.ShouldBe(2);
        row[0].Shape.ShouldBe([2, 2]);
        row[0].ToArray<float>().ShouldBe([4f, 5, 6, 7]);
        row[1].Shape.ShouldBe(Array.Empty<int>());
        row[1].DType.ShouldBe(DType.Int64);
        row[1].Item().ShouldBe(8);
    }

    [Test]
    public void Indexer_ReturnsCopies()
    {
        var x = Tensor.Arange(6).Reshape(3, 2);
        var ds = new TensorDataset(x);
        Init.Constant(ds[0][0], 100);
        x.ToArray<float>().ShouldBe([0f, 1, 2, 3, 4, 5]);
    }

    [TestCase(-1)]
    [TestCase(3)]
    public void Indexer_OutOfRange_Throws(int index)
        => Should.Throw<ArgumentOutOfRangeException>(() => new TensorDataset(Tensor.Zeros(3, 2))[index]).Message.ShouldContain("3 samples");

    [Test]
    public void Constructor_DifferentFirstDimensions_ThrowsNamingSizes()
    {
        var e = Should.Throw<ArgumentException>(() => new TensorDataset(Tensor.Zeros(5, 3), Tensor.Zeros(4)));
        e.Message.ShouldContain("[5, 3]");
        e.Message.ShouldContain("5 rows");
        e.Message.ShouldContain("[4]");
        e.Message.ShouldContain("4 rows");
    }

    [Test]
    public void Constructor_BadArguments_Throw()
    {
        Should.Throw<ArgumentException>(() => new TensorDataset()).Message.ShouldContain("at least one tensor");
        Should.Throw<ArgumentException>(() => new TensorDataset(Tensor.Scalar(1f))).Message.ShouldContain("0-d");
        Should.Throw<ArgumentNullException>(() => new TensorDataset(Tensor.Zeros(2), null!)).Message.ShouldContain("tensor 1");
        Should.Throw<ArgumentNullException>(() => new TensorDataset(null!));
    }

    [Test]
    public void EmptyDataset_HasNoRows()
        => new TensorDataset(Tensor.Zeros(0, 3)).Count.ShouldBe(0);
}
