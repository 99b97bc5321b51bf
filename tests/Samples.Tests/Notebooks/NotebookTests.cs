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
/// cell, and checks that each code cell prints exactly the output stored in the notebook and
/// displays exactly the stored HTML (a trace's table, a graph's SVG), and that every number of each
/// PyTorch program's stored output (the markdown cell under a code cell, written by
/// tools/make_notebooks.py, which runs the program with PyTorch 1.13) is found in what the code cell
/// above it printed (<see cref="PrintedNumbers"/>). The setup cell (<c>#r</c> of the built libraries)
/// is replaced by references to this test's own copies of them.
/// Set <c>NOTEBOOKS_RECORD=1</c> to write what the cells print and display back into the notebooks.
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

        int index = 0, pytorchBlocks = 0;
        string? lastPrinted = null;
        foreach (var cell in notebook["cells"]!.AsArray())
        {
            index++;
            string source = string.Concat(cell!["source"]!.AsArray().Select(l => (string?)l));
            if ((string?)cell["cell_type"] == "markdown")
            {
                if (PyTorchOutput(source) is string pytorch && !record)
                {
                    lastPrinted.ShouldNotBeNull($"{name}, cell {index}: a PyTorch output with no C# cell printing before it");
                    PrintedNumbers.ShouldAllBeFoundIn(pytorch, lastPrinted, $"{name}, cell {index}");
                    pytorchBlocks++;
                }
                continue;
            }
            if ((string?)cell["cell_type"] != "code") continue;
            if (source.Contains("#r \"", StringComparison.Ordinal)) continue;   // the setup cell: references given above
            var (stdout, displayed, failure) = await Run(kernel, source);
            failure.ShouldBeNull($"{name}, cell {index} failed:\n{source}");
            lastPrinted = stdout;
            var stored = cell["outputs"]!.AsArray();
            if (record)
            {
                var outputs = new JsonArray();
                if (stdout.Length > 0)
                    outputs.Add(new JsonObject { ["name"] = "stdout", ["output_type"] = "stream", ["text"] = new JsonArray([.. Lines(stdout).Select(l => (JsonNode)JsonValue.Create(l)!)]) });
                foreach (var display in displayed)
                {
                    var data = new JsonObject();
                    foreach (var (mime, value) in display) data[mime] = new JsonArray([.. Lines(value).Select(l => (JsonNode)JsonValue.Create(l)!)]);
                    outputs.Add(new JsonObject { ["data"] = data, ["metadata"] = new JsonObject(), ["output_type"] = "display_data" });
                }
                cell["outputs"] = outputs;
                continue;
            }
            string expected = string.Concat((stored.FirstOrDefault(o => (string?)o!["output_type"] == "stream")?["text"]?.AsArray() ?? []).Select(l => (string?)l));
            Normalise(stdout).ShouldBe(Normalise(expected), $"{name}, cell {index} printed something else than the notebook shows (NOTEBOOKS_RECORD=1 rewrites it):\n{source}");
            var storedDisplays = stored.Where(o => (string?)o!["output_type"] == "display_data")
                .Select(o => o!["data"]!.AsObject().Select(kv => (kv.Key, string.Concat(kv.Value!.AsArray().Select(l => (string?)l)))).ToList()).ToList();
            storedDisplays.Count.ShouldBe(displayed.Count, $"{name}, cell {index} displays {displayed.Count} values, the notebook stores {storedDisplays.Count} (NOTEBOOKS_RECORD=1 rewrites it)");
            for (int d = 0; d < displayed.Count; d++)
                storedDisplays[d].Select(v => (v.Key, Normalise(v.Item2))).ShouldBe(displayed[d].Select(v => (v.Mime, Normalise(v.Value))), $"{name}, cell {index} displayed something else than the notebook shows (NOTEBOOKS_RECORD=1 rewrites it):\n{source}");
            string last = source.TrimEnd().Split('\n')[^1].Trim();
            string html = string.Concat(displayed.SelectMany(d => d).Where(v => v.Mime == "text/html").Select(v => v.Value));
            if (last == "trace") html.ShouldContain("<table class=\"autograd-trace\">");
            if (last.Contains(".Draw(", StringComparison.Ordinal)) html.ShouldContain("<svg");
        }
        if (record) File.WriteAllText(path, notebook.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");
        else
            pytorchBlocks.ShouldBeGreaterThan(0, $"{name} shows PyTorch's output for its numbers");
    }

    /// <summary>The printed output of a markdown cell that shows a PyTorch program and what it printed (its <c>```text</c> block after a <c>```python</c> block), or null.</summary>
    private static string? PyTorchOutput(string markdown)
    {
        int python = markdown.IndexOf("```python", StringComparison.Ordinal);
        int text = markdown.IndexOf("```text\n", StringComparison.Ordinal);
        if (python < 0 || text < python) return null;
        int start = text + "```text\n".Length;
        return markdown[start..markdown.IndexOf("```", start, StringComparison.Ordinal)];
    }

    /// <summary>Runs a cell: what it printed, each value it displayed (its formatted values: MIME type and text), and its failure if any.</summary>
    private static async Task<(string Stdout, List<List<(string Mime, string Value)>> Displayed, string? Failure)> Run(Kernel kernel, string code)
    {
        var result = await kernel.SubmitCodeAsync(code);
        var stdout = new StringBuilder();
        var displayed = new List<List<(string Mime, string Value)>>();
        string? failure = null;
        foreach (var e in result.Events)
        {
            switch (e)
            {
                case CommandFailed f: failure = f.Message; break;
                case StandardOutputValueProduced o: stdout.Append(o.FormattedValues.FirstOrDefault()?.Value); break;
                case DisplayEvent d: displayed.Add([.. d.FormattedValues.Select(v => (v.MimeType, v.Value))]); break;
            }
        }
        return (stdout.ToString(), displayed, failure);
    }

    private static string[] Lines(string text)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').ToList();
        if (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        return [.. lines.Select((l, i) => i < lines.Count - 1 ? l + "\n" : l)];
    }

    private static string Normalise(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd();
}
