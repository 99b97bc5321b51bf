using Autograd;
using Autograd.Nn;
using Autograd.Optim;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Samples.Tests.Docs;

/// <summary>
/// The examples of docs/getting-started.md, losses.md, optimizers.md and pytorch-mapping.md,
/// verbatim (DocsInSyncTests keeps them in sync with the docs), each run and checked against the
/// output the doc shows: the trailing comment of each <c>Console.WriteLine</c>, or the doc's
/// <c>```text</c> block, repeated here as the expected string. The PyTorch values the docs quote
/// were measured with PyTorch 1.13.1 (float32) running the same programs.
/// </summary>
[TestFixture]
public sealed class DocExamples
{
    // ------------------------------------------------------------------ getting-started.md

    [Test]
    public void GettingStarted_FirstModel_TrainsAndPrintsTheDocumentedOutput()
    {
        string printed = DocRunner.CaptureInTempDirectory(() =>
        {
            // 200 points in the plane, labelled 1 above the line x0 + 2 x1 = 0.5 and 0 below it.
            var gen = new Generator(0);
            var x = Tensor.Randn([200, 2], gen);
            var y = (x.Select(1, 0) + 2 * x.Select(1, 1)).Gt(0.5).Unsqueeze(1);   // (200, 1): 1 or 0
            var (xTrain, yTrain) = (x.Narrow(0, 0, 150), y.Narrow(0, 0, 150));    // 150 to learn from
            var (xTest, yTest) = (x.Narrow(0, 150, 50), y.Narrow(0, 150, 50));    // 50 to test on

            var model = new Linear(2, 1, generator: gen);   // one logit per point: logistic regression
            var lossFn = new BCEWithLogitsLoss();
            var optimizer = new SGD(model.Parameters(), lr: 0.5);
            var loader = new DataLoader(new TensorDataset(xTrain, yTrain), batchSize: 25, shuffle: true, generator: gen);

            for (int epoch = 1; epoch <= 20; epoch++)
            {
                foreach (Tensor[] batch in loader)
                {
                    var loss = lossFn.Forward(model.Forward(batch[0]), batch[1]);   // forward, recorded on the tape
                    optimizer.ZeroGrad();                                           // clear the last step's gradients
                    loss.Backward();                                                // d loss / d weight and d loss / d bias
                    optimizer.Step();                                               // each parameter -= lr * its gradient
                }
                if (epoch % 5 == 0)
                    using (Tape.NoGrad())
                        Console.WriteLine($"epoch {epoch}: training loss {lossFn.Forward(model.Forward(xTrain), yTrain).Item():F4}");
            }

            using (Tape.NoGrad())
            {
                var correct = model.Forward(xTest).Gt(0).Eq(yTest);   // logit > 0 means probability > 0.5
                Console.WriteLine($"test accuracy {100 * correct.Mean().Item():F1}%");
            }

            model.Save("first-model.safetensors");
            var restored = new Linear(2, 1);
            restored.Load("first-model.safetensors");
            Console.WriteLine(restored.Weight);
            Console.WriteLine(restored.Bias);
        });
        DocRunner.ShouldMatchPrinted(printed, """
            epoch 5: training loss 0.2507
            epoch 10: training loss 0.1978
            epoch 15: training loss 0.1722
            epoch 20: training loss 0.1560
            test accuracy 100.0%
            tensor([[1.7994, 3.8813]], shape=(1, 2), requires_grad=True)
            tensor([-0.7194], shape=(1,), requires_grad=True)
            """);
    }

    // ------------------------------------------------------------------ losses.md: BCELoss

    [Test]
    public void Losses_BCELoss_ValueAndGradient() => DocRunner.ShouldPrintItsComments(() =>
    {
        var p = Tensor.FromArray([0.9f, 0.2f, 0.6f]);   // probabilities, e.g. the Sigmoid() of logits
        p.RequiresGrad = true;
        var y = Tensor.FromArray([1f, 0f, 1f]);
        var loss = new BCELoss().Forward(p, y);
        loss.Backward();
        Console.WriteLine(loss.Item());   // 0.27977654337882996
        Console.WriteLine(p.Grad);        // tensor([-0.3704,  0.4167, -0.5556], shape=(3,))
    });

