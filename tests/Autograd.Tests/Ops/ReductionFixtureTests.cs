using Autograd.Tests.Fixtures;
using NUnit.Framework;

namespace Autograd.Tests.Ops;

/// <summary>Sum/Mean/Max/Min/ArgMax/ArgMin and Softmax/LogSoftmax/LogSumExp: values and gradients checked against PyTorch 1.13 (fixtures: tools/gen_core_fixtures.py, groups "reduction", "softmax").</summary>
[TestFixture]
public sealed class ReductionFixtureTests
{
    private static IEnumerable<TestCaseData> Cases() => FixtureLoader.CoreOpCases("reduction", "softmax");

    [TestCaseSource(nameof(Cases))]
    public void MatchesPyTorch(CoreOpCase fixture) => CoreOpRunner.RunFirstOrder(fixture);
}
