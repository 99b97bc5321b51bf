namespace Autograd.Nn;

/// <summary>
/// Bounded pieces of error messages, so that a message about hostile input (a model file with
/// 100,000 unexpected keys, a key of a million characters) names the first few offenders and a
/// count instead of growing with the input.
/// </summary>
internal static class ErrorText
{
    /// <summary>Names longer than this are shortened.</summary>
    public const int MaxName = 200;

    /// <summary>Lists name this many items, then count the rest.</summary>
    public const int MaxItems = 10;

    /// <summary><paramref name="name"/>, or its first 100 characters and its length when it is longer than <see cref="MaxName"/>.</summary>
    public static string Name(string name)
    {
        if (name.Length <= MaxName) return name;
        int keep = char.IsHighSurrogate(name[99]) ? 99 : 100;
        return $"{name[..keep]}... ({name.Length} characters)";
    }

    /// <summary>"\"a\", \"b\"": the first <see cref="MaxItems"/> names quoted (and shortened), then "and N more".</summary>
    public static string QuotedList(IReadOnlyCollection<string> names)
    {
        var shown = string.Join(", ", names.Take(MaxItems).Select(n => $"\"{Name(n)}\""));
        return names.Count > MaxItems ? $"{shown} and {names.Count - MaxItems} more" : shown;
    }

    /// <summary>The first <see cref="MaxItems"/> lines, then "... and N more problems".</summary>
    public static IEnumerable<string> Lines(IReadOnlyCollection<string> lines)
        => lines.Count > MaxItems ? lines.Take(MaxItems).Append($"... and {lines.Count - MaxItems} more problems.") : lines;
}
