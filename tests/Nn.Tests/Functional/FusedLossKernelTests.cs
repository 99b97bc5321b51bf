using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Nn.Tests.FunctionalForms;

/// <summary>
/// The fused loss kernels against the code they replace: the 8-rows-at-a-time log-sum-exp and the
/// vector Sleef log against the row-at-a-time and scalar versions, and the fused gradients of
/// CrossEntropy and BCEWithLogits against their tensor-op formulas. All bitwise: the fused code
/// does the same IEEE operations in the same order.
/// </summary>
[TestFixture]
public sealed class FusedLossKernelTests
{
    private static float[] Values(int n, int seed, double scale = 4, bool specials = false)
    {
        var rng = new Random(seed);
        var special = new[] { 0f, -0f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 1e-40f, 80f, -90f };
        var x = new float[n];
        for (int i = 0; i < n; i++)
            x[i] = specials && rng.Next(8) == 0 ? special[rng.Next(special.Length)] : (float)((rng.NextDouble() * 2 - 1) * scale);
        return x;
    }

    private static void ShouldBeBitwise(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, string what)
    {
        actual.Length.ShouldBe(expected.Length, what);
        for (int i = 0; i < actual.Length; i++)
            BitConverter.SingleToInt32Bits(actual[i]).ShouldBe(BitConverter.SingleToInt32Bits(expected[i]), $"{what}[{i}]: {actual[i]:R} vs {expected[i]:R}");
    }

    private static void ShouldBeBitwise(ReadOnlySpan<double> actual, ReadOnlySpan<double> expected, string what)
    {
        actual.Length.ShouldBe(expected.Length, what);
        for (int i = 0; i < actual.Length; i++)
            BitConverter.DoubleToInt64Bits(actual[i]).ShouldBe(BitConverter.DoubleToInt64Bits(expected[i]), $"{what}[{i}]: {actual[i]:R} vs {expected[i]:R}");
    }

    [Test]
    public void SleefLog_Vector_EqualsScalarBitForBit()
    {
        var rng = new Random(5);
        var inputs = new List<float> { 0f, -0f, -1f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, float.Epsilon, 1e-40f, 1.17549435e-38f, 1f, 0.75f, 1.5f, float.MaxValue };
        for (int i = 0; i < 4000; i++) inputs.Add(BitConverter.Int32BitsToSingle(rng.Next(1, 0x7f800000))); // every positive finite exponent
        for (int i = 0; i < 2000; i++) inputs.Add((float)(rng.NextDouble() * 30));
        while (inputs.Count % 8 != 0) inputs.Add(2f);
        var x = inputs.ToArray();
        var actual = new float[x.Length];
        for (int i = 0; i < x.Length; i += 8) SleefFloat.Log(Vector256.Create(x.AsSpan(i, 8))).CopyTo(actual.AsSpan(i, 8));
        ShouldBeBitwise(actual, x.Select(SleefFloat.Log).ToArray(), "log");
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(7)]
    [TestCase(8)]
    [TestCase(10)]
    [TestCase(15)]
    [TestCase(16)]
    [TestCase(17)]
    [TestCase(40)]
    public void LogSumExpRows_AnyClassCount_EqualsRowAtATime(int classes)
    {
        foreach (bool specials in new[] { false, true })
        {
            int rows = 8 * 5 + 3;
            var x = Values(rows * classes, classes, scale: 30, specials);
            var max = new float[rows];
            var logSum = new float[rows];
            int done = SleefRows.LogSumExpRows(x, rows, classes, max, logSum);
            if (!System.Runtime.Intrinsics.X86.Avx2.IsSupported)
            {
                done.ShouldBe(0);
                Assert.Ignore("No AVX2: the row-at-a-time code is used.");
            }
            done.ShouldBe(rows - rows % 8);
            for (int r = 0; r < done; r++)
            {
                var row = x.AsSpan(r * classes, classes);
                float m = TensorPrimitives.Max<float>(row);
                float s;
                if (classes >= 8) s = SleefRows.LaneSumExp(row, m);
                else
                {
                    s = 0;
                    foreach (var v in row) s += SleefFloat.Exp(v - m);
                }
                string what = $"row {r} ({string.Join(", ", row.ToArray())})";
                if (!float.IsNaN(m)) BitConverter.SingleToInt32Bits(max[r]).ShouldBe(BitConverter.SingleToInt32Bits(m), what + " max");
                else float.IsNaN(max[r]).ShouldBeTrue(what);
                float expected = SleefFloat.Log(s);
                if (float.IsNaN(expected)) float.IsNaN(logSum[r]).ShouldBeTrue(what);
                else BitConverter.SingleToInt32Bits(logSum[r]).ShouldBe(BitConverter.SingleToInt32Bits(expected), what + " log-sum");
            }
        }
    }

