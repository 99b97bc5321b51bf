using NUnit.Framework;
using Shouldly;

namespace Autograd.Tests.Engine;

/// <summary>
/// GradCheck itself: it must pass a correct op, catch a wrong backward and point at the right
/// Jacobian entry, and leave the caller's tensors alone. Every other finite-difference test
/// trusts it, so it is tested against a backward we broke on purpose.
/// </summary>
public class GradCheckTests
{
    /// <summary>x², whose backward returns <c>Factor</c>·2x·grad: correct only for Factor = 1.</summary>
    private sealed class ScaledSquare(double factor) : Function
    {
        protected override Tensor Forward(IReadOnlyList<Tensor> inputs)
        {
            SaveForBackward(inputs[0]);
            return inputs[0] * inputs[0];
        }

        protected override IReadOnlyList<Tensor?> Backward(Tensor gradOutput)
            => [gradOutput * (2 * factor) * SavedTensors[0]];
    }

    /// <summary>A function whose backward puts NaN where the gradient should be.</summary>
    private sealed class NaNBackward : Function
    {
        protected override Tensor Forward(IReadOnlyList<Tensor> inputs) => inputs[0] * 2;

        protected override IReadOnlyList<Tensor?> Backward(Tensor gradOutput) => [gradOutput * double.NaN];
    }

    // |x| is largest at flat index 2, i.e. element (0, 2) of the 2x3 tensor.
    private static Tensor X() => Tensor.FromArray([0.5, -0.3, 1.7, 0.2, -0.9, 0.4], 2, 3);

    [Test]
    public void Check_CorrectOps_PassesWithTinyError()
    {
        var a = Tensor.FromArray([0.3, -1.2, 0.8, 2.0, -0.5, 1.1], 2, 3);
        var b = Tensor.FromArray([1.5, 0.7, 1.2], 3);

        var result = GradCheck.Check(x => (x[0].Tanh() * x[1] / (x[1] * x[1] + 1)).Sum(1), [a, b]);

        result.Passed.ShouldBeTrue(result.ToString());
        // Central differences of smooth O(1) functions in Float64 agree to ~1e-9.
        result.MaxAbsError.ShouldBeLessThan(1e-8);
        result.ToString().ShouldContain("passed");
    }

    [Test]
    public void Check_CorrectFunctionSubclass_Passes()
    {
        var result = GradCheck.Check(x => new ScaledSquare(1.0).Apply(x[0]), [X()]);

        result.Passed.ShouldBeTrue(result.ToString());
    }

    [Test]
    public void Check_BackwardOffByFactor_FailsAtLargestEntry()
    {
        // d(x²)/dx = 2x, the broken backward says 3x: the error |x| is largest where |x| is.
        var result = GradCheck.Check(x => new ScaledSquare(1.5).Apply(x[0]), [X()]);

        result.Passed.ShouldBeFalse();
        result.WorstInput.ShouldBe(0);
        result.WorstInputElement.ShouldBe(2);
        result.WorstOutputElement.ShouldBe(2); // elementwise: the Jacobian is diagonal
        result.Analytic.ShouldBe(3 * 1.7, 1e-12);
        result.Numeric.ShouldBe(2 * 1.7, 1e-8);
        result.MaxAbsError.ShouldBe(1.7, 1e-8);
    }

    [Test]
    public void Check_WrongSecondInputBehindTranspose_ReportsInputAndBothElementIndices()
    {
        // Input 0 goes through a correct op, input 1 through the broken one. The transpose sends
        // input element (0, 2) (flat 2 of a 2x3) to output element (2, 0) (flat 4 of a 3x2).
        var a = Tensor.FromArray([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], 2, 3);

        var result = GradCheck.Check(x => (x[0].Tanh() + new ScaledSquare(1.5).Apply(x[1])).Transpose(0, 1), [a, X()]);

        result.Passed.ShouldBeFalse();
        result.WorstInput.ShouldBe(1);
        result.WorstInputElement.ShouldBe(2);
        result.WorstOutputElement.ShouldBe(4);
        result.Analytic.ShouldBe(5.1, 1e-12);
        result.Numeric.ShouldBe(3.4, 1e-8);
        string text = result.ToString();
        text.ShouldContain("FAILED");
        text.ShouldContain("input 1, element 2, output element 4");
    }

