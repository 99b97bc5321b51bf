using Autograd.Optim;
using FsCheck;
using FsCheck.Fluent;
using NUnit.Framework;
using Shouldly;
using F = Autograd.Nn.Functional;

namespace Autograd.Nn.Tests.Reliability;

/// <summary>
/// Properties (FsCheck): random calls of the losses, layers and optimizers with random, often
/// invalid, shapes, dtypes, class indices, weights and settings either succeed - and backward
/// through the result succeeds too - or throw a documented exception (ArgumentException family,
/// InvalidOperationException); never IndexOutOfRange, NullReference, InvalidCast or anything else.
/// </summary>
[TestFixture]
public sealed class RandomLossCallPropertyTests
{
    private static readonly Config Runs = Config.QuickThrowOnFailure.WithMaxTest(800).WithQuietOnSuccess(true);

    public sealed record LossCase(int Loss, int[] Input, DType DInput, int[] Target, DType DTarget, int[]? Weight, DType DWeight,
        int Reduction, long IgnoreIndex, double Smoothing, double Setting, bool Grad, int Seed, bool Repaired = false)
    {
        public override string ToString() =>
            $"{Names[Loss]}{(Repaired ? " (repaired to a valid call)" : "")}: input {Fmt(Input)} {DInput}, target {Fmt(Target)} {DTarget}, weight {(Weight is null ? "none" : Fmt(Weight) + " " + DWeight)}, " +
            $"reduction {Reduction}, ignoreIndex {IgnoreIndex}, labelSmoothing {Smoothing}, setting {Setting}, grad {Grad}, seed {Seed}";
    }

    private static readonly string[] Names =
    [
        "BinaryCrossEntropy", "BinaryCrossEntropyWithLogits (weight)", "BinaryCrossEntropyWithLogits (posWeight)", "MseLoss", "L1Loss",
        "HuberLoss", "SmoothL1Loss", "CrossEntropy", "NllLoss", "CrossEntropyLoss module", "NLLLoss module", "Linear", "Softmax module",
        "Flatten", "Dropout", "SGD step", "Adam step",
    ];

    private static string Fmt(int[] shape) => "[" + string.Join(", ", shape) + "]";

    private static readonly Gen<int[]> Shapes =
        Gen.Choose(0, 3).SelectMany(rank => Gen.ArrayOf(Gen.Frequency((1, Gen.Constant(0)), (6, Gen.Choose(1, 4))), rank));

    private static readonly Gen<DType> DTypes = Gen.Frequency((4, Gen.Constant(DType.Float32)), (2, Gen.Constant(DType.Float64)), (2, Gen.Constant(DType.Int64)));

    private static readonly Gen<LossCase> Cases =
        from loss in Gen.Choose(0, Names.Length - 1)
        from input in Shapes
        from dInput in DTypes
        from target in Gen.Frequency((3, Gen.Constant(input)), (2, Gen.Constant(input.Length > 1 ? input.Where((_, i) => i != 1).ToArray() : [])), (2, Shapes))
        from dTarget in DTypes
        from hasWeight in Gen.Frequency((2, Gen.Constant(false)), (1, Gen.Constant(true)))
        from weight in Gen.Frequency((2, Gen.Constant(input.Length > 1 ? new[] { input[1] } : input)), (1, Shapes))
        from dWeight in DTypes
        from reduction in Gen.Frequency((8, Gen.Choose(0, 2)), (1, Gen.Elements(-1, 3, 7)))
        from ignore in Gen.Elements(-100L, -1L, 0L, 2L, 7L)
        from smoothing in Gen.Frequency((4, Gen.Constant(0.0)), (2, Gen.Elements(0.1, 1.0)), (1, Gen.Elements(-0.5, 1.5, double.NaN)))
        from setting in Gen.Frequency((4, Gen.Elements(0.5, 1.0, 2.0)), (1, Gen.Elements(0.0, -1.0, double.NaN, double.PositiveInfinity)))
        from grad in Gen.Elements(true, false)
        from seed in Gen.Choose(0, int.MaxValue)
        from repair in Gen.Elements(false, true)
        let raw = new LossCase(loss, input, dInput, target, dTarget, hasWeight ? weight : null, dWeight, reduction, ignore, smoothing, setting, grad, seed)
        select repair ? Repair(raw) : raw;

    private static bool Classification(int loss) => loss is 7 or 8 or 9 or 10;

    /// <summary>
    /// The same case made valid (float input, a fitting target and weight, settings in range), so
    /// that half the cases exercise the success path and its backward with random shapes.
    /// </summary>
    private static LossCase Repair(LossCase c)
    {
        var input = Classification(c.Loss) && (c.Input.Length == 0 || c.Input.Contains(0)) ? [2, 3] : c.Input;
        var dInput = c.DInput == DType.Int64 ? DType.Float32 : c.DInput;
        int[] target = Classification(c.Loss) ? (input.Length == 1 ? [] : input.Where((_, i) => i != 1).ToArray()) : input;
        var dTarget = Classification(c.Loss) ? DType.Int64 : dInput;
        int[]? weight = c.Weight is null ? null : Classification(c.Loss) ? [input[input.Length == 1 ? 0 : 1]] : input.Length == 0 ? [] : [input[^1]];
        return c with
        {
            Input = input, DInput = dInput, Target = target, DTarget = dTarget, Weight = weight, DWeight = dInput,
            Reduction = Math.Clamp(c.Reduction, 0, 2), IgnoreIndex = -100, Smoothing = double.IsNaN(c.Smoothing) ? 0 : Math.Clamp(c.Smoothing, 0, 1),
            Setting = double.IsFinite(c.Setting) && c.Setting > 0 ? c.Setting : 1, Repaired = true,
        };
    }

