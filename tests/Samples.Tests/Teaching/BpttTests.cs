using NUnit.Framework;
using Shouldly;

namespace Autograd.Samples.Tests.Teaching;

/// <summary>The BPTT sample on a reduced budget: gradients check out, the RNN learns, gradients vanish backwards in time.</summary>
[TestFixture]
public sealed class BpttTests
{
    private static Bptt.Result s_result = null!;

    [OneTimeSetUp]
    public void RunSample() => s_result = Bptt.Run(new StringWriter(), steps: 100);

    [Test]
    public void Run_UnrolledGradients_PassGradCheck()
    {
        s_result.GradCheck.Passed.ShouldBeTrue(s_result.GradCheck.ToString());
        s_result.GradCheck.MaxAbsError.ShouldBeLessThan(1e-8);   // Float64 central differences with eps 1e-6
    }

    [Test]
    public void Run_Training_LearnsDelayedRecall()
    {
        s_result.InitialAccuracy.ShouldBeInRange(0.4, 0.6);   // guessing
        s_result.FinalAccuracy.ShouldBeGreaterThan(0.99);
    }

    [Test]
    public void Run_AtInitialisation_GradientNormsDecreaseBackwardsInTime()
    {
        double[] norms = s_result.GradientNormsBefore;
        norms.Length.ShouldBe(30);
        for (int t = 0; t < norms.Length - 1; t++) norms[t].ShouldBeLessThan(norms[t + 1], $"t = {t}");
        (norms[0] / norms[^1]).ShouldBeLessThan(1e-3);
    }

    [Test]
    public void Run_AfterTraining_GradientPeaksAtTheRecalledStepThenFades()
    {
        double[] norms = s_result.GradientNormsAfter;
        int peak = Array.IndexOf(norms, norms.Max());
        peak.ShouldBe(norms.Length - 1 - Bptt.Delay);
        for (int t = 0; t < peak - 3; t++) norms[t].ShouldBeLessThan(norms[peak]);
        (norms[0] / norms[peak]).ShouldBeLessThan(0.05);
    }

    [Test]
    public void Run_TruncatedBptt_WithTheBuiltInRnn_LearnsAcrossChunks()
    {
        // Targets 3 steps back cross every chunk boundary: only the carried (detached) state can answer them.
        s_result.TruncatedAccuracy.ShouldBeGreaterThan(0.99);
    }

    [Test]
    public void Run_BuiltInRnn_GivesTheHandWrittenLoopsGradients()
        => s_result.BuiltInDifference.ShouldBeLessThan(1e-12);   // Float64; only the bias additions round differently

    [Test]
    public void Run_LstmWithOpenForgetGates_KeepsTheGradientThatTheRnnLoses()
    {
        double[] rnn = s_result.RnnInputGradients, lstm = s_result.LstmInputGradients, open = s_result.OpenLstmInputGradients;
        rnn[0].ShouldBeLessThan(1e-5);             // 29 steps back: vanished
        lstm[0].ShouldBeGreaterThan(rnn[0]);       // PyTorch's init: f ≈ 0.5, fades more slowly
        open[0].ShouldBeGreaterThan(1e-2);         // forget gates open: the gradient survives
    }
}
