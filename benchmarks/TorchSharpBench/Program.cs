// The project's copy of ../shared/bench/TorchSharpBench/Program.cs, with the LSTM and LeNet steps of
// issues 14 and 15 and a longer pause between the sides; tools/bench_torchsharp.sh runs it through
// ../shared/bench/torchsharp.sh (which builds it and lets libtorch load on this Debian).
//
// Timing of the project beside TorchSharp (libtorch) in ONE process: the same workloads,
// same shapes, float32, same inputs and the same initial weights, both libraries on the same
// number of threads. Each round times the project's step, then TorchSharp's (ours, theirs, ours,
// theirs, ...); a side's number is the median over rounds of its mean step time.
//
// Output: '# ' lines are information (ISA, versions, settings, correctness checks, spread over
// rounds, CPU taken by other processes); then one line per workload,
// `name ours_us torchsharp_us ratio` (ratio = torchsharp_us / ours_us: above 1 means ours is
// faster), and `geomean ratio X over N workloads`. Exit code 2 if a check disagreed.
//
// Usage: dotnet PerfTorchSharp.dll [--quick] [--rounds N] [--sample-ms MS] [--warm-s S]
//                                  [--threads N] [--only name[,name...]] [--ours-no-dispose]
//
// How each library is used, as its documentation recommends for a training loop:
// - TorchSharp: every step runs inside `using (torch.NewDisposeScope())`, which frees every
//   tensor the step made (TorchSharp's memory-management guidance); data, parameters and
//   optimizer state live outside the scope.
// - Autograd: no Dispose in the training steps (docs/getting-started.md's loop has none; the
//   library's Sequential releases the activations between its layers itself). The no-grad loops
//   that make a large result per call (matmul, sigmoid) dispose it, as docs/autograd.md
//   "Releasing memory early" recommends for exactly such a loop (`using var y = x.Sigmoid()`);
//   --ours-no-dispose times them leaving the results to the GC instead (what most user code does).
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Autograd;
using Autograd.Nn;
using Autograd.Optim;
using TorchSharp;
using TT = TorchSharp.torch.Tensor;
using TModule = TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor>;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

Settings settings;
try
{
    settings = Settings.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine(e.Message);
    return 64;
}
var ic = CultureInfo.InvariantCulture;

// ---------------------------------------------------------------- environment
Console.WriteLine($"# isa: Vector512.IsHardwareAccelerated={Vector512.IsHardwareAccelerated} Avx512F={Avx512F.IsSupported} " +
                  $"Avx2={Avx2.IsSupported} Fma={Fma.IsSupported} Vector<float>.Count={System.Numerics.Vector<float>.Count}");
Console.WriteLine($"# runtime: .NET {Environment.Version}, {RuntimeInformation.OSDescription}, {RuntimeInformation.OSArchitecture}, " +
                  $"{Environment.ProcessorCount} logical CPUs, server GC {System.Runtime.GCSettings.IsServerGC}");
string torchSharpVersion = typeof(torch).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false).OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion?.Split('+')[0]
                           ?? typeof(torch).Assembly.GetName().Version?.ToString() ?? "?";
string libtorchVersion;
try
{
    libtorchVersion = torch.__version__;
}
catch (TypeInitializationException e)
{
    Console.Error.WriteLine("TorchSharp's native library did not load. On a system whose libstdc++ is older than GCC 13's " +
                            "(GLIBCXX_3.4.32), run this program through torchsharp.sh, which prepares the build output for it.");
    Console.Error.WriteLine(e.InnerException?.Message.Split('\n')[0]);
    return 1;
}
torch.set_num_threads(settings.Threads);
Autograd.Threading.NumThreads = settings.Threads;
torch.manual_seed(7);
Console.WriteLine($"# torchsharp {torchSharpVersion}, libtorch {libtorchVersion} (torch.__version__), ATEN_CPU_CAPABILITY={Environment.GetEnvironmentVariable("ATEN_CPU_CAPABILITY") ?? "(unset: libtorch picks the best the CPU has)"}");
Console.WriteLine($"# threads: torch.get_num_threads()={torch.get_num_threads()} (interop {torch.get_num_interop_threads()}), Autograd.Threading.NumThreads={Autograd.Threading.NumThreads}");
Console.WriteLine($"# settings: rounds={settings.Rounds} sample_ms={settings.SampleMs} warm_s={settings.WarmSeconds} ours_dispose_results={!settings.OursNoDispose}{(settings.Quick ? " (quick: numbers are rough)" : "")}");

