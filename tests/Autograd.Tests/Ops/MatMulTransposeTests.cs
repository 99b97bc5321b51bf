using NUnit.Framework;
using Shouldly;

namespace Autograd.Tests.Ops;

/// <summary>
/// <c>x.MatMul(w.T)</c> without copying <c>w</c> (issue 13): <see cref="Tensor.T"/> of a 2-D tensor
/// puts its copy off until the result is read, and MatMul reads the source transposed in place.
/// The reference is the eager copy <c>Transpose(0, 1)</c>: values and gradients must be the same
/// bits (each element is the same chain of multiply-adds), and the deferral must keep T's copy
/// semantics or refuse loudly.
/// </summary>
public class MatMulTransposeTests
{
    private static Tensor Random(int[] shape, DType dtype, long seed, bool requiresGrad = true)
    {
        var t = Tensor.Randn(shape, new Generator(seed)).To(dtype);
        t.RequiresGrad = requiresGrad;
        return t;
    }

    private static void ShouldBeBitwise(Tensor actual, Tensor expected)
    {
        actual.Shape.ShouldBe(expected.Shape);
        actual.ToArray<double>().ShouldBe(expected.ToArray<double>()); // exact: doubles hold every float
    }

    // (x shape, w shape): w is (out, in) as a Linear weight; sizes past the kernel's blocking and the
    // parallel threshold (ParallelMultiplyAdds) included, 1-D and 3-D inputs through MatMul's folding.
    private static IEnumerable<TestCaseData> Shapes()
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            yield return new TestCaseData(new[] { 4, 3 }, new[] { 5, 3 }, dtype);
            yield return new TestCaseData(new[] { 1, 7 }, new[] { 1, 7 }, dtype);
            yield return new TestCaseData(new[] { 33, 70 }, new[] { 19, 70 }, dtype);
            yield return new TestCaseData(new[] { 130, 97 }, new[] { 65, 97 }, dtype);
            yield return new TestCaseData(new[] { 7 }, new[] { 4, 7 }, dtype);
            yield return new TestCaseData(new[] { 2, 3, 6 }, new[] { 5, 6 }, dtype);
            yield return new TestCaseData(new[] { 2, 1, 3, 6 }, new[] { 5, 6 }, dtype);
            yield return new TestCaseData(new[] { 3, 0 }, new[] { 4, 0 }, dtype);
        }
    }

    [TestCaseSource(nameof(Shapes))]
    public void MatMulOfT_ValuesAndGradients_SameBitsAsTheEagerCopy(int[] xShape, int[] wShape, DType dtype)
    {
        var x = Random(xShape, dtype, 1);
        var w = Random(wShape, dtype, 2);
        var y = x.MatMul(w.T);
        var g = Random([.. y.Shape], dtype, 3, requiresGrad: false);
        y.Backward(g);
        var (xGrad, wGrad) = (x.Grad!, w.Grad!);

        var x2 = x.Detach().Clone();
        var w2 = w.Detach().Clone();
        x2.RequiresGrad = w2.RequiresGrad = true;
        var expected = x2.MatMul(w2.Transpose(0, 1));
        expected.Backward(g);

        ShouldBeBitwise(y, expected);
        ShouldBeBitwise(xGrad, x2.Grad!);
        ShouldBeBitwise(wGrad, w2.Grad!);
    }

    [TestCase(DType.Float32)]
    [TestCase(DType.Float64)]
    public void TOnTheLeft_ValuesAndGradients_SameBitsAsTheEagerCopy(DType dtype)
    {
        // w.T.MatMul(x): the left operand read transposed in place, and both operands at once.
        var w = Random([9, 6], dtype, 4);
        var x = Random([9, 5], dtype, 5);
        var v = Random([8, 9], dtype, 6);
        var y = w.T.MatMul(x) + w.T.MatMul(v.T).Sum(1, keepDim: true);
        y.Sum().Backward();

        var w2 = w.Detach().Clone();
        var x2 = x.Detach().Clone();
        var v2 = v.Detach().Clone();
        w2.RequiresGrad = x2.RequiresGrad = v2.RequiresGrad = true;
        var expected = w2.Transpose(0, 1).MatMul(x2) + w2.Transpose(0, 1).MatMul(v2.Transpose(0, 1)).Sum(1, keepDim: true);
        expected.Sum().Backward();

        ShouldBeBitwise(y, expected);
        ShouldBeBitwise(w.Grad!, w2.Grad!);
        ShouldBeBitwise(x.Grad!, x2.Grad!);
        ShouldBeBitwise(v.Grad!, v2.Grad!);
    }

    [Test]
    public void MatMulOfT_DoesNotCopyTheSource()
    {
        var x = Random([4, 3], DType.Float32, 1);
        var w = Random([5, 3], DType.Float32, 2);
        var wt = w.T;
        _ = x.MatMul(wt);
        wt.DeferredTransposeSource().ShouldBeSameAs(w); // still not copied after the product
    }

    [Test]
    public void T_ReadLater_HoldsTheTransposedValues()
    {
        var w = Tensor.FromArray(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        var wt = w.T;
        wt.ToArray<float>().ShouldBe([1f, 4f, 2f, 5f, 3f, 6f]);
        wt.DeferredTransposeSource().ShouldBeNull(); // filled by the read
        wt.Shape.ShouldBe([3, 2]);
    }

    [Test]
    public void T_SourceChangedAfterTheFirstRead_KeepsTheOldValues()
    {
        // T is a copy here (PyTorch's is a view): once read, later writes to the source do not show.
        var w = Tensor.FromArray(new float[,] { { 1, 2 }, { 3, 4 } });
        var wt = w.T;
        _ = wt.Sum().Item();
        w.AddInPlace(10);
        wt.ToArray<float>().ShouldBe([1f, 3f, 2f, 4f]);
    }

    [Test]
    public void T_SourceChangedInPlaceBeforeTheFirstRead_ThrowsOnUse()
    {
        var w = Tensor.FromArray(new float[,] { { 1, 2 }, { 3, 4 } });
        var wt = w.T;
        w.AddInPlace(10);
        var e = Should.Throw<InvalidOperationException>(() => wt.ToArray<float>());
        e.Message.ShouldContain("transpose T of a tensor that was changed in place");
        e.Message.ShouldContain("version 0 -> 1");
        Should.Throw<InvalidOperationException>(() => Tensor.Ones(3, 2).MatMul(wt)).Message.ShouldContain("w.T.Clone()");
        w.ToArray<float>().ShouldBe([11f, 12f, 13f, 14f]); // the failed reads changed nothing
    }

    [Test]
    public void T_CloneCopiesAtOnce_SoALaterWriteIsNotSeen()
    {
        var w = Tensor.FromArray(new float[,] { { 1, 2 }, { 3, 4 } });
        var wt = w.T.Clone();
        w.AddInPlace(10);
        wt.ToArray<float>().ShouldBe([1f, 3f, 2f, 4f]);
    }

    [Test]
    public void T_SourceDisposedBeforeTheFirstRead_StillGivesTheValues()
    {
        // 8 KB: large enough for the pool, so a released array would be handed to the next tensor.
        var w = Tensor.Randn([32, 64], new Generator(3));
        var transposed = w.Transpose(0, 1).ToArray<float>();
        var product = Tensor.Ones(1, 64).MatMul(w.Transpose(0, 1)).ToArray<float>();
        var wt = w.T;
        w.Dispose();
        using var sameLength = Tensor.Zeros(32, 64); // would get w's array if the deferral did not hold it
        Tensor.Ones(1, 64).MatMul(wt).ToArray<float>().ShouldBe(product);
        wt.DeferredTransposeSource().ShouldBeNull(); // MatMul read the held array through a copy
        wt.ToArray<float>().ShouldBe(transposed);
    }

    [Test]
    public void MatMulOfT_SourceChangedBetweenForwardAndBackward_BackwardRefuses()
    {
        // PyTorch 1.13: y = x @ w.t(); with torch.no_grad(): w.add_(1); y.sum().backward() raises
        // "one of the variables needed for gradient computation has been modified by an inplace operation".
        var x = Random([4, 3], DType.Float32, 1);
        var w = Random([5, 3], DType.Float32, 2);
        var y = x.MatMul(w.T);
        using (Tape.NoGrad()) w.AddInPlace(1);
        Should.Throw<InvalidOperationException>(() => y.Sum().Backward()).Message.ShouldContain("modified by an in-place operation");
    }

    [Test]
    public void MatMulOfT_GraphKeepsTheTranspose_GradientWithRespectToTheTransposeIsTheProducts()
    {
        var x = Random([4, 3], DType.Float64, 1);
        var w = Random([5, 3], DType.Float64, 2);
        var wt = w.T;
        var y = x.MatMul(wt);
        y.GradFnName.ShouldBe("MatMulBackward");
        wt.GradFnName.ShouldBe("TransposeBackward");
        var grads = Tape.Grad(y.Sum(), [wt, w]);
        ShouldBeBitwise(grads[0], x.Detach().Transpose(0, 1).MatMul(Tensor.Ones([4, 5], DType.Float64)));
        ShouldBeBitwise(grads[1], grads[0].Transpose(0, 1));
    }

    [Test]
    public void MatMulOfT_PassesGradCheckAndSecondOrder()
    {
        var x = Random([3, 4], DType.Float64, 7);
        var w = Random([2, 4], DType.Float64, 8);
        GradCheck.Check(t => t[0].MatMul(t[1].T).Tanh(), [x, w]).Passed.ShouldBeTrue();
        GradCheck.Check(t => (t[0].T.MatMul(t[0]) + t[1].T.MatMul(t[1])).Tanh(), [x, w]).Passed.ShouldBeTrue();

        // Second order equals the eager copy's, bit for bit.
        var gx = Tape.Grad(x.MatMul(w.T).Tanh().Sum(), [x], createGraph: true)[0];
        var gw = Tape.Grad(gx.Square().Sum(), [w])[0];
        var x2 = x.Detach().Clone();
        var w2 = w.Detach().Clone();
        x2.RequiresGrad = w2.RequiresGrad = true;
        var gx2 = Tape.Grad(x2.MatMul(w2.Transpose(0, 1)).Tanh().Sum(), [x2], createGraph: true)[0];
        ShouldBeBitwise(gw, Tape.Grad(gx2.Square().Sum(), [w2])[0]);
    }

    [Test]
    public void MatMulOfT_FloatAndDoubleOperands_PromoteAsBefore()
    {
        var x = Tensor.FromArray(new double[,] { { 1, 2 } });
        var w = Tensor.FromArray(new float[,] { { 3, 4 }, { 5, 6 } });
        var y = x.MatMul(w.T);
        y.DType.ShouldBe(DType.Float64);
        y.ToArray<double>().ShouldBe([11.0, 17.0]);
    }
}
