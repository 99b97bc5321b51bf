using NUnit.Framework;
using Shouldly;

namespace Autograd.Tests.Reliability;

/// <summary>Each thread has its own tape state: NoGrad and DetectAnomaly on one thread do not affect another.</summary>
[TestFixture]
public sealed class ThreadLocalTapeTests
{
    /// <summary>Runs <paramref name="a"/> and <paramref name="b"/> on two threads, in lock-step through a shared barrier.</summary>
    private static void RunPair(Action<Barrier> a, Action<Barrier> b)
    {
        using var barrier = new Barrier(2);
        Exception? error = null;
        Thread Start(Action<Barrier> body) => new(() =>
        {
            try { body(barrier); }
            catch (Exception e) { error ??= e; barrier.RemoveParticipant(); }
        });
        var (ta, tb) = (Start(a), Start(b));
        ta.Start();
        tb.Start();
        ta.Join(TimeSpan.FromSeconds(30)).ShouldBeTrue();
        tb.Join(TimeSpan.FromSeconds(30)).ShouldBeTrue();
        if (error is not null) throw new AggregateException(error);
    }

    [Test]
    public void NoGrad_OnOneThread_DoesNotStopRecordingOnAnother()
    {
        bool insideNoGrad = true, otherThread = false, afterScope = false;
        RunPair(
            barrier =>
            {
                var x = Tensor.Ones(2);
                x.RequiresGrad = true;
                using (Tape.NoGrad())
                {
                    barrier.SignalAndWait(); // 1: the other thread computes while this one is inside NoGrad
                    insideNoGrad = (x * 2).RequiresGrad;
                    barrier.SignalAndWait(); // 2
                }
                afterScope = (x * 2).RequiresGrad;
            },
            barrier =>
            {
                var x = Tensor.Ones(2);
                x.RequiresGrad = true;
                barrier.SignalAndWait(); // 1
                Tape.IsGradEnabled.ShouldBeTrue();
                var y = (x * 3).Sum();
                otherThread = y.RequiresGrad;
                y.Backward();
                x.Grad!.ToArray<float>().ShouldBe([3f, 3f]);
                barrier.SignalAndWait(); // 2
            });
        insideNoGrad.ShouldBeFalse();
        otherThread.ShouldBeTrue();
        afterScope.ShouldBeTrue();
    }

    [Test]
    public void DetectAnomaly_OnOneThread_IsOffOnAnother()
    {
        Exception? caught = null;
        float otherThreadValue = 0;
        RunPair(
            barrier =>
            {
                Tape.DetectAnomaly = true;
                try
                {
                    barrier.SignalAndWait(); // 1
                    try { Tensor.FromArray(new[] { -1f }).Log(); }
                    catch (ArithmeticException e) { caught = e; }
                    barrier.SignalAndWait(); // 2
                }
                finally
                {
                    Tape.DetectAnomaly = false;
                }
            },
            barrier =>
            {
                barrier.SignalAndWait(); // 1
                Tape.DetectAnomaly.ShouldBeFalse();
                otherThreadValue = Tensor.FromArray(new[] { -1f }).Log().ToArray<float>()[0];
                barrier.SignalAndWait(); // 2
            });
        caught.ShouldBeOfType<ArithmeticException>().Message.ShouldContain("Log");
        float.IsNaN(otherThreadValue).ShouldBeTrue();
    }

    [Test]
    public void Backward_OnParallelThreads_EachGetsItsOwnGradients()
    {
        const int threads = 4;
        var results = new double[threads][];
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, i =>
        {
            var x = Tensor.FromArray(new[] { 1.0 + i, 2.0 + i });
            x.RequiresGrad = true;
            for (int step = 0; step < 200; step++)
            {
                using (Tape.NoGrad()) { _ = x * 2; } // nested scopes on other threads must not leak here
                (x * x * (i + 1)).Sum().Backward();
            }
            results[i] = x.Grad!.ToArray<double>();
        });
        for (int i = 0; i < threads; i++)
            results[i].ShouldBe([200 * 2.0 * (i + 1) * (1 + i), 200 * 2.0 * (i + 1) * (2 + i)]);
    }
}
