using NUnit.Framework;
using Shouldly;
using static Autograd.Nn.Tests.Modules.ModuleFixtures;
using F = Autograd.Nn.Functional;

namespace Autograd.Nn.Tests.Modules;

/// <summary>
/// The parameterless layers: <see cref="Dropout"/> (train/eval behaviour, PyTorch's scale per
/// dtype from the "dropout_scales" fixture, gradient, determinism), <see cref="Flatten"/>,
/// <see cref="Identity"/>, <see cref="Sequential"/> and the activation modules.
/// </summary>
[TestFixture]
public sealed class LayerModuleTests
{
    // ------------------------------------------------------------ Dropout

    [Test]
    public void Dropout_Training_ZeroesAboutPAndScalesTheRest()
    {
        // n = 20,000 Bernoulli(0.3) drops: count within 5 standard deviations sqrt(n p (1 - p)) of n p.
        const int n = 20_000;
        const double p = 0.3;
        var y = new Dropout(p, new Generator(1)).Forward(Tensor.Ones(n));
        float[] v = y.ToArray<float>();
        int zeros = v.Count(x => x == 0);
        Math.Abs(zeros - n * p).ShouldBeLessThan(5 * Math.Sqrt(n * p * (1 - p)));
        v.Where(x => x != 0).Distinct().ShouldBe([1f / (float)(1 - p)]);
    }

    private static IEnumerable<TestCaseData> DropoutScales()
        => List("dropout_scales").Select(c => new TestCaseData(c.GetProperty("p").GetDouble(), c.GetProperty("dtype").GetString()!, c.GetProperty("scale").GetDouble()));

    [TestCaseSource(nameof(DropoutScales))]
    public void Dropout_Scale_IsPyTorchsBitForBit(double p, string dtypeName, double scale)
    {
        // PyTorch computes 1 / (1 - p) in the tensor's dtype: 1 / float32(1 - p) for Float32, which
        // for some p (0.8474..., 0.4954..., 0.0938...) differs from float32(1 / (1 - p)) by an ulp.
        var dtype = ParseDType(dtypeName);
        var kept = new Dropout(p, new Generator(2)).Forward(Tensor.Ones([256], dtype)).ToArray<double>().Where(x => x != 0).Distinct().ToList();
        kept.ShouldBe([scale]);
    }

    [Test]
    public void Dropout_Eval_ReturnsInputItself()
    {
        var d = new Dropout(0.5, new Generator(3));
        var x = Tensor.Randn([4, 5], new Generator(4));
        d.Eval();
        d.Forward(x).ShouldBeSameAs(x);
        d.Train();
        d.Forward(x).ShouldNotBeSameAs(x);
    }

    [Test]
    public void Dropout_Gradient_IsTheMaskTimesScale()
    {
        var x = Tensor.Randn([50, 40], new Generator(5));
        x.RequiresGrad = true;
        var y = new Dropout(0.4, new Generator(6)).Forward(x);
        var g = Tensor.Randn([50, 40], new Generator(7));
        y.Backward(g);
        float scale = 1f / (float)0.6;
        float[] xs = x.ToArray<float>(), ys = y.ToArray<float>(), gs = g.ToArray<float>(), grad = x.Grad!.ToArray<float>();
        for (int i = 0; i < xs.Length; i++)
        {
            bool kept = ys[i] != 0;
            ys[i].ShouldBe(kept ? xs[i] * scale : 0f);
            grad[i].ShouldBe(kept ? gs[i] * scale : 0f);
        }
    }

    [Test]
    public void Dropout_SameSeed_SameMasks_NextCallNewMask()
    {
        var x = Tensor.Ones(1000);
        var a = new Dropout(0.5, new Generator(8));
        var b = new Dropout(0.5, new Generator(8));
        var first = a.Forward(x).ToArray<float>();
        b.Forward(x).ToArray<float>().ShouldBe(first);
        a.Forward(x).ToArray<float>().ShouldNotBe(first);
    }

