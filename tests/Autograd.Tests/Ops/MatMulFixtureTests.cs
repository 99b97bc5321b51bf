using Autograd.Tests.Fixtures;
using NUnit.Framework;

namespace Autograd.Tests.Ops;

/// <summary>MatMul for 1-D, 2-D and batched operands: values and gradients checked against PyTorch 1.13 (fixtures: tools/gen_core_fixtures.py, groups "matmul").</summary>
[TestFixture]
public sealed class MatMulFixtureTests
{
    private static IEnumerable<TestCaseData> Cases() => FixtureLoader.CoreOpCases("matmul");

    [TestCaseSource(nameof(Cases))]
    public void MatchesPyTorch(CoreOpCase fixture) => CoreOpRunner.RunFirstOrder(fixture);
}
