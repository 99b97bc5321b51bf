namespace Autograd.Nn;

/// <summary>
/// What the three cells share (like <c>torch.nn.RNNCellBase</c>): the parameters
/// <c>weight_ih</c> (gates · hidden, input), <c>weight_hh</c> (gates · hidden, hidden) and, with
/// <see cref="Bias"/>, <c>bias_ih</c> and <c>bias_hh</c> (gates · hidden), registered in that
/// order, with the gates' rows stacked as PyTorch stacks them; PyTorch's initialisation; and the
/// checks of a step's input and state.
/// </summary>
/// <typeparam name="THiddenInput">The optional state a step takes (null for zeros).</typeparam>
/// <typeparam name="THidden">The state a step returns.</typeparam>
/// <remarks>
/// Every parameter is initialised from U(-1/√hidden, 1/√hidden), as PyTorch's
/// <c>reset_parameters</c>, in registration order from one <see cref="Generator"/>; the numbers
/// are not PyTorch's but follow the same distribution.
/// </remarks>
public abstract class RNNCellBase<THiddenInput, THidden> : Module<Tensor, THiddenInput, THidden>
{
    private readonly string _name;

    private protected RNNCellBase(string name, int inputSize, int hiddenSize, bool bias, int gates, Generator? generator, DType dtype)
    {
        _name = name;
        RecurrentChecks.Sizes(name, inputSize, hiddenSize, dtype);
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        Bias = bias;
        double bound = 1 / Math.Sqrt(hiddenSize);
        RegisterParameter("weight_ih", Init.Uniform(Tensor.Zeros([gates * hiddenSize, inputSize], dtype), -bound, bound, generator));
        RegisterParameter("weight_hh", Init.Uniform(Tensor.Zeros([gates * hiddenSize, hiddenSize], dtype), -bound, bound, generator));
        if (bias)
        {
            RegisterParameter("bias_ih", Init.Uniform(Tensor.Zeros([gates * hiddenSize], dtype), -bound, bound, generator));
            RegisterParameter("bias_hh", Init.Uniform(Tensor.Zeros([gates * hiddenSize], dtype), -bound, bound, generator));
        }
    }

    /// <summary>One step from the input and the previous state (zeros when null or omitted).</summary>
    /// <param name="input">(N, input_size), or (input_size) unbatched.</param>
    /// <param name="hx">The previous state, or null for zeros.</param>
    /// <returns>The new state.</returns>
    public abstract override THidden Forward(Tensor input, THiddenInput hx = default!);

    /// <summary>The number of features of the input x.</summary>
    public int InputSize { get; }

    /// <summary>The number of features of the hidden state h.</summary>
    public int HiddenSize { get; }

    /// <summary>Whether the cell has the biases <c>bias_ih</c> and <c>bias_hh</c>.</summary>
    public bool Bias { get; }

    /// <summary>The input-to-hidden weights, registered as <c>weight_ih</c>.</summary>
    public Tensor WeightIh => GetParameter("weight_ih");

    /// <summary>The hidden-to-hidden weights, registered as <c>weight_hh</c>.</summary>
    public Tensor WeightHh => GetParameter("weight_hh");

    /// <summary>The input-to-hidden bias, registered as <c>bias_ih</c>; null without bias.</summary>
    public Tensor? BiasIh => Bias ? GetParameter("bias_ih") : null;

    /// <summary>The hidden-to-hidden bias, registered as <c>bias_hh</c>; null without bias.</summary>
    public Tensor? BiasHh => Bias ? GetParameter("bias_hh") : null;

    /// <summary>
    /// Checks the input (1-D unbatched or 2-D batched, of the parameters' dtype and input size)
    /// and returns it as (N, input) with whether it was batched.
    /// </summary>
    private protected (Tensor Input, bool Batched) CellInput(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank is not (1 or 2))
            throw new ArgumentException($"{_name}: Expected input to be 1-D or 2-D but received {input.Rank}-D tensor (shape {Shapes.Format(input.Dims)}).", nameof(input));
        RecurrentChecks.DType(_name, "input", input, WeightIh.DType, nameof(input));
        if (input.Dims[^1] != InputSize)
            throw new ArgumentException($"{_name}: input has inconsistent input_size: got {input.Dims[^1]} expected {InputSize} (input shape {Shapes.Format(input.Dims)}).", nameof(input));
        bool batched = input.Rank == 2;
        return (batched ? input : input.Unsqueeze(0), batched);
    }

    /// <summary>
    /// Checks a state tensor against the input ((N, hidden) for a batched input, (hidden) for an
    /// unbatched one) and returns it as (N, hidden); zeros when it is null.
    /// </summary>
    private protected Tensor CellState(Tensor? state, Tensor input, bool batched, string label, string argument)
    {
        int batch = input.Dims[0];
        if (state is null) return Tensor.Zeros([batch, HiddenSize], input.DType);
        int rank = batched ? 2 : 1;
        if (state.Rank != rank)
            throw new ArgumentException($"{_name}: for a {(batched ? "batched 2-D" : "unbatched 1-D")} input, {label} should be {rank}-D but got {state.Rank}-D tensor (shape {Shapes.Format(state.Dims)}).", argument);
        RecurrentChecks.DType(_name, label, state, input.DType, argument);
        var s = batched ? state : state.Unsqueeze(0);
        if (s.Dims[0] != batch)
            throw new ArgumentException($"{_name}: Input batch size {batch} doesn't match {label} batch size {s.Dims[0]}.", argument);
        if (s.Dims[1] != HiddenSize)
            throw new ArgumentException($"{_name}: {label} has inconsistent hidden_size: got {s.Dims[1]}, expected {HiddenSize}.", argument);
        return s;
    }

    /// <summary>gi = x W_ihᵀ + b_ih for the step.</summary>
    private protected Tensor InputGates(Tensor x) => Functional.Linear(x, WeightIh, BiasIh);

    /// <summary>As PyTorch prints it: <c>3, 5</c>, then <c>bias=False</c> when it has none.</summary>
    /// <returns>The module's settings.</returns>
    protected override string ExtraRepr() => Bias ? $"{InputSize}, {HiddenSize}" : $"{InputSize}, {HiddenSize}, bias=False";
}
