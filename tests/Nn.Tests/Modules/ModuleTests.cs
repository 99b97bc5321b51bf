using NUnit.Framework;
using Shouldly;
using static Autograd.Nn.Tests.Modules.ModuleFixtures;

namespace Autograd.Nn.Tests.Modules;

/// <summary>
/// <see cref="Module"/>: registration and its validation, PyTorch's parameter names (checked
/// against named_parameters() of the same trees in PyTorch 1.13), ZeroGrad, Train/Eval, To and
/// the printed form (checked against str(module) in PyTorch).
/// </summary>
[TestFixture]
public sealed class ModuleTests
{
    /// <summary>The module trees of tools/gen_module_fixtures.py's repr_modules, built by name.</summary>
    internal static Module Build(string name)
    {
        var g = new Generator(0);
        return name switch
        {
            "linear" => new Linear(2, 5, generator: g),
            "linear_nobias" => new Linear(3, 1, bias: false, generator: g),
            "dropout_default" => new Dropout(),
            "dropout_small" => new Dropout(1e-05),
            "flatten" => new Flatten(0, 2),
            "identity" => new Identity(),
            "softmax" => new Softmax(1),
            "log_softmax" => new LogSoftmax(-1),
            "empty_sequential" => new Sequential(),
            "logistic" => new Sequential(new Linear(30, 1, generator: g), new Sigmoid()),
            "mlp" => new Sequential(new Linear(4, 3, generator: g), new ReLU(), new Dropout(0.25), new Linear(3, 2, bias: false, generator: g), new Softmax(1)),
            "nested" => new Sequential(new Flatten(), new Sequential(new Linear(8, 4, generator: g), new Tanh()), new Identity(),
                new Sequential(new Sequential(new Linear(4, 2, generator: g))), new LogSoftmax(-1)),
            _ => throw new ArgumentException(name),
        };
    }

    private static IEnumerable<string> ReprCases() => List("repr").Select(c => c.GetProperty("name").GetString()!);

    private static IEnumerable<string> NamedParameterCases() => List("named_parameters").Select(c => c.GetProperty("name").GetString()!);

    [TestCaseSource(nameof(ReprCases))]
    public void ToString_Fixture_MatchesPyTorchPrint(string name)
        => Build(name).ToString().ShouldBe(Section("repr")[name].GetProperty("repr").GetString());

    [TestCaseSource(nameof(NamedParameterCases))]
    public void NamedParameters_Fixture_MatchesPyTorchNamesAndShapes(string name)
    {
        var c = Section("named_parameters")[name];
        var pairs = Build(name).NamedParameters().ToList();
        pairs.Select(p => p.Name).ShouldBe(c.GetProperty("names").EnumerateArray().Select(e => e.GetString()!));
        pairs.Select(p => string.Join(",", p.Parameter.Shape))
            .ShouldBe(c.GetProperty("shapes").EnumerateArray().Select(s => string.Join(",", s.EnumerateArray().Select(d => d.GetInt32()))));
    }

    // ------------------------------------------------------------ a hand-written module

    private sealed class TwoLayer : Module
    {
        public TwoLayer(Generator g)
        {
            Hidden = RegisterModule("hidden", new Linear(3, 4, generator: g));
            Output = RegisterModule("output", new Linear(4, 2, generator: g));
            Scale = RegisterParameter("scale", Tensor.Ones(2));
        }

        public Linear Hidden { get; }

        public Linear Output { get; }

        public Tensor Scale { get; }

        public override Tensor Forward(Tensor input) => Output.Forward(Hidden.Forward(input).Relu()) * Scale;

        public Tensor Lookup(string name) => GetParameter(name);
    }

    /// <summary>Exposes the protected registration API to the tests.</summary>
    private sealed class Probe : Module
    {
        public override Tensor Forward(Tensor input) => input;

        public Tensor AddParameter(string name, Tensor t) => RegisterParameter(name, t);

        public T AddModule<T>(string name, T m) where T : Module => RegisterModule(name, m);
    }

