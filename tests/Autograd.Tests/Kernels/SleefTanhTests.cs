using System.Runtime.Intrinsics;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Tests.Kernels;

/// <summary>
/// Tanh is Sleef's tanh as torch.tanh computes it (Float64: Sleef_tanhd4_u10, xtanh; Float32:
/// Sleef_tanhf8_u10, xtanhf): checked bit for bit against values recorded from PyTorch 1.13
/// (tools/gen_sleef_tanh_fixtures.py), through the scalar form, the vector form, the span loop with
/// its scalar tail (and Tensor.Tanh, once routed); and the same input gives the same bits on every
/// call and at every array offset.
/// </summary>
[TestFixture]
public sealed class SleefTanhTests
{
    private static (double[] Input, double[] Tanh) Doubles()
    {
        var r = TorchRecorded.Doubles("tanh_float64.json", "input", "tanh");
        return (r[0], r[1]);
    }

    private static (float[] Input, float[] Tanh) Floats()
    {
        var r = TorchRecorded.Floats("tanh_float32.json", "input", "tanh");
        return (r[0], r[1]);
    }

    private static void ShouldMatchTorch(double[] actual, double[] input, double[] expected) => TorchRecorded.ShouldMatchTorch("tanh", actual, input, expected);

    private static void ShouldMatchTorch(float[] actual, float[] input, float[] expected) => TorchRecorded.ShouldMatchTorch("tanh", actual, input, expected);

    [Test]
    public void Fixtures_CoverTheSpecialCases()
    {
        var (x, y) = Doubles();
        x.Length.ShouldBe(4096);
        x.ShouldContain(double.NaN);
        x.ShouldContain(double.PositiveInfinity);
        x.ShouldContain(double.NegativeInfinity);
        x.ShouldContain(double.MaxValue);
        x.Count(v => v == 0 && double.IsNegative(v)).ShouldBe(1);
        x.Count(double.IsSubnormal).ShouldBeGreaterThan(10);
        x.Count(v => Math.Abs(v) > 18.714973875 && Math.Abs(v) < 18.72).ShouldBeGreaterThan(40);
        x.Count(v => Math.Abs(v) < 18.714973875 && Math.Abs(v) > 18.71).ShouldBeGreaterThan(40);
        x.Count(v => Math.Abs(v) < 1e-8).ShouldBeGreaterThan(100);
        x.Count(v => v < 0).ShouldBeGreaterThan(1000);
        y.Count(v => v == 1).ShouldBeGreaterThan(100);
        var (xf, yf) = Floats();
        xf.Length.ShouldBe(4096);
        xf.ShouldContain(float.NaN);
        xf.ShouldContain(float.PositiveInfinity);
        xf.ShouldContain(float.NegativeInfinity);
        xf.Count(v => v == 0 && float.IsNegative(v)).ShouldBe(1);
        xf.Count(float.IsSubnormal).ShouldBeGreaterThan(10);
        xf.Count(v => MathF.Abs(v) > 8.664339742f && MathF.Abs(v) < 8.67f).ShouldBeGreaterThan(40);
        xf.Count(v => MathF.Abs(v) < 8.664339742f && MathF.Abs(v) > 8.66f).ShouldBeGreaterThan(40);
        xf.Count(v => v < 0).ShouldBeGreaterThan(1000);
        yf.Count(v => v == -1).ShouldBeGreaterThan(100);
    }

    [Test]
    public void Float64_Scalar_MatchesTorchBitForBit()
    {
        var (x, y) = Doubles();
        ShouldMatchTorch(x.Select(SleefDouble.Tanh).ToArray(), x, y);
    }

    [Test]
    public void Float64_Vector_MatchesTorchBitForBit()
    {
        var (x, y) = Doubles();
        var actual = new double[x.Length];
        for (int i = 0; i < x.Length; i += 4) SleefDouble.Tanh(Vector256.Create(x.AsSpan(i, 4))).CopyTo(actual.AsSpan(i, 4));
        ShouldMatchTorch(actual, x, y);
    }

    [Test]
    public void Float64_ScalarTail_MatchesTorchBitForBit()
    {
        var (x, y) = Doubles();
        var actual = new double[x.Length];
        for (int i = 0; i < x.Length; i += 3) // spans of 3: all through the scalar tail
        {
            int n = Math.Min(3, x.Length - i);
            SleefDouble.Tanh(x.AsSpan(i, n), actual.AsSpan(i, n));
        }
        ShouldMatchTorch(actual, x, y);
    }

    [Test]
    public void TensorTanh_Float64_MatchesTorchBitForBit()
    {
        var (x, y) = Doubles();
        for (int call = 0; call < 3; call++) ShouldMatchTorch(Tensor.FromArray(x, x.Length).Tanh().ToArray<double>(), x, y);
        for (int start = 1; start <= 8; start++) // odd and even lengths, so the tail is used as well
            ShouldMatchTorch(Tensor.FromArray(x[start..], x.Length - start).Tanh().ToArray<double>(), x[start..], y[start..]);
    }

