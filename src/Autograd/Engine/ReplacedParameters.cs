using System.Runtime.CompilerServices;

namespace Autograd;

/// <summary>
/// The parameter tensors that <c>Module.To</c> (Autograd.Nn) replaced by converted copies, so that an
/// optimizer created before the conversion can refuse to step instead of silently updating
/// tensors the model no longer uses (PyTorch keeps the Parameter objects and swaps their data;
/// dtypes are immutable here). Weak: a replaced tensor nobody holds is collected as usual.
/// </summary>
internal static class ReplacedParameters
{
    private static readonly ConditionalWeakTable<Tensor, string> s_replaced = new();
    private static volatile bool s_any;

    /// <summary>Records that <paramref name="old"/> was replaced by <paramref name="by"/> (e.g. "Linear.To(Float64)").</summary>
    public static void Mark(Tensor old, string by)
    {
        s_replaced.AddOrUpdate(old, by);
        s_any = true;
    }

    /// <summary>What replaced <paramref name="parameter"/>, or null if nothing did.</summary>
    public static string? ReplacedBy(Tensor parameter) => s_any && s_replaced.TryGetValue(parameter, out var by) ? by : null;
}
