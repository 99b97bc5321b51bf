using System.Collections;

namespace Autograd.Nn;

/// <summary>
/// Iterates over any <see cref="IDataset{T}"/> in mini-batches (like
/// <c>torch.utils.data.DataLoader</c> with a <c>collate_fn</c>): each batch gathers up to
/// <see cref="BatchSize"/> samples, in dataset order or in a seeded random order, and hands them
/// to the collate function, whose result is the batch. Each enumeration is one epoch; with
/// <c>shuffle</c>, every epoch draws a new permutation from the generator, so two loaders built
/// with equally seeded generators produce the same batches, epoch after epoch, and every sample
/// appears exactly once per epoch.
/// </summary>
/// <remarks>
/// <code>
/// // Samples are (image, label) pairs; batches are (images (B, 28, 28), labels (B)).
/// var loader = new DataLoader&lt;(Tensor Image, long Label), (Tensor, Tensor)&gt;(dataset, batchSize: 64,
///     collate: s => (Tensor.Stack(s.Select(p => p.Image).ToArray()), Tensor.FromArray(s.Select(p => p.Label).ToArray(), s.Count)),
///     shuffle: true, generator: new Generator(0));
/// </code>
/// For datasets of <c>Tensor[]</c> samples (<see cref="TensorDataset"/>, its subsets and
/// concatenations), <see cref="DataLoader"/> supplies PyTorch's default collate.
/// The samples are read lazily, batch by batch; the permutation is drawn when an epoch starts.
/// </remarks>
/// <typeparam name="T">The type of one sample.</typeparam>
/// <typeparam name="TBatch">The type of one batch, as returned by the collate function.</typeparam>
public class DataLoader<T, TBatch> : IEnumerable<TBatch>
{
    private readonly Generator? _generator;
    private readonly Func<IReadOnlyList<T>, TBatch> _collate;

    /// <summary>Creates the loader.</summary>
    /// <param name="dataset">The samples.</param>
    /// <param name="batchSize">Samples per batch, positive.</param>
    /// <param name="collate">Turns the samples of one batch (in batch order) into the batch (<c>collate_fn</c>); must not return null.</param>
    /// <param name="shuffle">True to visit the samples in a new random order every epoch.</param>
    /// <param name="dropLast">True to skip a last batch smaller than <paramref name="batchSize"/>.</param>
    /// <param name="generator">The random source of the shuffles; <see cref="Generator.Default"/> when null.</param>
    /// <exception cref="ArgumentNullException"><paramref name="dataset"/> or <paramref name="collate"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is not positive.</exception>
    public DataLoader(IDataset<T> dataset, int batchSize, Func<IReadOnlyList<T>, TBatch> collate, bool shuffle = false, bool dropLast = false, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(collate);
        if (batchSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"DataLoader: batchSize must be positive, got {batchSize}.");
        Dataset = dataset;
        BatchSize = batchSize;
        Shuffle = shuffle;
        DropLast = dropLast;
        _generator = generator;
        _collate = collate;
    }

    /// <summary>The samples.</summary>
    public IDataset<T> Dataset { get; }

    /// <summary>Samples per batch (the last batch may be smaller unless <see cref="DropLast"/>).</summary>
    public int BatchSize { get; }

    /// <summary>Whether each epoch visits the samples in a new random order.</summary>
    public bool Shuffle { get; }

    /// <summary>Whether a last, smaller batch is skipped.</summary>
    public bool DropLast { get; }

    /// <summary>The collate function.</summary>
    public Func<IReadOnlyList<T>, TBatch> Collate => _collate;

    /// <summary>The number of batches per epoch: ⌈N / batchSize⌉, or ⌊N / batchSize⌋ with <see cref="DropLast"/> (N read from the dataset now).</summary>
    public int Count => DropLast ? Dataset.Count / BatchSize : (int)(((long)Dataset.Count + BatchSize - 1) / BatchSize);

    /// <summary>Starts an epoch: draws the permutation now (when shuffling) and yields the batches lazily.</summary>
    /// <returns>The batches of one epoch.</returns>
    /// <exception cref="InvalidOperationException">(while enumerating) The collate function returned null.</exception>
    public IEnumerator<TBatch> GetEnumerator()
    {
        int n = Dataset.Count;
        int[] order = Shuffle
            ? (_generator ?? Generator.Default).Locked(g => g.Permutation(n))
            : Enumerable.Range(0, n).ToArray();
        return Batches(order).GetEnumerator();
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private IEnumerable<TBatch> Batches(int[] order)
    {
        int batches = DropLast ? order.Length / BatchSize : (int)(((long)order.Length + BatchSize - 1) / BatchSize);
        for (int b = 0; b < batches; b++)
        {
            int start = b * BatchSize;
            int count = Math.Min(BatchSize, order.Length - start);
            yield return MakeBatch(order, start, count, b);
        }
    }

    /// <summary>Batch <paramref name="b"/>: the samples order[start..start+count), collated.</summary>
    private protected virtual TBatch MakeBatch(int[] order, int start, int count, int b)
    {
        var samples = new T[count];
        for (int j = 0; j < count; j++) samples[j] = Dataset[order[start + j]];
        return _collate(samples)
            ?? throw new InvalidOperationException($"DataLoader: the collate function returned null for batch {b} ({count} samples).");
    }
}

/// <summary>
/// Iterates over a dataset of <c>Tensor[]</c> samples (a <see cref="TensorDataset"/>, or a
/// <see cref="Subset{T}"/> or <see cref="ConcatDataset{T}"/> of one) in mini-batches, like
/// <c>torch.utils.data.DataLoader</c> with the default collate: each batch holds one tensor per
/// sample tensor, the samples' tensors stacked along a new dim 0 into a tensor of shape
/// (batch, ...) and the same dtype (<see cref="DefaultCollate(IReadOnlyList{Tensor[]})"/>).
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
/// With the default collate, batches are copies that do not require grad, even when a dataset
/// tensor does. A <c>collate</c> argument replaces the default collate; for other sample or batch
/// types use <see cref="DataLoader{T, TBatch}"/>.
/// </remarks>
public sealed class DataLoader : DataLoader<Tensor[], Tensor[]>
{
    private readonly bool _defaultCollate;

