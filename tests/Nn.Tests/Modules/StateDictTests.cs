using NUnit.Framework;
using Shouldly;
using static Autograd.Nn.Tests.Modules.ModuleFixtures;

namespace Autograd.Nn.Tests.Modules;

/// <summary>
/// <see cref="Module.StateDict"/> and <see cref="Module.LoadStateDict"/>: round trips, in-place
/// loading, non-strict loading, and every failure leaving all parameters bitwise unchanged.
/// </summary>
[TestFixture]
public sealed class StateDictTests
{
    private static Sequential Mlp(long seed, DType dtype = DType.Float32)
    {
        var g = new Generator(seed);
        return new Sequential(new Linear(4, 3, generator: g, dtype: dtype), new ReLU(), new Linear(3, 2, generator: g, dtype: dtype));
    }

    [Test]
    public void StateDict_KeysAndValues_AreDetachedCopies()
    {
        var model = Mlp(1);
        var state = model.StateDict();
        state.Keys.ShouldBe(["0.weight", "0.bias", "2.weight", "2.bias"]);
        foreach (var (name, p) in model.NamedParameters())
        {
            state[name].ShouldNotBeSameAs(p);
            state[name].RequiresGrad.ShouldBeFalse();
            AssertBitwiseEqual(state[name], p, name);
        }

        // Writing into the copy leaves the model alone.
        var before = Snapshot(model);
        Init.Constant(state["0.weight"], 7);
        AssertUnchanged(model, before);
    }

    [Test]
    public void LoadStateDict_RoundTrip_CopiesValuesIntoTheSameTensors()
    {
        var source = Mlp(1);
        var target = Mlp(2);
        var tensors = target.Parameters().ToList();
        var versions = tensors.Select(t => t.Storage.Version).ToList();

        var result = target.LoadStateDict(source.StateDict());

        result.MissingKeys.ShouldBeEmpty();
        result.UnexpectedKeys.ShouldBeEmpty();
        target.Parameters().ShouldBe(tensors); // same objects: optimizers holding them keep working
        AssertUnchanged(target, Snapshot(source));
        for (int i = 0; i < tensors.Count; i++) tensors[i].Storage.Version.ShouldBeGreaterThan(versions[i]);
        tensors.ShouldAllBe(t => t.RequiresGrad && t.IsLeaf);
    }

    [Test]
    public void LoadStateDict_Float64IntoFloat32_RoundsLikeTo()
    {
        var source = Mlp(3, DType.Float64);
        var target = Mlp(4);
        target.LoadStateDict(source.StateDict());
        foreach (var ((name, p), (_, s)) in target.NamedParameters().Zip(source.NamedParameters()))
        {
            p.DType.ShouldBe(DType.Float32);
            AssertBitwiseEqual(p, s.To(DType.Float32), name);
        }
    }

    [Test]
    public void LoadStateDict_SwappedParameters_AreReadBeforeAnyIsWritten()
    {
        var g = new Generator(5);
        var a = new Linear(3, 3, generator: g);
        var b = new Linear(3, 3, generator: g);
        var model = new Sequential(a, b);
        var (wa, wb) = (a.Weight.Clone(), b.Weight.Clone());
        model.LoadStateDict(new Dictionary<string, Tensor>
        {
            ["0.weight"] = b.Weight, ["1.weight"] = a.Weight, ["0.bias"] = a.Bias!, ["1.bias"] = b.Bias!,
        });
        AssertBitwiseEqual(a.Weight, wb, "0.weight");
        AssertBitwiseEqual(b.Weight, wa, "1.weight");
    }

    [Test]
    public void LoadStateDict_NonStrict_LoadsMatchesAndReportsTheRest()
    {
        var model = Mlp(6);
        var source = Mlp(7).StateDict();
        source.Remove("2.bias");
        source["extra"] = Tensor.Zeros(1);
        var before = model.StateDict();

        var result = model.LoadStateDict(source, strict: false);

        result.MissingKeys.ShouldBe(["2.bias"]);
        result.UnexpectedKeys.ShouldBe(["extra"]);
        AssertBitwiseEqual(((Linear)model[0]).Weight, source["0.weight"], "0.weight");
        AssertBitwiseEqual(((Linear)model[2]).Bias!, before["2.bias"], "2.bias kept");
    }

    // ------------------------------------------------------------ failures change nothing

    private static void AssertFailsUnchanged<TException>(Sequential model, Dictionary<string, Tensor> state, bool strict, params string[] expected)
        where TException : Exception
    {
        var before = Snapshot(model);
        var e = Should.Throw<TException>(() => model.LoadStateDict(state, strict));
        foreach (var text in expected) e.Message.ShouldContain(text);
        AssertUnchanged(model, before);
    }

    [Test]
    public void LoadStateDict_MissingKey_Strict_ThrowsAndChangesNothing()
    {
        var model = Mlp(8);
        var state = Mlp(9).StateDict();
        state.Remove("2.weight");
        AssertFailsUnchanged<ArgumentException>(model, state, true, "Missing key(s)", "\"2.weight\"", "Sequential");
    }

    [Test]
    public void LoadStateDict_UnexpectedKey_Strict_ThrowsAndChangesNothing()
    {
        var model = Mlp(8);
        var state = Mlp(9).StateDict();
        state["3.weight"] = Tensor.Zeros(2, 2);
        AssertFailsUnchanged<ArgumentException>(model, state, true, "Unexpected key(s)", "\"3.weight\"");
    }

    [TestCase(true)]
    [TestCase(false)]
    public void LoadStateDict_WrongShape_ThrowsNamingKeyAndBothShapes_EvenNonStrict(bool strict)
    {
        var model = Mlp(8);
        var state = Mlp(9).StateDict();
        state["2.weight"] = Tensor.Zeros(2, 4); // the last key checked: earlier, valid keys must not have been copied
        AssertFailsUnchanged<ArgumentException>(model, state, strict, "size mismatch for 2.weight", "[2, 4]", "[2, 3]");
    }

    [Test]
    public void LoadStateDict_Int64Value_Throws()
    {
        var model = Mlp(8);
        var state = Mlp(9).StateDict();
        state["0.bias"] = Tensor.Zeros([3], DType.Int64);
        AssertFailsUnchanged<ArgumentException>(model, state, true, "0.bias", "Int64");
    }

    [Test]
    public void LoadStateDict_NullValue_Throws()
    {
        var model = Mlp(8);
        var state = Mlp(9).StateDict();
        state["0.bias"] = null!;
        AssertFailsUnchanged<ArgumentException>(model, state, true, "\"0.bias\"", "null");
    }

    [Test]
    public void LoadStateDict_SeveralProblems_AllReported()
    {
        var model = Mlp(8);
        var state = Mlp(9).StateDict();
        state.Remove("0.weight");
        state["0.bias"] = Tensor.Zeros(4);
        state["junk"] = Tensor.Zeros(1);
        AssertFailsUnchanged<ArgumentException>(model, state, true, "\"0.weight\"", "size mismatch for 0.bias", "\"junk\"", "unchanged");
    }

    [Test]
    public void LoadStateDict_Null_Throws()
        => Should.Throw<ArgumentNullException>(() => Mlp(1).LoadStateDict(null!));
}
