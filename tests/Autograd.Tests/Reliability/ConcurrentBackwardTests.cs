using NUnit.Framework;
using Shouldly;

namespace Autograd.Tests.Reliability;

/// <summary>
/// Issue 12, attack 3: several threads running <see cref="Tensor.Backward"/> through one graph at
/// once. As in PyTorch, concurrent passes are allowed: every pass that runs adds its gradient exactly
/// once (the accumulation into <see cref="Tensor.Grad"/> is locked), a graph is freed exactly once
/// (after the last pass using it ends), a pass that starts after the graph was freed gets the usual
/// "backward through the graph a second time" error, and no live tensor's storage is ever recycled.
/// The tensors are pooled sizes (<see cref="BufferPool.MinBytes"/>) and every thread allocates
/// same-size tensors after its pass, so a storage released twice would be handed out and overwritten.
/// </summary>
[TestFixture]
[Category("Regression")]
public sealed class ConcurrentBackwardTests
{
    private const int N = 2048; // 8 KB of Float32: pooled
    private const int Threads = 4;
    private const int Rounds = 60;

    private static float[] Values() => Enumerable.Range(0, N).Select(i => (i % 13 - 6) / 8f).ToArray();

    /// <summary>A chain of ops from a fresh leaf; the intermediates are disposed, so freeing the graph recycles them.</summary>
    private static (Tensor X, Tensor Loss) Graph()
    {
        var x = Tensor.FromArray(Values());
        x.RequiresGrad = true;
        var h = x;
        for (int k = 0; k < 8; k++)
        {
            var next = (h * 0.75 + 0.125).Tanh();
            if (!ReferenceEquals(h, x)) h.Dispose();
            h = next;
        }
        var loss = (h * h).Sum();
        h.Dispose();
        return (x, loss);
    }

    /// <summary>The gradient of one pass, accumulated <paramref name="times"/> times as Backward adds it.</summary>
    private static float[] Expected(int times)
    {
        var (x, loss) = Graph();
        loss.Backward(retainGraph: true);
        for (int i = 1; i < times; i++) loss.Backward(retainGraph: true);
        return times == 0 ? new float[N] : x.Grad!.ToArray<float>();
    }

    /// <summary>Same-size allocations that would take, and overwrite, an array released while still in use.</summary>
    private static void Scribble()
    {
        for (int i = 0; i < 4; i++) _ = Tensor.Full([N], 99.0);
    }

    /// <summary>Runs <paramref name="body"/> on <see cref="Threads"/> threads released together; returns what each threw.</summary>
    private static Exception?[] RunTogether(Action body)
    {
        var errors = new Exception?[Threads];
        using var barrier = new Barrier(Threads);
        var threads = Enumerable.Range(0, Threads).Select(i => new Thread(() =>
        {
            barrier.SignalAndWait();
            try { body(); }
            catch (Exception e) { errors[i] = e; }
            Scribble();
        })).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join(TimeSpan.FromSeconds(30)).ShouldBeTrue();
        return errors;
    }

    [Test]
    public void Backward_ThreadsThroughOneRetainedGraph_EveryPassCountedOnce()
    {
        var expected = Expected(Threads);
        for (int round = 0; round < Rounds; round++)
        {
            var (x, loss) = Graph();
            var errors = RunTogether(() => loss.Backward(retainGraph: true));
            errors.ShouldAllBe(e => e == null, $"round {round}: {errors.FirstOrDefault(e => e != null)}");
            x.Grad!.ToArray<float>().ShouldBe(expected, $"round {round}: a pass's gradient was lost or added twice");

            loss.Backward(); // frees the graph
            x.Storage.Holds.ShouldBe(1, $"round {round}: the leaf's storage has a wrong hold count");
            x.ToArray<float>().ShouldBe(Values(), $"round {round}: the leaf's values were overwritten");
        }
    }

    [Test]
    public void Backward_ThreadsThroughOneGraphWithoutRetain_FreedOnceAndLaterPassesRefused()
    {
        var expected = Enumerable.Range(0, Threads + 1).Select(Expected).ToArray();
        int overlapped = 0;
        for (int round = 0; round < Rounds; round++)
        {
            var (x, loss) = Graph();
            var errors = RunTogether(() => loss.Backward());
            foreach (var e in errors.Where(e => e != null))
                e.ShouldBeOfType<InvalidOperationException>($"round {round}: {e}").Message.ShouldContain("second time");
            int passes = errors.Count(e => e == null);
            passes.ShouldBeGreaterThanOrEqualTo(1);
            if (passes > 1) overlapped++;
            x.Grad!.ToArray<float>().ShouldBe(expected[passes], $"round {round}: {passes} passes ran");

            x.Storage.Holds.ShouldBe(1, $"round {round}: the graph's holds on the leaf were released {(x.Storage.Holds < 1 ? "twice" : "not at all")}");
            Scribble();
            x.ToArray<float>().ShouldBe(Values(), $"round {round}: the leaf's values were overwritten");
            Should.Throw<InvalidOperationException>(() => loss.Backward()).Message.ShouldContain("second time");
        }
        TestContext.Out.WriteLine($"{overlapped} of {Rounds} rounds had more than one pass run");
    }

    [Test]
    public void Backward_ThreadsThroughSharedGraphWithOwnHeads_EachHeadsGradientAdded()
    {
        // One shared trunk, one head per thread: the trunk's nodes are run by every pass at once.
        var (x, _) = Graph();
        var trunk = (x * 0.5).Sigmoid();
        var heads = Enumerable.Range(1, Threads).Select(i => (trunk * i).Sum()).ToArray();
        int next = -1;
        var errors = RunTogether(() => heads[Interlocked.Increment(ref next)].Backward(retainGraph: true));
        errors.ShouldAllBe(e => e == null);

        var (y, _) = Graph();
        var reference = (y * 0.5).Sigmoid();
        (reference * (Threads * (Threads + 1) / 2)).Sum().Backward();
        x.Grad!.ToArray<float>().ShouldBe(y.Grad!.ToArray<float>(), tolerance: 1e-6f);
    }
}
