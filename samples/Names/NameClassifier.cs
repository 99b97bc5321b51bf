using System.Globalization;
using Autograd.Nn;
using Autograd.Optim;
using Autograd.Samples.Classifiers;

namespace Autograd.Samples.Names;

/// <summary>
/// The task of PyTorch's tutorial "Classifying Names with a Character-Level RNN": read a surname
/// letter by letter and say which language it comes from. Each letter is a one-hot vector; a
/// recurrent layer reads them in order and a Linear layer turns the last hidden state into one
/// logit per language. The sample trains an <see cref="RNN"/>, then a <see cref="GRU"/> on the
/// same data, prints their held-out accuracy and the GRU's confusion matrix (also as an SVG), and
/// shows what gradient clipping does to a plain RNN trained with a large learning rate.
/// </summary>
/// <remarks>
/// Names of one length are batched together, so a batch is a (length, batch, letters) tensor
/// with no padding: the recurrence runs exactly over each name's letters.
/// </remarks>
public static class NameClassifier
{
    /// <summary>The alphabet: lower-case letters, space, apostrophe and hyphen (names are lower-cased first).</summary>
    public const string Letters = "abcdefghijklmnopqrstuvwxyz '-";

    /// <summary>The folder of the word lists copied next to the program (samples/data/names).</summary>
    public static string DefaultDataDirectory => Path.Combine(AppContext.BaseDirectory, "data", "names");

    /// <summary>What <see cref="Run"/> measured.</summary>
    /// <param name="Languages">The class names, in label order.</param>
    /// <param name="TrainCount">Names trained on.</param>
    /// <param name="TestCount">Held-out names.</param>
    /// <param name="RnnAccuracy">The RNN's held-out accuracy.</param>
    /// <param name="GruAccuracy">The GRU's held-out accuracy.</param>
    /// <param name="Confusion">The GRU's held-out confusion matrix: [true language, predicted language].</param>
    /// <param name="UnclippedNorms">The total gradient norm of each step of the plain RNN trained with lr 1 and no clipping.</param>
    /// <param name="ClippedNorms">The same run with the gradient clipped to norm 1 (the norms before clipping).</param>
    /// <param name="UnclippedAccuracy">Held-out accuracy after the unclipped run.</param>
    /// <param name="ClippedAccuracy">Held-out accuracy after the clipped run.</param>
    public sealed record Result(string[] Languages, int TrainCount, int TestCount, double RnnAccuracy, double GruAccuracy, int[,] Confusion,
        double[] UnclippedNorms, double[] ClippedNorms, double UnclippedAccuracy, double ClippedAccuracy);

    /// <summary>A recurrent layer and a Linear head on its last hidden state.</summary>
    private sealed class Classifier : Module
    {
        private readonly RNNBase<Tensor?, Tensor> _recurrent;
        private readonly Linear _head;

        public Classifier(RNNBase<Tensor?, Tensor> recurrent, int hidden, int classes, Generator g)
        {
            _recurrent = RegisterModule("recurrent", recurrent);
            _head = RegisterModule("head", new Linear(hidden, classes, generator: g));
        }

        /// <summary>Logits (batch, classes) for one-hot names (length, batch, letters).</summary>
        public override Tensor Forward(Tensor input)
        {
            var (_, hidden) = _recurrent.Forward(input);   // hidden: (1, batch, hidden), the state after the last letter
            return _head.Forward(hidden.Select(0, 0));
        }
    }

