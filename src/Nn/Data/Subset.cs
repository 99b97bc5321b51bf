namespace Autograd.Nn;

/// <summary>
/// The samples of a dataset at given indices, in the order given (like
/// <c>torch.utils.data.Subset</c>): sample i of the subset is sample <c>Indices[i]</c> of
/// <see cref="Dataset"/>. The dataset is kept by reference; the indices are copied.
/// </summary>
/// <typeparam name="T">The type of one sample.</typeparam>
public sealed class Subset<T> : IDataset<T>
{
    private readonly int[] _indices;

    /// <summary>Creates the subset.</summary>
    /// <param name="dataset">The whole dataset.</param>
    /// <param name="indices">Indices into <paramref name="dataset"/>, each 0 to its count - 1 (repeats allowed).</param>
    /// <exception cref="ArgumentNullException"><paramref name="dataset"/> or <paramref name="indices"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index is out of range of <paramref name="dataset"/> (the message names its position and value).</exception>
    public Subset(IDataset<T> dataset, IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(indices);
        int n = dataset.Count;
        var copy = new int[indices.Count];
        for (int i = 0; i < copy.Length; i++)
        {
            int index = indices[i];
            if (index < 0 || index >= n)
                throw new ArgumentOutOfRangeException(nameof(indices), index, $"Subset: indices[{i}] = {index} is out of range of a dataset of {n} samples.");
            copy[i] = index;
        }
        Dataset = dataset;
        _indices = copy;
    }

    /// <summary>The whole dataset.</summary>
    public IDataset<T> Dataset { get; }

    /// <summary>The indices into <see cref="Dataset"/>, in subset order.</summary>
    public IReadOnlyList<int> Indices => _indices;

    /// <summary>The number of indices.</summary>
    public int Count => _indices.Length;

    /// <summary>Sample <c>Indices[index]</c> of <see cref="Dataset"/>.</summary>
    /// <param name="index">0 to <see cref="Count"/> - 1.</param>
    /// <returns>The sample.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is out of range.</exception>
    public T this[int index]
    {
        get
        {
            if (index < 0 || index >= _indices.Length)
                throw new ArgumentOutOfRangeException(nameof(index), index, $"Subset has {_indices.Length} samples; index {index} is out of range.");
            return Dataset[_indices[index]];
        }
    }
}
