using Autograd.Tests.Fixtures;
using NUnit.Framework;

namespace Autograd.Tests.Ops;

/// <summary>Hessian-vector products through Tape.Grad(createGraph: true) checked against PyTorch 1.13 (fixtures: tools/gen_core_fixtures.py, groups "second_order").</summary>
[TestFixture]
public sealed class SecondOrderFixtureTests
{
    private static IEnumerable<TestCaseData> Cases() => FixtureLoader.CoreOpCases("second_order");

    [TestCaseSource(nameof(Cases))]
    public void MatchesPyTorch(CoreOpCase fixture) => CoreOpRunner.RunSecondOrder(fixture);
}
