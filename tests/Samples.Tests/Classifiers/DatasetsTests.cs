using Autograd.Samples.Classifiers;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Samples.Tests.Classifiers;

/// <summary>Loading the shipped datasets, the stratified split and the standardisation.</summary>
[TestFixture]
public sealed class DatasetsTests
{
    private static readonly string DataDirectory = Datasets.DefaultDirectory;

    [Test]
    public void Load_ShippedFiles_HaveTheDocumentedSizes()
    {
        var cancer = Datasets.BreastCancer(DataDirectory);
        (cancer.Count, cancer.FeatureCount, cancer.ClassCount).ShouldBe((569, 30, 2));
        cancer.ClassNames.ShouldBe(["malignant", "benign"]);
        cancer.Labels.Count(l => l == 0).ShouldBe(212);  // UCI: 212 malignant, 357 benign
        cancer.Features[0][0].ShouldBe(17.99f);

        var digits = Datasets.Digits(DataDirectory);
        (digits.Count, digits.FeatureCount, digits.ClassCount).ShouldBe((1797, 64, 10));
        digits.Features.SelectMany(f => f).ShouldAllBe(v => v >= 0 && v <= 16);

        var iris = Datasets.Iris(DataDirectory);
        (iris.Count, iris.FeatureCount, iris.ClassCount).ShouldBe((150, 4, 3));
        iris.ClassNames.ShouldBe(["setosa", "versicolor", "virginica"]);
        iris.Labels.GroupBy(l => l).Select(g => g.Count()).ShouldBe([50, 50, 50]);
    }

    [Test]
    public void Load_MissingFile_ThrowsFileNotFound()
        => Should.Throw<FileNotFoundException>(() => Datasets.Iris("/no/such/folder"));

    [Test]
    public void Load_RowWithTooFewValues_ThrowsNamingTheLine()
    {
        string directory = Directory.CreateTempSubdirectory("classifiers-bad-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(directory, "iris.csv"), "2,4,a,b,c\n1,2,3,4,0\n1,2,3,1\n");
            var e = Should.Throw<InvalidDataException>(() => Datasets.Iris(directory));
            e.Message.ShouldContain("iris.csv, line 3: expected 4 features and a label, got 4 values.");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Test]
    public void StratifiedSplit_KeepsClassProportionsAndUsesEverySampleOnce()
    {
        var cancer = Datasets.BreastCancer(DataDirectory);
        var (train, test) = Datasets.StratifiedSplit(cancer, 0.2, new Generator(0));

        // Of each class, round(20%) for testing: 212 * 0.2 = 42.4 -> 42 malignant, 357 * 0.2 = 71.4 -> 71 benign.
        test.Labels.Count(l => l == 0).ShouldBe(42);
        test.Labels.Count(l => l == 1).ShouldBe(71);
        (train.Count, test.Count).ShouldBe((456, 113));

        // Every sample lands in exactly one half: compare the rows as text.
        var all = cancer.Features.Select(Key).Order().ToList();
        train.Features.Concat(test.Features).Select(Key).Order().ToList().ShouldBe(all);
    }

    [Test]
    public void StratifiedSplit_SameSeedSameSplit_OtherSeedOtherSplit()
    {
        var iris = Datasets.Iris(DataDirectory);
        var a = Datasets.StratifiedSplit(iris, 0.2, new Generator(7));
        var b = Datasets.StratifiedSplit(iris, 0.2, new Generator(7));
        var c = Datasets.StratifiedSplit(iris, 0.2, new Generator(8));
        a.Test.Features.Select(Key).ShouldBe(b.Test.Features.Select(Key));
        c.Test.Features.Select(Key).ShouldNotBe(a.Test.Features.Select(Key));
        a.Test.Labels.GroupBy(l => l).Select(g => g.Count()).ShouldBe([10, 10, 10]);
    }

    [Test]
    public void Standardizer_TrainingSetGetsMeanZeroAndDeviationOne_ConstantFeaturesStayZero()
    {
        var digits = Datasets.Digits(DataDirectory);
        var (train, test) = Datasets.StratifiedSplit(digits, 0.2, new Generator(0));
        var standardizer = Standardizer.Fit(train);
        var x = standardizer.Transform(train);
        x.Shape.ShouldBe([train.Count, 64]);

        float[] values = x.ToArray<float>();
        int n = train.Count;
        int constant = 0;
        for (int j = 0; j < 64; j++)
        {
            double[] column = Enumerable.Range(0, n).Select(i => (double)values[i * 64 + j]).ToArray();
            double mean = column.Average();
            double std = Math.Sqrt(column.Sum(v => (v - mean) * (v - mean)) / n);
            // Float32 storage of values up to ~40 (rare pixels): the mean of 1438 of them is 0 to ~1e-6.
            mean.ShouldBe(0, 1e-5);
            if (std == 0) constant++;  // a pixel blank in every training image: divided by 1, stays 0
            else std.ShouldBe(1, 1e-5);
        }
        constant.ShouldBeGreaterThan(0);  // pixel 0 (the top left corner) is always blank
        standardizer.Transform(test).ToArray<float>().ShouldAllBe(v => float.IsFinite(v));
    }

    private static string Key(float[] row) => string.Join(",", row);
}