    [Test]
    public void NamedParameters_OwnParametersFirstThenChildrenInRegistrationOrder()
    {
        // As PyTorch: a module's own parameters precede its children's, whatever the registration order.
        var m = new TwoLayer(new Generator(1));
        m.NamedParameters().Select(p => p.Name).ShouldBe(["scale", "hidden.weight", "hidden.bias", "output.weight", "output.bias"]);
        m.Parameters().ShouldBe(m.NamedParameters().Select(p => p.Parameter));
        m.Parameters().ShouldAllBe(p => p.IsLeaf && p.RequiresGrad);
        m.Children().ShouldBe([m.Hidden, m.Output]);
        m.NamedChildren().Select(c => c.Name).ShouldBe(["hidden", "output"]);
        ReferenceEquals(m.Lookup("scale"), m.Scale).ShouldBeTrue();
        m.ToString().ShouldBe("TwoLayer(\n  (hidden): Linear(in_features=3, out_features=4, bias=True)\n  (output): Linear(in_features=4, out_features=2, bias=True)\n)");
    }

    [Test]
    public void NamedParameters_SharedModule_ListedOnceButStateDictHasEveryName()
    {
        // PyTorch: named_parameters() removes duplicates, state_dict() does not.
        var shared = new Linear(2, 2, generator: new Generator(0));
        var seq = new Sequential(shared, shared);
        seq.NamedParameters().Select(p => p.Name).ShouldBe(["0.weight", "0.bias"]);
        seq.StateDict().Keys.ShouldBe(["0.weight", "0.bias", "1.weight", "1.bias"]);
    }

    [Test]
    public void RegisterParameter_SetsRequiresGradAndName()
    {
        var probe = new Probe();
        var t = Tensor.Zeros(3);
        probe.AddParameter("w", t).ShouldBeSameAs(t);
        t.RequiresGrad.ShouldBeTrue();
        t.Name.ShouldBe("w");
    }

    [TestCase("", "empty")]
    [TestCase("a.b", "contain \".\"")]
    [TestCase("taken", "already has")]
    [TestCase("child", "already has")]
    public void RegisterParameter_BadName_Throws(string name, string expected)
    {
        var probe = new Probe();
        probe.AddParameter("taken", Tensor.Zeros(1));
        probe.AddModule("child", new Identity());
        Should.Throw<ArgumentException>(() => probe.AddParameter(name, Tensor.Zeros(1))).Message.ShouldContain(expected);
        Should.Throw<ArgumentException>(() => probe.AddModule(name, new Identity())).Message.ShouldContain(expected);
        probe.NamedParameters().Select(p => p.Name).ShouldBe(["taken"]);
    }

    [Test]
    public void RegisterParameter_BadTensor_Throws()
    {
        var probe = new Probe();
        Should.Throw<ArgumentException>(() => probe.AddParameter("i", Tensor.Zeros([2], DType.Int64))).Message.ShouldContain("Int64");
        var leaf = Tensor.Ones(2);
        leaf.RequiresGrad = true;
        Should.Throw<ArgumentException>(() => probe.AddParameter("n", leaf * 2)).Message.ShouldContain("leaf");
        Should.Throw<ArgumentNullException>(() => probe.AddParameter("x", null!));
        Should.Throw<ArgumentNullException>(() => probe.AddParameter(null!, Tensor.Ones(1)));
        Should.Throw<ArgumentNullException>(() => probe.AddModule<Module>("m", null!));
        probe.Parameters().ShouldBeEmpty();
    }

    [Test]
    public void RegisterModule_Cycle_Throws()
    {
        var outer = new Probe();
        var inner = outer.AddModule("inner", new Probe());
        Should.Throw<ArgumentException>(() => outer.AddModule("self", outer)).Message.ShouldContain("cycle");
        Should.Throw<ArgumentException>(() => inner.AddModule("parent", outer)).Message.ShouldContain("cycle");
    }

    [Test]
    public void RegisterModule_CycleThroughASharedModule_Throws()
    {
        // A diamond: a -> b -> d and a -> c -> d. Registering any of a, b, c under d closes a cycle.
        var a = new Probe();
        var b = a.AddModule("b", new Probe());
        var c = a.AddModule("c", new Probe());
        var d = b.AddModule("d", new Probe());
        c.AddModule("d", d);
        foreach (var ancestor in new[] { a, b, c, d })
            Should.Throw<ArgumentException>(() => d.AddModule("x", ancestor)).Message.ShouldContain("cycle");
        d.AddModule("e", new Probe()).AddModule("f", new Probe()); // below d: fine
        b.AddModule("c", c); // c under its sibling: a DAG, not a cycle
        Should.Throw<ArgumentException>(() => c.AddModule("b", b)).Message.ShouldContain("cycle");
    }

