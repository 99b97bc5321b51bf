namespace Autograd.Nn;

/// <summary>
/// A multi-layer long short-term memory network (like <c>torch.nn.LSTM</c>): each layer runs the
/// <see cref="LSTMCell"/> recurrence over the sequence, its input the sequence for the first
/// layer and the previous layer's output (after dropout, in training) for the others. Shapes,
/// parameter names (gates stacked i, f, g, o) and initialisation: see <see cref="RNNBase{THiddenInput, THidden}"/>.
/// </summary>
/// <remarks>PyTorch's <c>proj_size</c> (LSTM with projections) is not supported: a non-zero value is refused.</remarks>
public sealed class LSTM : RNNBase<(Tensor H0, Tensor C0)?, (Tensor H, Tensor C)>
{
    /// <summary>Creates the layers with freshly initialised parameters.</summary>
    /// <param name="inputSize">The number of features of the input, positive.</param>
    /// <param name="hiddenSize">The number of features of the hidden and cell states, positive.</param>
    /// <param name="numLayers">The number of stacked layers, positive.</param>
    /// <param name="bias">False for layers without biases.</param>
    /// <param name="batchFirst">True for input and output (N, L, features).</param>
    /// <param name="dropout">The probability of zeroing an element of each layer's output but the last, in training mode; in [0, 1].</param>
    /// <param name="bidirectional">True to run each layer in both directions.</param>
    /// <param name="projSize">Must be 0: projections (PyTorch's <c>proj_size</c>) are not supported.</param>
    /// <param name="generator">The random source of the initial values and dropout masks; <see cref="Generator.Default"/> when null.</param>
    /// <param name="dtype">The parameters' dtype, Float32 or Float64.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size or <paramref name="numLayers"/> is not positive, or <paramref name="dropout"/> is outside [0, 1].</exception>
    /// <exception cref="ArgumentException"><paramref name="dtype"/> is Int64.</exception>
    /// <exception cref="NotSupportedException"><paramref name="projSize"/> is not 0.</exception>
    public LSTM(int inputSize, int hiddenSize, int numLayers = 1, bool bias = true, bool batchFirst = false,
        double dropout = 0, bool bidirectional = false, int projSize = 0, Generator? generator = null, DType dtype = DType.Float32)
        : base("LSTM", RecurrentMode.Lstm, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, generator,
            projSize == 0 ? dtype : throw new NotSupportedException($"LSTM: proj_size={projSize} (LSTM with projections) is not supported; use projSize: 0, or a Linear on the output."))
    {
    }

    /// <summary>Runs the layers over the sequence.</summary>
    /// <param name="input">(L, N, input_size), (N, L, input_size) with batchFirst, or unbatched (L, input_size).</param>
    /// <param name="hx">The initial (h0, c0), each (numLayers·D, N, hidden_size), or (numLayers·D, hidden_size) unbatched; zeros when null.</param>
    /// <returns>The last layer's output at every step, and the final (h, c) of every layer and direction.</returns>
    /// <exception cref="ArgumentException">A rank, size or dtype does not fit (the message names the shapes).</exception>
    public override (Tensor Output, (Tensor H, Tensor C) Hidden) Forward(Tensor input, (Tensor H0, Tensor C0)? hx = null)
    {
        var (x, batched) = SequenceInput(input);
        if (hx is { } state && (state.H0 is null || state.C0 is null))
            throw new ArgumentNullException(nameof(hx), "LSTM: hx must hold two tensors (h0, c0), or be null for zeros.");
        if (hx is { } both && both.H0.Rank != both.C0.Rank)
            throw new ArgumentException(input.Rank == 3
                ? $"LSTM: For batched 3-D input, hx and cx should also be 3-D but got ({both.H0.Rank}-D, {both.C0.Rank}-D) tensors."
                : $"LSTM: For unbatched 2-D input, hx and cx should also be 2-D but got ({both.H0.Rank}-D, {both.C0.Rank}-D) tensors.", nameof(hx));
        var h0 = InitialState(hx?.H0, x, batched, "hidden[0]", nameof(hx));
        var c0 = InitialState(hx?.C0, x, batched, "hidden[1]", nameof(hx));
        var (output, h, c) = RunLayers(x, h0, c0);
        return (OutputLayout(output, batched), (StateLayout(h, batched), StateLayout(c!, batched)));
    }
}