    /// <summary>Loads the names, trains an RNN and a GRU, and runs the clipping experiment.</summary>
    /// <param name="output">Where to print.</param>
    /// <param name="dataDirectory">The folder of <c>Language.txt</c> word lists.</param>
    /// <param name="outputDirectory">Where to write the confusion matrix SVG (null: no file).</param>
    /// <param name="epochs">Training epochs per model (the tests use fewer).</param>
    public static Result Run(TextWriter output, string dataDirectory, string? outputDirectory, int epochs = 12)
    {
        void Say(FormattableString line) => output.WriteLine(line.ToString(CultureInfo.InvariantCulture));
        var files = Directory.GetFiles(dataDirectory, "*.txt").Order(StringComparer.Ordinal).ToArray();
        if (files.Length == 0) throw new FileNotFoundException($"No word lists (*.txt) in {dataDirectory}.");
        string[] languages = files.Select(Path.GetFileNameWithoutExtension).Select(n => n!).ToArray();

        // ---- data: 80 % of each language to train on, 20 % held out
        var g = new Generator(17);
        var train = new List<(string Name, int Label)>();
        var test = new List<(string Name, int Label)>();
        for (int label = 0; label < files.Length; label++)
        {
            var names = File.ReadAllLines(files[label]).Select(n => n.Trim()).Where(n => n.Length > 0).ToArray();
            int[] order = g.Permutation(names.Length);
            int cut = (int)Math.Round(names.Length * 0.8);
            for (int i = 0; i < names.Length; i++) (i < cut ? train : test).Add((names[order[i]], label));
        }
        Say($"{train.Count + test.Count} surnames in {languages.Length} languages ({string.Join(", ", languages)}); {train.Count} to train on, {test.Count} held out.");
        Say($"Each letter is a one-hot vector of {Letters.Length}; names of one length are batched together.");
        Say($"");

        // ---- an RNN, then a GRU: same data, same optimizer, same budget
        const int hidden = 128;
        var rnn = new Classifier(new RNN(Letters.Length, hidden, generator: new Generator(1)), hidden, languages.Length, new Generator(2));
        Train(rnn, train, epochs, new Adam(rnn.Parameters(), lr: 0.003), clip: 1.0, new Generator(3));
        double rnnAccuracy = Accuracy(rnn, test, languages.Length, out _);
        var gru = new Classifier(new GRU(Letters.Length, hidden, generator: new Generator(1)), hidden, languages.Length, new Generator(2));
        Train(gru, train, epochs, new Adam(gru.Parameters(), lr: 0.003), clip: 1.0, new Generator(3));
        double gruAccuracy = Accuracy(gru, test, languages.Length, out var confusion);
        Say($"Held-out accuracy after {epochs} epochs (Adam, lr 0.003, gradient norm clipped to 1, hidden {hidden}):");
        Say($"  RNN  {rnnAccuracy:P1}");
        Say($"  GRU  {gruAccuracy:P1}   (guessing: {1.0 / languages.Length:P0})");
        Say($"");
        Say($"The GRU's confusion matrix on the held-out names (rows: true language, columns: predicted):");
        Say($"{"",10}{string.Concat(languages.Select(l => l[..3].PadLeft(5)))}");
        for (int i = 0; i < languages.Length; i++)
            Say($"{languages[i],10}{string.Concat(Enumerable.Range(0, languages.Length).Select(j => confusion[i, j].ToString(CultureInfo.InvariantCulture).PadLeft(5)))}");
        foreach (var name in new[] { "Dostoevsky", "Jackson", "Satoshi", "Schwarzenegger", "Papadopoulos", "Rossi" })
            Say($"  {name,-15} -> {languages[Predict(gru, name)]}");
        if (outputDirectory is not null)
        {
            Directory.CreateDirectory(outputDirectory);
            string path = Path.Combine(outputDirectory, "names-confusion.svg");
            File.WriteAllText(path, SvgPlot.Heatmap($"GRU on held-out surnames ({gruAccuracy:P1} correct)", "predicted language", "true language", confusion, languages));
            Say($"  wrote {path}");
        }
        Say($"");

        // ---- gradient clipping: a plain RNN with plain SGD and a large learning rate
        var unclipped = new Classifier(new RNN(Letters.Length, hidden, generator: new Generator(4)), hidden, languages.Length, new Generator(5));
        var clipped = new Classifier(new RNN(Letters.Length, hidden, generator: new Generator(4)), hidden, languages.Length, new Generator(5));
        double[] unclippedNorms = Train(unclipped, train, epochs, new SGD(unclipped.Parameters(), lr: 1.0), clip: double.PositiveInfinity, new Generator(6));
        double[] clippedNorms = Train(clipped, train, epochs, new SGD(clipped.Parameters(), lr: 1.0), clip: 1.0, new Generator(6));
        double unclippedAccuracy = Accuracy(unclipped, test, languages.Length, out _);
        double clippedAccuracy = Accuracy(clipped, test, languages.Length, out _);
        Say($"Gradient clipping: the same RNN trained with SGD at lr 1.0, without and with ClipGradNorm(parameters, 1.0):");
        Say($"  {"",10} {"largest norm",13} {"steps with norm > 10",21} {"held-out accuracy",18}");
        Say($"  {"unclipped",10} {unclippedNorms.Max(),13:F1} {unclippedNorms.Count(n => n > 10),21} {unclippedAccuracy,18:P1}");
        Say($"  {"clipped",10} {clippedNorms.Max(),13:F1} {clippedNorms.Count(n => n > 10),21} {clippedAccuracy,18:P1}");
        Say($"Clipping rescales a step's whole gradient to norm 1 when it is larger, keeping its direction: the rare huge");
        Say($"gradients of a recurrence (a product of many Jacobians) then cannot throw the weights far away.");
        return new Result(languages, train.Count, test.Count, rnnAccuracy, gruAccuracy, confusion, unclippedNorms, clippedNorms, unclippedAccuracy, clippedAccuracy);
    }

