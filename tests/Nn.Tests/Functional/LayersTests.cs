using NUnit.Framework;
using Shouldly;
using static Autograd.Nn.Tests.Modules.ModuleFixtures;
using F = Autograd.Nn.Functional;

namespace Autograd.Nn.Tests.Functional;

/// <summary>
/// The layer functionals: the activations' values and gradients against PyTorch 1.13
/// (tools/gen_module_fixtures.py, section "layers"), <see cref="F.Linear"/> by finite differences
/// and its argument checks, and <see cref="F.Dropout"/>. (Linear against PyTorch: LinearTests.)
/// </summary>
[TestFixture]
public sealed class LayersTests
{
    private static IEnumerable<string> Cases() => List("layers").Select(c => c.GetProperty("name").GetString()!);

    private static Tensor Apply(string op, int? dim, Tensor x) => op switch
    {
        "sigmoid" => F.Sigmoid(x),
        "tanh" => F.Tanh(x),
        "relu" => F.Relu(x),
        "softmax" => F.Softmax(x, dim!.Value),
        "log_softmax" => F.LogSoftmax(x, dim!.Value),
        _ => throw new ArgumentException(op),
    };

    /// <summary>
    /// |actual - expected| &lt;= 4 ulp(max(|expected|, 1)). Measured on these fixtures: relu (values
    /// and gradients) and the log-softmax values are bit-identical to PyTorch's; sigmoid, tanh and
    /// softmax values differ by at most 0.5 ulp(max(|e|, 1)) and every gradient (softmax and
    /// log-softmax gradients are 3- or 4-term sums) by at most 1. The floor of 1 in the scale is
    /// needed: relative to the values themselves, tanh differs by up to 9 ulps near |x| = 0.05,
    /// because the vectorised TensorPrimitives.Tanh the core calls loses relative accuracy for
    /// small |x|, where PyTorch's tanh is correctly rounded (a core issue). 4 ulps leaves
    /// room for another libm (exp/log/tanh within an ulp or two) and still catches any formula error.
    /// </summary>
    private static void AssertUlps(Tensor actual, Tensor expected, string what)
    {
        actual.DType.ShouldBe(expected.DType, what);
        actual.Shape.ShouldBe(expected.Shape, what);
        double[] a = Values(actual), e = Values(expected);
        bool f32 = expected.DType == DType.Float32;
        for (int i = 0; i < e.Length; i++)
        {
            double scale = Math.Max(Math.Abs(e[i]), 1);
            double ulp = f32 ? MathF.BitIncrement((float)scale) - (float)scale : Math.BitIncrement(scale) - scale;
            Math.Abs(a[i] - e[i]).ShouldBeLessThanOrEqualTo(4 * ulp, $"{what}[{i}]: {a[i]:R} vs PyTorch {e[i]:R}");
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void Activation_Fixture_MatchesPyTorch(string name)
    {
        var c = Section("layers")[name];
        string op = c.GetProperty("op").GetString()!;
        int? dim = c.GetProperty("dim").ValueKind == System.Text.Json.JsonValueKind.Null ? null : c.GetProperty("dim").GetInt32();
        var x = ToTensor(c.GetProperty("input"));
        x.RequiresGrad = true;
        var y = Apply(op, dim, x);
        y.Backward(ToTensor(c.GetProperty("grad_output")));
        AssertUlps(y, ToTensor(c.GetProperty("output")), $"{name} output");
        AssertUlps(x.Grad!, ToTensor(c.GetProperty("grad_input")), $"{name} grad_input");
    }

    [Test]
    public void Activations_Null_Throws()
    {
        Should.Throw<ArgumentNullException>(() => F.Sigmoid(null!));
        Should.Throw<ArgumentNullException>(() => F.Tanh(null!));
        Should.Throw<ArgumentNullException>(() => F.Relu(null!));
        Should.Throw<ArgumentNullException>(() => F.Softmax(null!, 0));
        Should.Throw<ArgumentNullException>(() => F.LogSoftmax(null!, 0));
    }

    // ------------------------------------------------------------ Linear

    // y is linear in each of x, W and b separately, so a central difference has no truncation
    // error: only the rounding of f(x ± eps), ~|f| · 2^-53 / eps ≈ 1e-10 for O(1) values. 1e-8
    // absolute and relative is tight for that and far below any real gradient error.
    private const double LinearTolerance = 1e-8;

    [TestCase(new[] { 4 }, true)]
    [TestCase(new[] { 3, 4 }, true)]
    [TestCase(new[] { 2, 3, 4 }, true)]
    [TestCase(new[] { 2, 1, 2, 4 }, true)]
    [TestCase(new[] { 3, 4 }, false)]
    public void Linear_GradCheck_Float64(int[] inputShape, bool bias)
    {
        var g = new Generator(21);
        var inputs = new List<Tensor> { Tensor.Randn(inputShape, g, DType.Float64), Tensor.Randn([3, 4], g, DType.Float64) };
        if (bias) inputs.Add(Tensor.Randn([3], g, DType.Float64));
        var result = GradCheck.Check(t => F.Linear(t[0], t[1], t.Count > 2 ? t[2] : null), inputs, atol: LinearTolerance, rtol: LinearTolerance);
        result.Passed.ShouldBeTrue(result.ToString());
    }

    [TestCase(new[] { 3, 4 })]
    [TestCase(new[] { 2, 3, 4 })]
    public void Linear_SecondOrder_GradCheck_Float64(int[] inputShape)
    {
        // The gradients of Σ y² (y = x Wᵀ + b), 2 y W, 2 yᵀ x and 2 Σ_rows y, are quadratic in the
        // inputs: the central difference is again exact up to rounding. GradCheck evaluates the
        // differences inside NoGrad, so the inner gradient re-enables recording.
        var g = new Generator(22);
        Tensor[] inputs = [Tensor.Randn(inputShape, g, DType.Float64), Tensor.Randn([2, 4], g, DType.Float64), Tensor.Randn([2], g, DType.Float64)];
        var result = GradCheck.Check(t =>
        {
            using var recording = Tape.EnableGrad();
            var loss = F.Linear(t[0], t[1], t[2]).Pow(2).Sum();
            var grads = Tape.Grad(loss, [t[0], t[1], t[2]], createGraph: true);
            return Tensor.Concat(grads.Select(d => d.Reshape(-1)).ToList());
        }, inputs, atol: LinearTolerance, rtol: LinearTolerance);
        result.Passed.ShouldBeTrue(result.ToString());
    }

    [Test]
    public void Linear_IsOneGraphNode_AndDetectsAnInPlaceWeightChange()
    {
        var w = Tensor.Ones(2, 3);
        w.RequiresGrad = true;
        var y = F.Linear(Tensor.Ones(4, 3), w, Tensor.Zeros(2));
        y.GradFnName.ShouldBe("LinearBackward");
        Init.Constant(w, 2); // an optimizer step between forward and backward
        Should.Throw<InvalidOperationException>(() => y.Sum().Backward());
    }

    [Test]
    public void Linear_EmptyBatch_GivesEmptyOutput()
    {
        var w = Tensor.Ones(3, 4);
        F.Linear(Tensor.Zeros(0, 4), w, Tensor.Ones(3)).Shape.ShouldBe([0, 3]);
        F.Linear(Tensor.Zeros(2, 0, 4), w).Shape.ShouldBe([2, 0, 3]);
    }

    [Test]
    public void Linear_BadArguments_ThrowNamingShapes()
    {
        var x = Tensor.Zeros(5, 4);
        var w = Tensor.Zeros(3, 4);
        Should.Throw<ArgumentException>(() => F.Linear(x, Tensor.Zeros(12))).Message.ShouldContain("[12]");
        Should.Throw<ArgumentException>(() => F.Linear(x, Tensor.Zeros(1, 3, 4))).Message.ShouldContain("2-D");
        var e = Should.Throw<ArgumentException>(() => F.Linear(x, w, Tensor.Zeros(4)));
        e.ParamName.ShouldBe("bias");
        e.Message.ShouldContain("out_features=3");
        Should.Throw<ArgumentException>(() => F.Linear(x, w, Tensor.Zeros(1, 3))).ParamName.ShouldBe("bias");
        Should.Throw<ArgumentException>(() => F.Linear(x, w, Tensor.Zeros([3], DType.Float64))).ParamName.ShouldBe("bias");
        Should.Throw<ArgumentException>(() => F.Linear(x, Tensor.Zeros([3, 4], DType.Float64))).Message.ShouldContain("Float64");
        Should.Throw<ArgumentException>(() => F.Linear(Tensor.Zeros(5, 3), w)).Message.ShouldContain("[5, 3]");
        Should.Throw<ArgumentNullException>(() => F.Linear(null!, w));
        Should.Throw<ArgumentNullException>(() => F.Linear(x, null!));
    }

    // ------------------------------------------------------------ Dropout

    [Test]
    public void Dropout_NotTraining_ReturnsInput()
    {
        var x = Tensor.Ones(10);
        F.Dropout(x, 0.5, training: false).ShouldBeSameAs(x);
        F.Dropout(x, 0.0).ShouldBeSameAs(x);
    }

    [Test]
    public void Dropout_Generator_Deterministic_Float64Scale()
    {
        var x = Tensor.Ones([500], DType.Float64);
        var a = F.Dropout(x, 0.25, generator: new Generator(3)).ToArray<double>();
        F.Dropout(x, 0.25, generator: new Generator(3)).ToArray<double>().ShouldBe(a);
        a.Where(v => v != 0).Distinct().ShouldBe([1 / 0.75]);
    }

    [Test]
    public void Dropout_BadArguments_Throw()
    {
        Should.Throw<ArgumentOutOfRangeException>(() => F.Dropout(Tensor.Ones(2), 1.01)).ParamName.ShouldBe("p");
        Should.Throw<ArgumentOutOfRangeException>(() => F.Dropout(Tensor.Ones(2), -1e-9, training: false));
        Should.Throw<ArgumentNullException>(() => F.Dropout(null!, 0.5));
    }
}
