using System.Globalization;

namespace Autograd.Nn;

/// <summary>
/// Inverted dropout (like <c>torch.nn.Dropout</c>): in training mode each element is zeroed with
/// probability <see cref="P"/> and the others are scaled by 1 / (1 - p); in evaluation mode
/// (<see cref="Module.Eval"/>) it is the identity. See <see cref="Functional.Dropout"/>.
/// </summary>
public sealed class Dropout : Module
{
    private readonly Generator? _generator;

    /// <summary>Creates the layer.</summary>
    /// <param name="p">The probability of zeroing an element, in [0, 1].</param>
    /// <param name="generator">The random source of the masks; <see cref="Generator.Default"/> when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside [0, 1] or NaN.</exception>
    public Dropout(double p = 0.5, Generator? generator = null)
    {
        Functional.CheckDropoutProbability(p);
        P = p;
        _generator = generator;
    }

    /// <summary>The probability of zeroing an element.</summary>
    public double P { get; }

    /// <summary>The input with dropout applied in training mode; the input itself in evaluation mode.</summary>
    /// <param name="input">A floating point tensor of any shape.</param>
    /// <returns>A tensor of the input's shape.</returns>
    public override Tensor Forward(Tensor input) => Functional.Dropout(input, P, Training, _generator);

    /// <summary>As PyTorch prints it (this dropout never works in place, hence <c>inplace=False</c>).</summary>
    /// <returns><c>p=0.5, inplace=False</c>.</returns>
    protected override string ExtraRepr() => $"p={PythonFloat(P)}, inplace=False";

    /// <summary>A double as Python's repr writes it: shortest round-trip digits, "0.5", "1.0", "1e-05".</summary>
    internal static string PythonFloat(double value)
    {
        string s = value.ToString("R", CultureInfo.InvariantCulture);
        int e = s.IndexOf('E');
        if (e < 0) return s.Contains('.') ? s : s + ".0";
        // .NET: "1E-05"; Python: "1e-05" (a sign and at least two exponent digits).
        string mantissa = s[..e], exponent = s[(e + 1)..];
        char sign = exponent[0] == '-' ? '-' : '+';
        string digits = exponent.TrimStart('+', '-').PadLeft(2, '0');
        return $"{mantissa}e{sign}{digits}";
    }
}
