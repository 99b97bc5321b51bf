using System.Text.Json;
using Autograd.Optim;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Nn.Tests.Modules;

/// <summary>
/// <see cref="Module{T1, T2, TResult}"/>: a recurrent cell <c>(x, h) -&gt; tanh(input(x) + hidden(h))</c>
/// registers and composes like a one-tensor module; its state dict keys and printed form are those
/// of the equivalent PyTorch module (Fixtures/modules/buffers.json, tools/gen_module_buffer_fixtures.py).
/// </summary>
[TestFixture]
public sealed class MultiInputModuleTests
{
    private sealed class Cell : Module<Tensor, Tensor, Tensor>
    {
        private readonly Linear _input, _hidden;

        public Cell(Generator g)
        {
            _input = RegisterModule("input", new Linear(3, 4, generator: g));
            _hidden = RegisterModule("hidden", new Linear(4, 4, bias: false, generator: g));
        }

        public override Tensor Forward(Tensor x, Tensor h) => (_input.Forward(x) + _hidden.Forward(h)).Tanh();
    }

    // A module holding the cell as a child: it unrolls the cell over the first dim of its input.
    private sealed class Unrolled : Module
    {
        private readonly Cell _cell;

        public Unrolled(Generator g) => _cell = RegisterModule("cell", new Cell(g));

        public override Tensor Forward(Tensor input)
        {
            var h = Tensor.Zeros([input.Dims[1], 4], input.DType);
            for (int t = 0; t < input.Dims[0]; t++) h = _cell.Forward(input.Select(0, t), h);
            return h;
        }
    }

    private static JsonElement Fixture(string key)
    {
        string path = Path.Combine(TestContext.CurrentContext.TestDirectory, "Fixtures", "modules", "buffers.json");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return doc.RootElement.GetProperty(key).Clone();
    }

    [Test]
    public void Cell_RegistersLikeTorch_StateDictKeysShapesAndPrintedForm()
    {
        var cell = new Cell(new Generator(1));
        var expected = Fixture("cell_state_dict").EnumerateArray().ToList();
        var state = cell.StateDict();
        state.Keys.ShouldBe(expected.Select(e => e.GetProperty("key").GetString()!).ToList());
        foreach (var e in expected)
            state[e.GetProperty("key").GetString()!].Dims.ShouldBe(e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt32()).ToArray());
        cell.NamedParameters().Select(p => p.Name).ShouldBe(state.Keys.ToList());
        cell.ToString().ShouldBe(Fixture("cell_repr").GetString());
        new Unrolled(new Generator(1)).StateDict().Keys.ShouldBe(state.Keys.Select(k => "cell." + k).ToList());
    }

    [Test]
    public void Cell_TrainsAFewSteps_LossDecreases()
    {
        var g = new Generator(7);
        var model = new Unrolled(g);
        var x = Tensor.Randn([5, 2, 3], g, DType.Float32);
        var target = Tensor.FromArray(new float[] { 0.5f, -0.25f, 0.1f, 0.3f, -0.5f, 0.2f, 0f, 0.4f }, 2, 4);
        var optimizer = new SGD(model.Parameters(), lr: 0.1);
        var losses = new List<double>();
        for (int step = 0; step < 20; step++)
        {
            optimizer.ZeroGrad();
            var loss = (model.Forward(x) - target).Square().Mean();
            loss.Backward();
            optimizer.Step();
            losses.Add(loss.Item());
        }
        losses[^1].ShouldBeLessThan(losses[0] * 0.9);
        model.Parameters().ShouldAllBe(p => p.Grad != null);
    }

    [Test]
    public void Cell_ConvertsSavesAndLoads_LikeAnyModule()
    {
        var cell = new Cell(new Generator(3));
        cell.To(DType.Float64);
        var h = cell.Forward(Tensor.Ones([2, 3], DType.Float64), Tensor.Zeros([2, 4], DType.Float64));
        h.DType.ShouldBe(DType.Float64);
        h.Dims.ShouldBe(new[] { 2, 4 });
        var other = new Cell(new Generator(4));
        other.LoadStateDict(cell.StateDict());
        other.Forward(Tensor.Ones(2, 3), Tensor.Zeros(2, 4)).ToArray<float>()
            .ShouldBe(h.ToArray<double>().Select(v => (float)v).ToArray(), tolerance: 1e-6);
    }

    [Test]
    public void Cell_IsRefusedBySequential_AndItsOneTensorForwardThrows()
    {
        var cell = new Cell(new Generator(1));
        Should.Throw<ArgumentException>(() => new Sequential(new Identity(), cell)).Message.ShouldContain("Sequential holds one-tensor modules only; module 1 (Cell)");
        var seq = new Sequential(new Identity());
        Should.Throw<ArgumentException>(() => seq.Append(cell));
        seq.Count.ShouldBe(1);
        Module asModule = cell;
        Should.Throw<NotSupportedException>(() => asModule.Forward(Tensor.Ones(2, 3))).Message.ShouldContain("Cell takes two inputs");
    }
}
