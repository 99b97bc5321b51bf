namespace Autograd.Nn;

/// <summary>The argument checks the recurrent cells and layers share, with PyTorch's wording.</summary>
internal static class RecurrentChecks
{
    public static void Sizes(string module, int inputSize, int hiddenSize, DType dtype)
    {
        if (inputSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(inputSize), inputSize, $"{module}: input_size must be greater than zero, got {inputSize}.");
        if (hiddenSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(hiddenSize), hiddenSize, $"{module}: hidden_size must be greater than zero, got {hiddenSize}.");
        if (!dtype.IsFloatingPoint())
            throw new ArgumentException($"{module}: parameters must be Float32 or Float64, got {dtype}.", nameof(dtype));
    }

    /// <summary>An RNN's nonlinearity: "tanh" or "relu" (PyTorch's ValueError "Unknown nonlinearity").</summary>
    public static bool IsRelu(string module, string nonlinearity)
    {
        ArgumentNullException.ThrowIfNull(nonlinearity);
        return nonlinearity switch
        {
            "tanh" => false,
            "relu" => true,
            _ => throw new ArgumentException($"{module}: Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.", nameof(nonlinearity)),
        };
    }

    public static void DType(string module, string what, Tensor t, DType expected, string argument)
    {
        ArgumentNullException.ThrowIfNull(t, argument);
        if (t.DType != expected)
            throw new ArgumentException($"{module}: {what} must have the type {expected} (the parameters' dtype), got type {t.DType} (shape {Shapes.Format(t.Dims)}); convert it with To(DType) or the module with Module.To.", argument);
    }
}
