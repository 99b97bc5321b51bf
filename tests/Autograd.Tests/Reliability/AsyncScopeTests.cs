using NUnit.Framework;
using Shouldly;

namespace Autograd.Tests.Reliability;

/// <summary>
/// Issue 12, attack 4: <see cref="Tape.NoGrad"/>, <see cref="Tape.EnableGrad"/> and
/// <see cref="Tape.DetectAnomaly"/> follow the async flow (as .NET's ambient state does, like
/// <c>CultureInfo.CurrentCulture</c>): a scope that spans an <c>await</c> is still in force after
/// it, on whatever thread the continuation runs, and ends there; neither the thread that started
/// the flow nor the one that finished it keeps the setting afterwards.
/// </summary>
/// <remarks>
/// The tests use their own threads: thread A starts an async method, which enters a scope and
/// awaits a task that is not complete yet, so the method returns to A; thread B completes the
/// task, which runs the rest of the method (the continuation) on B. Then both threads report
/// their own state.
/// </remarks>
[TestFixture]
[Category("Regression")]
public sealed class AsyncScopeTests
{
    private sealed record Report(bool? InsideAfterAwait, bool OnStartingThreadAfterReturn, bool OnFinishingThreadAfterward);

    /// <summary>
    /// Runs <paramref name="flow"/> (given a task to await) as described above; <paramref name="probe"/>
    /// reads the state being tested (inside the flow, and on each thread afterwards).
    /// </summary>
    private static Report AcrossThreads(Func<Task, Func<bool>, Task<bool>> flow, Func<bool> probe)
    {
        var gate = new TaskCompletionSource(); // continuations run on the thread that completes it
        Task<bool>? running = null;
        bool onA = false, onB = false;
        Exception? error = null;
        var a = new Thread(() =>
        {
            try
            {
                running = flow(gate.Task, probe);
                onA = probe();
            }
            catch (Exception e) { error = e; }
        });
        a.Start();
        a.Join(TimeSpan.FromSeconds(30)).ShouldBeTrue();
        var b = new Thread(() =>
        {
            try
            {
                gate.SetResult(); // runs the rest of the flow here, on B
                onB = probe();
            }
            catch (Exception e) { error = e; }
        });
        b.Start();
        b.Join(TimeSpan.FromSeconds(30)).ShouldBeTrue();
        if (error is not null) throw new AggregateException(error);
        running!.IsCompleted.ShouldBeTrue();
        return new Report(running.Result, onA, onB);
    }

    private static async Task<bool> NoGradAcrossAwait(Task gate, Func<bool> probe)
    {
        using (Tape.NoGrad())
        {
            await gate;
            return probe();
        }
    }

    [Test]
    public void NoGrad_AcrossAwait_InForceAfterTheAwaitAndLeaksToNeitherThread()
    {
        var r = AcrossThreads(NoGradAcrossAwait, () => Tape.IsGradEnabled);
        r.InsideAfterAwait.ShouldBe(false);
        r.OnStartingThreadAfterReturn.ShouldBeTrue("the thread that entered the scope kept recording off");
        r.OnFinishingThreadAfterward.ShouldBeTrue("the thread that disposed the scope was left with recording off");
    }

    [Test]
    public void NoGrad_AcrossAwait_LaterTrainingStepOnBothThreadsRecords()
    {
        bool Records()
        {
            var w = Tensor.Ones(2);
            w.RequiresGrad = true;
            var loss = (w * 3).Sum();
            loss.Backward(); // threw "does not require grad" on a thread left inside NoGrad
            return w.Grad!.ToArray<float>()[0] == 3f;
        }
        var r = AcrossThreads(NoGradAcrossAwait, () => Tape.IsGradEnabled && Records());
        r.OnStartingThreadAfterReturn.ShouldBeTrue();
        r.OnFinishingThreadAfterward.ShouldBeTrue();
    }

    [Test]
    public void EnableGrad_InsideNoGradAcrossAwait_RestoresNoGradInTheFlowOnly()
    {
        static async Task<bool> Flow(Task gate, Func<bool> probe)
        {
            using (Tape.NoGrad())
            {
                bool inside;
                using (Tape.EnableGrad())
                {
                    await gate;
                    inside = probe();
                }
                return inside && !probe();
            }
        }
        var r = AcrossThreads(Flow, () => Tape.IsGradEnabled);
        r.InsideAfterAwait.ShouldBe(true);
        r.OnStartingThreadAfterReturn.ShouldBeTrue();
        r.OnFinishingThreadAfterward.ShouldBeTrue();
    }

