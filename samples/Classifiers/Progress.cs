using static System.FormattableString;

namespace Autograd.Samples.Classifiers;

/// <summary>
/// Shows how training goes, epoch by epoch. On a terminal it redraws one line in place (with
/// '\r') holding a progress bar; when the output goes to a file or a pipe, where '\r' would
/// leave a mess, it writes plain lines instead, about ten per model.
/// </summary>
/// <param name="output">Where to write.</param>
/// <param name="interactive">True when <paramref name="output"/> is a terminal (<c>!Console.IsOutputRedirected</c>).</param>
public sealed class Progress(TextWriter output, bool interactive)
{
    private const int BarWidth = 24;
    private int _epochs;
    private int _lastLength;

    /// <summary>Begins a training run of <paramref name="epochs"/> epochs.</summary>
    public void Start(int epochs)
    {
        _epochs = epochs;
        _lastLength = 0;
    }

    /// <summary>Shows the state after one epoch.</summary>
    public void Report(EpochStats stats)
    {
        string epoch = stats.Epoch.ToString().PadLeft(_epochs.ToString().Length);
        string numbers = Invariant($"loss {stats.TrainLoss:F4}  train {Percent(stats.TrainAccuracy)}  test {Percent(stats.TestAccuracy)}");
        if (interactive)
        {
            int filled = BarWidth * stats.Epoch / _epochs;
            string bar = new string('#', filled) + new string('.', BarWidth - filled);
            string line = $"  epoch {epoch}/{_epochs} [{bar}] {numbers}";
            // Pad with spaces to wipe what is left of a longer previous line.
            output.Write("\r" + line.PadRight(_lastLength));
            _lastLength = line.Length;
            if (stats.Epoch == _epochs) output.WriteLine();
        }
        else if (stats.Epoch == _epochs || stats.Epoch % Math.Max(1, _epochs / 10) == 0)
        {
            output.WriteLine($"  epoch {epoch}/{_epochs}  {numbers}");
        }
        output.Flush();
    }

    /// <summary>0.97368 as "97.4%".</summary>
    public static string Percent(double fraction) => Invariant($"{100 * fraction:F1}%");
}
