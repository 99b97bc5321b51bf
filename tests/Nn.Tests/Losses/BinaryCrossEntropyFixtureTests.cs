using NUnit.Framework;

namespace Autograd.Nn.Tests.Losses;

/// <summary>
/// BinaryCrossEntropy and BinaryCrossEntropyWithLogits against PyTorch 1.13 (fixtures from
/// tools/gen_binary_loss_fixtures.py): every reduction, with and without weight and pos_weight
/// (scalar, per class, multi-label), soft and hard targets, 0-d to 3-D inputs, probabilities of
/// exactly 0 and 1, logits of ±100 and ±1e4, empty inputs; Float32 and Float64. Each case checks
/// the loss, the input and target gradients, and for the 2-D cases a Hessian-vector product
/// through createGraph.
/// </summary>
[TestFixture]
public sealed class BinaryCrossEntropyFixtureTests
{
    private static IEnumerable<TestCaseData> Cases(string loss) => ElementwiseLossFixtures.Cases("binary_losses.json")
        .Where(c => c.Loss == loss)
        .Select(c => new TestCaseData(c).SetArgDisplayNames(c.Name));

    private static IEnumerable<TestCaseData> BceCases() => Cases("bce");

    private static IEnumerable<TestCaseData> BceWithLogitsCases() => Cases("bce_logits");

    [TestCaseSource(nameof(BceCases))]
    public void BinaryCrossEntropy_FixtureCase_MatchesPyTorch(LossFixtureCase c) => ElementwiseLossFixtures.Run(c);

    [TestCaseSource(nameof(BceWithLogitsCases))]
    public void BinaryCrossEntropyWithLogits_FixtureCase_MatchesPyTorch(LossFixtureCase c) => ElementwiseLossFixtures.Run(c);

    [Test]
    public void Fixtures_CoverEveryOption()
    {
        var all = ElementwiseLossFixtures.Cases("binary_losses.json");
        Assert.Multiple(() =>
        {
            foreach (var loss in new[] { "bce", "bce_logits" })
                foreach (var dtype in new[] { DType.Float32, DType.Float64 })
                    foreach (var reduction in Enum.GetValues<Reduction>())
                    {
                        var cases = all.Where(c => c.Loss == loss && c.DType == dtype && c.Reduction == reduction).ToArray();
                        Assert.That(cases.Select(c => c.Input.Shape.Length).Distinct(), Is.SupersetOf(new[] { 0, 1, 2, 3 }), $"{loss} {dtype} {reduction}: ranks");
                        Assert.That(cases.Any(c => c.Weight is not null), $"{loss} {dtype} {reduction}: weight");
                        if (loss == "bce_logits")
                            Assert.That(cases.Count(c => c.PosWeight is not null && c.PosWeight.Shape.Length == 1 && c.PosWeight.Shape[0] > 1), Is.GreaterThan(4), $"{loss} {dtype} {reduction}: per-class pos_weight");
                    }
        });
    }
}
