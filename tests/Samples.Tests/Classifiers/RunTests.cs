using System.Text.RegularExpressions;
using System.Xml.Linq;
using Autograd.Nn;
using Autograd.Samples.Classifiers;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Samples.Tests.Classifiers;

/// <summary>
/// The whole sample on a reduced budget, run once: it reaches the accuracy targets, its files load
/// back and draw what they should, and its summary has the documented form.
/// </summary>
[TestFixture]
public sealed partial class RunTests
{
    // 10 epochs of batches of 32 with seed 0: 97.3% on breast cancer and 96.7% on digits (the
    // full run uses 50 epochs); about half a second of training.
    private static readonly Options Budget = new() { Epochs = 10, BatchSize = 32, Seed = 0 };

    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    private string _directory = "";
    private string _output = "";
    private RunResult _result = null!;

    [OneTimeSetUp]
    public void TrainOnce()
    {
        _directory = Path.Combine(Path.GetTempPath(), "classifiers-tests-" + Guid.NewGuid().ToString("N"));
        var writer = new StringWriter();
        _result = Program.Run(Budget with { OutputDirectory = _directory }, writer, interactive: false);
        _output = writer.ToString();
    }

    [OneTimeTearDown]
    public void DeleteOutput()
    {
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    [Test]
    public void Run_ReducedBudget_ReachesTheTargets()
    {
        _result.Models.Select(m => $"{m.Model} on {m.Dataset}").ShouldBe(
            ["Logistic regression on breast cancer", "Softmax regression on digits", "Softmax regression on iris"]);
        _result.Models[0].TestAccuracy.ShouldBeGreaterThanOrEqualTo(0.95);
        _result.Models[1].TestAccuracy.ShouldBeGreaterThanOrEqualTo(0.95);
        // Iris has no target; better than chance (1/3) shows that training did something.
        _result.Models[2].TestAccuracy.ShouldBeGreaterThan(0.5);
        _result.Models.ShouldAllBe(m => m.History.Count == Budget.Epochs);
        _result.OutputDirectory.ShouldBe(Path.GetFullPath(_directory));
    }

    [Test]
    public void Run_Summary_OneLinePerModelInTheDocumentedForm()
    {
        var lines = _output.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => SummaryLine().IsMatch(l)).ToList();
        lines.Count.ShouldBe(3);
        for (int i = 0; i < 3; i++)
        {
            var m = _result.Models[i];
            lines[i].ShouldBe($"{m.Model} on {m.Dataset}: test accuracy {Progress.Percent(m.TestAccuracy)}");
        }
        _output.ShouldContain($"Models and plots saved in {_result.OutputDirectory}");
        _output.ShouldNotContain("\r");  // not a terminal: plain lines, no progress bar
    }

    [Test]
    public void Run_Progress_ShowsEpochLossAndAccuracies()
    {
        _output.ShouldContain($"epoch {Budget.Epochs}/{Budget.Epochs}  loss ");
        var lastEpoch = _result.Models[0].History[^1];
        _output.ShouldContain($"train {Progress.Percent(lastEpoch.TrainAccuracy)}  test {Progress.Percent(lastEpoch.TestAccuracy)}");
    }

    [Test]
    public void Run_SameSeed_SameResults()
    {
        string again = _directory + "-again";
        try
        {
            var second = Program.Run(Budget with { OutputDirectory = again }, TextWriter.Null);
            for (int i = 0; i < 3; i++)
                second.Models[i].History.ShouldBe(_result.Models[i].History);
            File.ReadAllBytes(second.Models[1].ModelPath).ShouldBe(File.ReadAllBytes(_result.Models[1].ModelPath));
        }
        finally
        {
            if (Directory.Exists(again)) Directory.Delete(again, recursive: true);
        }
    }

    [TestCase(0, 30, 1, TestName = "SavedModel_BreastCancer_LoadsWithTheSameTestAccuracy")]
    [TestCase(1, 64, 10, TestName = "SavedModel_Digits_LoadsWithTheSameTestAccuracy")]
    [TestCase(2, 4, 3, TestName = "SavedModel_Iris_LoadsWithTheSameTestAccuracy")]
    public void SavedModel_LoadsIntoAFreshModule_SameTestAccuracy(int index, int inFeatures, int outFeatures)
    {
        var result = _result.Models[index];
        File.Exists(result.ModelPath).ShouldBeTrue();

        // A fresh module, initialised differently, then the file's weights.
        var model = new Linear(inFeatures, outFeatures, generator: new Generator(12345));
        var keys = model.Load(result.ModelPath);
        keys.MissingKeys.ShouldBeEmpty();
        keys.UnexpectedKeys.ShouldBeEmpty();

        // The same split and standardisation as the run: the same seed, the same first draws.
        var data = index switch
        {
            0 => Datasets.BreastCancer(Datasets.DefaultDirectory),
            1 => Datasets.Digits(Datasets.DefaultDirectory),
            _ => Datasets.Iris(Datasets.DefaultDirectory),
        };
        var prepared = PreparedData.From(data, new Generator(Budget.Seed));
        var objective = outFeatures == 1 ? Objective.Binary : Objective.Multiclass;
        var evaluation = Trainer.Evaluate(model, objective, prepared.TestFeatures, prepared.TestLabels);

        evaluation.Accuracy.ShouldBe(result.TestAccuracy);
        evaluation.Loss.ShouldBe(result.History[^1].TestLoss);
    }

