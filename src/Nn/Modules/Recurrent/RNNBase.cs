namespace Autograd.Nn;

/// <summary>
/// What the three recurrent layers share (like <c>torch.nn.RNNBase</c>): a stack of
/// <see cref="NumLayers"/> layers, each running its cell over the whole sequence, optionally in
/// both directions, with dropout between layers in training mode.
/// </summary>
/// <typeparam name="THiddenInput">The optional initial state (null for zeros).</typeparam>
/// <typeparam name="THidden">The final state returned beside the output.</typeparam>
/// <remarks>
/// <para>
/// Parameters, per layer k and direction (the reverse one suffixed <c>_reverse</c>), in PyTorch's
/// order so that <see cref="Module.StateDict"/> lists the same keys in the same order:
/// <c>weight_ih_l{k}</c> (gates·hidden, input for k = 0, else directions·hidden),
/// <c>weight_hh_l{k}</c> (gates·hidden, hidden), and with <see cref="Bias"/> <c>bias_ih_l{k}</c>
/// and <c>bias_hh_l{k}</c> (gates·hidden). Every one is initialised from
/// U(-1/√hidden, 1/√hidden) as PyTorch's <c>reset_parameters</c>, from the given
/// <see cref="Generator"/> (which also draws the dropout masks).
/// </para>
/// <para>
/// Shapes, with L the sequence length, N the batch and D = 2 when bidirectional, else 1: input
/// (L, N, input), (N, L, input) with <see cref="BatchFirst"/>, or unbatched (L, input); output
/// (L, N, D·hidden), (N, L, D·hidden) or (L, D·hidden); states (numLayers·D, N, hidden), or
/// (numLayers·D, hidden) unbatched (<see cref="BatchFirst"/> does not apply to them).
/// </para>
/// <para>
/// As PyTorch on the CPU, each layer computes the input projection x W_ihᵀ + b_ih of all time
/// steps in one product, then runs the steps; each direction of a layer is one recorded op whose
/// backward is backpropagation through time (memory linear in L). See docs/recurrent.md.
/// </para>
/// </remarks>
public abstract class RNNBase<THiddenInput, THidden> : Module<Tensor, THiddenInput, (Tensor Output, THidden Hidden)>
{
    private readonly string _name;
    private readonly RecurrentMode _mode;
    private readonly Generator? _generator;
    private readonly string[][] _names; // per layer and direction: weight_ih, weight_hh[, bias_ih, bias_hh]

    private protected RNNBase(string name, RecurrentMode mode, int inputSize, int hiddenSize, int numLayers, bool bias,
        bool batchFirst, double dropout, bool bidirectional, Generator? generator, DType dtype)
    {
        _name = name;
        _mode = mode;
        RecurrentChecks.Sizes(name, inputSize, hiddenSize, dtype);
        if (numLayers <= 0)
            throw new ArgumentOutOfRangeException(nameof(numLayers), numLayers, $"{name}: num_layers must be greater than zero, got {numLayers}.");
        if (!(dropout >= 0 && dropout <= 1))
            throw new ArgumentOutOfRangeException(nameof(dropout), dropout, $"{name}: dropout should be a number in range [0, 1] representing the probability of an element being zeroed, got {dropout}.");
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        NumLayers = numLayers;
        Bias = bias;
        BatchFirst = batchFirst;
        Dropout = dropout;
        Bidirectional = bidirectional;
        _generator = generator;

        int gates = RecurrentSteps.GateCount(mode), directions = bidirectional ? 2 : 1;
        double bound = 1 / Math.Sqrt(hiddenSize);
        _names = new string[numLayers * directions][];
        for (int layer = 0; layer < numLayers; layer++)
        {
            int layerInput = layer == 0 ? inputSize : hiddenSize * directions;
            for (int direction = 0; direction < directions; direction++)
            {
                string suffix = $"_l{layer}" + (direction == 1 ? "_reverse" : "");
                string[] names = bias
                    ? ["weight_ih" + suffix, "weight_hh" + suffix, "bias_ih" + suffix, "bias_hh" + suffix]
                    : ["weight_ih" + suffix, "weight_hh" + suffix];
                int[][] shapes = [[gates * hiddenSize, layerInput], [gates * hiddenSize, hiddenSize], [gates * hiddenSize], [gates * hiddenSize]];
                for (int p = 0; p < names.Length; p++)
                    RegisterParameter(names[p], Init.Uniform(Tensor.Zeros(shapes[p], dtype), -bound, bound, generator));
                _names[layer * directions + direction] = names;
            }
        }
    }

