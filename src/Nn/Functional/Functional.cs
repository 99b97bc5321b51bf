namespace Autograd.Nn;

/// <summary>
/// The functional forms of layers and losses (like <c>torch.nn.functional</c>). Each loss is one
/// fused op (an <see cref="Autograd.Function"/>) that computes its value and its closed-form
/// gradient; the loss modules are one-line wrappers over these. The members are split by family
/// over the files of <c>src/Nn/Functional/</c>.
/// </summary>
public static partial class Functional
{
}