    /// <summary>Creates the loader.</summary>
    /// <param name="dataset">The samples.</param>
    /// <param name="batchSize">Samples per batch, positive.</param>
    /// <param name="shuffle">True to visit the samples in a new random order every epoch.</param>
    /// <param name="dropLast">True to skip a last batch smaller than <paramref name="batchSize"/>.</param>
    /// <param name="generator">The random source of the shuffles; <see cref="Generator.Default"/> when null.</param>
    /// <param name="collate">Turns the samples of one batch into the batch; <see cref="DefaultCollate(IReadOnlyList{Tensor[]})"/> when null.</param>
    /// <exception cref="ArgumentNullException"><paramref name="dataset"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is not positive.</exception>
    public DataLoader(IDataset<Tensor[]> dataset, int batchSize, bool shuffle = false, bool dropLast = false, Generator? generator = null,
        Func<IReadOnlyList<Tensor[]>, Tensor[]>? collate = null)
        : base(dataset, batchSize, collate ?? DefaultCollate, shuffle, dropLast, generator)
        => _defaultCollate = collate is null;

    private protected override Tensor[] MakeBatch(int[] order, int start, int count, int b)
    {
        if (!_defaultCollate || Dataset is not TensorDataset dataset) return base.MakeBatch(order, start, count, b);
        // The same batch as DefaultCollate of the rows, copied straight from the dataset tensors.
        var tensors = dataset.Tensors;
        var batch = new Tensor[tensors.Count];
        for (int i = 0; i < batch.Length; i++) batch[i] = TensorDataset.CopyRows(tensors[i], order, start, count);
        return batch;
    }

    /// <summary>
    /// PyTorch's <c>default_collate</c> for samples that are arrays of tensors: tensor k of the
    /// batch is tensor k of every sample, stacked along a new dim 0 (shape (samples, ...)).
    /// The result is a copy that does not require grad.
    /// </summary>
    /// <param name="samples">One or more samples, each with the same number of tensors, tensor k of one shape in every sample.</param>
    /// <returns>One stacked tensor per sample tensor.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="samples"/>, a sample or one of its tensors is null.</exception>
    /// <exception cref="ArgumentException">No samples, samples with different numbers of tensors, or tensors of different shapes at one position (the message names the samples and shapes).</exception>
    public static Tensor[] DefaultCollate(IReadOnlyList<Tensor[]> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.Count == 0)
            throw new ArgumentException("DefaultCollate needs at least one sample.", nameof(samples));
        var first = samples[0] ?? throw new ArgumentNullException(nameof(samples), "DefaultCollate: sample 0 is null.");
        for (int s = 1; s < samples.Count; s++)
        {
            var sample = samples[s] ?? throw new ArgumentNullException(nameof(samples), $"DefaultCollate: sample {s} is null.");
            if (sample.Length != first.Length)
                throw new ArgumentException($"DefaultCollate: each sample must hold the same number of tensors, but sample 0 holds {first.Length} and sample {s} holds {sample.Length}.", nameof(samples));
        }
        var batch = new Tensor[first.Length];
        for (int k = 0; k < batch.Length; k++)
            batch[k] = StackSamples(samples.Select(x => x[k]).ToArray(), $"tensor {k} of ");
        return batch;
    }

    /// <summary>
    /// PyTorch's <c>default_collate</c> for samples that are single tensors: the samples stacked
    /// along a new dim 0 (shape (samples, ...)). The result is a copy that does not require grad.
    /// </summary>
    /// <param name="samples">One or more tensors of one shape.</param>
    /// <returns>The stacked tensor.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="samples"/> or a sample is null.</exception>
    /// <exception cref="ArgumentException">No samples, or samples of different shapes (the message names them).</exception>
    public static Tensor DefaultCollate(IReadOnlyList<Tensor> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.Count == 0)
            throw new ArgumentException("DefaultCollate needs at least one sample.", nameof(samples));
        return StackSamples(samples, "");
    }

    private static Tensor StackSamples(IReadOnlyList<Tensor> tensors, string what)
    {
        var first = tensors[0] ?? throw new ArgumentNullException("samples", $"DefaultCollate: {what}sample 0 is null.");
        for (int s = 1; s < tensors.Count; s++)
        {
            var t = tensors[s] ?? throw new ArgumentNullException("samples", $"DefaultCollate: {what}sample {s} is null.");
            if (!Shapes.Equal(t.Dims, first.Dims))
                throw new ArgumentException(
                    $"DefaultCollate: stack expects each tensor to be equal size, but {what}sample 0 has shape {Shapes.Format(first.Dims)} and {what}sample {s} has shape {Shapes.Format(t.Dims)}.",
                    "samples");
        }
        using (Tape.NoGrad()) return Tensor.Stack(tensors);
    }
}
