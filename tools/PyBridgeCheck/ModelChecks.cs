using Autograd;
using Autograd.Nn;
using TorchSharp;
using TorchSharp.PyBridge;
using TorchNn = TorchSharp.torch.nn;
using ScalarType = TorchSharp.torch.ScalarType;
using OurModule = Autograd.Nn.Module;
using TheirModule = TorchSharp.torch.nn.Module;
using TT = TorchSharp.torch.Tensor;

namespace PyBridgeCheck;

/// <summary>c: model files across: this library's Module.Save into TorchSharp's load_safetensors, and save_safetensors into Module.Load.</summary>
internal static class ModelChecks
{
    /// <summary>
    /// The most an output may differ from the other library's, in units of the dtype's roundoff u
    /// times the output's largest magnitude. The two libraries sum matrix products and
    /// convolutions in different orders (libtorch through oneDNN/MKL) and compute the LSTM's
    /// sigmoid and tanh with different polynomials, so outputs agree to rounding, not bit for bit.
    /// A key loaded into the wrong place, or a transposed weight, is off by the order of the
    /// values themselves: 10^6 u·scale and more in Float32.
    /// </summary>
    private const double OutputUlps = 16;

    /// <summary>One architecture, built in both libraries with the same state dict keys.</summary>
    private sealed record Case(
        string Name,
        string Description,
        DType DType,
        long[] InputShape,
        Func<Generator, OurModule> MakeOurs,
        Func<OurModule, Tensor, Tensor> ForwardOurs,
        Func<TheirModule> MakeTheirs,
        Func<TheirModule, TT, TT> ForwardTheirs,
        Func<TheirModule, TT, TT>? ModuleForwardTheirs = null);

    private static IEnumerable<Case> Cases()
    {
        static Tensor Seq(OurModule m, Tensor x) => m.Forward(x);
        static TT TorchSeq(TheirModule m, TT x) => ((TorchNn.Module<TT, TT>)m).forward(x);

        yield return new Case("mlp", "Sequential(Linear(4, 8), ReLU(), Linear(8, 3))", DType.Float32, [5, 4],
            g => new Sequential(new Linear(4, 8, generator: g), new ReLU(), new Linear(8, 3, generator: g)), Seq,
            () => TorchNn.Sequential(TorchNn.Linear(4, 8), TorchNn.ReLU(), TorchNn.Linear(8, 3)), TorchSeq);

        yield return new Case("mlp_batchnorm", "Sequential(Linear(3, 4), BatchNorm1d(4), ReLU(), Linear(4, 2))", DType.Float32, [6, 3],
            g => new Sequential(new Linear(3, 4, generator: g), new BatchNorm1d(4), new ReLU(), new Linear(4, 2, generator: g)), Seq,
            () => TorchNn.Sequential(TorchNn.Linear(3, 4), TorchNn.BatchNorm1d(4), TorchNn.ReLU(), TorchNn.Linear(4, 2)), TorchSeq);

        yield return new Case("mlp_batchnorm_f64", "Sequential(Linear(3, 4), BatchNorm1d(4), ReLU(), Linear(4, 2)), Float64", DType.Float64, [6, 3],
            g => new Sequential(new Linear(3, 4, generator: g, dtype: DType.Float64), new BatchNorm1d(4, dtype: DType.Float64), new ReLU(),
                new Linear(4, 2, generator: g, dtype: DType.Float64)), Seq,
            () => TorchNn.Sequential(TorchNn.Linear(3, 4), TorchNn.BatchNorm1d(4), TorchNn.ReLU(), TorchNn.Linear(4, 2)).to(ScalarType.Float64), TorchSeq);

        yield return new Case("conv_batchnorm2d", "Sequential(Conv2d(2, 3, 3), BatchNorm2d(3), ReLU(), Flatten(), Linear(48, 2))", DType.Float32, [2, 2, 6, 6],
            g => new Sequential(new Conv2d(2, 3, 3, generator: g), new BatchNorm2d(3), new ReLU(), new Flatten(), new Linear(48, 2, generator: g)), Seq,
            () => TorchNn.Sequential(TorchNn.Conv2d(2, 3, 3), TorchNn.BatchNorm2d(3), TorchNn.ReLU(), TorchNn.Flatten(), TorchNn.Linear(48, 2)), TorchSeq);

        // Under torch.no_grad() in eval mode, TorchSharp 0.107's LSTM module computes something else
        // than PyTorch's LSTM from the very parameters its state dict holds (see LstmByFormula), so
        // the outputs are compared with the formula evaluated by TorchSharp's own ops on the
        // TorchSharp module's parameters; DescribeModuleForward prints the module's own distance.
        yield return new Case("lstm", "LSTM(3, 5, numLayers: 2), output of the last layer", DType.Float32, [4, 2, 3],
            g => new LSTM(3, 5, numLayers: 2, generator: g), (m, x) => ((LSTM)m).Forward(x).Output,
            () => TorchNn.LSTM(3, 5, numLayers: 2), LstmByFormula,
            (m, x) => ((TorchSharp.Modules.LSTM)m).forward(x, null).Item1);
    }