// ---------------------------------------------------------------- data, the same for both
var rng = new Random(7);
float[] RandnData(int n)
{
    var d = new float[n];
    for (int i = 0; i < n; i++) d[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
    return d;
}
long[] LabelData(int n, int classes) => Enumerable.Range(0, n).Select(_ => (long)rng.Next(classes)).ToArray();
float[] BinaryData(int n) => Enumerable.Range(0, n).Select(_ => rng.NextDouble() > 0.5 ? 1f : 0f).ToArray();
(Tensor Ours, TT Theirs) Both(float[] data, params int[] shape) =>
    (Tensor.FromArray(data, shape), torch.tensor(data, shape.Select(s => (long)s).ToArray()));
(Tensor Ours, TT Theirs) BothLabels(long[] data) => (Tensor.FromArray(data, data.Length), torch.tensor(data, new long[] { data.Length }));

// The pause after each side's sample: long enough for each library's idle worker threads to stop
// spinning (ours spin 1 ms after a kernel; libtorch's OpenMP workers far longer) before the other
// runs. With 5 ms the softmax step measured 3.44x; with 60 ms 3.47-4.00x; with 300 ms 3.77x in a
// run where 60 ms gave 3.47x (docs/performance.md).
const int SpinSettleMs = 300;

var results = new List<(string Name, double Ours, double Theirs)>();
var runStart = CpuNoise.Now();
int disagreements = 0;

bool Selected(string name) => settings.Only is null || settings.Only.Contains(name);

// A training workload: one step is zero_grad, forward, loss, backward, step on each side.
// The two models start from the same weights (ours are copied into TorchSharp's by name), so the
// loss of the first step and of the second (after one update) must agree.
void Train(string name, Module ours, Func<Tensor, Tensor> oursLoss, Func<Module, Optimizer> oursOpt, Tensor x,
           TModule theirs, Func<TT, TT> theirsLoss, Func<TModule, torch.optim.Optimizer> theirsOpt, TT tx)
{
    if (!Selected(name)) return;
    CopyWeights(ours, theirs);
    var opt = oursOpt(ours);
    var topt = theirsOpt(theirs);
    double OursStep(bool read)
    {
        opt.ZeroGrad();
        var loss = oursLoss(ours.Forward(x));
        double value = read ? loss.Item() : 0;
        loss.Backward();
        opt.Step();
        return value;
    }
    double TheirsStep(bool read)
    {
        using var scope = torch.NewDisposeScope();
        topt.zero_grad();
        var loss = theirsLoss(theirs.forward(tx));
        double value = read ? loss.item<float>() : 0;
        loss.backward();
        topt.step();
        return value;
    }
    double o1 = OursStep(true), t1 = TheirsStep(true), o2 = OursStep(true), t2 = TheirsStep(true);
    double r1 = Rel(o1, t1), r2 = Rel(o2, t2);
    bool agree = r1 <= 1e-4 && r2 <= 1e-4;
    if (!agree) disagreements++;
    Console.WriteLine($"# check {name}: {(agree ? "agree" : "DISAGREE")}: loss of step 1 ours {o1:G7} torchsharp {t1:G7} (rel {r1:0.0e+0}), " +
                      $"of step 2 ours {o2:G7} torchsharp {t2:G7} (rel {r2:0.0e+0})");
    Time(name, () => OursStep(false), () => TheirsStep(false));
}

// A no-grad workload: compares the two results once, then times one call per step.
void Plain(string name, Func<Tensor> ours, Func<TT> theirs, double tolerance)
{
    if (!Selected(name)) return;
    var a = ours();
    float[] theirsValues;
    using (torch.NewDisposeScope()) theirsValues = theirs().data<float>().ToArray();
    float[] oursValues = a.ToArray<float>();
    double maxDiff = 0, maxAbs = 0;
    for (int i = 0; i < oursValues.Length; i++)
    {
        maxDiff = Math.Max(maxDiff, Math.Abs((double)oursValues[i] - theirsValues[i]));
        maxAbs = Math.Max(maxAbs, Math.Abs((double)theirsValues[i]));
    }
    bool agree = oursValues.Length == theirsValues.Length && maxDiff <= tolerance * Math.Max(1, maxAbs);
    if (!agree) disagreements++;
    Console.WriteLine($"# check {name}: {(agree ? "agree" : "DISAGREE")}: max |ours - torchsharp| {maxDiff:0.0e+0} (largest |value| {maxAbs:G4})");
    Action oursStep = settings.OursNoDispose ? () => ours() : () => { using var r = ours(); };
    Time(name, oursStep, () => { using (torch.NewDisposeScope()) theirs(); });
}

void Time(string name, Action ours, Action theirs)
{
    GC.Collect();
    GC.WaitForPendingFinalizers();
    var noiseStart = CpuNoise.Now();
    int oursInner = Warm(ours), theirsInner = Warm(theirs);
    var o = new List<double>();
    var t = new List<double>();
    for (int r = 0; r < settings.Rounds; r++)
    {
        o.Add(Sample(ours, oursInner));
        Thread.Sleep(SpinSettleMs);
        t.Add(Sample(theirs, theirsInner));
        Thread.Sleep(SpinSettleMs);
    }
    double om = Median(o), tm = Median(t);
    results.Add((name, om, tm));
    Console.WriteLine(string.Create(ic, $"# spread {name}: ours {o.Min():F1}-{o.Max():F1} us, torchsharp {t.Min():F1}-{t.Max():F1} us " +
                                        $"(min-max over {settings.Rounds} rounds of {oursInner} and {theirsInner} steps)"));
    if (CpuNoise.Share(noiseStart) is double noise && noise > 0.05)
        Console.WriteLine($"# noise {name}: other processes used {noise:P0} of the CPUs while it ran");
    Console.WriteLine(string.Create(ic, $"{name} {om:F1} {tm:F1} {tm / om:F2}"));
}

// Warms up by count and by time (.NET's tiered JIT recompiles hot methods in the background some
// 100 ms after they get hot, for both libraries' managed code), then picks the steps per sample.
int Warm(Action step)
{
    var clock = Stopwatch.StartNew();
    int n = 0;
    while (n < 3 || clock.Elapsed.TotalSeconds < settings.WarmSeconds) { step(); n++; }
    var sw = Stopwatch.StartNew();
    int m = 0;
    while (m < 2 || sw.Elapsed.TotalMilliseconds < settings.SampleMs / 2) { step(); m++; }
    double perStepMs = sw.Elapsed.TotalMilliseconds / m;
    return (int)Math.Clamp(Math.Round(settings.SampleMs / perStepMs), 1, 1_000_000);
}

static double Sample(Action step, int inner)
{
    var sw = Stopwatch.StartNew();
    for (int i = 0; i < inner; i++) step();
    return sw.Elapsed.TotalMicroseconds / inner;
}

static double Median(List<double> v)
{
    var s = v.OrderBy(x => x).ToList();
    return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
}

static double Rel(double a, double b) => a == b ? 0 : Math.Abs(a - b) / Math.Max(Math.Abs(a), Math.Abs(b));

// Copies every parameter of ours into TorchSharp's parameter of the same name (PyTorch's dotted names on both sides).
static void CopyWeights(Module ours, TModule theirs)
{
    var target = theirs.named_parameters().ToDictionary(p => p.name, p => p.parameter);
    var names = ours.NamedParameters().Select(p => p.Name).ToList();
    if (!names.OrderBy(n => n).SequenceEqual(target.Keys.OrderBy(n => n)))
        throw new InvalidOperationException($"parameter names differ: ours [{string.Join(", ", names)}], torchsharp [{string.Join(", ", target.Keys)}]");
    foreach (var (name, p) in ours.NamedParameters())
    {
        var tp = target[name];
        if (!p.Shape.Select(d => (long)d).SequenceEqual(tp.shape))
            throw new InvalidOperationException($"{name}: shape [{string.Join(", ", p.Shape)}] vs [{string.Join(", ", tp.shape)}]");
        using var src = torch.tensor(p.ToArray<float>(), tp.shape);
        using (torch.no_grad()) tp.copy_(src);
    }
}

// ---------------------------------------------------------------- the workloads
{
    var (x, tx) = Both(RandnData(569 * 30), 569, 30);
    var (y, ty) = Both(BinaryData(569), 569, 1);
    var f = new BCEWithLogitsLoss();
    var tf = torch.nn.BCEWithLogitsLoss();
    Train("logreg_569x30",
          new Linear(30, 1, generator: new Generator(1)), o => f.Forward(o, y), m => new SGD(m.Parameters(), lr: 0.1), x,
          torch.nn.Linear(30, 1), o => tf.forward(o, ty), m => torch.optim.SGD(m.parameters(), 0.1), tx);
}
{
    var (x, tx) = Both(RandnData(1797 * 64), 1797, 64);
    var (y, ty) = BothLabels(LabelData(1797, 10));
    var f = new CrossEntropyLoss();
    var tf = torch.nn.CrossEntropyLoss();
    Train("softmax_1797x64x10",
          new Linear(64, 10, generator: new Generator(2)), o => f.Forward(o, y), m => new SGD(m.Parameters(), lr: 0.1), x,
          torch.nn.Linear(64, 10), o => tf.forward(o, ty), m => torch.optim.SGD(m.parameters(), 0.1), tx);
}
{
    var (x, tx) = Both(RandnData(1024 * 784), 1024, 784);
    var (y, ty) = BothLabels(LabelData(1024, 10));
    var g = new Generator(3);
    var f = new CrossEntropyLoss();
    var tf = torch.nn.CrossEntropyLoss();
    Train("mlp_1024x784_512_512_10",
          new Sequential(new Linear(784, 512, generator: g), new ReLU(), new Linear(512, 512, generator: g), new ReLU(), new Linear(512, 10, generator: g)),
          o => f.Forward(o, y), m => new Adam(m.Parameters(), lr: 1e-3), x,
          torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Linear(512, 512), torch.nn.ReLU(), torch.nn.Linear(512, 10)),
          o => tf.forward(o, ty), m => torch.optim.Adam(m.parameters(), lr: 1e-3), tx);
}
foreach (int n in new[] { 1024, 256 })
{
    var (a, ta) = Both(RandnData(n * n), n, n);
    var (b, tb) = Both(RandnData(n * n), n, n);
    Plain($"matmul_{n}", () => a.MatMul(b), () => ta.matmul(tb), 1e-5);
}
{
    var (a, ta) = Both(RandnData(1 << 20), 1 << 20);
    Plain("sigmoid_1m", () => a.Sigmoid(), () => torch.sigmoid(ta), 1e-6);
}
{
    var (x, tx) = Both(RandnData(64), 1, 64);
    var (y, ty) = BothLabels(LabelData(1, 10));
    var g = new Generator(4);
    var f = new CrossEntropyLoss();
    var tf = torch.nn.CrossEntropyLoss();
    Train("tiny_mlp_b1",
          new Sequential(new Linear(64, 32, generator: g), new Tanh(), new Linear(32, 10, generator: g)),
          o => f.Forward(o, y), m => new SGD(m.Parameters(), lr: 0.1), x,
          torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.Tanh(), torch.nn.Linear(32, 10)),
          o => tf.forward(o, ty), m => torch.optim.SGD(m.parameters(), 0.1), tx);
}
{
    const int T = 32, N = 16, I = 16, H = 64, C = 10;
    var (x, tx) = Both(RandnData(T * N * I), T, N, I);
    var (y, ty) = BothLabels(LabelData(N, C));
    var f = new CrossEntropyLoss();
    var tf = torch.nn.CrossEntropyLoss();
    Train("rnn_bptt",
          new ElmanRnn(I, H, C, new Generator(5)), o => f.Forward(o, y), m => new SGD(m.Parameters(), lr: 0.1), x,
          new TorchElmanRnn(I, H, C), o => tf.forward(o, ty), m => torch.optim.SGD(m.parameters(), 0.1), tx);
}

