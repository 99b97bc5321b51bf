using NUnit.Framework;
using Shouldly;

namespace Autograd.Samples.Tests.Teaching;

/// <summary>
/// Runs the loss tour and compares every number it prints with PyTorch 1.13.1's (float32), measured with
/// <c>/usr/bin/python3</c>, e.g. <c>nn.BCELoss()(torch.sigmoid(x), y)</c> and
/// <c>torch.autograd.grad(loss, x)</c> for the same inputs as the tour. Tolerance: 2e-6 relative +
/// 1e-7 absolute, a few float32 ulps (our Sigmoid rounds σ(0.9) one ulp away from PyTorch's, which
/// moves the BCELoss(Sigmoid) mean by one ulp).
/// </summary>
[TestFixture]
public sealed class LossTourTests
{
    private const double Rel = 2e-6, Abs = 1e-7;

    private static IReadOnlyDictionary<string, double> s_numbers = null!;
    private static string s_printed = null!;

    [OneTimeSetUp]
    public void RunTour()
    {
        var output = new StringWriter();
        s_numbers = LossTour.Run(output);
        s_printed = output.ToString();
    }

    private static readonly object[] Scalars =
    [
        new object[] { "bce_sigmoid", 0.8354646563529968 },
        new object[] { "bce_with_logits", 0.8354646563529968 },
        new object[] { "bce_blog", 0.5828806757926941 },
        new object[] { "reduction_sum", 1.748642086982727 },
        new object[] { "reduction_mean", 0.5828806757926941 },
        new object[] { "mask_sum", 1.2356268167495728 },
        new object[] { "mask_mean", 0.4118756055831909 },
        new object[] { "pos_weight_none_loss", 0.6931471824645996 },
        new object[] { "pos_weight_none_grad_sum", 0.40000003576278687 },
        new object[] { "pos_weight_9_loss", 1.2476651668548584 },
        new object[] { "pos_weight_9_grad_sum", 7.450580596923828e-09 },
        new object[] { "ce_label0", 4.024744987487793 },
        new object[] { "ce_label1", 0.024744924157857895 },
        new object[] { "ce_label2", 5.024744987487793 },
        new object[] { "ce_batch", 0.4548895061016083 },
        new object[] { "nll_batch", 0.4548895061016083 },
        new object[] { "smoothing", 0.32474496960639954 },
        // Extreme logits, target 0: Sigmoid + BCELoss saturates at the -100 clamp with a zero gradient.
        new object[] { "extreme20_sigmoid_bce", 100.0 },
        new object[] { "extreme20_sigmoid_bce_grad", 0.0 },
        new object[] { "extreme50_sigmoid_bce", 100.0 },
        new object[] { "extreme50_sigmoid_bce_grad", 0.0 },
        new object[] { "extreme100_sigmoid_bce", 100.0 },
        new object[] { "extreme100_sigmoid_bce_grad", 0.0 },
        new object[] { "extreme20_with_logits", 20.0 },
        new object[] { "extreme20_with_logits_grad", 1.0 },
        new object[] { "extreme50_with_logits", 50.0 },
        new object[] { "extreme50_with_logits_grad", 1.0 },
        new object[] { "extreme100_with_logits", 100.0 },
        new object[] { "extreme100_with_logits_grad", 1.0 },
    ];

    private static readonly object[] Vectors =
    [
        new object[] { "bce_sigmoid_grad", new[] { -0.05016404017806053, 0.0835234671831131, -0.028934398666024208, 0.07180531322956085, 0.09378251433372498, -0.04429296404123306, -0.03613131493330002, 0.10400229692459106 } },
        new object[] { "bce_with_logits_grad", new[] { -0.05016404390335083, 0.0835234671831131, -0.02893439680337906, 0.07180531322956085, 0.09378251433372498, -0.04429296404123306, -0.03613131493330002, 0.10400229692459106 } },
        new object[] { "reduction_none", new[] { 0.7981387972831726, 0.5130152702331543, 0.43748798966407776 } },
        new object[] { "mask_none", new[] { 0.7981387972831726, 0.0, 0.43748798966407776 } },
        new object[] { "mask_grad", new[] { 0.7404675483703613, 0.0, -0.5162705779075623 } },
        new object[] { "ce_label0_grad", new[] { -0.9821320176124573, 0.9755586981773376, 0.006573262624442577 } },
        new object[] { "ce_label1_grad", new[] { 0.017867980524897575, -0.024441301822662354, 0.006573262624442577 } },
        new object[] { "ce_label2_grad", new[] { 0.017867980524897575, 0.9755586981773376, -0.9934267401695251 } },
        new object[] { "smoothing_grad", new[] { -0.015465354546904564, 0.04222536087036133, -0.026760071516036987 } },
    ];

    [TestCaseSource(nameof(Scalars))]
    public void Run_Scalar_MatchesPyTorch(string key, double expected)
        => s_numbers[key].ShouldBe(expected, Abs + Rel * Math.Abs(expected), key);

    [TestCaseSource(nameof(Vectors))]
    public void Run_Gradient_MatchesPyTorch(string key, double[] expected)
    {
        for (int i = 0; i < expected.Length; i++)
            s_numbers[$"{key}[{i}]"].ShouldBe(expected[i], Abs + Rel * Math.Abs(expected[i]), $"{key}[{i}]");
        s_numbers.ContainsKey($"{key}[{expected.Length}]").ShouldBeFalse();
    }

    [Test]
    public void Run_ClosedForms_PrintedNextToTheLibraryValues()
    {
        // Closed forms computed independently here, in double: the tour prints them as "by hand".
        double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));
        double blog = -(Math.Log(1 - Sigmoid(0.2)) + Math.Log(Sigmoid(0.4)) + Math.Log(Sigmoid(0.6))) / 3;
        blog.ShouldBe(0.5828806757926941, Abs + Rel * blog);   // PyTorch computes in float32
        s_printed.ShouldContain($"= {blog.ToString("F9", System.Globalization.CultureInfo.InvariantCulture)}");

        double logSumExp = Math.Log(Math.Exp(4) + Math.Exp(8) + Math.Exp(3));
        s_printed.ShouldContain($"-8 + {logSumExp.ToString("F7", System.Globalization.CultureInfo.InvariantCulture)} = 0.0247449");
        s_printed.ShouldContain("BCELoss = 0.582880676");
        s_printed.ShouldContain("label 0: loss 4.0247450");
        s_printed.ShouldContain("label 2: loss 5.0247450");
        s_printed.ShouldContain("0.4661");   // the blog value is named, as wrong
    }
}