    public static void Run(Report report, string dir, FixtureWriter fixture)
    {
        foreach (var c in Cases())
        {
            OursToTheirs(report, dir, c);
            TheirsToOurs(report, dir, c, fixture);
        }
    }

    /// <summary>Module.Save, then PyBridge's load_safetensors (strict) into a TorchSharp module of other initial values.</summary>
    private static void OursToTheirs(Report report, string dir, Case c)
    {
        string path = Path.Combine(dir, c.Name + "_ours.safetensors");
        double ulps = double.NaN;
        report.Run($"c. Module.Save -> PyBridge load_safetensors, {c.Name}", () =>
        {
            var gen = new Generator(1);
            var ours = c.MakeOurs(gen);
            WarmUp(ours, c, gen);
            ours.Eval();
            ours.Save(path);
            TensorFileChecks.DescribeHeader($"Module.Save's file ({c.Name})", File.ReadAllBytes(path));

            torch.manual_seed(2);
            var theirs = c.MakeTheirs();
            theirs.load_safetensors(path, strict: true);
            theirs.eval();

            var problems = TensorFileChecks.CompareInTorch(ours.StateDict(), theirs.state_dict());
            var x = Tensor.Randn(ToInts(c.InputShape), gen, c.DType);
            ulps = CompareOutputs(c.ForwardOurs(ours, x), Forward(c, theirs, ToTorch(x)), problems);
            DescribeModuleForward(c, theirs, ToTorch(x));
            return problems;
        }, () => $"{c.Description}; state dict bit for bit, outputs within {ulps:F2} u·scale");
    }

