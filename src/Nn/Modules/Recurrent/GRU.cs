namespace Autograd.Nn;

/// <summary>
/// A multi-layer gated recurrent unit (like <c>torch.nn.GRU</c>): each layer runs the
/// <see cref="GRUCell"/> recurrence over the sequence, its input the sequence for the first layer
/// and the previous layer's output (after dropout, in training) for the others. Shapes,
/// parameter names (gates stacked r, z, n) and initialisation: see <see cref="RNNBase{THiddenInput, THidden}"/>.
/// </summary>
public sealed class GRU : RNNBase<Tensor?, Tensor>
{
    /// <summary>Creates the layers with freshly initialised parameters.</summary>
    /// <param name="inputSize">The number of features of the input, positive.</param>
    /// <param name="hiddenSize">The number of features of the hidden state, positive.</param>
    /// <param name="numLayers">The number of stacked layers, positive.</param>
    /// <param name="bias">False for layers without biases.</param>
    /// <param name="batchFirst">True for input and output (N, L, features).</param>
    /// <param name="dropout">The probability of zeroing an element of each layer's output but the last, in training mode; in [0, 1].</param>
    /// <param name="bidirectional">True to run each layer in both directions.</param>
    /// <param name="generator">The random source of the initial values and dropout masks; <see cref="Generator.Default"/> when null.</param>
    /// <param name="dtype">The parameters' dtype, Float32 or Float64.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size or <paramref name="numLayers"/> is not positive, or <paramref name="dropout"/> is outside [0, 1].</exception>
    /// <exception cref="ArgumentException"><paramref name="dtype"/> is Int64.</exception>
    public GRU(int inputSize, int hiddenSize, int numLayers = 1, bool bias = true, bool batchFirst = false,
        double dropout = 0, bool bidirectional = false, Generator? generator = null, DType dtype = DType.Float32)
        : base("GRU", RecurrentMode.Gru, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, generator, dtype)
    {
    }

    /// <summary>Runs the layers over the sequence.</summary>
    /// <param name="input">(L, N, input_size), (N, L, input_size) with batchFirst, or unbatched (L, input_size).</param>
    /// <param name="hx">The initial hidden state (numLayers·D, N, hidden_size), or (numLayers·D, hidden_size) unbatched; zeros when null.</param>
    /// <returns>The last layer's output at every step and the final hidden state of every layer and direction.</returns>
    /// <exception cref="ArgumentException">A rank, size or dtype does not fit (the message names the shapes).</exception>
    public override (Tensor Output, Tensor Hidden) Forward(Tensor input, Tensor? hx = null)
    {
        var (x, batched) = SequenceInput(input);
        var h0 = InitialState(hx, x, batched, "hidden", nameof(hx));
        var (output, h, _) = RunLayers(x, h0, null);
        return (OutputLayout(output, batched), StateLayout(h, batched));
    }
}
