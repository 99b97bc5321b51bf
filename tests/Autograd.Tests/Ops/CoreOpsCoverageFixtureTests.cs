using Autograd.Tests.Fixtures;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Tests.Ops;

/// <summary>Guards the fixture file itself, so that no case is silently skipped.</summary>
[TestFixture]
public sealed class CoreOpsCoverageFixtureTests
{
    /// <summary>The groups run by the *FixtureTests classes of this folder.</summary>
    private static readonly string[] CoveredGroups =
    [
        "binary", "scalar", "unary", "convert", "matmul", "reduction", "softmax",
        "shape", "indexing", "compare", "chain", "second_order",
    ];

    [Test]
    public void EveryCaseIsRunnable()
    {
        IReadOnlyList<CoreOpCase> cases = FixtureLoader.CoreOps;
        cases.Count.ShouldBeGreaterThan(0);
        cases.Select(c => c.Name).Distinct().Count().ShouldBe(cases.Count, "case names must be unique");
        cases.Where(c => !FixtureOps.Known.Contains(c.Op)).Select(c => c.Op).Distinct().ShouldBeEmpty("ops without a C# mapping");
        cases.Where(c => !CoveredGroups.Contains(c.Group)).Select(c => c.Group).Distinct().ShouldBeEmpty("groups no test class runs");
        foreach (CoreOpCase c in cases)
        {
            Tolerances.For(c.Tol, c.DType); // throws on an unknown class
            if (c.GradOutput is not null)
                c.Grads.ShouldNotBeNull($"{c.Name}: grads");
            if (c.Group == "second_order")
                c.HvpExpected.ShouldNotBeNull($"{c.Name}: hvp");
        }
    }

    [Test]
    public void CoversBothFloatDTypesForEveryOp()
    {
        var missing = FixtureLoader.CoreOps
            .Where(c => c.Op != "chain_to_float64")
            .GroupBy(c => c.Op)
            .Where(g => !g.Any(c => c.DType == DType.Float32) || !g.Any(c => c.DType == DType.Float64))
            .Select(g => g.Key)
            .ToArray();
        missing.ShouldBeEmpty();
    }
}
