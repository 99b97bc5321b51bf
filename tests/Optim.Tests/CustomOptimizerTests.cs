using NUnit.Framework;
using Shouldly;

namespace Autograd.Optim.Tests;

/// <summary>
/// An optimizer written by a user, deriving from <see cref="Optimizer"/> (the docs' example is
/// Signum, in tests/Samples.Tests/Docs): groups with only a learning rate, state through
/// <c>StateOf</c> saved and restored by the state dict, and the checks of the protected helpers.
/// </summary>
[TestFixture]
public sealed class CustomOptimizerTests
{
    /// <summary>Plain gradient descent that counts each parameter's steps in a 0-d Int64 state tensor (Float64 parameters).</summary>
    private sealed class CountingSgd : Optimizer
    {
        public CountingSgd(IEnumerable<Tensor> parameters, double lr) : base(parameters, lr) { }

        public CountingSgd(IEnumerable<ParamGroup> paramGroups, double lr) : base(paramGroups, lr) { }

        public override void Step()
        {
            CheckParameters();
            foreach (var group in ParamGroups)
                foreach (var p in group.Parameters)
                {
                    if (p.Grad is not Tensor grad) continue;
                    var state = StateOf(p);
                    if (!state.TryGetValue("count", out var count)) state["count"] = count = Tensor.Scalar(0L);
                    Elements<long>(count)[0]++;
                    Span<double> theta = Elements<double>(p);
                    ReadOnlySpan<double> g = Elements<double>(grad);
                    for (int i = 0; i < theta.Length; i++) theta[i] -= group.LearningRate * g[i];
                }
        }

        public Tensor Count(Tensor p) => StateOf(p)["count"];

        public IDictionary<string, Tensor> StateOfForTest(Tensor p) => StateOf(p);

        public static Span<T> ElementsForTest<T>(Tensor t) where T : unmanaged => Elements<T>(t);
    }

    private static Tensor Param(params double[] values)
    {
        var t = Tensor.FromArray(values, values.Length);
        t.RequiresGrad = true;
        return t;
    }

    [Test]
    public void Step_WithGroups_UsesEachGroupsLearningRateAndKeepsState()
    {
        var (a, b) = (Param(1), Param(1));
        var opt = new CountingSgd([new ParamGroup([a], lr: 0.5), new ParamGroup([b])], lr: 0.25);
        a.Grad = Tensor.OnesLike(a);
        b.Grad = Tensor.OnesLike(b);
        opt.Step();
        opt.Step();
        (a.Item(), b.Item()).ShouldBe((0.0, 0.5));
        opt.Count(a).Item().ShouldBe(2);
        opt.StateDict().State[1]["count"].Item().ShouldBe(2);
    }

    [Test]
    public void ParamGroup_OptionOtherThanTheLearningRate_IsRefused()
        => Should.Throw<ArgumentException>(() => new CountingSgd([new ParamGroup([Param(1)], momentum: 0.9)], lr: 0.1))
            .Message.ShouldContain("CountingSgd has no option 'momentum'");

    [Test]
    public void LoadStateDict_RestoresTheCustomState_AndChecksShapes()
    {
        var p = Param(1, 2);
        var opt = new CountingSgd([p], lr: 0.1);
        p.Grad = Tensor.OnesLike(p);
        opt.Step();
        var saved = opt.StateDict();
        opt.Step();
        opt.LoadStateDict(saved);
        opt.Count(p).Item().ShouldBe(1);

        var wrong = new OptimizerStateDict(
            new Dictionary<int, IReadOnlyDictionary<string, Tensor>> { [0] = new Dictionary<string, Tensor> { ["count"] = Tensor.Zeros([3], DType.Float64) } },
            saved.ParamGroups);
        Should.Throw<ArgumentException>(() => opt.LoadStateDict(wrong)).Message.ShouldContain("has shape [3] and dtype Float64");
        opt.Count(p).Item().ShouldBe(1);
    }

    [Test]
    public void StateOf_TensorThatIsNotAParameter_Throws()
    {
        var opt = new CountingSgd([Param(1)], lr: 0.1);
        Should.Throw<ArgumentException>(() => opt.StateOfForTest(Param(2))).Message.ShouldContain("is not a parameter of this optimizer");
    }

    [Test]
    public void Elements_WrongElementType_ThrowsNamingTheDType()
    {
        Should.Throw<ArgumentException>(() => CountingSgd.ElementsForTest<float>(Param(1))).Message.ShouldContain("Float64");
        var p = Param(1);
        var version = p.Storage.Version;
        CountingSgd.ElementsForTest<double>(p)[0] = 2;
        p.Storage.Version.ShouldBe(version + 1);
    }
}