    /// <summary>Runs the layers over the sequence from the initial state (zeros when null or omitted).</summary>
    /// <param name="input">(L, N, input_size), (N, L, input_size) with <see cref="BatchFirst"/>, or unbatched (L, input_size).</param>
    /// <param name="hx">The initial state, or null for zeros.</param>
    /// <returns>The last layer's output at every step, and the final state of every layer and direction.</returns>
    public abstract override (Tensor Output, THidden Hidden) Forward(Tensor input, THiddenInput hx = default!);

    /// <summary>The number of features of the input.</summary>
    public int InputSize { get; }

    /// <summary>The number of features of the hidden state.</summary>
    public int HiddenSize { get; }

    /// <summary>The number of stacked layers.</summary>
    public int NumLayers { get; }

    /// <summary>Whether the layers have the biases <c>bias_ih_l{k}</c> and <c>bias_hh_l{k}</c>.</summary>
    public bool Bias { get; }

    /// <summary>Whether the input and output are (N, L, features) instead of (L, N, features).</summary>
    public bool BatchFirst { get; }

    /// <summary>The dropout probability applied to each layer's output but the last, in training mode.</summary>
    public double Dropout { get; }

    /// <summary>Whether each layer also runs from the last step to the first (outputs concatenated).</summary>
    public bool Bidirectional { get; }

    /// <summary>The parameters of one layer and direction: W_ih, W_hh, b_ih, b_hh (the biases null without bias).</summary>
    /// <param name="layer">The layer, from 0.</param>
    /// <param name="reverse">True for the reverse direction of a bidirectional layer.</param>
    /// <returns>The four parameters (live tensors).</returns>
    /// <exception cref="ArgumentOutOfRangeException">No such layer or direction.</exception>
    public (Tensor WeightIh, Tensor WeightHh, Tensor? BiasIh, Tensor? BiasHh) LayerParameters(int layer, bool reverse = false)
    {
        if (layer < 0 || layer >= NumLayers || (reverse && !Bidirectional))
            throw new ArgumentOutOfRangeException(nameof(layer), layer, $"{_name} has {NumLayers} layer(s){(Bidirectional ? "" : " and one direction")}; no layer {layer}{(reverse ? " reverse" : "")}.");
        var names = _names[layer * (Bidirectional ? 2 : 1) + (reverse ? 1 : 0)];
        return (GetParameter(names[0]), GetParameter(names[1]), Bias ? GetParameter(names[2]) : null, Bias ? GetParameter(names[3]) : null);
    }

