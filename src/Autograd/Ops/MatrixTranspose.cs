namespace Autograd;

/// <summary>The batched matrix transpose (kept apart from ShapeOps: it is a one-line use of Transpose).</summary>
public sealed partial class Tensor
{
    /// <summary>
    /// The last two dims swapped, like PyTorch's <c>x.mT</c>: a stack of matrices, each transposed.
    /// Backward: the same swap.
    /// </summary>
    /// <exception cref="InvalidOperationException">The tensor has fewer than 2 dims.</exception>
    public Tensor MT => Rank >= 2
        ? Transpose(-2, -1)
        : throw new InvalidOperationException($"MT expects a tensor with >= 2 dimensions (as x.mT), but this one is {Rank}-D with shape {Shapes.Format(Dims)}.");
}
