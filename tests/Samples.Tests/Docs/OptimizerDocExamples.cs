using Autograd;
using Autograd.Nn;
using Autograd.Optim;
using NUnit.Framework;

namespace Autograd.Samples.Tests.Docs;

/// <summary>
/// The parameter-group, state-dict and subclassing examples of docs/optimizers.md, verbatim
/// (DocsInSyncTests keeps them in sync), each run and checked against the output the doc shows.
/// <see cref="Signum"/> is the doc's custom optimizer: it uses only the public API (this assembly
/// sees no internals of Autograd.Optim).
/// </summary>
[TestFixture]
public sealed class OptimizerDocExamples
{
    [Test]
    public void Optimizers_ParamGroups_NoDecayOnBiases() => DocRunner.ShouldPrint(() =>
    {
        var model = new Sequential(new Linear(4, 8, generator: new Generator(0)), new ReLU(), new Linear(8, 1, generator: new Generator(1)));
        var named = model.NamedParameters().ToList();
        var optimizer = new AdamW(
        [
            new ParamGroup(named.Where(p => p.Name.EndsWith("weight")).Select(p => p.Parameter)),
            new ParamGroup(named.Where(p => p.Name.EndsWith("bias")).Select(p => p.Parameter), weightDecay: 0),
        ], lr: 1e-3, weightDecay: 0.01);
        foreach (var group in optimizer.ParamGroups)
            Console.WriteLine($"{group.Parameters.Count} tensors: lr {group.LearningRate}, weight decay {group.WeightDecay}");

        optimizer.ParamGroups[1].LearningRate = 1e-2;   // as param_groups[1]["lr"] = 1e-2
    }, """
        2 tensors: lr 0.001, weight decay 0.01
        2 tensors: lr 0.001, weight decay 0
        """);

    [Test]
    public void Optimizers_StateDict_CheckpointAndResume() => DocRunner.ShouldPrint(() =>
    {
        var x = Tensor.Randn([32, 3], new Generator(2));
        var y = x.MatMul(Tensor.FromArray([1f, -2f, 0.5f], 3, 1)) + 0.3f;
        var lossFn = new MSELoss();

        var model = new Linear(3, 1, generator: new Generator(0));
        var optimizer = new Adam(model.Parameters(), lr: 0.05);
        void Train(Module m, Optimizer o, int steps)
        {
            for (int i = 0; i < steps; i++)
            {
                o.ZeroGrad();
                lossFn.Forward(m.Forward(x), y).Backward();
                o.Step();
            }
        }
        Train(model, optimizer, 50);
        var checkpoint = (Model: model.StateDict(), Optimizer: optimizer.StateDict());
        Train(model, optimizer, 50);                        // the uninterrupted run: 100 steps

        var resumedModel = new Linear(3, 1);                 // later: a fresh model and optimizer
        resumedModel.LoadStateDict(checkpoint.Model);
        var resumed = new Adam(resumedModel.Parameters(), lr: 0.05);
        resumed.LoadStateDict(checkpoint.Optimizer);
        Train(resumedModel, resumed, 50);                    // steps 51 to 100

        Console.WriteLine($"uninterrupted: {string.Join(", ", model.Weight.ToArray<float>())}");
        Console.WriteLine($"resumed:       {string.Join(", ", resumedModel.Weight.ToArray<float>())}");
        Console.WriteLine($"Adam steps taken: {checkpoint.Optimizer.State[0]["step"].Item()} at the checkpoint, {resumed.StepCount(0)} now");
    }, """
        uninterrupted: 0.9974064, -2.0236135, 0.50498295
        resumed:       0.9974064, -2.0236135, 0.50498295
        Adam steps taken: 50 at the checkpoint, 100 now
        """);

    [Test]
    public void Optimizers_Subclassing_Signum() => DocRunner.ShouldPrint(() =>
    {
        var w = Tensor.FromArray([0f, 0f]);
        w.RequiresGrad = true;
        var target = Tensor.FromArray([1f, -2f]);
        var optimizer = new Signum([w], lr: 0.3);
        for (int step = 1; step <= 30; step++)
        {
            optimizer.ZeroGrad();
            (w - target).Pow(2).Sum().Backward();
            optimizer.Step();
            optimizer.LearningRate *= 0.9;               // a sign step never shrinks by itself
            if (step % 10 == 0) Console.WriteLine($"step {step}: w = ({string.Join(", ", w.ToArray<float>())})");
        }
        Console.WriteLine($"state: {string.Join(", ", optimizer.StateDict().State[0].Keys)}");
    }, """
        step 10: w = (1.4632323, -1.953965)
        step 20: w = (0.78192705, -2.4641628)
        step 30: w = (0.88088614, -2.2266066)
        state: momentum_buffer
        """);
}

/// <summary>Signum (Bernstein et al., 2018): steps by the sign of a running mean of the gradient. Float32 parameters only.</summary>
public sealed class Signum(IEnumerable<Tensor> parameters, double lr, double beta = 0.9) : Optimizer(parameters, lr)
{
    public double Beta { get; } = beta;

    public override void Step()
    {
        CheckParameters();                                  // throws before anything changes
        foreach (var group in ParamGroups)
            foreach (var p in group.Parameters)
            {
                if (p.Grad is not Tensor grad) continue;    // no gradient: skipped, state and all
                var state = StateOf(p);                     // saved by StateDict()
                if (!state.TryGetValue("momentum_buffer", out var buffer))
                    state["momentum_buffer"] = buffer = Tensor.Zeros([.. p.Shape], p.DType);

                Span<float> theta = Elements<float>(p), b = Elements<float>(buffer);
                ReadOnlySpan<float> g = Elements<float>(grad);
                float lr = (float)group.LearningRate, beta = (float)Beta;
                for (int i = 0; i < theta.Length; i++)
                {
                    b[i] = beta * b[i] + (1 - beta) * g[i];     // b ← β b + (1 - β) g
                    theta[i] -= lr * MathF.Sign(b[i]);          // θ ← θ - γ sign(b)
                }
            }
    }
}
