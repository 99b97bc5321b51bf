using System.Numerics;
using Autograd.Kernels;

namespace Autograd.Optim;

/// <summary>
/// RMSprop (Hinton's lecture 6e), optionally centered, with momentum, L2 weight decay and
/// maximization (like <c>torch.optim.RMSprop</c>, PyTorch 1.13, single-tensor code path, same rounding).
/// </summary>
/// <remarks>
/// <para>For each parameter θ with gradient g, with v, the running mean m of g and the momentum
/// buffer b starting at 0:</para>
/// <code>
/// g ← −g                          if maximize
/// g ← g + λ·θ                     if weightDecay λ ≠ 0
/// v ← α·v + (1 − α)·g²            running mean of the squared gradient
/// if centered:
///     m ← α·m + (1 − α)·g         running mean of the gradient
///     d ← √(v − m²) + ε           (an estimate of the gradient's standard deviation)
/// else:
///     d ← √v + ε
/// if momentum μ &gt; 0:
///     b ← μ·b + g / d
///     θ ← θ − γ·b
/// else:
///     θ ← θ − γ·g / d
/// </code>
/// <para>
/// ε is added outside the square root, and v has no bias correction: at the first step
/// v = (1 − α)·g², so with the default α = 0.99 the first step is about 10·γ in size. Each arrow is one
/// PyTorch kernel call with PyTorch's rounding (see OptimKernels); the state (v, and m and b when
/// used, and the step count) is created at a parameter's first step with a gradient.
/// </para>
/// <example>
/// <code>
/// var optimizer = new RMSprop(model.Parameters(), lr: 0.01, momentum: 0.9);
/// optimizer.ZeroGrad();
/// lossFn.Forward(model.Forward(input), target).Backward();
/// optimizer.Step();
/// </code>
/// </example>
/// </remarks>
public sealed class RMSprop : Optimizer
{
    private const string StepKey = "step", SquareAvg = "square_avg", MomentumBuffer = "momentum_buffer", GradAvg = "grad_avg";

    /// <summary>Creates the optimizer, checking the hyper-parameters as PyTorch does (and also refusing NaN and infinity).</summary>
    /// <param name="parameters">The tensors to optimize: Float32 or Float64 leaves that require grad, each at most once.</param>
    /// <param name="lr">The learning rate γ, &gt;= 0.</param>
    /// <param name="alpha">The smoothing constant α of the running means, &gt;= 0.</param>
    /// <param name="eps">The term ε added to the denominator, &gt;= 0.</param>
    /// <param name="weightDecay">The L2 penalty λ, &gt;= 0, added to the gradient as λ·θ.</param>
    /// <param name="momentum">The momentum factor μ, &gt;= 0; 0 disables momentum.</param>
    /// <param name="centered">Divide by an estimate of the gradient's standard deviation rather than by its root mean square.</param>
    /// <param name="maximize">Maximize the objective instead of minimizing it.</param>
    /// <exception cref="ArgumentException">A bad parameter list (see <see cref="Optimizer"/>).</exception>
    /// <exception cref="ArgumentOutOfRangeException">lr, alpha, eps, weightDecay or momentum negative, NaN or infinite.</exception>
    public RMSprop(IEnumerable<Tensor> parameters, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8,
        double weightDecay = 0, double momentum = 0, bool centered = false, bool maximize = false)
        : base(ListGroup(parameters), fromList: true, Defaults(lr, alpha, eps, weightDecay, momentum, centered, maximize))
    {
    }

    /// <summary>
    /// Creates the optimizer over parameter groups (like <c>torch.optim.RMSprop([{"params": ...}, ...], ...)</c>):
    /// the arguments after <paramref name="paramGroups"/> are the defaults for the options a group does not set.
    /// </summary>
    /// <param name="paramGroups">The groups: together at least one parameter, each parameter in one group only; a group may set lr, alpha, eps, weightDecay, momentum, centered and maximize.</param>
    /// <param name="lr">The default learning rate γ, &gt;= 0.</param>
    /// <param name="alpha">The default smoothing constant α, &gt;= 0.</param>
    /// <param name="eps">The default ε, &gt;= 0.</param>
    /// <param name="weightDecay">The default L2 penalty λ, &gt;= 0.</param>
    /// <param name="momentum">The default momentum factor μ, &gt;= 0.</param>
    /// <param name="centered">The default for the centered variant.</param>
    /// <param name="maximize">The default for maximizing.</param>
    /// <exception cref="ArgumentNullException"><paramref name="paramGroups"/> is null.</exception>
    /// <exception cref="ArgumentException">A bad group or parameter (named by group and position), a parameter in two groups, or an option of another optimizer set on a group.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A default out of range, NaN or infinite.</exception>
    public RMSprop(IEnumerable<ParamGroup> paramGroups, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8,
        double weightDecay = 0, double momentum = 0, bool centered = false, bool maximize = false)
        : base(paramGroups, fromList: false, Defaults(lr, alpha, eps, weightDecay, momentum, centered, maximize))
    {
    }

