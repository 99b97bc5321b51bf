using NUnit.Framework;

namespace Autograd.Tests.Ops;

/// <summary>
/// Every differentiable op against central finite differences in Float64 (<see cref="GradCheck"/>
/// with its default eps 1e-6, atol 1e-5, rtol 1e-3), on random inputs from a generator seeded by
/// the case name. Inputs stay away from the points where an op is not differentiable (0 for
/// Relu/Abs, the bounds of Clamp, ties for Max/Min), where a finite difference straddles a kink.
/// The GradGrad_* cases check the backward formulas themselves: they differentiate
/// <c>Tape.Grad(..., createGraph: true)</c>.
/// </summary>
public class GradCheckOpsTests
{
    private delegate Tensor Input(Generator g);

    // Broadcasting pairs for the binary ops: equal, trailing, leading, both sides, 0-d, rank 3.
    private static readonly (int[] A, int[] B)[] BroadcastPairs =
    [
        ([2, 3], [2, 3]), ([2, 3], [3]), ([3], [2, 3]), ([2, 1], [1, 3]), ([4, 1, 3], [2, 1]),
        ([], [2, 3]), ([2, 3], []), ([], []), ([1], [2, 3]), ([2, 3, 4], [3, 1]),
    ];

    private static IEnumerable<TestCaseData> Cases()
    {
        foreach (var (a, b) in BroadcastPairs)
        {
            string tag = Tag(a) + "_" + Tag(b);
            yield return Case("Add_" + tag, x => x[0] + x[1], Normal(a), Normal(b));
            yield return Case("Sub_" + tag, x => x[0] - x[1], Normal(a), Normal(b));
            yield return Case("Mul_" + tag, x => x[0] * x[1], Normal(a), Normal(b));
            yield return Case("Div_" + tag, x => x[0] / x[1], Normal(a), NonZero(b));
        }

        yield return Case("AddScalar", x => x[0] + 2.5, Normal(2, 3));
        yield return Case("ScalarAdd", x => -1.5 + x[0], Normal(2, 3));
        yield return Case("SubScalar", x => x[0] - 0.75, Normal(2, 3));
        yield return Case("ScalarSub", x => 3.0 - x[0], Normal(2, 3));
        yield return Case("MulScalar", x => x[0] * -2.5, Normal(2, 3));
        yield return Case("ScalarMul", x => 0.375 * x[0], Normal(2, 3));
        yield return Case("DivScalar", x => x[0] / 3.0, Normal(2, 3));
        yield return Case("ScalarDiv", x => 2.0 / x[0], NonZero(2, 3));
        yield return Case("ScalarDiv_0d", x => 2.0 / x[0], NonZero());
        yield return Case("Neg", x => -x[0], Normal(2, 3));

        yield return Case("Pow_2", x => x[0].Pow(2), Normal(2, 3));
        yield return Case("Pow_0p5_Positive", x => x[0].Pow(0.5), Positive(2, 3));
        yield return Case("Pow_m1_NonZero", x => x[0].Pow(-1), NonZero(2, 3));
        yield return Case("Pow_3", x => x[0].Pow(3), Normal(2, 3));
        yield return Case("Pow_2p5_Positive", x => x[0].Pow(2.5), Positive(2, 3));
        yield return Case("Pow_m0p5_Positive", x => x[0].Pow(-0.5), Positive(2, 3));
        yield return Case("Pow_1", x => x[0].Pow(1), Normal(2, 3));
        yield return Case("Pow_0", x => x[0].Pow(0), Normal(2, 3));
        yield return Case("Exp", x => x[0].Exp(), Normal(2, 3));
        yield return Case("Exp_0d", x => x[0].Exp(), Normal());
        yield return Case("Log_Positive", x => x[0].Log(), Positive(2, 3));
        yield return Case("Sqrt_Positive", x => x[0].Sqrt(), Positive(2, 3));
        yield return Case("Abs_AwayFromZero", x => x[0].Abs(), NonZero(2, 3));
        yield return Case("Sigmoid", x => x[0].Sigmoid(), Normal(2, 3));
        yield return Case("Tanh", x => x[0].Tanh(), Normal(2, 3));
        yield return Case("Relu_AwayFromZero", x => x[0].Relu(), NonZero(2, 3));
        yield return Case("Clamp_MinMax_AwayFromBounds", x => x[0].Clamp(-0.5, 0.6), AwayFrom([-0.5, 0.6], 3, 4));
        yield return Case("Clamp_Min_AwayFromBound", x => x[0].Clamp(min: 0.2), AwayFrom([0.2], 3, 4));
        yield return Case("Clamp_Max_AwayFromBound", x => x[0].Clamp(max: -0.1), AwayFrom([-0.1], 3, 4));

        foreach (var (a, b) in new (int[], int[])[]
        {
            ([3], [3]), ([3], [3, 4]), ([2, 3], [3]), ([2, 3], [3, 4]), ([2, 2, 3], [2, 3, 4]),
            ([2, 2, 3], [3, 4]), ([2, 3], [2, 3, 4]), ([2, 2, 3], [3]), ([3], [2, 3, 4]),
            ([1, 2, 3], [2, 3, 4]), ([2, 2, 3], [1, 3, 4]),
        })
            yield return Case("MatMul_" + Tag(a) + "_" + Tag(b), x => x[0].MatMul(x[1]), Normal(a), Normal(b));

        yield return Case("Sum_All", x => x[0].Sum(), Normal(2, 3, 4));
        yield return Case("Sum_All_0d", x => x[0].Sum(), Normal());
        yield return Case("Mean_All", x => x[0].Mean(), Normal(2, 3, 4));
        foreach (int dim in new[] { 0, 1, -1 })
        {
            foreach (bool keep in new[] { false, true })
            {
                string tag = $"Dim{Tag(dim)}_{(keep ? "Keep" : "NoKeep")}";
                yield return Case("Sum_" + tag, x => x[0].Sum(dim, keep), Normal(2, 3, 4));
                yield return Case("Mean_" + tag, x => x[0].Mean(dim, keep), Normal(2, 3, 4));
                yield return Case("Max_" + tag + "_NoTies", x => x[0].Max(dim, keep), Distinct(2, 3, 4));
                yield return Case("Min_" + tag + "_NoTies", x => x[0].Min(dim, keep), Distinct(2, 3, 4));
                yield return Case("LogSumExp_" + tag, x => x[0].LogSumExp(dim, keep), Normal(2, 3, 4));
            }
            yield return Case("Softmax_Dim" + Tag(dim), x => x[0].Softmax(dim), Normal(2, 3, 4));
            yield return Case("LogSoftmax_Dim" + Tag(dim), x => x[0].LogSoftmax(dim), Normal(2, 3, 4));
        }
        yield return Case("Max_All_NoTies", x => x[0].Max(), Distinct(3, 4));
        yield return Case("Min_All_NoTies", x => x[0].Min(), Distinct(3, 4));
        yield return Case("LogSumExp_1d", x => x[0].LogSumExp(0), Normal(5));

        yield return Case("Reshape_2x3x4_To_6xm1", x => x[0].Reshape(6, -1), Normal(2, 3, 4));
        yield return Case("Reshape_0d_To_1x1", x => x[0].Reshape(1, 1), Normal());
        yield return Case("Reshape_1x1_To_0d", x => x[0].Reshape(), Normal(1, 1));
        yield return Case("Transpose_0_2", x => x[0].Transpose(0, 2), Normal(2, 3, 4));
        yield return Case("Transpose_m1_m2", x => x[0].Transpose(-1, -2), Normal(2, 3, 4));
        yield return Case("T_2d", x => x[0].T, Normal(2, 3));
        yield return Case("Unsqueeze_0", x => x[0].Unsqueeze(0), Normal(2, 3));
        yield return Case("Unsqueeze_m1", x => x[0].Unsqueeze(-1), Normal(2, 3));
        yield return Case("Squeeze_All", x => x[0].Squeeze(), Normal(1, 3, 1, 2));
        yield return Case("Squeeze_Dim1", x => x[0].Squeeze(1), Normal(2, 1, 3));
        yield return Case("Squeeze_Dim0_NoOp", x => x[0].Squeeze(0), Normal(2, 1, 3));
        yield return Case("Expand_3x1_To_2x3x4", x => x[0].Expand(2, 3, 4), Normal(3, 1));
        yield return Case("Expand_0d_To_2x3", x => x[0].Expand(2, 3), Normal());
        yield return Case("Expand_2x1_To_m1x4", x => x[0].Expand(-1, 4), Normal(2, 1));
        yield return Case("Narrow_Dim1", x => x[0].Narrow(1, 1, 2), Normal(2, 4, 3));
        yield return Case("Narrow_NegativeStart", x => x[0].Narrow(-1, -2, 2), Normal(2, 4, 3));
        yield return Case("Select_Dim0", x => x[0].Select(0, 1), Normal(2, 3, 4));
        yield return Case("Select_Dimm1_Negative", x => x[0].Select(-1, -1), Normal(2, 3, 4));
        yield return Case("Concat_Dim0", x => Tensor.Concat(x, 0), Normal(2, 3), Normal(1, 3), Normal(3, 3));
        yield return Case("Concat_Dimm1", x => Tensor.Concat(x, -1), Normal(2, 3, 1), Normal(2, 3, 2));
        yield return Case("Concat_1d", x => Tensor.Concat(x), Normal(3), Normal(2));
        yield return Case("Stack_Dim0", x => Tensor.Stack(x, 0), Normal(2, 3), Normal(2, 3), Normal(2, 3));
        yield return Case("Stack_Dimm1", x => Tensor.Stack(x, -1), Normal(2, 3), Normal(2, 3));
        yield return Case("Stack_0d", x => Tensor.Stack(x), Normal(), Normal());

        // Int64 inputs are passed through by GradCheck: the index and the condition are not perturbed.
        yield return Case("Gather_Dim1_DuplicateIndices", x => x[0].Gather(1, x[1]), Normal(3, 4), Index(4, 3, 5));
        yield return Case("Gather_Dim0", x => x[0].Gather(0, x[1]), Normal(3, 4), Index(3, 2, 4));
        yield return Case("Where_SameShapes", x => Tensor.Where(x[0], x[1], x[2]), Mask(2, 3), Normal(2, 3), Normal(2, 3));
        yield return Case("Where_Broadcast", x => Tensor.Where(x[0], x[1], x[2]), Mask(3), Normal(2, 1), Normal(2, 3));
        yield return Case("Where_0dBranch", x => Tensor.Where(x[0], x[1], x[2]), Mask(2, 3), Normal(), Normal(2, 3));

        // To(Float64) on a Float64 tensor is the identity. To(Float32) is deliberately absent: a
        // round trip through Float32 rounds x ± 1e-6 to ~6e-8, so the central difference is off by
        // ~5% and no tight GradCheck is possible; its gradient is covered by the PyTorch fixtures.
        yield return Case("To_Float64_Identity", x => x[0].To(DType.Float64), Normal(2, 3));
        yield return Case("To_Float64_AfterOp", x => (x[0] * x[0]).To(DType.Float64), Normal(2, 3));

        yield return Case("Function_Cube", x => new Cube().Apply(x[0]), Normal(2, 3));
        yield return Case("Function_Hypot_Broadcast", x => new Hypot().Apply(x[0], x[1]), NonZero(2, 3), NonZero(3));
        var constant = Tensor.FromArray([0.7, -1.3, 0.4]); // not an input: Hypot must skip its gradient
        yield return Case("Function_Hypot_OneInputNeedsGrad", x => new Hypot().Apply(x[0], constant), NonZero(2, 3));

        // Second order: the function is the gradient itself (with a fixed random weighting of the
        // output, so that no symmetry hides an error). Only ops whose gradient depends on their input.
        yield return GradGrad("Mul", x => x[0] * x[1], Normal(2, 3), Normal(3));
        yield return GradGrad("Div", x => x[0] / x[1], Normal(2, 3), NonZero(3));
        yield return GradGrad("Pow_3", x => x[0].Pow(3), Normal(2, 3));
        yield return GradGrad("Pow_m1p5", x => x[0].Pow(-1.5), Positive(2, 3));
        yield return GradGrad("Exp", x => x[0].Exp(), Normal(2, 3));
        yield return GradGrad("Log", x => x[0].Log(), Positive(2, 3));
        yield return GradGrad("Sqrt", x => x[0].Sqrt(), Positive(2, 3));
        yield return GradGrad("Sigmoid", x => x[0].Sigmoid(), Normal(2, 3));
        yield return GradGrad("Tanh", x => x[0].Tanh(), Normal(2, 3));
        yield return GradGrad("Softmax", x => x[0].Softmax(1), Normal(2, 4));
        yield return GradGrad("LogSoftmax", x => x[0].LogSoftmax(0), Normal(3, 2));
        yield return GradGrad("LogSumExp", x => x[0].LogSumExp(1), Normal(2, 4));
        yield return GradGrad("MatMul", x => x[0].MatMul(x[1]), Normal(2, 3), Normal(3, 2));
        yield return GradGrad("BatchedMatMul", x => x[0].MatMul(x[1]), Normal(2, 2, 3), Normal(2, 3, 2));
        yield return GradGrad("Function_Cube", x => new Cube().Apply(x[0]), Normal(2, 3));
        yield return GradGrad("Chain_GatherNarrowConcat",
            x => Tensor.Concat([x[0].Gather(1, x[1]), x[0].Narrow(1, 0, 2)], 1).Exp(), Normal(2, 4), Index(4, 2, 3));
    }