    /// <summary>
    /// Floats in [-0.1, 1.1) (some outside BCELoss's [0, 1]), Int64 class indices in [-3, 6] (some
    /// out of range); for a repaired case floats in [0, 1) and indices in [0, high).
    /// </summary>
    private static Tensor Make(int[] shape, DType dtype, Generator g, bool grad, bool repaired = false, int high = 1)
    {
        var t = dtype == DType.Int64
            ? (repaired ? Tensor.RandInt(0, Math.Max(high, 1), shape, g) : Tensor.RandInt(-3, 7, shape, g))
            : repaired ? Tensor.Rand(shape, g, dtype) : Tensor.Rand(shape, g, dtype) * 1.2 - 0.1;
        t = t.Detach();
        if (grad && dtype != DType.Int64) t.RequiresGrad = true;
        return t;
    }

    private static object? Call(LossCase c, Tensor x, Tensor t, Tensor? w)
    {
        var r = (Reduction)c.Reduction;
        switch (c.Loss)
        {
            case 0: return F.BinaryCrossEntropy(x, t, w, r);
            case 1: return F.BinaryCrossEntropyWithLogits(x, t, w, null, r);
            case 2: return F.BinaryCrossEntropyWithLogits(x, t, null, w, r);
            case 3: return F.MseLoss(x, t, r);
            case 4: return F.L1Loss(x, t, r);
            case 5: return F.HuberLoss(x, t, r, c.Setting);
            case 6: return F.SmoothL1Loss(x, t, r, c.Setting);
            case 7: return F.CrossEntropy(x, t, w, c.IgnoreIndex, r, c.Smoothing);
            case 8: return F.NllLoss(x, t, w, c.IgnoreIndex, r);
            case 9: return new CrossEntropyLoss(w, c.IgnoreIndex, r, c.Smoothing).Forward(x, t);
            case 10: return new NLLLoss(w, c.IgnoreIndex, r).Forward(x, t);
            case 11: return new Linear(c.Target.Length > 0 ? Math.Max(c.Target[^1], 1) : 1, 2, dtype: c.DTarget == DType.Float64 ? DType.Float64 : DType.Float32).Forward(x);
            case 12: return new Softmax((int)c.IgnoreIndex % 5).Forward(x);
            case 13: return new Flatten((int)c.IgnoreIndex % 4, c.Reduction).Forward(x);
            case 14: return new Dropout(c.Setting - 0.5, new Generator(c.Seed)).Forward(x);
            default:
                if (!x.RequiresGrad) x = x.DType == DType.Int64 ? x : x.Detach().Clone();
                Optimizer opt = c.Loss == 15
                    ? new SGD([x], c.Setting, momentum: c.Smoothing, weightDecay: c.IgnoreIndex)
                    : new Adam([x], c.Setting, beta1: c.Smoothing, weightDecay: c.IgnoreIndex);
                x.Grad = t.DType == x.DType ? t : null;
                opt.Step();
                return null;
        }
    }

    private static readonly int[] Succeeded = new int[Names.Length], Rejected = new int[Names.Length];

    private static void Property(LossCase c)
    {
        var g = new Generator(c.Seed);
        var x = Make(c.Input, c.DInput, g, c.Grad);
        int classes = c.Input.Length == 0 ? 1 : c.Input[c.Input.Length == 1 ? 0 : 1];
        var t = Make(c.Target, c.DTarget, g, false, c.Repaired, classes);
        var w = c.Weight is null ? null : Make(c.Weight, c.DWeight, g, false);
        object? result;
        try
        {
            result = Call(c, x, t, w);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            e.Message.Length.ShouldBeGreaterThan(10, c.ToString());
            Rejected[c.Loss]++;
            return;
        }
        catch (Exception e)
        {
            throw new ShouldAssertException($"{c}: undocumented {e.GetType().Name}: {e.Message}", e);
        }
        Succeeded[c.Loss]++;
        if (result is Tensor r && r.RequiresGrad && r.GradFn is not null)
        {
            try
            {
                r.Backward(Tensor.OnesLike(r));
            }
            catch (Exception e)
            {
                throw new ShouldAssertException($"{c}: backward through the result threw {e.GetType().Name}: {e.Message}", e);
            }
        }
    }

    [Test]
    public void RandomCalls_OfLossesLayersAndOptimizers_ThrowOnlyDocumentedExceptions()
    {
        Check.One(Runs, Prop.ForAll(Arb.From(Cases), Property));
        for (int i = 0; i < Names.Length; i++)
            TestContext.Out.WriteLine($"{Names[i]}: {Succeeded[i]} succeeded, {Rejected[i]} rejected with a documented exception");
        Succeeded.Sum().ShouldBeGreaterThan(50); // the generator reaches the valid paths too
    }
}