    [Test]
    public void Losses_BCELoss_ClampAtCertainty() => DocRunner.ShouldPrintItsComments(() =>
    {
        var p = Tensor.FromArray([0f, 1f, 1f]);
        p.RequiresGrad = true;
        var y = Tensor.FromArray([1f, 1f, 0f]);
        var perElement = new BCELoss(reduction: Reduction.None).Forward(p, y);
        perElement.Sum().Backward();
        Console.WriteLine(perElement);   // tensor([100.,  -0., 100.], shape=(3,), grad_fn=<BinaryCrossEntropyBackward>)
        Console.WriteLine(p.Grad);       // tensor([-1.0000e+12,  0.0000e+00,  1.0000e+12], shape=(3,))
    });

    [Test]
    public void Losses_BCELoss_WeightAsAMask() => DocRunner.ShouldPrintItsComments(() =>
    {
        var p = Tensor.FromArray([0.55f, 0.4f, 0.8f]);
        var y = Tensor.FromArray([1f, 1f, 0f]);
        var mask = Tensor.FromArray([1f, 0f, 1f]);   // leave the second element out
        Console.WriteLine(new BCELoss(mask, Reduction.None).Forward(p, y));   // tensor([0.5978, 0.0000, 1.6094], shape=(3,))
        Console.WriteLine(new BCELoss(mask, Reduction.Sum).Forward(p, y).Item());   // 2.207274913787842
        Console.WriteLine(new BCELoss(mask).Forward(p, y).Item());   // 0.7357583045959473
    });

    // ------------------------------------------------------------------ losses.md: BCEWithLogitsLoss

    [Test]
    public void Losses_BCEWithLogitsLoss_EqualsBCELossOfSigmoid() => DocRunner.ShouldPrint(() =>
    {
        var x = Tensor.FromArray(new float[,] { { 0.4f, 0.7f, 1.2f, 0.3f }, { 1.1f, 0.6f, 0.9f, 1.6f } });
        x.RequiresGrad = true;
        var y = Tensor.FromArray(new float[,] { { 1, 0, 1, 0 }, { 0, 1, 1, 0 } });
        var fused = new BCEWithLogitsLoss().Forward(x, y);
        var twoSteps = new BCELoss().Forward(x.Sigmoid(), y);
        Console.WriteLine(fused.Item());
        Console.WriteLine(twoSteps.Item());
        fused.Backward();
        Console.WriteLine(x.Grad);   // (σ(x) - y) / 8
    }, """
        0.8354646563529968
        0.835464596748352
        tensor([[-0.0502,  0.0835, -0.0289,  0.0718],
                [ 0.0938, -0.0443, -0.0361,  0.1040]], shape=(2, 4))
        """);

    [Test]
    public void Losses_BCEWithLogitsLoss_PosWeight() => DocRunner.ShouldPrint(() =>
    {
        // 3 samples, 2 labels. Label 0 is positive in 2 samples of 3, label 1 in 1 of 3:
        // posWeight = negatives / positives = (0.5, 2).
        var logits = Tensor.FromArray(new float[,] { { 1.2f, -0.8f }, { -0.3f, 0.4f }, { 2.0f, -1.5f } });
        logits.RequiresGrad = true;
        var labels = Tensor.FromArray(new float[,] { { 1, 0 }, { 0, 1 }, { 1, 0 } });
        var loss = new BCEWithLogitsLoss(posWeight: Tensor.FromArray([0.5f, 2f])).Forward(logits, labels);
        loss.Backward();
        Console.WriteLine(loss.Item());
        Console.WriteLine(logits.Grad);
    }, """
        0.3913341760635376
        tensor([[-0.0193,  0.0517],
                [ 0.0709, -0.1338],
                [-0.0099,  0.0304]], shape=(3, 2))
        """);

