using System.Text;
using System.Text.RegularExpressions;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Samples.Tests.Docs;

/// <summary>
/// Keeps the docs from drifting away from code that compiles and runs: every <c>```csharp</c>
/// block of <c>docs/*.md</c>, <c>README.md</c> and the package READMEs (<c>src/*/PACKAGE.md</c>) must appear verbatim (up to whitespace) in a
/// mirror, and every <c>```text</c> block that follows one (the example's printed output) in the
/// mirror that checks it.
/// </summary>
/// <remarks>
/// <para>The mirrors are the files of this folder (<c>DocExamples.cs</c>, <c>AutogradDocExamples.cs</c>:
/// each example as a test that runs it and checks what it prints) and the code of <c>src/</c> and
/// <c>samples/</c> (a doc quoting a sample's loop is in sync when the sample still has it; the
/// sample's own tests run it).</para>
/// <para>A block is found when its text, with every run of whitespace made one space, occurs in
/// one mirror between whitespace. C# cannot put <c>using</c> directives or a class declaration
/// inside a test method, so a block with either at its top level may instead be found paragraph by
/// paragraph (split at blank lines outside braces), in order, in one mirror.</para>
/// <para>To add an example to a doc: copy the block into a test in <c>DocExamples.cs</c> (or a new
/// <c>*DocExamples.cs</c> here) that runs it and checks its output, or quote code from src/ or
/// samples/ verbatim. There are no exemptions.</para>
/// </remarks>
[TestFixture]
public sealed partial class DocsInSyncTests
{
    /// <summary>A fenced block: its doc, first line, language, text, and the language of the doc's previous fenced block.</summary>
    private sealed record Block(string Doc, int Line, string Language, string Text, string? Previous)
    {
        public override string ToString() => $"{Doc}:{Line}";
    }

    private static string? s_root;

    /// <summary>The repository root: the nearest folder above the test binaries that holds Autograd.sln.</summary>
    private static string Root => s_root ??= FindRoot();

    /// <summary>The repository root, for the other doc tests.</summary>
    internal static string RepositoryRoot => Root;

