using System.Diagnostics;
using Autograd.Nn;
using Autograd.Optim;
using static System.FormattableString;

namespace Autograd.Samples.Classifiers;

/// <summary>One model trained on one dataset.</summary>
/// <param name="Model">What kind of model ("Logistic regression").</param>
/// <param name="Data">The dataset.</param>
/// <param name="Objective">How the model's outputs are scored and read.</param>
/// <param name="FileStem">The start of the output files' names ("breast-cancer"), also its name for <c>--models</c>.</param>
/// <param name="Epochs">The passes over the training set, unless <c>--epochs</c> is given.</param>
public sealed record Experiment(string Model, Dataset Data, Objective Objective, string FileStem, int Epochs)
{
    /// <summary>
    /// Builds the model from the generator, or null for a linear model, <c>Linear(features, outputs)</c>:
    /// logistic regression with one output, softmax regression with one per class.
    /// </summary>
    public Func<Generator, Module>? CreateModel { get; init; }

    /// <summary>
    /// When set, the features are pixels from 0 to this value and are divided by it, instead of
    /// being standardised feature by feature (see <see cref="PreparedData.From"/>).
    /// </summary>
    public float? PixelMax { get; init; }

    /// <summary>
    /// True to lower the learning rate along a cosine, from its initial value to 0 over the epochs
    /// (<see cref="CosineAnnealingLR"/>); false to keep it constant.
    /// </summary>
    public bool CosineSchedule { get; init; }
}

/// <summary>The outcome of one experiment.</summary>
/// <param name="Model">What kind of model ("Logistic regression").</param>
/// <param name="Dataset">The dataset's name ("breast cancer").</param>
/// <param name="TrainAccuracy">The final accuracy on the training set, 0 to 1.</param>
/// <param name="TestAccuracy">The final accuracy on the test set, 0 to 1.</param>
/// <param name="History">The measurements after each epoch.</param>
/// <param name="ConfusionMatrix">[true class, predicted class] counts on the test set.</param>
/// <param name="ModelPath">The saved model (safetensors).</param>
/// <param name="PlotPaths">The SVG plots written for this model.</param>
/// <param name="Elapsed">The time taken to prepare, train and save.</param>
public sealed record ModelResult(string Model, string Dataset, double TrainAccuracy, double TestAccuracy,
    IReadOnlyList<EpochStats> History, int[,] ConfusionMatrix, string ModelPath, IReadOnlyList<string> PlotPaths, TimeSpan Elapsed);

/// <summary>The outcome of a whole run.</summary>
/// <param name="Models">One result per experiment, in order.</param>
/// <param name="OutputDirectory">The full path of the folder holding the models and plots.</param>
/// <param name="Elapsed">The time taken by the whole run.</param>
public sealed record RunResult(IReadOnlyList<ModelResult> Models, string OutputDirectory, TimeSpan Elapsed);

/// <summary>
/// The sample's entry point: trains logistic regression on breast cancer diagnoses, softmax
/// regression on handwritten digits and on iris flowers, and a small convolutional network (CNN)
/// on the digits, then saves the models and plots.
/// </summary>
public static class Program
{
    /// <summary>Runs the sample; returns 0 on success, 1 on a failure, 2 for a bad command line.</summary>
    public static int Main(string[] args) => Execute(args, Console.Out, Console.Error, interactive: !Console.IsOutputRedirected);

