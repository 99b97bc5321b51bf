using System.Text.Json;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Nn.Tests.Modules;

/// <summary>
/// <c>RegisterBuffer</c>, <c>Buffers</c>/<c>NamedBuffers</c> and <c>Apply</c> against PyTorch 1.13
/// (Fixtures/modules/buffers.json, written by tools/gen_module_buffer_fixtures.py): the modules
/// below mirror the generator's Leaf and Outer.
/// </summary>
[TestFixture]
public sealed class BufferTests
{
    private sealed class Leaf : Module
    {
        public Leaf()
        {
            RegisterBuffer("running_mean", Tensor.Zeros(3));
            RegisterParameter("weight", Tensor.Ones(3));
            RegisterBuffer("scratch", Tensor.Zeros(2), persistent: false);
            RegisterBuffer("count", Tensor.Scalar(0L));
            RegisterBuffer("empty", null);
        }

        public Tensor RunningMean => GetBuffer("running_mean")!;

        public Tensor? Empty => GetBuffer("empty");

        public void Register(string name, Tensor? tensor) => RegisterBuffer(name, tensor);

        public override Tensor Forward(Tensor input) => input * GetParameter("weight") + RunningMean;
    }

    private sealed class Outer : Module
    {
        public Outer()
        {
            RegisterBuffer("steps", Tensor.Zeros(1));
            RegisterModule("first", new Leaf());
            RegisterParameter("bias", Tensor.Zeros(2));
            RegisterModule("second", new Sequential(new Leaf(), new Linear(2, 2, generator: new Generator(1))));
        }

        public override Tensor Forward(Tensor input) => input;
    }

    private static JsonElement Fixture(string key)
    {
        string path = Path.Combine(TestContext.CurrentContext.TestDirectory, "Fixtures", "modules", "buffers.json");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return doc.RootElement.GetProperty(key).Clone();
    }

    private static string DTypeName(DType d) => d switch { DType.Float32 => "float32", DType.Float64 => "float64", _ => "int64" };

