using Autograd.Samples.Classifiers;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Samples.Tests.Classifiers;

/// <summary>The command line: every option, its bad values, --help, and the exit codes.</summary>
[TestFixture]
public sealed class OptionsTests
{
    private static Options Parsed(params string[] args)
    {
        var result = Options.Parse(args);
        result.Error.ShouldBeNull();
        result.HelpRequested.ShouldBeFalse();
        return result.Options.ShouldNotBeNull();
    }

    private static string Error(params string[] args)
    {
        var result = Options.Parse(args);
        result.Options.ShouldBeNull();
        return result.Error.ShouldNotBeNull();
    }

    [Test]
    public void Parse_NoArguments_Defaults()
    {
        var options = Parsed();
        options.Optimizer.ShouldBe(OptimizerKind.Adam);
        options.Epochs.ShouldBeNull();  // each model's own number of epochs
        options.Models.ShouldBe(["breast-cancer", "digits", "iris", "digits-cnn"]);
        options.LearningRate.ShouldBeNull();
        options.EffectiveLearningRate.ShouldBe(0.01);
        options.BatchSize.ShouldBe(32);
        options.Seed.ShouldBe(0);
        options.OutputDirectory.ShouldBe("classifiers-output");
        options.DataDirectory.ShouldBe(Path.Combine(AppContext.BaseDirectory, "data"));
    }

    [TestCase("sgd", OptimizerKind.Sgd, 0.1)]
    [TestCase("adam", OptimizerKind.Adam, 0.01)]
    [TestCase("SGD", OptimizerKind.Sgd, 0.1)]
    public void Parse_Optimizer_SetsItAndItsDefaultLearningRate(string value, OptimizerKind kind, double lr)
    {
        var options = Parsed("--optimizer", value);
        options.Optimizer.ShouldBe(kind);
        options.EffectiveLearningRate.ShouldBe(lr);
    }

    [Test]
    public void Parse_EveryOption_IsRead()
    {
        var options = Parsed("--optimizer", "sgd", "--epochs", "7", "--lr", "0.25", "--batch-size", "8",
            "--seed", "-3", "--output", "out dir", "--data", "/some/data");
        options.ShouldBe(new Options
        {
            Optimizer = OptimizerKind.Sgd, Epochs = 7, LearningRate = 0.25, BatchSize = 8,
            Seed = -3, OutputDirectory = "out dir", DataDirectory = "/some/data",
        });
        options.EffectiveLearningRate.ShouldBe(0.25);
    }

    [Test]
    public void Parse_NameEqualsValue_IsRead()
    {
        var options = Parsed("--epochs=12", "--lr=1e-3", "--seed=9", "--output=x");
        (options.Epochs, options.LearningRate, options.Seed, options.OutputDirectory).ShouldBe((12, 0.001, 9L, "x"));
    }

    [Test]
    public void Parse_Models_ReadsACommaSeparatedList()
    {
        Parsed("--models", "digits-cnn,iris").Models.ShouldBe(["digits-cnn", "iris"]);
        Parsed("--models=digits, digits,breast-cancer").Models.ShouldBe(["digits", "breast-cancer"]);
    }

    [TestCase("mnist", "--models: unknown model 'mnist'; the models are breast-cancer, digits, iris, digits-cnn.")]
    [TestCase("digits,cnn", "--models: unknown model 'cnn'; the models are breast-cancer, digits, iris, digits-cnn.")]
    [TestCase(",", "--models needs at least one model name.")]
    public void Parse_BadModels_Error(string value, string expected) => Error("--models", value).ShouldBe(expected);

    [Test]
    public void Run_Models_TrainsOnlyThoseInTheSampleOrder()
    {
        string directory = Path.Combine(Path.GetTempPath(), "classifiers-models-" + Guid.NewGuid().ToString("N"));
        try
        {
            var result = Program.Run(new Options { Models = ["iris", "breast-cancer"], Epochs = 1, OutputDirectory = directory }, TextWriter.Null);
            result.Models.Select(m => m.Dataset).ShouldBe(["breast cancer", "iris"]);
            Directory.GetFiles(directory, "*.safetensors").Select(Path.GetFileName).Order().ShouldBe(["breast-cancer.safetensors", "iris.safetensors"]);
        }
        finally
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
    }

