namespace Autograd.Nn;

/// <summary>
/// Parameter initialisation (like <c>torch.nn.init</c>): each method overwrites a tensor's
/// values in place, outside the graph, and returns the tensor. The bounds are computed with
/// PyTorch's formulas; the random numbers come from <see cref="Generator"/>, so they are not
/// PyTorch's numbers but have the same distribution.
/// </summary>
public static class Init
{
    /// <summary>
    /// Fills <paramref name="tensor"/> with samples of U(<paramref name="low"/>, <paramref name="high"/>)
    /// (like <c>uniform_</c>): low + (high - low) u for u uniform in [0, 1), computed in double and
    /// rounded to the tensor's dtype.
    /// </summary>
    /// <param name="tensor">A floating point tensor, overwritten.</param>
    /// <param name="low">The lower bound.</param>
    /// <param name="high">The upper bound, at least <paramref name="low"/>.</param>
    /// <param name="generator">The random source; <see cref="Generator.Default"/> when null.</param>
    /// <returns><paramref name="tensor"/>.</returns>
    /// <exception cref="ArgumentException">The tensor is Int64, or the bounds are not finite with low &lt;= high.</exception>
    public static Tensor Uniform(Tensor tensor, double low = 0, double high = 1, Generator? generator = null)
    {
        CheckFloat(tensor, "Uniform");
        if (!double.IsFinite(low) || !double.IsFinite(high) || low > high)
            throw new ArgumentException($"Init.Uniform needs finite bounds with low <= high, got low={low}, high={high}.", nameof(low));
        double width = high - low;
        return Fill(tensor, generator, g => low + width * g.NextDouble());
    }

    /// <summary>Fills <paramref name="tensor"/> with samples of N(<paramref name="mean"/>, <paramref name="std"/>²) (like <c>normal_</c>).</summary>
    /// <param name="tensor">A floating point tensor, overwritten.</param>
    /// <param name="mean">The mean.</param>
    /// <param name="std">The standard deviation, non-negative.</param>
    /// <param name="generator">The random source; <see cref="Generator.Default"/> when null.</param>
    /// <returns><paramref name="tensor"/>.</returns>
    /// <exception cref="ArgumentException">The tensor is Int64, or mean/std are not finite with std &gt;= 0.</exception>
    public static Tensor Normal(Tensor tensor, double mean = 0, double std = 1, Generator? generator = null)
    {
        CheckFloat(tensor, "Normal");
        if (!double.IsFinite(mean) || !double.IsFinite(std) || std < 0)
            throw new ArgumentException($"Init.Normal needs a finite mean and a finite std >= 0, got mean={mean}, std={std}.", nameof(std));
        return Fill(tensor, generator, g => mean + std * g.NextNormal());
    }

    /// <summary>Sets every element of <paramref name="tensor"/> to <paramref name="value"/> (like <c>constant_</c>).</summary>
    /// <param name="tensor">A floating point tensor, overwritten.</param>
    /// <param name="value">The value (rounded to the tensor's dtype).</param>
    /// <returns><paramref name="tensor"/>.</returns>
    /// <exception cref="ArgumentException">The tensor is Int64.</exception>
    public static Tensor Constant(Tensor tensor, double value)
    {
        CheckFloat(tensor, "Constant");
        if (tensor.Data is float[] f) Array.Fill(f, (float)value);
        else Array.Fill(tensor.Buffer<double>(), value);
        tensor.BumpVersion();
        return tensor;
    }

    /// <summary>Sets every element of <paramref name="tensor"/> to 0 (like <c>zeros_</c>).</summary>
    /// <param name="tensor">A floating point tensor, overwritten.</param>
    /// <returns><paramref name="tensor"/>.</returns>
    public static Tensor Zeros(Tensor tensor) => Constant(tensor, 0);

    /// <summary>Sets every element of <paramref name="tensor"/> to 1 (like <c>ones_</c>).</summary>
    /// <param name="tensor">A floating point tensor, overwritten.</param>
    /// <returns><paramref name="tensor"/>.</returns>
    public static Tensor Ones(Tensor tensor) => Constant(tensor, 1);

