using System.Globalization;
using System.IO.Compression;

namespace Autograd.Samples.Classifiers;

/// <summary>
/// A labelled dataset as plain arrays: one row of raw features per sample, and its class
/// (0, 1, ...). Tensors are made from it only once the data is split and standardised.
/// </summary>
/// <param name="Name">A readable name ("breast cancer").</param>
/// <param name="Features">One array of <see cref="FeatureCount"/> values per sample.</param>
/// <param name="Labels">The class of each sample, 0 to <see cref="ClassCount"/> - 1.</param>
/// <param name="ClassNames">The name of each class.</param>
public sealed record Dataset(string Name, float[][] Features, long[] Labels, string[] ClassNames)
{
    /// <summary>The number of samples.</summary>
    public int Count => Labels.Length;

    /// <summary>The number of features of each sample.</summary>
    public int FeatureCount => Features.Length == 0 ? 0 : Features[0].Length;

    /// <summary>The number of classes.</summary>
    public int ClassCount => ClassNames.Length;

    /// <summary>The samples at <paramref name="indices"/>, in that order.</summary>
    public Dataset Subset(IEnumerable<int> indices)
    {
        int[] rows = indices.ToArray();
        return this with
        {
            Features = rows.Select(i => Features[i]).ToArray(),
            Labels = rows.Select(i => Labels[i]).ToArray(),
        };
    }
}

/// <summary>The two halves of a dataset: one to learn from, one to measure on.</summary>
public sealed record TrainTestSplit(Dataset Train, Dataset Test);

/// <summary>
/// Loading the three datasets of <c>samples/data</c> (see the README there for the file format)
/// and splitting them into a training and a test set.
/// </summary>
public static class Datasets
{
    /// <summary>The <c>data</c> folder next to the program, where the project file copies the datasets.</summary>
    public static string DefaultDirectory => Path.Combine(AppContext.BaseDirectory, "data");

    /// <summary>Breast Cancer Wisconsin (Diagnostic): 569 tumours, 30 features, malignant (0) or benign (1).</summary>
    public static Dataset BreastCancer(string directory) => LoadCsvWithHeader(Path.Combine(directory, "breast_cancer.csv"), "breast cancer");

    /// <summary>Handwritten digits: 1797 images of 8x8 pixels (values 0 to 16), digits 0 to 9.</summary>
    public static Dataset Digits(string directory)
    {
        string path = Path.Combine(directory, "digits.csv.gz");
        using var file = OpenDataFile(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        var (features, labels) = ReadRows(reader, featureCount: 64, path, firstLine: 1);
        string[] classNames = Enumerable.Range(0, 10).Select(d => d.ToString(CultureInfo.InvariantCulture)).ToArray();
        return new Dataset("digits", features, labels, classNames);
    }

    /// <summary>Fisher's iris flowers: 150 samples, 4 measurements, 3 species.</summary>
    public static Dataset Iris(string directory) => LoadCsvWithHeader(Path.Combine(directory, "iris.csv"), "iris");

    /// <summary>Reads a file whose header is <c>ROWS,FEATURES,CLASSNAME0,CLASSNAME1,...</c>.</summary>
    private static Dataset LoadCsvWithHeader(string path, string name)
    {
        using var reader = new StreamReader(OpenDataFile(path));
        string[] header = (reader.ReadLine() ?? "").Split(',');
        if (header.Length < 4 || !int.TryParse(header[0], out int rows) || !int.TryParse(header[1], out int featureCount))
            throw new InvalidDataException($"{path}: the first line should be ROWS,FEATURES,CLASSNAME0,CLASSNAME1,..., got \"{string.Join(',', header)}\".");
        var (features, labels) = ReadRows(reader, featureCount, path, firstLine: 2);
        if (labels.Length != rows)
            throw new InvalidDataException($"{path}: the header announces {rows} rows, but the file has {labels.Length}.");
        return new Dataset(name, features, labels, header[2..]);
    }

    private static FileStream OpenDataFile(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"Cannot find the dataset {path}. The build copies samples/data next to the program; use --data DIR to read it from elsewhere.", path);
        return File.OpenRead(path);
    }

