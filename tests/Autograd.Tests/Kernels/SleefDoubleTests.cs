using System.Runtime.Intrinsics;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Tests.Kernels;

/// <summary>
/// Float64 Exp and Sigmoid are Sleef's exp (Sleef_expd4_u10, as in PyTorch's vector kernels),
/// Float32 Exp is Sleef's expf: checked bit for bit against values recorded from PyTorch 1.13
/// (tools/gen_sleef_double_fixtures.py), through the scalar form, the vector loop and the scalar
/// tail; and the same input gives the same bits on every call and at every array offset.
/// </summary>
[TestFixture]
public sealed class SleefDoubleTests
{
    private sealed record DoubleFixture(double[] Input, double[] Exp, double[] Sigmoid);

    private static DoubleFixture Doubles()
    {
        var r = TorchRecorded.Doubles("sleef_double.json", "input", "exp", "sigmoid");
        return new(r[0], r[1], r[2]);
    }

    private static (float[] Input, float[] Exp) Floats()
    {
        var r = TorchRecorded.Floats("exp_float32.json", "input", "exp");
        return (r[0], r[1]);
    }

    private static void ShouldMatchTorch(string op, double[] actual, double[] input, double[] expected) => TorchRecorded.ShouldMatchTorch(op, actual, input, expected);

    private static void ShouldMatchTorch(string op, float[] actual, float[] input, float[] expected) => TorchRecorded.ShouldMatchTorch(op, actual, input, expected);

    [Test]
    public void Fixture_CoversTheSpecialCases()
    {
        var f = Doubles();
        f.Input.Length.ShouldBe(4096);
        f.Input.ShouldContain(double.NaN);
        f.Input.ShouldContain(double.PositiveInfinity);
        f.Input.ShouldContain(double.NegativeInfinity);
        f.Input.Count(x => x == 0 && double.IsNegative(x)).ShouldBe(1);
        f.Exp.Count(double.IsSubnormal).ShouldBeGreaterThan(0);
        f.Exp.Count(double.IsPositiveInfinity).ShouldBeGreaterThan(0);
        f.Exp.Count(e => e == 0).ShouldBeGreaterThan(0);
    }

    [Test]
    public void Exp_Scalar_MatchesTorchBitForBit()
    {
        var f = Doubles();
        ShouldMatchTorch("exp", f.Input.Select(SleefDouble.Exp).ToArray(), f.Input, f.Exp);
    }

    [Test]
    public void Exp_Vector_MatchesTorchBitForBit()
    {
        var f = Doubles();
        var actual = new double[f.Input.Length];
        for (int i = 0; i < f.Input.Length; i += 4)
            SleefDouble.Exp(Vector256.Create(f.Input.AsSpan(i, 4))).CopyTo(actual.AsSpan(i, 4));
        ShouldMatchTorch("exp", actual, f.Input, f.Exp);
    }

    [Test]
    public void Exp_ScalarTail_MatchesTorchBitForBit()
    {
        var f = Doubles();
        var actual = new double[f.Input.Length];
        for (int i = 0; i < f.Input.Length; i += 3) // spans of 3: all through the scalar tail
        {
            int n = Math.Min(3, f.Input.Length - i);
            SleefDouble.Exp(f.Input.AsSpan(i, n), actual.AsSpan(i, n));
        }
        ShouldMatchTorch("exp", actual, f.Input, f.Exp);
    }

    [Test]
    public void TensorExp_Float64_MatchesTorchBitForBit()
    {
        var f = Doubles();
        ShouldMatchTorch("exp", Tensor.FromArray(f.Input, f.Input.Length).Exp().ToArray<double>(), f.Input, f.Exp);
    }

    [Test]
    public void TensorSigmoid_Float64_MatchesTorchBitForBit()
    {
        var f = Doubles();
        ShouldMatchTorch("sigmoid", Tensor.FromArray(f.Input, f.Input.Length).Sigmoid().ToArray<double>(), f.Input, f.Sigmoid);
    }

