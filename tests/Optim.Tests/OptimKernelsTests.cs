using NUnit.Framework;
using Shouldly;

namespace Autograd.Optim.Tests;

/// <summary>
/// The vectorised Adam update against the element-at-a-time formula (the same operations, so the
/// comparison is bitwise), for every option the vector path takes and lengths with ragged tails.
/// </summary>
[TestFixture]
public sealed class OptimKernelsTests
{
    private static IEnumerable<TestCaseData> Cases() =>
        from n in new[] { 1, 7, 8, 9, 33 }
        from weightDecay in new[] { 0.0, 0.01 }
        from decoupled in new[] { false, true }
        from maximize in new[] { false, true }
        select new TestCaseData(n, weightDecay, decoupled, maximize).SetArgDisplayNames($"n{n}_wd{weightDecay}_{(decoupled ? "adamw" : "adam")}_{(maximize ? "max" : "min")}");

    [TestCaseSource(nameof(Cases))]
    public void Adam_VectorPath_EqualsScalarFormula(int n, double weightDecay, bool decoupled, bool maximize)
    {
        Check<float>(n, weightDecay, decoupled, maximize);
        Check<double>(n, weightDecay, decoupled, maximize);
    }

    private static void Check<T>(int n, double weightDecay, bool decoupled, bool maximize) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var rng = new Random(n);
        T R(double scale) => T.CreateTruncating((rng.NextDouble() * 2 - 1) * scale);
        var p = Enumerable.Range(0, n).Select(_ => R(1)).ToArray();
        var g = Enumerable.Range(0, n).Select(_ => R(1e-2)).ToArray();
        var m = Enumerable.Range(0, n).Select(_ => R(1e-3)).ToArray();
        var v = Enumerable.Range(0, n).Select(_ => T.Abs(R(1e-5))).ToArray();
        double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, step = 3;
        var s = new OptimKernels.AdamScalars<T>(
            Beta1: T.CreateTruncating(beta1), OneMinusBeta1: T.CreateTruncating(1 - beta1),
            Beta2: T.CreateTruncating(beta2), OneMinusBeta2: T.CreateTruncating(1 - beta2),
            Eps: T.CreateTruncating(1e-8), WeightDecay: T.CreateTruncating(weightDecay), DecoupledDecay: T.CreateTruncating(1 - lr * weightDecay),
            BiasCorrection2Sqrt: T.CreateTruncating(Math.Sqrt(1 - Math.Pow(beta2, step))), NegativeStepSize: T.CreateTruncating(-lr / (1 - Math.Pow(beta1, step))),
            UseWeightDecay: !decoupled && weightDecay != 0, Decoupled: decoupled, Amsgrad: false, Maximize: maximize);

        var (ep, em, ev) = ((T[])p.Clone(), (T[])m.Clone(), (T[])v.Clone());
        for (int i = 0; i < n; i++) // the formula of OptimKernels.Adam, one element at a time
        {
            T gi = s.Maximize ? -g[i] : g[i];
            if (s.UseWeightDecay) gi = T.FusedMultiplyAdd(ep[i], s.WeightDecay, gi);
            if (s.Decoupled) ep[i] *= s.DecoupledDecay;
            T mi = T.FusedMultiplyAdd(gi, s.OneMinusBeta1, em[i] * s.Beta1);
            T vi = T.FusedMultiplyAdd(s.OneMinusBeta2 * gi, gi, ev[i] * s.Beta2);
            em[i] = mi;
            ev[i] = vi;
            ep[i] = ep[i] + s.NegativeStepSize * mi / (T.Sqrt(vi) / s.BiasCorrection2Sqrt + s.Eps);
        }

        OptimKernels.Adam<T>(p, g, m, v, [], s);
        p.ShouldBe(ep);
        m.ShouldBe(em);
        v.ShouldBe(ev);
    }
}