    /// <summary>PyBridge's save_safetensors, then Module.Load (strict) into a module of this library with other initial values.</summary>
    private static void TheirsToOurs(Report report, string dir, Case c, FixtureWriter fixture)
    {
        string path = Path.Combine(dir, c.Name + "_theirs.safetensors");
        double ulps = double.NaN;
        report.Run($"c. PyBridge save_safetensors -> Module.Load, {c.Name}", () =>
        {
            torch.manual_seed(3);
            var theirs = c.MakeTheirs();
            theirs.train();
            using (torch.no_grad())
            {
                Forward(c, theirs, torch.randn(c.InputShape, dtype: ToTorch(c.DType)));
                Forward(c, theirs, torch.randn(c.InputShape, dtype: ToTorch(c.DType)) * 2 + 1);
            }

            theirs.eval();
            theirs.save_safetensors(path);
            byte[] file = File.ReadAllBytes(path);
            TensorFileChecks.DescribeHeader($"save_safetensors' file ({c.Name})", file);

            var ours = c.MakeOurs(new Generator(4));
            var keys = ours.Load(path, strict: true);
            ours.Eval();
            var problems = new List<string>();
            if (keys.MissingKeys.Count > 0 || keys.UnexpectedKeys.Count > 0)
            {
                problems.Add($"incompatible keys after a strict load: {keys}");
            }

            var theirState = theirs.state_dict();
            problems.AddRange(TensorFileChecks.CompareInTorch(ours.StateDict(), theirState));
            var x = torch.randn(c.InputShape, dtype: ToTorch(c.DType));
            var theirOutput = Forward(c, theirs, x);
            var ourOutput = c.ForwardOurs(ours, FromTorch(x));
            ulps = CompareOutputs(ourOutput, theirOutput, problems);
            DescribeModuleForward(c, theirs, x);

            if (c.Name == "mlp_batchnorm")
            {
                fixture.AddModelFile("pybridge_" + c.Name, c.Description, file,
                    theirState.Select(kv => ExpectedOf(kv.Key, kv.Value)).ToList(), ExpectedOf("input", x), ExpectedOf("output", theirOutput), ulps);
            }

            return problems;
        }, () => $"{c.Description}; state dict bit for bit, outputs within {ulps:F2} u·scale");
    }

    /// <summary>
    /// PyTorch's LSTM (gates i, f, g, o stacked in that order in each weight; zero initial state),
    /// evaluated with TorchSharp's ops on the parameters of TorchSharp module <paramref name="m"/>:
    /// c = σ(f)·c + σ(i)·tanh(g), h = σ(o)·tanh(c), each layer's h the next layer's input.
    /// Measured: TorchSharp 0.107's own LSTM forward, in eval mode under torch.no_grad(), differs
    /// from this by about 10^6 u·scale on the same parameters (0.0136 against 0.0451 for the first
    /// output of a one-layer LSTM); with grad enabled, or in train mode, it agrees to 3 u·scale, and
    /// PyTorch 1.13's torch.nn.LSTM, loaded with the same file, agrees with this formula.
    /// </summary>
    private static TT LstmByFormula(TheirModule m, TT x)
    {
        var p = m.named_parameters().ToDictionary(kv => kv.name, kv => kv.parameter);
        int layers = p.Keys.Count(k => k.StartsWith("weight_ih_l", StringComparison.Ordinal));
        var input = x;
        for (int l = 0; l < layers; l++)
        {
            TT wIh = p[$"weight_ih_l{l}"], wHh = p[$"weight_hh_l{l}"], bIh = p[$"bias_ih_l{l}"], bHh = p[$"bias_hh_l{l}"];
            var h = torch.zeros([x.shape[1], wHh.shape[1]], dtype: x.dtype);
            var c = torch.zeros([x.shape[1], wHh.shape[1]], dtype: x.dtype);
            var outputs = new List<TT>();
            for (long t = 0; t < x.shape[0]; t++)
            {
                var gates = input[t].matmul(wIh.t()) + bIh + h.matmul(wHh.t()) + bHh;
                var chunks = gates.chunk(4, 1);
                c = chunks[1].sigmoid() * c + chunks[0].sigmoid() * chunks[2].tanh();
                h = chunks[3].sigmoid() * c.tanh();
                outputs.Add(h);
            }

            input = torch.stack(outputs, 0);
        }

        return input;
    }

    /// <summary>Prints how far TorchSharp's module forward is from the formula the outputs were compared with, where they differ.</summary>
    private static void DescribeModuleForward(Case c, TheirModule theirs, TT x)
    {
        if (c.ModuleForwardTheirs is null)
        {
            return;
        }

        var formula = FromTorch(Forward(c, theirs, x));
        var problems = new List<string>();
        double noGrad = CompareOutputs(formula, WithNoGrad(() => c.ModuleForwardTheirs(theirs, x)), problems);
        double withGrad = CompareOutputs(formula, c.ModuleForwardTheirs(theirs, x).detach(), problems);
        theirs.train();
        double training = CompareOutputs(formula, c.ModuleForwardTheirs(theirs, x).detach(), problems);
        theirs.eval();
        Console.WriteLine($"# {c.Name}: TorchSharp's own module forward differs from the formula on its parameters by {noGrad:G4} u·scale " +
                          $"(eval, no_grad), {withGrad:G4} (eval, grad enabled), {training:G4} (train mode); not a file problem: the state dicts are equal bit for bit");
    }

