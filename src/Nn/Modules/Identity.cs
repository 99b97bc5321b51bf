namespace Autograd.Nn;

/// <summary>Returns its input unchanged (like <c>torch.nn.Identity</c>): a placeholder, e.g. to switch a layer off.</summary>
public sealed class Identity : Module
{
    /// <summary>Returns <paramref name="input"/> itself.</summary>
    /// <param name="input">Any tensor.</param>
    /// <returns><paramref name="input"/>.</returns>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input;
    }
}
