namespace Autograd.Nn;

/// <summary>The recurrences the cells and layers share: an Elman RNN (tanh or ReLU), an LSTM, a GRU.</summary>
internal enum RecurrentMode { RnnTanh, RnnRelu, Lstm, Gru }

/// <summary>
/// One time step of each recurrence, composed from differentiable ops in the order PyTorch 1.13's
/// CPU cells compute it (aten/src/ATen/native/RNN.cpp, <c>SimpleCell</c>, <c>LSTMCell</c>,
/// <c>GRUCell</c>), so that every elementwise result rounds as PyTorch's does. Each step takes the
/// input projection <c>gi = x W_ihᵀ + b_ih</c> already computed: a layer computes it for all
/// time steps in one product, as PyTorch does on the CPU, and a cell for its one step.
/// </summary>
internal static class RecurrentSteps
{
    /// <summary>The rows of <c>weight_ih</c> and <c>weight_hh</c> per hidden unit: 1, 4 (i, f, g, o) or 3 (r, z, n).</summary>
    public static int GateCount(RecurrentMode mode) => mode switch
    {
        RecurrentMode.Lstm => 4,
        RecurrentMode.Gru => 3,
        _ => 1,
    };

    /// <summary>h' = tanh(gi + h W_hhᵀ + b_hh), or ReLU: <c>nonlinearity(linear_hh(h).add_(gi))</c>.</summary>
    public static Tensor Simple(Tensor gi, Tensor h, Tensor wHh, Tensor? bHh, bool relu)
    {
        var pre = Functional.Linear(h, wHh, bHh) + gi;
        return relu ? pre.Relu() : pre.Tanh();
    }

    /// <summary>The LSTM step's values, kept by a layer for its backward pass.</summary>
    public readonly record struct LstmValues(Tensor I, Tensor F, Tensor G, Tensor O, Tensor C, Tensor TanhC, Tensor H);

    /// <summary>
    /// gates = h W_hhᵀ + b_hh + gi, split into i, f, g, o; i, f, o = σ(·), g = tanh(·);
    /// c' = f c + i g; h' = o tanh(c').
    /// </summary>
    public static LstmValues Lstm(Tensor gi, Tensor h, Tensor c, Tensor wHh, Tensor? bHh)
    {
        var gates = (Functional.Linear(h, wHh, bHh) + gi).Chunk(4, 1);
        var i = gates[0].Sigmoid();
        var f = gates[1].Sigmoid();
        var g = gates[2].Tanh();
        var o = gates[3].Sigmoid();
        var c2 = f * c + i * g;
        var tc = c2.Tanh();
        return new LstmValues(i, f, g, o, c2, tc, o * tc);
    }

    /// <summary>The GRU step's values, kept by a layer for its backward pass (<c>Hn</c> = h W_hnᵀ + b_hn).</summary>
    public readonly record struct GruValues(Tensor R, Tensor Z, Tensor N, Tensor Hn, Tensor HMinusN, Tensor H);

    /// <summary>
    /// r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(W_iz x + b_iz + W_hz h + b_hz),
    /// n = tanh(W_in x + b_in + r (W_hn h + b_hn)), h' = (h - n) z + n
    /// (PyTorch's form of (1 - z) n + z h).
    /// </summary>
    public static GruValues Gru(Tensor gi, Tensor h, Tensor wHh, Tensor? bHh)
    {
        var ic = gi.Chunk(3, 1);
        var hc = Functional.Linear(h, wHh, bHh).Chunk(3, 1);
        var r = (hc[0] + ic[0]).Sigmoid();
        var z = (hc[1] + ic[1]).Sigmoid();
        var n = (ic[2] + hc[2] * r).Tanh();
        var hMinusN = h - n;
        return new GruValues(r, z, n, hc[2], hMinusN, hMinusN * z + n);
    }
}
