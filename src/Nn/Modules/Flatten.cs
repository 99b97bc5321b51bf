namespace Autograd.Nn;

/// <summary>
/// Merges the dimensions <see cref="StartDim"/> through <see cref="EndDim"/> into one (like
/// <c>torch.nn.Flatten</c>): by default (N, *) becomes (N, product of *). A view: the data is
/// shared, and the gradient is reshaped back.
/// </summary>
/// <param name="startDim">The first dimension to merge (negative counts from the end).</param>
/// <param name="endDim">The last dimension to merge (negative counts from the end).</param>
public sealed class Flatten(int startDim = 1, int endDim = -1) : Module
{
    /// <summary>The first dimension to merge.</summary>
    public int StartDim { get; } = startDim;

    /// <summary>The last dimension to merge.</summary>
    public int EndDim { get; } = endDim;

    /// <summary>The input with dimensions <see cref="StartDim"/>..<see cref="EndDim"/> merged.</summary>
    /// <param name="input">A tensor of any dtype with both dimensions.</param>
    /// <returns>A view of the input.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is out of range for the input.</exception>
    /// <exception cref="ArgumentException">The start dimension comes after the end dimension.</exception>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        int rank = input.Rank;
        int start = Shapes.NormalizeDim(StartDim, rank, "startDim");
        int end = Shapes.NormalizeDim(EndDim, rank, "endDim");
        if (start > end)
            throw new ArgumentException($"Flatten: startDim ({StartDim}) cannot come after endDim ({EndDim}) for input shape {Shapes.Format(input.Dims)}.", nameof(input));
        if (rank == 0) return input.Reshape(1); // as torch.flatten: a 0-d tensor becomes 1-d
        int[] dims = input.Dims;
        int[] shape = [.. dims[..start], Shapes.Size(dims.AsSpan(start, end - start + 1)), .. dims[(end + 1)..]];
        return input.Reshape(shape);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"start_dim={StartDim}, end_dim={EndDim}";
}
