using NUnit.Framework;
using Shouldly;

namespace Autograd.Nn.Tests.Modules.Recurrent;

/// <summary>
/// Finite differences in Float64 for every cell and layer (gradients with respect to the input,
/// the initial states and every parameter), and second-order gradients (the gradient of a
/// gradient, taken with createGraph) against finite differences of the first-order gradient.
/// </summary>
/// <remarks>
/// Tolerance: the central difference with eps = 1e-6 has truncation error O(eps² f''') ≈ 1e-12
/// and rounding error about 1e-16 / 1e-6 = 1e-10 for values of order one; atol = rtol = 1e-7
/// leaves a margin of 1000 above that, while a wrong derivative is off by O(1).
/// </remarks>
[TestFixture]
public sealed class RecurrentGradCheckTests
{
    private const double Tolerance = 1e-7;

    private static Tensor Rand(Generator g, params int[] shape) => Tensor.Randn(shape, g, DType.Float64) * 0.8;

    [TestCase("rnn_tanh")]
    [TestCase("rnn_relu")]
    [TestCase("lstm")]
    [TestCase("gru")]
    public void Cell_GradCheck_Float64(string kind)
    {
        var g = new Generator(31);
        var x = Rand(g, 2, 3);
        var h = Rand(g, 2, 4);
        var c = Rand(g, 2, 4);
        var wIh = Rand(g, RecurrentSteps.GateCount(Mode(kind)) * 4, 3);
        var wHh = Rand(g, RecurrentSteps.GateCount(Mode(kind)) * 4, 4);
        var bIh = Rand(g, wIh.Shape[0]);
        var bHh = Rand(g, wIh.Shape[0]);
        var result = GradCheck.Check(t => Step(kind, t), [x, h, c, wIh, wHh, bIh, bHh], atol: Tolerance, rtol: Tolerance);
        result.Passed.ShouldBeTrue(result.ToString());
    }

    /// <summary>The cell module's forward with the given tensors as its parameters (through a state dict would lose the graph, so the step is called as the module calls it).</summary>
    private static Tensor Step(string kind, IReadOnlyList<Tensor> t)
    {
        var gi = Autograd.Nn.Functional.Linear(t[0], t[3], t[5]);
        return kind switch
        {
            "lstm" => LstmBoth(RecurrentSteps.Lstm(gi, t[1], t[2], t[4], t[6])),
            "gru" => RecurrentSteps.Gru(gi, t[1], t[4], t[6]).H,
            _ => RecurrentSteps.Simple(gi, t[1], t[4], t[6], kind == "rnn_relu"),
        };
    }

    private static Tensor LstmBoth(RecurrentSteps.LstmValues v) => Tensor.Concat([v.H, v.C], 1);

    private static RecurrentMode Mode(string kind) => kind switch
    {
        "lstm" => RecurrentMode.Lstm,
        "gru" => RecurrentMode.Gru,
        "rnn_relu" => RecurrentMode.RnnRelu,
        _ => RecurrentMode.RnnTanh,
    };

    [TestCase("rnn_tanh", 1, false)]
    [TestCase("rnn_relu", 2, true)]
    [TestCase("lstm", 1, false)]
    [TestCase("lstm", 2, true)]
    [TestCase("gru", 1, true)]
    [TestCase("gru", 2, false)]
    public void Layer_GradCheckOfInputAndStates_Float64(string mode, int layers, bool bidirectional)
    {
        var g = new Generator(32);
        int d = bidirectional ? 2 : 1;
        Module m = mode switch
        {
            "lstm" => new LSTM(3, 3, layers, bidirectional: bidirectional, generator: g, dtype: DType.Float64),
            "gru" => new GRU(3, 3, layers, bidirectional: bidirectional, generator: g, dtype: DType.Float64),
            _ => new RNN(3, 3, layers, mode[4..], bidirectional: bidirectional, generator: g, dtype: DType.Float64),
        };
        var result = GradCheck.Check(t =>
        {
            if (m is LSTM lstm)
            {
                var (o, (h, c)) = lstm.Forward(t[0], (t[1], t[2]));
                return Tensor.Concat([o.Reshape(-1), h.Reshape(-1), c.Reshape(-1)]);
            }
            var (output, hN) = ((RNNBase<Tensor?, Tensor>)m).Forward(t[0], t[1]);
            return Tensor.Concat([output.Reshape(-1), hN.Reshape(-1)]);
        }, [Rand(g, 4, 2, 3), Rand(g, layers * d, 2, 3), Rand(g, layers * d, 2, 3)], atol: Tolerance, rtol: Tolerance);
        result.Passed.ShouldBeTrue(result.ToString());
    }