    [Test]
    public void Losses_BCEWithLogitsLoss_ExtremeLogits() => DocRunner.ShouldPrint(() =>
    {
        var y = Tensor.FromArray([0f]);   // the true class is 0, the model is sure it is 1
        foreach (float logit in new[] { 5f, 10f, 17f, 20f, 50f })
        {
            var x = Tensor.FromArray([logit]);
            x.RequiresGrad = true;
            var twoSteps = new BCELoss().Forward(x.Sigmoid(), y);
            var gradTwoSteps = Tape.Grad(twoSteps, [x])[0].Item();
            var fused = new BCEWithLogitsLoss().Forward(x, y);
            var gradFused = Tape.Grad(fused, [x])[0].Item();
            Console.WriteLine($"x = {logit,2}: BCELoss(Sigmoid) {twoSteps.Item(),-10:G8} gradient {gradTwoSteps,-10:G8}" +
                              $" BCEWithLogitsLoss {fused.Item(),-10:G8} gradient {gradFused:G8}");
        }
    }, """
        x =  5: BCELoss(Sigmoid) 5.0067191  gradient 0.99330717 BCEWithLogitsLoss 5.0067153  gradient 0.99330717
        x = 10: BCELoss(Sigmoid) 9.9995861  gradient 0.99995458 BCEWithLogitsLoss 10.000046  gradient 0.99995458
        x = 17: BCELoss(Sigmoid) 100        gradient 0          BCEWithLogitsLoss 17         gradient 1
        x = 20: BCELoss(Sigmoid) 100        gradient 0          BCEWithLogitsLoss 20         gradient 1
        x = 50: BCELoss(Sigmoid) 100        gradient 0          BCEWithLogitsLoss 50         gradient 1
        """);

    // ------------------------------------------------------------------ losses.md: CrossEntropyLoss

    [Test]
    public void Losses_CrossEntropyLoss_ThreeLabels() => DocRunner.ShouldPrint(() =>
    {
        var logits = Tensor.FromArray(new float[,] { { 4, 8, 3 } });   // one sample, C = 3 classes
        logits.RequiresGrad = true;
        Console.WriteLine(logits.Softmax(1));
        foreach (long label in new long[] { 0, 1, 2 })
        {
            var loss = new CrossEntropyLoss().Forward(logits, Tensor.FromArray([label]));
            loss.Backward();
            Console.WriteLine($"label {label}: loss {loss.Item():F4}, gradient {logits.Grad}");
            logits.Grad = null;
        }
    }, """
        tensor([[0.0179, 0.9756, 0.0066]], shape=(1, 3), grad_fn=<SoftmaxBackward>)
        label 0: loss 4.0247, gradient tensor([[-0.9821,  0.9756,  0.0066]], shape=(1, 3))
        label 1: loss 0.0247, gradient tensor([[ 0.0179, -0.0244,  0.0066]], shape=(1, 3))
        label 2: loss 5.0247, gradient tensor([[ 0.0179,  0.9756, -0.9934]], shape=(1, 3))
        """);

    [Test]
    public void Losses_CrossEntropyLoss_WeightsAndIgnoreIndex() => DocRunner.ShouldPrintItsComments(() =>
    {
        var logits = Tensor.FromArray(new float[,] { { 2.0f, 0.5f, -1.0f }, { 0.1f, 1.5f, 0.3f }, { -0.4f, 0.2f, 2.2f }, { 1f, 1f, 1f } });
        var labels = Tensor.FromArray([0L, 2L, 2L, -100L]);   // the last sample is not labelled
        var weight = Tensor.FromArray([1f, 2f, 0.5f]);         // one weight per class
        var perSample = new CrossEntropyLoss(weight, reduction: Reduction.None).Forward(logits, labels);
        Console.WriteLine(perSample);   // tensor([0.2413, 0.8184, 0.0951, 0.0000], shape=(4,))
        Console.WriteLine(new CrossEntropyLoss(weight).Forward(logits, labels).Item());   // 0.577437162399292
        Console.WriteLine(perSample.Sum().Item() / (1 + 0.5 + 0.5));   // 0.5774371027946472
    });

