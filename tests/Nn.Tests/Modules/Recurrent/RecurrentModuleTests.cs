using System.Text.Json;
using NUnit.Framework;
using Shouldly;
using static Autograd.Nn.Tests.Modules.Recurrent.RecurrentFixtures;

namespace Autograd.Nn.Tests.Modules.Recurrent;

/// <summary>
/// The recurrent modules' parameters (names, shapes, initial ranges, printed form), PyTorch
/// state-dict files, the layer op's backward against autograd through the composed steps, the
/// layouts (unbatched, batch-first), dropout between layers, and argument checks.
/// </summary>
[TestFixture]
public sealed class RecurrentModuleTests
{
    private static Module Build(string module, JsonElement args, Generator g)
    {
        int inputSize = args.GetProperty("input_size").GetInt32(), hiddenSize = args.GetProperty("hidden_size").GetInt32();
        bool Flag(string name) => args.TryGetProperty(name, out var v) && v.GetBoolean();
        bool bias = !args.TryGetProperty("bias", out var b) || b.GetBoolean();
        int layers = args.TryGetProperty("num_layers", out var l) ? l.GetInt32() : 1;
        return module switch
        {
            "RNNCell" => new RNNCell(inputSize, hiddenSize, bias, generator: g),
            "LSTMCell" => new LSTMCell(inputSize, hiddenSize, bias, g),
            "GRUCell" => new GRUCell(inputSize, hiddenSize, bias, g),
            "RNN" => new RNN(inputSize, hiddenSize, layers, bias: bias, bidirectional: Flag("bidirectional"), generator: g),
            "LSTM" => new LSTM(inputSize, hiddenSize, layers, bias, bidirectional: Flag("bidirectional"), generator: g),
            _ => new GRU(inputSize, hiddenSize, layers, bias, bidirectional: Flag("bidirectional"), generator: g),
        };
    }

    private static IEnumerable<TestCaseData> InitCases() => Cases("init.json")
        .Select(c => new TestCaseData(c).SetArgDisplayNames(c.GetProperty("name").GetString()!));

    [TestCaseSource(nameof(InitCases))]
    public void Constructor_FreshModule_HasPyTorchsNamesShapesRangesAndRepr(JsonElement c)
    {
        var module = Build(c.GetProperty("module").GetString()!, c.GetProperty("args"), new Generator(5));
        var state = module.StateDict().ToList();
        var expected = c.GetProperty("params").EnumerateArray().ToList();
        state.Select(p => p.Key).ShouldBe(expected.Select(p => p.GetProperty("name").GetString()!));
        foreach (var (p, e) in state.Zip(expected))
        {
            p.Value.Shape.ShouldBe(e.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray(), p.Key);
            double bound = e.GetProperty("bound").GetDouble();
            var values = p.Value.ToArray<double>();
            values.ShouldAllBe(v => v >= -bound && v <= bound, p.Key);
            // U(-b, b) over at least 15 values: the spread reaches well beyond b / 4 on both sides.
            if (values.Length < 15) continue;
            values.Min().ShouldBeLessThan(-bound / 4, p.Key);
            values.Max().ShouldBeGreaterThan(bound / 4, p.Key);
        }
        module.ToString().ShouldBe(c.GetProperty("repr").GetString());
    }

    [Test]
    public void Constructor_SameGenerator_DrawsTheParametersInRegistrationOrder()
    {
        // reset_parameters fills every parameter from one stream, in named_parameters order.
        var a = new LSTM(3, 4, 2, generator: new Generator(9));
        var g = new Generator(9);
        foreach (var (name, p) in a.NamedParameters())
        {
            var expected = Init.Uniform(Tensor.Zeros([.. p.Shape], DType.Float32), -0.5, 0.5, g);
            p.ToArray<float>().ShouldBe(expected.ToArray<float>(), name);
        }
    }

    private static IEnumerable<TestCaseData> StateFileCases() => Cases("state_files.json")
        .Select(c => new TestCaseData(c).SetArgDisplayNames(c.GetProperty("name").GetString()!));