    private static string FindRoot()
    {
        string start = TestContext.CurrentContext.TestDirectory;
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Autograd.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"No folder above {start} holds Autograd.sln.");
    }

    private static IEnumerable<string> DocFiles() =>
        Directory.GetFiles(Path.Combine(Root, "docs"), "*.md").Order(StringComparer.Ordinal).Append(Path.Combine(Root, "README.md"))
            .Concat(Directory.GetFiles(Path.Combine(Root, "src"), "PACKAGE.md", SearchOption.AllDirectories).Order(StringComparer.Ordinal));

    private static string DocName(string path) => Path.GetRelativePath(Root, path).Replace('\\', '/');

    /// <summary>Every fenced block of every doc, with its language and first line.</summary>
    private static List<Block> AllBlocks()
    {
        var blocks = new List<Block>();
        foreach (var path in DocFiles())
        {
            string? previous = null;
            var lines = File.ReadAllLines(path);
            for (int i = 0; i < lines.Length; i++)
            {
                string trimmed = lines[i].TrimStart();
                if (!trimmed.StartsWith("```", StringComparison.Ordinal)) continue;
                int indent = lines[i].Length - trimmed.Length;
                string language = trimmed[3..].Trim();
                var body = new StringBuilder();
                int start = i + 1;
                for (i++; i < lines.Length && lines[i].Trim() != "```"; i++)
                    body.Append(lines[i].Length >= indent && string.IsNullOrWhiteSpace(lines[i][..indent]) ? lines[i][indent..] : lines[i].TrimStart()).Append('\n');
                blocks.Add(new Block(DocName(path), start, language, body.ToString(), previous));
                previous = language;
            }
        }
        return blocks;
    }

    private static IEnumerable<TestCaseData> CodeBlocks() =>
        AllBlocks().Where(b => b.Language == "csharp").Select(b => new TestCaseData(b).SetArgDisplayNames(b.ToString()));

    /// <summary>The printed output of an example: a <c>```text</c> block whose previous fenced block is C#.</summary>
    private static IEnumerable<TestCaseData> OutputBlocks() =>
        AllBlocks().Where(b => b.Language == "text" && b.Previous == "csharp").Select(b => new TestCaseData(b).SetArgDisplayNames(b.ToString()));

    /// <summary>The mirror files and their whitespace-normalised text (padded with a space at each end).</summary>
    private static readonly Lazy<List<(string Path, string Text)>> Mirrors = new(() =>
    {
        var here = Path.Combine(Root, "tests", "Samples.Tests", "Docs");
        var files = Directory.GetFiles(here, "*.cs").Where(f => Path.GetFileName(f) != "DocsInSyncTests.cs")
            .Concat(SourceFiles("samples")).Concat(SourceFiles("src"));
        return files.Select(f => (Path.GetRelativePath(Root, f).Replace('\\', '/'), " " + Normalise(File.ReadAllText(f)) + " ")).ToList();
    });

    private static IEnumerable<string> SourceFiles(string folder) =>
        Directory.GetFiles(Path.Combine(Root, folder), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar).Any(part => part is "bin" or "obj"));

    private static string Normalise(string text) => Whitespace().Replace(text, " ").Trim();

    [TestCaseSource(nameof(CodeBlocks))]
    public void CodeBlock_AppearsVerbatimInAMirror(object blockObject)
    {
        var block = (Block)blockObject;
        string text = Normalise(block.Text);
        var mirrors = Mirrors.Value;
        var whole = mirrors.FirstOrDefault(m => m.Text.Contains(" " + text + " ", StringComparison.Ordinal));
        if (whole.Path is not null)
        {
            TestContext.Out.WriteLine($"found in {whole.Path}");
            return;
        }

        if (HasTopLevelDeclarations(block.Text))
        {
            var paragraphs = TopLevelParagraphs(block.Text).Select(Normalise).ToList();
            var inOrder = mirrors.FirstOrDefault(m => ContainsInOrder(m.Text, paragraphs));
            if (inOrder.Path is not null)
            {
                TestContext.Out.WriteLine($"found paragraph by paragraph ({paragraphs.Count}) in {inOrder.Path}");
                return;
            }
        }

        Assert.Fail(
            $"The ```csharp block at {block.Doc} line {block.Line} is in no mirror:\n{block.Text}\n" +
            "Copy it verbatim into a test in tests/Samples.Tests/Docs/DocExamples.cs that runs it and checks what it prints " +
            "(or quote code from src/ or samples/ verbatim). " +
            "If the block was edited, update its mirror, rerun, and copy the new output into the doc.");
    }

    [TestCaseSource(nameof(OutputBlocks))]
    public void OutputBlock_IsTheOutputAMirrorChecks(object blockObject)
    {
        var block = (Block)blockObject;
        string text = Normalise(block.Text);
        var docMirrors = Mirrors.Value.Where(m => m.Path.StartsWith("tests/", StringComparison.Ordinal));
        docMirrors.Any(m => m.Text.Contains(" " + text + " ", StringComparison.Ordinal)).ShouldBeTrue(
            $"The ```text block at {block.Doc} line {block.Line} (an example's printed output) is not the expected output " +
            $"of any test in tests/Samples.Tests/Docs:\n{block.Text}");
    }

    [Test]
    public void Docs_TheExpectedOnesHaveCodeBlocks()
    {
        var withCode = AllBlocks().Where(b => b.Language == "csharp").Select(b => b.Doc).ToHashSet();
        foreach (var doc in new[] { "docs/getting-started.md", "docs/autograd.md", "docs/losses.md", "docs/optimizers.md", "docs/pytorch-mapping.md", "docs/samples.md", "README.md" })
            withCode.ShouldContain(doc);
    }

    [Test]
    public void Docs_RelativeLinksPointToExistingFiles()
    {
        var broken = new List<string>();
        foreach (var path in DocFiles())
        {
            string text = File.ReadAllText(path);
            foreach (Match m in RelativeLink().Matches(text))
            {
                string target = m.Groups["target"].Value;
                if (target.Contains("://", StringComparison.Ordinal) || target.StartsWith("mailto:", StringComparison.Ordinal)) continue;
                string full = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, target));
                if (!File.Exists(full) && !Directory.Exists(full)) broken.Add($"{DocName(path)}: {target}");
            }
        }
        broken.ShouldBeEmpty();
    }

    private static bool HasTopLevelDeclarations(string code)
    {
        int depth = 0;
        foreach (var line in code.Split('\n'))
        {
            if (depth == 0 && TopLevelDeclaration().IsMatch(line)) return true;
            depth += Braces(line);
        }
        return false;
    }

    /// <summary>The block split at blank lines that are outside any braces.</summary>
    private static List<string> TopLevelParagraphs(string code)
    {
        var paragraphs = new List<string>();
        var current = new StringBuilder();
        int depth = 0;
        foreach (var line in code.Split('\n'))
        {
            if (depth == 0 && string.IsNullOrWhiteSpace(line))
            {
                if (current.Length > 0) paragraphs.Add(current.ToString());
                current.Clear();
                continue;
            }
            current.Append(line).Append('\n');
            depth += Braces(line);
        }
        if (current.Length > 0) paragraphs.Add(current.ToString());
        return paragraphs;
    }

    /// <summary>'{' minus '}' on a line, outside comments and string literals (enough for the docs' examples).</summary>
    private static int Braces(string line)
    {
        int depth = 0;
        bool inString = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (inString)
            {
                if (c == '\\') i++;
                else if (c == '"') inString = false;
            }
            else if (c == '"') inString = true;
            else if (c == '/' && i + 1 < line.Length && line[i + 1] == '/') break;
            else if (c == '{') depth++;
            else if (c == '}') depth--;
        }
        return depth;
    }

    private static bool ContainsInOrder(string text, List<string> paragraphs)
    {
        int at = 0;
        foreach (var p in paragraphs)
        {
            int found = text.IndexOf(" " + p + " ", at, StringComparison.Ordinal);
            if (found < 0) return false;
            at = found + p.Length + 1;
        }
        return true;
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"^\s*(using\s+[\w.]+\s*;|((public|internal|private|sealed|static|abstract|partial|file)\s+)*(class|record|struct|interface|enum)\s)")]
    private static partial Regex TopLevelDeclaration();

    [GeneratedRegex(@"\]\((?<target>[^)#\s]+)(#[^)\s]*)?\)")]
    private static partial Regex RelativeLink();
}
