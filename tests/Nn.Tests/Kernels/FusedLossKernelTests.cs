using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Nn.Tests.Kernels;

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
    [TestCase(9)]
    [TestCase(10)]
    [TestCase(15)]
    [TestCase(16)]
    [TestCase(17)]
    [TestCase(40)]
    [TestCase(64)]
    public void LogSumExpRows_AnyClassCountAndThreadCount_EqualsRowAtATime(int classes)
    {
        // 43 rows: one thread; 8·(MinParallelElements / 8 / classes + 2) + 5 rows: split over the
        // threads when there are several (the log-probabilities of the same pass too).
        int before = Threading.NumThreads;
        try
        {
            foreach (int rows in new[] { 8 * 5 + 3, 8 * ((SleefRows.MinParallelElements / 8 / classes) + 2) + 5 })
            {
                foreach (bool specials in new[] { false, true })
                {
                    var x = Values(rows * classes, classes + rows, scale: 30, specials);
                    foreach (int threads in new[] { 1, 2, 3 })
                    {
                        Threading.NumThreads = threads;
                        CheckLogSumExpRows(x, rows, classes, $"{rows} rows, threads={threads}, specials={specials}");
                    }
                }
            }
        }
        finally
        {
            Threading.NumThreads = before;
        }
    }

    private static void CheckLogSumExpRows(float[] x, int rows, int classes, string context)
    {
        var max = new float[rows];
        var logSum = new float[rows];
        var logp = new float[rows * classes];
        Array.Fill(logp, 12345f);
        int done = SleefRows.LogSumExpRows(x, rows, classes, max, logSum, logp);
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
            string what = $"{context}: row {r} ({string.Join(", ", row.ToArray())})";
            if (!float.IsNaN(m)) BitConverter.SingleToInt32Bits(max[r]).ShouldBe(BitConverter.SingleToInt32Bits(m), what + " max");
            else float.IsNaN(max[r]).ShouldBeTrue(what);
            float expected = SleefFloat.Log(s);
            if (float.IsNaN(expected)) float.IsNaN(logSum[r]).ShouldBeTrue(what);
            else BitConverter.SingleToInt32Bits(logSum[r]).ShouldBe(BitConverter.SingleToInt32Bits(expected), what + " log-sum");
        }

        // The log-probabilities of the same pass: what the separate LogSoftmax pass computes from
        // that max and log-sum; the rows past `done` are the caller's and stay untouched.
        var layout = new ClassLayout(done, classes, 1, 1, false, [done]);
        var expectedLogp = new float[done * classes];
        ClassificationLossKernels.LogSoftmax<float>(x.AsSpan(0, done * classes), layout, max, logSum, expectedLogp);
        ShouldBeBitwise(logp.AsSpan(0, done * classes), expectedLogp, context + " log p");
        logp.AsSpan(done * classes).ToArray().ShouldAllBe(v => v == 12345f, context);

        // Without log p: the same max and log-sum.
        var max2 = new float[rows];
        var logSum2 = new float[rows];
        SleefRows.LogSumExpRows(x, rows, classes, max2, logSum2, []).ShouldBe(done);
        ShouldBeBitwise(max2.AsSpan(0, done), max.AsSpan(0, done), context + " max without log p");
        ShouldBeBitwise(logSum2.AsSpan(0, done), logSum.AsSpan(0, done), context + " log-sum without log p");
    }

    [TestCase(1797, 10)]
    [TestCase(1301, 7)]
    [TestCase(900, 13)]
    public void CrossEntropy_LargeBatchForwardAndFusedGradient_SameBitsOnAnyThreadCountAndAsTensorFormula(int positions, int classes)
    {
        // Large enough for the row loops (log-sum-exp with log p, the uniform-row gradient) to be
        // split over threads: the loss, log p and the gradient must not depend on the split.
        int before = Threading.NumThreads;
        try
        {
            var xs = Values(positions * classes, positions + classes, scale: 6);
            var rng = new Random(classes);
            var t = Enumerable.Range(0, positions).Select(_ => (long)rng.Next(classes)).ToArray();
            var target = Tensor.FromArray(t, positions);
            float[]? firstLoss = null, firstGrad = null;
            foreach (int threads in new[] { 1, 2, 3 })
            {
                Threading.NumThreads = threads;
                var x = Tensor.FromArray(xs, positions, classes);
                x.RequiresGrad = true;
                var loss = global::Autograd.Nn.Functional.CrossEntropy(x, target);
                loss.Backward(Tensor.Scalar(0.75f));
                float[] lossValue = loss.ToArray<float>(), grad = x.Grad!.ToArray<float>();
                if (firstLoss is null)
                {
                    firstLoss = lossValue;
                    firstGrad = grad;

                    // The tensor formula the fused gradient replaces, from the row-at-a-time log p.
                    using (Tape.NoGrad())
                    {
                        var layout = ClassificationChecks.Check("CrossEntropy", x, target, null, -100, Reduction.Mean, 0, allowProbabilities: true);
                        var logp = LogSoftmax<float>(x, layout, target, null, -100, out double total);
                        var a = ClassificationGradients.IndexTargets(layout, DType.Float32, target, null, null, -100, new ClassReduction(Reduction.Mean), 0, Tensor.Scalar(0.75f), total, 0, positions);
                        var p = ClassificationGradients.ExpConstant(logp);
                        ShouldBeBitwise(grad, (a - p * a.Sum(1, keepDim: true)).ToArray<float>(), $"dx vs tensor formula, threads={threads}");
                    }
                    continue;
                }
                ShouldBeBitwise(lossValue, firstLoss, $"loss, threads={threads}");
                ShouldBeBitwise(grad, firstGrad!, $"dx, threads={threads}");
            }
        }
        finally
        {
            Threading.NumThreads = before;
        }
    }

    [TestCase(1, false, false)]
    [TestCase(17, false, false)]
    [TestCase(300, true, false)]
    [TestCase(1797, false, false)]
    [TestCase(1797, true, true)]
    [TestCase(5000, false, true)]
    [TestCase(70000, true, true)]
    public void Nll_CascadeSum_BitIdenticalToLevelArrayLoop(int n, bool weighted, bool ignore)
    {
        // nll_loss's cascade (a new level every 2^max(4, ⌈log2 n⌉/8) positions) against the loop
        // written with every level in the array; the kernel keeps level 0 in registers.
        const int classes = 10;
        var x = Values(n * classes, n, scale: 5);
        var rng = new Random(n);
        var target = Enumerable.Range(0, n).Select(_ => ignore && rng.Next(5) == 0 ? -100L : rng.Next(classes)).ToArray();
        var weight = weighted ? Values(classes, 3).Select(v => MathF.Abs(v) + 0.1f).ToArray() : [];
        var layout = new ClassLayout(n, classes, 1, 1, false, [n]);
        var (loss, total) = ClassificationLossKernels.Nll<float>(x, layout, target, weight, -100, [], [], []);

        const int levels = 8;
        int levelPower = Math.Max(4, ClassificationLossKernels.CeilLog2(n) / levels);
        long levelMask = (1L << levelPower) - 1;
        var lossSums = new float[levels];
        var weightSums = new float[levels];
        int ignored = 0;
        for (int k = 0; k < n; k++)
        {
            long t = target[k];
            if (t == -100)
            {
                ignored++;
                continue;
            }
            float v = x[k * classes + (int)t];
            if (weighted)
            {
                lossSums[0] -= v * weight[t];
                weightSums[0] += weight[t];
            }
            else lossSums[0] -= v;
            for (int j = 0; j + 1 < levels; j++)
            {
                if ((k & (levelMask << (j * levelPower))) != 0) break;
                weightSums[j + 1] += weightSums[j];
                lossSums[j + 1] += lossSums[j];
                weightSums[j] = 0;
                lossSums[j] = 0;
            }
        }
        float expectedLoss = 0, expectedTotal = 0;
        for (int j = 0; j < levels; j++)
        {
            expectedLoss += lossSums[j];
            expectedTotal += weightSums[j];
        }
        if (!weighted) expectedTotal = n - ignored;
        BitConverter.SingleToInt32Bits(loss).ShouldBe(BitConverter.SingleToInt32Bits(expectedLoss), "loss");
        BitConverter.SingleToInt32Bits(total).ShouldBe(BitConverter.SingleToInt32Bits(expectedTotal), "total weight");
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
            var a = ClassificationGradients.IndexTargets(layout, dtype, target, weight, null, ignoreIndex, new ClassReduction(reduction), 0, gg, total, 0, counted);
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
        var logp = Tensor.Zeroed((int[])x.Dims.Clone(), x.DType);
        ClassificationLossKernels.LogSoftmax<T>(x.Buffer<T>(), layout, max, logSum, logp.Buffer<T>());
        total = double.CreateChecked(ClassificationLossKernels.Nll<T>(x.Buffer<T>(), layout, target.Buffer<long>(), weight is null ? [] : weight.Buffer<T>(),
            ignoreIndex, max, logSum, []).TotalWeight);
        return logp;
    }
}
