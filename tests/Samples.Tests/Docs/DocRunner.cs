using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Shouldly;

namespace Autograd.Samples.Tests.Docs;

/// <summary>
/// Runs a documentation example and compares what it prints with what the doc says it prints.
/// </summary>
/// <remarks>
/// <para>An example shows its output one of two ways. Either each <c>Console.WriteLine(...);</c>
/// carries its printed line as a trailing comment (<see cref="ShouldPrintItsComments"/>, which reads
/// the comments from the example's own source text through <c>CallerArgumentExpression</c>,
/// so the expected values cannot be copied wrongly), or the doc follows the code with a
/// <c>```text</c> block holding the whole output (<see cref="ShouldPrint"/>; DocsInSyncTests checks
/// that the text block is the expected string given here).</para>
/// <para><b>Tolerance.</b> Text must match exactly; numbers may differ by 4e-7 relative (3 to 4
/// float32 ulps: another CPU's vectorised exp or log may round an ulp differently from this
/// machine's, where every number was printed) plus one unit in the last digit the doc shows (a
/// value printed with 4 decimals may then round the other way). On the machine that produced the
/// docs every line matched digit for digit.</para>
/// </remarks>
internal static partial class DocRunner
{
    private const double Relative = 4e-7;

    // Console.Out, the culture and the current directory are process-wide.
    private static readonly object s_lock = new();

    /// <summary>Runs <paramref name="example"/> with Console.Out captured and the invariant culture; returns what it printed.</summary>
    public static string Capture(Action example)
    {
        lock (s_lock)
        {
            var (previousOut, previousCulture) = (Console.Out, CultureInfo.CurrentCulture);
            var writer = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
            Console.SetOut(writer);
            CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
            try
            {
                example();
            }
            finally
            {
                Console.SetOut(previousOut);
                CultureInfo.CurrentCulture = previousCulture;
            }
            return writer.ToString();
        }
    }

    /// <summary>Runs <paramref name="example"/> in a new, empty current directory (for examples that write files), deleted afterwards.</summary>
    public static string CaptureInTempDirectory(Action example)
    {
        lock (s_lock)
        {
            string previous = Environment.CurrentDirectory;
            string directory = Path.Combine(Path.GetTempPath(), "autograd-doc-example-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(directory);
            Environment.CurrentDirectory = directory;
            try
            {
                return Capture(example);
            }
            finally
            {
                Environment.CurrentDirectory = previous;
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="example"/> and checks that it prints, line by line, the trailing comment
    /// of each <c>Console.WriteLine(...);</c> in its source (a comment may go on after the printed
    /// text, e.g. with an explanation).
    /// </summary>
    public static void ShouldPrintItsComments(Action example, [CallerArgumentExpression(nameof(example))] string source = "")
    {
        var expected = source.Split('\n')
            .Select(line => WriteLineWithComment().Match(line))
            .Where(m => m.Success)
            .Select(m => m.Groups["comment"].Value.TrimEnd())
            .ToList();
        expected.ShouldNotBeEmpty("the example has no Console.WriteLine(...); // output lines");
        var printed = Lines(Capture(example));
        printed.Count.ShouldBe(expected.Count, "printed lines:\n" + string.Join("\n", printed));
        for (int i = 0; i < printed.Count; i++)
            ShouldMatch(printed[i], expected[i], prefix: true, $"line {i + 1}");
    }

    /// <summary>Runs <paramref name="example"/> and checks that it prints <paramref name="expected"/> (the doc's <c>```text</c> block).</summary>
    public static void ShouldPrint(Action example, string expected) => ShouldMatchPrinted(Capture(example), expected);

    /// <summary>Checks printed text against the doc's, line by line, with the tolerance above.</summary>
    public static void ShouldMatchPrinted(string printed, string expected)
    {
        var (actualLines, expectedLines) = (Lines(printed), Lines(expected));
        actualLines.Count.ShouldBe(expectedLines.Count, "printed:\n" + printed);
        for (int i = 0; i < actualLines.Count; i++)
            ShouldMatch(actualLines[i], expectedLines[i], prefix: false, $"line {i + 1}");
    }

    private static List<string> Lines(string text)
    {
        var lines = text.Replace("\r\n", "\n").Split('\n').Select(l => l.TrimEnd()).ToList();
        while (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        return lines;
    }

    /// <summary>
    /// The text around the numbers must be equal (or, with <paramref name="prefix"/>, the actual
    /// line must be where the expected one starts); each number within the tolerance.
    /// </summary>
    private static void ShouldMatch(string actual, string expected, bool prefix, string where)
    {
        var (actualText, actualNumbers) = Split(actual);
        var (expectedText, expectedNumbers) = Split(expected);
        string message = $"{where}:\n  printed: {actual}\n  the doc: {expected}";
        if (prefix)
        {
            expectedText.StartsWith(actualText, StringComparison.Ordinal).ShouldBeTrue(message);
            expectedNumbers = expectedNumbers.Take(actualNumbers.Count).ToList();
        }
        else
        {
            actualText.ShouldBe(expectedText, message);
        }
        actualNumbers.Count.ShouldBe(expectedNumbers.Count, message);
        for (int i = 0; i < actualNumbers.Count; i++)
        {
            var (value, shown) = expectedNumbers[i];
            double a = actualNumbers[i].Value;
            bool same = a.Equals(value) || Math.Abs(a - value) <= Relative * Math.Abs(value) + LastDigit(shown);
            same.ShouldBeTrue($"{message}\n  number {i + 1}: printed {actualNumbers[i].Shown}, the doc {shown}");
        }
    }

    /// <summary>The line with every number replaced by '#', and the numbers (value and text) in order.</summary>
    private static (string Text, List<(double Value, string Shown)> Numbers) Split(string line)
    {
        var numbers = new List<(double, string)>();
        string text = Number().Replace(line, m =>
        {
            string s = m.Value;
            double v = s switch
            {
                "inf" => double.PositiveInfinity,
                "-inf" => double.NegativeInfinity,
                "nan" or "NaN" => double.NaN,
                _ => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture),
            };
            numbers.Add((v, s));
            return "#";
        });
        return (text, numbers);
    }

    /// <summary>One unit in the last decimal shown: 1e-4 for "0.2798", 1e8 for "1.0000e+12", 0 for an integer.</summary>
    private static double LastDigit(string shown)
    {
        int e = shown.IndexOfAny(['e', 'E']);
        string mantissa = e < 0 ? shown : shown[..e];
        int exponent = e < 0 ? 0 : int.Parse(shown[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        int point = mantissa.IndexOf('.');
        if (point < 0) return 0;
        return Math.Pow(10, exponent - (mantissa.Length - point - 1));
    }

    [GeneratedRegex(@"^\s*Console\.WriteLine\(.*\);\s*//\s?(?<comment>.*)$")]
    private static partial Regex WriteLineWithComment();

    [GeneratedRegex(@"-?inf\b|\bnan\b|\bNaN\b|-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")]
    private static partial Regex Number();
}
