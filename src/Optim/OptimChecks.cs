namespace Autograd.Optim;

/// <summary>
/// Hyper-parameter checks shared by the optimizers: PyTorch's constructor checks, plus NaN and
/// infinity, which PyTorch lets through (<c>lr &lt; 0.0</c> is false for NaN) and which would silently
/// turn every parameter into NaN at the first step.
/// </summary>
internal static class OptimChecks
{
    /// <summary>A finite value &gt;= 0 (learning rate, momentum, weight decay, eps).</summary>
    public static void NonNegative(double value, string paramName, string what)
    {
        if (!double.IsFinite(value) || value < 0)
            throw new ArgumentOutOfRangeException(paramName, value, $"Invalid {what}: {Format(value)}; it must be a finite number >= 0.");
    }

    /// <summary>A finite value (dampening, which PyTorch does not restrict further).</summary>
    public static void Finite(double value, string paramName, string what)
    {
        if (!double.IsFinite(value))
            throw new ArgumentOutOfRangeException(paramName, value, $"Invalid {what}: {Format(value)}; it must be a finite number.");
    }

    /// <summary>A decay rate in [0, 1): Adam's betas.</summary>
    public static void Beta(double value, string paramName, string what)
    {
        if (!(value >= 0 && value < 1))
            throw new ArgumentOutOfRangeException(paramName, value, $"Invalid {what}: {Format(value)}; it must be in [0, 1).");
    }

    public static string Format(double value) => value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}
