namespace Autograd.Nn;

/// <summary>
/// A long short-term memory cell (like <c>torch.nn.LSTMCell</c>):
/// <code>
/// i = σ(W_ii x + b_ii + W_hi h + b_hi)
/// f = σ(W_if x + b_if + W_hf h + b_hf)
/// g = tanh(W_ig x + b_ig + W_hg h + b_hg)
/// o = σ(W_io x + b_io + W_ho h + b_ho)
/// c' = f ⊙ c + i ⊙ g
/// h' = o ⊙ tanh(c')
/// </code>
/// Parameters <c>weight_ih</c> (4·hidden, input) = [W_ii; W_if; W_ig; W_io], <c>weight_hh</c>
/// (4·hidden, hidden), <c>bias_ih</c> and <c>bias_hh</c> (4·hidden), the gates stacked in the
/// order i, f, g, o as PyTorch's.
/// </summary>
/// <remarks>
/// Input (N, input) with state (h, c), each (N, hidden), or unbatched (input) with (hidden); a
/// missing state is zeros. Made of differentiable ops, so higher-order gradients work.
/// See docs/recurrent.md.
/// </remarks>
public sealed class LSTMCell : RNNCellBase<(Tensor H, Tensor C)?, (Tensor H, Tensor C)>
{
    /// <summary>Creates the cell with freshly initialised parameters.</summary>
    /// <param name="inputSize">The number of features of x, positive.</param>
    /// <param name="hiddenSize">The number of features of h and c, positive.</param>
    /// <param name="bias">False for a cell without <c>bias_ih</c> and <c>bias_hh</c>.</param>
    /// <param name="generator">The random source of the initial values; <see cref="Generator.Default"/> when null.</param>
    /// <param name="dtype">The parameters' dtype, Float32 or Float64.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    /// <exception cref="ArgumentException"><paramref name="dtype"/> is Int64.</exception>
    public LSTMCell(int inputSize, int hiddenSize, bool bias = true, Generator? generator = null, DType dtype = DType.Float32)
        : base("LSTMCell", inputSize, hiddenSize, bias, 4, generator, dtype)
    {
    }

    /// <summary>One step: (h', c') from the input and the previous state.</summary>
    /// <param name="input">(N, input_size), or (input_size) unbatched, of the parameters' dtype.</param>
    /// <param name="hx">(h, c), each (N, hidden_size) or (hidden_size) unbatched; zeros when null.</param>
    /// <returns>(h', c'), each (N, hidden_size) or (hidden_size).</returns>
    /// <exception cref="ArgumentException">A rank, size or dtype does not fit (the message names the shapes).</exception>
    public override (Tensor H, Tensor C) Forward(Tensor input, (Tensor H, Tensor C)? hx = null)
    {
        var (x, batched) = CellInput(input);
        if (hx is { } state && (state.H is null || state.C is null))
            throw new ArgumentNullException(nameof(hx), "LSTMCell: hx must hold two tensors (h, c), or be null for zeros.");
        var h = CellState(hx?.H, x, batched, "hx[0]", nameof(hx));
        var c = CellState(hx?.C, x, batched, "hx[1]", nameof(hx));
        var v = RecurrentSteps.Lstm(InputGates(x), h, c, WeightHh, BiasHh);
        return batched ? (v.H, v.C) : (v.H.Squeeze(0), v.C.Squeeze(0));
    }
}
