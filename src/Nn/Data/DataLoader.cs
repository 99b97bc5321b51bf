using System.Collections;

namespace Autograd.Nn;

/// <summary>
/// Iterates over a <see cref="TensorDataset"/> in mini-batches (like
/// <c>torch.utils.data.DataLoader</c> with the default collate): each batch holds one tensor per
/// dataset tensor, its rows stacked into a new tensor of shape (batch, ...) and the same dtype.
/// Each enumeration is one epoch; with <c>shuffle</c>, every epoch draws a new permutation from
/// the generator, so two loaders built with equally seeded generators produce the same batches,
/// epoch after epoch, and every sample appears exactly once per epoch.
/// </summary>
/// <remarks>
/// <code>
/// var loader = new DataLoader(new TensorDataset(x, y), batchSize: 32, shuffle: true, generator: new Generator(0));
/// foreach (var epoch in Enumerable.Range(0, 10))
///     foreach (var batch in loader)
///     {
///         var (xb, yb) = (batch[0], batch[1]);
///         ...
///     }
/// </code>
/// Batches are copies that do not require grad, even when a dataset tensor does.
/// </remarks>
public sealed class DataLoader : IEnumerable<Tensor[]>
{
    private readonly Generator? _generator;

    /// <summary>Creates the loader.</summary>
    /// <param name="dataset">The samples.</param>
    /// <param name="batchSize">Samples per batch, positive.</param>
    /// <param name="shuffle">True to visit the samples in a new random order every epoch.</param>
    /// <param name="dropLast">True to skip a last batch smaller than <paramref name="batchSize"/>.</param>
    /// <param name="generator">The random source of the shuffles; <see cref="Generator.Default"/> when null.</param>
    /// <exception cref="ArgumentNullException"><paramref name="dataset"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is not positive.</exception>
    public DataLoader(TensorDataset dataset, int batchSize, bool shuffle = false, bool dropLast = false, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (batchSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"DataLoader: batchSize must be positive, got {batchSize}.");
        Dataset = dataset;
        BatchSize = batchSize;
        Shuffle = shuffle;
        DropLast = dropLast;
        _generator = generator;
    }

    /// <summary>The samples.</summary>
    public TensorDataset Dataset { get; }

    /// <summary>Samples per batch (the last batch may be smaller unless <see cref="DropLast"/>).</summary>
    public int BatchSize { get; }

    /// <summary>Whether each epoch visits the samples in a new random order.</summary>
    public bool Shuffle { get; }

    /// <summary>Whether a last, smaller batch is skipped.</summary>
    public bool DropLast { get; }

    /// <summary>The number of batches per epoch: ⌈N / batchSize⌉, or ⌊N / batchSize⌋ with <see cref="DropLast"/>.</summary>
    public int Count => DropLast ? Dataset.Count / BatchSize : (int)(((long)Dataset.Count + BatchSize - 1) / BatchSize);

    /// <summary>Starts an epoch: draws the permutation now (when shuffling) and yields the batches lazily.</summary>
    /// <returns>The batches of one epoch.</returns>
    public IEnumerator<Tensor[]> GetEnumerator()
    {
        int n = Dataset.Count;
        int[] order = Shuffle
            ? (_generator ?? Generator.Default).Locked(g => g.Permutation(n))
            : Enumerable.Range(0, n).ToArray();
        return Batches(order).GetEnumerator();
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private IEnumerable<Tensor[]> Batches(int[] order)
    {
        int batches = Count;
        for (int b = 0; b < batches; b++)
        {
            int start = b * BatchSize;
            int count = Math.Min(BatchSize, order.Length - start);
            var tensors = Dataset.Tensors;
            var batch = new Tensor[tensors.Count];
            for (int i = 0; i < batch.Length; i++) batch[i] = TensorDataset.CopyRows(tensors[i], order, start, count);
            yield return batch;
        }
    }
}
