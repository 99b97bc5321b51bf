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
        : base(ListGroup(parameters), fromList: true, Defaults(lr, momentum, dampening, weightDecay, nesterov, maximize))
    {
    }

    /// <summary>
    /// Creates the optimizer over parameter groups (like <c>torch.optim.SGD([{"params": ...}, ...], ...)</c>):
    /// the arguments after <paramref name="paramGroups"/> are the defaults for the options a group does not set.
    /// </summary>
    /// <param name="paramGroups">The groups: together at least one parameter, each parameter in one group only; a group may set lr, momentum, dampening, weightDecay, nesterov and maximize.</param>
    /// <param name="lr">The default learning rate γ, &gt;= 0.</param>
    /// <param name="momentum">The default momentum factor μ, &gt;= 0.</param>
    /// <param name="dampening">The default dampening τ.</param>
    /// <param name="weightDecay">The default L2 penalty λ, &gt;= 0.</param>
    /// <param name="nesterov">The default for Nesterov momentum.</param>
    /// <param name="maximize">The default for maximizing.</param>
    /// <exception cref="ArgumentNullException"><paramref name="paramGroups"/> is null.</exception>
    /// <exception cref="ArgumentException">A bad group or parameter (named by group and position), a parameter in two groups, an Adam option set on a group, or nesterov without momentum or with dampening (in the defaults or a group).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A default out of range, NaN or infinite.</exception>
    public SGD(IEnumerable<ParamGroup> paramGroups, double lr, double momentum = 0, double dampening = 0,
        double weightDecay = 0, bool nesterov = false, bool maximize = false)
        : base(paramGroups, fromList: false, Defaults(lr, momentum, dampening, weightDecay, nesterov, maximize))
    {
    }

    private static Dictionary<string, double> Defaults(double lr, double momentum, double dampening, double weightDecay, bool nesterov, bool maximize)
        => new(StringComparer.Ordinal)
        {
            ["lr"] = lr, ["momentum"] = momentum, ["dampening"] = dampening, ["weight_decay"] = weightDecay,
            ["nesterov"] = nesterov ? 1 : 0, ["maximize"] = maximize ? 1 : 0,
        };

    private const string MomentumBuffer = "momentum_buffer";

    /// <summary>The default momentum factor μ (0: plain SGD), for groups that do not set their own.</summary>
    public double Momentum => Default("momentum");

    /// <summary>The default dampening τ of the gradient added to the momentum buffer.</summary>
    public double Dampening => Default("dampening");

    /// <summary>The default L2 penalty λ.</summary>
    public double WeightDecay => Default("weight_decay");

    /// <summary>Whether Nesterov momentum is used by default.</summary>
    public bool Nesterov => Default("nesterov") != 0;

    /// <summary>Whether the objective is maximized by default.</summary>
    public bool Maximize => Default("maximize") != 0;

    private protected override string? GroupOptionsProblem(IReadOnlyDictionary<string, double> options)
    {
        double momentum = options["momentum"], dampening = options["dampening"];
        return options["nesterov"] != 0 && (momentum <= 0 || dampening != 0)
            ? $"Nesterov momentum requires a momentum > 0 and zero dampening; got momentum {OptimChecks.Format(momentum)} and dampening {OptimChecks.Format(dampening)}."
            : null;
    }

    private protected override string? StateProblem(IReadOnlyDictionary<string, Tensor> state, IReadOnlyDictionary<string, double> options, Tensor parameter)
        => KeysProblem(state, [], [MomentumBuffer]) ?? (state.TryGetValue(MomentumBuffer, out var b) && !LikeParameter(b, parameter)
            ? $"has a '{MomentumBuffer}' of shape {Shapes.Format(b.Dims)}, {b.DType}; it must have the parameter's shape and dtype." : null);

    /// <inheritdoc/>
    public override void Step()
    {
        CheckParameters();
        for (int i = 0; i < Parameters.Count; i++)
        {
            if (GradientOf(i) is not Tensor grad) continue;
            var p = Parameters[i];
            DTypeDispatch.RunFloat(p.DType, new UpdateCall(this, GroupOf(i), p, grad));
            p.BumpVersion();
        }
    }

    private void Update<T>(ParamGroup group, Tensor p, Tensor grad) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double momentum = group.Momentum, weightDecay = group.WeightDecay;
        bool useMomentum = momentum != 0;
        Span<T> buffer = [];
        bool firstStep = false;
        if (useMomentum)
        {
            var state = StateOf(p);
            firstStep = !state.TryGetValue(MomentumBuffer, out var b);
            if (firstStep) state[MomentumBuffer] = b = Tensor.Zeroed((int[])p.Dims.Clone(), p.DType);
            buffer = b!.Span<T>();
            b.BumpVersion();
        }

        var scalars = new OptimKernels.SgdScalars<T>(
            NegativeLr: T.CreateTruncating(-group.LearningRate),
            Momentum: T.CreateTruncating(momentum),
            OneMinusDampening: T.CreateTruncating(1 - group.Dampening),
            WeightDecay: T.CreateTruncating(weightDecay),
            UseWeightDecay: weightDecay != 0,
            UseMomentum: useMomentum,
            Nesterov: group.Nesterov,
            Maximize: group.Maximize);
        OptimKernels.Sgd(p.Buffer<T>(), grad.Buffer<T>(), buffer, firstStep, scalars);
    }

    private readonly struct UpdateCall(SGD sgd, ParamGroup group, Tensor p, Tensor grad) : IFloatKernelCall
    {
        public void Run<T>() where T : unmanaged, IFloatingPointIeee754<T> => sgd.Update<T>(group, p, grad);
    }
}