    /// <summary>The layer op itself with respect to all its inputs: gi, h0, (c0), W_hh, b_hh, in both directions.</summary>
    [TestCase("rnn_tanh", false)]
    [TestCase("rnn_relu", true)]
    [TestCase("lstm", false)]
    [TestCase("lstm", true)]
    [TestCase("gru", false)]
    [TestCase("gru", true)]
    public void LayerOp_GradCheckOfEveryInput_Float64(string mode, bool reverse)
    {
        var g = new Generator(33);
        int gates = RecurrentSteps.GateCount(Mode(mode));
        Tensor[] inputs = mode == "lstm"
            ? [Rand(g, 5, 2, gates * 3), Rand(g, 2, 3), Rand(g, 2, 3), Rand(g, gates * 3, 3), Rand(g, gates * 3)]
            : [Rand(g, 5, 2, gates * 3), Rand(g, 2, 3), Rand(g, gates * 3, 3), Rand(g, gates * 3)];
        var result = GradCheck.Check(t => new RecurrentLayerFunction(Mode(mode), reverse).Apply([.. t]), inputs, atol: Tolerance, rtol: Tolerance);
        result.Passed.ShouldBeTrue(result.ToString());
    }

    /// <summary>
    /// Second order: the gradient of Σ (output ⊙ w) with respect to every input, taken with
    /// createGraph, is itself checked against finite differences: through the layer op (whose
    /// backward replays the steps on the tape under createGraph) and through a GRU cell.
    /// </summary>
    [TestCase("lstm")]
    [TestCase("gru")]
    [TestCase("rnn_tanh")]
    public void LayerOp_SecondOrder_GradCheck_Float64(string mode)
    {
        var g = new Generator(34);
        int gates = RecurrentSteps.GateCount(Mode(mode));
        Tensor[] inputs = mode == "lstm"
            ? [Rand(g, 3, 2, gates * 2), Rand(g, 2, 2), Rand(g, 2, 2), Rand(g, gates * 2, 2), Rand(g, gates * 2)]
            : [Rand(g, 3, 2, gates * 2), Rand(g, 2, 2), Rand(g, gates * 2, 2), Rand(g, gates * 2)];
        var weights = Rand(g, mode == "lstm" ? 4 : 3, 2, 2);
        var result = GradCheck.Check(t =>
        {
            using var recording = Tape.EnableGrad();
            var y = new RecurrentLayerFunction(Mode(mode), reverse: false).Apply([.. t]);
            var grads = Tape.Grad((y * weights).Sum(), t, createGraph: true);
            return Tensor.Concat(grads.Select(d => d.Reshape(-1)).ToList());
        }, inputs, atol: Tolerance, rtol: Tolerance);
        result.Passed.ShouldBeTrue(result.ToString());
    }

    [Test]
    public void GruCell_SecondOrder_GradCheck_Float64()
    {
        var g = new Generator(35);
        var cell = new GRUCell(2, 3, generator: g, dtype: DType.Float64);
        var result = GradCheck.Check(t =>
        {
            using var recording = Tape.EnableGrad();
            var h = cell.Forward(t[0], t[1]);
            var grads = Tape.Grad(h.Pow(2).Sum(), [t[0], t[1]], createGraph: true);
            return Tensor.Concat(grads.Select(d => d.Reshape(-1)).ToList());
        }, [Rand(g, 2, 2), Rand(g, 2, 3)], atol: Tolerance, rtol: Tolerance);
        result.Passed.ShouldBeTrue(result.ToString());
    }
}
