namespace Autograd.Nn;

/// <summary>
/// A fully connected layer, y = x Wᵀ + b (like <c>torch.nn.Linear</c>). Accepts input (in),
/// (N, in) or (N, *, in) and returns the same shape with the last dimension out.
/// </summary>
/// <remarks>
/// Initialised as PyTorch does: the weight (out, in) with Kaiming-uniform, a = √5, which is
/// U(-1/√in, 1/√in), and the bias (out) with U(-1/√in, 1/√in). The numbers come from the given
/// <see cref="Generator"/>, so they differ from PyTorch's but follow the same distribution.
/// </remarks>
public sealed class Linear : Module
{
    private readonly bool _hasBias;

    /// <summary>Creates the layer with freshly initialised parameters.</summary>
    /// <param name="inFeatures">The size of each input sample, positive.</param>
    /// <param name="outFeatures">The size of each output sample, positive.</param>
    /// <param name="bias">False for a layer without the additive bias.</param>
    /// <param name="generator">The random source of the initial values; <see cref="Generator.Default"/> when null.</param>
    /// <param name="dtype">The dtype of the parameters (and so of the inputs it accepts).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="inFeatures"/> or <paramref name="outFeatures"/> is not positive.</exception>
    /// <exception cref="ArgumentException"><paramref name="dtype"/> is Int64.</exception>
    public Linear(int inFeatures, int outFeatures, bool bias = true, Generator? generator = null, DType dtype = DType.Float32)
    {
        if (inFeatures <= 0)
            throw new ArgumentOutOfRangeException(nameof(inFeatures), inFeatures, $"Linear: inFeatures must be positive, got {inFeatures}.");
        if (outFeatures <= 0)
            throw new ArgumentOutOfRangeException(nameof(outFeatures), outFeatures, $"Linear: outFeatures must be positive, got {outFeatures}.");
        if (!dtype.IsFloatingPoint())
            throw new ArgumentException($"Linear: parameters must be Float32 or Float64, got {dtype}.", nameof(dtype));
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        _hasBias = bias;

        // PyTorch's reset_parameters: the weight first, then the bias, from one random stream.
        RegisterParameter("weight", Init.KaimingUniform(Tensor.Zeros([outFeatures, inFeatures], dtype), Math.Sqrt(5), generator));
        if (bias)
        {
            double bound = 1 / Math.Sqrt(inFeatures);
            RegisterParameter("bias", Init.Uniform(Tensor.Zeros([outFeatures], dtype), -bound, bound, generator));
        }
    }

    /// <summary>The size of each input sample.</summary>
    public int InFeatures { get; }

    /// <summary>The size of each output sample.</summary>
    public int OutFeatures { get; }

    /// <summary>The weight, shape (out_features, in_features), registered as <c>weight</c>.</summary>
    public Tensor Weight => GetParameter("weight");

    /// <summary>The bias, shape (out_features), registered as <c>bias</c>; null for a layer built with <c>bias: false</c>.</summary>
    public Tensor? Bias => _hasBias ? GetParameter("bias") : null;

    /// <summary>y = x Wᵀ + b on the last dimension of <paramref name="input"/>; see <see cref="Functional.Linear"/>.</summary>
    /// <param name="input">(in_features), (N, in_features) or (N, *, in_features), of the parameters' dtype.</param>
    /// <returns>The input's shape with the last dimension out_features.</returns>
    /// <exception cref="ArgumentException">The last dimension is not in_features, or the dtype differs from the parameters'.</exception>
    public override Tensor Forward(Tensor input) => Functional.Linear(input, Weight, Bias);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"in_features={InFeatures}, out_features={OutFeatures}, bias={(_hasBias ? "True" : "False")}";
}