    private static IEnumerable<TestCaseData> CrossEntropyCases() =>
        from reduction in new[] { Reduction.Mean, Reduction.Sum, Reduction.None }
        from weighted in new[] { false, true }
        from ignore in new[] { false, true }
        from dtype in new[] { DType.Float32, DType.Float64 }
        from shape in new[] { new[] { 19, 10 }, new[] { 10 }, new[] { 33, 3 } }
        select new TestCaseData(reduction, weighted, ignore, dtype, shape)
            .SetArgDisplayNames($"{reduction}_{(weighted ? "weighted" : "plain")}_{(ignore ? "ignore" : "all")}_{dtype}_[{string.Join(",", shape)}]");

    [TestCaseSource(nameof(CrossEntropyCases))]
    public void CrossEntropy_FusedGradient_EqualsTensorFormula(Reduction reduction, bool weighted, bool ignore, DType dtype, int[] shape)
    {
        int classes = shape[^1], positions = shape.Length == 1 ? 1 : shape[0];
        var x = Tensor.FromArray(Values(positions * classes, 11, scale: 5), shape).To(dtype);
        x.RequiresGrad = true;
        var rng = new Random(12);
        var t = Enumerable.Range(0, positions).Select(k => ignore && k % 4 == 1 ? 2L : rng.Next(classes)).ToArray();
        var target = shape.Length == 1 ? Tensor.Scalar(t[0]) : Tensor.FromArray(t, positions);
        var w = Values(classes, 13).Select(v => MathF.Abs(v) + 0.25f).ToArray();
        if (classes == 10) w[4] = 0; // a zero weight: a zero at that target, whose row sum is then a sum of zeros
        var weight = weighted ? Tensor.FromArray(w, classes).To(dtype) : null;
        long ignoreIndex = ignore ? 2 : -100;

        var loss = global::Autograd.Nn.Functional.CrossEntropy(x, target, weight, ignoreIndex, reduction);
        var g = reduction == Reduction.None ? Tensor.FromArray(Values(loss.NumberOfElements, 14), loss.NumberOfElements).Reshape(loss.Dims).To(dtype) : Tensor.Scalar(0.75, dtype);
        loss.Backward(g); // not recorded: the fused kernel

        // The tensor formula the fused kernel replaces (CrossEntropyFunction.Backward under NoGrad).
        Tensor expected;
        using (Tape.NoGrad())
        {
            var layout = ClassificationChecks.Check("CrossEntropy", x, target, weight, ignoreIndex, reduction, 0, allowProbabilities: true);
            var logp = dtype == DType.Float32 ? LogSoftmax<float>(x, layout, target, weight, ignoreIndex, out double total)
                : LogSoftmax<double>(x, layout, target, weight, ignoreIndex, out total);
            int counted = t.Count(v => v != ignoreIndex);
            var gg = reduction == Reduction.None && layout.ClassDim == 1 ? g.Unsqueeze(1) : g;
            // As CrossEntropyFunction passes them: Σw as the forward added it, and 0 for the smoothing Σw.
            var a = ClassificationGradients.IndexTargets(layout, dtype, target, weight, null, ignoreIndex, reduction, 0, gg, total, 0, counted);
            var p = ClassificationGradients.ExpConstant(logp);
            expected = a - p * a.Sum(layout.ClassDim, keepDim: true);
        }
        if (dtype == DType.Float32) ShouldBeBitwise(x.Grad!.ToArray<float>(), expected.ToArray<float>(), "dx");
        else ShouldBeBitwise(x.Grad!.ToArray<double>(), expected.ToArray<double>(), "dx");
    }

    private static IEnumerable<TestCaseData> BceCases() =>
        from reduction in new[] { Reduction.Mean, Reduction.Sum, Reduction.None }
        from weighted in new[] { false, true }
        from positive in new[] { false, true }
        from dtype in new[] { DType.Float32, DType.Float64 }
        select new TestCaseData(reduction, weighted, positive, dtype)
            .SetArgDisplayNames($"{reduction}_{(weighted ? "weight" : "noweight")}_{(positive ? "posweight" : "noposweight")}_{dtype}");