    /// <summary>The checked input as (L, N, input) and whether it was batched.</summary>
    private protected (Tensor Input, bool Batched) SequenceInput(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank is not (2 or 3))
            throw new ArgumentException($"{_name}: Expected input to be 2-D or 3-D but received {input.Rank}-D tensor (shape {Shapes.Format(input.Dims)}).", nameof(input));
        RecurrentChecks.DType(_name, "input", input, LayerParameters(0).WeightIh.DType, nameof(input));
        if (input.Dims[^1] != InputSize)
            throw new ArgumentException($"{_name}: input.size(-1) must be equal to input_size. Expected {InputSize}, got {input.Dims[^1]} (input shape {Shapes.Format(input.Dims)}).", nameof(input));
        bool batched = input.Rank == 3;
        var x = !batched ? input.Unsqueeze(1) : BatchFirst ? input.Transpose(0, 1) : input;
        if (x.Dims[0] == 0)
            throw new ArgumentException($"{_name}: Expected sequence length to be larger than 0 in RNN (input shape {Shapes.Format(input.Dims)}).", nameof(input));
        return (x, batched);
    }

    /// <summary>A checked initial state as (numLayers·D, N, hidden); zeros when null.</summary>
    private protected Tensor InitialState(Tensor? state, Tensor x, bool batched, string label, string argument)
    {
        int[] expected = [NumLayers * (Bidirectional ? 2 : 1), x.Dims[1], HiddenSize];
        if (state is null) return Tensor.Zeros(expected, x.DType);
        if (state.Rank != (batched ? 3 : 2))
            throw new ArgumentException(batched
                ? $"{_name}: For batched 3-D input, {label} should also be 3-D but got {state.Rank}-D tensor (shape {Shapes.Format(state.Dims)})."
                : $"{_name}: For unbatched 2-D input, {label} should also be 2-D but got {state.Rank}-D tensor (shape {Shapes.Format(state.Dims)}).", argument);
        RecurrentChecks.DType(_name, label, state, x.DType, argument);
        var s = batched ? state : state.Unsqueeze(1);
        if (!Shapes.Equal(s.Dims, expected))
        {
            int[] shown = batched ? expected : [expected[0], expected[2]];
            throw new ArgumentException($"{_name}: Expected {label} size {Shapes.Format(shown)}, got {Shapes.Format(state.Dims)} (num_layers * num_directions, {(batched ? "batch, " : "")}hidden_size).", argument);
        }
        return s;
    }

    /// <summary>Runs the layers on x (L, N, input) from h0 (and c0): the last layer's output (L, N, D·hidden) and the final states.</summary>
    private protected (Tensor Output, Tensor H, Tensor? C) RunLayers(Tensor x, Tensor h0, Tensor? c0)
    {
        int directions = Bidirectional ? 2 : 1, length = x.Dims[0];
        var hs = new Tensor[NumLayers * directions];
        var cs = c0 is null ? null : new Tensor[hs.Length];
        var layerInput = x;
        for (int layer = 0; layer < NumLayers; layer++)
        {
            var outputs = new Tensor[directions];
            for (int direction = 0; direction < directions; direction++)
            {
                int index = layer * directions + direction;
                var (wIh, wHh, bIh, bHh) = LayerParameters(layer, direction == 1);
                var gi = Functional.Linear(layerInput, wIh, bIh); // all time steps at once, as PyTorch's CPU path
                var inputs = new List<Tensor> { gi, h0.Select(0, index) };
                if (c0 is not null) inputs.Add(c0.Select(0, index));
                inputs.Add(wHh);
                if (bHh is not null) inputs.Add(bHh);
                var y = new RecurrentLayerFunction(_mode, reverse: direction == 1).Apply([.. inputs]);
                outputs[direction] = c0 is null ? y : y.Narrow(0, 0, length);
                hs[index] = y.Select(0, direction == 1 ? 0 : length - 1);
                if (cs is not null) cs[index] = y.Select(0, length);
            }
            layerInput = directions == 1 ? outputs[0] : Tensor.Concat(outputs, 2);
            if (Dropout > 0 && Training && layer < NumLayers - 1)
                layerInput = Functional.Dropout(layerInput, Dropout, training: true, _generator);
        }
        return (layerInput, Tensor.Stack(hs), cs is null ? null : Tensor.Stack(cs));
    }

    /// <summary>The output in the caller's layout: (N, L, ·) with <see cref="BatchFirst"/>, (L, ·) unbatched.</summary>
    private protected Tensor OutputLayout(Tensor output, bool batched)
        => !batched ? output.Squeeze(1) : BatchFirst ? output.Transpose(0, 1) : output;

    /// <summary>A final state in the caller's layout: (numLayers·D, hidden) unbatched.</summary>
    private protected static Tensor StateLayout(Tensor state, bool batched) => batched ? state : state.Squeeze(1);

    /// <summary>As PyTorch prints it: <c>10, 20, num_layers=2</c>, listing the settings that differ from the defaults.</summary>
    /// <returns>The module's settings.</returns>
    protected override string ExtraRepr()
    {
        var s = $"{InputSize}, {HiddenSize}";
        if (NumLayers != 1) s += $", num_layers={NumLayers}";
        if (!Bias) s += ", bias=False";
        if (BatchFirst) s += ", batch_first=True";
        if (Dropout != 0) s += $", dropout={Nn.Dropout.PythonFloat(Dropout)}";
        if (Bidirectional) s += ", bidirectional=True";
        return s;
    }
}
