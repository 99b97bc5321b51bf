using System.Numerics;
using Autograd.Kernels;

namespace Autograd.Optim;

/// <summary>
/// Adagrad (Duchi et al., 2011), with learning rate decay, L2 weight decay, an initial accumulator
/// value and maximization (like <c>torch.optim.Adagrad</c>, PyTorch 1.13, single-tensor code path
/// for dense gradients, same rounding).
/// </summary>
/// <remarks>
/// <para>For each parameter θ with gradient g, at step t (counted per parameter, from 1), with the
/// sum of squared gradients s starting at the initial accumulator value s₀:</para>
/// <code>
/// g ← −g                          if maximize
/// g ← g + λ·θ                     if weightDecay λ ≠ 0
/// γ̃ ← γ / (1 + (t − 1)·η)         learning rate decay η
/// s ← s + g²
/// θ ← θ − γ̃·g / (√s + ε)
/// </code>
/// <para>
/// Each parameter's effective learning rate shrinks as its squared gradients add up, so rarely
/// updated parameters keep large steps. γ̃ is computed in double and rounded once to the
/// parameter's dtype, as PyTorch's Python float is; each arrow is one PyTorch kernel call with
/// PyTorch's rounding (see OptimKernels).
/// </para>
/// <para>
/// As in PyTorch, the state (<c>"sum"</c> = s₀ and <c>"step"</c> = 0) is created for every parameter
/// by the constructor, so <see cref="Optimizer.StateDict"/> lists every parameter from the start. A
/// group added later (<see cref="Optimizer.AddParamGroup"/>) gets its state at its first step; each
/// group's s₀ is its own <see cref="ParamGroup.InitialAccumulatorValue"/> (PyTorch 1.13 stores a
/// group's value but fills every sum with the constructor's).
/// </para>
/// <example>
/// <code>
/// var optimizer = new Adagrad(model.Parameters(), lr: 0.01);
/// optimizer.ZeroGrad();
/// lossFn.Forward(model.Forward(input), target).Backward();
/// optimizer.Step();
/// </code>
/// </example>
/// </remarks>
public sealed class Adagrad : Optimizer
{
    private const string StepKey = "step", Sum = "sum";

    /// <summary>Creates the optimizer, checking the hyper-parameters as PyTorch does (and also refusing NaN and infinity).</summary>
    /// <param name="parameters">The tensors to optimize: Float32 or Float64 leaves that require grad, each at most once.</param>
    /// <param name="lr">The learning rate γ, &gt;= 0.</param>
    /// <param name="lrDecay">The learning rate decay η, &gt;= 0.</param>
    /// <param name="weightDecay">The L2 penalty λ, &gt;= 0, added to the gradient as λ·θ.</param>
    /// <param name="initialAccumulatorValue">The starting value s₀ of the sum of squared gradients, &gt;= 0.</param>
    /// <param name="eps">The term ε added to the denominator, &gt;= 0.</param>
    /// <param name="maximize">Maximize the objective instead of minimizing it.</param>
    /// <exception cref="ArgumentException">A bad parameter list (see <see cref="Optimizer"/>).</exception>
    /// <exception cref="ArgumentOutOfRangeException">An argument negative, NaN or infinite.</exception>
    public Adagrad(IEnumerable<Tensor> parameters, double lr = 1e-2, double lrDecay = 0, double weightDecay = 0,
        double initialAccumulatorValue = 0, double eps = 1e-10, bool maximize = false)
        : base(ListGroup(parameters), fromList: true, Defaults(lr, lrDecay, weightDecay, initialAccumulatorValue, eps, maximize))
    {
        InitializeState();
    }

    /// <summary>
    /// Creates the optimizer over parameter groups (like <c>torch.optim.Adagrad([{"params": ...}, ...], ...)</c>):
    /// the arguments after <paramref name="paramGroups"/> are the defaults for the options a group does not set.
    /// </summary>
    /// <param name="paramGroups">The groups: together at least one parameter, each parameter in one group only; a group may set lr, lrDecay, weightDecay, initialAccumulatorValue, eps and maximize.</param>
    /// <param name="lr">The default learning rate γ, &gt;= 0.</param>
    /// <param name="lrDecay">The default learning rate decay η, &gt;= 0.</param>
    /// <param name="weightDecay">The default L2 penalty λ, &gt;= 0.</param>
    /// <param name="initialAccumulatorValue">The default starting value s₀ of the sum, &gt;= 0.</param>
    /// <param name="eps">The default ε, &gt;= 0.</param>
    /// <param name="maximize">The default for maximizing.</param>
    /// <exception cref="ArgumentNullException"><paramref name="paramGroups"/> is null.</exception>
    /// <exception cref="ArgumentException">A bad group or parameter (named by group and position), a parameter in two groups, or an option of another optimizer set on a group.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A default negative, NaN or infinite.</exception>
    public Adagrad(IEnumerable<ParamGroup> paramGroups, double lr = 1e-2, double lrDecay = 0, double weightDecay = 0,
        double initialAccumulatorValue = 0, double eps = 1e-10, bool maximize = false)
        : base(paramGroups, fromList: false, Defaults(lr, lrDecay, weightDecay, initialAccumulatorValue, eps, maximize))
    {
        InitializeState();
    }