    [Test]
    public void Losses_CrossEntropyLoss_LabelSmoothing() => DocRunner.ShouldPrintItsComments(() =>
    {
        var logits = Tensor.FromArray(new float[,] { { 4, 8, 3 } });
        logits.RequiresGrad = true;
        var loss = new CrossEntropyLoss(labelSmoothing: 0.1).Forward(logits, Tensor.FromArray([1L]));
        loss.Backward();
        Console.WriteLine(loss.Item());    // 0.32474496960639954
        Console.WriteLine(logits.Grad);    // tensor([[-0.0155,  0.0422, -0.0268]], shape=(1, 3))
    });

    [Test]
    public void Losses_CrossEntropyLoss_ProbabilityTargets() => DocRunner.ShouldPrintItsComments(() =>
    {
        var logits = Tensor.FromArray(new float[,] { { 4, 8, 3 }, { 1, 2, 3 } });
        var q = Tensor.FromArray(new float[,] { { 0.1f, 0.8f, 0.1f }, { 0, 0, 1 } });   // each row sums to 1
        Console.WriteLine(new CrossEntropyLoss(reduction: Reduction.None).Forward(logits, q));   // tensor([0.9247, 0.4076], shape=(2,))
        Console.WriteLine(new CrossEntropyLoss().Forward(logits, q).Item());   // 0.6661754250526428
    });

    [Test]
    public void Losses_CrossEntropyLoss_LogSumExpTrick() => DocRunner.ShouldPrintItsComments(() =>
    {
        var x = Tensor.FromArray(new float[,] { { 1000f, 0f } });
        Console.WriteLine(x.Softmax(1).Log());   // tensor([[  0., -inf]], shape=(1, 2))
        Console.WriteLine(x.LogSoftmax(1));      // tensor([[    0., -1000.]], shape=(1, 2))
        Console.WriteLine(new CrossEntropyLoss().Forward(x, Tensor.FromArray([1L])).Item());   // 1000
    });

    // ------------------------------------------------------------------ losses.md: NLLLoss

    [Test]
    public void Losses_NLLLoss_OfLogSoftmaxIsCrossEntropy() => DocRunner.ShouldPrint(() =>
    {
        var logits = Tensor.FromArray(new float[,] { { 4, 8, 3 }, { 1, 2, 3 } });
        logits.RequiresGrad = true;
        var labels = Tensor.FromArray([1L, 0L]);
        var logProbs = logits.LogSoftmax(1);
        var nll = new NLLLoss().Forward(logProbs, labels);
        var ce = new CrossEntropyLoss().Forward(logits, labels);
        Console.WriteLine($"{nll.Item()} {ce.Item()}");
        Console.WriteLine(Tape.Grad(nll, [logProbs])[0]);   // -1/N at each target, 0 elsewhere
    }, """
        1.2161754369735718 1.2161754369735718
        tensor([[ 0.0000, -0.5000,  0.0000],
                [-0.5000,  0.0000,  0.0000]], shape=(2, 3))
        """);

    // ------------------------------------------------------------------ losses.md: regression losses

    [Test]
    public void Losses_MSELoss_ValueAndGradient() => DocRunner.ShouldPrintItsComments(() =>
    {
        var prediction = Tensor.FromArray([1f, 2f, 4f]);
        prediction.RequiresGrad = true;
        var target = Tensor.FromArray([1.5f, 2f, 3f]);
        var loss = new MSELoss().Forward(prediction, target);
        loss.Backward();
        Console.WriteLine(loss.Item());        // 0.4166666567325592
        Console.WriteLine(prediction.Grad);    // tensor([-0.3333,  0.0000,  0.6667], shape=(3,))
    });

    [Test]
    public void Losses_MSELoss_RefusesToBroadcast() => DocRunner.ShouldPrintItsComments(() =>
    {
        var prediction = Tensor.Arange(4).Unsqueeze(1);   // a model's (N, 1) output, here perfect
        var target = Tensor.Arange(4);                    // (N) targets
        try
        {
            new MSELoss().Forward(prediction, target);
        }
        catch (ArgumentException e)
        {
            Console.WriteLine(e.Message);   // MseLoss: the target's shape [4] differs from the input's shape [4, 1]. They must match exactly (broadcasting here would silently compute the wrong loss). (Parameter 'target')
        }
        Console.WriteLine(new MSELoss().Forward(prediction, target.Unsqueeze(1)).Item());   // 0
    });