    [Test]
    public void DetectAnomaly_SetInAnAsyncMethodAcrossAwait_ResetInTheFlowAndLeaksToNeitherThread()
    {
        static async Task<bool> Flow(Task gate, Func<bool> probe)
        {
            Tape.DetectAnomaly = true;
            try
            {
                await gate;
                return probe();
            }
            finally
            {
                Tape.DetectAnomaly = false;
            }
        }
        var r = AcrossThreads(Flow, () => Tape.DetectAnomaly);
        r.InsideAfterAwait.ShouldBe(true);
        r.OnStartingThreadAfterReturn.ShouldBeFalse("the thread that set anomaly mode kept it");
        r.OnFinishingThreadAfterward.ShouldBeFalse();
    }

    [Test]
    public async Task NoGrad_TaskRunInsideTheScope_DoesNotRecord()
    {
        var x = Tensor.Ones(2);
        x.RequiresGrad = true;
        bool records;
        using (Tape.NoGrad())
            records = await Task.Run(() => (x * 2).RequiresGrad);
        records.ShouldBeFalse("work started inside the scope runs inside it, on whichever thread");
        (x * 2).RequiresGrad.ShouldBeTrue();
    }

    [Test]
    public async Task NoGrad_UsingAroundYield_RecordingBackOnAfterwards()
    {
        // The attack as reported: `using (Tape.NoGrad()) { await Task.Yield(); }`.
        for (int i = 0; i < 20; i++)
        {
            using (Tape.NoGrad())
            {
                await Task.Yield();
                Tape.IsGradEnabled.ShouldBeFalse();
            }
            Tape.IsGradEnabled.ShouldBeTrue();
        }
        // No pool thread was left behind with recording off.
        var states = await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => Task.Run(() => Tape.IsGradEnabled)));
        states.ShouldAllBe(s => s);
    }

    [Test]
    public void NoGrad_DisposedInAFlowThatNeverEnteredIt_ThrowsNamingTheScope()
    {
        IDisposable? scope = null;
        using var entered = new ManualResetEventSlim();
        using var disposed = new ManualResetEventSlim();
        Exception? error = null;
        bool stillOffInOwner = false;
        // The disposing thread starts before the scope exists, so it does not share its flow.
        var other = new Thread(() =>
        {
            entered.Wait();
            error = Record.Exception(() => scope!.Dispose());
            disposed.Set();
        });
        other.Start();
        var owner = new Thread(() =>
        {
            scope = Tape.NoGrad();
            entered.Set();
            disposed.Wait();
            stillOffInOwner = !Tape.IsGradEnabled;
            scope.Dispose(); // the right place: this works and ends the scope
            stillOffInOwner &= Tape.IsGradEnabled;
        });
        owner.Start();
        owner.Join(TimeSpan.FromSeconds(30)).ShouldBeTrue();
        other.Join(TimeSpan.FromSeconds(30)).ShouldBeTrue();
        var e = error.ShouldBeOfType<InvalidOperationException>();
        TestContext.Out.WriteLine(e.Message);
        e.Message.ShouldContain("Tape.NoGrad()");
        stillOffInOwner.ShouldBeTrue();
    }

    [Test]
    public void NoGrad_DisposedOutOfOrder_RestoresTheStateBeforeIt()
    {
        var outer = Tape.NoGrad();
        var inner = Tape.EnableGrad();
        Tape.IsGradEnabled.ShouldBeTrue();
        outer.Dispose(); // ends the inner scope too, as leaving a `with` block restores the earlier mode
        Tape.IsGradEnabled.ShouldBeTrue();
        inner.Dispose(); // already ended: nothing to do
        Tape.IsGradEnabled.ShouldBeTrue();
        using (Tape.NoGrad()) Tape.IsGradEnabled.ShouldBeFalse();
        Tape.IsGradEnabled.ShouldBeTrue();
    }

    private static class Record
    {
        public static Exception? Exception(Action a)
        {
            try { a(); return null; }
            catch (Exception e) { return e; }
        }
    }
}