{
    // The LSTM step of issue 14 (as tools/bench_torch.py lstm): LSTM(32, 128) over (50, 16, 32),
    // Linear(128, 10) on the last output, cross-entropy, SGD(lr 0.1).
    var (x, tx) = Both(RandnData(50 * 16 * 32), 50, 16, 32);
    var (y, ty) = BothLabels(LabelData(16, 10));
    var f = new CrossEntropyLoss();
    var tf = torch.nn.CrossEntropyLoss();
    Train("lstm_bptt",
          new LstmClassifier(32, 128, 10, new Generator(6)), o => f.Forward(o, y), m => new SGD(m.Parameters(), lr: 0.1), x,
          new TorchLstmClassifier(32, 128, 10), o => tf.forward(o, ty), m => torch.optim.SGD(m.parameters(), 0.1), tx);
}
{
    // The LeNet-style step of issue 15 (as tools/bench_torch.py lenet): batch 64 of 1x28x28,
    // cross-entropy, SGD(lr 0.01, momentum 0.9).
    var (x, tx) = Both(RandnData(64 * 28 * 28), 64, 1, 28, 28);
    var (y, ty) = BothLabels(LabelData(64, 10));
    var g = new Generator(7);
    var f = new CrossEntropyLoss();
    var tf = torch.nn.CrossEntropyLoss();
    Train("lenet",
          new Sequential(
              new Conv2d(1, 6, 5, generator: g), new ReLU(), new MaxPool2d(2),
              new Conv2d(6, 16, 5, generator: g), new ReLU(), new MaxPool2d(2),
              new Flatten(),
              new Linear(256, 120, generator: g), new ReLU(),
              new Linear(120, 84, generator: g), new ReLU(),
              new Linear(84, 10, generator: g)),
          o => f.Forward(o, y), m => new SGD(m.Parameters(), lr: 0.01, momentum: 0.9), x,
          torch.nn.Sequential(
              torch.nn.Conv2d(1, 6, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
              torch.nn.Conv2d(6, 16, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
              torch.nn.Flatten(),
              torch.nn.Linear(256, 120), torch.nn.ReLU(),
              torch.nn.Linear(120, 84), torch.nn.ReLU(),
              torch.nn.Linear(84, 10)),
          o => tf.forward(o, ty), m => torch.optim.SGD(m.parameters(), 0.01, momentum: 0.9), tx);
}

// ---------------------------------------------------------------- summary
if (CpuNoise.Share(runStart) is double runNoise)
    Console.WriteLine($"# other processes used {runNoise:P0} of the {Environment.ProcessorCount} CPUs during the timings{(runNoise > 0.05 ? ": the machine was busy, timings are not comparable (TorchSharp's 2-thread times were seen to inflate 10-100x on a busy machine, ours far less)" : "")}");
if (results.Count > 0)
{
    double geomean = Math.Exp(results.Average(r => Math.Log(r.Theirs / r.Ours)));
    Console.WriteLine(string.Create(ic, $"geomean ratio {geomean:F2} over {results.Count} workloads"));
}
if (disagreements > 0)
{
    Console.WriteLine($"# {disagreements} workload(s) disagreed: their timings compare different work");
    return 2;
}
return 0;

/// <summary>Command-line settings; --quick is for showing that it runs, not for numbers.</summary>
sealed record Settings(int Rounds, double SampleMs, double WarmSeconds, int Threads, HashSet<string>? Only, bool OursNoDispose, bool Quick)
{
    public static Settings Parse(string[] args)
    {
        var s = new Settings(21, 100, 1.5, 2, null, false, false);
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            s = args[i] switch
            {
                "--quick" => s with { Rounds = 5, SampleMs = 20, WarmSeconds = 0.3, Quick = true },
                "--rounds" => s with { Rounds = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--sample-ms" => s with { SampleMs = double.Parse(Next(), CultureInfo.InvariantCulture) },
                "--warm-s" => s with { WarmSeconds = double.Parse(Next(), CultureInfo.InvariantCulture) },
                "--threads" => s with { Threads = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--only" => s with { Only = Next().Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet() },
                "--ours-no-dispose" => s with { OursNoDispose = true },
                _ => throw new ArgumentException($"unknown argument {args[i]}; see the top of Program.cs"),
            };
        }
        return s;
    }
}

/// <summary>
/// Elman RNN written by hand with the library's ops, as its samples/Bptt does:
/// h = tanh(x_t W_ihᵀ + h W_hhᵀ + b) over all steps, then a Linear head on the last state.
/// </summary>
sealed class ElmanRnn : Module
{
    private readonly Tensor _weightIh, _weightHh, _bias;
    private readonly Linear _head;

    public ElmanRnn(int input, int hidden, int classes, Generator g)
    {
        double bound = 1 / Math.Sqrt(hidden);   // U(-1/sqrt(hidden), 1/sqrt(hidden)), as PyTorch's nn.RNN
        _weightIh = RegisterParameter("weight_ih", Init.Uniform(Tensor.Zeros(hidden, input), -bound, bound, g));
        _weightHh = RegisterParameter("weight_hh", Init.Uniform(Tensor.Zeros(hidden, hidden), -bound, bound, g));
        _bias = RegisterParameter("bias", Init.Uniform(Tensor.Zeros(hidden), -bound, bound, g));
        _head = RegisterModule("head", new Linear(hidden, classes, generator: g));
    }

    /// <param name="x">(T, N, input)</param>
    /// <returns>The logits (N, classes) from the last hidden state.</returns>
    public override Tensor Forward(Tensor x)
    {
        var h = Tensor.Zeros(x.Shape[1], _weightHh.Shape[0]);
        for (int t = 0; t < x.Shape[0]; t++)
            h = (Functional.Linear(x.Select(0, t), _weightIh) + Functional.Linear(h, _weightHh, _bias)).Tanh();
        return _head.Forward(h);
    }
}

/// <summary>The library's LSTM and a Linear head on the last time step's output.</summary>
sealed class LstmClassifier : Module
{
    private readonly LSTM _lstm;
    private readonly Linear _head;

    public LstmClassifier(int input, int hidden, int classes, Generator g)
    {
        _lstm = RegisterModule("lstm", new LSTM(input, hidden, generator: g));
        _head = RegisterModule("head", new Linear(hidden, classes, generator: g));
    }

    public override Tensor Forward(Tensor x)
    {
        var (output, _) = _lstm.Forward(x);
        return _head.Forward(output.Select(0, x.Shape[0] - 1));
    }
}

/// <summary>TorchSharp's LSTM and Linear, the same parameter names.</summary>
sealed class TorchLstmClassifier : torch.nn.Module<TT, TT>
{
    private readonly TorchSharp.Modules.LSTM lstm;
    private readonly TorchSharp.Modules.Linear head;

    public TorchLstmClassifier(int input, int hidden, int classes) : base(nameof(TorchLstmClassifier))
    {
        lstm = torch.nn.LSTM(input, hidden);
        head = torch.nn.Linear(hidden, classes);
        RegisterComponents();
    }

    public override TT forward(TT x)
    {
        var (output, _, _) = lstm.forward(x);
        return head.forward(output.select(0, x.shape[0] - 1));
    }
}

/// <summary>The same RNN with TorchSharp's ops, the same parameter names.</summary>
sealed class TorchElmanRnn : torch.nn.Module<TT, TT>
{
    private readonly TorchSharp.Modules.Parameter weight_ih, weight_hh, bias;
    private readonly TorchSharp.Modules.Linear head;

    public TorchElmanRnn(int input, int hidden, int classes) : base(nameof(TorchElmanRnn))
    {
        weight_ih = new TorchSharp.Modules.Parameter(torch.zeros(hidden, input), true);
        weight_hh = new TorchSharp.Modules.Parameter(torch.zeros(hidden, hidden), true);
        bias = new TorchSharp.Modules.Parameter(torch.zeros(hidden), true);
        head = torch.nn.Linear(hidden, classes);
        RegisterComponents();
    }

    public override TT forward(TT x)
    {
        var h = torch.zeros(x.shape[1], weight_hh.shape[0]);
        for (long t = 0; t < x.shape[0]; t++)
            h = (torch.nn.functional.linear(x.select(0, t), weight_ih) + torch.nn.functional.linear(h, weight_hh, bias)).tanh();
        return head.forward(h);
    }
}

/// <summary>
/// How much CPU other processes took: the machine's busy time from /proc/stat (steal included)
/// less this process's own CPU time, as a share of all CPUs over the wall time. Null off Linux.
/// </summary>
static class CpuNoise
{
    public readonly record struct Snapshot(long BusyTicks, TimeSpan Own, long Clock);

    public static Snapshot? Now()
    {
        try
        {
            var f = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            // cpu user nice system idle iowait irq softirq steal ...
            long busy = new[] { 1, 2, 3, 6, 7, 8 }.Sum(i => long.Parse(f[i], CultureInfo.InvariantCulture));
            using var me = Process.GetCurrentProcess();
            return new Snapshot(busy, me.TotalProcessorTime, Stopwatch.GetTimestamp());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    public static double? Share(Snapshot? start)
    {
        if (start is not Snapshot a || Now() is not Snapshot b) return null;
        double wall = Stopwatch.GetElapsedTime(a.Clock, b.Clock).TotalSeconds;
        double others = (b.BusyTicks - a.BusyTicks) / 100.0 - (b.Own - a.Own).TotalSeconds;   // USER_HZ = 100
        return wall > 0 ? Math.Max(0, others) / (wall * Environment.ProcessorCount) : null;
    }
}
