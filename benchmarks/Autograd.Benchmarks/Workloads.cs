using Autograd.Nn;
using Autograd.Optim;

namespace Autograd.Benchmarks;

/// <summary>
/// The training workloads of the performance comparison, built the same way as in
/// <c>tools/bench_torch.py</c>: fixed synthetic data of the real shapes, one model, one optimizer.
/// A step is forward, loss, ZeroGrad, Backward, Step on the same batch every time.
/// </summary>
public sealed class TrainingWorkload
{
    private readonly Module _model;
    private readonly Func<Tensor, Tensor, Tensor> _loss;
    private readonly Optimizer _optimizer;
    private readonly Tensor _x;
    private readonly Tensor _y;

    private TrainingWorkload(string name, Module model, Func<Tensor, Tensor, Tensor> loss, Func<IEnumerable<Tensor>, Optimizer> optimizer, Tensor x, Tensor y)
    {
        Name = name;
        _model = model;
        _loss = loss;
        _optimizer = optimizer(model.Parameters());
        _x = x;
        _y = y;
    }

    /// <summary>The workload's name, as in the comparison table.</summary>
    public string Name { get; }

    /// <summary>The loss of the last step.</summary>
    public double LastLoss { get; private set; }

    /// <summary>Logistic regression: 569×30 full batch, Linear(30, 1), BCEWithLogitsLoss, SGD(lr 0.1).</summary>
    public static TrainingWorkload LogisticRegression()
    {
        var g = new Generator(1);
        var x = Tensor.Randn([569, 30], g);
        var y = Tensor.RandInt(0, 2, [569, 1], g).To(DType.Float32);
        var loss = new BCEWithLogitsLoss();
        return new TrainingWorkload("logreg", new Linear(30, 1, generator: g), loss.Forward, p => new SGD(p, lr: 0.1), x, y);
    }

    /// <summary>Softmax regression: 1797×64 full batch, Linear(64, 10), CrossEntropyLoss, SGD(lr 0.1).</summary>
    public static TrainingWorkload SoftmaxRegression()
    {
        var g = new Generator(2);
        var x = Tensor.Randn([1797, 64], g);
        var y = Tensor.RandInt(0, 10, [1797], g);
        var loss = new CrossEntropyLoss();
        return new TrainingWorkload("softmax", new Linear(64, 10, generator: g), loss.Forward, p => new SGD(p, lr: 0.1), x, y);
    }

    /// <summary>MLP 784-512-512-10 with ReLU, batch 1024, CrossEntropyLoss, Adam(lr 1e-3).</summary>
    public static TrainingWorkload Mlp()
    {
        var g = new Generator(3);
        var x = Tensor.Randn([1024, 784], g);
        var y = Tensor.RandInt(0, 10, [1024], g);
        var model = new Sequential(
            new Linear(784, 512, generator: g), new ReLU(),
            new Linear(512, 512, generator: g), new ReLU(),
            new Linear(512, 10, generator: g));
        var loss = new CrossEntropyLoss();
        return new TrainingWorkload("mlp", model, loss.Forward, p => new Adam(p, lr: 1e-3), x, y);
    }

    /// <summary>
    /// A hand-written Elman RNN trained by backpropagation through time, as in
    /// <c>../shared/bench</c>: sequence 32, batch 16, input 16, hidden 64, 10 classes from the last
    /// hidden state, CrossEntropyLoss, SGD(lr 0.1).
    /// </summary>
    public static TrainingWorkload Rnn()
    {
        var g = new Generator(5);
        var x = Tensor.Randn([32, 16, 16], g);
        var y = Tensor.RandInt(0, 10, [16], g);
        var loss = new CrossEntropyLoss();
        return new TrainingWorkload("rnn", new ElmanRnn(16, 64, 10, g), loss.Forward, p => new SGD(p, lr: 0.1), x, y);
    }

