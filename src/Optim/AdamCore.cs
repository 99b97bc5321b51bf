using System.Numerics;
using Autograd.Kernels;

namespace Autograd.Optim;

/// <summary>
/// What <see cref="Adam"/> and <see cref="AdamW"/> share: the hyper-parameters, the per-parameter
/// state (step count, exp_avg, exp_avg_sq, max_exp_avg_sq) and the scalar arithmetic of one step.
/// They differ only in where the weight decay goes (<paramref name="decoupled"/>).
/// </summary>
internal sealed class AdamCore(int parameterCount, double beta1, double beta2, double eps, double weightDecay,
    bool amsgrad, bool maximize, bool decoupled)
{
    private sealed class State(Array expAvg, Array expAvgSq, Array? maxExpAvgSq)
    {
        public long Step;
        public readonly Array ExpAvg = expAvg;
        public readonly Array ExpAvgSq = expAvgSq;
        public readonly Array? MaxExpAvgSq = maxExpAvgSq;
    }

    private readonly State?[] _states = new State?[parameterCount];

    public static void Check(double beta1, double beta2, double eps, double weightDecay)
    {
        OptimChecks.NonNegative(eps, nameof(eps), "epsilon");
        OptimChecks.Beta(beta1, nameof(beta1));
        OptimChecks.Beta(beta2, nameof(beta2));
        OptimChecks.NonNegative(weightDecay, nameof(weightDecay), "weight decay");
    }

    /// <summary>The number of steps parameter <paramref name="index"/> has taken (0 before its first gradient).</summary>
    public long StepCount(int index) => _states[index]?.Step ?? 0;

    public void Update(int index, Tensor p, Tensor grad, double lr)
    {
        DTypeDispatch.RunFloat(p.DType, new UpdateCall(this, index, p, grad, lr));
    }

    private void Update<T>(int index, Tensor p, Tensor grad, double lr) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = p.NumberOfElements;
        var state = _states[index] ??= new State(new T[n], new T[n], amsgrad ? new T[n] : null);
        state.Step++;

        // Python floats, computed in double as adam.py does; the step count is exact (PyTorch keeps it
        // in a float32 tensor, exact up to 2^24 steps).
        double step = state.Step;
        double biasCorrection1 = 1 - Math.Pow(beta1, step);
        double biasCorrection2 = 1 - Math.Pow(beta2, step);
        double stepSize = lr / biasCorrection1;
        double biasCorrection2Sqrt = Math.Sqrt(biasCorrection2);

        var scalars = new OptimKernels.AdamScalars<T>(
            Beta1: T.CreateTruncating(beta1),
            OneMinusBeta1: T.CreateTruncating(1 - beta1),
            Beta2: T.CreateTruncating(beta2),
            OneMinusBeta2: T.CreateTruncating(1 - beta2),
            Eps: T.CreateTruncating(eps),
            WeightDecay: T.CreateTruncating(weightDecay),
            DecoupledDecay: T.CreateTruncating(1 - lr * weightDecay),
            BiasCorrection2Sqrt: T.CreateTruncating(biasCorrection2Sqrt),
            NegativeStepSize: T.CreateTruncating(-stepSize),
            UseWeightDecay: !decoupled && weightDecay != 0,
            Decoupled: decoupled,
            Amsgrad: amsgrad,
            Maximize: maximize);
        OptimKernels.Adam(p.Buffer<T>(), grad.Buffer<T>(), (T[])state.ExpAvg, (T[])state.ExpAvgSq,
            state.MaxExpAvgSq is null ? [] : (T[])state.MaxExpAvgSq, scalars);
    }

    private readonly struct UpdateCall(AdamCore core, int index, Tensor p, Tensor grad, double lr) : IFloatKernelCall
    {
        public void Run<T>() where T : unmanaged, IFloatingPointIeee754<T> => core.Update<T>(index, p, grad, lr);
    }
}
