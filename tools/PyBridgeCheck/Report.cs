namespace PyBridgeCheck;

/// <summary>Prints one line per check and counts them.</summary>
internal sealed class Report
{
    public int Passed { get; private set; }

    public int Failed { get; private set; }

    /// <summary>Records a check: passed when <paramref name="problems"/> is empty, else prints each problem.</summary>
    public void Check(string name, IReadOnlyList<string> problems, string detail = "")
    {
        if (problems.Count == 0)
        {
            Passed++;
            Console.WriteLine($"ok   {name}{(detail.Length > 0 ? ": " + detail : "")}");
            return;
        }

        Failed++;
        Console.WriteLine($"FAIL {name}{(detail.Length > 0 ? ": " + detail : "")}");
        foreach (string problem in problems.Take(20))
        {
            Console.WriteLine($"       {problem}");
        }

        if (problems.Count > 20)
        {
            Console.WriteLine($"       ... and {problems.Count - 20} more");
        }
    }

    /// <summary>Runs <paramref name="check"/>, which returns its problems; an exception is a failure naming it.</summary>
    public void Run(string name, Func<List<string>> check, Func<string>? detail = null)
    {
        List<string> problems;
        try
        {
            problems = check();
        }
        catch (Exception e)
        {
            problems = [$"{e.GetType().Name}: {e.Message}"];
        }

        Check(name, problems, detail?.Invoke() ?? "");
    }
}