    [TestCaseSource(nameof(StateFileCases))]
    public void Load_PyTorchStateDictFile_ReproducesPyTorchsOutputs(JsonElement c)
    {
        var dtype = ParseDType(c.GetProperty("dtype").GetString()!);
        string path = Path.Combine(Path.GetTempPath(), $"rnn-{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(path, Convert.FromBase64String(c.GetProperty("file_base64").GetString()!));
        try
        {
            var x = Get(c, "input");
            if (c.GetProperty("kind").GetString() == "lstm")
            {
                var lstm = new LSTM(3, 4, 2, bidirectional: true, dtype: dtype);
                lstm.Load(path);
                var (output, (h, cN)) = lstm.Forward(x);
                AssertClose(output, Get(c, "output"), 8, "output");
                AssertClose(h, Get(c, "h"), 8, "h");
                AssertClose(cN, Get(c, "c"), 8, "c");
            }
            else
            {
                var gru = new GRU(3, 4, batchFirst: true, dtype: dtype);
                gru.Load(path);
                var (output, h) = gru.Forward(x);
                AssertClose(output, Get(c, "output"), 8, "output");
                AssertClose(h, Get(c, "h"), 8, "h");
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>
    /// The layer op's hand-written backward against autograd through the same steps on the tape
    /// (the input projection, then each step's cell ops on its slice): the same values, and for
    /// RNN and LSTM the same gradients bit for bit, since it applies the same derivatives in the
    /// same order. A GRU's h_(t-1) gets three gradients (the output's, the direct one through
    /// (h - n) z, the one through W_hh): the op adds them in PyTorch's order (output first),
    /// this library's engine in its graph order (output last), so they may differ by a few
    /// units of roundoff there; with the output's added last (an experiment) the GRU matched
    /// bit for bit too.
    /// </summary>
    [TestCase("rnn_tanh", false, DType.Float32)]
    [TestCase("rnn_relu", true, DType.Float32)]
    [TestCase("lstm", false, DType.Float32)]
    [TestCase("lstm", true, DType.Float64)]
    [TestCase("gru", false, DType.Float32)]
    [TestCase("gru", true, DType.Float64)]
    public void LayerBackward_AgainstComposedSteps_IsBitwiseEqual(string mode, bool bidirectional, DType dtype)
        => AssertLayerMatchesComposedSteps(mode, bidirectional, dtype, length: 6, batch: 3, inputSize: 4, hidden: 5, bias: true);

    /// <summary>
    /// The LSTM's fused path splits the hidden units over threads once a step's product is large
    /// enough (<c>LstmSequence.Parts</c>): 2 parts at hidden 64 and batch 16, 2 or 3 parts at hidden 100
    /// (uneven: 33, 33, 34 units). Every thread count gives the composed ops' bits.
    /// </summary>
    [TestCase(64, 1, true, DType.Float32)]
    [TestCase(64, 2, true, DType.Float32)]
    [TestCase(64, 2, false, DType.Float32)]
    [TestCase(100, 3, true, DType.Float32)]
    [TestCase(100, 2, true, DType.Float64)]
    [TestCase(100, 3, false, DType.Float64)]
    public void LstmLayer_HiddenUnitsSplitOverThreads_IsBitwiseEqualToComposedSteps(int hidden, int threads, bool bias, DType dtype)
    {
        LstmSequence.Parts(16, hidden, threads).ShouldBe(Math.Min(threads, hidden == 64 ? 2 : 4));
        int before = Threading.NumThreads;
        Threading.NumThreads = threads;
        try
        {
            AssertLayerMatchesComposedSteps("lstm", bidirectional: true, dtype, length: 5, batch: 16, inputSize: 7, hidden, bias);
        }
        finally
        {
            Threading.NumThreads = before;
        }
    }

    private static void AssertLayerMatchesComposedSteps(string mode, bool bidirectional, DType dtype, int length, int batch, int inputSize, int hidden, bool bias)
    {
        var g = new Generator(3);
        int L = length, N = batch, I = inputSize, H = hidden;
        var x = Tensor.Randn([L, N, I], g, dtype);
        x.RequiresGrad = true;
        var gOut = Tensor.Randn([L, N, H * (bidirectional ? 2 : 1)], g, dtype);
        var gH = Tensor.Randn([bidirectional ? 2 : 1, N, H], g, dtype);
        RNNBase<Tensor?, Tensor>? simple = null;
        LSTM? lstm = null;
        Module module = mode switch
        {
            "lstm" => lstm = new LSTM(I, H, bias: bias, bidirectional: bidirectional, generator: g, dtype: dtype),
            "gru" => simple = new GRU(I, H, bias: bias, bidirectional: bidirectional, generator: g, dtype: dtype),
            _ => simple = new RNN(I, H, nonlinearity: mode[4..], bias: bias, bidirectional: bidirectional, generator: g, dtype: dtype),
        };
        Tensor output, h;
        Tensor? c = null;
        if (lstm is not null)
        {
            var r = lstm.Forward(x);
            (output, h, c) = (r.Output, r.Hidden.H, r.Hidden.C);
        }
        else (output, h) = simple!.Forward(x);
        var gC = Tensor.Randn([.. h.Shape], g, dtype);
        var loss = (output * gOut).Sum() + (h * gH).Sum() + (c is null ? Tensor.Scalar(0, dtype) : (c * gC).Sum());
        var fused = Tape.Grad(loss, [x, .. module.Parameters()]);

        // The same computation step by step on the tape.
        var dirOutputs = new List<Tensor>();
        var finals = new List<Tensor>();
        var cells = new List<Tensor>();
        for (int d = 0; d < (bidirectional ? 2 : 1); d++)
        {
            var (wIh, wHh, bIh, bHh) = lstm is not null ? lstm.LayerParameters(0, d == 1) : simple!.LayerParameters(0, d == 1);
            var gi = Autograd.Nn.Functional.Linear(x, wIh, bIh);
            var hPrev = Tensor.Zeros([N, H], dtype);
            var cPrev = Tensor.Zeros([N, H], dtype);
            var steps = new Tensor[L];
            for (int s = 0; s < L; s++)
            {
                int t = d == 1 ? L - 1 - s : s;
                var git = gi.Select(0, t);
                switch (mode)
                {
                    case "lstm":
                        var v = RecurrentSteps.Lstm(git, hPrev, cPrev, wHh, bHh);
                        (hPrev, cPrev) = (v.H, v.C);
                        break;
                    case "gru":
                        hPrev = RecurrentSteps.Gru(git, hPrev, wHh, bHh).H;
                        break;
                    default:
                        hPrev = RecurrentSteps.Simple(git, hPrev, wHh, bHh, mode == "rnn_relu");
                        break;
                }
                steps[t] = hPrev;
            }
            dirOutputs.Add(Tensor.Stack(steps));
            finals.Add(hPrev);
            cells.Add(cPrev);
        }
        var output2 = dirOutputs.Count == 1 ? dirOutputs[0] : Tensor.Concat(dirOutputs, 2);
        var loss2 = (output2 * gOut).Sum() + (Tensor.Stack(finals) * gH).Sum() + (c is null ? Tensor.Scalar(0, dtype) : (Tensor.Stack(cells) * gC).Sum());
        var composed = Tape.Grad(loss2, [x, .. module.Parameters()]);

        ModuleFixtures.AssertBitwiseEqual(output.Detach(), output2.Detach(), "output");
        for (int i = 0; i < fused.Length; i++)
        {
            string what = i == 0 ? "grad input" : module.NamedParameters().ElementAt(i - 1).Name;
            if (mode == "gru") AssertClose(fused[i], composed[i], 8, what);
            else ModuleFixtures.AssertBitwiseEqual(fused[i], composed[i], what);
        }
    }

    [Test]
    public void Forward_UnbatchedAndBatchFirst_EqualTheBatchedLayout()
    {
        var g = new Generator(4);
        var lstm = new LSTM(3, 4, 2, batchFirst: true, bidirectional: true, generator: g, dtype: DType.Float64);
        var x = Tensor.Randn([5, 3], g, DType.Float64);       // unbatched (L, input)
        var h0 = Tensor.Randn([4, 4], g, DType.Float64);
        var c0 = Tensor.Randn([4, 4], g, DType.Float64);
        var (out1, (h1, c1)) = lstm.Forward(x, (h0, c0));
        var (out2, (h2, c2)) = lstm.Forward(x.Unsqueeze(0), (h0.Unsqueeze(1), c0.Unsqueeze(1)));  // (N=1, L, input)
        out1.Shape.ShouldBe([5, 8]);
        h1.Shape.ShouldBe([4, 4]);
        ModuleFixtures.AssertBitwiseEqual(out1, out2.Squeeze(0), "output");
        ModuleFixtures.AssertBitwiseEqual(h1, h2.Squeeze(1), "h");
        ModuleFixtures.AssertBitwiseEqual(c1, c2.Squeeze(1), "c");
    }

    [Test]
    public void Forward_NoInitialState_EqualsZeros()
    {
        var g = new Generator(6);
        var gru = new GRU(3, 4, 2, generator: g);
        var x = Tensor.Randn([4, 2, 3], g);
        var (a, ha) = gru.Forward(x);
        var (b, hb) = gru.Forward(x, Tensor.Zeros(2, 2, 4));
        ModuleFixtures.AssertBitwiseEqual(a, b, "output");
        ModuleFixtures.AssertBitwiseEqual(ha, hb, "h");
        var cell = new LSTMCell(3, 4, generator: g);
        var (h1, c1) = cell.Forward(x.Select(0, 0));
        var (h2, c2) = cell.Forward(x.Select(0, 0), (Tensor.Zeros(2, 4), Tensor.Zeros(2, 4)));
        ModuleFixtures.AssertBitwiseEqual(h1, h2, "cell h");
        ModuleFixtures.AssertBitwiseEqual(c1, c2, "cell c");
    }

    [Test]
    public void Dropout_BetweenLayersInTrainingOnly()
    {
        var x = Tensor.Randn([6, 2, 3], new Generator(8));
        var plain = new LSTM(3, 4, 2, generator: new Generator(10));
        var dropped = new LSTM(3, 4, 2, dropout: 0.5, generator: new Generator(10));
        var (reference, _) = plain.Forward(x);
        var (train, _) = dropped.Forward(x);
        train.ToArray<float>().ShouldNotBe(reference.ToArray<float>());
        dropped.Eval();
        var (eval, _) = dropped.Forward(x);
        ModuleFixtures.AssertBitwiseEqual(eval, reference, "eval mode: no dropout");

        // One layer: nothing between layers, so dropout changes nothing (PyTorch warns).
        var one = new GRU(3, 4, dropout: 0.5, generator: new Generator(11));
        var oneRef = new GRU(3, 4, generator: new Generator(11));
        ModuleFixtures.AssertBitwiseEqual(one.Forward(x).Output, oneRef.Forward(x).Output, "one layer");
    }

    [Test]
    public void Dropout_TrainingGradient_IsTheMaskedGradient()
    {
        // With the dropout masks drawn from the same seed, the gradient is that of the fixed masked model.
        var x = Tensor.Randn([4, 2, 2], new Generator(13), DType.Float64);
        var result = GradCheck.Check(t => new RNN(2, 3, 2, dropout: 0.4, generator: new Generator(12), dtype: DType.Float64).Forward(t[0]).Output,
            [x], atol: 1e-7, rtol: 1e-6);
        result.Passed.ShouldBeTrue(result.ToString());
    }

    [Test]
    public void Constructor_ProjSize_IsRefusedClearly()
    {
        var e = Should.Throw<NotSupportedException>(() => new LSTM(3, 4, projSize: 2));
        e.Message.ShouldContain("proj_size=2");
    }

    [Test]
    public void Forward_CellsUnbatched_GiveTheBatchedRow()
    {
        var g = new Generator(15);
        var x = Tensor.Randn([3], g, DType.Float64);
        var h = Tensor.Randn([4], g, DType.Float64);
        var rnn = new RNNCell(3, 4, nonlinearity: "relu", generator: g, dtype: DType.Float64);
        ModuleFixtures.AssertBitwiseEqual(rnn.Forward(x, h), rnn.Forward(x.Unsqueeze(0), h.Unsqueeze(0)).Squeeze(0), "RNNCell");
        var gru = new GRUCell(3, 4, generator: g, dtype: DType.Float64);
        gru.Forward(x, h).Shape.ShouldBe([4]);
        ModuleFixtures.AssertBitwiseEqual(gru.Forward(x, h), gru.Forward(x.Unsqueeze(0), h.Unsqueeze(0)).Squeeze(0), "GRUCell");
        var lstm = new LSTMCell(3, 4, generator: g, dtype: DType.Float64);
        var (h1, c1) = lstm.Forward(x, (h, h));
        var (h2, c2) = lstm.Forward(x.Unsqueeze(0), (h.Unsqueeze(0), h.Unsqueeze(0)));
        ModuleFixtures.AssertBitwiseEqual(h1, h2.Squeeze(0), "LSTMCell h");
        ModuleFixtures.AssertBitwiseEqual(c1, c2.Squeeze(0), "LSTMCell c");
    }
}
