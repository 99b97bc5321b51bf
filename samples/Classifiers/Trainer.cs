using Autograd.Nn;
using Autograd.Optim;

namespace Autograd.Samples.Classifiers;

/// <summary>
/// What a classifier's raw outputs (logits) mean: how they are scored against the labels during
/// training (the loss) and how they are turned into a predicted class.
/// </summary>
public abstract class Objective
{
    /// <summary>One logit per sample, the log-odds of class 1; binary cross-entropy (logistic regression).</summary>
    public static Objective Binary { get; } = new BinaryObjective();

    /// <summary>One logit per class; softmax cross-entropy (softmax, or multinomial logistic, regression).</summary>
    public static Objective Multiclass { get; } = new MulticlassObjective();

    /// <summary>The number of outputs the model needs for <paramref name="classCount"/> classes.</summary>
    public abstract int OutputSize(int classCount);

    /// <summary>The labels in the form the loss expects.</summary>
    public abstract Tensor Targets(long[] labels);

    /// <summary>The mean loss of a batch of logits against their targets.</summary>
    public abstract Tensor Loss(Tensor logits, Tensor targets);

    /// <summary>The predicted class of each sample.</summary>
    public abstract long[] Predict(Tensor logits);

    private sealed class BinaryObjective : Objective
    {
        private readonly BCEWithLogitsLoss _loss = new();

        public override int OutputSize(int classCount) => 1;

        // BCEWithLogitsLoss wants float targets of the logits' shape, (N, 1).
        public override Tensor Targets(long[] labels)
            => Tensor.FromArray(labels.Select(l => (float)l).ToArray(), labels.Length, 1);

        // σ(z) is applied inside the loss, fused with the log (the log-sum-exp trick), which is
        // more accurate than Sigmoid followed by BCELoss.
        public override Tensor Loss(Tensor logits, Tensor targets) => _loss.Forward(logits, targets);

        // σ(z) > 0.5 exactly when z > 0, so the sigmoid is not needed to predict.
        public override long[] Predict(Tensor logits)
            => logits.Gt(0).ToArray<float>().Select(p => (long)p).ToArray();
    }

    private sealed class MulticlassObjective : Objective
    {
        private readonly CrossEntropyLoss _loss = new();

        public override int OutputSize(int classCount) => classCount;

        // CrossEntropyLoss wants class indices, Int64 of shape (N).
        public override Tensor Targets(long[] labels) => Tensor.FromArray(labels, labels.Length);

        // log-softmax and the negative log-likelihood in one op.
        public override Tensor Loss(Tensor logits, Tensor targets) => _loss.Forward(logits, targets);

        // The largest logit is the most probable class; softmax does not change the order.
        public override long[] Predict(Tensor logits) => logits.ArgMax(1).ToArray<long>();
    }
}

/// <summary>The training and test sets as tensors, standardised or scaled, ready for a model.</summary>
/// <param name="TrainFeatures">(train samples, features), Float32.</param>
/// <param name="TrainLabels">The class of each training sample.</param>
/// <param name="TestFeatures">(test samples, features), Float32.</param>
/// <param name="TestLabels">The class of each test sample.</param>
public sealed record PreparedData(Tensor TrainFeatures, long[] TrainLabels, Tensor TestFeatures, long[] TestLabels)
{
    /// <summary>
    /// Splits <paramref name="data"/> 80/20 (stratified, shuffled with <paramref name="generator"/>)
    /// and standardises both halves with the training half's mean and deviation; or, for pixels
    /// (<paramref name="pixelMax"/> given), divides every value by that maximum, so that all pixels
    /// keep one common scale from 0 to 1 (what a convolution, one filter for every position, wants).
    /// </summary>
    public static PreparedData From(Dataset data, Generator generator, float? pixelMax = null)
    {
        var (train, test) = Datasets.StratifiedSplit(data, testFraction: 0.2, generator);
        if (pixelMax is float max)
            return new PreparedData(Scaled(train, max), train.Labels, Scaled(test, max), test.Labels);
        var standardizer = Standardizer.Fit(train);
        return new PreparedData(standardizer.Transform(train), train.Labels, standardizer.Transform(test), test.Labels);
    }

