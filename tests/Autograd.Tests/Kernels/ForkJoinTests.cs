using Autograd.Kernels;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Tests.Kernels;

/// <summary>
/// The fork-join behind every parallel kernel, with its dedicated spinning helpers: each item runs
/// exactly once, whoever runs it, after the helpers went to sleep, and with many callers at once.
/// </summary>
[TestFixture]
public sealed class ForkJoinTests
{
    [TestCase(1, 2)]
    [TestCase(2, 2)]
    [TestCase(37, 2)]
    [TestCase(37, 4)]
    [TestCase(1000, 3)]
    public void Run_EveryItem_RunsExactlyOnce(int count, int threads)
    {
        var runs = new int[count];
        MatMulKernel.ForkJoin.Run(count, threads, i => Interlocked.Increment(ref runs[i]));
        runs.ShouldAllBe(r => r == 1);
    }

    [Test]
    public void Run_AfterTheHelpersBlocked_WakesThemAndCompletes()
    {
        MatMulKernel.ForkJoin.Run(4, 2, _ => { });
        Thread.Sleep(50); // far past the helpers' spin: they block
        var ran = new int[64];
        MatMulKernel.ForkJoin.Run(64, 2, i =>
        {
            Thread.SpinWait(2000);
            Interlocked.Increment(ref ran[i]);
        });
        ran.ShouldAllBe(r => r == 1);
    }

    [Test]
    public void Run_ManyCallersAtOnce_EveryJobCompletes()
    {
        const int callers = 6, rounds = 200, count = 16;
        long total = 0;
        var threads = Enumerable.Range(0, callers).Select(_ => new Thread(() =>
        {
            for (int r = 0; r < rounds; r++)
            {
                var runs = new int[count];
                MatMulKernel.ForkJoin.Run(count, 2, i => Interlocked.Increment(ref runs[i]));
                if (runs.All(v => v == 1)) Interlocked.Increment(ref total);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        total.ShouldBe(callers * rounds);
    }

    [Test]
    public void Run_BodyThrows_TheCallerGetsTheExceptionAndHelpersStayUsable()
    {
        Should.Throw<InvalidOperationException>(() => MatMulKernel.ForkJoin.Run(8, 2, i =>
        {
            if (i == 5) throw new InvalidOperationException("item 5");
        })).Message.ShouldBe("item 5");
        var runs = new int[8];
        MatMulKernel.ForkJoin.Run(8, 2, i => Interlocked.Increment(ref runs[i]));
        runs.ShouldAllBe(r => r == 1);
    }
}
