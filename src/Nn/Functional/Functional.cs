namespace Autograd.Nn;

/// <summary>
/// The functional forms of layers and losses (like <c>torch.nn.functional</c>). Each loss is one
/// fused op (an <see cref="Autograd.Function"/>) that computes its value and its closed-form
/// gradient; the loss modules are one-line wrappers over these. Each loss's functional form sits in
/// its own file under <c>src/Nn/Losses/</c>, beside its module and its op; the layers' are in
/// <c>src/Nn/Functional/</c>.
/// </summary>
public static partial class Functional
{
}
