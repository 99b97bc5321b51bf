using NUnit.Framework;
using Shouldly;

namespace Autograd.Tests.Engine;

/// <summary>
/// Gradient hooks (<c>tensor.register_hook</c>) and <c>retain_grad</c>. Every expected value and
/// call order was printed by PyTorch 1.13.1 running the Python quoted beside the test.
/// </summary>
public class HookTests
{
    private static Tensor Leaf(params float[] values)
    {
        var t = Tensor.FromArray(values);
        t.RequiresGrad = true;
        return t;
    }

    [Test]
    public void RegisterHook_OnLeafAndNonLeaf_ChangesTheGradientsAsPyTorch()
    {
        // x = torch.tensor([1., 2.], requires_grad=True); x.register_hook(lambda g: g * 10)
        // h = x * 2; h.register_hook(lambda g: g + 1); y = (h * 3 + x * x).sum(); y.backward()
        // calls: h sees [3., 3.], then x sees [10., 12.] (once, the sum of both uses); x.grad [100., 120.]
        var calls = new List<(string, float[])>();
        var x = Leaf(1, 2);
        x.RegisterHook(g => { calls.Add(("x", g.ToArray<float>())); return g * 10; });
        var h = x * 2;
        h.RegisterHook(g => { calls.Add(("h", g.ToArray<float>())); return g + 1; });
        (h * 3 + x * x).Sum().Backward();

        calls.Select(c => c.Item1).ShouldBe(["h", "x"]);
        calls[0].Item2.ShouldBe([3f, 3f]);
        calls[1].Item2.ShouldBe([10f, 12f]);
        x.Grad!.ToArray<float>().ShouldBe([100f, 120f]);
    }

    [Test]
    public void RegisterHook_NonLeafUsedTwice_SeesTheSummedGradientOnce()
    {
        // h = x * 2; h.register_hook(seen.append); (h * 3 + h * h).sum().backward()
        // seen [tensor([ 7., 11.])], x.grad [14., 22.]
        var seen = new List<float[]>();
        var x = Leaf(1, 2);
        var h = x * 2;
        h.RegisterHook(g => seen.Add(g.ToArray<float>()));
        (h * 3 + h * h).Sum().Backward();
        seen.Count.ShouldBe(1);
        seen[0].ShouldBe([7f, 11f]);
        x.Grad!.ToArray<float>().ShouldBe([14f, 22f]);
    }

    [Test]
    public void TapeGrad_ReturnsGradientsFromBeforeTheirHooks_AndSkipsLeafHooks()
    {
        // torch.autograd.grad(y, [h, x]) on the graph above: (tensor([3., 3.]), tensor([10., 12.])),
        // h's hook called (it changes what flows on to x), x's hook not called.
        var calls = new List<string>();
        var x = Leaf(1, 2);
        x.RegisterHook(g => { calls.Add("x"); return g * 10; });
        var h = x * 2;
        h.RegisterHook(g => { calls.Add("h"); return g + 1; });
        var grads = Tape.Grad((h * 3 + x * x).Sum(), [h, x]);
        grads[0].ToArray<float>().ShouldBe([3f, 3f]);
        grads[1].ToArray<float>().ShouldBe([10f, 12f]);
        calls.ShouldBe(["h"]);
        x.Grad.ShouldBeNull();
    }

    [Test]
    public void RegisterHook_ExistingGrad_HookSeesThePassGradientThenItIsAdded()
    {
        // z.grad = tensor([100., 100.]); z.register_hook(print); (z * 2 + z * 3).sum().backward()
        // the hook sees tensor([5., 5.]); z.grad tensor([105., 105.])
        var z = Leaf(1, 2);
        z.Grad = Tensor.FromArray([100f, 100f]);
        var seen = new List<float[]>();
        z.RegisterHook(g => seen.Add(g.ToArray<float>()));
        (z * 2 + z * 3).Sum().Backward();
        seen.Count.ShouldBe(1);
        seen[0].ShouldBe([5f, 5f]);
        z.Grad.ToArray<float>().ShouldBe([105f, 105f]);
    }

    [Test]
    public void RegisterHook_BackwardFromTheLeafItself_RunsTheHook()
    {
        // z.register_hook(lambda g: g * 3); z.backward(torch.ones(2)); z.grad tensor([3., 3.])
        var z = Leaf(1, 2);
        z.RegisterHook(g => g * 3);
        z.Backward(Tensor.Ones(2));
        z.Grad!.ToArray<float>().ShouldBe([3f, 3f]);
    }