    [Test]
    public void RegisterModule_SharedChild_DoesNotKeepItsContainersAlive()
    {
        // The cycle check keeps parent links; they are weak, so wrapping a shared module again and
        // again (a backbone in each experiment's Sequential) does not keep the wrappers alive.
        var shared = new Linear(2, 2, generator: new Generator(0));
        var wrappers = Enumerable.Range(0, 10).Select(_ => Wrap(shared)).ToList();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        wrappers.ShouldAllBe(w => !w.IsAlive);
        new Sequential(shared).Parameters().Count().ShouldBe(2);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference Wrap(Module shared) => new(new Sequential(shared, new Tanh()));

    /// <summary>
    /// Nests modules until <paramref name="depth"/> or until one second has passed (so that a
    /// quadratic registration fails fast instead of running for minutes); returns the depth reached.
    /// </summary>
    private static int NestWithin1s(int depth, Func<int, bool> step)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int reached = 0;
        while (reached < depth && clock.Elapsed < TimeSpan.FromSeconds(1))
        {
            if (!step(reached)) break;
            reached++;
        }
        TestContext.Out.WriteLine($"depth {reached} in {clock.ElapsedMilliseconds} ms");
        return reached;
    }

    [Test]
    [Category("Regression")]
    public void Sequential_Nested10000DeepFromTheInside_WellUnderASecondAndCyclesStillRefused()
    {
        // Issue 12, attack 7: m = new Sequential(m, new Tanh()) took 1.4 s to depth 2,000 and about 95 s to 10,000.
        Module m = new Tanh();
        var innermost = new Sequential(m);
        m = innermost;
        bool Wrap(int _)
        {
            m = new Sequential(m, new Tanh());
            return true;
        }
        NestWithin1s(10_000, Wrap).ShouldBe(10_000);

        Should.Throw<ArgumentException>(() => innermost.Append(m)).Message.ShouldContain("cycle");
        Should.Throw<ArgumentException>(() => ((Sequential)m).Append(m)).Message.ShouldContain("cycle");
        innermost.Count.ShouldBe(1);
        ((Sequential)m).Count.ShouldBe(2);
    }

    [Test]
    [Category("Regression")]
    public void Sequential_Nested10000DeepFromTheOutside_WellUnderASecondAndCyclesStillRefused()
    {
        var root = new Sequential();
        var deepest = root;
        bool AppendBelow(int _)
        {
            var child = new Sequential();
            deepest.Append(child);
            deepest = child;
            return true;
        }
        NestWithin1s(10_000, AppendBelow).ShouldBe(10_000);

        Should.Throw<ArgumentException>(() => deepest.Append(root)).Message.ShouldContain("cycle");
        deepest.Count.ShouldBe(0);
        // Shared (non-cyclic) registrations stay allowed at any depth.
        var shared = new Linear(2, 2, generator: new Generator(0));
        deepest.Append(shared);
        root.Append(shared);
        root.Parameters().Count().ShouldBe(2);
    }

    // ------------------------------------------------------------ ZeroGrad

    [Test]
    public void ZeroGrad_Default_ZeroesInPlaceLikePyTorch113()
    {
        var m = new TwoLayer(new Generator(2));
        m.Forward(Tensor.Randn([5, 3], new Generator(3))).Sum().Backward();
        var grads = m.Parameters().Select(p => p.Grad!).ToList();
        grads.ShouldAllBe(g => g != null);
        grads.ShouldContain(g => g.ToArray<double>().Any(v => v != 0));

        m.ZeroGrad();

        // The same tensors, now all zero (PyTorch 1.13's zero_grad(set_to_none=False) default).
        m.Parameters().Select(p => p.Grad).ShouldBe(grads);
        grads.ShouldAllBe(g => g.ToArray<double>().All(v => v == 0));
    }

    [Test]
    public void ZeroGrad_SetToNone_ClearsGradients()
    {
        var m = new TwoLayer(new Generator(2));
        m.Forward(Tensor.Randn([5, 3], new Generator(3))).Sum().Backward();
        m.ZeroGrad(setToNone: true);
        m.Parameters().ShouldAllBe(p => p.Grad == null);
    }

