namespace Autograd.Nn;

/// <summary>
/// An Elman RNN cell (like <c>torch.nn.RNNCell</c>): h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh),
/// or ReLU in place of tanh. Parameters <c>weight_ih</c> (hidden, input), <c>weight_hh</c>
/// (hidden, hidden), <c>bias_ih</c> and <c>bias_hh</c> (hidden); see <see cref="RNNCellBase{THiddenInput, THidden}"/>.
/// </summary>
/// <remarks>
/// Input (N, input) with state (N, hidden), or unbatched (input) with (hidden); a missing state
/// is zeros. The step is made of differentiable ops (<see cref="Functional.Linear"/>, +, tanh or
/// ReLU), so higher-order gradients work. See docs/recurrent.md.
/// </remarks>
public sealed class RNNCell : RNNCellBase<Tensor?, Tensor>
{
    private readonly bool _relu;

    /// <summary>Creates the cell with freshly initialised parameters.</summary>
    /// <param name="inputSize">The number of features of x, positive.</param>
    /// <param name="hiddenSize">The number of features of h, positive.</param>
    /// <param name="bias">False for a cell without <c>bias_ih</c> and <c>bias_hh</c>.</param>
    /// <param name="nonlinearity">"tanh" (the default) or "relu".</param>
    /// <param name="generator">The random source of the initial values; <see cref="Generator.Default"/> when null.</param>
    /// <param name="dtype">The parameters' dtype, Float32 or Float64.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    /// <exception cref="ArgumentException"><paramref name="nonlinearity"/> is neither "tanh" nor "relu", or <paramref name="dtype"/> is Int64.</exception>
    public RNNCell(int inputSize, int hiddenSize, bool bias = true, string nonlinearity = "tanh", Generator? generator = null, DType dtype = DType.Float32)
        : base("RNNCell", inputSize, hiddenSize, bias, 1, generator, dtype)
    {
        _relu = RecurrentChecks.IsRelu("RNNCell", nonlinearity);
        Nonlinearity = nonlinearity;
    }

    /// <summary>"tanh" or "relu".</summary>
    public string Nonlinearity { get; }

    /// <summary>One step: h' from the input and the previous state.</summary>
    /// <param name="input">(N, input_size), or (input_size) unbatched, of the parameters' dtype.</param>
    /// <param name="hx">(N, hidden_size), or (hidden_size) unbatched; zeros when null.</param>
    /// <returns>h', (N, hidden_size) or (hidden_size).</returns>
    /// <exception cref="ArgumentException">A rank, size or dtype does not fit (the message names the shapes).</exception>
    public override Tensor Forward(Tensor input, Tensor? hx = null)
    {
        var (x, batched) = CellInput(input);
        var h = CellState(hx, x, batched, "hx", nameof(hx));
        var h2 = RecurrentSteps.Simple(InputGates(x), h, WeightHh, BiasHh, _relu);
        return batched ? h2 : h2.Squeeze(0);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => _relu ? base.ExtraRepr() + ", nonlinearity=relu" : base.ExtraRepr();
}