    [Test]
    public void Losses_L1Loss_ValueAndGradient() => DocRunner.ShouldPrintItsComments(() =>
    {
        var prediction = Tensor.FromArray([1f, 2f, 4f]);
        prediction.RequiresGrad = true;
        var target = Tensor.FromArray([1.5f, 2f, 3f]);
        var loss = new L1Loss().Forward(prediction, target);
        loss.Backward();
        Console.WriteLine(loss.Item());        // 0.5
        Console.WriteLine(prediction.Grad);    // tensor([-0.3333,  0.0000,  0.3333], shape=(3,))
    });

    [Test]
    public void Losses_HuberLoss_ValueAndGradient() => DocRunner.ShouldPrintItsComments(() =>
    {
        var prediction = Tensor.Zeros(4);
        prediction.RequiresGrad = true;
        var target = Tensor.FromArray([0.5f, -2f, 3f, 1f]);   // errors d = -0.5, 2, -3, -1
        var loss = new HuberLoss(delta: 1.0).Forward(prediction, target);
        loss.Backward();
        Console.WriteLine(loss.Item());        // 1.15625
        Console.WriteLine(prediction.Grad);    // tensor([-0.1250,  0.2500, -0.2500, -0.2500], shape=(4,))
    });

    [Test]
    public void Losses_SmoothL1Loss_IsHuberOverDelta() => DocRunner.ShouldPrintItsComments(() =>
    {
        var prediction = Tensor.Zeros(4);
        var target = Tensor.FromArray([0.5f, -2f, 3f, 1f]);
        Console.WriteLine(new HuberLoss(Reduction.None, delta: 2.0).Forward(prediction, target));     // tensor([0.1250, 2.0000, 4.0000, 0.5000], shape=(4,))
        Console.WriteLine(new SmoothL1Loss(Reduction.None, beta: 2.0).Forward(prediction, target));  // tensor([0.0625, 1.0000, 2.0000, 0.2500], shape=(4,))
        Console.WriteLine(new SmoothL1Loss(beta: 2.0).Forward(prediction, target).Item());           // 0.828125
    });

    // ------------------------------------------------------------------ optimizers.md

    [Test]
    public void Optimizers_Rosenbrock_ThreeOptimizers() => DocRunner.ShouldPrint(() =>
    {
        var runs = new (string Name, Func<Tensor, Optimizer> Create)[]
        {
            ("SGD", p => new SGD([p], lr: 1e-3, momentum: 0.9, nesterov: true)),
            ("Adam", p => new Adam([p], lr: 0.05)),
            ("AdamW", p => new AdamW([p], lr: 0.05, weightDecay: 0.1)),
        };
        foreach (var (name, create) in runs)
        {
            var theta = Tensor.FromArray([-1.5f, 2.0f]);
            theta.RequiresGrad = true;
            var optimizer = create(theta);
            for (int step = 1; step <= 1000; step++)
            {
                var (a, b) = (theta.Select(0, 0), theta.Select(0, 1));
                var loss = (1 - a).Pow(2) + 100 * (b - a * a).Pow(2);   // Rosenbrock: minimum 0 at (1, 1)
                optimizer.ZeroGrad();
                loss.Backward();
                optimizer.Step();
                if (step % 500 == 0)
                    Console.WriteLine($"{name,-5} step {step,4}: loss {loss.Item():F6}, theta = ({string.Join(", ", theta.ToArray<float>())})");
            }
        }
    }, """
        SGD   step  500: loss 0.001662, theta = (0.9594439, 0.9203663)
        SGD   step 1000: loss 0.000023, theta = (0.99518406, 0.99037194)
        Adam  step  500: loss 0.113486, theta = (0.6652426, 0.44156185)
        Adam  step 1000: loss 0.000337, theta = (0.9817572, 0.96379346)
        AdamW step  500: loss 0.200127, theta = (0.5532101, 0.30522117)
        AdamW step 1000: loss 0.104883, theta = (0.67636114, 0.45684922)
        """);