    [Test]
    public void StateDict_KeysDTypesAndShapes_AreTorchs()
    {
        var state = new Outer().StateDict();
        var expected = Fixture("outer_state_dict").EnumerateArray().ToList();
        state.Keys.ShouldBe(expected.Select(e => e.GetProperty("key").GetString()!).ToList());
        foreach (var e in expected)
        {
            var t = state[e.GetProperty("key").GetString()!];
            DTypeName(t.DType).ShouldBe(e.GetProperty("dtype").GetString());
            t.Dims.ShouldBe(e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt32()).ToArray());
            t.RequiresGrad.ShouldBeFalse();
        }
    }

    [Test]
    public void NamedBuffersAndParameters_AreTorchs_AndBuffersAreNotParameters()
    {
        var m = new Outer();
        m.NamedBuffers().Select(b => b.Name).ShouldBe(Fixture("outer_named_buffers").EnumerateArray().Select(e => e.GetString()!).ToList());
        m.NamedParameters().Select(p => p.Name).ShouldBe(Fixture("outer_named_parameters").EnumerateArray().Select(e => e.GetString()!).ToList());
        m.Buffers().Count().ShouldBe(7);
        m.Buffers().ShouldAllBe(b => !b.RequiresGrad);
        m.Parameters().ShouldNotContain(p => m.Buffers().Contains(p));
    }

    [Test]
    public void To_ConvertsFloatingBuffers_LeavesInt64Ones_AsTorchsDouble()
    {
        var m = new Outer();
        m.To(DType.Float64);
        var expected = Fixture("outer_double_dtypes");
        var state = m.StateDict();
        foreach (var p in expected.EnumerateObject())
            DTypeName(state[p.Name].DType).ShouldBe(p.Value.GetString(), p.Name);
        m.NamedBuffers().Single(b => b.Name == "first.scratch").Buffer.DType.ShouldBe(DType.Float64);
        m.Buffers().ShouldAllBe(b => !b.RequiresGrad);
        var leaf = (Leaf)m.Children().First();
        leaf.RunningMean.DType.ShouldBe(DType.Float64);
        leaf.Forward(Tensor.Ones([3], DType.Float64)).DType.ShouldBe(DType.Float64);
    }

    [Test]
    public void LoadStateDict_CopiesIntoBuffersInPlace_AndStrictKeysIncludeThem()
    {
        var source = new Outer();
        var state = source.StateDict();
        state["first.running_mean"] = Tensor.FromArray(new float[] { 1, 2, 3 });
        state["first.count"] = Tensor.Scalar(7L);
        var target = new Outer();
        var leaf = (Leaf)target.Children().First();
        var before = leaf.RunningMean;
        var keys = target.LoadStateDict(state);
        keys.MissingKeys.ShouldBeEmpty();
        keys.UnexpectedKeys.ShouldBeEmpty();
        ReferenceEquals(leaf.RunningMean, before).ShouldBeTrue();
        leaf.RunningMean.ToArray<float>().ShouldBe(new float[] { 1, 2, 3 });
        target.StateDict()["first.count"].ToArray<long>().ShouldBe(new long[] { 7 });

        // Float64 values load into a Float32 buffer, rounded as To does.
        state["first.running_mean"] = Tensor.FromArray(new double[] { 0.5, 1.5, 2.5 });
        target.LoadStateDict(state);
        leaf.RunningMean.ToArray<float>().ShouldBe(new float[] { 0.5f, 1.5f, 2.5f });
    }

    [Test]
    public void LoadStateDict_BadBufferEntries_AreRefused_AndChangeNothing()
    {
        var target = new Outer();
        var leaf = (Leaf)target.Children().First();
        var good = target.StateDict();

        var missing = new Dictionary<string, Tensor>(good);
        missing.Remove("second.0.running_mean");
        Should.Throw<ArgumentException>(() => target.LoadStateDict(missing)).Message.ShouldContain("Missing key(s) in state_dict: \"second.0.running_mean\"");

        var nonPersistent = new Dictionary<string, Tensor>(good) { ["first.scratch"] = Tensor.Zeros(2) };
        Should.Throw<ArgumentException>(() => target.LoadStateDict(nonPersistent)).Message.ShouldContain("Unexpected key(s) in state_dict: \"first.scratch\"");

        var wrongCount = new Dictionary<string, Tensor>(good) { ["first.count"] = Tensor.Scalar(1.0), ["first.running_mean"] = Tensor.Ones(3) };
        var e = Should.Throw<ArgumentException>(() => target.LoadStateDict(wrongCount));
        e.Message.ShouldContain("first.count");
        e.Message.ShouldContain("Int64");
        leaf.RunningMean.ToArray<float>().ShouldBe(new float[] { 0, 0, 0 });

        var wrongShape = new Dictionary<string, Tensor>(good) { ["first.running_mean"] = Tensor.Ones(4) };
        Should.Throw<ArgumentException>(() => target.LoadStateDict(wrongShape)).Message.ShouldContain("size mismatch for first.running_mean");

        var floatIntoInt = new Dictionary<string, Tensor>(good) { ["first.running_mean"] = Tensor.Scalar(3L) };
        Should.Throw<ArgumentException>(() => target.LoadStateDict(floatIntoInt)).Message.ShouldContain("first.running_mean");
    }

    [Test]
    public void SaveAndLoad_RoundTripBuffers_IncludingInt64()
    {
        string path = Path.Combine(Path.GetTempPath(), "buffer-tests-" + Guid.NewGuid().ToString("N") + ".safetensors");
        try
        {
            var source = new Outer();
            var state = source.StateDict();
            state["first.running_mean"] = Tensor.FromArray(new float[] { 1, 2, 3 });
            state["second.0.count"] = Tensor.Scalar(41L);
            source.LoadStateDict(state);
            source.Save(path);
            var target = new Outer();
            target.Load(path);
            var loaded = target.StateDict();
            loaded.Keys.ShouldBe(state.Keys.ToList());
            loaded["first.running_mean"].ToArray<float>().ShouldBe(new float[] { 1, 2, 3 });
            loaded["second.0.count"].DType.ShouldBe(DType.Int64);
            loaded["second.0.count"].ToArray<long>().ShouldBe(new long[] { 41 });
            Autograd.Nn.Serialization.SafeTensors.Load(path).Keys.ShouldBe(state.Keys, ignoreOrder: true);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void Load_FloatFileEntryForAnInt64Buffer_IsRefused_AndChangesNothing()
    {
        string path = Path.Combine(Path.GetTempPath(), "buffer-tests-" + Guid.NewGuid().ToString("N") + ".safetensors");
        try
        {
            var state = new Outer().StateDict();
            state["first.count"] = Tensor.Scalar(2.0f);
            state["first.running_mean"] = Tensor.Ones(3);
            Autograd.Nn.Serialization.SafeTensors.Save(path, state);
            var target = new Outer();
            var e = Should.Throw<InvalidDataException>(() => target.Load(path));
            e.Message.ShouldContain("first.count");
            e.Message.ShouldContain("I64");
            target.StateDict()["first.running_mean"].ToArray<float>().ShouldBe(new float[] { 0, 0, 0 });
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void RegisterBuffer_BadNamesAndTensors_AreRefusedClearly()
    {
        var leaf = new Leaf();
        Should.Throw<ArgumentException>(() => leaf.Register("", Tensor.Zeros(1))).Message.ShouldContain("can't be empty");
        Should.Throw<ArgumentException>(() => leaf.Register("a.b", Tensor.Zeros(1))).Message.ShouldContain("can't contain \".\"");
        Should.Throw<ArgumentException>(() => leaf.Register("weight", Tensor.Zeros(1))).Message.ShouldContain("already has a parameter, buffer or module named \"weight\"");
        Should.Throw<ArgumentException>(() => leaf.Register("count", Tensor.Zeros(1))).Message.ShouldContain("\"count\"");
        Should.Throw<ArgumentException>(() => leaf.Register("empty", Tensor.Zeros(1))).Message.ShouldContain("\"empty\"");
        Should.Throw<ArgumentNullException>(() => leaf.Register(null!, Tensor.Zeros(1)));
        var grad = Tensor.Zeros(2);
        grad.RequiresGrad = true;
        Should.Throw<ArgumentException>(() => leaf.Register("g", grad)).Message.ShouldContain("must not require grad");
        leaf.Empty.ShouldBeNull();
        leaf.NamedBuffers().Select(b => b.Name).ShouldBe(["running_mean", "scratch", "count"]);
    }

    [Test]
    public void Printing_IsUnaffectedByBuffers()
    {
        var m = new Outer();
        m.ToString().ShouldBe(Fixture("outer_repr").GetString());
    }

    [Test]
    public void Apply_VisitsChildrenBeforeParents_AsTorch_AndReturnsThis()
    {
        var m = new Outer();
        var order = new List<string>();
        m.Apply(x => order.Add(x.GetType().Name)).ShouldBeSameAs(m);
        order.ShouldBe(Fixture("apply_order").EnumerateArray().Select(e => e.GetString()!).ToList());
        Should.Throw<ArgumentNullException>(() => m.Apply(null!));
    }

    [Test]
    public void Apply_InitializesEveryLinear()
    {
        var m = new Sequential(new Linear(2, 3, generator: new Generator(1)), new ReLU(), new Sequential(new Linear(3, 1, generator: new Generator(2))));
        m.Apply(x =>
        {
            if (x is Linear l)
                foreach (var p in l.Parameters()) using (Tape.NoGrad()) Array.Clear(p.Data);
        });
        m.Parameters().ShouldAllBe(p => p.ToArray<float>().All(v => v == 0));
    }
}
