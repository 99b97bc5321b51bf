using System.Security.Cryptography;
using Autograd.Optim;
using F = Autograd.Nn.Functional;

namespace Autograd.Nn.Tests.Determinism;

/// <summary>
/// A broad, seeded program over the whole library (every op forward and backward, every loss and
/// option family, matrix products on every kernel path, optimizer steps and short training runs),
/// reduced to one hash of the result bits per case. Two runs that print the same hashes computed
/// the same bits. <see cref="MachineIndependenceTests"/> compares them with the committed
/// fingerprints, whatever the CPU, its vector width and the thread count.
/// </summary>
internal static class Fingerprints
{
    /// <summary>The sizes that cross every vector width's boundaries (1, 4, 8, 16 lanes and their tails) and the parallel thresholds.</summary>
    private static readonly int[] Lengths = [1, 3, 4, 7, 8, 15, 16, 17, 31, 33, 64, 100, 257, 1000, 4099, 40_000, 300_001];

    /// <summary>Every case; with <paramref name="light"/>, only those that run quickly with emulated vectors.</summary>
    public static IEnumerable<(string Name, Func<IEnumerable<Tensor?>> Run)> Cases(bool light = false) =>
        AllCases().Where(c => !light || !Heavy.Any(h => c.Name.Contains(h, StringComparison.Ordinal)));

    /// <summary>Cases left out of the light set: long arrays, the large products and the MLP.</summary>
    private static readonly string[] Heavy = ["/40000", "/300001", "/256x256x256", "/10x512x784", "/129x130x131", "train-mlp", "/10x10000", "/64x1000"];

