namespace Autograd.Nn;

/// <summary>Channel-wise dropout: <see cref="Dropout2d"/>.</summary>
public static partial class Functional
{
    /// <summary>
    /// Channel-wise dropout (like <c>torch.nn.functional.dropout2d</c>): in training, each channel
    /// input[n, c] is zeroed whole with probability <paramref name="p"/>, the others are scaled by
    /// 1 / (1 - p); y = x · m with m (N, C, 1, ..., 1) broadcast, so dy/dx = m. One draw per
    /// (n, c) in order from the generator. As PyTorch 1.13 does, a 3-D input is read as (N, C, L)
    /// (channel-wise 1-D dropout), not as an unbatched (C, H, W).
    /// </summary>
    /// <param name="input">A floating point tensor of at least 2 dimensions, (N, C, H, W) or (N, C, L).</param>
    /// <param name="p">The probability of zeroing a channel, in [0, 1].</param>
    /// <param name="training">False: the input itself is returned.</param>
    /// <param name="generator">The random source of the mask; <see cref="Generator.Default"/> when null.</param>
    /// <returns>A tensor of the input's shape (the input itself when not training or p = 0).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside [0, 1] or NaN.</exception>
    /// <exception cref="ArgumentException">The input has fewer than 2 dimensions or is not floating point.</exception>
    public static Tensor Dropout2d(Tensor input, double p = 0.5, bool training = true, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        CheckDropoutProbability(p);
        input.RequireFloat("Dropout2d");
        if (input.Rank < 2)
            throw new ArgumentException($"Dropout2d: channel-wise dropout needs at least 2 dimensions (N, C, ...), got shape {Shapes.Format(input.Dims)}.", nameof(input));
        if (!training || p == 0 || input.NumberOfElements == 0) return input;
        return MaskedDropout(input, [input.Dims[0], input.Dims[1], .. Enumerable.Repeat(1, input.Rank - 2)], p, generator);
    }
}
