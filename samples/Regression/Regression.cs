using Autograd.Nn;
using Autograd.Optim;
using MathNet.Numerics.LinearAlgebra;

namespace Autograd.Samples;

/// <summary>
/// Linear regression three ways on data with a few outliers: the closed-form least-squares
/// solution (the normal equations, solved with MathNet.Numerics), gradient descent on
/// <see cref="MSELoss"/> (which finds the same answer), and gradient descent on
/// <see cref="HuberLoss"/>, whose gradient is capped for large residuals so the outliers cannot
/// drag the fit away from the truth. Ends with the shape check that keeps MSELoss from
/// broadcasting a (4, 1) input against a (4) target.
/// </summary>
public static class Regression
{
    /// <summary>The fitted [w1, w2, b] of each method.</summary>
    public sealed record Result(double[] LeastSquares, double[] Mse, double[] Huber, double[] LeastSquaresClean, string ShapeError);

    /// <summary>The coefficients the data is generated from: y = 3 x1 - 2 x2 + 0.5 + noise.</summary>
    public static readonly double[] Truth = [3, -2, 0.5];

    private const int Samples = 200, Outliers = 10;

    /// <summary>Generates the data, fits it three ways and prints the coefficients.</summary>
    /// <param name="output">Where to print.</param>
    /// <param name="steps">Full-batch gradient descent steps per loss (the smoke test uses fewer).</param>
    public static Result Run(TextWriter output, int steps = 300)
    {
        void Say(FormattableString line) => output.WriteLine(FormattableString.Invariant(line));
        var g = new Generator(42);

        // ---- the data: y = 3 x1 - 2 x2 + 0.5 + N(0, 0.3²), then 10 targets corrupted by +20
        var x = Tensor.Randn([Samples, 2], g);
        var clean = x.MatMul(Tensor.FromArray([3f, -2f], 2, 1)) + 0.5 + Tensor.Randn([Samples, 1], g) * 0.3;
        float[] corrupted = clean.ToArray<float>();
        foreach (int i in g.Permutation(Samples)[..Outliers]) corrupted[i] += 20;
        var y = Tensor.FromArray(corrupted, Samples, 1);
        Say($"Data: {Samples} samples, x1, x2 ~ N(0, 1), y = 3 x1 - 2 x2 + 0.5 + N(0, 0.3²); {Outliers} targets corrupted by +20");
        Say($"");

        // ---- 1. closed form: minimise Σ (y - Xβ)² by solving the normal equations XᵀX β = Xᵀy
        double[] leastSquares = SolveNormalEquations(x, y);
        double[] leastSquaresClean = SolveNormalEquations(x, clean);

        // ---- 2 and 3. the same linear model trained by gradient descent on each loss
        double[] mse = Fit(x, y, (prediction, target) => new MSELoss().Forward(prediction, target), steps);
        double[] huber = Fit(x, y, (prediction, target) => new HuberLoss(delta: 1.0).Forward(prediction, target), steps);

        void Row(string method, double[] c) => Say($"{method,-42} {c[0],8:F4}  {c[1],8:F4}  {c[2],8:F4}");
        Say($"{"",-42} {"w1",8}  {"w2",8}  {"b",8}");
        Row("truth", Truth);
        Row("least squares on the clean data", leastSquaresClean);
        Row("least squares (normal equations)", leastSquares);
        Row($"MSELoss, {steps} steps of gradient descent", mse);
        Row($"HuberLoss (delta 1), {steps} steps", huber);
        Say($"");
        Say($"MSELoss reaches the least-squares solution: its gradient 2 (ŷ - y) / N grows with the residual, so");
        Say($"each outlier pulls with strength 20 and the intercept moves up by about {Outliers} × 20 / {Samples} = {Outliers * 20.0 / Samples}.");
        Say($"HuberLoss is quadratic for |ŷ - y| <= delta and linear beyond, so an outlier pulls with strength delta = 1");
        Say($"at most: the intercept moves by only about {Outliers} × 1 / {Samples - Outliers} = {Outliers * 1.0 / (Samples - Outliers):F2}.");
        Say($"");

        // ---- MSELoss refuses to broadcast
        string shapeError;
        try
        {
            new MSELoss().Forward(Tensor.Zeros(4, 1), Tensor.Zeros(4));
            shapeError = "(no error)";
        }
        catch (ArgumentException e)
        {
            shapeError = e.Message;
        }
        Say($"MSELoss on a (4, 1) prediction and a (4) target:");
        Say($"  {shapeError}");
        Say($"  (PyTorch only warns and broadcasts both to (4, 4), averaging 16 differences instead of 4.)");
        return new Result(leastSquares, mse, huber, leastSquaresClean, shapeError);
    }

    /// <summary>β = (XᵀX)⁻¹ Xᵀy with a column of ones appended to X for the intercept; returns [w1, w2, b].</summary>
    private static double[] SolveNormalEquations(Tensor x, Tensor y)
    {
        double[] xs = x.ToArray<double>();
        var design = Matrix<double>.Build.Dense(Samples, 3, (i, j) => j < 2 ? xs[i * 2 + j] : 1.0);
        var target = Vector<double>.Build.DenseOfArray(y.ToArray<double>());
        return (design.Transpose() * design).Solve(design.Transpose() * target).ToArray();
    }

    /// <summary>Full-batch gradient descent (SGD, lr 0.1) on Linear(2, 1); returns [w1, w2, b].</summary>
    private static double[] Fit(Tensor x, Tensor y, Func<Tensor, Tensor, Tensor> loss, int steps)
    {
        var model = new Linear(2, 1, generator: new Generator(0));
        var optimizer = new SGD(model.Parameters(), lr: 0.1);
        for (int step = 0; step < steps; step++)
        {
            optimizer.ZeroGrad();
            loss(model.Forward(x), y).Backward();   // model output (200, 1), target (200, 1)
            optimizer.Step();
        }
        return [.. model.Weight.ToArray<double>(), model.Bias!.Item()];
    }
}