    private static IEnumerable<(string Name, Func<IEnumerable<Tensor?>> Run)> AllCases()
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            string dt = dtype == DType.Float32 ? "f32" : "f64";
            foreach (int n in Lengths)
            {
                yield return ($"unary/{dt}/{n}", () => Unary(dtype, n));
                yield return ($"binary/{dt}/{n}", () => Binary(dtype, n));
                yield return ($"reduce-all/{dt}/{n}", () => ReduceAll(dtype, n));
            }
            foreach (var (rows, cols) in new[] { (1, 1), (3, 5), (7, 16), (16, 7), (33, 17), (100, 10), (64, 1000), (10, 10000), (1000, 3), (257, 64) })
            {
                yield return ($"reduce-dim/{dt}/{rows}x{cols}", () => ReduceDims(dtype, rows, cols));
                yield return ($"softmax/{dt}/{rows}x{cols}", () => SoftmaxFamily(dtype, rows, cols));
                yield return ($"cross-entropy/{dt}/{rows}x{cols}", () => CrossEntropies(dtype, rows, cols));
                yield return ($"binary-losses/{dt}/{rows}x{cols}", () => BinaryLosses(dtype, rows, cols));
                yield return ($"regression-losses/{dt}/{rows}x{cols}", () => RegressionLosses(dtype, rows, cols));
            }
            yield return ($"cross-entropy-spatial/{dt}", () => SpatialCrossEntropy(dtype));
            foreach (var (m, k, n) in new[] { (1, 1, 1), (1, 64, 10), (5, 3, 7), (13, 9, 10), (64, 64, 64), (100, 37, 9), (129, 130, 131), (300, 17, 5), (1, 300, 70), (70, 300, 1), (256, 256, 256), (10, 512, 784) })
                yield return ($"matmul/{dt}/{m}x{k}x{n}", () => MatMuls(dtype, m, k, n));
            yield return ($"linear/{dt}", () => LinearLayer(dtype));
            yield return ($"optimizers/{dt}", () => Optimizers(dtype));
            yield return ($"train-logreg/{dt}", () => TrainLogReg(dtype));
            yield return ($"train-softmax/{dt}", () => TrainSoftmax(dtype));
            yield return ($"train-mlp/{dt}", () => TrainMlp(dtype));
            yield return ($"second-order/{dt}", () => SecondOrder(dtype));
        }
    }

    /// <summary>SHA-256 over the shape and the bits of every tensor (a null counts as a marker), first 16 hex digits.</summary>
    public static string Hash(IEnumerable<Tensor?> tensors)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var t in tensors)
        {
            if (t is null)
            {
                sha.AppendData([0xFF]);
                continue;
            }
            sha.AppendData(BitConverter.GetBytes(t.Rank));
            foreach (int d in t.Shape) sha.AppendData(BitConverter.GetBytes(d));
            switch (t.DType)
            {
                case DType.Float32: sha.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.ToArray<float>().AsSpan())); break;
                case DType.Float64: sha.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.ToArray<double>().AsSpan())); break;
                default: sha.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.ToArray<long>().AsSpan())); break;
            }
        }
        return Convert.ToHexString(sha.GetHashAndReset())[..16].ToLowerInvariant();
    }

    private static Tensor Input(DType dtype, int seed, params int[] shape)
    {
        var t = Tensor.Randn(shape, new Generator(seed), dtype) * 3.0;
        var leaf = t.Detach();
        leaf.RequiresGrad = true;
        return leaf;
    }

    private static Tensor Positive(DType dtype, int seed, params int[] shape)
    {
        var t = (Tensor.Rand(shape, new Generator(seed), dtype) * 5.0 + 1e-3).Detach();
        t.RequiresGrad = true;
        return t;
    }

    private static IEnumerable<Tensor?> Unary(DType dtype, int n)
    {
        var x = Input(dtype, 1, n);
        var p = Positive(dtype, 2, n);
        var outs = new[]
        {
            x.Exp(), x.Sigmoid(), x.Tanh(), x.Relu(), x.Abs(), -x, x.Pow(3), x.Clamp(-1, 2), x.Sign(),
            p.Log(), p.Sqrt(), p.Pow(0.5), p.Pow(-1.5),
        };
        var total = outs[0].Sum();
        for (int i = 1; i < outs.Length; i++) total = total + (outs[i] * (i + 0.5)).Sum();
        total.Backward();
        return [.. outs, total, x.Grad, p.Grad];
    }

    private static IEnumerable<Tensor?> Binary(DType dtype, int n)
    {
        var a = Input(dtype, 3, n);
        var b = Positive(dtype, 4, n);
        var c = Input(dtype, 5, 1);
        var outs = new[] { a + b, a - b, a * b, a / b, a * c, b / c, a + 2.5, 3.0 / b, a.Gt(b), a.Le(c) };
        var total = (outs[0] * outs[1]).Sum() + (outs[2] / outs[3].Abs().Clamp(0.1)).Sum() + outs[4].Mean() + outs[5].Sum() + (outs[6] * outs[7]).Mean();
        total.Backward();
        return [.. outs, total, a.Grad, b.Grad, c.Grad];
    }

    private static IEnumerable<Tensor?> ReduceAll(DType dtype, int n)
    {
        var x = Input(dtype, 6, n);
        var outs = new[] { x.Sum(), x.Mean(), x.Max(), x.Min(), (x * x).Sum(), x.Exp().Sum(), x.Reshape(1, n).LogSumExp(1) };
        var total = outs[0] + outs[1] * 2 + outs[2] + outs[3] + outs[4] * 0.5 + outs[6].Sum();
        total.Backward();
        return [.. outs, x.Grad];
    }

    private static IEnumerable<Tensor?> ReduceDims(DType dtype, int rows, int cols)
    {
        var x = Input(dtype, 7, rows, cols);
        var outs = new[]
        {
            x.Sum(0), x.Sum(1), x.Mean(0), x.Mean(1, keepDim: true), x.Max(0), x.Max(1), x.Min(1), x.ArgMax(1), x.ArgMin(0),
            x.LogSumExp(0), x.LogSumExp(1), x.T.Sum(1), x.Reshape(rows, cols, 1).Sum(1),
        };
        var total = outs[0].Sum() + (outs[1] * outs[1]).Sum() + outs[2].Sum() + outs[3].Sum() + outs[4].Sum() + outs[5].Sum() + outs[6].Sum()
            + outs[9].Sum() + outs[10].Sum() + outs[11].Sum() + outs[12].Sum();
        total.Backward();
        return [.. outs, total, x.Grad];
    }

    private static IEnumerable<Tensor?> SoftmaxFamily(DType dtype, int rows, int cols)
    {
        var x = Input(dtype, 8, rows, cols);
        var w = Input(dtype, 9, rows, cols).Detach();
        var outs = new[] { x.Softmax(1), x.Softmax(0), x.LogSoftmax(1), x.LogSoftmax(0), F.Softmax(x, -1), F.LogSoftmax(x, 0) };
        var total = (outs[0] * w).Sum() + (outs[1] * w).Sum() + (outs[2] * w).Sum() + (outs[3] * w).Sum() + (outs[4] * w).Mean() + (outs[5] * w).Mean();
        total.Backward();
        return [.. outs, total, x.Grad];
    }

    private static IEnumerable<Tensor?> CrossEntropies(DType dtype, int rows, int cols)
    {
        var results = new List<Tensor?>();
        var target = Tensor.RandInt(0, cols, [rows], new Generator(10));
        var probs = Tensor.Rand([rows, cols], new Generator(11), dtype).Softmax(1).Detach();
        var weight = (Tensor.Rand([cols], new Generator(12), dtype) + 0.5).Detach();
        foreach (var reduction in new[] { Reduction.Mean, Reduction.Sum, Reduction.None })
        {
            foreach (double smoothing in new[] { 0.0, 0.1 })
            {
                foreach (bool weighted in new[] { false, true })
                {
                    var x = Input(dtype, 13, rows, cols);
                    var w = weighted ? weight : null;
                    var loss = F.CrossEntropy(x, target, w, reduction: reduction, labelSmoothing: smoothing);
                    var lossP = F.CrossEntropy(x, probs, w, reduction: reduction, labelSmoothing: smoothing);
                    var nll = F.NllLoss(x.LogSoftmax(1), target, w, reduction: reduction);
                    var total = loss.Sum() + lossP.Sum() * 0.5 + nll.Sum() * 0.25;
                    total.Backward();
                    results.AddRange([loss, lossP, nll, x.Grad]);
                }
            }
        }
        var xi = Input(dtype, 14, rows, cols);
        var ignoring = F.CrossEntropy(xi, target, ignoreIndex: 0);
        ignoring.Backward();
        results.AddRange([ignoring, xi.Grad]);
        return results;
    }

    private static IEnumerable<Tensor?> SpatialCrossEntropy(DType dtype)
    {
        var results = new List<Tensor?>();
        foreach (var shape in new[] { new[] { 4, 5, 3 }, new[] { 2, 7, 9, 11 }, new[] { 3, 10, 33 } })
        {
            var x = Input(dtype, 15, shape);
            var targetShape = shape.Where((_, i) => i != 1).ToArray();
            var target = Tensor.RandInt(0, shape[1], targetShape, new Generator(16));
            var loss = F.CrossEntropy(x, target, labelSmoothing: 0.2) + F.CrossEntropy(x, target, reduction: Reduction.Sum) * 0.1;
            loss.Backward();
            results.AddRange([loss, x.Grad]);
        }
        return results;
    }

    private static IEnumerable<Tensor?> BinaryLosses(DType dtype, int rows, int cols)
    {
        var results = new List<Tensor?>();
        var y = Tensor.Rand([rows, cols], new Generator(17), dtype);
        var w = (Tensor.Rand([cols], new Generator(18), dtype) + 0.5).Detach();
        foreach (var reduction in new[] { Reduction.Mean, Reduction.Sum, Reduction.None })
        {
            var x = Input(dtype, 19, rows, cols);
            var bce = F.BinaryCrossEntropy(x.Sigmoid(), y, w, reduction);
            var logits = F.BinaryCrossEntropyWithLogits(x, y, w, posWeight: w * 2.0, reduction: reduction);
            var plain = F.BinaryCrossEntropyWithLogits(x, y, reduction: reduction);
            var total = bce.Sum() + logits.Sum() + plain.Sum();
            total.Backward();
            results.AddRange([bce, logits, plain, x.Grad]);
        }
        return results;
    }

    private static IEnumerable<Tensor?> RegressionLosses(DType dtype, int rows, int cols)
    {
        var results = new List<Tensor?>();
        var y = Input(dtype, 20, rows, cols).Detach();
        foreach (var reduction in new[] { Reduction.Mean, Reduction.Sum, Reduction.None })
        {
            var x = Input(dtype, 21, rows, cols);
            var losses = new[]
            {
                F.MseLoss(x, y, reduction), F.L1Loss(x, y, reduction),
                F.HuberLoss(x, y, reduction, 1.5), F.SmoothL1Loss(x, y, reduction, 0.5),
            };
            var total = losses[0].Sum() + losses[1].Sum() + losses[2].Sum() + losses[3].Sum();
            total.Backward();
            results.AddRange([.. losses, x.Grad]);
        }
        return results;
    }

    private static IEnumerable<Tensor?> MatMuls(DType dtype, int m, int k, int n)
    {
        var a = Input(dtype, 22, m, k);
        var b = Input(dtype, 23, k, n);
        var v = Input(dtype, 24, k);
        var c = a.MatMul(b);
        var av = a.MatMul(v);
        var batched = a.Reshape(1, m, k).Expand(2, m, k).MatMul(b);
        var total = (c * c).Sum() + av.Sum() + batched.Mean();
        total.Backward();
        return [c, av, batched, total, a.Grad, b.Grad, v.Grad];
    }

    private static IEnumerable<Tensor?> LinearLayer(DType dtype)
    {
        var layer = new Linear(37, 11, generator: new Generator(25), dtype: dtype);
        var x = Input(dtype, 26, 300, 37);
        var y = F.Linear(x, layer.Weight, layer.Bias).Tanh();
        y.Sum().Backward();
        return [y, x.Grad, layer.Weight.Grad, layer.Bias!.Grad];
    }

    private static IEnumerable<Tensor?> Optimizers(DType dtype)
    {
        var results = new List<Tensor?>();
        Func<Tensor[], Optimizer>[] makers =
        [
            p => new SGD(p, 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-3),
            p => new Adam(p, 1e-2, weightDecay: 1e-3),
            p => new Adam(p, 1e-2, amsgrad: true),
            p => new AdamW(p, 1e-2),
        ];
        foreach (var make in makers)
        {
            foreach (int n in new[] { 7, 33, 1000, 300_001 })
            {
                var p = Input(dtype, 27, n);
                var opt = make([p]);
                for (int step = 0; step < 3; step++)
                {
                    opt.ZeroGrad();
                    (p * p * p).Sum().Backward();
                    opt.Step();
                }
                results.Add(p.Detach().Clone());
            }
        }
        return results;
    }

    private static IEnumerable<Tensor?> TrainLogReg(DType dtype)
    {
        var x = Tensor.Randn([569, 30], new Generator(28), dtype);
        var y = Tensor.Rand([569, 1], new Generator(29), dtype).Gt(0.5).To(dtype);
        var model = new Linear(30, 1, generator: new Generator(30), dtype: dtype);
        var opt = new SGD(model.Parameters(), 0.1);
        var losses = new List<Tensor?>();
        for (int step = 0; step < 20; step++)
        {
            opt.ZeroGrad();
            var loss = F.BinaryCrossEntropyWithLogits(model.Forward(x), y);
            loss.Backward();
            opt.Step();
            losses.Add(loss.Detach());
        }
        return [.. losses, model.Weight, model.Bias];
    }

    private static IEnumerable<Tensor?> TrainSoftmax(DType dtype)
    {
        var x = Tensor.Randn([1797, 64], new Generator(31), dtype);
        var y = Tensor.RandInt(0, 10, [1797], new Generator(32));
        var model = new Linear(64, 10, generator: new Generator(33), dtype: dtype);
        var opt = new SGD(model.Parameters(), 0.5, momentum: 0.9);
        var losses = new List<Tensor?>();
        for (int step = 0; step < 20; step++)
        {
            opt.ZeroGrad();
            var loss = F.CrossEntropy(model.Forward(x), y);
            loss.Backward();
            opt.Step();
            losses.Add(loss.Detach());
        }
        return [.. losses, model.Weight, model.Bias];
    }

    private static IEnumerable<Tensor?> TrainMlp(DType dtype)
    {
        var g = new Generator(34);
        var x = Tensor.Randn([256, 784], new Generator(35), dtype);
        var y = Tensor.RandInt(0, 10, [256], new Generator(36));
        var model = new Sequential(new Linear(784, 128, generator: g, dtype: dtype), new ReLU(), new Linear(128, 64, generator: g, dtype: dtype),
            new Tanh(), new Linear(64, 10, generator: g, dtype: dtype));
        var opt = new Adam(model.Parameters(), 1e-3);
        var losses = new List<Tensor?>();
        for (int step = 0; step < 5; step++)
        {
            opt.ZeroGrad();
            var loss = F.CrossEntropy(model.Forward(x), y);
            loss.Backward();
            opt.Step();
            losses.Add(loss.Detach());
        }
        return [.. losses, .. model.Parameters()];
    }

    private static IEnumerable<Tensor?> SecondOrder(DType dtype)
    {
        var x = Input(dtype, 37, 20, 9);
        var w = Input(dtype, 38, 9, 5);
        var target = Tensor.RandInt(0, 5, [20], new Generator(39));
        var loss = F.CrossEntropy(x.MatMul(w).Tanh(), target);
        var grads = Tape.Grad(loss, [w], createGraph: true);
        var v = Tensor.Randn([9, 5], new Generator(40), dtype);
        var hvp = Tape.Grad((grads[0] * v).Sum(), [w]);
        return [loss, grads[0], hvp[0]];
    }
}
