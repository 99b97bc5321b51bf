using NUnit.Framework;
using Shouldly;

namespace Autograd.Tests.Engine;

public class GraphExportTests
{
    [Test]
    public void ToDot_SmallModel_ListsOpsLeavesAndEdges()
    {
        var x = Tensor.Ones(4, 3);
        var w = Tensor.Ones(3, 2);
        w.RequiresGrad = true;
        w.Name = "weight";
        var b = Tensor.Zeros(2);
        b.RequiresGrad = true;
        var loss = (x.MatMul(w) + b).Sigmoid().Mean();
        var dot = loss.ToDot();
        dot.ShouldStartWith("digraph autograd {");
        dot.ShouldContain("MatMul\\n(4, 2)");
        dot.ShouldContain("Add\\n(4, 2)");
        dot.ShouldContain("Sigmoid\\n(4, 2)");
        dot.ShouldContain("weight\\n(3, 2)");
        dot.ShouldContain("leaf\\n(2)");
        // x does not require grad, so it is not drawn: only w and b are leaves.
        dot.Split('\n').Count(l => l.Contains("shape=ellipse")).ShouldBe(2);
        dot.Split('\n').Count(l => l.Contains("->")).ShouldBe(5); // w->mm, mm->add, b->add, add->sig, sig->mean
        dot.ShouldContain("Mean\\n()");
        dot.TrimEnd().ShouldEndWith("}");
    }
}
