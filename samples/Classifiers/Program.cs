using System.Diagnostics;
using Autograd.Nn;
using Autograd.Optim;
using static System.FormattableString;

namespace Autograd.Samples.Classifiers;

/// <summary>One model trained on one dataset.</summary>
/// <param name="Model">What kind of model ("Logistic regression").</param>
/// <param name="Data">The dataset.</param>
/// <param name="Objective">How the model's outputs are scored and read.</param>
/// <param name="FileStem">The start of the output files' names ("breast-cancer").</param>
public sealed record Experiment(string Model, Dataset Data, Objective Objective, string FileStem);

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
/// The sample's entry point: trains logistic regression on breast cancer diagnoses and softmax
/// regression on handwritten digits and on iris flowers, then saves the models and plots.
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

    /// <summary>Trains, evaluates and saves the three classifiers, writing progress and a summary to <paramref name="output"/>.</summary>
    /// <param name="options">The settings.</param>
    /// <param name="output">Where progress and results go.</param>
    /// <param name="interactive">True to draw progress bars (the output is a terminal).</param>
    /// <returns>The accuracies and the files written.</returns>
    public static RunResult Run(Options options, TextWriter output, bool interactive = false)
    {
        var clock = Stopwatch.StartNew();
        Experiment[] experiments =
        [
            new("Logistic regression", Datasets.BreastCancer(options.DataDirectory), Objective.Binary, "breast-cancer"),
            new("Softmax regression", Datasets.Digits(options.DataDirectory), Objective.Multiclass, "digits"),
            new("Softmax regression", Datasets.Iris(options.DataDirectory), Objective.Multiclass, "iris"),
        ];
        string outputDirectory = Path.GetFullPath(options.OutputDirectory);
        Directory.CreateDirectory(outputDirectory);
        output.WriteLine(Invariant($"Optimizer {options.Optimizer} (learning rate {options.EffectiveLearningRate}), {options.Epochs} epochs, batch size {options.BatchSize}, seed {options.Seed}"));

        var results = experiments.Select(e => RunExperiment(e, options, outputDirectory, output, interactive)).ToList();

        output.WriteLine();
        foreach (var result in results)
            output.WriteLine($"{result.Model} on {result.Dataset}: test accuracy {Progress.Percent(result.TestAccuracy)}");
        output.WriteLine($"Models and plots saved in {outputDirectory}");
        output.WriteLine(Invariant($"Total time {clock.Elapsed.TotalSeconds:F1} s"));
        return new RunResult(results, outputDirectory, clock.Elapsed);
    }

    /// <summary>Prepares the data, trains a linear model, and saves it with its plots.</summary>
    private static ModelResult RunExperiment(Experiment experiment, Options options, string outputDirectory, TextWriter output, bool interactive)
    {
        var clock = Stopwatch.StartNew();
        var data = experiment.Data;
        output.WriteLine();
        output.WriteLine($"{experiment.Model} on {data.Name} ({data.Count} samples, {data.FeatureCount} features, {data.ClassCount} classes)");

        // One generator, seeded, for everything random in this experiment: the same seed, the same run.
        var generator = new Generator(options.Seed);
        var prepared = PreparedData.From(data, generator);
        output.WriteLine($"  {prepared.TrainLabels.Length} samples for training, {prepared.TestLabels.Length} for testing");

        // A linear model, logits = x Wᵀ + b: logistic regression with one output, softmax regression with one per class.
        var model = new Linear(data.FeatureCount, experiment.Objective.OutputSize(data.ClassCount), generator: generator);
        Optimizer optimizer = options.Optimizer == OptimizerKind.Adam
            ? new Adam(model.Parameters(), lr: options.EffectiveLearningRate)
            : new SGD(model.Parameters(), lr: options.EffectiveLearningRate, momentum: 0.9);

        var history = Trainer.Fit(model, experiment.Objective, prepared, optimizer, options.Epochs, options.BatchSize,
            generator, new Progress(output, interactive));
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

        if (experiment.FileStem == "digits")
        {
            string heatmap = SvgPlot.Heatmap($"Digits, test set: {Progress.Percent(testAccuracy)} correct",
                "predicted digit", "true digit", confusion, experiment.Data.ClassNames);
            paths.Add(Write(outputDirectory, "digits-confusion.svg", heatmap));
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
