using System.Globalization;

namespace Autograd.Samples.Classifiers;

/// <summary>The optimizers the sample can train with.</summary>
public enum OptimizerKind
{
    /// <summary>Stochastic gradient descent with momentum 0.9 (<see cref="Autograd.Optim.SGD"/>).</summary>
    Sgd,

    /// <summary>Adam (<see cref="Autograd.Optim.Adam"/>).</summary>
    Adam,
}

/// <summary>The settings of a run, from the command line.</summary>
public sealed record Options
{
    /// <summary>The optimizer.</summary>
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Adam;

    /// <summary>
    /// The number of passes over each training set; null for each model's own number (50 for
    /// breast cancer and for softmax regression on digits, 500 for iris, 8 for the CNN).
    /// </summary>
    public int? Epochs { get; init; }

    /// <summary>The learning rate; null for the optimizer's default (<see cref="EffectiveLearningRate"/>).</summary>
    public double? LearningRate { get; init; }

    /// <summary>The number of samples per mini-batch.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>The seed of everything random: the splits, the initial weights, the shuffles.</summary>
    public long Seed { get; init; }

    /// <summary>The names of the models to train, in any order (they run in the order of <see cref="ModelNames"/>).</summary>
    public IReadOnlyList<string> Models { get; init; } = ModelNames;

    /// <summary>Every model of the sample, by the name that starts its files: "breast-cancer", "digits", "iris", "digits-cnn".</summary>
    public static IReadOnlyList<string> ModelNames { get; } = ["breast-cancer", "digits", "iris", "digits-cnn"];

    /// <summary>The folder the models and plots are written to (created if needed).</summary>
    public string OutputDirectory { get; init; } = "classifiers-output";

    /// <summary>The folder holding the datasets.</summary>
    public string DataDirectory { get; init; } = Datasets.DefaultDirectory;

    /// <summary>The learning rate used: the one given, or 0.01 for Adam and 0.1 for SGD.</summary>
    public double EffectiveLearningRate => LearningRate ?? (Optimizer == OptimizerKind.Adam ? 0.01 : 0.1);

    /// <summary>The help text.</summary>
    public static string Usage { get; } = """
        Usage: dotnet run --project samples/Classifiers [-c Release] -- [options]

        Trains four classifiers on real data shipped in samples/data (breast cancer
        diagnoses, handwritten digits, iris flowers), prints their test accuracy, and
        saves the trained models (safetensors) and plots (SVG).

        Options:
          --models A,B,...      which models to train, of breast-cancer, digits, iris and
                                digits-cnn (default all four)
          --optimizer sgd|adam  the optimizer (default adam; sgd uses momentum 0.9)
          --epochs N            passes over each training set (default: 50, but 500
                                for iris and 8 for digits-cnn)
          --lr X                learning rate (default 0.01 for adam, 0.1 for sgd)
          --batch-size N        samples per mini-batch (default 32)
          --seed N              seed of the splits, initial weights and shuffles (default 0)
          --output DIR          folder for the models and plots (default ./classifiers-output)
          --data DIR            folder holding the datasets (default: data/ next to the program)
          -h, --help            show this help

        """;

    /// <summary>
    /// Reads the command line. Options take their value as the next argument or after '='
    /// (<c>--epochs 5</c>, <c>--epochs=5</c>); a later option overrides an earlier one.
    /// </summary>
    /// <returns>The options, a request for help, or the first error found.</returns>
    public static ParsedCommandLine Parse(IReadOnlyList<string> args)
    {
        var options = new Options();
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg is "-h" or "--help") return new ParsedCommandLine(null, HelpRequested: true, null);
            if (!arg.StartsWith("--", StringComparison.Ordinal))
                return Fail($"unexpected argument '{arg}'; options start with '--'.");

            // --name=value, or --name followed by the value.
            string name = arg, value;
            int equals = arg.IndexOf('=');
            if (equals >= 0)
                (name, value) = (arg[..equals], arg[(equals + 1)..]);
            else if (!IsKnown(name))
                return Fail($"unknown option '{name}'.");
            else if (i + 1 < args.Count)
                value = args[++i];
            else
                return Fail($"{name} needs a value.");

            switch (name)
            {
                case "--models":
                    string[] models = value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                    if (models.Length == 0) return Fail("--models needs at least one model name.");
                    if (models.FirstOrDefault(m => !ModelNames.Contains(m)) is string unknown)
                        return Fail($"--models: unknown model '{unknown}'; the models are {string.Join(", ", ModelNames)}.");
                    options = options with { Models = models.Distinct().ToArray() };
                    break;
                case "--optimizer":
                    if (value.Equals("sgd", StringComparison.OrdinalIgnoreCase)) options = options with { Optimizer = OptimizerKind.Sgd };
                    else if (value.Equals("adam", StringComparison.OrdinalIgnoreCase)) options = options with { Optimizer = OptimizerKind.Adam };
                    else return Fail($"--optimizer must be sgd or adam, got '{value}'.");
                    break;
                case "--epochs":
                    if (!TryPositiveInt(value, out int epochs)) return Fail($"--epochs must be a whole number of at least 1, got '{value}'.");
                    options = options with { Epochs = epochs };
                    break;
                case "--lr":
                    if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double lr) || !double.IsFinite(lr) || lr <= 0)
                        return Fail($"--lr must be a number greater than 0 (such as 0.01), got '{value}'.");
                    options = options with { LearningRate = lr };
                    break;
                case "--batch-size":
                    if (!TryPositiveInt(value, out int batchSize)) return Fail($"--batch-size must be a whole number of at least 1, got '{value}'.");
                    options = options with { BatchSize = batchSize };
                    break;
                case "--seed":
                    if (!long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long seed))
                        return Fail($"--seed must be a whole number, got '{value}'.");
                    options = options with { Seed = seed };
                    break;
                case "--output":
                    if (string.IsNullOrWhiteSpace(value)) return Fail("--output needs a folder name.");
                    options = options with { OutputDirectory = value };
                    break;
                case "--data":
                    if (string.IsNullOrWhiteSpace(value)) return Fail("--data needs a folder name.");
                    options = options with { DataDirectory = value };
                    break;
                default:
                    return Fail($"unknown option '{name}'.");
            }
        }
        return new ParsedCommandLine(options, HelpRequested: false, null);
    }

    private static bool IsKnown(string name) => name is "--models" or "--optimizer" or "--epochs" or "--lr" or "--batch-size" or "--seed" or "--output" or "--data";

    private static bool TryPositiveInt(string text, out int value)
        => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= 1;

    private static ParsedCommandLine Fail(string error) => new(null, HelpRequested: false, error);
}

/// <summary>The outcome of <see cref="Options.Parse"/>: exactly one of the three is set.</summary>
/// <param name="Options">The options to run with.</param>
/// <param name="HelpRequested">True when --help was given.</param>
/// <param name="Error">What is wrong with the command line.</param>
public sealed record ParsedCommandLine(Options? Options, bool HelpRequested, string? Error);
