using System.Globalization;
using System.Text;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Testing;

/// <summary>The exception family a wrong call must get (issue 6: the documented ones only).</summary>
public enum Family
{
    /// <summary><see cref="ArgumentException"/> or a subclass (ArgumentNullException, ArgumentOutOfRangeException).</summary>
    Argument,

    /// <summary><see cref="InvalidOperationException"/> (the call is fine, the object's state is not).</summary>
    InvalidOperation,
}

/// <summary>
/// One named wrong call of the catalogue: the call, the exception family it must get and the
/// substrings its message must contain (the argument's name, then the shapes or values at fault).
/// <paramref name="KnownBug"/> is set when the library does not do this yet: the case states the
/// right behaviour, fails today, and runs under <c>[Category("Regression")]</c> until the lead fixes it.
/// </summary>
public sealed record BadCall(string Category, string Name, Func<object?> Call, Family Family, string[] Mentions, string? KnownBug = null)
{
    /// <summary>The case's display name.</summary>
    public override string ToString() => $"{Category}: {Name}";
}

/// <summary>Runs and reports <see cref="BadCall"/> tables.</summary>
public static class BadCalls
{
    /// <summary>
    /// Exceptions that mean a check is missing: the call reached a kernel, an indexer or a cast.
    /// Anything outside <see cref="Family"/> fails the case, these get a pointed message.
    /// </summary>
    private static readonly Type[] FromInside =
    [
        typeof(IndexOutOfRangeException), typeof(NullReferenceException), typeof(InvalidCastException),
        typeof(OverflowException), typeof(OutOfMemoryException), typeof(KeyNotFoundException),
        typeof(DivideByZeroException), typeof(ArrayTypeMismatchException),
    ];

    /// <summary>The case as NUnit test data: displayed by its name, in the KnownBug category when it demonstrates a bug.</summary>
    public static TestCaseData ToTestCase(BadCall call)
    {
        var data = new TestCaseData(call).SetArgDisplayNames(call.ToString());
        if (call.KnownBug is not null) data.SetCategory("Regression").SetDescription(call.KnownBug);
        return data;
    }

    /// <summary>Runs the call and returns what it threw (null if nothing).</summary>
    public static Exception? Run(BadCall call)
    {
        try
        {
            call.Call();
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    /// <summary>Why the outcome breaks the case's contract, or null when it keeps it.</summary>
    public static string? Problem(BadCall call, Exception? e)
    {
        if (e is null) return "no exception was thrown";
        string got = $"{e.GetType().Name}: {e.Message}";
        if (Array.Exists(FromInside, t => t.IsInstanceOfType(e)))
            return $"an exception from inside the library instead of a checked argument: {got}";
        bool familyOk = call.Family switch
        {
            Family.Argument => e is ArgumentException,
            _ => e is InvalidOperationException,
        };
        if (!familyOk) return $"expected the {call.Family} family, got {got}";
        var missing = call.Mentions.Where(m => !e.Message.Contains(m, StringComparison.Ordinal)).ToArray();
        return missing.Length == 0 ? null : $"the message does not mention {string.Join(", ", missing.Select(m => $"\"{m}\""))}: {got}";
    }

    /// <summary>Asserts the case's contract.</summary>
    public static void Verify(BadCall call)
    {
        var e = Run(call);
        Problem(call, e).ShouldBeNull(call.KnownBug ?? call.ToString());
    }

    /// <summary>
    /// A markdown table of the catalogue as it behaves now: per category the number of cases, how
    /// many keep their contract, the exception types seen and one real message. Written to the test
    /// output and to <c>{name}.md</c> in the test work directory, for docs/reliability.md.
    /// </summary>
    public static string Report(string name, IReadOnlyList<BadCall> calls)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"| Kind of bad input | Cases | Contract kept | Known bugs | Exception types | Example message |");
        sb.AppendLine("|---|---:|---:|---:|---|---|");
        int total = 0, kept = 0, bugs = 0;
        foreach (var group in calls.GroupBy(c => c.Category))
        {
            var outcomes = group.Select(c => (Call: c, Error: Run(c))).ToList();
            int ok = outcomes.Count(o => Problem(o.Call, o.Error) is null);
            int known = group.Count(c => c.KnownBug is not null);
            var types = outcomes.GroupBy(o => o.Error?.GetType().Name ?? "no exception")
                .OrderByDescending(t => t.Count()).ThenBy(t => t.Key, StringComparer.Ordinal)
                .Select(t => $"{t.Key} ×{t.Count()}" + (t.All(o => o.Call.KnownBug is not null) ? " (known bug)" : ""));
            var example = outcomes.FirstOrDefault(o => o.Call.KnownBug is null && o.Error is not null);
            string message = example.Error is null ? "" : $"`{example.Call.Name}`: {Escape(example.Error.Message)}";
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {group.Key} | {group.Count()} | {ok} | {known} | {string.Join(", ", types)} | {message} |");
            total += group.Count();
            kept += ok;
            bugs += known;
        }
        sb.AppendLine(CultureInfo.InvariantCulture, $"| **Total** | **{total}** | **{kept}** | **{bugs}** | | |");
        string report = sb.ToString();
        TestContext.Out.WriteLine(report);
        string directory = TestContext.CurrentContext.WorkDirectory;
        File.WriteAllText(Path.Combine(directory, name + ".md"), report);
        // Every case with what it got, for reviewing the messages one by one.
        File.WriteAllLines(Path.Combine(directory, name + "-messages.txt"), calls.Select(c =>
        {
            var e = Run(c);
            return $"{c} => {(e is null ? "no exception" : $"{e.GetType().Name}: {Escape(e.Message)}")}";
        }));
        return report;
    }

    private static string Escape(string message) => message.Replace("\n", " ", StringComparison.Ordinal).Replace("\t", " ", StringComparison.Ordinal).Replace("|", "\\|", StringComparison.Ordinal);
}
