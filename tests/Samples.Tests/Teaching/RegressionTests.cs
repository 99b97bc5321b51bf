using NUnit.Framework;
using Shouldly;

namespace Autograd.Samples.Tests.Teaching;

/// <summary>The regression sample on a reduced budget: MSE finds least squares, Huber resists the outliers, MSELoss refuses to broadcast.</summary>
[TestFixture]
public sealed class RegressionTests
{
    private static Regression.Result s_result = null!;
    private static string s_printed = null!;

    [OneTimeSetUp]
    public void RunSample()
    {
        var output = new StringWriter();
        s_result = Regression.Run(output, steps: 150);
        s_printed = output.ToString();
    }

    [Test]
    public void Run_MseFit_MatchesNormalEquations()
    {
        // Gradient descent in float32 converges to the double-precision least-squares solution up to float rounding.
        for (int i = 0; i < 3; i++) s_result.Mse[i].ShouldBe(s_result.LeastSquares[i], 1e-4);
    }

    [Test]
    public void Run_LeastSquaresOnCleanData_NearTheTruth()
    {
        // 200 samples with noise 0.3: the standard error of each coefficient is about 0.02.
        for (int i = 0; i < 3; i++) s_result.LeastSquaresClean[i].ShouldBe(Regression.Truth[i], 0.05);
    }

    [Test]
    public void Run_Outliers_PullMseButNotHuber()
    {
        // 10 targets + 20 move the least-squares intercept by about 10 · 20 / 200 = 1.
        s_result.LeastSquares[2].ShouldBe(Regression.Truth[2] + 1, 0.2);
        Math.Abs(s_result.LeastSquares[0] - Regression.Truth[0]).ShouldBeGreaterThan(0.2);
        // Huber: each outlier pulls with at most delta = 1, so the fit stays near the truth.
        for (int i = 0; i < 3; i++) s_result.Huber[i].ShouldBe(Regression.Truth[i], 0.1);
    }

    [Test]
    public void Run_MseLossShapeMismatch_PrintsTheError()
    {
        s_result.ShapeError.ShouldContain("[4, 1]");
        s_result.ShapeError.ShouldContain("[4]");
        s_printed.ShouldContain(s_result.ShapeError);
    }
}