    /// <summary>
    /// The LSTM step of issue 14, as <c>tools/bench_torch.py lstm</c>: <see cref="LSTM"/>(32, 128) over
    /// a (50, 16, 32) sequence, Linear(128, 10) on the last output, CrossEntropyLoss, SGD(lr 0.1).
    /// </summary>
    public static TrainingWorkload Lstm()
    {
        var g = new Generator(6);
        var x = Tensor.Randn([50, 16, 32], g);
        var y = Tensor.RandInt(0, 10, [16], g);
        var loss = new CrossEntropyLoss();
        return new TrainingWorkload("lstm", new LstmClassifier(32, 128, 10, g), loss.Forward, p => new SGD(p, lr: 0.1), x, y);
    }

    /// <summary>
    /// The LeNet-style step of issue 15, as <c>tools/bench_torch.py lenet</c>: Conv2d(1, 6, 5), ReLU,
    /// MaxPool2d(2), Conv2d(6, 16, 5), ReLU, MaxPool2d(2), Linear 256-120-84-10 with ReLUs, on 64
    /// inputs of 1x28x28, CrossEntropyLoss, SGD(lr 0.01, momentum 0.9).
    /// </summary>
    public static TrainingWorkload LeNet()
    {
        var g = new Generator(7);
        var x = Tensor.Randn([64, 1, 28, 28], g);
        var y = Tensor.RandInt(0, 10, [64], g);
        var model = new Sequential(
            new Conv2d(1, 6, 5, generator: g), new ReLU(), new MaxPool2d(2),
            new Conv2d(6, 16, 5, generator: g), new ReLU(), new MaxPool2d(2),
            new Flatten(),
            new Linear(256, 120, generator: g), new ReLU(),
            new Linear(120, 84, generator: g), new ReLU(),
            new Linear(84, 10, generator: g));
        var loss = new CrossEntropyLoss();
        return new TrainingWorkload("lenet", model, loss.Forward, p => new SGD(p, lr: 0.01, momentum: 0.9), x, y);
    }

    /// <summary>One training step: forward, loss, ZeroGrad, Backward, Step.</summary>
    public void Step()
    {
        var loss = _loss(_model.Forward(_x), _y);
        _optimizer.ZeroGrad();
        loss.Backward();
        _optimizer.Step();
        LastLoss = loss.Item();
    }
}

/// <summary>h_t = tanh(x_t W_ihᵀ + h_(t-1) W_hhᵀ + b), logits = Linear(h_T): the RNN of the TorchSharp comparison.</summary>
internal sealed class ElmanRnn : Module
{
    private readonly Tensor _weightIh, _weightHh, _bias;
    private readonly Linear _head;

    public ElmanRnn(int input, int hidden, int classes, Generator g)
    {
        double bound = 1 / Math.Sqrt(hidden);
        _weightIh = RegisterParameter("weight_ih", Init.Uniform(Tensor.Zeros(hidden, input), -bound, bound, g));
        _weightHh = RegisterParameter("weight_hh", Init.Uniform(Tensor.Zeros(hidden, hidden), -bound, bound, g));
        _bias = RegisterParameter("bias", Init.Uniform(Tensor.Zeros(hidden), -bound, bound, g));
        _head = RegisterModule("head", new Linear(hidden, classes, generator: g));
    }

    public override Tensor Forward(Tensor x)
    {
        var h = Tensor.Zeros(x.Shape[1], _weightHh.Shape[0]);
        for (int t = 0; t < x.Shape[0]; t++)
            h = (Functional.Linear(x.Select(0, t), _weightIh) + Functional.Linear(h, _weightHh, _bias)).Tanh();
        return _head.Forward(h);
    }
}

/// <summary>An <see cref="LSTM"/> and a Linear head on the last time step's output (PyTorch's parameter names: lstm.weight_ih_l0, ..., head.weight).</summary>
internal sealed class LstmClassifier : Module
{
    private readonly LSTM _lstm;
    private readonly Linear _head;

    public LstmClassifier(int input, int hidden, int classes, Generator g)
    {
        _lstm = RegisterModule("lstm", new LSTM(input, hidden, generator: g));
        _head = RegisterModule("head", new Linear(hidden, classes, generator: g));
    }

    public override Tensor Forward(Tensor x)
    {
        var (output, _) = _lstm.Forward(x);
        return _head.Forward(output.Select(0, x.Shape[0] - 1));
    }
}