    /// <summary>The options in the order PyTorch's constructor checks them.</summary>
    private static Dictionary<string, double> Defaults(double lr, double lrDecay, double weightDecay, double initialAccumulatorValue, double eps, bool maximize)
        => new(StringComparer.Ordinal)
        {
            ["lr"] = lr, ["lr_decay"] = lrDecay, ["weight_decay"] = weightDecay,
            ["initial_accumulator_value"] = initialAccumulatorValue, ["eps"] = eps, ["maximize"] = maximize ? 1 : 0,
        };

    private void InitializeState()
    {
        for (int i = 0; i < Parameters.Count; i++) CreateState(StateOf(Parameters[i]), Parameters[i], GroupOf(i));
    }

    private static void CreateState(IDictionary<string, Tensor> state, Tensor p, ParamGroup group)
    {
        state[StepKey] = Tensor.Scalar(0L);
        state[Sum] = Tensor.Full((int[])p.Dims.Clone(), group.InitialAccumulatorValue, p.DType);   // torch.full_like(p, s0)
    }

    /// <summary>The default learning rate decay η.</summary>
    public double LrDecay => Default("lr_decay");

    /// <summary>The default L2 penalty λ.</summary>
    public double WeightDecay => Default("weight_decay");

    /// <summary>The default starting value s₀ of the sum of squared gradients.</summary>
    public double InitialAccumulatorValue => Default("initial_accumulator_value");

    /// <summary>The default term ε added to the denominator.</summary>
    public double Eps => Default("eps");

    /// <summary>Whether the objective is maximized by default.</summary>
    public bool Maximize => Default("maximize") != 0;

    /// <summary>The number of steps parameter <paramref name="index"/> has taken (PyTorch's <c>state[p]["step"]</c>).</summary>
    public long StepCount(int index) => AdamCore.StepCount(ExistingStateOf(Parameters[index]));

    private protected override string? StateProblem(IReadOnlyDictionary<string, Tensor> state, IReadOnlyDictionary<string, double> options, Tensor parameter)
    {
        if (state.Count == 0) return null;
        if (KeysProblem(state, [StepKey, Sum], [StepKey, Sum]) is string keys) return keys;
        return RMSprop.StepProblem(state[StepKey], minimum: 0)
            ?? (LikeParameter(state[Sum], parameter) ? null
                : $"has a '{Sum}' of shape {Shapes.Format(state[Sum].Dims)}, {state[Sum].DType}; it must have the parameter's shape and dtype.");
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
            if (!state.ContainsKey(StepKey)) CreateState(state, p, group);
            long step = ++state[StepKey].Buffer<long>()[0];
            DTypeDispatch.RunFloat(p.DType, new UpdateCall(state[Sum], p, grad, group, step));
            state[StepKey].BumpVersion();
            state[Sum].BumpVersion();
            p.BumpVersion();
        }
    }

    private static void Update<T>(Tensor sum, Tensor p, Tensor grad, ParamGroup group, long step)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double weightDecay = group.WeightDecay;
        // A Python float, as adagrad.py computes it (PyTorch's float32 step count is exact up to 2^24).
        double clr = group.LearningRate / (1 + (step - 1) * group.LrDecay);
        var scalars = new OptimKernels.AdagradScalars<T>(
            NegativeClr: T.CreateTruncating(-clr),
            Eps: T.CreateTruncating(group.Eps),
            WeightDecay: T.CreateTruncating(weightDecay),
            UseWeightDecay: weightDecay != 0,
            Maximize: group.Maximize);
        OptimKernels.Adagrad(p.Buffer<T>(), grad.Buffer<T>(), sum.Buffer<T>(), scalars);
    }

    private readonly struct UpdateCall(Tensor sum, Tensor p, Tensor grad, ParamGroup group, long step) : IFloatKernelCall
    {
        public void Run<T>() where T : unmanaged, IFloatingPointIeee754<T> => Update<T>(sum, p, grad, group, step);
    }
}
