using System.Numerics;
using Autograd.Kernels;

namespace Autograd.Optim;

/// <summary>
/// Stochastic gradient descent, optionally with momentum, dampening, Nesterov momentum and L2 weight
/// decay (like <c>torch.optim.SGD</c>, PyTorch 1.13, single-tensor code path, same rounding).
/// </summary>
/// <remarks>
/// <para>For each parameter θ with gradient g, at step t (counted per parameter, from 1):</para>
/// <code>
/// g ← −g                          if maximize
/// g ← g + λ·θ                     if weightDecay λ ≠ 0
/// if momentum μ ≠ 0:
///     b ← g                       at the parameter's first step (no dampening)
///     b ← μ·b + (1 − τ)·g         afterwards (dampening τ)
///     g ← g + μ·b                 if nesterov
///     g ← b                       otherwise
/// θ ← θ − γ·g                     (learning rate γ)
/// </code>
/// <para>
/// As in PyTorch, momentum scales the accumulated gradient, not the step: the velocity is
/// <c>b ← μ·b + g</c> and the step <c>γ·b</c> (Sutskever et al. and some frameworks put γ inside b,
/// which differs once γ changes during training). Maximize negates the gradient first, so the weight
/// decay term still pulls θ towards 0.
/// </para>
/// <para>
/// Each arrow is one PyTorch kernel call; <c>x + s·y</c> is rounded once (a fused multiply-add), as
/// PyTorch's CPU <c>add(alpha=)</c> does. The momentum buffer is created at a parameter's first step
/// with a gradient; that is the only allocation.
/// </para>
/// <example>
/// <code>
/// var optimizer = new SGD(model.Parameters(), lr: 0.1, momentum: 0.9);
/// optimizer.ZeroGrad();
/// lossFn.Forward(model.Forward(input), target).Backward();
/// optimizer.Step();
/// </code>
/// </example>
/// </remarks>
public sealed class SGD : Optimizer
{
    // Per parameter: float[] or double[] once its first step with momentum has run.
    private readonly Array?[] _momentumBuffers;

    /// <summary>Creates the optimizer, checking the hyper-parameters as PyTorch does (and also refusing NaN and infinity).</summary>
    /// <param name="parameters">The tensors to optimize: Float32 or Float64 leaves that require grad, each at most once.</param>
    /// <param name="lr">The learning rate γ (required, as in PyTorch), &gt;= 0.</param>
    /// <param name="momentum">The momentum factor μ, &gt;= 0; 0 disables momentum.</param>
    /// <param name="dampening">The dampening τ applied to the gradient added to the momentum buffer (not at the first step).</param>
    /// <param name="weightDecay">The L2 penalty λ, &gt;= 0, added to the gradient as λ·θ.</param>
    /// <param name="nesterov">Use Nesterov momentum; needs momentum &gt; 0 and dampening 0.</param>
    /// <param name="maximize">Maximize the objective instead of minimizing it.</param>
    /// <exception cref="ArgumentException">A bad parameter list (see <see cref="Optimizer"/>), or nesterov without momentum or with dampening.</exception>
    /// <exception cref="ArgumentOutOfRangeException">lr, momentum or weightDecay negative; any of them or dampening NaN or infinite.</exception>
    public SGD(IEnumerable<Tensor> parameters, double lr, double momentum = 0, double dampening = 0,
        double weightDecay = 0, bool nesterov = false, bool maximize = false)
        : base(parameters, lr)
    {
        OptimChecks.NonNegative(momentum, nameof(momentum), "momentum");
        OptimChecks.Finite(dampening, nameof(dampening), "dampening");
        OptimChecks.NonNegative(weightDecay, nameof(weightDecay), "weight decay");
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentException(
                $"Nesterov momentum requires a momentum > 0 and zero dampening; got momentum {OptimChecks.Format(momentum)} and dampening {OptimChecks.Format(dampening)}.",
                nameof(nesterov));

        Momentum = momentum;
        Dampening = dampening;
        WeightDecay = weightDecay;
        Nesterov = nesterov;
        Maximize = maximize;
        _momentumBuffers = new Array?[Parameters.Count];
    }

    /// <summary>The momentum factor μ (0: plain SGD).</summary>
    public double Momentum { get; }

    /// <summary>The dampening τ of the gradient added to the momentum buffer.</summary>
    public double Dampening { get; }

    /// <summary>The L2 penalty λ.</summary>
    public double WeightDecay { get; }

    /// <summary>Whether Nesterov momentum is used.</summary>
    public bool Nesterov { get; }

    /// <summary>Whether the objective is maximized.</summary>
    public bool Maximize { get; }

    /// <inheritdoc/>
    public override void Step()
    {
        CheckParameters();
        for (int i = 0; i < Parameters.Count; i++)
        {
            if (GradientOf(i) is not Tensor grad) continue;
            var p = Parameters[i];
            DTypeDispatch.RunFloat(p.DType, new UpdateCall(this, i, p, grad));
            p.BumpVersion();
        }
    }

    private void Update<T>(int index, Tensor p, Tensor grad) where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool useMomentum = Momentum != 0;
        bool firstStep = useMomentum && _momentumBuffers[index] is null;
        if (firstStep) _momentumBuffers[index] = new T[p.NumberOfElements];
        var buffer = useMomentum ? (T[])_momentumBuffers[index]! : Array.Empty<T>();

        var scalars = new OptimKernels.SgdScalars<T>(
            NegativeLr: T.CreateTruncating(-LearningRate),
            Momentum: T.CreateTruncating(Momentum),
            OneMinusDampening: T.CreateTruncating(1 - Dampening),
            WeightDecay: T.CreateTruncating(WeightDecay),
            UseWeightDecay: WeightDecay != 0,
            UseMomentum: useMomentum,
            Nesterov: Nesterov,
            Maximize: Maximize);
        OptimKernels.Sgd(p.Buffer<T>(), grad.Buffer<T>(), buffer, firstStep, scalars);
    }

    private readonly struct UpdateCall(SGD sgd, int index, Tensor p, Tensor grad) : IFloatKernelCall
    {
        public void Run<T>() where T : unmanaged, IFloatingPointIeee754<T> => sgd.Update<T>(index, p, grad);
    }
}