    [TestCaseSource(nameof(Cases))]
    public void Check_Op_MatchesFiniteDifferences(Func<IReadOnlyList<Tensor>, Tensor> f, Tensor[] inputs)
    {
        var result = GradCheck.Check(f, inputs);
        Assert.That(result.Passed, Is.True, result.ToString());
    }

    // ---- the custom Functions -------------------------------------------------------------

    /// <summary>x³ written as a Function (the example in Function's docs). d/dx = 3x².</summary>
    private sealed class Cube : Function
    {
        protected override Tensor Forward(IReadOnlyList<Tensor> inputs)
        {
            SaveForBackward(inputs[0]);
            return inputs[0] * inputs[0] * inputs[0];
        }

        protected override IReadOnlyList<Tensor?> Backward(Tensor gradOutput)
            => [gradOutput * 3 * SavedTensors[0] * SavedTensors[0]];
    }

    /// <summary>√(a² + b²) with broadcasting. d/da = a / r, d/db = b / r, each summed to its operand's shape.</summary>
    private sealed class Hypot : Function
    {
        private int[] _shapeA = [], _shapeB = [];

        protected override Tensor Forward(IReadOnlyList<Tensor> inputs)
        {
            var (a, b) = (inputs[0], inputs[1]);
            _shapeA = [.. a.Shape];
            _shapeB = [.. b.Shape];
            var r = (a * a + b * b).Sqrt();
            SaveForBackward(a, b, r);
            return r;
        }