    [Test]
    public void Check_ErrorInsideRelativeTolerance_PassesAndOutsideFails()
    {
        // A backward 1e-4 too large: inside rtol = 1e-3, outside rtol = 1e-5 (atol cannot
        // absorb it either: the error is ~3.4e-4 at x = 1.7).
        Func<IReadOnlyList<Tensor>, Tensor> f = x => new ScaledSquare(1 + 1e-4).Apply(x[0]);

        GradCheck.Check(f, [X()]).Passed.ShouldBeTrue();
        GradCheck.Check(f, [X()], atol: 1e-5, rtol: 1e-5).Passed.ShouldBeFalse();
    }

    [Test]
    public void Check_BackwardReturnsNaN_Fails()
    {
        var result = GradCheck.Check(x => new NaNBackward().Apply(x[0]), [X()]);

        result.Passed.ShouldBeFalse();
        double.IsNaN(result.Analytic).ShouldBeTrue(result.ToString());
    }

    [Test]
    public void Check_Int64Input_IsPassedThroughAndNotDifferentiated()
    {
        var index = Tensor.FromArray([2L, 0L, 1L, 1L], 2, 2);
        Tensor? seen = null;

        var result = GradCheck.Check(x =>
        {
            seen = x[1];
            return x[0].Gather(1, x[1]);
        }, [X(), index]);

        result.Passed.ShouldBeTrue(result.ToString());
        seen.ShouldBeSameAs(index);
        index.RequiresGrad.ShouldBeFalse();
        index.ToArray<long>().ShouldBe([2L, 0L, 1L, 1L]);
        result.WorstInput.ShouldBe(0); // only the float input has Jacobian entries
    }

    [Test]
    public void Check_Float32Input_FunctionSeesFloat64LeafCopy()
    {
        var caller = Tensor.FromArray([0.5f, -1.25f, 2f]);
        var seen = new List<Tensor>();

        var result = GradCheck.Check(x =>
        {
            seen.Add(x[0]);
            return x[0].Exp();
        }, [caller]);

        result.Passed.ShouldBeTrue(result.ToString());
        seen.ShouldNotBeEmpty();
        seen.ShouldAllBe(t => t.DType == DType.Float64 && t.IsLeaf && t.RequiresGrad && !ReferenceEquals(t, caller));
    }

    [Test]
    public void Check_NonFloat64Output_ThrowsArgumentException()
    {
        var ex = Should.Throw<ArgumentException>(() => GradCheck.Check(x => x[0].To(DType.Float32), [X()]));

        ex.Message.ShouldContain("Float64");
        ex.Message.ShouldContain("Float32");
    }

    [Test]
    public void Check_CallersTensorsAreUntouched()
    {
        var plain = X();
        var withGrad = Tensor.FromArray([1.0, 2.0, 3.0], 3);
        withGrad.RequiresGrad = true;
        withGrad.Grad = Tensor.FromArray([7.0, 8.0, 9.0], 3);
        var single = Tensor.FromArray([0.25f, 0.5f, 0.75f], 3);

        GradCheck.Check(x => x[0] * x[1] + x[2].Sigmoid(), [plain, withGrad, single]).Passed.ShouldBeTrue();

        plain.ToArray<double>().ShouldBe(X().ToArray<double>());
        plain.RequiresGrad.ShouldBeFalse();
        plain.Grad.ShouldBeNull();
        withGrad.ToArray<double>().ShouldBe([1.0, 2.0, 3.0]);
        withGrad.Grad!.ToArray<double>().ShouldBe([7.0, 8.0, 9.0]);
        withGrad.IsLeaf.ShouldBeTrue();
        single.DType.ShouldBe(DType.Float32);
        single.ToArray<float>().ShouldBe([0.25f, 0.5f, 0.75f]);
        single.RequiresGrad.ShouldBeFalse();
        single.Grad.ShouldBeNull();
    }

    [Test]
    public void Check_UnusedInput_PassesWithZeroJacobian()
    {
        var result = GradCheck.Check(x => x[0].Tanh(), [X(), Tensor.FromArray([1.0, 2.0])]);

        result.Passed.ShouldBeTrue(result.ToString());
    }

    [Test]
    public void Check_NonPositiveEps_Throws()
    {
        Should.Throw<ArgumentOutOfRangeException>(() => GradCheck.Check(x => x[0], [X()], eps: 0));
        Should.Throw<ArgumentOutOfRangeException>(() => GradCheck.Check(x => x[0], [X()], eps: double.NaN));
    }
}
