using NUnit.Framework;
using Shouldly;

namespace Autograd.Nn.Tests.Data;

/// <summary><see cref="Subset{T}"/>, <see cref="ConcatDataset{T}"/> and <see cref="IDataset{T}"/> over user datasets: indexing and argument checks.</summary>
[TestFixture]
public sealed class SubsetTests
{
    /// <summary>A user dataset: sample i is offset + i.</summary>
    private sealed class Numbers(int count, int offset = 0) : IDataset<int>
    {
        public int Count => count;
        public int this[int index] => index >= 0 && index < count ? offset + index : throw new ArgumentOutOfRangeException(nameof(index));
    }

    [Test]
    public void Subset_ReadsTheIndexedSamples()
    {
        var ds = new Numbers(10, 100);
        int[] indices = [7, 2, 2, 9];
        var s = new Subset<int>(ds, indices);
        indices[0] = 0; // copied
        s.Count.ShouldBe(4);
        s.Dataset.ShouldBeSameAs(ds);
        s.Indices.ShouldBe([7, 2, 2, 9]);
        Enumerable.Range(0, 4).Select(i => s[i]).ShouldBe([107, 102, 102, 109]);
    }

    [Test]
    public void Subset_OfTensorDataset_IsADatasetOfTensorArrays()
    {
        var x = Tensor.Arange(6).Reshape(3, 2);
        IDataset<Tensor[]> s = new Subset<Tensor[]>(new TensorDataset(x), [2, 0]);
        s[0][0].ToArray<float>().ShouldBe([4f, 5]);
        s[1][0].ToArray<float>().ShouldBe([0f, 1]);
    }

    [Test]
    public void Subset_Empty_HasNoSamples() => new Subset<int>(new Numbers(3), []).Count.ShouldBe(0);

    [TestCase(-1)]
    [TestCase(5)]
    public void Subset_IndexOutOfDataset_Throws(int bad)
    {
        var e = Should.Throw<ArgumentOutOfRangeException>(() => new Subset<int>(new Numbers(5), [0, bad]));
        e.ParamName.ShouldBe("indices");
        e.Message.ShouldContain($"indices[1] = {bad}");
        e.Message.ShouldContain("5 samples");
    }

    [TestCase(-1)]
    [TestCase(2)]
    public void Subset_IndexerOutOfRange_Throws(int index)
    {
        var e = Should.Throw<ArgumentOutOfRangeException>(() => new Subset<int>(new Numbers(5), [0, 1])[index]);
        e.ParamName.ShouldBe("index");
        e.Message.ShouldContain("2 samples");
    }

    [Test]
    public void Subset_NullArguments_Throw()
    {
        Should.Throw<ArgumentNullException>(() => new Subset<int>(null!, [0])).ParamName.ShouldBe("dataset");
        Should.Throw<ArgumentNullException>(() => new Subset<int>(new Numbers(1), null!)).ParamName.ShouldBe("indices");
    }

    [Test]
    public void Concat_ReadsEachDatasetInTurn()
    {
        var c = new ConcatDataset<int>(new Numbers(3, 0), new Numbers(0, 50), new Numbers(2, 10), new Numbers(1, 20));
        c.Count.ShouldBe(6);
        c.CumulativeSizes.ShouldBe([3, 3, 5, 6]);
        c.Datasets.Count.ShouldBe(4);
        Enumerable.Range(0, 6).Select(i => c[i]).ShouldBe([0, 1, 2, 10, 11, 20]);
    }

    [Test]
    public void Concat_OfTensorDatasets_FeedsADataLoader()
    {
        var a = new TensorDataset(Tensor.Arange(4).Reshape(2, 2));
        var b = new TensorDataset(Tensor.Arange(4, 10).Reshape(3, 2));
        var batches = new DataLoader(new ConcatDataset<Tensor[]>(a, b), 4).ToList();
        batches.Count.ShouldBe(2);
        batches[0][0].Shape.ShouldBe([4, 2]);
        batches[0][0].ToArray<float>().ShouldBe([0f, 1, 2, 3, 4, 5, 6, 7]);
        batches[1][0].ToArray<float>().ShouldBe([8f, 9]);
    }

    [TestCase(-1)]
    [TestCase(3)]
    public void Concat_IndexerOutOfRange_Throws(int index)
    {
        var e = Should.Throw<ArgumentOutOfRangeException>(() => new ConcatDataset<int>(new Numbers(1), new Numbers(2))[index]);
        e.ParamName.ShouldBe("index");
        e.Message.ShouldContain("3 samples");
    }

    [Test]
    public void Concat_BadArguments_Throw()
    {
        Should.Throw<ArgumentException>(() => new ConcatDataset<int>()).ParamName.ShouldBe("datasets");
        Should.Throw<ArgumentNullException>(() => new ConcatDataset<int>(new Numbers(1), null!)).Message.ShouldContain("dataset 1");
        Should.Throw<ArgumentNullException>(() => new ConcatDataset<int>((IReadOnlyList<IDataset<int>>)null!));
        Should.Throw<ArgumentException>(() => new ConcatDataset<int>(new Numbers(int.MaxValue), new Numbers(1))).Message.ShouldContain("more than");
    }
}
