using NUnit.Framework;
using Shouldly;
using F = Autograd.Nn.Functional;

namespace Autograd.Nn.Tests.Losses;

/// <summary>
/// The zeros of NLLLoss's gradient carry PyTorch's signs: it writes w[t] · (-(g / Σw)) into a
/// zeroed gradient, so the other classes and the ignored positions hold +0 and a target of weight 0
/// holds 0 · (negative) = -0. Recorded with torch 1.13 for
/// <c>nll_loss(logp (3, 4), target [1, -100, 2], weight [1, 2, 0, 3])</c> and an upstream gradient
/// of ones; the values are exact (-1 = -2/2 for Mean, -2 otherwise).
/// </summary>
[TestFixture]
public sealed class NllGradientZerosTests
{
    [TestCase(Reduction.Mean, -1.0)]
    [TestCase(Reduction.Sum, -2.0)]
    [TestCase(Reduction.None, -2.0)]
    public void Gradient_ZerosHavePyTorchsSigns(Reduction reduction, double atTarget)
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var logp = Tensor.Randn([3, 4], new Generator(1), dtype).LogSoftmax(1).Detach();
            logp.RequiresGrad = true;
            var target = Tensor.FromArray([1L, -100L, 2L]);
            var weight = Tensor.FromArray([1.0, 2.0, 0.0, 3.0], 4).To(dtype);
            var loss = F.NllLoss(logp, target, weight, reduction: reduction);
            var grad = Tape.Grad(loss, [logp], Tensor.OnesLike(loss))[0].ToArray<double>();
            double[] expected = [0, atTarget, 0, 0, 0, 0, 0, 0, 0, 0, -0.0, 0];
            for (int i = 0; i < expected.Length; i++)
                BitConverter.DoubleToInt64Bits(grad[i]).ShouldBe(BitConverter.DoubleToInt64Bits(expected[i]),
                    $"{reduction} {dtype}: grad[{i}] = {grad[i]:R}, PyTorch {expected[i]:R}");
        }
    }

    [Test]
    public void Gradient_WithoutWeights_IsPlusZeroOffTheTargets()
    {
        var logp = Tensor.FromArray(new float[,] { { 4, 8, 3 }, { 1, 2, 3 } }).LogSoftmax(1).Detach();
        logp.RequiresGrad = true;
        var grad = Tape.Grad(F.NllLoss(logp, Tensor.FromArray([1L, 0L])), [logp])[0].ToArray<float>();
        grad.Select(v => BitConverter.SingleToInt32Bits(v)).ShouldBe(new[] { 0f, -0.5f, 0f, -0.5f, 0f, 0f }.Select(BitConverter.SingleToInt32Bits));
    }
    [TestCase(Reduction.Sum)]
    [TestCase(Reduction.Mean)]
    [TestCase(Reduction.None)]
    public void CrossEntropy_ZeroWeightTarget_HasPyTorchsSignedZeros(Reduction reduction)
    {
        // torch 1.13: cross_entropy([[1, 2, 3], [0.5, 0.1, -1]], [1, 0], weight [1, 0, 2]) backward
        // with ones gives row 0 = [0.0, -0.0, 0.0] for every reduction (log_softmax backward of
        // nll's [+0, -0, +0]: -0 - p · (+0) = -0 at the target).
        var x = Tensor.FromArray(new float[,] { { 1, 2, 3 }, { 0.5f, 0.1f, -1 } });
        x.RequiresGrad = true;
        var loss = F.CrossEntropy(x, Tensor.FromArray([1L, 0L]), Tensor.FromArray([1f, 0f, 2f]), reduction: reduction);
        loss.Backward(Tensor.OnesLike(loss));
        var grad = x.Grad!.ToArray<float>();
        grad.Take(3).Select(BitConverter.SingleToInt32Bits).ShouldBe(new[] { 0f, -0f, 0f }.Select(BitConverter.SingleToInt32Bits));
        grad.Skip(3).ShouldBe([-0.4718635678291321f, 0.3540204167366028f, 0.11784317344427109f], tolerance: 1e-7);
    }
}
