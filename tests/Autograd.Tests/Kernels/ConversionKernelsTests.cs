using Autograd.Kernels;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Tests.Kernels;

/// <summary>
/// The generic kernels the ops reach through <see cref="DTypeDispatch"/> against the C# casts and
/// loops they replaced: dtype conversion, Int64 clamp bounds, tie masks and condition masks.
/// Bitwise: no tolerance.
/// </summary>
[TestFixture]
public sealed class ConversionKernelsTests
{
    private static readonly double[] Doubles =
        [0.0, -0.0, 0.5, -0.5, 1.5, -2.5, 3.7, 1e-310, 1e30, -1e30, 1e300, -1e300, 9.2233720368547758e18, -9.2233720368547758e18,
         double.NaN, double.PositiveInfinity, double.NegativeInfinity, 16777217.0, 0.1];

    [Test]
    public void Convert_EdgeValues_MatchCasts()
    {
        var doubles = Doubles;
        var floats = doubles.Select(v => (float)v).ToArray();
        var longs = new[] { 0L, 1L, -1L, long.MaxValue, long.MinValue, (1L << 53) + 1, (1L << 24) + 1, 123456789012345L };

        Run<double, float>(doubles).Select(BitConverter.SingleToInt32Bits).ShouldBe(doubles.Select(v => BitConverter.SingleToInt32Bits((float)v)));
        Run<float, double>(floats).Select(BitConverter.DoubleToInt64Bits).ShouldBe(floats.Select(v => BitConverter.DoubleToInt64Bits(v)));
        Run<double, long>(doubles).ShouldBe(doubles.Select(v => (long)v));
        Run<float, long>(floats).ShouldBe(floats.Select(v => (long)v));
        Run<long, float>(longs).Select(BitConverter.SingleToInt32Bits).ShouldBe(longs.Select(v => BitConverter.SingleToInt32Bits(v)));
        Run<long, double>(longs).Select(BitConverter.DoubleToInt64Bits).ShouldBe(longs.Select(v => BitConverter.DoubleToInt64Bits(v)));

        static TTo[] Run<TFrom, TTo>(TFrom[] x)
            where TFrom : unmanaged, System.Numerics.INumber<TFrom>
            where TTo : unmanaged, System.Numerics.INumber<TTo>
        {
            var d = new TTo[x.Length];
            CopyKernels.Convert<TFrom, TTo>(x, d);
            return d;
        }
    }

    [Test]
    public void ClampToBounds_Int64_KeepsTheIntegersInsideTheBounds()
    {
        long[] x = [-5, -2, -1, 0, 1, 2, 5];
        var d = new long[x.Length];
        UnaryKernels.ClampToBounds<long>(x, -1.5, 1.5, d);
        d.ShouldBe([-1L, -1, -1, 0, 1, 1, 1]);
    }

    [Test]
    public void ClampToBounds_Float32_RoundsTheBoundsToFloat()
    {
        float[] x = [0.1f, 0.2f, 0.3f];
        var d = new float[x.Length];
        UnaryKernels.ClampToBounds<float>(x, 0.2, null, d);
        d.Select(BitConverter.SingleToInt32Bits).ShouldBe(new[] { 0.2f, 0.2f, 0.3f }.Select(BitConverter.SingleToInt32Bits));
    }

    [Test]
    public void TieMask_MarksEqualValuesOrNaNs()
    {
        float[] x = [1f, 0.1f, float.NaN, 0.1f, 2f];
        var mask = new long[x.Length];
        ReduceKernels.TieMask<float>(x, 0.1, mask); // 0.1 rounded to float, as the Float32 maximum was
        mask.ShouldBe([0L, 1, 0, 1, 0]);
        ReduceKernels.TieMask<float>(x, double.NaN, mask);
        mask.ShouldBe([0L, 0, 1, 0, 0]);
    }

    [Test]
    public void Nonzero_Broadcast_TrueForNonzeroAndNaN()
    {
        double[] x = [0.0, -0.0, double.NaN];
        var mask = new bool[6];
        CopyKernels.Nonzero(x, [1, 3], mask, [2, 3]);
        mask.ShouldBe([false, false, true, false, false, true]);
    }
}