    [TestCaseSource(nameof(BceCases))]
    public void BinaryCrossEntropyWithLogits_FusedGradient_EqualsTensorFormula(Reduction reduction, bool weighted, bool positive, DType dtype)
    {
        var x = Tensor.FromArray(Values(21 * 3, 21, scale: 12, specials: true), 21, 3).To(dtype);
        var y = Tensor.FromArray(Values(21 * 3, 22).Select(v => MathF.Round(MathF.Abs(v) / 4, 1)).ToArray(), 21, 3).To(dtype);
        var weight = weighted ? Tensor.FromArray(Values(3, 23).Select(MathF.Abs).ToArray(), 3).To(dtype) : null;
        var posWeight = positive ? Tensor.FromArray(Values(21 * 3, 24).Select(v => MathF.Abs(v) + 0.5f).ToArray(), 21, 3).To(dtype) : null;
        var g = reduction == Reduction.None ? Tensor.FromArray(Values(63, 25), 21, 3).To(dtype) : Tensor.Scalar(1.25, dtype);

        Tensor expected, actual;
        using (Tape.NoGrad())
        {
            // One σ(x) for both: TensorPrimitives' Float64 sigmoid may round differently from one
            // call to the next (see Apply_LargeArraysOnAnyThreadCount_EqualsOneSpanCall).
            var s = x.Sigmoid();
            // The formula in BinaryCrossEntropyWithLogitsFunction.Backward.
            var local = posWeight is null ? s - y : (posWeight * y + 1 - y) * s - posWeight * y;
            expected = ElementwiseLoss.WeightAndMean(local * g, weight, reduction, x.NumberOfElements);
            actual = s.Clone();
            if (dtype == DType.Float32)
                LossGradientKernels.BinaryCrossEntropyWithLogits<float>(actual.Buffer<float>(), y.Buffer<float>(), ElementwiseLoss.Expanded<float>(posWeight, x),
                    ElementwiseLoss.Expanded<float>(weight, x), g.Buffer<float>(), reduction == Reduction.Mean);
            else
                LossGradientKernels.BinaryCrossEntropyWithLogits<double>(actual.Buffer<double>(), y.Buffer<double>(), ElementwiseLoss.Expanded<double>(posWeight, x),
                    ElementwiseLoss.Expanded<double>(weight, x), g.Buffer<double>(), reduction == Reduction.Mean);
        }
        if (dtype == DType.Float32) ShouldBeBitwise(actual.ToArray<float>(), expected.ToArray<float>(), "dx");
        else ShouldBeBitwise(actual.ToArray<double>(), expected.ToArray<double>(), "dx");

        if (dtype != DType.Float32) return;
        // End to end in Float32 (whose sigmoid is our own, reproducible kernel): Backward runs the fused path.
        var xr = x.Detach();
        xr.RequiresGrad = true;
        global::Autograd.Nn.Functional.BinaryCrossEntropyWithLogits(xr, y, weight, posWeight, reduction).Backward(g);
        ShouldBeBitwise(xr.Grad!.ToArray<float>(), expected.ToArray<float>(), "dx (Backward)");
    }

    /// <summary>log p as the CrossEntropy forward computes and keeps it, and Σ w[t] as it adds it.</summary>
    private static Tensor LogSoftmax<T>(Tensor x, ClassLayout layout, Tensor target, Tensor? weight, long ignoreIndex, out double total)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var max = new T[layout.Positions];
        var logSum = new T[layout.Positions];
        ClassificationLossKernels.LogSumExp<T>(x.Buffer<T>(), layout, max, logSum);
        var logp = Tensor.Empty((int[])x.Dims.Clone(), x.DType);
        ClassificationLossKernels.LogSoftmax<T>(x.Buffer<T>(), layout, max, logSum, logp.Buffer<T>());
        total = double.CreateChecked(ClassificationLossKernels.Nll<T>(x.Buffer<T>(), layout, target.Buffer<long>(), weight is null ? [] : weight.Buffer<T>(),
            ignoreIndex, max, logSum, []).TotalWeight);
        return logp;
    }
}