    [Test]
    public void Dropout_PZero_Identity_POne_ZerosWithZeroGradient()
    {
        var x = Tensor.Randn([3, 4], new Generator(9), DType.Float64);
        x.RequiresGrad = true;
        new Dropout(0).Forward(x).ShouldBeSameAs(x);

        var y = new Dropout(1).Forward(x);
        y.ToArray<double>().ShouldAllBe(v => v == 0);
        y.Sum().Backward();
        x.Grad!.ToArray<double>().ShouldAllBe(v => v == 0);
    }

    [TestCase(-0.1)]
    [TestCase(1.5)]
    [TestCase(double.NaN)]
    public void Dropout_ProbabilityOutsideUnitInterval_Throws(double p)
    {
        var e = Should.Throw<ArgumentOutOfRangeException>(() => new Dropout(p));
        e.ParamName.ShouldBe("p");
        e.Message.ShouldContain("between 0 and 1");
    }

    [Test]
    public void Dropout_Int64Input_Throws()
        => Should.Throw<ArgumentException>(() => new Dropout().Forward(Tensor.Zeros([2], DType.Int64))).Message.ShouldContain("Int64");

    [Test]
    public void Dropout_Properties()
    {
        new Dropout().P.ShouldBe(0.5);
        new Dropout(0.125).ToString().ShouldBe("Dropout(p=0.125, inplace=False)");
        new Dropout(1).ToString().ShouldBe("Dropout(p=1.0, inplace=False)");
        new Dropout(0).ToString().ShouldBe("Dropout(p=0.0, inplace=False)");
    }

    // ------------------------------------------------------------ Flatten

    [Test]
    public void Flatten_Default_KeepsBatchDimension()
    {
        var x = Tensor.Arange(24).Reshape(2, 3, 4);
        var y = new Flatten().Forward(x);
        y.Shape.ShouldBe([2, 12]);
        y.ToArray<float>().ShouldBe(x.ToArray<float>());
    }

    [TestCase(0, -1, new[] { 24 })]
    [TestCase(0, 1, new[] { 6, 4 })]
    [TestCase(1, 2, new[] { 2, 12 })]
    [TestCase(-2, -1, new[] { 2, 12 })]
    [TestCase(1, 1, new[] { 2, 3, 4 })]
    public void Flatten_Dims_MergesTheRange(int start, int end, int[] expected)
        => new Flatten(start, end).Forward(Tensor.Zeros(2, 3, 4)).Shape.ShouldBe(expected);

    [Test]
    public void Flatten_Gradient_ReshapedBack()
    {
        var x = Tensor.Randn([2, 3, 4], new Generator(10));
        x.RequiresGrad = true;
        var y = new Flatten().Forward(x);
        y.Backward(Tensor.Arange(24).Reshape(2, 12));
        x.Grad!.Shape.ShouldBe([2, 3, 4]);
        x.Grad!.ToArray<float>().ShouldBe(Tensor.Arange(24).ToArray<float>());
    }

    [Test]
    public void Flatten_ZeroD_BecomesOneD()
        => new Flatten(0, -1).Forward(Tensor.Scalar(3f)).Shape.ShouldBe([1]);

    [Test]
    public void Flatten_BadDims_Throw()
    {
        Should.Throw<ArgumentException>(() => new Flatten(2, 1).Forward(Tensor.Zeros(2, 3, 4))).Message.ShouldContain("cannot come after");
        Should.Throw<ArgumentOutOfRangeException>(() => new Flatten().Forward(Tensor.Zeros(3))).ParamName.ShouldBe("startDim");
        Should.Throw<ArgumentOutOfRangeException>(() => new Flatten(0, 3).Forward(Tensor.Zeros(2, 3))).ParamName.ShouldBe("endDim");
        Should.Throw<ArgumentNullException>(() => new Flatten().Forward(null!));
    }

    // ------------------------------------------------------------ Identity, activations