    [Test]
    public void RegisterHook_TwoHooksInOrder_RemoveTakesOneOut()
    {
        // a = z.register_hook(lambda g: g * 3); b = z.register_hook(lambda g: g + 1)
        // (z * 2).sum().backward(): z.grad [7., 7.]; a.remove(), again: [3., 3.]
        var z = Leaf(1, 2);
        var a = z.RegisterHook(g => g * 3);
        using var b = z.RegisterHook(g => g + 1);
        (z * 2).Sum().Backward();
        z.Grad!.ToArray<float>().ShouldBe([7f, 7f]);
        a.Remove();
        a.Remove(); // a second remove does nothing
        z.Grad = null;
        (z * 2).Sum().Backward();
        z.Grad!.ToArray<float>().ShouldBe([3f, 3f]);
        b.Dispose();
        z.Grad = null;
        (z * 2).Sum().Backward();
        z.Grad!.ToArray<float>().ShouldBe([2f, 2f]);
    }

    [Test]
    public void RegisterHook_WithCreateGraph_TheHookIsDifferentiated()
    {
        // h = x * x; h.register_hook(lambda g: g * 3); gx, = torch.autograd.grad(h.sum(), [x], create_graph=True)
        // gx tensor([ 6., 12.]); gx.sum().backward(); x.grad tensor([6., 6.])
        var x = Leaf(1, 2);
        var h = x * x;
        h.RegisterHook(g => g * 3);
        var gx = Tape.Grad(h.Sum(), [x], createGraph: true)[0];
        gx.ToArray<float>().ShouldBe([6f, 12f]);
        gx.Sum().Backward();
        x.Grad!.ToArray<float>().ShouldBe([6f, 6f]);
    }

    [Test]
    public void RegisterHook_TensorThatDoesNotRequireGrad_Throws()
    {
        // torch.tensor([1.]).register_hook(...): "cannot register a hook on a tensor that doesn't require gradient"
        var e = Should.Throw<InvalidOperationException>(() => Tensor.FromArray([1f]).RegisterHook(g => g));
        e.Message.ShouldContain("doesn't require gradient");
        Should.Throw<ArgumentNullException>(() => Leaf(1).RegisterHook((Func<Tensor, Tensor?>)null!)).ParamName.ShouldBe("hook");
    }

    [Test]
    public void RegisterHook_HookChangesTheShapeOrDType_BackwardThrowsAndLeavesGradAlone()
    {
        // z.register_hook(lambda g: g[:1]): "hook '<lambda>' has changed the size of value"
        // z.register_hook(lambda g: g.double()): "... has changed the type of value"
        var z = Leaf(1, 2);
        z.RegisterHook(g => g.Narrow(0, 0, 1));
        Should.Throw<InvalidOperationException>(() => (z * 2).Sum().Backward()).Message.ShouldContain("changed the size of the gradient: it returned shape [1], expected [2]");
        z.Grad.ShouldBeNull();

        var w = Leaf(1, 2);
        var h = w * 2;
        h.RegisterHook(g => g.To(DType.Float64));
        Should.Throw<InvalidOperationException>(() => h.Sum().Backward()).Message.ShouldContain("changed the type of the gradient: it returned Float64, expected Float32");
        w.Grad.ShouldBeNull();
    }

    [Test]
    public void RegisterHook_HookKeepsItsGradient_TheArrayIsNotRecycled()
    {
        // A pass recycles its temporaries when nothing escapes it; a hook's gradient escapes.
        var x = Tensor.Randn([4096], new Generator(5));
        x.RequiresGrad = true;
        Tensor? kept = null;
        var h = x.Tanh();
        h.RegisterHook(g => { kept = g; });
        (h.Exp() * 3).Sum().Backward();
        var expected = kept!.ToArray<float>();
        for (int i = 0; i < 3; i++) (x.Tanh().Exp() * 5).Sum().Backward(); // same-size temporaries
        kept.ToArray<float>().ShouldBe(expected);
    }

    [Test]
    public void RetainGrad_NonLeaf_StoresAndAccumulatesItsGradient()
    {
        // h = x * 2; h.retain_grad(); (h * h).sum().backward(): h.grad [4., 8.], h.retains_grad True, x.grad [8., 16.]
        var x = Leaf(1, 2);
        var h = x * 2;
        h.RetainGrad();
        h.RetainGrad(); // once is enough
        h.RetainsGrad.ShouldBeTrue();
        (h * h).Sum().Backward(retainGraph: true);
        h.Grad!.ToArray<float>().ShouldBe([4f, 8f]);
        x.Grad!.ToArray<float>().ShouldBe([8f, 16f]);
        (h * h).Sum().Backward();
        h.Grad!.ToArray<float>().ShouldBe([8f, 16f]);
    }

    [Test]
    public void RetainGrad_LeafOrNoGrad_AsPyTorch()
    {
        // x.retain_grad() on a leaf: x.retains_grad False; torch.tensor([1.]).retain_grad():
        // "can't retain_grad on Tensor that has requires_grad=False"
        var x = Leaf(1, 2);
        x.RetainGrad();
        x.RetainsGrad.ShouldBeFalse();
        Should.Throw<InvalidOperationException>(() => Tensor.FromArray([1f]).RetainGrad()).Message.ShouldContain("does not require grad");
    }
}
