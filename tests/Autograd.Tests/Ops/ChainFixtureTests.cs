using Autograd.Tests.Fixtures;
using NUnit.Framework;

namespace Autograd.Tests.Ops;

/// <summary>Composite expressions (gradient accumulation, non-contiguous reshapes, mixed dtypes) checked against PyTorch 1.13 (fixtures: tools/gen_core_fixtures.py, groups "chain").</summary>
[TestFixture]
public sealed class ChainFixtureTests
{
    private static IEnumerable<TestCaseData> Cases() => FixtureLoader.CoreOpCases("chain");

    [TestCaseSource(nameof(Cases))]
    public void MatchesPyTorch(CoreOpCase fixture) => CoreOpRunner.RunFirstOrder(fixture);
}
