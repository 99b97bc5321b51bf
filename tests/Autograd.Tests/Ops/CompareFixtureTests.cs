using Autograd.Tests.Fixtures;
using NUnit.Framework;

namespace Autograd.Tests.Ops;

/// <summary>Eq/Ne/Gt/Ge/Lt/Le masks (values only: not differentiable) checked against PyTorch 1.13 (fixtures: tools/gen_core_fixtures.py, groups "compare").</summary>
[TestFixture]
public sealed class CompareFixtureTests
{
    private static IEnumerable<TestCaseData> Cases() => FixtureLoader.CoreOpCases("compare");

    [TestCaseSource(nameof(Cases))]
    public void MatchesPyTorch(CoreOpCase fixture) => CoreOpRunner.RunFirstOrder(fixture);
}