    private static Tensor Scaled(Dataset data, float max)
        => Tensor.FromArray(data.Features.SelectMany(row => row.Select(v => v / max)).ToArray(), data.Count, data.FeatureCount);
}

/// <summary>A model's loss and accuracy on one set of samples.</summary>
/// <param name="Loss">The mean loss.</param>
/// <param name="Accuracy">The fraction of samples classified correctly, 0 to 1.</param>
/// <param name="Predictions">The predicted class of each sample.</param>
public sealed record Evaluation(double Loss, double Accuracy, long[] Predictions);

/// <summary>The state of training at the end of one epoch.</summary>
public sealed record EpochStats(int Epoch, double TrainLoss, double TrainAccuracy, double TestLoss, double TestAccuracy);

/// <summary>The training loop and the evaluation of a model.</summary>
public static class Trainer
{
    /// <summary>
    /// Trains <paramref name="model"/> for <paramref name="epochs"/> passes over the training set,
    /// in shuffled mini-batches, and measures it on both sets after every epoch.
    /// </summary>
    /// <param name="model">The model to train.</param>
    /// <param name="objective">How its outputs are scored.</param>
    /// <param name="data">The training and test sets.</param>
    /// <param name="optimizer">The optimizer, over the model's parameters.</param>
    /// <param name="epochs">The passes over the training set.</param>
    /// <param name="batchSize">The samples per mini-batch.</param>
    /// <param name="generator">The source of the shuffles.</param>
    /// <param name="progress">Where each epoch is reported.</param>
    /// <param name="scheduler">A learning-rate schedule, stepped once after every epoch; none when null.</param>
    /// <returns>The measurements, one per epoch.</returns>
    public static List<EpochStats> Fit(Module model, Objective objective, PreparedData data, Optimizer optimizer,
        int epochs, int batchSize, Generator generator, Progress progress, LRScheduler? scheduler = null)
    {
        var trainSet = new TensorDataset(data.TrainFeatures, objective.Targets(data.TrainLabels));
        var loader = new DataLoader(trainSet, batchSize, shuffle: true, generator: generator);
        var history = new List<EpochStats>();
        progress.Start(epochs);

        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            model.Train();
            foreach (Tensor[] batch in loader)
            {
                Tensor inputs = batch[0], targets = batch[1];
                Tensor logits = model.Forward(inputs);        // forward: records every op on the tape
                Tensor loss = objective.Loss(logits, targets);
                optimizer.ZeroGrad();                         // gradients add up, so clear last step's
                loss.Backward();                              // backward: d loss / d parameter for every parameter
                optimizer.Step();                             // move each parameter against its gradient
            }
            scheduler?.Step();                                // the learning rate for the next epoch

            var train = Evaluate(model, objective, data.TrainFeatures, data.TrainLabels);
            var test = Evaluate(model, objective, data.TestFeatures, data.TestLabels);
            var stats = new EpochStats(epoch, train.Loss, train.Accuracy, test.Loss, test.Accuracy);
            history.Add(stats);
            progress.Report(stats);
        }
        return history;
    }

    /// <summary>
    /// The loss and accuracy of <paramref name="model"/> on <paramref name="features"/>, computed with
    /// recording off (<see cref="Tape.NoGrad"/>): nothing will be differentiated, so no graph is built.
    /// </summary>
    public static Evaluation Evaluate(Module model, Objective objective, Tensor features, long[] labels)
    {
        model.Eval();
        using (Tape.NoGrad())
        {
            Tensor logits = model.Forward(features);
            double loss = objective.Loss(logits, objective.Targets(labels)).Item();
            long[] predictions = objective.Predict(logits);
            int correct = predictions.Where((p, i) => p == labels[i]).Count();
            return new Evaluation(loss, (double)correct / labels.Length, predictions);
        }
    }

    /// <summary>
    /// The confusion matrix: entry [t, p] counts the samples of true class t predicted as class p,
    /// so the diagonal holds the correct answers.
    /// </summary>
    public static int[,] ConfusionMatrix(long[] labels, long[] predictions, int classCount)
    {
        var counts = new int[classCount, classCount];
        for (int i = 0; i < labels.Length; i++) counts[labels[i], predictions[i]]++;
        return counts;
    }
}
