using Autograd;
using Autograd.Nn;
using Autograd.Optim;
using NUnit.Framework;

namespace Autograd.Samples.Tests.Docs;

/// <summary>
/// The learning-rate scheduler examples of docs/optimizers.md, verbatim (DocsInSyncTests keeps them
/// in sync), each run and checked against the output the doc shows.
/// </summary>
[TestFixture]
public sealed class SchedulerDocExamples
{
    [Test]
    public void Optimizers_Schedulers_StepLR() => DocRunner.ShouldPrint(() =>
    {
        var w = Tensor.FromArray([0f]);
        w.RequiresGrad = true;
        var optimizer = new SGD([w], lr: 0.1, momentum: 0.5);
        var scheduler = new StepLR(optimizer, stepSize: 10, gamma: 0.5);
        for (int epoch = 0; epoch < 30; epoch++)
        {
            var loss = (w - 3).Pow(2).Sum();
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
            if (epoch % 10 == 9) Console.WriteLine($"epoch {epoch + 1}: lr {optimizer.LearningRate}, w {w.Item():F6}");
            scheduler.Step();   // once per epoch, after optimizer.Step()
        }
    }, """
        epoch 10: lr 0.1, w 3.097636
        epoch 20: lr 0.05, w 3.002403
        epoch 30: lr 0.025, w 3.000509
        """);

    [Test]
    public void Optimizers_Schedulers_CheckpointWithTheOptimizer() => DocRunner.ShouldPrint(() =>
    {
        var x = Tensor.Randn([32, 3], new Generator(2));
        var y = x.MatMul(Tensor.FromArray([1f, -2f, 0.5f], 3, 1)) + 0.3f;
        var lossFn = new MSELoss();
        (Linear, RMSprop, OneCycleLR) Create()
        {
            var model = new Linear(3, 1, generator: new Generator(0));
            var optimizer = new RMSprop([new ParamGroup([model.Weight]), new ParamGroup([model.Bias!], lr: 0.01)], momentum: 0.9);
            return (model, optimizer, new OneCycleLR(optimizer, maxLr: [0.05, 0.02], totalSteps: 100));
        }
        void Train(Linear model, RMSprop optimizer, OneCycleLR scheduler, int steps)
        {
            for (int i = 0; i < steps; i++)
            {
                optimizer.ZeroGrad();
                lossFn.Forward(model.Forward(x), y).Backward();
                optimizer.Step();
                scheduler.Step();   // OneCycleLR steps after every batch
            }
        }

        var (model, optimizer, scheduler) = Create();
        Train(model, optimizer, scheduler, 40);
        var checkpoint = (Model: model.StateDict(), Optimizer: optimizer.StateDict(), Scheduler: scheduler.StateDict());
        Train(model, optimizer, scheduler, 60);              // the uninterrupted run: 100 steps

        var (resumedModel, resumedOptimizer, resumedScheduler) = Create();   // later: create everything as at the start,
        resumedModel.LoadStateDict(checkpoint.Model);                        // then load the model, the optimizer,
        resumedOptimizer.LoadStateDict(checkpoint.Optimizer);                // and the scheduler, in this order
        resumedScheduler.LoadStateDict(checkpoint.Scheduler);
        Train(resumedModel, resumedOptimizer, resumedScheduler, 60);

        Console.WriteLine($"at the checkpoint: last_epoch {checkpoint.Scheduler["last_epoch"]}, lr {string.Join(", ", checkpoint.Optimizer.ParamGroups.Select(g => g.Options["lr"].ToString("G6")))}, momentum {checkpoint.Optimizer.ParamGroups[0].Options["momentum"]:G6}");
        Console.WriteLine($"uninterrupted: {string.Join(", ", model.Weight.ToArray<float>())}");
        Console.WriteLine($"resumed:       {string.Join(", ", resumedModel.Weight.ToArray<float>())}");
    }, """
        at the checkpoint: last_epoch 40, lr 0.0470149, 0.018806, momentum 0.85597
        uninterrupted: 1.0029501, -2.0181715, 0.50965226
        resumed:       1.0029501, -2.0181715, 0.50965226
        """);
}