    /// <summary>
    /// <see cref="Main"/> with its writers given: parses <paramref name="args"/>, then prints the help,
    /// reports an error with the usage (exit code 2), or runs.
    /// </summary>
    /// <param name="args">The command line.</param>
    /// <param name="output">Where progress and results go.</param>
    /// <param name="error">Where errors go.</param>
    /// <param name="interactive">True to draw progress bars (the output is a terminal).</param>
    /// <returns>The exit code.</returns>
    public static int Execute(IReadOnlyList<string> args, TextWriter output, TextWriter error, bool interactive)
    {
        var commandLine = Options.Parse(args);
        if (commandLine.Error is not null)
        {
            error.WriteLine($"error: {commandLine.Error}");
            error.WriteLine();
            error.Write(Options.Usage);
            return 2;
        }
        if (commandLine.HelpRequested)
        {
            output.Write(Options.Usage);
            return 0;
        }
        try
        {
            Run(commandLine.Options!, output, interactive);
            return 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    /// <summary>Trains, evaluates and saves the classifiers, writing progress and a summary to <paramref name="output"/>.</summary>
    /// <param name="options">The settings.</param>
    /// <param name="output">Where progress and results go.</param>
    /// <param name="interactive">True to draw progress bars (the output is a terminal).</param>
    /// <returns>The accuracies and the files written.</returns>
    public static RunResult Run(Options options, TextWriter output, bool interactive = false)
    {
        var clock = Stopwatch.StartNew();
        var experiments = Experiments(options).ToList();
        string outputDirectory = Path.GetFullPath(options.OutputDirectory);
        Directory.CreateDirectory(outputDirectory);
        output.WriteLine(Invariant($"Optimizer {options.Optimizer} (learning rate {options.EffectiveLearningRate}), batch size {options.BatchSize}, seed {options.Seed}"));

        var results = experiments.Select(e => RunExperiment(e, options, outputDirectory, output, interactive)).ToList();

        output.WriteLine();
        foreach (var result in results)
            output.WriteLine($"{result.Model} on {result.Dataset}: test accuracy {Progress.Percent(result.TestAccuracy)}");
        output.WriteLine($"Models and plots saved in {outputDirectory}");
        output.WriteLine(Invariant($"Total time {clock.Elapsed.TotalSeconds:F1} s"));
        return new RunResult(results, outputDirectory, clock.Elapsed);
    }

    /// <summary>
    /// The experiments named in <see cref="Options.Models"/>, in the order of <see cref="Options.ModelNames"/>,
    /// with their datasets loaded.
    /// </summary>
    /// <param name="options">The settings: which models, and the data folder.</param>
    public static IEnumerable<Experiment> Experiments(Options options)
    {
        string directory = options.DataDirectory;
        Dataset? digits = null;
        foreach (string name in Options.ModelNames.Where(options.Models.Contains))
        {
            yield return name switch
            {
                "breast-cancer" => new("Logistic regression", Datasets.BreastCancer(directory), Objective.Binary, name, Epochs: 50),
                "digits" => new("Softmax regression", digits ??= Datasets.Digits(directory), Objective.Multiclass, name, Epochs: 50),
                // Iris has 120 training samples, 4 mini-batches an epoch: 50 epochs were only 200 steps,
                // and Adam, which moves each weight by about the learning rate per step (0.01), had
                // not reached the optimum (the training loss was still falling, 91.7% of the training
                // set right). 500 epochs (2000 steps) train it to the end; chosen on validation data
                // carved from the training set, as the comment on DigitsCnn describes (docs/samples.md).
                "iris" => new("Softmax regression", Datasets.Iris(directory), Objective.Multiclass, name, Epochs: 500),
                // The network and its epochs were chosen on validation data, see DigitsCnn.
                _ => new("CNN", digits ??= Datasets.Digits(directory), Objective.Multiclass, name, DigitsCnn.Epochs)
                {
                    CreateModel = DigitsCnn.Create,
                    PixelMax = 16,
                    CosineSchedule = true,
                },
            };
        }
    }

    /// <summary>Prepares the data, trains the model, and saves it with its plots.</summary>
    private static ModelResult RunExperiment(Experiment experiment, Options options, string outputDirectory, TextWriter output, bool interactive)
    {
        var clock = Stopwatch.StartNew();
        var data = experiment.Data;
        int epochs = options.Epochs ?? experiment.Epochs;
        output.WriteLine();
        output.WriteLine($"{experiment.Model} on {data.Name} ({data.Count} samples, {data.FeatureCount} features, {data.ClassCount} classes)");

        // One generator, seeded, for everything random in this experiment: the same seed, the same run.
        var generator = new Generator(options.Seed);
        var prepared = PreparedData.From(data, generator, experiment.PixelMax);
        output.WriteLine($"  {prepared.TrainLabels.Length} samples for training, {prepared.TestLabels.Length} for testing, {epochs} epochs");

        // A linear model, logits = x Wᵀ + b: logistic regression with one output, softmax regression
        // with one per class; or the experiment's own model.
        Module model = experiment.CreateModel?.Invoke(generator)
            ?? new Linear(data.FeatureCount, experiment.Objective.OutputSize(data.ClassCount), generator: generator);
        Optimizer optimizer = options.Optimizer == OptimizerKind.Adam
            ? new Adam(model.Parameters(), lr: options.EffectiveLearningRate)
            : new SGD(model.Parameters(), lr: options.EffectiveLearningRate, momentum: 0.9);

        var schedule = experiment.CosineSchedule ? new CosineAnnealingLR(optimizer, tMax: epochs) : null;

        var history = Trainer.Fit(model, experiment.Objective, prepared, optimizer, epochs, options.BatchSize,
            generator, new Progress(output, interactive), schedule);
        var test = Trainer.Evaluate(model, experiment.Objective, prepared.TestFeatures, prepared.TestLabels);
        var confusion = Trainer.ConfusionMatrix(prepared.TestLabels, test.Predictions, data.ClassCount);

        string modelPath = Path.Combine(outputDirectory, experiment.FileStem + ".safetensors");
        model.Save(modelPath);
        var plots = WritePlots(experiment, history, confusion, test.Accuracy, outputDirectory);
        output.WriteLine(Invariant($"  done in {clock.Elapsed.TotalSeconds:F1} s; saved {Path.GetFileName(modelPath)}, {string.Join(", ", plots.Select(Path.GetFileName))}"));

        return new ModelResult(experiment.Model, data.Name, history[^1].TrainAccuracy, test.Accuracy, history, confusion,
            modelPath, plots, clock.Elapsed);
    }

    /// <summary>The loss and accuracy curves, and for digits the confusion matrix.</summary>
    private static List<string> WritePlots(Experiment experiment, List<EpochStats> history, int[,] confusion, double testAccuracy, string outputDirectory)
    {
        var epochs = history.Select(h => (double)h.Epoch).ToArray();
        string title = $"{experiment.Model} on {experiment.Data.Name}";
        string lossName = experiment.Objective == Objective.Binary ? "binary cross-entropy" : "cross-entropy";
        var paths = new List<string>();

        string loss = SvgPlot.LineChart($"{title}: loss", "epoch", lossName,
        [
            new Series("training set", epochs, history.Select(h => h.TrainLoss).ToArray(), SvgPlot.Palette[0]),
            new Series("test set", epochs, history.Select(h => h.TestLoss).ToArray(), SvgPlot.Palette[1]),
        ], LegendCorner.TopRight, yFromZero: true);
        paths.Add(Write(outputDirectory, $"{experiment.FileStem}-loss.svg", loss));

        string accuracy = SvgPlot.LineChart($"{title}: accuracy", "epoch", "accuracy (%)",
        [
            new Series("training set", epochs, history.Select(h => 100 * h.TrainAccuracy).ToArray(), SvgPlot.Palette[0]),
            new Series("test set", epochs, history.Select(h => 100 * h.TestAccuracy).ToArray(), SvgPlot.Palette[1]),
        ], LegendCorner.BottomRight);
        paths.Add(Write(outputDirectory, $"{experiment.FileStem}-accuracy.svg", accuracy));

        if (experiment.Data.Name == "digits")
        {
            string heatmap = SvgPlot.Heatmap($"{experiment.Model} on digits, test set: {Progress.Percent(testAccuracy)} correct",
                "predicted digit", "true digit", confusion, experiment.Data.ClassNames);
            paths.Add(Write(outputDirectory, $"{experiment.FileStem}-confusion.svg", heatmap));
        }
        return paths;
    }

    private static string Write(string directory, string fileName, string content)
    {
        string path = Path.Combine(directory, fileName);
        File.WriteAllText(path, content);
        return path;
    }
}
