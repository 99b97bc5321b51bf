using System.Runtime.Intrinsics;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Tests.Kernels;

/// <summary>
/// Log is Sleef's log as torch.log computes it (Float64: Sleef_logd4_u10, xlog_u1; Float32:
/// Sleef_logf8_u10): checked bit for bit against values recorded from PyTorch 1.13
/// (tools/gen_sleef_log_fixtures.py), through the scalar form, the vector form, the span loop with
/// its scalar tail and Tensor.Log; and the same input gives the same bits on every call and at
/// every array offset.
/// </summary>
[TestFixture]
public sealed class SleefLogTests
{
    private static (double[] Input, double[] Log) Doubles()
    {
        var r = TorchRecorded.Doubles("log_float64.json", "input", "log");
        return (r[0], r[1]);
    }

    private static (float[] Input, float[] Log) Floats()
    {
        var r = TorchRecorded.Floats("log_float32.json", "input", "log");
        return (r[0], r[1]);
    }

    private static void ShouldMatchTorch(double[] actual, double[] input, double[] expected) => TorchRecorded.ShouldMatchTorch("log", actual, input, expected);

    private static void ShouldMatchTorch(float[] actual, float[] input, float[] expected) => TorchRecorded.ShouldMatchTorch("log", actual, input, expected);

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
        x.Count(double.IsSubnormal).ShouldBeGreaterThan(20);
        x.Count(v => v < 0).ShouldBeGreaterThan(5);
        x.Count(v => Math.Abs(v - 1) < 1e-6).ShouldBeGreaterThan(100);
        y.Count(double.IsNegativeInfinity).ShouldBe(2);
        var (xf, yf) = Floats();
        xf.Length.ShouldBe(4096);
        xf.ShouldContain(float.NaN);
        xf.ShouldContain(float.PositiveInfinity);
        xf.Count(v => v == 0 && float.IsNegative(v)).ShouldBe(1);
        xf.Count(float.IsSubnormal).ShouldBeGreaterThan(20);
        xf.Count(v => v < 0).ShouldBeGreaterThan(5);
        yf.Count(float.IsNegativeInfinity).ShouldBe(2);
    }

    [Test]
    public void Float64_Scalar_MatchesTorchBitForBit()
    {
        var (x, y) = Doubles();
        ShouldMatchTorch(x.Select(SleefDouble.Log).ToArray(), x, y);
    }

    [Test]
    public void Float64_Vector_MatchesTorchBitForBit()
    {
        var (x, y) = Doubles();
        var actual = new double[x.Length];
        for (int i = 0; i < x.Length; i += 4) SleefDouble.Log(Vector256.Create(x.AsSpan(i, 4))).CopyTo(actual.AsSpan(i, 4));
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
            SleefDouble.Log(x.AsSpan(i, n), actual.AsSpan(i, n));
        }
        ShouldMatchTorch(actual, x, y);
    }

    [Test]
    public void TensorLog_Float64_MatchesTorchBitForBit()
    {
        var (x, y) = Doubles();
        ShouldMatchTorch(Tensor.FromArray(x, x.Length).Log().ToArray<double>(), x, y);
    }

    [Test]
    public void Float32_ScalarVectorAndTail_MatchTorchBitForBit()
    {
        var (x, y) = Floats();
        ShouldMatchTorch(x.Select(SleefFloat.Log).ToArray(), x, y);
        var actual = new float[x.Length];
        for (int i = 0; i < x.Length; i += 8) SleefFloat.Log(Vector256.Create(x.AsSpan(i, 8))).CopyTo(actual.AsSpan(i, 8));
        ShouldMatchTorch(actual, x, y);
        for (int i = 0; i < x.Length; i += 7) // spans of 7: all through the scalar tail
        {
            int n = Math.Min(7, x.Length - i);
            SleefFloat.Log(x.AsSpan(i, n), actual.AsSpan(i, n));
        }
        ShouldMatchTorch(actual, x, y);
    }

    [Test]
    public void TensorLog_Float32_MatchesTorchBitForBit()
    {
        var (x, y) = Floats();
        ShouldMatchTorch(Tensor.FromArray(x, x.Length).Log().ToArray<float>(), x, y);
    }

    [Test]
    public void Log_RepeatedCalls_GiveTheSameBits()
    {
        // Enough calls for the JIT to recompile the loops (tiering, on-stack replacement): the
        // result must not change with the code path.
        var (x, y) = Doubles();
        var (xf, yf) = Floats();
        var d = new double[x.Length];
        var f = new float[xf.Length];
        for (int call = 0; call < 200; call++)
        {
            SleefDouble.Log(x, d);
            SleefFloat.Log(xf, f);
            if (call % 50 != 0 && call != 199) continue;
            ShouldMatchTorch(d, x, y);
            ShouldMatchTorch(f, xf, yf);
        }
        for (int call = 0; call < 3; call++)
        {
            ShouldMatchTorch(Tensor.FromArray(x, x.Length).Log().ToArray<double>(), x, y);
            ShouldMatchTorch(Tensor.FromArray(xf, xf.Length).Log().ToArray<float>(), xf, yf);
        }
    }

    [Test]
    public void Log_AnyOffset_GivesTheSameBits([Range(0, 7)] int offset)
    {
        // Input and destination at different offsets (so at different alignments), and the
        // vector/tail split moved over every value.
        var (x, y) = Doubles();
        int n = x.Length - 8;
        var xs = new double[n + 16];
        x.AsSpan(0, n).CopyTo(xs.AsSpan(offset));
        var d = new double[n + 16];
        int dOffset = (offset * 3) % 8;
        SleefDouble.Log(xs.AsSpan(offset, n), d.AsSpan(dOffset, n));
        ShouldMatchTorch(d.AsSpan(dOffset, n).ToArray(), x[..n], y[..n]);
        var start = offset + 1; // an odd length, so the tail is used as well
        ShouldMatchTorch(Tensor.FromArray(x[start..], x.Length - start).Log().ToArray<double>(), x[start..], y[start..]);

        var (xf, yf) = Floats();
        var xsf = new float[n + 16];
        xf.AsSpan(0, n).CopyTo(xsf.AsSpan(offset));
        var df = new float[n + 16];
        SleefFloat.Log(xsf.AsSpan(offset, n), df.AsSpan(dOffset, n));
        ShouldMatchTorch(df.AsSpan(dOffset, n).ToArray(), xf[..n], yf[..n]);
        ShouldMatchTorch(Tensor.FromArray(xf[start..], xf.Length - start).Log().ToArray<float>(), xf[start..], yf[start..]);
    }
}