    [Test]
    public void ZeroGrad_NoGradientYet_StaysNull_GraphGradient_ReplacedByDetachedZeros()
    {
        var layer = new Linear(2, 1, generator: new Generator(0));
        layer.ZeroGrad();
        layer.Weight.Grad.ShouldBeNull();

        var x = Tensor.Ones(2);
        layer.Forward(x).Pow(2).Sum().Backward(createGraph: true);
        layer.Weight.Grad!.IsLeaf.ShouldBeFalse();
        layer.ZeroGrad();
        layer.Weight.Grad!.IsLeaf.ShouldBeTrue();
        layer.Weight.Grad!.RequiresGrad.ShouldBeFalse();
        layer.Weight.Grad!.ToArray<float>().ShouldBe([0f, 0f]);
    }

    [Test]
    public void ZeroGrad_ThenBackward_AccumulatesFromZero()
    {
        var layer = new Linear(3, 2, generator: new Generator(4));
        var x = Tensor.Randn([4, 3], new Generator(5));
        layer.Forward(x).Sum().Backward();
        var first = layer.Weight.Grad!.ToArray<float>();
        layer.Forward(x).Sum().Backward();
        layer.ZeroGrad();
        layer.Forward(x).Sum().Backward();
        layer.Weight.Grad!.ToArray<float>().ShouldBe(first);
    }

    // ------------------------------------------------------------ Train / Eval

    [Test]
    public void TrainEval_Recursive_ReturnThis()
    {
        var model = (Sequential)Build("nested");
        model.Training.ShouldBeTrue();
        model.Eval().ShouldBeSameAs(model);
        AllModules(model).ShouldAllBe(m => !m.Training);
        model.Train().ShouldBeSameAs(model);
        AllModules(model).ShouldAllBe(m => m.Training);
        model.Train(false);
        AllModules(model).ShouldAllBe(m => !m.Training);
    }

    private static IEnumerable<Module> AllModules(Module m) => new[] { m }.Concat(m.Children().SelectMany(AllModules));

    // ------------------------------------------------------------ To

    [Test]
    public void To_Float64_ReplacesParametersWithConvertedLeaves()
    {
        var layer = new Linear(3, 2, generator: new Generator(6));
        var oldWeight = layer.Weight;
        var x = Tensor.Randn([4, 3], new Generator(7));
        layer.Forward(x).Sum().Backward();
        var oldGrad = oldWeight.Grad!.ToArray<double>();

        layer.To(DType.Float64).ShouldBeSameAs(layer);

        layer.Weight.ShouldNotBeSameAs(oldWeight);
        layer.Parameters().ShouldAllBe(p => p.DType == DType.Float64 && p.IsLeaf && p.RequiresGrad);
        layer.Weight.ToArray<double>().ShouldBe(oldWeight.ToArray<double>());
        layer.Weight.Name.ShouldBe("weight");
        layer.Weight.Grad!.DType.ShouldBe(DType.Float64);
        layer.Weight.Grad!.ToArray<double>().ShouldBe(oldGrad);
        layer.Forward(x.To(DType.Float64)).DType.ShouldBe(DType.Float64);
        Should.Throw<ArgumentException>(() => layer.Forward(x));
    }

    [Test]
    public void To_Float64_KeepsAFrozenParameterFrozen()
    {
        // PyTorch's to(dtype) keeps requires_grad: a frozen (pretrained) embedding stays frozen.
        var frozen = Embedding.FromPretrained(Tensor.Ones(3, 2), freeze: true);
        frozen.To(DType.Float64);
        frozen.Weight.DType.ShouldBe(DType.Float64);
        frozen.Weight.RequiresGrad.ShouldBeFalse();
        var trainable = new Linear(2, 1);
        trainable.To(DType.Float64);
        trainable.Weight.RequiresGrad.ShouldBeTrue();
    }

    [Test]
    public void To_SameDType_KeepsTheSameTensors_SharedStaysShared()
    {
        var shared = new Linear(2, 2, generator: new Generator(0));
        var seq = new Sequential(shared, new Sequential(shared));
        var before = seq.Parameters().ToList();
        seq.To(DType.Float32);
        seq.Parameters().ShouldBe(before);

        seq.To(DType.Float64);
        ReferenceEquals(((Linear)seq[0]).Weight, ((Linear)((Sequential)seq[1])[0]).Weight).ShouldBeTrue();
        seq.StateDict().Values.ShouldAllBe(t => t.DType == DType.Float64);
    }

    [Test]
    public void To_Int64_Throws()
    {
        var layer = new Linear(2, 2, generator: new Generator(0));
        Should.Throw<ArgumentException>(() => layer.To(DType.Int64)).Message.ShouldContain("Int64");
        layer.Weight.DType.ShouldBe(DType.Float32);
    }
}
