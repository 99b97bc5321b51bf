using Autograd.Tests.Fixtures;
using NUnit.Framework;

namespace Autograd.Tests.Ops;

/// <summary>Broadcasting binary ops, tensor-scalar ops, unary ops and To(dtype): values and gradients checked against PyTorch 1.13 (fixtures: tools/gen_core_fixtures.py, groups "binary", "scalar", "unary", "convert").</summary>
[TestFixture]
public sealed class ElementwiseFixtureTests
{
    private static IEnumerable<TestCaseData> Cases() => FixtureLoader.CoreOpCases("binary", "scalar", "unary", "convert");

    [TestCaseSource(nameof(Cases))]
    public void MatchesPyTorch(CoreOpCase fixture) => CoreOpRunner.RunFirstOrder(fixture);
}
