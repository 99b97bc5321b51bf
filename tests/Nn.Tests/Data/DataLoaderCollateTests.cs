using NUnit.Framework;
using Shouldly;

namespace Autograd.Nn.Tests.Data;

/// <summary>
/// <see cref="DataLoader{T, TBatch}"/> over any dataset with a collate function, the default
/// collate (<see cref="DataLoader.DefaultCollate(IReadOnlyList{Tensor[]})"/>), and
/// <see cref="TensorDataset"/>'s range indexing.
/// </summary>
[TestFixture]
public sealed class DataLoaderCollateTests
{
    /// <summary>A user dataset: sample i is (i, i squared).</summary>
    private sealed class Squares(int count) : IDataset<(int, int)>
    {
        public int Count => count;
        public (int, int) this[int index] => (index, index * index);
    }

    private static TensorDataset Dataset(int n)
        => new(Tensor.Arange(6 * n).Reshape(n, 2, 3), Tensor.FromArray(Enumerable.Range(100, n).Select(i => (long)i).ToArray(), n));

    [Test]
    public void Generic_CollatesEachBatchInOrder()
    {
        var loader = new DataLoader<(int, int), int[]>(new Squares(7), 3, s => s.Select(p => p.Item2).ToArray());
        loader.Count.ShouldBe(3);
        loader.ToList().ShouldBe([[0, 1, 4], [9, 16, 25], [36]]);
        new DataLoader<(int, int), int[]>(new Squares(7), 3, s => s.Select(p => p.Item1).ToArray(), dropLast: true).ToList().ShouldBe([[0, 1, 2], [3, 4, 5]]);
    }

    [Test]
    public void Generic_SeededShuffle_SameOrderAsTheTensorLoader()
    {
        // Both loaders draw the same permutation from equally seeded generators.
        var a = new DataLoader<(int, int), int[]>(new Squares(10), 4, s => s.Select(p => p.Item1).ToArray(), shuffle: true, generator: new Generator(7));
        var b = new DataLoader(Dataset(10), 4, shuffle: true, generator: new Generator(7));
        for (int epoch = 0; epoch < 2; epoch++)
            a.ToList().ShouldBe(b.Select(batch => batch[1].ToArray<long>().Select(v => (int)v - 100).ToArray()).ToList());
    }

    [Test]
    public void Generic_CollateReturningNull_Throws()
    {
        var loader = new DataLoader<(int, int), int[]>(new Squares(4), 2, s => s[0].Item1 == 2 ? null! : [1]);
        var e = Should.Throw<InvalidOperationException>(() => loader.ToList());
        e.Message.ShouldContain("collate function returned null for batch 1");
    }

    [Test]
    public void Generic_BadArguments_Throw()
    {
        Should.Throw<ArgumentNullException>(() => new DataLoader<(int, int), int>(new Squares(1), 1, null!)).ParamName.ShouldBe("collate");
        Should.Throw<ArgumentNullException>(() => new DataLoader<(int, int), int>(null!, 1, s => 0)).ParamName.ShouldBe("dataset");
        Should.Throw<ArgumentOutOfRangeException>(() => new DataLoader<(int, int), int>(new Squares(1), 0, s => 0)).ParamName.ShouldBe("batchSize");
    }

    [Test]
    public void Generic_EmptyDataset_NoBatches()
        => new DataLoader<(int, int), int>(new Squares(0), 2, s => throw new InvalidOperationException("not called")).ShouldBeEmpty();

    [TestCase(false, false)]
    [TestCase(true, false)]
    [TestCase(true, true)]
    public void DefaultCollate_OverAnyDataset_SameBatchesAsTheTensorDatasetPath(bool shuffle, bool dropLast)
    {
        // Subset with every index in order: the generic path (read samples, stack them) against
        // the direct row copy TensorDataset takes; the batches must hold the same bits.
        var ds = Dataset(11);
        var direct = new DataLoader(ds, 4, shuffle, dropLast, new Generator(9)).ToList();
        var viaSubset = new DataLoader(new Subset<Tensor[]>(ds, Enumerable.Range(0, 11).ToArray()), 4, shuffle, dropLast, new Generator(9)).ToList();
        viaSubset.Count.ShouldBe(direct.Count);
        for (int b = 0; b < direct.Count; b++)
            for (int k = 0; k < 2; k++)
            {
                viaSubset[b][k].Shape.ShouldBe(direct[b][k].Shape);
                viaSubset[b][k].DType.ShouldBe(direct[b][k].DType);
                viaSubset[b][k].Data.ShouldBe(direct[b][k].Data);
                viaSubset[b][k].RequiresGrad.ShouldBeFalse();
            }
    }