    [Test]
    public void Float32_Scalar_MatchesTorchBitForBit()
    {
        var (x, y) = Floats();
        ShouldMatchTorch(x.Select(SleefFloat.Tanh).ToArray(), x, y);
    }

    [Test]
    public void Float32_Vector_MatchesTorchBitForBit()
    {
        var (x, y) = Floats();
        var actual = new float[x.Length];
        for (int i = 0; i < x.Length; i += 8) SleefFloat.Tanh(Vector256.Create(x.AsSpan(i, 8))).CopyTo(actual.AsSpan(i, 8));
        ShouldMatchTorch(actual, x, y);
    }

    [Test]
    public void Float32_ScalarTail_MatchesTorchBitForBit()
    {
        var (x, y) = Floats();
        var actual = new float[x.Length];
        for (int i = 0; i < x.Length; i += 7) // spans of 7: all through the scalar tail
        {
            int n = Math.Min(7, x.Length - i);
            SleefFloat.Tanh(x.AsSpan(i, n), actual.AsSpan(i, n));
        }
        ShouldMatchTorch(actual, x, y);
    }

    [Test]
    public void TensorTanh_Float32_MatchesTorchBitForBit()
    {
        var (x, y) = Floats();
        for (int call = 0; call < 3; call++) ShouldMatchTorch(Tensor.FromArray(x, x.Length).Tanh().ToArray<float>(), x, y);
        for (int start = 1; start <= 8; start++) // odd and even lengths, so the tail is used as well
            ShouldMatchTorch(Tensor.FromArray(x[start..], x.Length - start).Tanh().ToArray<float>(), x[start..], y[start..]);
    }

    [Test]
    public void Tanh_RepeatedCalls_GiveTheSameBits()
    {
        // Enough calls for the JIT to recompile the loops (tiering, on-stack replacement): the
        // result must not change with the code path.
        var (x, y) = Doubles();
        var (xf, yf) = Floats();
        var d = new double[x.Length];
        var f = new float[xf.Length];
        for (int call = 0; call < 200; call++)
        {
            SleefDouble.Tanh(x, d);
            SleefFloat.Tanh(xf, f);
            if (call % 50 != 0 && call != 199) continue;
            ShouldMatchTorch(d, x, y);
            ShouldMatchTorch(f, xf, yf);
        }
    }

    [Test]
    public void Tanh_AnyOffset_GivesTheSameBits([Range(0, 7)] int offset)
    {
        // Input and destination at different offsets (so at different alignments), and the
        // vector/tail split moved over every value.
        var (x, y) = Doubles();
        int n = x.Length - 8;
        var xs = new double[n + 16];
        x.AsSpan(0, n).CopyTo(xs.AsSpan(offset));
        var d = new double[n + 16];
        int dOffset = (offset * 3) % 8;
        SleefDouble.Tanh(xs.AsSpan(offset, n), d.AsSpan(dOffset, n));
        ShouldMatchTorch(d.AsSpan(dOffset, n).ToArray(), x[..n], y[..n]);

        var (xf, yf) = Floats();
        var xsf = new float[n + 16];
        xf.AsSpan(0, n).CopyTo(xsf.AsSpan(offset));
        var df = new float[n + 16];
        SleefFloat.Tanh(xsf.AsSpan(offset, n), df.AsSpan(dOffset, n));
        ShouldMatchTorch(df.AsSpan(dOffset, n).ToArray(), xf[..n], yf[..n]);
    }

    [Test]
    public void SmallInputs_AreCorrectlyRounded()
    {
        // tanh x = x (1 - x^2/3 + ...): for these x the correction is below half an ulp, so the
        // correctly rounded tanh x is x itself (MathF.Tanh on Linux gives x + 1 ulp for 3.48e-7 * 9).
        var xs = Enumerable.Range(0, 64).Select(i => (float)(3.48e-7 * (i + 1))).ToArray();
        var f = new float[xs.Length];
        SleefFloat.Tanh(xs, f);
        for (int i = 0; i < xs.Length; i++)
        {
            BitConverter.SingleToInt32Bits(f[i]).ShouldBe(BitConverter.SingleToInt32Bits(xs[i]), $"tanh({xs[i]:R})");
            BitConverter.SingleToInt32Bits(SleefFloat.Tanh(-xs[i])).ShouldBe(BitConverter.SingleToInt32Bits(-xs[i]), $"tanh({-xs[i]:R})");
        }
        var xd = Enumerable.Range(0, 64).Select(i => 1.3e-10 * (i + 1)).ToArray();
        var d = new double[xd.Length];
        SleefDouble.Tanh(xd, d);
        for (int i = 0; i < xd.Length; i++)
        {
            BitConverter.DoubleToInt64Bits(d[i]).ShouldBe(BitConverter.DoubleToInt64Bits(xd[i]), $"tanh({xd[i]:R})");
            BitConverter.DoubleToInt64Bits(SleefDouble.Tanh(-xd[i])).ShouldBe(BitConverter.DoubleToInt64Bits(-xd[i]), $"tanh({-xd[i]:R})");
        }
    }
}
