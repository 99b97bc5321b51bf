namespace Autograd.Optim;

/// <summary>
/// AdamW: Adam with decoupled weight decay (Loshchilov and Hutter, 2019), optionally with AMSGrad
/// and maximization (like <c>torch.optim.AdamW</c>, PyTorch 1.13, single-tensor code path, same rounding).
/// </summary>
/// <remarks>
/// <para>For each parameter θ with gradient g, at step t (counted per parameter, from 1), with
/// m, v and v̂ starting at 0:</para>
/// <code>
/// g ← −g                                  if maximize
/// θ ← θ · (1 − γ·λ)                       decoupled weight decay, before the Adam step
/// m ← β₁·m + (1 − β₁)·g
/// v ← β₂·v + (1 − β₂)·g²
/// v̂ ← max(v̂, v), use v̂ in place of v     if amsgrad
/// θ ← θ − (γ / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
/// </code>
/// <para>
/// Unlike <see cref="Adam"/>'s L2 penalty, the decay never enters m and v, so every weight shrinks by
/// the same factor whatever its gradient history. The factor <c>1 − γ·λ</c> is computed in double
/// from the current <see cref="Optimizer.LearningRate"/> and rounded once, as in PyTorch; the rest of
/// the step is exactly <see cref="Adam"/>'s. Note the default λ is 0.01, not 0.
/// </para>
/// <example>
/// <code>
/// var optimizer = new AdamW(model.Parameters(), lr: 1e-3, weightDecay: 0.01);
/// optimizer.ZeroGrad();
/// lossFn.Forward(model.Forward(input), target).Backward();
/// optimizer.Step();
/// </code>
/// </example>
/// </remarks>
public sealed class AdamW : Optimizer
{
    /// <summary>Creates the optimizer, checking the hyper-parameters as PyTorch does (and also refusing NaN and infinity).</summary>
    /// <param name="parameters">The tensors to optimize: Float32 or Float64 leaves that require grad, each at most once.</param>
    /// <param name="lr">The learning rate γ, &gt;= 0.</param>
    /// <param name="beta1">The decay rate β₁ of the gradient's running average m, in [0, 1).</param>
    /// <param name="beta2">The decay rate β₂ of the squared gradient's running average v, in [0, 1).</param>
    /// <param name="eps">The term ε added to the denominator, &gt;= 0.</param>
    /// <param name="weightDecay">The decoupled weight decay λ, &gt;= 0: each step multiplies θ by 1 − γ·λ.</param>
    /// <param name="amsgrad">Use the running maximum of v (AMSGrad, Reddi et al., 2018).</param>
    /// <param name="maximize">Maximize the objective instead of minimizing it.</param>
    /// <exception cref="ArgumentException">A bad parameter list (see <see cref="Optimizer"/>).</exception>
    /// <exception cref="ArgumentOutOfRangeException">lr, eps or weightDecay negative, a beta outside [0, 1), or any of them NaN or infinite.</exception>
    public AdamW(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weightDecay = 1e-2, bool amsgrad = false, bool maximize = false)
        : base(ListGroup(parameters), fromList: true, AdamCore.Defaults(lr, beta1, beta2, eps, weightDecay, amsgrad, maximize))
    {
    }

    /// <summary>
    /// Creates the optimizer over parameter groups (like <c>torch.optim.AdamW([{"params": ...}, ...], ...)</c>):
    /// the arguments after <paramref name="paramGroups"/> are the defaults for the options a group does not set.
    /// </summary>
    /// <param name="paramGroups">The groups: together at least one parameter, each parameter in one group only; a group may set lr, beta1, beta2, eps, weightDecay, amsgrad and maximize.</param>
    /// <param name="lr">The default learning rate γ, &gt;= 0.</param>
    /// <param name="beta1">The default β₁, in [0, 1).</param>
    /// <param name="beta2">The default β₂, in [0, 1).</param>
    /// <param name="eps">The default ε, &gt;= 0.</param>
    /// <param name="weightDecay">The decoupled weight decay λ by default, &gt;= 0.</param>
    /// <param name="amsgrad">The default for AMSGrad.</param>
    /// <param name="maximize">The default for maximizing.</param>
    /// <exception cref="ArgumentNullException"><paramref name="paramGroups"/> is null.</exception>
    /// <exception cref="ArgumentException">A bad group or parameter (named by group and position), a parameter in two groups, or an SGD option set on a group.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A default out of range, NaN or infinite.</exception>
    public AdamW(IEnumerable<ParamGroup> paramGroups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weightDecay = 1e-2, bool amsgrad = false, bool maximize = false)
        : base(paramGroups, fromList: false, AdamCore.Defaults(lr, beta1, beta2, eps, weightDecay, amsgrad, maximize))
    {
    }

    /// <summary>The default decay rate β₁ of the gradient's running average.</summary>
    public double Beta1 => Default("beta1");

    /// <summary>The default decay rate β₂ of the squared gradient's running average.</summary>
    public double Beta2 => Default("beta2");

    /// <summary>The default term ε added to the denominator.</summary>
    public double Eps => Default("eps");

    /// <summary>The default decoupled weight decay λ.</summary>
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
            AdamCore.Update(StateOf(Parameters[i]), Parameters[i], grad, GroupOf(i), decoupled: true);
            Parameters[i].BumpVersion();
        }
    }
}