        protected override IReadOnlyList<Tensor?> Backward(Tensor gradOutput)
        {
            var (a, b, r) = (SavedTensors[0], SavedTensors[1], SavedTensors[2]);
            return
            [
                NeedsInputGrad(0) ? SumTo(gradOutput * a / r, _shapeA) : null,
                NeedsInputGrad(1) ? SumTo(gradOutput * b / r, _shapeB) : null,
            ];
        }

        private static Tensor SumTo(Tensor g, int[] shape)
        {
            while (g.Rank > shape.Length) g = g.Sum(0);
            for (int i = 0; i < shape.Length; i++)
                if (shape[i] == 1 && g.Shape[i] != 1) g = g.Sum(i, keepDim: true);
            return g;
        }
    }

    // ---- case builders ----------------------------------------------------------------------

    private static TestCaseData Case(string name, Func<IReadOnlyList<Tensor>, Tensor> f, params Input[] inputs)
    {
        var g = new Generator(StableSeed(name));
        return new TestCaseData(f, inputs.Select(make => make(g)).ToArray()).SetName(name);
    }

    /// <summary>A case checking the Jacobian of x ↦ ∂⟨f(x), w⟩/∂x (all float inputs' gradients, flattened and joined).</summary>
    private static TestCaseData GradGrad(string name, Func<IReadOnlyList<Tensor>, Tensor> f, params Input[] inputs)
    {
        Tensor SecondOrder(IReadOnlyList<Tensor> x)
        {
            // GradCheck evaluates the function inside NoGrad for its finite differences; the
            // first backward must still be recorded.
            using (Tape.EnableGrad())
            {
                var y = f(x);
                var w = Tensor.Randn([.. y.Shape], new Generator(StableSeed(name + "/w")), DType.Float64);
                var xs = x.Where(t => t.RequiresGrad).ToArray();
                var grads = Tape.Grad(y, xs, w, createGraph: true);
                return Tensor.Concat(grads.Select(t => t.Reshape(-1)).ToArray());
            }
        }
        return Case("GradGrad_" + name, SecondOrder, inputs);
    }