    /// <summary>Trains for <paramref name="epochs"/> epochs; returns the total gradient norm of every step (before clipping).</summary>
    private static double[] Train(Classifier model, List<(string Name, int Label)> train, int epochs, Optimizer optimizer, double clip, Generator g)
    {
        var lossFn = new CrossEntropyLoss();
        var norms = new List<double>();
        model.Train();
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            foreach (var (x, y) in Batches(train, 32, g))
            {
                optimizer.ZeroGrad();
                lossFn.Forward(model.Forward(x), y).Backward();
                // Returns the norm before clipping; an infinite maxNorm only measures it.
                norms.Add(Utils.ClipGradNorm(model.Parameters(), clip).Item());
                optimizer.Step();
            }
        }
        return [.. norms];
    }

    /// <summary>The names in batches of one length (at most <paramref name="size"/> each), in a shuffled order.</summary>
    private static List<(Tensor X, Tensor Y)> Batches(List<(string Name, int Label)> names, int size, Generator g)
    {
        var batches = new List<(Tensor, Tensor)>();
        int[] order = g.Permutation(names.Count);
        foreach (var group in order.Select(i => names[i]).GroupBy(n => n.Name.Length).OrderBy(group => group.Key))
        {
            var members = group.ToArray();
            for (int start = 0; start < members.Length; start += size)
            {
                var chunk = members[start..Math.Min(members.Length, start + size)];
                batches.Add((OneHot(chunk.Select(c => c.Name).ToArray()), Tensor.FromArray(chunk.Select(c => (long)c.Label).ToArray())));
            }
        }
        int[] shuffled = g.Permutation(batches.Count);
        return [.. shuffled.Select(i => batches[i])];
    }

    /// <summary>Names of one length as one-hot letters, shape (length, names, letters).</summary>
    public static Tensor OneHot(string[] names)
    {
        int length = names[0].Length;
        var indices = new long[length * names.Length];
        for (int n = 0; n < names.Length; n++)
        {
            string name = names[n].ToLowerInvariant();
            for (int t = 0; t < length; t++)
            {
                int index = Letters.IndexOf(name[t], StringComparison.Ordinal);
                if (index < 0) throw new ArgumentException($"The name '{names[n]}' has a letter outside \"{Letters}\".", nameof(names));
                indices[(t * names.Length) + n] = index;
            }
        }
        return Functional.OneHot(Tensor.FromArray(indices, length, names.Length), Letters.Length).To(DType.Float32);
    }

    private static int Predict(Classifier model, string name)
    {
        using var _ = Tape.NoGrad();
        model.Eval();
        return (int)model.Forward(OneHot([name])).ArgMax(1).Item();
    }

    private static double Accuracy(Classifier model, List<(string Name, int Label)> names, int classes, out int[,] confusion)
    {
        using var _ = Tape.NoGrad();
        model.Eval();
        confusion = new int[classes, classes];
        int correct = 0;
        foreach (var group in names.GroupBy(n => n.Name.Length))
        {
            var members = group.ToArray();
            var predicted = model.Forward(OneHot(members.Select(m => m.Name).ToArray())).ArgMax(1).ToArray<long>();
            for (int i = 0; i < members.Length; i++)
            {
                confusion[members[i].Label, predicted[i]]++;
                if (predicted[i] == members[i].Label) correct++;
            }
        }
        model.Train();
        return (double)correct / names.Count;
    }
}
