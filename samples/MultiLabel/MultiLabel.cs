using Autograd.Nn;
using Autograd.Optim;

namespace Autograd.Samples;

/// <summary>
/// Multi-label classification: each sample can carry several labels at once, so the model has one
/// independent yes/no output (a logit) per label and the loss is <see cref="BCEWithLogitsLoss"/>
/// over all of them, not a softmax over classes. Rare labels are the hard part: with a plain mean
/// loss the model learns to say "no" to them, and <c>posWeight</c> (negatives / positives per
/// label) is the standard fix.
/// </summary>
public static class MultiLabel
{
    /// <summary>Per-label results of one trained model on the test set.</summary>
    /// <param name="Precision">Of the samples predicted positive, the fraction that are.</param>
    /// <param name="Recall">Of the positive samples, the fraction predicted positive.</param>
    public sealed record Scores(double[] Precision, double[] Recall);

    /// <summary>What <see cref="Run"/> measured: label frequencies, posWeight and both models' scores.</summary>
    public sealed record Result(double[] Frequency, double[] PosWeight, Scores Plain, Scores Weighted);

    private const int Features = 10, Labels = 4;

    // Label k is on when row k of TrueWeights · x + TrueBias[k] + noise > 0. The biases make the
    // labels progressively rarer: about 42 %, 15 %, 5 % and 2.5 % of the samples.
    private static readonly float[,] TrueWeights =
    {
        { 1.0f, 1.0f,  0,    0,    0,   0,   0,    0,    0,   0 },
        { 0,    0,     1.0f, -1.0f, 0.5f, 0,  0,    0,    0,   0 },
        { 0,    0,     0,    0,    0,   1.0f, 1.0f, 0,    0,   0 },
        { 0,    0,     0,    0,    0,   0,   0,    1.0f, -1.0f, 1.0f },
    };
    private static readonly float[] TrueBias = [-0.35f, -1.9f, -2.85f, -3.9f];

    /// <summary>Builds the data set, trains Linear(10, 4) twice (without and with posWeight) and prints per-label precision and recall.</summary>
    /// <param name="output">Where to print.</param>
    /// <param name="steps">Full-batch Adam steps per model (the smoke test uses fewer).</param>
    public static Result Run(TextWriter output, int steps = 600)
    {
        void Say(FormattableString line) => output.WriteLine(FormattableString.Invariant(line));
        var g = new Generator(7);

        // ---- the data: 10 standard normal features, 4 labels from noisy linear rules
        var (xTrain, yTrain) = MakeData(3000, g);
        var (xTest, yTest) = MakeData(3000, g);
        Say($"Synthetic multi-label data: x ~ N(0, 1)^{Features}; label k = [w_k · x + b_k + noise > 0], noise ~ N(0, 1)");
        Say($"{xTrain.Shape[0]} training and {xTest.Shape[0]} test samples; a sample has {yTrain.Sum(1).Mean().Item():F2} labels on average");

        // posWeight_k = negatives / positives of label k, counted on the training set.
        var positives = yTrain.Sum(0);
        var posWeight = (xTrain.Shape[0] - positives) / positives;
        double[] frequency = (positives / xTrain.Shape[0]).ToArray<double>();

        // ---- the same model and optimiser, trained with and without posWeight
        var plain = Evaluate(Train(xTrain, yTrain, new BCEWithLogitsLoss(), steps), xTest, yTest);
        var weighted = Evaluate(Train(xTrain, yTrain, new BCEWithLogitsLoss(posWeight: posWeight), steps), xTest, yTest);

        Say($"Linear(10, 4) + BCEWithLogitsLoss, full-batch Adam (lr 0.2, {steps} steps); a label is predicted when its logit > 0");
        Say($"");
        Say($"                                without posWeight     with posWeight");
        Say($"label  frequency  posWeight     precision  recall     precision  recall");
        double[] pw = posWeight.ToArray<double>();
        for (int k = 0; k < Labels; k++)
            Say($"  {k}     {frequency[k],6:P1}    {pw[k],6:F2}       {plain.Precision[k],6:F3}   {plain.Recall[k],6:F3}       {weighted.Precision[k],6:F3}   {weighted.Recall[k],6:F3}");
        Say($"");
        Say($"posWeight multiplies the loss of each positive example, so a rare label's few positives weigh as");
        Say($"much as all its negatives: recall rises (most for the rarest labels) and precision falls. For a sample");
        Say($"whose label is on with probability q, the weighted loss is smallest at σ(logit) = p q / (p q + 1 - q), so");
        Say($"'logit > 0' now means q > 1 / (1 + p): the same as lowering the decision threshold of the plain model.");
        return new Result(frequency, pw, plain, weighted);
    }

    private static (Tensor X, Tensor Y) MakeData(int n, Generator g)
    {
        var x = Tensor.Randn([n, Features], g);
        var noise = Tensor.Randn([n, Labels], g);
        var score = x.MatMul(Tensor.FromArray(TrueWeights).T) + Tensor.FromArray(TrueBias, Labels) + noise;
        return (x, score.Gt(0));   // Gt gives 1 where true, 0 elsewhere: one 0/1 column per label
    }

    private static Linear Train(Tensor x, Tensor y, BCEWithLogitsLoss lossFunction, int steps)
    {
        var model = new Linear(Features, Labels, generator: new Generator(1));
        var optimizer = new Adam(model.Parameters(), lr: 0.2);
        for (int step = 0; step < steps; step++)
        {
            optimizer.ZeroGrad();
            lossFunction.Forward(model.Forward(x), y).Backward();
            optimizer.Step();
        }
        return model;
    }

    private static Scores Evaluate(Linear model, Tensor x, Tensor y)
    {
        using var _ = Tape.NoGrad();
        var predicted = model.Forward(x).Gt(0);
        var truePositives = (predicted * y).Sum(0);
        return new Scores((truePositives / predicted.Sum(0)).ToArray<double>(), (truePositives / y.Sum(0)).ToArray<double>());
    }
}
