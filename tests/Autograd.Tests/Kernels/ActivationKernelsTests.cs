using Autograd.Kernels;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Tests.Kernels;

/// <summary>
/// The fused activation kernels against naive loops, and the backward formulas run as fused loops
/// against naive loops and against the same formulas run as recorded tensor ops. Every comparison is bitwise: the kernels do the same IEEE
/// operations, so no tolerance is needed (or allowed).
/// </summary>
[TestFixture]
public sealed class ActivationKernelsTests
{
    // Lengths around the vector widths (4, 8, 16 lanes) to cover the vector bodies and the tails.
    private static readonly int[] Lengths = [0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 64, 100];

    private static float[] Values(int n, int seed)
    {
        var rng = new Random(seed);
        var special = new[] { 0f, -0f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 1e-40f, -1e-40f, 1f, -1f };
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = rng.Next(4) == 0 ? special[rng.Next(special.Length)] : (float)(rng.NextDouble() * 8 - 4);
        return x;
    }

    private static void ShouldBeBitwise(float[] actual, float[] expected)
    {
        actual.Length.ShouldBe(expected.Length);
        for (int i = 0; i < actual.Length; i++)
            BitConverter.SingleToInt32Bits(actual[i]).ShouldBe(BitConverter.SingleToInt32Bits(expected[i]), $"element {i}: {actual[i]:R} vs {expected[i]:R}");
    }

    private static void ShouldBeBitwise(double[] actual, double[] expected)
    {
        actual.Length.ShouldBe(expected.Length);
        for (int i = 0; i < actual.Length; i++)
            BitConverter.DoubleToInt64Bits(actual[i]).ShouldBe(BitConverter.DoubleToInt64Bits(expected[i]), $"element {i}: {actual[i]:R} vs {expected[i]:R}");
    }

    [TestCaseSource(nameof(Lengths))]
    public void Relu_AnyLength_MatchesNaiveLoopWithNaNKept(int n)
    {
        var x = Values(n, n);
        var actual = new float[n];
        ActivationKernels.Relu<float>(x, actual);
        ShouldBeBitwise(actual, x.Select(v => v > 0 || float.IsNaN(v) ? v : 0f).ToArray());

        var xd = x.Select(v => (double)v).ToArray();
        var actualD = new double[n];
        ActivationKernels.Relu<double>(xd, actualD);
        ShouldBeBitwise(actualD, xd.Select(v => v > 0 || double.IsNaN(v) ? v : 0.0).ToArray());
    }

    [TestCaseSource(nameof(Lengths))]
    public void Backwards_AnyLength_MatchNaiveLoops(int n)
    {
        var r = Values(n, 100 + n);
        var g = Values(n, 200 + n);
        var d = new float[n];
        ElementwiseGradient.Apply<float, Tensor.ReluGradient>(r, g, d);
        ShouldBeBitwise(d, r.Select((v, i) => v > 0 ? g[i] : 0f).ToArray());
        ElementwiseGradient.Apply<float, Tensor.SigmoidGradient>(r, g, d);
        ShouldBeBitwise(d, r.Select((v, i) => g[i] * (1 - v) * v).ToArray());
        ElementwiseGradient.Apply<float, Tensor.TanhGradient>(r, g, d);
        ShouldBeBitwise(d, r.Select((v, i) => g[i] * (1 - v * v)).ToArray());

        var rd = r.Select(v => (double)v).ToArray();
        var gd = g.Select(v => (double)v * 1.000001).ToArray();
        var dd = new double[n];
        ElementwiseGradient.Apply<double, Tensor.SigmoidGradient>(rd, gd, dd);
        ShouldBeBitwise(dd, rd.Select((v, i) => gd[i] * (1 - v) * v).ToArray());
        ElementwiseGradient.Apply<double, Tensor.TanhGradient>(rd, gd, dd);
        ShouldBeBitwise(dd, rd.Select((v, i) => gd[i] * (1 - v * v)).ToArray());
        ElementwiseGradient.Apply<double, Tensor.ReluGradient>(rd, gd, dd);
        ShouldBeBitwise(dd, rd.Select((v, i) => v > 0 ? gd[i] : 0.0).ToArray());
    }

    [TestCase("Relu")]
    [TestCase("Sigmoid")]
    [TestCase("Tanh")]
    public void FusedBackward_EqualsRecordedFormulaBitForBit(string op)
    {
        Func<Tensor, Tensor> f = op switch { "Relu" => t => t.Relu(), "Sigmoid" => t => t.Sigmoid(), _ => t => t.Tanh() };
        // The recorded formula, from the forward's own result (a forward computed twice may round
        // differently: TensorPrimitives' functions are not always reproducible call to call).
        Tensor Formula(Tensor r, Tensor g)
        {
            using (Tape.NoGrad())
            {
                var rd = r.Detach();
                return op switch
                {
                    "Relu" => Tensor.Where(rd.Gt(0), g, Tensor.Scalar(0, g.DType)),
                    "Sigmoid" => g * (1 - rd) * rd,
                    _ => g * (1 - rd * rd),
                };
            }
        }
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var x = Tensor.FromArray(Values(37, 7), 37).To(dtype);
            x.RequiresGrad = true;
            var g = Tensor.FromArray(Values(37, 8), 37).To(dtype);
            var r = f(x);
            r.Backward(g); // not recorded: the fused kernel
            Compare(x.Grad!, Formula(r, g));

            // Under createGraph the recorded formula itself runs.
            var x2 = x.Detach();
            x2.RequiresGrad = true;
            var r2 = f(x2);
            Compare(Tape.Grad(r2, [x2], g, createGraph: true)[0], Formula(r2, g));
        }

        static void Compare(Tensor actual, Tensor expected)
        {
            if (actual.DType == DType.Float32) ShouldBeBitwise(actual.ToArray<float>(), expected.ToArray<float>());
            else ShouldBeBitwise(actual.ToArray<double>(), expected.ToArray<double>());
        }
    }

    // Kernels of our own only: TensorPrimitives' Float64 Exp (and the Float64 sigmoid on it) was
    // seen to return different last bits for the same input from one call to the next (see
    // docs/performance.md), so its results cannot be compared run to run; Tanh and Log, also
    // TensorPrimitives', are left out for the same reason.
    [TestCase("Sigmoid", false)]
    [TestCase("Relu", false)]
    [TestCase("Relu", true)]
    public void Apply_LargeArraysOnAnyThreadCount_EqualsOneSpanCall(string op, bool float64)
    {
        var kind = Enum.Parse<UnaryKind>(op);
        int n = 3 * ParallelKernels.MinElementsPerThread + 77; // several chunks and a ragged end
        var x = Values(n, 3).Select(v => v * 30).ToArray(); // some exponentials overflow
        var xd = x.Select(v => (double)v).ToArray();
        var expected = new float[n];
        var expectedD = new double[n];
        UnaryKernels.Apply(kind, x.AsSpan(), expected.AsSpan());
        UnaryKernels.Apply(kind, xd.AsSpan(), expectedD.AsSpan());
        int saved = Threading.NumThreads;
        try
        {
            foreach (int threads in new[] { 1, 2, 3 })
            {
                Threading.NumThreads = threads;
                if (float64)
                {
                    var actual = new double[n];
                    UnaryKernels.Apply(kind, xd, actual);
                    ShouldBeBitwise(actual, expectedD);
                }
                else
                {
                    var actual = new float[n];
                    UnaryKernels.Apply(kind, x, actual);
                    ShouldBeBitwise(actual, expected);
                }
            }
        }
        finally
        {
            Threading.NumThreads = saved;
        }
    }
}