    /// <summary>
    /// Kaiming (He) uniform initialisation in fan-in mode for a leaky ReLU of negative slope
    /// <paramref name="a"/> (like <c>kaiming_uniform_(tensor, a, mode="fan_in",
    /// nonlinearity="leaky_relu")</c>): U(-bound, bound) with gain = √(2 / (1 + a²)),
    /// std = gain / √fan_in and bound = √3 · std, evaluated in that order as PyTorch does.
    /// With a = √5 (what <see cref="Nn.Linear"/> uses) the bound is 1 / √fan_in, up to one rounding.
    /// </summary>
    /// <param name="tensor">A floating point tensor of rank at least 2, overwritten.</param>
    /// <param name="a">The negative slope of the leaky ReLU that follows (0 for ReLU).</param>
    /// <param name="generator">The random source; <see cref="Generator.Default"/> when null.</param>
    /// <returns><paramref name="tensor"/>.</returns>
    /// <exception cref="ArgumentException">The tensor is Int64 or has fewer than 2 dimensions, or <paramref name="a"/> is not finite.</exception>
    public static Tensor KaimingUniform(Tensor tensor, double a = 0, Generator? generator = null)
    {
        CheckFloat(tensor, "KaimingUniform");
        if (!double.IsFinite(a))
            throw new ArgumentException($"Init.KaimingUniform needs a finite negative slope a, got {a}.", nameof(a));
        var (fanIn, _) = CalculateFanInAndFanOut(tensor);
        if (tensor.NumberOfElements == 0) return tensor; // PyTorch: "Initializing zero-element tensors is a no-op"
        double gain = Math.Sqrt(2.0 / (1 + Math.Pow(a, 2)));
        double std = gain / Math.Sqrt(fanIn);
        double bound = Math.Sqrt(3.0) * std;
        return Uniform(tensor, -bound, bound, generator);
    }

    /// <summary>
    /// Xavier (Glorot) uniform initialisation (like <c>xavier_uniform_</c>): U(-bound, bound) with
    /// std = gain · √(2 / (fan_in + fan_out)) and bound = √3 · std.
    /// </summary>
    /// <param name="tensor">A floating point tensor of rank at least 2, overwritten.</param>
    /// <param name="gain">The scaling factor (1 for linear or sigmoid layers).</param>
    /// <param name="generator">The random source; <see cref="Generator.Default"/> when null.</param>
    /// <returns><paramref name="tensor"/>.</returns>
    /// <exception cref="ArgumentException">The tensor is Int64 or has fewer than 2 dimensions, or <paramref name="gain"/> is not finite.</exception>
    public static Tensor XavierUniform(Tensor tensor, double gain = 1, Generator? generator = null)
    {
        CheckFloat(tensor, "XavierUniform");
        if (!double.IsFinite(gain))
            throw new ArgumentException($"Init.XavierUniform needs a finite gain, got {gain}.", nameof(gain));
        var (fanIn, fanOut) = CalculateFanInAndFanOut(tensor);
        if (tensor.NumberOfElements == 0) return tensor;
        double std = gain * Math.Sqrt(2.0 / (fanIn + fanOut));
        double bound = Math.Sqrt(3.0) * std;
        return Uniform(tensor, -bound, bound, generator);
    }

    /// <summary>
    /// The fan-in and fan-out of a weight tensor (like <c>_calculate_fan_in_and_fan_out</c>): for
    /// shape (out, in, k1, k2, ...) they are in · k1 · k2 ⋯ and out · k1 · k2 ⋯.
    /// </summary>
    /// <param name="tensor">A tensor of rank at least 2.</param>
    /// <returns>(fan_in, fan_out).</returns>
    /// <exception cref="ArgumentException">The tensor has fewer than 2 dimensions.</exception>
    public static (int FanIn, int FanOut) CalculateFanInAndFanOut(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.Rank < 2)
            throw new ArgumentException($"Fan in and fan out can not be computed for a tensor with fewer than 2 dimensions, got shape {Shapes.Format(tensor.Dims)}.", nameof(tensor));
        int receptive = Shapes.Size(tensor.Dims.AsSpan(2));
        return (tensor.Dims[1] * receptive, tensor.Dims[0] * receptive);
    }

    private static void CheckFloat(Tensor tensor, string method)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!tensor.DType.IsFloatingPoint())
            throw new ArgumentException($"Init.{method} needs a Float32 or Float64 tensor, got {tensor.DType} with shape {Shapes.Format(tensor.Dims)}.", nameof(tensor));
    }

    private static Tensor Fill(Tensor tensor, Generator? generator, Func<Generator, double> sample)
    {
        (generator ?? Generator.Default).Locked(g =>
        {
            if (tensor.Data is float[] f) for (int i = 0; i < f.Length; i++) f[i] = (float)sample(g);
            else
            {
                var d = tensor.Buffer<double>();
                for (int i = 0; i < d.Length; i++) d[i] = sample(g);
            }
            return 0;
        });
        tensor.BumpVersion();
        return tensor;
    }
}
