namespace Autograd.Nn;

/// <summary>
/// A gated recurrent unit cell (like <c>torch.nn.GRUCell</c>):
/// <code>
/// r = σ(W_ir x + b_ir + W_hr h + b_hr)
/// z = σ(W_iz x + b_iz + W_hz h + b_hz)
/// n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
/// h' = (1 - z) ⊙ n + z ⊙ h
/// </code>
/// Parameters <c>weight_ih</c> (3·hidden, input) = [W_ir; W_iz; W_in], <c>weight_hh</c>
/// (3·hidden, hidden), <c>bias_ih</c> and <c>bias_hh</c> (3·hidden), stacked r, z, n as PyTorch's.
/// </summary>
/// <remarks>
/// h' is computed as PyTorch's CPU code does, (h - n) ⊙ z + n, which rounds differently from
/// the formula above. Input (N, input) with state (N, hidden), or unbatched (input) with
/// (hidden); a missing state is zeros. Made of differentiable ops, so higher-order gradients
/// work. See docs/recurrent.md.
/// </remarks>
public sealed class GRUCell : RNNCellBase<Tensor?, Tensor>
{
    /// <summary>Creates the cell with freshly initialised parameters.</summary>
    /// <param name="inputSize">The number of features of x, positive.</param>
    /// <param name="hiddenSize">The number of features of h, positive.</param>
    /// <param name="bias">False for a cell without <c>bias_ih</c> and <c>bias_hh</c>.</param>
    /// <param name="generator">The random source of the initial values; <see cref="Generator.Default"/> when null.</param>
    /// <param name="dtype">The parameters' dtype, Float32 or Float64.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    /// <exception cref="ArgumentException"><paramref name="dtype"/> is Int64.</exception>
    public GRUCell(int inputSize, int hiddenSize, bool bias = true, Generator? generator = null, DType dtype = DType.Float32)
        : base("GRUCell", inputSize, hiddenSize, bias, 3, generator, dtype)
    {
    }

    /// <summary>One step: h' from the input and the previous state.</summary>
    /// <param name="input">(N, input_size), or (input_size) unbatched, of the parameters' dtype.</param>
    /// <param name="hx">(N, hidden_size), or (hidden_size) unbatched; zeros when null.</param>
    /// <returns>h', (N, hidden_size) or (hidden_size).</returns>
    /// <exception cref="ArgumentException">A rank, size or dtype does not fit (the message names the shapes).</exception>
    public override Tensor Forward(Tensor input, Tensor? hx = null)
    {
        var (x, batched) = CellInput(input);
        var h = CellState(hx, x, batched, "hx", nameof(hx));
        var h2 = RecurrentSteps.Gru(InputGates(x), h, WeightHh, BiasHh).H;
        return batched ? h2 : h2.Squeeze(0);
    }
}
