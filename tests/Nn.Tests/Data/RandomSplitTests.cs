using NUnit.Framework;
using Shouldly;

namespace Autograd.Nn.Tests.Data;

/// <summary>
/// <see cref="Subset.RandomSplit{T}(IDataset{T}, IReadOnlyList{int}, Generator?)"/>: disjoint
/// splits covering the dataset, seeded, and PyTorch 1.13's lengths for fractions (the expected
/// lengths below were printed by <c>torch.utils.data.random_split</c> in PyTorch 1.13.1).
/// </summary>
[TestFixture]
public sealed class RandomSplitTests
{
    private sealed class Numbers(int count) : IDataset<int>
    {
        public int Count => count;
        public int this[int index] => index;
    }

    private static int[] Samples(Subset<int> s) => Enumerable.Range(0, s.Count).Select(i => s[i]).ToArray();

    [Test]
    public void Lengths_DisjointSplitsCoveringTheDataset()
    {
        var splits = Subset.RandomSplit(new Numbers(10), [3, 0, 7], new Generator(0));
        splits.Select(s => s.Count).ShouldBe([3, 0, 7]);
        splits.SelectMany(Samples).Order().ShouldBe(Enumerable.Range(0, 10));
        splits.SelectMany(Samples).ShouldNotBe(Enumerable.Range(0, 10)); // shuffled
    }

    [Test]
    public void Lengths_AreCutFromTheGeneratorsPermutation()
    {
        int[] permutation = new Generator(5).Permutation(10);
        var splits = Subset.RandomSplit(new Numbers(10), [4, 6], new Generator(5));
        Samples(splits[0]).ShouldBe(permutation[..4]);
        Samples(splits[1]).ShouldBe(permutation[4..]);
    }

    [Test]
    public void SameSeed_SameSplit()
        => Subset.RandomSplit(new Numbers(20), [0.5, 0.5], new Generator(3)).Select(Samples)
            .ShouldBe(Subset.RandomSplit(new Numbers(20), [0.5, 0.5], new Generator(3)).Select(Samples));

    [TestCase(10, new[] { 0.33, 0.33, 0.34 }, new[] { 4, 3, 3 })]
    [TestCase(7, new[] { 0.5, 0.5 }, new[] { 4, 3 })]
    [TestCase(10, new[] { 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1 }, new[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 })]
    [TestCase(3, new[] { 0.25, 0.25, 0.25, 0.25 }, new[] { 1, 1, 1, 0 })]
    [TestCase(11, new[] { 0.7, 0.2, 0.1 }, new[] { 8, 2, 1 })]
    [TestCase(5, new[] { 1.0 }, new[] { 5 })]
    [TestCase(5, new[] { 0.0, 1.0 }, new[] { 0, 5 })]
    [TestCase(0, new[] { 0.8, 0.2 }, new[] { 0, 0 })]
    public void Fractions_GivePyTorchsLengths(int n, double[] fractions, int[] lengths)
    {
        var splits = Subset.RandomSplit(new Numbers(n), fractions, new Generator(0));
        splits.Select(s => s.Count).ShouldBe(lengths);
        splits.SelectMany(Samples).Order().ShouldBe(Enumerable.Range(0, n));
    }

    [Test]
    public void OfTensorDataset_SplitsFeedDataLoaders()
    {
        var ds = new TensorDataset(Tensor.Arange(20).Reshape(10, 2));
        var splits = Subset.RandomSplit(ds, [8, 2], new Generator(1));
        var rows = splits.SelectMany(s => new DataLoader(s, 3)).Select(b => b[0]).SelectMany(t => t.ToArray<float>()).ToArray();
        rows.Length.ShouldBe(20);
        rows.Where((_, i) => i % 2 == 0).Order().ShouldBe(Enumerable.Range(0, 10).Select(i => 2f * i));
    }

    [Test]
    public void Lengths_NotSummingToCount_Throws()
    {
        var e = Should.Throw<ArgumentException>(() => Subset.RandomSplit(new Numbers(10), [3, 8]));
        e.ParamName.ShouldBe("lengths");
        e.Message.ShouldContain("sum to 11");
        e.Message.ShouldContain("10 samples");
    }

    [Test]
    public void Lengths_Negative_Throws()
    {
        var e = Should.Throw<ArgumentException>(() => Subset.RandomSplit(new Numbers(10), [12, -2]));
        e.ParamName.ShouldBe("lengths");
        e.Message.ShouldContain("lengths[1] = -2 is negative");
    }

    [TestCase(new[] { 1.2, -0.2 }, "fractions[0] = 1.2 is not between 0 and 1")]
    [TestCase(new[] { 0.5, double.NaN }, "fractions[1] = NaN")]
    [TestCase(new[] { 0.5, 0.6 }, "not 1")]
    [TestCase(new[] { 0.5, 0.4 }, "not 1")]
    [TestCase(new double[0], "at least one fraction")]
    public void Fractions_Bad_Throw(double[] fractions, string message)
    {
        var e = Should.Throw<ArgumentException>(() => Subset.RandomSplit(new Numbers(10), fractions));
        e.ParamName.ShouldBe("fractions");
        e.Message.ShouldContain(message);
    }

    [Test]
    public void NullArguments_Throw()
    {
        Should.Throw<ArgumentNullException>(() => Subset.RandomSplit<int>(null!, [1])).ParamName.ShouldBe("dataset");
        Should.Throw<ArgumentNullException>(() => Subset.RandomSplit(new Numbers(1), (int[])null!)).ParamName.ShouldBe("lengths");
        Should.Throw<ArgumentNullException>(() => Subset.RandomSplit(new Numbers(1), (double[])null!)).ParamName.ShouldBe("fractions");
    }
}
