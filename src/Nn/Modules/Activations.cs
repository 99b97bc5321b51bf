namespace Autograd.Nn;

/// <summary>σ(x) = 1 / (1 + e^-x), element-wise (like <c>torch.nn.Sigmoid</c>); any input shape.</summary>
public sealed class Sigmoid : Module
{
    /// <inheritdoc cref="Functional.Sigmoid"/>
    public override Tensor Forward(Tensor input) => Functional.Sigmoid(input);
}

/// <summary>tanh(x), element-wise (like <c>torch.nn.Tanh</c>); any input shape.</summary>
public sealed class Tanh : Module
{
    /// <inheritdoc cref="Functional.Tanh"/>
    public override Tensor Forward(Tensor input) => Functional.Tanh(input);
}

/// <summary>max(x, 0), element-wise (like <c>torch.nn.ReLU</c>); any input shape.</summary>
public sealed class ReLU : Module
{
    /// <inheritdoc cref="Functional.Relu"/>
    public override Tensor Forward(Tensor input) => Functional.Relu(input);
}

/// <summary>Softmax along one dimension (like <c>torch.nn.Softmax</c>); see <see cref="Functional.Softmax"/>.</summary>
/// <param name="dim">The dimension that sums to one; negative counts from the end (checked against each input).</param>
public sealed class Softmax(int dim) : Module
{
    /// <summary>The dimension that sums to one.</summary>
    public int Dim { get; } = dim;

    /// <summary>softmax(input) along <see cref="Dim"/>.</summary>
    /// <param name="input">A floating point tensor with dimension <see cref="Dim"/>.</param>
    /// <returns>A tensor of the input's shape.</returns>
    public override Tensor Forward(Tensor input) => Functional.Softmax(input, Dim);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"dim={Dim}";
}

/// <summary>Log-softmax along one dimension (like <c>torch.nn.LogSoftmax</c>); see <see cref="Functional.LogSoftmax"/>.</summary>
/// <param name="dim">The dimension to normalise; negative counts from the end (checked against each input).</param>
public sealed class LogSoftmax(int dim) : Module
{
    /// <summary>The dimension to normalise.</summary>
    public int Dim { get; } = dim;

    /// <summary>log softmax(input) along <see cref="Dim"/>.</summary>
    /// <param name="input">A floating point tensor with dimension <see cref="Dim"/>.</param>
    /// <returns>A tensor of the input's shape.</returns>
    public override Tensor Forward(Tensor input) => Functional.LogSoftmax(input, Dim);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"dim={Dim}";
}
