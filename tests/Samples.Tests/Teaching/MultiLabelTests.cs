using NUnit.Framework;
using Shouldly;

namespace Autograd.Samples.Tests.Teaching;

/// <summary>The multi-label sample on a reduced budget: posWeight must raise the recall of the rare labels.</summary>
[TestFixture]
public sealed class MultiLabelTests
{
    [Test]
    public void Run_PosWeight_RaisesRecallOfRareLabels()
    {
        var output = new StringWriter();
        var result = MultiLabel.Run(output, steps: 60);

        // The labels get rarer from 0 to 3, and posWeight = negatives / positives follows.
        result.Frequency.ShouldBeInOrder(SortDirection.Descending);
        result.Frequency[3].ShouldBeLessThan(0.05);
        for (int k = 0; k < 4; k++)
            result.PosWeight[k].ShouldBe((1 - result.Frequency[k]) / result.Frequency[k], 1e-4 * result.PosWeight[k]);

        for (int k = 0; k < 4; k++)
        {
            result.Weighted.Recall[k].ShouldBeGreaterThan(result.Plain.Recall[k], $"label {k}");
            result.Weighted.Precision[k].ShouldBeLessThan(result.Plain.Precision[k], $"label {k}");
        }
        // The two rarest labels: recall from well under half to well over 80 %.
        for (int k = 2; k < 4; k++)
        {
            result.Plain.Recall[k].ShouldBeLessThan(0.5, $"label {k}");
            result.Weighted.Recall[k].ShouldBeGreaterThan(0.8, $"label {k}");
        }
        output.ToString().ShouldContain("with posWeight");
    }
}