    [Test]
    public void Sigmoid_ScalarTail_MatchesTorchVectorKernelBitForBit()
    {
        // PyTorch's own tail uses std::exp; ours uses the same Sleef exp as the vector loop.
        var f = Doubles();
        var actual = new double[f.Input.Length];
        for (int i = 0; i < f.Input.Length; i += 3)
        {
            int n = Math.Min(3, f.Input.Length - i);
            SleefDouble.Sigmoid(f.Input.AsSpan(i, n), actual.AsSpan(i, n));
        }
        ShouldMatchTorch("sigmoid", actual, f.Input, f.Sigmoid);
    }

    [Test]
    public void ExpAndSigmoid_RepeatedCalls_GiveTheSameBits()
    {
        // Enough calls for the JIT to recompile the loops (tiering, on-stack replacement): the
        // result must not change with the code path.
        var f = Doubles();
        var exp = new double[f.Input.Length];
        var sig = new double[f.Input.Length];
        for (int call = 0; call < 200; call++)
        {
            SleefDouble.Exp(f.Input, exp);
            SleefDouble.Sigmoid(f.Input, sig);
            if (call % 50 != 0 && call != 199) continue;
            ShouldMatchTorch("exp", exp, f.Input, f.Exp);
            ShouldMatchTorch("sigmoid", sig, f.Input, f.Sigmoid);
        }
        for (int call = 0; call < 3; call++)
        {
            ShouldMatchTorch("exp", Tensor.FromArray(f.Input, f.Input.Length).Exp().ToArray<double>(), f.Input, f.Exp);
            ShouldMatchTorch("sigmoid", Tensor.FromArray(f.Input, f.Input.Length).Sigmoid().ToArray<double>(), f.Input, f.Sigmoid);
        }
    }

    [Test]
    public void ExpAndSigmoid_AnyOffset_GiveTheSameBits([Range(0, 7)] int offset)
    {
        // Input and destination at different offsets (so at different alignments), and the
        // vector/tail split moved over every value.
        var f = Doubles();
        int n = f.Input.Length - 8;
        var x = new double[n + 16];
        f.Input.AsSpan(0, n).CopyTo(x.AsSpan(offset));
        var d = new double[n + 16];
        int dOffset = (offset * 3) % 8;
        SleefDouble.Exp(x.AsSpan(offset, n), d.AsSpan(dOffset, n));
        ShouldMatchTorch("exp", d.AsSpan(dOffset, n).ToArray(), f.Input[..n], f.Exp[..n]);
        SleefDouble.Sigmoid(x.AsSpan(offset, n), d.AsSpan(dOffset, n));
        ShouldMatchTorch("sigmoid", d.AsSpan(dOffset, n).ToArray(), f.Input[..n], f.Sigmoid[..n]);
        var start = offset + 1; // an odd length, so the tail is used as well
        var t = Tensor.FromArray(f.Input[start..], f.Input.Length - start);
        ShouldMatchTorch("exp", t.Exp().ToArray<double>(), f.Input[start..], f.Exp[start..]);
        ShouldMatchTorch("sigmoid", t.Sigmoid().ToArray<double>(), f.Input[start..], f.Sigmoid[start..]);
    }

    [Test]
    public void TensorExp_Float32_MatchesTorchBitForBit()
    {
        var (input, expected) = Floats();
        ShouldMatchTorch("exp", Tensor.FromArray(input, input.Length).Exp().ToArray<float>(), input, expected);
        ShouldMatchTorch("exp", input.Select(SleefFloat.Exp).ToArray(), input, expected);
        var actual = new float[input.Length];
        for (int i = 0; i < input.Length; i += 7) // spans of 7: all through the scalar tail
        {
            int n = Math.Min(7, input.Length - i);
            SleefFloat.Exp(input.AsSpan(i, n), actual.AsSpan(i, n));
        }
        ShouldMatchTorch("exp", actual, input, expected);
    }
}
