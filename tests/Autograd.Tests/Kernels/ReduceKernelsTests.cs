using Autograd.Kernels;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Tests.Kernels;

/// <summary>The row-sum and row-broadcast kernels of the linear layer against naive loops (bitwise: same operations, same order).</summary>
[TestFixture]
public sealed class ReduceKernelsTests
{
    private static IEnumerable<TestCaseData> Shapes() =>
        from rows in new[] { 0, 1, 2, 7, 33 }
        from cols in new[] { 1, 3, 4, 5, 8, 9, 10, 17, 64 }
        select new TestCaseData(rows, cols).SetArgDisplayNames($"{rows}x{cols}");

    [TestCaseSource(nameof(Shapes))]
    public void SumRowsInDouble_AnyShape_EqualsSequentialDoubleSumRoundedOnce(int rows, int cols)
    {
        var rng = new Random(rows * 100 + cols);
        var f = Enumerable.Range(0, rows * cols).Select(_ => (float)(rng.NextDouble() * 2e3 - 1e3) * (rng.Next(3) == 0 ? 1e-6f : 1f)).ToArray();
        var actual = new float[cols];
        ReduceKernels.SumRowsInDouble<float>(f, cols, actual);
        for (int c = 0; c < cols; c++)
        {
            double acc = 0;
            for (int r = 0; r < rows; r++) acc += f[r * cols + c];
            actual[c].ShouldBe((float)acc, $"column {c}");
        }

        var d = f.Select(v => v * 1.0000001).ToArray();
        var actualD = new double[cols];
        ReduceKernels.SumRowsInDouble<double>(d, cols, actualD);
        for (int c = 0; c < cols; c++)
        {
            double acc = 0;
            for (int r = 0; r < rows; r++) acc += d[r * cols + c];
            actualD[c].ShouldBe(acc, $"column {c}");
        }
    }

    [TestCaseSource(nameof(Shapes))]
    public void AddToRows_AnyShape_AddsTheVectorToEveryRow(int rows, int cols)
    {
        var rng = new Random(rows * 7 + cols);
        var y = Enumerable.Range(0, rows * cols).Select(_ => (float)rng.NextDouble()).ToArray();
        var v = Enumerable.Range(0, cols).Select(_ => (float)rng.NextDouble()).ToArray();
        var expected = y.Select((e, i) => e + v[i % cols]).ToArray();
        BinaryKernels.AddToRows<float>(y, v);
        y.ShouldBe(expected);

        var yd = expected.Select(e => (double)e).ToArray();
        var vd = v.Select(e => (double)e / 3).ToArray();
        var expectedD = yd.Select((e, i) => e + vd[i % cols]).ToArray();
        BinaryKernels.AddToRows<double>(yd, vd);
        yd.ShouldBe(expectedD);
    }
}
