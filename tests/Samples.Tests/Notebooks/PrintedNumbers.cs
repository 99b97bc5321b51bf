using System.Globalization;
using System.Text.RegularExpressions;
using Shouldly;

namespace Autograd.Samples.Tests.Notebooks;

/// <summary>
/// Finds the numbers PyTorch printed in what the library printed for the same program: the check
/// behind "find each number again in PyTorch's output" (the notebooks, docs/teaching.md).
/// </summary>
/// <remarks>
/// The two outputs need not read alike (PyTorch prints <c>tensor([0.2350, 0.1050])</c>, the trace
/// <c>[0.235, 0.10499]</c>), so only the numbers are compared: every number PyTorch printed with a
/// decimal point must appear, in the same order, among the numbers with a decimal point the library
/// printed (the library may print more: shapes, steps, values PyTorch does not show). Two printed
/// numbers agree when one value can have been rounded to both: they differ by less than half a unit
/// in the last digit of each, so two numbers printed with the same digits must be equal digit for
/// digit. Integers (step numbers, shapes, indices) are not compared.
/// </remarks>
internal static partial class PrintedNumbers
{
    /// <summary>Asserts that each number of <paramref name="pytorch"/> is found, in order, in <paramref name="library"/>.</summary>
    public static void ShouldAllBeFoundIn(string pytorch, string library, string where)
    {
        var wanted = Decimals(pytorch);
        var printed = Decimals(library);
        wanted.ShouldNotBeEmpty($"{where}: PyTorch's output holds no number to find");
        int j = 0;
        for (int i = 0; i < wanted.Count; i++)
        {
            while (j < printed.Count && !Agree(printed[j], wanted[i])) j++;
            (j < printed.Count).ShouldBeTrue(
                $"{where}: PyTorch printed {wanted[i].Shown} (its number {i + 1}), which the library's output does not show after the numbers found before it.\n" +
                $"library:\n{library}\nPyTorch:\n{pytorch}");
            j++;
        }
    }

    /// <summary>The numbers with a decimal point in <paramref name="text"/>, as values and as printed.</summary>
    public static List<(double Value, string Shown)> Decimals(string text)
        => [.. Decimal().Matches(text).Select(m => (double.Parse(m.Value, NumberStyles.Float, CultureInfo.InvariantCulture), m.Value))];

    private static bool Agree((double Value, string Shown) a, (double Value, string Shown) b)
        => a.Value == b.Value || Math.Abs(a.Value - b.Value) < 0.5 * (LastDigit(a.Shown) + LastDigit(b.Shown));

    /// <summary>One unit in the last digit shown: 1e-4 for "0.2350", 1e-9 for "1.5e-05".</summary>
    private static double LastDigit(string shown)
    {
        int e = shown.IndexOfAny(['e', 'E']);
        string mantissa = e < 0 ? shown : shown[..e];
        int exponent = e < 0 ? 0 : int.Parse(shown[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        return Math.Pow(10, exponent - (mantissa.Length - mantissa.IndexOf('.') - 1));
    }

    // A number with digits on both sides of its point, not part of a name (float64, W1) or of a longer number.
    [GeneratedRegex(@"(?<![\w.])-?\d+\.\d+(?:[eE][-+]?\d+)?(?![\w.])")]
    private static partial Regex Decimal();
}
