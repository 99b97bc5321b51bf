using System.Collections;

namespace Autograd.Optim;

/// <summary>
/// Reads a scheduler's state dict entry by entry, checking each entry's presence, type and range,
/// so that a state that does not fit is refused before anything changes.
/// </summary>
internal sealed class SchedulerStateReader
{
    private const string ParamName = "stateDict";
    private readonly IReadOnlyDictionary<string, object> _state;
    private readonly string _owner;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public SchedulerStateReader(IReadOnlyDictionary<string, object> state, string owner)
    {
        ArgumentNullException.ThrowIfNull(state, ParamName);
        _state = state;
        _owner = owner;
    }

    private object Get(string key)
    {
        if (!_state.TryGetValue(key, out var value) || value is null)
            throw new ArgumentException($"The state dict of the {_owner} has no '{key}'.", ParamName);
        _read.Add(key);
        return value;
    }

    private ArgumentException Bad(string key, object value, string expected)
        => new($"The state dict of the {_owner} has '{key}' = {Describe(value)}; expected {expected}.", ParamName);

    private static string Describe(object value) => value switch
    {
        double d => OptimChecks.Format(d),
        string s => $"\"{s}\"",
        IEnumerable e and not string => $"a list of {e.Cast<object>().Count()} ({value.GetType().Name})",
        _ => $"{value} ({value.GetType().Name})",
    };

    public long Long(string key, long min, long max = long.MaxValue)
    {
        var value = Get(key);
        long v = value switch { long l => l, int i => i, _ => throw Bad(key, value, "an integer (long)") };
        if (v < min || v > max) throw Bad(key, value, max == long.MaxValue ? $"an integer >= {min}" : $"an integer in [{min}, {max}]");
        return v;
    }

    public double Double(string key, Func<double, bool> valid, string expected)
    {
        var value = Get(key);
        double v = value switch { double d => d, float f => f, long l => l, int i => i, _ => throw Bad(key, value, expected) };
        if (!valid(v)) throw Bad(key, value, expected);
        return v;
    }

    public double NonNegative(string key) => Double(key, v => double.IsFinite(v) && v >= 0, "a finite number >= 0");

    public double[] Doubles(string key, int count)
    {
        var value = Get(key);
        if (value is not IEnumerable<double> list) throw Bad(key, value, $"a list of {count} numbers (double[])");
        var values = list.ToArray();
        if (values.Length != count || !values.All(double.IsFinite))
            throw Bad(key, value, $"{count} finite numbers, one per parameter group");
        return values;
    }

    public long[] Longs(string key)
    {
        var value = Get(key);
        return value switch
        {
            IEnumerable<long> l => l.ToArray(),
            IEnumerable<int> i => i.Select(x => (long)x).ToArray(),
            _ => throw Bad(key, value, "a list of integers (long[])"),
        };
    }

    public string String(string key, params string[] allowed)
    {
        var value = Get(key);
        if (value is not string s || !allowed.Contains(s, StringComparer.Ordinal))
            throw Bad(key, value, "one of " + string.Join(", ", allowed.Select(a => $"\"{a}\"")));
        return s;
    }

    public bool Bool(string key)
    {
        var value = Get(key);
        return value is bool b ? b : throw Bad(key, value, "a bool");
    }

    /// <summary>Refuses entries that were not read: they belong to another kind of scheduler.</summary>
    public void CheckNoOtherKeys()
    {
        foreach (var key in _state.Keys)
            if (!_read.Contains(key))
                throw new ArgumentException($"The state dict has '{key}', which this {_owner} does not keep.", ParamName);
    }
}