    /// <summary>Reads lines of <paramref name="featureCount"/> numbers followed by an integer label.</summary>
    private static (float[][] Features, long[] Labels) ReadRows(TextReader reader, int featureCount, string path, int firstLine)
    {
        var features = new List<float[]>();
        var labels = new List<long>();
        int lineNumber = firstLine - 1;
        while (reader.ReadLine() is string line)
        {
            lineNumber++;
            if (line.Length == 0) continue;
            string[] fields = line.Split(',');
            if (fields.Length != featureCount + 1)
                throw new InvalidDataException($"{path}, line {lineNumber}: expected {featureCount} features and a label, got {fields.Length} values.");
            var row = new float[featureCount];
            for (int j = 0; j < featureCount; j++)
                row[j] = float.Parse(fields[j], CultureInfo.InvariantCulture);
            features.Add(row);
            labels.Add(long.Parse(fields[^1], CultureInfo.InvariantCulture));
        }
        return (features.ToArray(), labels.ToArray());
    }

    /// <summary>
    /// Splits <paramref name="data"/> at random, class by class (stratified), so both halves keep
    /// the class proportions: of each class, a shuffled <paramref name="testFraction"/> goes to the
    /// test set and the rest to the training set. The same generator state gives the same split.
    /// </summary>
    /// <param name="data">The dataset to split.</param>
    /// <param name="testFraction">The share of each class held out for testing, in (0, 1).</param>
    /// <param name="generator">The source of the shuffles.</param>
    public static TrainTestSplit StratifiedSplit(Dataset data, double testFraction, Generator generator)
    {
        var train = new List<int>();
        var test = new List<int>();
        for (long label = 0; label < data.ClassCount; label++)
        {
            int[] members = Enumerable.Range(0, data.Count).Where(i => data.Labels[i] == label).ToArray();
            int[] order = generator.Permutation(members.Length);
            int testCount = (int)Math.Round(members.Length * testFraction);
            for (int k = 0; k < members.Length; k++)
                (k < testCount ? test : train).Add(members[order[k]]);
        }
        // Back in file order; the DataLoader shuffles the training set anyway.
        train.Sort();
        test.Sort();
        return new TrainTestSplit(data.Subset(train), data.Subset(test));
    }
}

/// <summary>
/// Standardisation: each feature is shifted and scaled to mean 0 and standard deviation 1, with
/// the mean and deviation measured on the training set only (the test set must stay unseen, so it
/// is transformed with the training set's numbers). Without it, features in the thousands
/// (a tumour's area) would swamp features below 1 (its smoothness), and gradient descent would
/// need a tiny learning rate.
/// </summary>
public sealed class Standardizer
{
    private readonly double[] _mean;
    private readonly double[] _scale;

    private Standardizer(double[] mean, double[] scale) => (_mean, _scale) = (mean, scale);

    /// <summary>
    /// Measures each feature's mean and (population) standard deviation on <paramref name="train"/>.
    /// A feature that never varies (a pixel always blank) is divided by 1 instead of 0.
    /// </summary>
    public static Standardizer Fit(Dataset train)
    {
        int n = train.Count, f = train.FeatureCount;
        var mean = new double[f];
        var scale = new double[f];
        for (int j = 0; j < f; j++)
        {
            double sum = 0;
            for (int i = 0; i < n; i++) sum += train.Features[i][j];
            mean[j] = sum / n;
            double squares = 0;
            for (int i = 0; i < n; i++) squares += Math.Pow(train.Features[i][j] - mean[j], 2);
            double std = Math.Sqrt(squares / n);
            scale[j] = std > 0 ? std : 1;
        }
        return new Standardizer(mean, scale);
    }

    /// <summary>The standardised features of <paramref name="data"/> as a Float32 tensor of shape (samples, features).</summary>
    public Tensor Transform(Dataset data)
    {
        int n = data.Count, f = data.FeatureCount;
        var values = new float[n * f];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < f; j++)
                values[i * f + j] = (float)((data.Features[i][j] - _mean[j]) / _scale[j]);
        return Tensor.FromArray(values, n, f);
    }
}