    [Test]
    public void DefaultCollate_StacksAlongANewDim0_WithoutGrad()
    {
        var a = Tensor.FromArray(new[] { 1f, 2 }, 2);
        var b = Tensor.FromArray(new[] { 3f, 4 }, 2);
        a.RequiresGrad = true;
        var batch = DataLoader.DefaultCollate([[a, Tensor.Scalar(5L)], [b, Tensor.Scalar(6L)]]);
        batch.Length.ShouldBe(2);
        batch[0].Shape.ShouldBe([2, 2]);
        batch[0].ToArray<float>().ShouldBe([1f, 2, 3, 4]);
        batch[0].RequiresGrad.ShouldBeFalse();
        batch[1].Shape.ShouldBe([2]);
        batch[1].DType.ShouldBe(DType.Int64);
        batch[1].ToArray<long>().ShouldBe([5L, 6]);
        var single = DataLoader.DefaultCollate(new[] { a, b });
        single.Shape.ShouldBe([2, 2]);
        single.RequiresGrad.ShouldBeFalse();
    }

    [Test]
    public void DefaultCollate_BadSamples_Throw()
    {
        var e = Should.Throw<ArgumentException>(() => DataLoader.DefaultCollate([[Tensor.Zeros(2)], [Tensor.Zeros(3)]]));
        e.ParamName.ShouldBe("samples");
        e.Message.ShouldContain("tensor 0 of sample 1 has shape [3]");
        Should.Throw<ArgumentException>(() => DataLoader.DefaultCollate([[Tensor.Zeros(2)], [Tensor.Zeros(2), Tensor.Zeros(2)]]))
            .Message.ShouldContain("sample 0 holds 1 and sample 1 holds 2");
        Should.Throw<ArgumentException>(() => DataLoader.DefaultCollate(Array.Empty<Tensor[]>())).Message.ShouldContain("at least one sample");
        Should.Throw<ArgumentException>(() => DataLoader.DefaultCollate(Array.Empty<Tensor>())).Message.ShouldContain("at least one sample");
        Should.Throw<ArgumentNullException>(() => DataLoader.DefaultCollate([[Tensor.Zeros(2)], null!])).Message.ShouldContain("sample 1 is null");
        Should.Throw<ArgumentNullException>(() => DataLoader.DefaultCollate(new[] { Tensor.Zeros(2), null! })).Message.ShouldContain("sample 1 is null");
    }

    [Test]
    public void DefaultCollate_OfMismatchedUserSamples_ThrowsWhileEnumerating()
    {
        IDataset<Tensor[]> ds = new ConcatDataset<Tensor[]>(new TensorDataset(Tensor.Zeros(2, 3)), new TensorDataset(Tensor.Zeros(2, 4)));
        Should.Throw<ArgumentException>(() => new DataLoader(ds, 4).ToList()).Message.ShouldContain("[4]");
    }

    [Test]
    public void UserCollate_OnTheTensorLoader_ReplacesTheDefault()
    {
        var loader = new DataLoader(Dataset(5), 2, collate: s => [Tensor.Scalar((float)s.Count)]);
        loader.Select(b => b[0].Item()).ShouldBe([2.0, 2, 1]);
        Should.Throw<InvalidOperationException>(() => new DataLoader(Dataset(5), 2, collate: s => null!).ToList());
    }

    [Test]
    public void TensorDataset_Range_IsTheBatchOfThoseRows()
    {
        var ds = Dataset(10);
        var rows = ds[3..6];
        rows.Length.ShouldBe(2);
        rows[0].Shape.ShouldBe([3, 2, 3]);
        rows[0].ToArray<float>().ShouldBe(Enumerable.Range(18, 18).Select(i => (float)i));
        rows[1].ToArray<long>().ShouldBe([103L, 104, 105]);
        ds[^1][1].Item().ShouldBe(109);
        ds[8..][1].ToArray<long>().ShouldBe([108L, 109]);
        ds[4..4][0].Shape.ShouldBe([0, 2, 3]);
        new DataLoader(ds, 4).ElementAt(1)[0].Data.ShouldBe(ds[4..8][0].Data);
        // Clamped as a Python slice of a TensorDataset (PyTorch: ds[8:11] has 2 rows, ds[12:14] and ds[5:3] none).
        ds[8..11][1].ToArray<long>().ShouldBe([108L, 109]);
        ds.Slice(12, 2)[0].Shape.ShouldBe([0, 2, 3]);
        ds[5..3][1].Shape.ShouldBe([0]);
        ds[^20..][1].ToArray<long>().ShouldBe(Enumerable.Range(100, 10).Select(i => (long)i));
    }

    [Test]
    public void Batch_Deconstructs_AsPythonsTupleUnpacking()
    {
        var ds = Dataset(10);
        var (xb, yb) = ds[0..4];
        xb.Shape.ShouldBe([4, 2, 3]);
        yb.ToArray<long>().ShouldBe([100L, 101, 102, 103]);
        int batches = 0;
        foreach (var (x, y) in new DataLoader(ds, 4))
        {
            x.Shape[0].ShouldBe(y.Shape[0]);
            batches++;
        }
        batches.ShouldBe(3);
        var e = Should.Throw<ArgumentException>(() => { var (a, b, c) = ds[0..2]; });
        e.ParamName.ShouldBe("batch");
        e.Message.ShouldContain("holds 2 tensors");
    }
}