    private static TT WithNoGrad(Func<TT> f)
    {
        using (torch.no_grad())
        {
            return f();
        }
    }

    /// <summary>Two forwards in training mode, so that batch norm's running statistics and count are not their initial values.</summary>
    private static void WarmUp(OurModule ours, Case c, Generator gen)
    {
        ours.Train();
        using (Tape.NoGrad())
        {
            c.ForwardOurs(ours, Tensor.Randn(ToInts(c.InputShape), gen, c.DType));
            c.ForwardOurs(ours, Tensor.Randn(ToInts(c.InputShape), gen, c.DType) * 2 + 1);
        }
    }

    private static TT Forward(Case c, TheirModule theirs, TT x)
    {
        using (torch.no_grad())
        {
            return c.ForwardTheirs(theirs, x);
        }
    }

    /// <summary>The largest difference of <paramref name="ours"/> from <paramref name="theirs"/> in u·scale; a problem when past <see cref="OutputUlps"/>.</summary>
    private static double CompareOutputs(Tensor ours, TT theirs, List<string> problems)
    {
        if (!ours.Shape.Select(d => (long)d).SequenceEqual(theirs.shape))
        {
            problems.Add($"output shape {Bits.Shape(ours.Shape.Select(d => (long)d))}, TorchSharp's {Bits.Shape(theirs.shape)}");
            return double.NaN;
        }

        double[] a = ours.ToArray<double>();
        double[] e = theirs.to(ScalarType.Float64).data<double>().ToArray();
        double u = ours.DType == DType.Float32 ? Math.Pow(2, -24) : Math.Pow(2, -53);
        double scale = e.Max(Math.Abs);
        double worst = 0;
        for (int i = 0; i < e.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(a[i] - e[i]) / (u * scale));
        }

        if (!(worst <= OutputUlps))
        {
            problems.Add($"outputs differ by {worst:G4} u·scale (allowed {OutputUlps}); largest |output| {scale:G4}");
        }

        return worst;
    }

    private static Expected ExpectedOf(string name, TT t) => t.dtype switch
    {
        ScalarType.Float32 => new Expected(name, "F32", t.shape, Float32Bits: Bits.SingleBits(Bits.Of(t))),
        ScalarType.Float64 => new Expected(name, "F64", t.shape, Float64Bits: Bits.DoubleBits(Bits.Of(t))),
        ScalarType.Int64 => new Expected(name, "I64", t.shape, Int64Values: Bits.Int64s(Bits.Of(t))),
        _ => throw new NotSupportedException($"{name}: {t.dtype}"),
    };

    private static int[] ToInts(long[] shape) => Array.ConvertAll(shape, d => (int)d);

    private static ScalarType ToTorch(DType dtype) => dtype == DType.Float64 ? ScalarType.Float64 : ScalarType.Float32;

    private static TT ToTorch(Tensor t) =>
        Bits.TorchFromBytes(t.DType == DType.Float64 ? ScalarType.Float64 : ScalarType.Float32, t.Shape.Select(d => (long)d).ToArray(), Bits.Of(t));

    private static Tensor FromTorch(TT t)
    {
        int[] shape = ToInts(t.shape);
        return t.dtype == ScalarType.Float64
            ? Tensor.FromArray(t.data<double>().ToArray(), shape)
            : Tensor.FromArray(t.data<float>().ToArray(), shape);
    }
}
