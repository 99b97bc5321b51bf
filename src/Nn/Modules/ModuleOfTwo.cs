namespace Autograd.Nn;

/// <summary>
/// The base class of a module with two inputs (in the spirit of TorchSharp's
/// <c>Module&lt;T1, T2, TResult&gt;</c>), such as a recurrent cell <c>(x, h) -&gt; h'</c>. It is a
/// <see cref="Module"/>: it registers parameters, buffers and children as any module does, and they
/// appear in <see cref="Module.Parameters"/>, <see cref="Module.StateDict"/>, model files and the
/// printed form; it can itself be a child of another module. A subclass implements
/// <see cref="Forward(T1, T2)"/>.
/// </summary>
/// <typeparam name="T1">The first input's type (usually <see cref="Tensor"/>).</typeparam>
/// <typeparam name="T2">The second input's type.</typeparam>
/// <typeparam name="TResult">The output's type: a tensor, or a tuple of tensors for several outputs.</typeparam>
/// <remarks>
/// <code>
/// sealed class Cell : Module&lt;Tensor, Tensor, Tensor&gt;
/// {
///     private readonly Linear _input, _hidden;
///
///     public Cell(Generator g)
///     {
///         _input = RegisterModule("input", new Linear(3, 4, generator: g));
///         _hidden = RegisterModule("hidden", new Linear(4, 4, bias: false, generator: g));
///     }
///
///     public override Tensor Forward(Tensor x, Tensor h) => (_input.Forward(x) + _hidden.Forward(h)).Tanh();
/// }
/// // StateDict(): input.weight, input.bias, hidden.weight
/// </code>
/// <see cref="Sequential"/> holds one-tensor modules only and refuses these; the one-tensor
/// <see cref="Module.Forward(Tensor)"/> of such a module throws <see cref="NotSupportedException"/>.
/// </remarks>
public abstract class Module<T1, T2, TResult> : Module
{
    /// <summary>Computes the module's output for the two inputs, recording the ops for backward.</summary>
    /// <param name="input1">The first input.</param>
    /// <param name="input2">The second input.</param>
    /// <returns>The output.</returns>
    public abstract TResult Forward(T1 input1, T2 input2);

    /// <summary>Not supported: this module takes two inputs; call <see cref="Forward(T1, T2)"/>.</summary>
    /// <param name="input">Unused.</param>
    /// <returns>Never returns.</returns>
    /// <exception cref="NotSupportedException">Always.</exception>
    public sealed override Tensor Forward(Tensor input)
        => throw new NotSupportedException($"{TypeName} takes two inputs ({typeof(T1).Name}, {typeof(T2).Name}); call Forward(input1, input2). A Sequential holds one-tensor modules only.");

    internal sealed override bool TakesOneTensor => false;
}