    private static Input Normal(params int[] shape) => g => Tensor.Randn(shape, g, DType.Float64);

    /// <summary>Uniform in [0.5, 1.5]: inside the domain of Log, Sqrt and fractional powers.</summary>
    private static Input Positive(params int[] shape) => g => Tensor.Rand(shape, g, DType.Float64) + 0.5;

    /// <summary>|x| uniform in [0.3, 1.5], random sign: away from the poles of 1/x and the kinks of Abs and Relu.</summary>
    private static Input NonZero(params int[] shape) => g => Values(shape, g, r => (r.NextDouble() * 1.2 + 0.3) * (r.NextDouble() < 0.5 ? -1 : 1));

    /// <summary>Uniform in [-1.5, 1.5] but at least 0.05 from every point of <paramref name="avoid"/>.</summary>
    private static Input AwayFrom(double[] avoid, params int[] shape) => g => Values(shape, g, r =>
    {
        double v;
        do v = r.NextDouble() * 3 - 1.5; while (avoid.Any(p => Math.Abs(v - p) < 0.05));
        return v;
    });

    /// <summary>A shuffled grid with spacing 0.25 plus jitter below 0.05: every two elements differ by more than 0.2, so no max/min ties.</summary>
    private static Input Distinct(params int[] shape) => g =>
    {
        int n = shape.Aggregate(1, (p, d) => p * d);
        int[] perm = g.Permutation(n);
        var data = new double[n];
        for (int i = 0; i < n; i++) data[i] = (perm[i] - n / 2.0) * 0.25 + g.NextDouble() * 0.05;
        return Tensor.FromArray(data, shape);
    };

    private static Input Index(long high, params int[] shape) => g => Tensor.RandInt(0, high, shape, g);

    /// <summary>An Int64 0/1 mask with at least one of each, so that both Where branches get a gradient.</summary>
    private static Input Mask(params int[] shape) => g =>
    {
        var m = Tensor.RandInt(0, 2, shape, g).ToArray<long>();
        m[0] = 1;
        m[^1] = 0;
        return Tensor.FromArray(m, shape);
    };

    private static Tensor Values(int[] shape, Generator g, Func<Generator, double> draw)
    {
        int n = shape.Aggregate(1, (p, d) => p * d);
        var data = new double[n];
        for (int i = 0; i < n; i++) data[i] = draw(g);
        return shape.Length == 0 ? Tensor.Scalar(data[0]) : Tensor.FromArray(data, shape);
    }

    private static string Tag(int[] shape) => shape.Length == 0 ? "0d" : string.Join("x", shape);

    private static string Tag(int dim) => dim < 0 ? "m" + -dim : dim.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>FNV-1a of the name: a seed that, unlike string.GetHashCode, is the same in every process.</summary>
    private static long StableSeed(string name)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in name) h = (h ^ c) * 1099511628211UL;
        return (long)h;
    }
}
