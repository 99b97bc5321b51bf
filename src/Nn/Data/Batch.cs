namespace Autograd.Nn;

/// <summary>
/// Unpacking a batch (a <c>Tensor[]</c>, one tensor per dataset tensor) into variables, as Python's
/// <c>for xb, yb in train_dl</c> and <c>xb, yb = train_ds[0:64]</c>:
/// <c>foreach (var (xb, yb) in loader)</c>, <c>var (xb, yb) = dataset[0..64]</c>.
/// </summary>
public static class Batch
{
    /// <summary>Unpacks a batch of two tensors (inputs and targets).</summary>
    /// <param name="batch">The batch: exactly two tensors.</param>
    /// <param name="first">The first tensor (usually the inputs).</param>
    /// <param name="second">The second tensor (usually the targets).</param>
    /// <exception cref="ArgumentException">The batch does not hold exactly two tensors.</exception>
    public static void Deconstruct(this Tensor[] batch, out Tensor first, out Tensor second)
    {
        Check(batch, 2);
        (first, second) = (batch[0], batch[1]);
    }

    /// <summary>Unpacks a batch of three tensors.</summary>
    /// <param name="batch">The batch: exactly three tensors.</param>
    /// <param name="first">The first tensor.</param>
    /// <param name="second">The second tensor.</param>
    /// <param name="third">The third tensor.</param>
    /// <exception cref="ArgumentException">The batch does not hold exactly three tensors.</exception>
    public static void Deconstruct(this Tensor[] batch, out Tensor first, out Tensor second, out Tensor third)
    {
        Check(batch, 3);
        (first, second, third) = (batch[0], batch[1], batch[2]);
    }

    private static void Check(Tensor[] batch, int count)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Length != count)
            throw new ArgumentException($"The batch holds {batch.Length} tensors and cannot be unpacked into {count} variables (a dataset of {batch.Length} tensors gives batches of {batch.Length}).", nameof(batch));
    }
}