    [TestCase("breast-cancer-loss.svg", "Logistic regression on breast cancer: loss")]
    [TestCase("breast-cancer-accuracy.svg", "Logistic regression on breast cancer: accuracy")]
    [TestCase("digits-loss.svg", "Softmax regression on digits: loss")]
    [TestCase("digits-accuracy.svg", "Softmax regression on digits: accuracy")]
    [TestCase("iris-loss.svg", "Softmax regression on iris: loss")]
    [TestCase("iris-accuracy.svg", "Softmax regression on iris: accuracy")]
    public void Curves_AreWellFormedSvgWithTwoCurvesAndALegend(string fileName, string title)
    {
        var svg = LoadSvg(fileName);
        Title(svg).ShouldBe(title);

        var series = Groups(svg, "series").ToList();
        series.Count.ShouldBe(2);
        foreach (var s in series)
        {
            var points = s.Element(Svg + "polyline")!.Attribute("points")!.Value.Split(' ');
            points.Length.ShouldBe(Budget.Epochs);
        }
        Groups(svg, "legend").Single().Elements(Svg + "text").Select(t => t.Value).ShouldBe(["training set", "test set"]);

        var axisText = Groups(svg, "axes").Single().Elements(Svg + "text").Select(t => t.Value).ToList();
        axisText.ShouldContain("epoch");
        axisText.ShouldContain(fileName.Contains("accuracy") ? "accuracy (%)" : fileName.StartsWith("breast") ? "binary cross-entropy" : "cross-entropy");
        axisText.Count(t => double.TryParse(t, System.Globalization.CultureInfo.InvariantCulture, out _)).ShouldBeGreaterThanOrEqualTo(6);  // tick labels
    }

    [Test]
    public void ConfusionMatrix_IsAHeatmapOfTheTestPredictions()
    {
        var digits = _result.Models[1];
        var svg = LoadSvg("digits-confusion.svg");
        Title(svg).ShouldBe($"Digits, test set: {Progress.Percent(digits.TestAccuracy)} correct");

        var cells = Groups(svg, "cells").Single();
        cells.Elements(Svg + "rect").Count().ShouldBe(100);
        int[] counts = cells.Elements(Svg + "text").Select(t => int.Parse(t.Value, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        counts.Length.ShouldBe(100);
        counts.ShouldBe(digits.ConfusionMatrix.Cast<int>().ToArray());  // row-major: true digit, then predicted

        int total = counts.Sum(), correct = Enumerable.Range(0, 10).Sum(d => counts[11 * d]);
        total.ShouldBe(359);
        ((double)correct / total).ShouldBe(digits.TestAccuracy);
    }

    [Test]
    public void Run_WritesExactlyTheModelsAndPlots()
    {
        Directory.GetFiles(_directory).Select(Path.GetFileName).Order().ShouldBe(
        [
            "breast-cancer-accuracy.svg", "breast-cancer-loss.svg", "breast-cancer.safetensors",
            "digits-accuracy.svg", "digits-confusion.svg", "digits-loss.svg", "digits.safetensors",
            "iris-accuracy.svg", "iris-loss.svg", "iris.safetensors",
        ]);
        _result.Models.SelectMany(m => m.PlotPaths).Count().ShouldBe(7);
    }

    private XDocument LoadSvg(string fileName)
    {
        string path = Path.Combine(_directory, fileName);
        File.Exists(path).ShouldBeTrue();
        var doc = XDocument.Load(path);  // throws if the XML is not well-formed
        doc.Root!.Name.ShouldBe(Svg + "svg");
        doc.Root.Attribute("viewBox").ShouldNotBeNull();
        return doc;
    }

    private static string Title(XDocument svg)
        => svg.Root!.Elements(Svg + "text").Single(t => (string?)t.Attribute("class") == "title").Value;

    private static IEnumerable<XElement> Groups(XDocument svg, string cssClass)
        => svg.Root!.Elements(Svg + "g").Where(g => (string?)g.Attribute("class") == cssClass);

    [GeneratedRegex(@"^(Logistic|Softmax) regression on (breast cancer|digits|iris): test accuracy \d{1,3}\.\d%$")]
    private static partial Regex SummaryLine();
}
