namespace Autograd.Optim;

/// <summary>
/// Adam (Kingma and Ba, 2014), optionally with L2 weight decay, AMSGrad and maximization (like
/// <c>torch.optim.Adam</c>, PyTorch 1.13, single-tensor code path, same rounding).
/// </summary>
/// <remarks>
/// <para>For each parameter θ with gradient g, at step t (counted per parameter, from 1), with
/// m, v and v̂ starting at 0:</para>
/// <code>
/// g ← −g                                  if maximize
/// g ← g + λ·θ                             if weightDecay λ ≠ 0 (L2 penalty, coupled to the moments)
/// m ← β₁·m + (1 − β₁)·g
/// v ← β₂·v + (1 − β₂)·g²
/// v̂ ← max(v̂, v), use v̂ in place of v     if amsgrad
/// θ ← θ − (γ / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
/// </code>
/// <para>
/// The last line is PyTorch's exact order of operations: <c>denom = v.sqrt() / sqrt(1 − β₂ᵗ) + ε</c>,
/// then <c>θ + (−step_size · m) / denom</c> with <c>step_size = γ / (1 − β₁ᵗ)</c>. The bias corrections
/// and the step size are computed in double and rounded once to the parameter's dtype, as PyTorch's
/// Python floats are. Note where ε goes: it is added to the bias-corrected √v̂, not to √v.
/// </para>
/// <para>
/// The weight decay here is L2 regularisation: it passes through the moment estimates and is
/// rescaled by them. For decay applied directly to the weights, use <see cref="AdamW"/>.
/// The state (m, v, v̂ and the step count) is created at a parameter's first step with a gradient,
/// the only allocation; a parameter without a gradient does not advance its step count.
/// </para>
/// <example>
/// <code>
/// var optimizer = new Adam(model.Parameters(), lr: 1e-3);
/// optimizer.ZeroGrad();
/// lossFn.Forward(model.Forward(input), target).Backward();
/// optimizer.Step();
/// </code>
/// </example>
/// </remarks>
public sealed class Adam : Optimizer
{
    /// <summary>Creates the optimizer, checking the hyper-parameters as PyTorch does (and also refusing NaN and infinity).</summary>
    /// <param name="parameters">The tensors to optimize: Float32 or Float64 leaves that require grad, each at most once.</param>
    /// <param name="lr">The learning rate γ, &gt;= 0.</param>
    /// <param name="beta1">The decay rate β₁ of the gradient's running average m, in [0, 1).</param>
    /// <param name="beta2">The decay rate β₂ of the squared gradient's running average v, in [0, 1).</param>
    /// <param name="eps">The term ε added to the denominator, &gt;= 0.</param>
    /// <param name="weightDecay">The L2 penalty λ, &gt;= 0, added to the gradient as λ·θ.</param>
    /// <param name="amsgrad">Use the running maximum of v (AMSGrad, Reddi et al., 2018).</param>
    /// <param name="maximize">Maximize the objective instead of minimizing it.</param>
    /// <exception cref="ArgumentException">A bad parameter list (see <see cref="Optimizer"/>).</exception>
    /// <exception cref="ArgumentOutOfRangeException">lr, eps or weightDecay negative, a beta outside [0, 1), or any of them NaN or infinite.</exception>
    public Adam(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weightDecay = 0, bool amsgrad = false, bool maximize = false)
        : base(ListGroup(parameters), fromList: true, AdamCore.Defaults(lr, beta1, beta2, eps, weightDecay, amsgrad, maximize))
    {
    }

    /// <summary>
    /// Creates the optimizer over parameter groups (like <c>torch.optim.Adam([{"params": ...}, ...], ...)</c>):
    /// the arguments after <paramref name="paramGroups"/> are the defaults for the options a group does not set.
    /// </summary>
    /// <param name="paramGroups">The groups: together at least one parameter, each parameter in one group only; a group may set lr, beta1, beta2, eps, weightDecay, amsgrad and maximize.</param>
    /// <param name="lr">The default learning rate γ, &gt;= 0.</param>
    /// <param name="beta1">The default β₁, in [0, 1).</param>
    /// <param name="beta2">The default β₂, in [0, 1).</param>
    /// <param name="eps">The default ε, &gt;= 0.</param>
    /// <param name="weightDecay">The L2 penalty λ by default, &gt;= 0.</param>
    /// <param name="amsgrad">The default for AMSGrad.</param>
    /// <param name="maximize">The default for maximizing.</param>
    /// <exception cref="ArgumentNullException"><paramref name="paramGroups"/> is null.</exception>
    /// <exception cref="ArgumentException">A bad group or parameter (named by group and position), a parameter in two groups, or an SGD option set on a group.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A default out of range, NaN or infinite.</exception>
    public Adam(IEnumerable<ParamGroup> paramGroups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weightDecay = 0, bool amsgrad = false, bool maximize = false)
        : base(paramGroups, fromList: false, AdamCore.Defaults(lr, beta1, beta2, eps, weightDecay, amsgrad, maximize))
    {
    }

    /// <summary>The default decay rate β₁ of the gradient's running average.</summary>
    public double Beta1 => Default("beta1");

    /// <summary>The default decay rate β₂ of the squared gradient's running average.</summary>
    public double Beta2 => Default("beta2");

    /// <summary>The default term ε added to the denominator.</summary>
    public double Eps => Default("eps");

    /// <summary>The default L2 penalty λ.</summary>
    public double WeightDecay => Default("weight_decay");

    /// <summary>By default, whether AMSGrad's running maximum of v is used.</summary>
    public bool Amsgrad => Default("amsgrad") != 0;

    /// <summary>By default, whether the objective is maximized.</summary>
    public bool Maximize => Default("maximize") != 0;

    /// <summary>The number of steps parameter <paramref name="index"/> has taken (PyTorch's <c>state[p]["step"]</c>).</summary>
    public long StepCount(int index) => AdamCore.StepCount(ExistingStateOf(Parameters[index]));

    private protected override string? StateProblem(IReadOnlyDictionary<string, Tensor> state, IReadOnlyDictionary<string, double> options, Tensor parameter)
        => AdamCore.StateProblem(state, options, parameter);

    /// <inheritdoc/>
    public override void Step()
    {
        CheckParameters();
        for (int i = 0; i < Parameters.Count; i++)
        {
            if (GradientOf(i) is not Tensor grad) continue;
            AdamCore.Update(StateOf(Parameters[i]), Parameters[i], grad, GroupOf(i), decoupled: false);
            Parameters[i].BumpVersion();
        }
    }
}
