using System.Text.Json;
using NUnit.Framework;
using static Autograd.Nn.Tests.Modules.Recurrent.RecurrentFixtures;

namespace Autograd.Nn.Tests.Modules.Recurrent;

/// <summary>
/// The cells and layers against PyTorch 1.13 (tools/gen_rnn_fixtures.py): outputs, final states,
/// and the gradients with respect to the input, the initial states and every parameter, in
/// Float32 and Float64, with the parameters loaded from the fixture by state-dict name.
/// </summary>
/// <remarks>
/// Tolerance. Every elementwise op rounds as PyTorch's (the same ops in the same order, the same
/// Sleef sigmoid and tanh), so the differences come from the matrix products and the bias
/// gradients' row sums: PyTorch's OpenBLAS GEMM and cascade sum add in another order than the
/// library's FMA chains and double-precision row sums, each about an ulp apart, and the
/// recurrence carries those differences through up to 12 steps and 2 layers. The bound is
/// <see cref="Ulps"/> units of roundoff relative to |expected| + max |expected| of the tensor
/// (so a gradient element that cancelled to near zero is judged against the tensor's scale);
/// a wrong gate order, transpose or missing term is off by O(1), some 10^5 times more.
/// </remarks>
[TestFixture]
public sealed class RecurrentFixtureTests
{
    /// <summary>
    /// Units of roundoff allowed, relative to the element plus the tensor's largest magnitude. The
    /// largest difference measured over all cases is 3.1 such units (a Float32 layer gradient);
    /// Float64 values 2.3. 8 leaves room for another BLAS order without hiding a real error.
    /// </summary>
    private const double Ulps = 8;

    private static IEnumerable<TestCaseData> CellCases() => Cases("cells.json")
        .Select(c => new TestCaseData(c).SetArgDisplayNames(c.GetProperty("name").GetString()!));

    private static IEnumerable<TestCaseData> LayerCases() => Cases("layers.json")
        .Select(c => new TestCaseData(c).SetArgDisplayNames(c.GetProperty("name").GetString()!));

    [TestCaseSource(nameof(CellCases))]
    public void Cell_FixtureCase_MatchesPyTorch(JsonElement c)
    {
        string kind = c.GetProperty("cell").GetString()!;
        var dtype = ParseDType(c.GetProperty("dtype").GetString()!);
        int inputSize = c.GetProperty("input_size").GetInt32(), hiddenSize = c.GetProperty("hidden_size").GetInt32();
        bool bias = c.GetProperty("bias").GetBoolean();
        var g = new Generator(1);
        Module cell = kind switch
        {
            "rnn_tanh" => new RNNCell(inputSize, hiddenSize, bias, "tanh", g, dtype),
            "rnn_relu" => new RNNCell(inputSize, hiddenSize, bias, "relu", g, dtype),
            "lstm" => new LSTMCell(inputSize, hiddenSize, bias, g, dtype),
            _ => new GRUCell(inputSize, hiddenSize, bias, g, dtype),
        };
        LoadParameters(cell, c);
        var x = Leaf(c, "input")!;
        var h0 = Leaf(c, "h0");
        var c0 = Leaf(c, "c0");
        Tensor h;
        Tensor? cNew = null;
        if (cell is LSTMCell lstm)
        {
            (h, cNew) = lstm.Forward(x, h0 is null ? null : (h0, c0!));
        }
        else h = ((Module<Tensor, Tensor?, Tensor>)cell).Forward(x, h0);
        AssertClose(h, Get(c, "h"), Ulps, "h");
        AssertClose(cNew, Read(c.GetProperty("c")), Ulps, "c");
        var loss = (h * Get(c, "grad_h")).Sum();
        if (cNew is not null) loss += (cNew * Get(c, "grad_c")).Sum();
        loss.Backward();
        AssertGrads(c, cell, x, h0, c0);
    }

    [TestCaseSource(nameof(LayerCases))]
    public void Layer_FixtureCase_MatchesPyTorch(JsonElement c)
    {
        string mode = c.GetProperty("mode").GetString()!;
        var dtype = ParseDType(c.GetProperty("dtype").GetString()!);
        int inputSize = c.GetProperty("input_size").GetInt32(), hiddenSize = c.GetProperty("hidden_size").GetInt32();
        int layers = c.GetProperty("num_layers").GetInt32();
        bool bias = c.GetProperty("bias").GetBoolean(), batchFirst = c.GetProperty("batch_first").GetBoolean();
        bool bidirectional = c.GetProperty("bidirectional").GetBoolean();
        var g = new Generator(1);
        var x = Leaf(c, "input")!;
        var h0 = Leaf(c, "h0");
        var c0 = Leaf(c, "c0");
        Module module;
        Tensor output, h;
        Tensor? cN = null;
        if (mode == "lstm")
        {
            var lstm = new LSTM(inputSize, hiddenSize, layers, bias, batchFirst, 0, bidirectional, generator: g, dtype: dtype);
            LoadParameters(lstm, c);
            (output, (h, cN)) = lstm.Forward(x, h0 is null ? null : (h0, c0!));
            module = lstm;
        }
        else
        {
            RNNBase<Tensor?, Tensor> m = mode == "gru"
                ? new GRU(inputSize, hiddenSize, layers, bias, batchFirst, 0, bidirectional, g, dtype)
                : new RNN(inputSize, hiddenSize, layers, mode[4..], bias, batchFirst, 0, bidirectional, g, dtype);
            LoadParameters(m, c);
            (output, h) = m.Forward(x, h0);
            module = m;
        }
        AssertClose(output, Get(c, "output"), Ulps, "output");
        AssertClose(h, Get(c, "h"), Ulps, "h");
        AssertClose(cN, Read(c.GetProperty("c")), Ulps, "c");
        var loss = (output * Get(c, "grad_output")).Sum() + (h * Get(c, "grad_h")).Sum();
        if (cN is not null) loss += (cN * Get(c, "grad_c")).Sum();
        loss.Backward();
        AssertGrads(c, module, x, h0, c0);
    }

    private static void AssertGrads(JsonElement c, Module module, Tensor x, Tensor? h0, Tensor? c0)
    {
        var grads = c.GetProperty("grads");
        AssertClose(x.Grad, Read(grads.GetProperty("input")), Ulps, "grad input");
        if (h0 is not null) AssertClose(h0.Grad, Read(grads.GetProperty("h0")), Ulps, "grad h0");
        if (c0 is not null) AssertClose(c0.Grad, Read(grads.GetProperty("c0")), Ulps, "grad c0");
        foreach (var (name, p) in module.NamedParameters())
            AssertClose(p.Grad, Read(grads.GetProperty(name)), Ulps, "grad " + name);
    }
}
