using NUnit.Framework;
using Shouldly;

namespace Autograd.Tests.Engine;

/// <summary>
/// <see cref="Storage"/>: the holds count every tensor over the array and every reference from an
/// unfreed graph node, and the last holder to go returns an owned array to the pool. (What that means
/// for <see cref="Tensor.Dispose"/> is in <see cref="TensorDisposeTests"/>.)
/// </summary>
[TestFixture]
public sealed class StorageTests
{
    private const int N = 5000; // 20 KB of Float32: pooled

    [SetUp]
    public void EmptyThePool() => BufferPool.ClearThisThread();

    [Test]
    public void DisposedTensor_CannotBeRecordedAgain_OnceItsStorageIsReleased()
    {
        var t = Tensor.Ones(N);
        var storage = t.Storage;
        t.Dispose();
        storage.Holds.ShouldBe(0);
        Should.Throw<ObjectDisposedException>(() => storage.AddHold());
        storage.Holds.ShouldBe(0);
    }

    [Test]
    public void Holds_CountViewsAndGraphReferences()
    {
        var x = Tensor.Randn([N], new Generator(23));
        x.RequiresGrad = true;
        var y = -x;
        var array = y.Data;
        y.Storage.Holds.ShouldBe(2);                 // y, and its node's output
        var e = y.Exp();
        y.Storage.Holds.ShouldBe(3);                 // + Exp's input
        var v = y.Reshape(-1);
        y.Storage.Holds.ShouldBe(6);                 // + the view, + Reshape's input and output (one storage)
        var loss = (v + e).Sum();
        y.Storage.Holds.ShouldBe(7);                 // + Add's input
        loss.Backward();
        y.Storage.Holds.ShouldBe(2);                 // the graph is freed: y and v remain
        v.Dispose();
        BufferPool.IsFree(array).ShouldBeFalse();
        y.Dispose();
        y.Storage.Holds.ShouldBe(0);
        BufferPool.IsFree(array).ShouldBeTrue();
    }
}