    [Test]
    public void Identity_ReturnsInput()
    {
        var x = Tensor.Ones(2);
        new Identity().Forward(x).ShouldBeSameAs(x);
        new Identity().Parameters().ShouldBeEmpty();
    }

    [Test]
    public void Activations_EqualTheFunctionalForms()
    {
        var x = Tensor.Randn([3, 5], new Generator(11));
        AssertBitwiseEqual(new Sigmoid().Forward(x), F.Sigmoid(x), "Sigmoid");
        AssertBitwiseEqual(new Tanh().Forward(x), F.Tanh(x), "Tanh");
        AssertBitwiseEqual(new ReLU().Forward(x), F.Relu(x), "ReLU");
        AssertBitwiseEqual(new Softmax(0).Forward(x), F.Softmax(x, 0), "Softmax");
        AssertBitwiseEqual(new LogSoftmax(-1).Forward(x), F.LogSoftmax(x, 1), "LogSoftmax");
        new Softmax(0).Dim.ShouldBe(0);
        new LogSoftmax(-1).Dim.ShouldBe(-1);
    }

    [Test]
    public void Activations_BadInput_Throw()
    {
        Should.Throw<ArgumentOutOfRangeException>(() => new Softmax(2).Forward(Tensor.Zeros(2, 3)));
        Should.Throw<ArgumentOutOfRangeException>(() => new LogSoftmax(-3).Forward(Tensor.Zeros(2, 3)));
        Should.Throw<ArgumentNullException>(() => new Sigmoid().Forward(null!));
        Should.Throw<ArgumentNullException>(() => new Tanh().Forward(null!));
        Should.Throw<ArgumentNullException>(() => new ReLU().Forward(null!));
    }

    // ------------------------------------------------------------ Sequential

    [Test]
    public void Sequential_Forward_ComposesInOrder()
    {
        var g = new Generator(12);
        var l1 = new Linear(4, 3, generator: g);
        var l2 = new Linear(3, 2, generator: g);
        var seq = new Sequential(l1, new Tanh(), l2);
        var x = Tensor.Randn([5, 4], g);
        AssertBitwiseEqual(seq.Forward(x), l2.Forward(l1.Forward(x).Tanh()), "Sequential");
    }

    [Test]
    public void Sequential_IndexerCountEnumeration()
    {
        var (a, b) = (new ReLU(), new Identity());
        var seq = new Sequential(a, b);
        seq.Count.ShouldBe(2);
        seq[0].ShouldBeSameAs(a);
        seq[1].ShouldBeSameAs(b);
        seq.ShouldBe([a, b]);
        seq.NamedChildren().Select(c => c.Name).ShouldBe(["0", "1"]);
        Should.Throw<ArgumentOutOfRangeException>(() => seq[2]).Message.ShouldContain("2 modules");
        Should.Throw<ArgumentOutOfRangeException>(() => seq[-1]);
    }

    [Test]
    public void Sequential_Append_NamesByPosition()
    {
        var seq = new Sequential(new Linear(2, 2, generator: new Generator(0)));
        seq.Append(new ReLU()).Append(new Linear(2, 1, generator: new Generator(1))).ShouldBeSameAs(seq);
        seq.NamedParameters().Select(p => p.Name).ShouldBe(["0.weight", "0.bias", "2.weight", "2.bias"]);
    }

    [Test]
    public void Sequential_Empty_ReturnsInput()
    {
        var x = Tensor.Ones(3);
        new Sequential().Forward(x).ShouldBeSameAs(x);
        new Sequential().Count.ShouldBe(0);
    }

    [Test]
    public void Sequential_NullModule_Throws()
    {
        Should.Throw<ArgumentNullException>(() => new Sequential(new ReLU(), null!)).Message.ShouldContain("module 1");
        Should.Throw<ArgumentNullException>(() => new Sequential(null!));
        Should.Throw<ArgumentNullException>(() => new Sequential().Append(null!));
        Should.Throw<ArgumentNullException>(() => new Sequential().Forward(null!));
    }
}