    /// <summary>The options in the order PyTorch's constructor checks them.</summary>
    private static Dictionary<string, double> Defaults(double lr, double alpha, double eps, double weightDecay, double momentum, bool centered, bool maximize)
        => new(StringComparer.Ordinal)
        {
            ["lr"] = lr, ["eps"] = eps, ["momentum"] = momentum, ["weight_decay"] = weightDecay, ["alpha"] = alpha,
            ["centered"] = centered ? 1 : 0, ["maximize"] = maximize ? 1 : 0,
        };

    /// <summary>The default smoothing constant α.</summary>
    public double Alpha => Default("alpha");

    /// <summary>The default term ε added to the denominator.</summary>
    public double Eps => Default("eps");

    /// <summary>The default L2 penalty λ.</summary>
    public double WeightDecay => Default("weight_decay");

    /// <summary>The default momentum factor μ (0: no momentum).</summary>
    public double Momentum => Default("momentum");

    /// <summary>Whether the centered variant is used by default.</summary>
    public bool Centered => Default("centered") != 0;

    /// <summary>Whether the objective is maximized by default.</summary>
    public bool Maximize => Default("maximize") != 0;

    /// <summary>The number of steps parameter <paramref name="index"/> has taken (PyTorch's <c>state[p]["step"]</c>).</summary>
    public long StepCount(int index) => AdamCore.StepCount(ExistingStateOf(Parameters[index]));

    private protected override string? StateProblem(IReadOnlyDictionary<string, Tensor> state, IReadOnlyDictionary<string, double> options, Tensor parameter)
    {
        if (state.Count == 0) return null;
        if (KeysProblem(state, [StepKey, SquareAvg], [StepKey, SquareAvg, MomentumBuffer, GradAvg]) is string keys) return keys;
        return StepProblem(state[StepKey], minimum: 1)
            ?? state.Where(kv => kv.Key != StepKey && !LikeParameter(kv.Value, parameter))
                .Select(kv => $"has a '{kv.Key}' of shape {Shapes.Format(kv.Value.Dims)}, {kv.Value.DType}; it must have the parameter's shape and dtype.")
                .FirstOrDefault();
    }

    /// <summary>What is wrong with a loaded step count: not a 0-d Int64 tensor, or below <paramref name="minimum"/>.</summary>
    internal static string? StepProblem(Tensor step, long minimum)
    {
        if (step.DType != DType.Int64 || step.Rank != 0)
            return $"has a '{StepKey}' of shape {Shapes.Format(step.Dims)}, {step.DType}; it must be a 0-d Int64 tensor.";
        long value = step.Buffer<long>()[0];
        return value < minimum ? $"has '{StepKey}' {value}; it must be >= {minimum}." : null;
    }

    /// <inheritdoc/>
    public override void Step()
    {
        CheckParameters();
        for (int i = 0; i < Parameters.Count; i++)
        {
            if (GradientOf(i) is not Tensor grad) continue;
            var p = Parameters[i];
            var group = GroupOf(i);
            var state = StateOf(p);
            if (!state.ContainsKey(StepKey))
            {
                state[StepKey] = Tensor.Scalar(0L);
                state[SquareAvg] = p.ZeroedLike();
            }
            // PyTorch creates these with the rest of the state only; a group switched to momentum or
            // centered later would fail there with a KeyError. Here they start at zero when first needed.
            if (group.Momentum > 0 && !state.ContainsKey(MomentumBuffer)) state[MomentumBuffer] = p.ZeroedLike();
            if (group.Centered && !state.ContainsKey(GradAvg)) state[GradAvg] = p.ZeroedLike();
            state[StepKey].Buffer<long>()[0]++;
            DTypeDispatch.RunFloat(p.DType, new UpdateCall(state, p, grad, group));
            foreach (var t in state.Values) t.BumpVersion();
            p.BumpVersion();
        }
    }

    private static void Update<T>(IDictionary<string, Tensor> state, Tensor p, Tensor grad, ParamGroup group)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double alpha = group.Alpha, weightDecay = group.WeightDecay, momentum = group.Momentum;
        bool useMomentum = momentum > 0, centered = group.Centered;
        var scalars = new OptimKernels.RMSpropScalars<T>(
            NegativeLr: T.CreateTruncating(-group.LearningRate),
            Alpha: T.CreateTruncating(alpha),
            OneMinusAlpha: T.CreateTruncating(1 - alpha),
            Eps: T.CreateTruncating(group.Eps),
            WeightDecay: T.CreateTruncating(weightDecay),
            Momentum: T.CreateTruncating(momentum),
            UseWeightDecay: weightDecay != 0,
            UseMomentum: useMomentum,
            Centered: centered,
            Maximize: group.Maximize);
        OptimKernels.RMSprop(p.Buffer<T>(), grad.Buffer<T>(), state[SquareAvg].Buffer<T>(),
            centered ? state[GradAvg].Buffer<T>() : [], useMomentum ? state[MomentumBuffer].Buffer<T>() : [], scalars);
    }

    private readonly struct UpdateCall(IDictionary<string, Tensor> state, Tensor p, Tensor grad, ParamGroup group) : IFloatKernelCall
    {
        public void Run<T>() where T : unmanaged, IFloatingPointIeee754<T> => Update<T>(state, p, grad, group);
    }
}