    [Test]
    public void Optimizers_ZeroGrad_ZerosOrNone() => DocRunner.ShouldPrint(() =>
    {
        foreach (bool setToNone in new[] { false, true })
        {
            var used = Tensor.FromArray([1f]);
            var unused = Tensor.FromArray([1f]);
            used.RequiresGrad = unused.RequiresGrad = true;
            var optimizer = new SGD([used, unused], lr: 0.1, momentum: 0.9);

            (used * unused).Sum().Backward();   // step 1: both get a gradient of 1
            optimizer.Step();                   // both move to 0.9
            optimizer.ZeroGrad(setToNone);
            (used * 3).Sum().Backward();        // step 2: 'unused' is not in this graph
            optimizer.Step();
            Console.WriteLine($"setToNone: {setToNone}, unused.Grad: {unused.Grad?.ToString() ?? "null"}, unused: {unused.Item()}");
        }
    }, """
        setToNone: False, unused.Grad: tensor([0.], shape=(1,)), unused: 0.8100000023841858
        setToNone: True, unused.Grad: null, unused: 0.8999999761581421
        """);

    [Test]
    public void Optimizers_LearningRate_StepSchedule() => DocRunner.ShouldPrint(() =>
    {
        var w = Tensor.FromArray([0f]);
        w.RequiresGrad = true;
        var optimizer = new SGD([w], lr: 0.1, momentum: 0.5);
        for (int epoch = 0; epoch < 30; epoch++)
        {
            optimizer.LearningRate = 0.1 * Math.Pow(0.5, epoch / 10);   // StepLR(step_size=10, gamma=0.5)
            var loss = (w - 3).Pow(2).Sum();
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
            if (epoch % 10 == 9) Console.WriteLine($"epoch {epoch + 1}: lr {optimizer.LearningRate}, w {w.Item():F6}");
        }
    }, """
        epoch 10: lr 0.1, w 3.097636
        epoch 20: lr 0.05, w 3.002403
        epoch 30: lr 0.025, w 3.000509
        """);

    // ------------------------------------------------------------------ pytorch-mapping.md

    [Test]
    public void PyTorchMapping_TrainingStep_Runs()
    {
        string printed = DocRunner.CaptureInTempDirectory(() =>
        {
            var gen = new Generator(0);
            var features = Tensor.Randn([100, 4], gen);
            var labels = Tensor.RandInt(0, 3, [100], gen);

            var model = new Sequential(new Linear(4, 16, generator: gen), new ReLU(), new Linear(16, 3, generator: gen));
            var criterion = new CrossEntropyLoss(labelSmoothing: 0.1);
            var optimizer = new AdamW(model.Parameters(), lr: 1e-3, weightDecay: 0.01);
            var loader = new DataLoader(new TensorDataset(features, labels), batchSize: 32, shuffle: true, generator: gen);

            model.Train();
            foreach (Tensor[] batch in loader)
            {
                var loss = criterion.Forward(model.Forward(batch[0]), batch[1]);
                optimizer.ZeroGrad();
                loss.Backward();
                optimizer.Step();
            }

            model.Eval();
            using (Tape.NoGrad())
            {
                var predicted = model.Forward(features).ArgMax(1);
            }
            model.Save("model.safetensors");

            using (Tape.NoGrad()) Console.WriteLine(model.Forward(features).ArgMax(1).DType == DType.Int64);

            var copy = new Sequential(new Linear(4, 16), new ReLU(), new Linear(16, 3));
            copy.Load("model.safetensors");
            Console.WriteLine(copy.StateDict().All(kv => kv.Value.ToArray<float>().SequenceEqual(model.StateDict()[kv.Key].ToArray<float>())));
        });
        printed.ShouldBe("True\nTrue\n");
    }