    [Test]
    public void Parse_RepeatedOption_LastOneWins() => Parsed("--epochs", "3", "--epochs", "4").Epochs.ShouldBe(4);

    [TestCase("--optimizer", "rmsprop", "--optimizer must be sgd or adam, got 'rmsprop'")]
    [TestCase("--epochs", "0", "--epochs must be a whole number of at least 1, got '0'")]
    [TestCase("--epochs", "-2", "--epochs must be a whole number of at least 1, got '-2'")]
    [TestCase("--epochs", "2.5", "--epochs must be a whole number")]
    [TestCase("--epochs", "ten", "--epochs must be a whole number")]
    [TestCase("--epochs", "99999999999", "--epochs must be a whole number")]
    [TestCase("--lr", "0", "--lr must be a number greater than 0 (such as 0.01), got '0'")]
    [TestCase("--lr", "-0.1", "--lr must be a number greater than 0")]
    [TestCase("--lr", "NaN", "--lr must be a number greater than 0")]
    [TestCase("--lr", "Infinity", "--lr must be a number greater than 0")]
    [TestCase("--lr", "fast", "--lr must be a number greater than 0")]
    [TestCase("--batch-size", "0", "--batch-size must be a whole number of at least 1, got '0'")]
    [TestCase("--seed", "1.5", "--seed must be a whole number, got '1.5'")]
    [TestCase("--seed", "abc", "--seed must be a whole number, got 'abc'")]
    [TestCase("--output", "", "--output needs a folder name")]
    [TestCase("--data", " ", "--data needs a folder name")]
    public void Parse_BadValue_ErrorNamesTheOptionAndTheValue(string name, string value, string expected)
    {
        Error(name, value).ShouldStartWith(expected);
        Error($"{name}={value}").ShouldStartWith(expected);
    }

    [TestCase("--epochs")]
    [TestCase("--lr")]
    [TestCase("--output")]
    public void Parse_MissingValue_Error(string name) => Error("--seed", "1", name).ShouldBe($"{name} needs a value.");

    [Test]
    public void Parse_UnknownOption_Error()
    {
        Error("--learning-rate", "0.1").ShouldBe("unknown option '--learning-rate'.");
        Error("--verbose=1").ShouldBe("unknown option '--verbose'.");
    }

    [Test]
    public void Parse_StrayArgument_Error() => Error("sgd").ShouldBe("unexpected argument 'sgd'; options start with '--'.");

    [TestCase("--help")]
    [TestCase("-h")]
    public void Parse_Help_IsRequestedEvenAmongOtherOptions(string flag)
    {
        var result = Options.Parse(["--epochs", "3", flag]);
        result.HelpRequested.ShouldBeTrue();
        result.Options.ShouldBeNull();
        result.Error.ShouldBeNull();
    }

    [Test]
    public void Execute_Help_PrintsTheUsageAndExitsWithZero()
    {
        var (code, output, error) = Execute("--help");
        code.ShouldBe(0);
        output.ShouldBe(Options.Usage);
        error.ShouldBeEmpty();
        foreach (string option in new[] { "--models A,B,...", "--optimizer sgd|adam", "--epochs N", "--lr X", "--batch-size N", "--seed N", "--output DIR", "--data DIR", "--help" })
            output.ShouldContain(option);
    }

    [Test]
    public void Execute_BadArgument_PrintsTheErrorAndTheUsageAndExitsWithTwo()
    {
        var (code, output, error) = Execute("--epochs", "zero");
        code.ShouldBe(2);
        output.ShouldBeEmpty();
        error.ShouldStartWith("error: --epochs must be a whole number of at least 1, got 'zero'.");
        error.ShouldContain("Usage: dotnet run --project samples/Classifiers");
    }

    [Test]
    public void Execute_MissingDataFolder_PrintsTheErrorAndExitsWithOne()
    {
        string output = Path.Combine(Path.GetTempPath(), "classifiers-nodata-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (code, _, error) = Execute("--data", "/no/such/folder", "--output", output, "--epochs", "1");
            code.ShouldBe(1);
            error.ShouldStartWith("error: ");
            error.ShouldContain("/no/such/folder");
        }
        finally
        {
            if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
        }
    }

    private static (int Code, string Output, string Error) Execute(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = Program.Execute(args, output, error, interactive: false);
        return (code, output.ToString(), error.ToString());
    }
}
