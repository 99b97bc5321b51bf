namespace Autograd.Nn;

/// <summary>
/// Several datasets one after the other (like <c>torch.utils.data.ConcatDataset</c>): the
/// samples of the first, then those of the second, and so on. The datasets are kept by
/// reference; their counts are read once, at construction.
/// </summary>
/// <typeparam name="T">The type of one sample.</typeparam>
public sealed class ConcatDataset<T> : IDataset<T>
{
    private readonly IDataset<T>[] _datasets;
    private readonly int[] _cumulativeSizes;

    /// <summary>Creates the concatenation.</summary>
    /// <param name="datasets">One or more datasets (empty ones allowed).</param>
    /// <exception cref="ArgumentNullException">The list or one of the datasets is null.</exception>
    /// <exception cref="ArgumentException">No dataset is given, or the total count exceeds <see cref="int.MaxValue"/>.</exception>
    public ConcatDataset(IReadOnlyList<IDataset<T>> datasets)
    {
        ArgumentNullException.ThrowIfNull(datasets);
        if (datasets.Count == 0)
            throw new ArgumentException("ConcatDataset needs at least one dataset.", nameof(datasets));
        _datasets = new IDataset<T>[datasets.Count];
        _cumulativeSizes = new int[datasets.Count];
        long total = 0;
        for (int i = 0; i < _datasets.Length; i++)
        {
            _datasets[i] = datasets[i] ?? throw new ArgumentNullException(nameof(datasets), $"ConcatDataset: dataset {i} is null.");
            total += _datasets[i].Count;
            if (total > int.MaxValue)
                throw new ArgumentException($"ConcatDataset: the datasets hold more than {int.MaxValue} samples together.", nameof(datasets));
            _cumulativeSizes[i] = (int)total;
        }
    }

    /// <summary>Creates the concatenation.</summary>
    /// <param name="datasets">One or more datasets.</param>
    /// <exception cref="ArgumentNullException">The array or one of the datasets is null.</exception>
    /// <exception cref="ArgumentException">No dataset is given.</exception>
    public ConcatDataset(params IDataset<T>[] datasets) : this((IReadOnlyList<IDataset<T>>)datasets) { }

    /// <summary>The datasets, in order.</summary>
    public IReadOnlyList<IDataset<T>> Datasets => _datasets;

    /// <summary>The running totals of the counts (<c>cumulative_sizes</c>): entry i is the number of samples in datasets 0..i.</summary>
    public IReadOnlyList<int> CumulativeSizes => _cumulativeSizes;

    /// <summary>The total number of samples.</summary>
    public int Count => _cumulativeSizes[^1];

    /// <summary>Sample <paramref name="index"/> of the concatenation, read from the dataset that holds it.</summary>
    /// <param name="index">0 to <see cref="Count"/> - 1.</param>
    /// <returns>The sample.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is out of range.</exception>
    public T this[int index]
    {
        get
        {
            if (index < 0 || index >= Count)
                throw new ArgumentOutOfRangeException(nameof(index), index, $"ConcatDataset has {Count} samples; index {index} is out of range.");
            // The first dataset whose running total exceeds index (bisect_right, as PyTorch).
            int lo = 0, hi = _cumulativeSizes.Length;
            while (lo < hi)
            {
                int mid = (lo + hi) >>> 1;
                if (_cumulativeSizes[mid] <= index) lo = mid + 1; else hi = mid;
            }
            return _datasets[lo][lo == 0 ? index : index - _cumulativeSizes[lo - 1]];
        }
    }
}