    [Test]
    public void PyTorchMapping_MaxOfTies_TiesShareTheGradient() => DocRunner.ShouldPrintItsComments(() =>
    {
        var v = Tensor.FromArray([1f, 3f, 3f]);
        v.RequiresGrad = true;
        v.Max().Backward();
        Console.WriteLine(v.Grad);   // tensor([0.0000, 0.5000, 0.5000], shape=(3,))
    });

    [Test]
    public void PyTorchMapping_DTypes_OfFactoriesAndComparisons() => DocRunner.ShouldPrintItsComments(() =>
    {
        Console.WriteLine(Tensor.FromArray([1.0, 2.0]).DType);         // Float64 (double literals; torch.tensor([1.0, 2.0]) is float32)
        Console.WriteLine(Tensor.FromArray([1f, 2f]).DType);           // Float32
        Console.WriteLine(Tensor.Arange(3));                           // tensor([0., 1., 2.], shape=(3,))
        Console.WriteLine(Tensor.FromArray([1f, 2f, 3f]).Gt(1.5));     // tensor([0., 1., 1.], shape=(3,))
    });

    [Test]
    public void PyTorchMapping_GradAllowUnused_GivesZeros() => DocRunner.ShouldPrintItsComments(() =>
    {
        var used = Tensor.FromArray([1f]);
        var unused = Tensor.FromArray([2f]);
        used.RequiresGrad = unused.RequiresGrad = true;
        var grads = Tape.Grad((used * 2).Sum(), [used, unused], allowUnused: true);
        Console.WriteLine(grads[1]);   // tensor([0.], shape=(1,))
    });

    [Test]
    public void PyTorchMapping_LoadStateDict_AllOrNothing() => DocRunner.ShouldPrintItsComments(() =>
    {
        var model = new Linear(2, 1, generator: new Generator(0));
        var checkpoint = new Dictionary<string, Tensor> { ["weight"] = Tensor.Ones(1, 2), ["bias"] = Tensor.Ones(3) };   // bias has the wrong shape
        try
        {
            model.LoadStateDict(checkpoint);
        }
        catch (ArgumentException e)
        {
            Console.WriteLine(e.Message.Split('\n')[1].Trim());   // size mismatch for bias: copying a param with shape [3] from checkpoint, the shape in current model is [1].
        }
        Console.WriteLine(model.Weight);   // tensor([[0.1432, 0.3504]], shape=(1, 2), requires_grad=True)
    });

    [Test]
    public void PyTorchMapping_LoadStateDict_MessageFramesTheProblems()
    {
        var model = new Linear(2, 1, generator: new Generator(0));
        var e = Should.Throw<ArgumentException>(() => model.LoadStateDict(new Dictionary<string, Tensor> { ["weight"] = Tensor.Ones(1, 2), ["bias"] = Tensor.Ones(3) }));
        e.Message.ShouldStartWith("Error(s) in loading state_dict for Linear:\n");
        e.Message.ShouldContain("\nNothing was loaded; the model is unchanged.");
    }

    [Test]
    public void PyTorchMapping_SeededRandn_DiffersFromTorch() => DocRunner.ShouldPrintItsComments(() =>
    {
        Console.WriteLine(Tensor.Randn([3], new Generator(0)));   // tensor([-0.0190, -1.3559, -0.4037], shape=(3,))
    });

    [Test]
    public void PyTorchMapping_GradFnNames() => DocRunner.ShouldPrintItsComments(() =>
    {
        var x = Tensor.FromArray(new float[,] { { 1, 2, 3 } });
        x.RequiresGrad = true;
        Console.WriteLine(x.Sigmoid().GradFnName);                                                  // SigmoidBackward
        Console.WriteLine(new Linear(3, 2).Forward(x).GradFnName);                                  // LinearBackward
        Console.WriteLine(new CrossEntropyLoss().Forward(x, Tensor.FromArray([2L])).GradFnName);   // CrossEntropyBackward
        Console.WriteLine(x.Select(1, 0).GradFnName);                                               // ReshapeBackward
        Console.WriteLine(x.Max(1).GradFnName);                                                     // ReshapeBackward
    });
}
