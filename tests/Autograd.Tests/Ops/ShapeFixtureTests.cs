using Autograd.Tests.Fixtures;
using NUnit.Framework;

namespace Autograd.Tests.Ops;

/// <summary>Reshape/Transpose/Squeeze/Unsqueeze/Expand/Narrow/Select/Concat/Stack, Gather and Where: values and gradients checked against PyTorch 1.13 (fixtures: tools/gen_core_fixtures.py, groups "shape", "indexing").</summary>
[TestFixture]
public sealed class ShapeFixtureTests
{
    private static IEnumerable<TestCaseData> Cases() => FixtureLoader.CoreOpCases("shape", "indexing");

    [TestCaseSource(nameof(Cases))]
    public void MatchesPyTorch(CoreOpCase fixture) => CoreOpRunner.RunFirstOrder(fixture);
}
