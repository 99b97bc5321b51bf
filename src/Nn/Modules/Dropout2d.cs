namespace Autograd.Nn;

/// <summary>
/// Channel-wise dropout (like <c>torch.nn.Dropout2d</c>): in training mode each channel of an
/// (N, C, H, W) input is zeroed whole with probability <see cref="P"/> and the others are scaled by
/// 1 / (1 - p); in evaluation mode (<see cref="Module.Eval"/>) it is the identity. A 3-D input is
/// read as (N, C, L), as PyTorch 1.13 does. See <see cref="Functional.Dropout2d"/>.
/// </summary>
public sealed class Dropout2d : Module
{
    private readonly Generator? _generator;

    /// <summary>Creates the layer.</summary>
    /// <param name="p">The probability of zeroing a channel, in [0, 1].</param>
    /// <param name="generator">The random source of the masks; <see cref="Generator.Default"/> when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside [0, 1] or NaN.</exception>
    public Dropout2d(double p = 0.5, Generator? generator = null)
    {
        Functional.CheckDropoutProbability(p);
        P = p;
        _generator = generator;
    }

    /// <summary>The probability of zeroing a channel.</summary>
    public double P { get; }

    /// <summary>The input with channel-wise dropout in training mode; the input itself in evaluation mode.</summary>
    /// <param name="input">A floating point tensor (N, C, H, W) or (N, C, L).</param>
    /// <returns>A tensor of the input's shape.</returns>
    /// <exception cref="ArgumentException">The input has fewer than 2 dimensions or is not floating point.</exception>
    public override Tensor Forward(Tensor input) => Functional.Dropout2d(input, P, Training, _generator);

    /// <summary>As PyTorch prints it (<c>p=0.5, inplace=False</c>).</summary>
    /// <returns>The settings.</returns>
    protected override string ExtraRepr() => $"p={Dropout.PythonFloat(P)}, inplace=False";
}
