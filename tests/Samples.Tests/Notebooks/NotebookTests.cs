using System.Text;
using System.Text.Json.Nodes;
using Autograd.Samples.Tests.Docs;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Events;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Samples.Tests.Notebooks;

/// <summary>
/// Runs every notebook of docs/notebooks through the .NET Interactive C# kernel, in process, cell by
/// cell, and checks that each code cell prints exactly the output stored in the notebook, and that
/// a cell ending in a trace or a drawing displays an HTML table or an SVG. The setup cell (<c>#r</c>
/// of the built libraries) is replaced by references to this test's own copies of them.
/// Set <c>NOTEBOOKS_RECORD=1</c> to write what the cells print back into the notebooks.
/// </summary>
[TestFixture]
public sealed class NotebookTests
{
    private static string Folder => Path.Combine(DocsInSyncTests.RepositoryRoot, "docs", "notebooks");

    private static IEnumerable<TestCaseData> Notebooks()
        => Directory.GetFiles(Path.Combine(FindRoot(), "docs", "notebooks"), "*.ipynb").Order(StringComparer.Ordinal)
            .Select(f => new TestCaseData(Path.GetFileName(f)).SetName("Notebook_" + Path.GetFileNameWithoutExtension(f)));

    // TestCaseSource runs before any test, so it cannot use the fixture's context: find the root here.
    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Autograd.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("No folder above the tests holds Autograd.sln.");
    }

    [Test]
    public void AtLeastFourNotebooks() => Notebooks().Count().ShouldBeGreaterThanOrEqualTo(4);

    [TestCaseSource(nameof(Notebooks))]
    public async Task Notebook_RunsInTheCSharpKernel_AndPrintsItsRecordedOutput(string name)
    {
        string path = Path.Combine(Folder, name);
        var notebook = JsonNode.Parse(File.ReadAllText(path))!;
        bool record = Environment.GetEnvironmentVariable("NOTEBOOKS_RECORD") == "1";
        using var kernel = new CSharpKernel();
        string bin = AppContext.BaseDirectory;
        string references = string.Join("\n", new[] { "Autograd", "Autograd.Nn", "Autograd.Optim", "Autograd.Interactive", "System.Numerics.Tensors" }
            .Select(a => $"#r \"{Path.Combine(bin, a + ".dll")}\""));
        (await Run(kernel, references)).Failure.ShouldBeNull();

        int index = 0;
        foreach (var cell in notebook["cells"]!.AsArray())
        {
            index++;
            if ((string?)cell!["cell_type"] != "code") continue;
            string source = string.Concat(cell["source"]!.AsArray().Select(l => (string?)l));
            if (source.Contains("#r \"", StringComparison.Ordinal)) continue;   // the setup cell: references given above
            var (stdout, displayed, failure) = await Run(kernel, source);
            failure.ShouldBeNull($"{name}, cell {index} failed:\n{source}");
            string expected = string.Concat((cell["outputs"]!.AsArray().FirstOrDefault(o => (string?)o!["output_type"] == "stream")?["text"]?.AsArray() ?? []).Select(l => (string?)l));
            if (record)
            {
                var outputs = new JsonArray();
                if (stdout.Length > 0)
                    outputs.Add(new JsonObject { ["name"] = "stdout", ["output_type"] = "stream", ["text"] = new JsonArray([.. Lines(stdout).Select(l => (JsonNode)JsonValue.Create(l)!)]) });
                cell["outputs"] = outputs;
                continue;
            }
            Normalise(stdout).ShouldBe(Normalise(expected), $"{name}, cell {index} printed something else than the notebook shows (NOTEBOOKS_RECORD=1 rewrites it):\n{source}");
            string last = source.TrimEnd().Split('\n')[^1].Trim();
            if (last == "trace") displayed.ShouldContain("<table class=\"autograd-trace\">");
            if (last.Contains(".Draw(", StringComparison.Ordinal)) displayed.ShouldContain("<svg");
        }
        if (record) File.WriteAllText(path, notebook.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");
    }

    private static async Task<(string Stdout, string Displayed, string? Failure)> Run(Kernel kernel, string code)
    {
        var result = await kernel.SubmitCodeAsync(code);
        var stdout = new StringBuilder();
        var displayed = new StringBuilder();
        string? failure = null;
        foreach (var e in result.Events)
        {
            switch (e)
            {
                case CommandFailed f: failure = f.Message; break;
                case StandardOutputValueProduced o: stdout.Append(o.FormattedValues.FirstOrDefault()?.Value); break;
                case DisplayEvent d: displayed.Append(string.Concat(d.FormattedValues.Select(v => v.Value))); break;
            }
        }
        return (stdout.ToString(), displayed.ToString(), failure);
    }

    private static string[] Lines(string text)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').ToList();
        if (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        return [.. lines.Select((l, i) => i < lines.Count - 1 ? l + "\n" : l)];
    }

    private static string Normalise(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd();
}
