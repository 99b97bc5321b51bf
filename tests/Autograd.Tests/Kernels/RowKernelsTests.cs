using Autograd.Kernels;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Tests.Kernels;

/// <summary>
/// The linear layer's bias kernels on every column count up to 40 (the register blocks of 16
/// columns of <see cref="ReduceKernels.SumRowsInDouble{T}"/> with their masked edges, and the flat
/// path of <see cref="BinaryKernels.AddToRows{T}"/> for rows narrower than two vectors with its
/// period and tail), bit for bit against the naive loops, signed zeros and NaN included.
/// </summary>
[TestFixture]
public sealed class RowKernelsTests
{
    private static IEnumerable<TestCaseData> Shapes() =>
        from cols in Enumerable.Range(1, 40)
        from rows in new[] { 1, 4, 5, 37 }
        select new TestCaseData(rows, cols).SetArgDisplayNames($"{rows}x{cols}");

    private static float[] Values(Random rng, int n)
    {
        var special = new[] { 0f, -0f, float.NaN, 1e-30f, -3e7f };
        return Enumerable.Range(0, n)
            .Select(_ => rng.Next(10) == 0 ? special[rng.Next(special.Length)] : (float)((rng.NextDouble() * 2e3) - 1e3) * (rng.Next(3) == 0 ? 1e-6f : 1f))
            .ToArray();
    }

    [TestCaseSource(nameof(Shapes))]
    public void SumRowsInDouble_EveryWidth_BitIdenticalToSequentialDoubleSums(int rows, int cols)
    {
        var rng = new Random((rows * 1000) + cols);
        float[] f = Values(rng, rows * cols);
        float[] actual = new float[cols + 3];
        actual.AsSpan(cols).Fill(5f);
        ReduceKernels.SumRowsInDouble<float>(f, cols, actual);
        double[] d = f.Select(v => v * 1.0000001).ToArray();
        double[] actualD = new double[cols + 3];
        actualD.AsSpan(cols).Fill(5d);
        ReduceKernels.SumRowsInDouble<double>(d, cols, actualD);
        for (int c = 0; c < cols; c++)
        {
            double acc = 0, accD = 0;
            for (int r = 0; r < rows; r++)
            {
                acc += f[(r * cols) + c];
                accD += d[(r * cols) + c];
            }

            BitConverter.SingleToInt32Bits(actual[c]).ShouldBe(BitConverter.SingleToInt32Bits((float)acc), $"float column {c}");
            BitConverter.DoubleToInt64Bits(actualD[c]).ShouldBe(BitConverter.DoubleToInt64Bits(accD), $"double column {c}");
        }

        actual.AsSpan(cols).ToArray().ShouldAllBe(v => v == 5f);
        actualD.AsSpan(cols).ToArray().ShouldAllBe(v => v == 5d);
    }

    [TestCaseSource(nameof(Shapes))]
    public void AddToRows_EveryWidth_BitIdenticalToOneAdditionPerElement(int rows, int cols)
    {
        var rng = new Random((rows * 77) + cols);
        float[] y = Values(rng, rows * cols), v = Values(rng, cols);
        float[] expected = y.Select((e, i) => e + v[i % cols]).ToArray();
        BinaryKernels.AddToRows<float>(y, v);
        for (int i = 0; i < y.Length; i++)
            BitConverter.SingleToInt32Bits(y[i]).ShouldBe(BitConverter.SingleToInt32Bits(expected[i]), $"float element {i}");

        double[] yd = Values(rng, rows * cols).Select(e => (double)e).ToArray(), vd = v.Select(e => (double)e / 3).ToArray();
        double[] expectedD = yd.Select((e, i) => e + vd[i % cols]).ToArray();
        BinaryKernels.AddToRows<double>(yd, vd);
        for (int i = 0; i < yd.Length; i++)
            BitConverter.DoubleToInt64Bits(yd[i]).ShouldBe(BitConverter.DoubleToInt64Bits(expectedD[i]), $"double element {i}");
    }
}
