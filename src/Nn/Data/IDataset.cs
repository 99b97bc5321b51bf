namespace Autograd.Nn;

/// <summary>
/// A map-style dataset (like <c>torch.utils.data.Dataset</c> with <c>__len__</c> and
/// <c>__getitem__</c>): <see cref="Count"/> samples, read by index. <see cref="TensorDataset"/>,
/// <see cref="Subset{T}"/> and <see cref="ConcatDataset{T}"/> implement it; so can any user class.
/// <see cref="DataLoader{T, TBatch}"/> batches any implementation.
/// </summary>
/// <typeparam name="T">The type of one sample, such as <c>Tensor[]</c> (features, label).</typeparam>
public interface IDataset<out T>
{
    /// <summary>The number of samples (<c>len(dataset)</c>).</summary>
    int Count { get; }

    /// <summary>Sample <paramref name="index"/> (<c>dataset[index]</c>).</summary>
    /// <param name="index">0 to <see cref="Count"/> - 1.</param>
    /// <returns>The sample.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is out of range.</exception>
    T this[int index] { get; }
}
