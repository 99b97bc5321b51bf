using Shouldly;

namespace Autograd.Tests.Fixtures;

/// <summary>Runs one <see cref="CoreOpCase"/> against the Autograd implementation.</summary>
public static class CoreOpRunner
{
    /// <summary>
    /// Forward value, then <c>output.Backward(grad_output)</c> and the gradient of every input
    /// (inputs that do not require grad must get none; non-differentiable ops must return a
    /// result that does not require grad).
    /// </summary>
    public static void RunFirstOrder(CoreOpCase c)
    {
        Tensor[] inputs = c.Inputs.Select(i => i.ToTensor()).ToArray();
        Tensor output = FixtureOps.Apply(c, inputs);
        FixtureAssert.Matches(output, c.Output, c.Tol, "output", c.Name);

        if (c.GradOutput is null)
        {
            output.RequiresGrad.ShouldBeFalse($"{c.Name}: {c.Op} is not differentiable in PyTorch, its result must not require grad");
            return;
        }
        output.RequiresGrad.ShouldBeTrue($"{c.Name}: output must require grad");
        output.Backward(c.GradOutput.ToTensor());

        FixtureTensor?[] grads = c.Grads!;
        for (int i = 0; i < inputs.Length; i++)
        {
            if (grads[i] is { } expected)
                FixtureAssert.Matches(inputs[i].Grad, expected, c.Tol, $"grad of input {i}", c.Name);
            else
                inputs[i].Grad.ShouldBeNull($"{c.Name}: input {i} does not require grad and must not receive one");
        }
    }

    /// <summary>
    /// Hessian-vector product: g = Tape.Grad(f, xs, grad_output, createGraph: true) must match
    /// the first-order gradients, then Tape.Grad(sum_i (g_i * v_i).Sum(), xs) the expected HVP.
    /// </summary>
    public static void RunSecondOrder(CoreOpCase c)
    {
        Tensor[] inputs = c.Inputs.Select(i => i.ToTensor()).ToArray();
        Tensor output = FixtureOps.Apply(c, inputs);
        FixtureAssert.Matches(output, c.Output, c.Tol, "output", c.Name);

        int[] diff = Enumerable.Range(0, inputs.Length).Where(i => c.Inputs[i].RequiresGrad).ToArray();
        Tensor[] xs = diff.Select(i => inputs[i]).ToArray();

        Tensor[] g = Tape.Grad(output, xs, c.GradOutput!.ToTensor(), createGraph: true);
        g.Length.ShouldBe(xs.Length, $"{c.Name}: number of first-order gradients");
        Tensor? s = null;
        for (int j = 0; j < xs.Length; j++)
        {
            int i = diff[j];
            FixtureAssert.Matches(g[j], c.Grads![i]!, c.Tol, $"first-order grad of input {i}", c.Name);
            g[j].RequiresGrad.ShouldBeTrue($"{c.Name}: with createGraph the gradient of input {i} must itself require grad");
            Tensor term = (g[j] * c.HvpVectors![i]!.ToTensor()).Sum();
            s = s is null ? term : s + term;
        }

        Tensor[] hv = Tape.Grad(s!, xs);
        hv.Length.ShouldBe(xs.Length, $"{c.Name}: number of second-order gradients");
        for (int j = 0; j < xs.Length; j++)
        {
            int i = diff[j];
            FixtureAssert.Matches(hv[j], c.HvpExpected![i]!, c.Tol, $"Hessian-vector product for input {i}", c.Name);
        }
    }
}
