namespace Autograd.Nn;

/// <summary>The state dict: copying parameter values out of and into a model.</summary>
public abstract partial class Module
{
    /// <summary>
    /// A copy of every parameter and persistent buffer, keyed by its dotted name, in PyTorch's
    /// order: each module's own parameters (<see cref="NamedParameters"/>), then its persistent
    /// buffers, then its children's entries, depth first; a shared tensor appears under each of its names. The copies are detached
    /// and independent: changing them does not change the model.
    /// </summary>
    /// <returns>A new dictionary of new tensors.</returns>
    public Dictionary<string, Tensor> StateDict()
    {
        var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, slot) in StateSlots())
            state[name] = slot.Value.DetachedCopy();
        return state;
    }

    /// <summary>
    /// Copies <paramref name="state"/> into the parameters and persistent buffers, in place (the
    /// tensors stay the same objects, so optimizers keep working). Everything is checked first and nothing
    /// changes unless every check passes: each value must be a tensor of exactly the parameter's or
    /// buffer's shape, floating point for a floating point one and of the same dtype for an Int64 buffer (Float64 values load into Float32 parameters and vice versa,
    /// rounded as <c>Tensor.To</c> does, as PyTorch's <c>copy_</c>); with
    /// <paramref name="strict"/>, the keys must match <see cref="StateDict"/>'s exactly.
    /// </summary>
    /// <param name="state">Parameter values by dotted name.</param>
    /// <param name="strict">True (the default) to reject missing and unexpected keys; false to load
    /// the keys that match and report the others.</param>
    /// <returns>The missing and unexpected keys (both empty after a strict load).</returns>
    /// <exception cref="ArgumentException">A check failed; the message lists every problem, naming
    /// the keys, and for shape mismatches both shapes. The model is unchanged.</exception>
    /// <remarks>PyTorch copies the matching entries before it raises; here a failed load changes nothing.</remarks>
    public IncompatibleKeys LoadStateDict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(state);
        var plan = PlanLoad(state.Keys, (key, _) => state[key] is Tensor t ? t : throw new ArgumentException($"The value for key \"{key}\" is null.", nameof(state)), strict, out var problems);
        if (problems.Count > 0)
            throw new ArgumentException(LoadErrorMessage(problems), nameof(state));
        return ApplyLoad(plan);
    }

    private sealed record LoadPlan(List<(ParameterSlot Slot, Tensor Value)> Copies, IncompatibleKeys Keys);

    /// <summary>
    /// Checks <paramref name="keys"/> against the state slots, fetching each expected value with
    /// <paramref name="value"/> (given the key and the dtype of the parameter or buffer; it may throw to report a value that cannot be used), and
    /// collects every problem instead of stopping at the first.
    /// </summary>
    private LoadPlan PlanLoad(IEnumerable<string> keys, Func<string, DType, Tensor> value, bool strict, out List<string> problems)
    {
        problems = [];
        var available = new HashSet<string>(keys, StringComparer.Ordinal);
        var expected = new HashSet<string>(StringComparer.Ordinal);
        var copies = new List<(ParameterSlot, Tensor)>();
        var missing = new List<string>();
        foreach (var (name, slot) in StateSlots())
        {
            expected.Add(name);
            if (!available.Contains(name))
            {
                missing.Add(name);
                continue;
            }
            Tensor v;
            try
            {
                v = value(name, slot.Value.DType);
            }
            catch (Exception e) when (e is ArgumentException or InvalidDataException)
            {
                problems.Add(e is ArgumentException a ? StripParamName(a) : e.Message);
                continue;
            }
            var p = slot.Value;
            if (p.DType.IsFloatingPoint() && !v.DType.IsFloatingPoint())
                problems.Add($"dtype mismatch for {ErrorText.Name(name)}: the value is {v.DType} (shape {Shapes.Format(v.Dims)}), but {(slot.IsBuffer ? "this buffer needs" : "parameters need")} Float32 or Float64.");
            else if (!p.DType.IsFloatingPoint() && v.DType != p.DType)
                problems.Add($"dtype mismatch for {ErrorText.Name(name)}: the value is {v.DType} (shape {Shapes.Format(v.Dims)}), but the buffer is {p.DType}.");
            else if (!Shapes.Equal(v.Dims, p.Dims))
                problems.Add($"size mismatch for {ErrorText.Name(name)}: copying a param with shape {Shapes.Format(v.Dims)} from checkpoint, the shape in current model is {Shapes.Format(p.Dims)}.");
            else
                copies.Add((slot, v));
        }
        var unexpected = available.Where(k => !expected.Contains(k)).OrderBy(k => k, StringComparer.Ordinal).ToList();
        if (strict)
        {
            if (missing.Count > 0) problems.Insert(0, "Missing key(s) in state_dict: " + ErrorText.QuotedList(missing) + ".");
            if (unexpected.Count > 0) problems.Insert(missing.Count > 0 ? 1 : 0, "Unexpected key(s) in state_dict: " + ErrorText.QuotedList(unexpected) + ".");
        }
        return new LoadPlan(copies, new IncompatibleKeys(missing, unexpected));
    }

    private static IncompatibleKeys ApplyLoad(LoadPlan plan)
    {
        // A value may share its data with a parameter loaded earlier in this pass (say, a state
        // that swaps two parameters); convert or copy every source before writing any target.
        var targets = new HashSet<Array>(plan.Copies.Select(c => c.Slot.Value.Data), ReferenceEqualityComparer.Instance);
        var sources = plan.Copies.Select(c =>
            c.Value.DType != c.Slot.Value.DType ? c.Value.Detach().To(c.Slot.Value.DType)
            : targets.Contains(c.Value.Data) ? c.Value.DetachedCopy()
            : c.Value).ToList();
        for (int i = 0; i < sources.Count; i++)
        {
            var p = plan.Copies[i].Slot.Value;
            var source = sources[i];
            Array.Copy(source.Data, p.Data, p.NumberOfElements);
            p.BumpVersion();
        }
        return plan.Keys;
    }

    /// <summary>PyTorch's message, with at most <see cref="ErrorText.MaxItems"/> problems and keys per list (then a count).</summary>
    private string LoadErrorMessage(List<string> problems)
        => $"Error(s) in loading state_dict for {TypeName}:\n\t" + string.Join("\n\t", ErrorText.Lines(problems)) + "\nNothing was loaded; the model is unchanged.";

    private static string StripParamName(ArgumentException e)
        => e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal);
}

/// <summary>
/// The keys <see cref="Module.LoadStateDict"/> or <see cref="Module.Load"/> did not match (like
/// PyTorch's <c>_IncompatibleKeys</c>).
/// </summary>
/// <param name="MissingKeys">Parameters and persistent buffers of the model absent from the state, in state-dict order.</param>
/// <param name="UnexpectedKeys">Keys of the state the model has no parameter for, sorted.</param>
public sealed record IncompatibleKeys(IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys)
{
    /// <summary>
    /// PyTorch's printed form: <c>&lt;All keys matched successfully&gt;</c>, or
    /// <c>_IncompatibleKeys(missing_keys=['bias'], unexpected_keys=['extra'])</c>.
    /// </summary>
    /// <returns>The keys as PyTorch prints them.</returns>
    public override string ToString() => MissingKeys.Count == 0 && UnexpectedKeys.Count == 0
        ? "<All keys matched successfully>"
        : $"_IncompatibleKeys(missing_keys={PythonList(MissingKeys)}, unexpected_keys={PythonList(UnexpectedKeys)})";

    private static string PythonList(IReadOnlyList<string> keys) => "[" + string.Join(", ", keys.Select(k => $"'{k}'")) + "]";
}
