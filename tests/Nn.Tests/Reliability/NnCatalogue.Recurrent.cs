namespace Autograd.Nn.Tests.Reliability;

public static partial class NnCatalogue
{
    /// <summary>The recurrent cells and layers: constructor settings, input and state shapes, ranks and dtypes.</summary>
    internal static IEnumerable<BadCall> RecurrentCases()
    {
        // Constructors.
        yield return Arg(Kind.Setting, "RNN(0, 4)", () => new RNN(0, 4), "inputSize", "input_size", "got 0");
        yield return Arg(Kind.Setting, "LSTM(3, 0)", () => new LSTM(3, 0), "hiddenSize", "hidden_size", "got 0");
        yield return Arg(Kind.Setting, "GRU(3, 4, numLayers: 0)", () => new GRU(3, 4, 0), "numLayers", "num_layers", "got 0");
        foreach (double p in new[] { -0.1, 1.5, double.NaN })
            yield return Arg(Kind.Setting, $"LSTM(3, 4, dropout: {p})", () => new LSTM(3, 4, dropout: p), "dropout", "[0, 1]", $"got {p}");
        yield return Arg(Kind.Setting, "RNN nonlinearity \"sigmoid\"", () => new RNN(3, 4, nonlinearity: "sigmoid"), "nonlinearity", "'sigmoid'");
        yield return Arg(Kind.Setting, "RNNCell nonlinearity \"gelu\"", () => new RNNCell(3, 4, nonlinearity: "gelu"), "nonlinearity", "'gelu'");
        yield return Arg(Kind.Null, "RNN nonlinearity null", () => new RNN(3, 4, nonlinearity: null!), "nonlinearity");
        yield return Arg(Kind.DType, "GRU(3, 4, dtype: Int64)", () => new GRU(3, 4, dtype: DType.Int64), "dtype", "Int64");
        yield return Arg(Kind.Setting, "LSTMCell(-1, 4)", () => new LSTMCell(-1, 4), "inputSize", "got -1");
        yield return Arg(Kind.Setting, "GRUCell(3, -2)", () => new GRUCell(3, -2), "hiddenSize", "got -2");
        yield return Arg(Kind.DType, "RNNCell(3, 4, dtype: Int64)", () => new RNNCell(3, 4, dtype: DType.Int64), "dtype", "Int64");

        // Layers: the input.
        var g = new Generator(1);
        var rnn = new RNN(3, 4, 2, generator: g);
        var lstm = new LSTM(3, 4, 2, bidirectional: true, generator: g);
        var gru = new GRU(3, 4, batchFirst: true, generator: g);
        yield return Arg(Kind.Null, "RNN.Forward(null)", () => rnn.Forward(null!), "input");
        yield return Arg(Kind.Shapes, "RNN(3, 4) on input [5, 2, 6]", () => rnn.Forward(Half(5, 2, 6)), "input", "input_size", "Expected 3, got 6", "[5, 2, 6]");
        yield return Arg(Kind.Shapes, "GRU(3, 4) unbatched input [5, 2]", () => gru.Forward(Half(5, 2)), "input", "Expected 3, got 2");
        yield return Arg(Kind.Rank, "LSTM on a 1-D input", () => lstm.Forward(Half(3)), "input", "2-D or 3-D", "1-D", "[3]");
        yield return Arg(Kind.Rank, "GRU on a 4-D input", () => gru.Forward(Half(1, 2, 5, 3)), "input", "4-D", "[1, 2, 5, 3]");
        yield return Arg(Kind.DType, "RNN (Float32) on a Float64 input", () => rnn.Forward(Full(DType.Float64, 0.5, 5, 2, 3)), "input", "Float32", "Float64");
        yield return Arg(Kind.DType, "LSTM on an Int64 input", () => lstm.Forward(Int(5, 2, 3)), "input", "Int64");
        yield return Arg(Kind.Empty, "RNN on an empty sequence [0, 2, 3]", () => rnn.Forward(Half(0, 2, 3)), "input", "sequence length", "[0, 2, 3]");

        // Layers: the initial state.
        yield return Arg(Kind.Shapes, "RNN(2 layers) h0 [1, 2, 4]", () => rnn.Forward(Half(5, 2, 3), Half(1, 2, 4)), "hx", "[2, 2, 4]", "got [1, 2, 4]");
        yield return Arg(Kind.Shapes, "RNN h0 batch 3 for batch 2", () => rnn.Forward(Half(5, 2, 3), Half(2, 3, 4)), "hx", "[2, 2, 4]", "[2, 3, 4]");
        yield return Arg(Kind.Shapes, "RNN h0 hidden 5 for 4", () => rnn.Forward(Half(5, 2, 3), Half(2, 2, 5)), "hx", "[2, 2, 4]", "[2, 2, 5]");
        yield return Arg(Kind.Rank, "RNN batched input with a 2-D h0", () => rnn.Forward(Half(5, 2, 3), Half(2, 4)), "hx", "3-D", "2-D");
        yield return Arg(Kind.Rank, "RNN unbatched input with a 3-D h0", () => rnn.Forward(Half(5, 3), Half(2, 1, 4)), "hx", "2-D", "3-D");
        yield return Arg(Kind.Shapes, "RNN unbatched h0 [1, 4] for 2 layers", () => rnn.Forward(Half(5, 3), Half(1, 4)), "hx", "[2, 4]", "[1, 4]");
        yield return Arg(Kind.DType, "RNN with a Float64 h0", () => rnn.Forward(Half(5, 2, 3), Full(DType.Float64, 0, 2, 2, 4)), "hx", "Float64");
        yield return Arg(Kind.Shapes, "GRU batch-first h0 [1, 5, 4] (h0 is never batch-first)", () => gru.Forward(Half(2, 5, 3), Half(1, 5, 4)), "hx", "[1, 2, 4]", "[1, 5, 4]");
        yield return Arg(Kind.Shapes, "LSTM bidirectional 2 layers h0 [2, 2, 4]", () => lstm.Forward(Half(5, 2, 3), (Half(2, 2, 4), Half(4, 2, 4))), "hx", "hidden[0]", "[4, 2, 4]", "[2, 2, 4]");
        yield return Arg(Kind.Shapes, "LSTM c0 [4, 2, 3]", () => lstm.Forward(Half(5, 2, 3), (Half(4, 2, 4), Half(4, 2, 3))), "hx", "hidden[1]", "[4, 2, 4]", "[4, 2, 3]");
        yield return Arg(Kind.Rank, "LSTM h0 3-D and c0 2-D", () => lstm.Forward(Half(5, 2, 3), (Half(4, 2, 4), Half(4, 4))), "hx", "3-D", "2-D");
        yield return Arg(Kind.Null, "LSTM hx with a null c0", () => lstm.Forward(Half(5, 2, 3), (Half(4, 2, 4), null!)), "hx", "(h0, c0)");

        // Cells.
        var rnnCell = new RNNCell(3, 4, generator: g);
        var lstmCell = new LSTMCell(3, 4, generator: g);
        var gruCell = new GRUCell(3, 4, generator: g);
        yield return Arg(Kind.Rank, "RNNCell on a 3-D input", () => rnnCell.Forward(Half(1, 2, 3)), "input", "1-D or 2-D", "3-D", "[1, 2, 3]");
        yield return Arg(Kind.Rank, "GRUCell on a 0-d input", () => gruCell.Forward(Tensor.Scalar(0.5f)), "input", "0-D");
        yield return Arg(Kind.Shapes, "LSTMCell(3, 4) on input [2, 5]", () => lstmCell.Forward(Half(2, 5)), "input", "input_size", "got 5 expected 3");
        yield return Arg(Kind.Shapes, "GRUCell hx batch 3 for input batch 2", () => gruCell.Forward(Half(2, 3), Half(3, 4)), "hx", "batch size 2", "batch size 3");
        yield return Arg(Kind.Shapes, "RNNCell hx hidden 5 for 4", () => rnnCell.Forward(Half(2, 3), Half(2, 5)), "hx", "hidden_size", "got 5, expected 4");
        yield return Arg(Kind.Rank, "RNNCell unbatched input with a 2-D hx", () => rnnCell.Forward(Half(3), Half(1, 4)), "hx", "unbatched", "2-D");
        yield return Arg(Kind.DType, "GRUCell (Float32) on a Float64 input", () => gruCell.Forward(Full(DType.Float64, 0.5, 2, 3)), "input", "Float32", "Float64");
        yield return Arg(Kind.DType, "LSTMCell with a Float64 c", () => lstmCell.Forward(Half(2, 3), (Half(2, 4), Full(DType.Float64, 0, 2, 4))), "hx", "hx[1]", "Float64");
        yield return Arg(Kind.Shapes, "LSTMCell c hidden 3 for 4", () => lstmCell.Forward(Half(2, 3), (Half(2, 4), Half(2, 3))), "hx", "hx[1]", "got 3, expected 4");
        yield return Arg(Kind.Null, "LSTMCell hx with a null h", () => lstmCell.Forward(Half(2, 3), (null!, Half(2, 4))), "hx", "(h, c)");
        yield return Arg(Kind.Dim, "LSTM.LayerParameters(2) of 2 layers", () => lstm.LayerParameters(2), "layer", "2 layer(s)");
        yield return Arg(Kind.Dim, "GRU.LayerParameters(0, reverse) of a one-direction GRU", () => gru.LayerParameters(0, reverse: true), "layer", "one direction");
    }
}
