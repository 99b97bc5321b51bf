using NUnit.Framework;
using Shouldly;

namespace Autograd.Nn.Tests.Data;

/// <summary>
/// <see cref="DataLoader"/>: batch count, shapes and dtypes, order without shuffling, the last
/// partial batch and dropLast, seeded shuffling (deterministic, a new permutation per epoch,
/// every row once per epoch), and argument checks.
/// </summary>
[TestFixture]
public sealed class DataLoaderTests
{
    /// <summary>10 samples: features (10, 2, 3) with row i holding 6i..6i+5, labels (10) holding 100 + i.</summary>
    private static TensorDataset Dataset(int n = 10)
        => new(Tensor.Arange(6 * n).Reshape(n, 2, 3), Tensor.FromArray(Enumerable.Range(100, n).Select(i => (long)i).ToArray(), n));

    /// <summary>The sample ids of a batch, read from the labels, checking the features belong to the same rows.</summary>
    private static long[] Ids(Tensor[] batch)
    {
        long[] ids = batch[1].ToArray<long>();
        float[] x = batch[0].ToArray<float>();
        for (int j = 0; j < ids.Length; j++)
            for (int k = 0; k < 6; k++) x[j * 6 + k].ShouldBe(6f * (ids[j] - 100) + k);
        return ids;
    }

    [TestCase(3, false, 4, new[] { 3, 3, 3, 1 })]
    [TestCase(3, true, 3, new[] { 3, 3, 3 })]
    [TestCase(5, false, 2, new[] { 5, 5 })]
    [TestCase(5, true, 2, new[] { 5, 5 })]
    [TestCase(10, false, 1, new[] { 10 })]
    [TestCase(25, false, 1, new[] { 10 })]
    [TestCase(25, true, 0, new int[0])]
    [TestCase(1, false, 10, new[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 })]
    public void Batches_CountAndSizes(int batchSize, bool dropLast, int count, int[] sizes)
    {
        var loader = new DataLoader(Dataset(), batchSize, dropLast: dropLast);
        loader.Count.ShouldBe(count);
        var batches = loader.ToList();
        batches.Count.ShouldBe(count);
        batches.Select(b => b[0].Shape[0]).ShouldBe(sizes);
        foreach (var b in batches)
        {
            b.Length.ShouldBe(2);
            b[0].Shape.Skip(1).ShouldBe([2, 3]);
            b[0].DType.ShouldBe(DType.Float32);
            b[1].Rank.ShouldBe(1);
            b[1].DType.ShouldBe(DType.Int64);
        }
    }

    [Test]
    public void NoShuffle_KeepsDatasetOrder()
        => new DataLoader(Dataset(), 4).SelectMany(Ids).ShouldBe(Enumerable.Range(100, 10).Select(i => (long)i));

    [Test]
    public void Shuffle_EveryRowOncePerEpoch_NewOrderEachEpoch()
    {
        var loader = new DataLoader(Dataset(50), 8, shuffle: true, generator: new Generator(1));
        var epoch1 = loader.SelectMany(Ids).ToList();
        var epoch2 = loader.SelectMany(Ids).ToList();
        epoch1.Order().ShouldBe(Enumerable.Range(100, 50).Select(i => (long)i));
        epoch2.Order().ShouldBe(Enumerable.Range(100, 50).Select(i => (long)i));
        epoch1.ShouldNotBe(epoch2);
        epoch1.ShouldNotBe(Enumerable.Range(100, 50).Select(i => (long)i));
    }

    [Test]
    public void Shuffle_SameSeed_SameBatchesEveryEpoch()
    {
        var a = new DataLoader(Dataset(30), 7, shuffle: true, generator: new Generator(2));
        var b = new DataLoader(Dataset(30), 7, shuffle: true, generator: new Generator(2));
        for (int epoch = 0; epoch < 3; epoch++)
            a.Select(Ids).ShouldBe(b.Select(Ids));
        var c = new DataLoader(Dataset(30), 7, shuffle: true, generator: new Generator(3));
        c.SelectMany(Ids).ShouldNotBe(new DataLoader(Dataset(30), 7, shuffle: true, generator: new Generator(2)).SelectMany(Ids));
    }

    [Test]
    public void Shuffle_DropLast_DropsTheRemainderOfThePermutation()
    {
        var loader = new DataLoader(Dataset(10), 4, shuffle: true, dropLast: true, generator: new Generator(4));
        var ids = loader.SelectMany(Ids).ToList();
        ids.Count.ShouldBe(8);
        ids.Distinct().Count().ShouldBe(8);
    }

    [Test]
    public void Batches_AreIndependentCopies()
    {
        var ds = Dataset();
        var x = ds.Tensors[0];
        x.RequiresGrad = true;
        var batch = new DataLoader(ds, 4).First();
        batch[0].RequiresGrad.ShouldBeFalse();
        Init.Constant(batch[0], -1);
        x.ToArray<float>().Take(24).ShouldBe(Enumerable.Range(0, 24).Select(i => (float)i));
    }

    [Test]
    public void EmptyDataset_NoBatches()
    {
        var loader = new DataLoader(new TensorDataset(Tensor.Zeros(0, 3)), 4, shuffle: true, generator: new Generator(0));
        loader.Count.ShouldBe(0);
        loader.ShouldBeEmpty();
    }

    [Test]
    public void Properties_AreKept()
    {
        var ds = Dataset();
        var loader = new DataLoader(ds, 3, shuffle: true, dropLast: true);
        loader.Dataset.ShouldBeSameAs(ds);
        loader.BatchSize.ShouldBe(3);
        loader.Shuffle.ShouldBeTrue();
        loader.DropLast.ShouldBeTrue();
    }

    [TestCase(0)]
    [TestCase(-2)]
    public void Constructor_NonPositiveBatchSize_Throws(int batchSize)
    {
        var e = Should.Throw<ArgumentOutOfRangeException>(() => new DataLoader(Dataset(), batchSize));
        e.ParamName.ShouldBe("batchSize");
        e.Message.ShouldContain("positive");
    }

    [Test]
    public void Constructor_NullDataset_Throws()
        => Should.Throw<ArgumentNullException>(() => new DataLoader(null!, 2));
}
