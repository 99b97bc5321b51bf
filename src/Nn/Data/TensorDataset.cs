namespace Autograd.Nn;

/// <summary>
/// A dataset whose samples are the rows (first-dimension slices) of one or more tensors of the
/// same length (like <c>torch.utils.data.TensorDataset</c>): typically features (N, ...) and
/// targets (N). Row i of the dataset is row i of every tensor.
/// </summary>
/// <remarks>
/// A range gives a batch, as a slice does in PyTorch: <c>ds[10..20]</c> is rows 10 to 19 of every
/// tensor, copied (the same tensors a <see cref="DataLoader"/> without shuffling yields).
/// </remarks>
public sealed class TensorDataset : IDataset<Tensor[]>
{
    private readonly Tensor[] _tensors;

    /// <summary>Creates the dataset. The tensors are kept by reference, not copied.</summary>
    /// <param name="tensors">One or more tensors of rank at least 1 with equal first dimensions.</param>
    /// <exception cref="ArgumentNullException">The array or one of the tensors is null.</exception>
    /// <exception cref="ArgumentException">No tensor is given, a tensor is 0-d, or the first dimensions differ (the message names the shapes).</exception>
    public TensorDataset(params Tensor[] tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Length == 0)
            throw new ArgumentException("TensorDataset needs at least one tensor.", nameof(tensors));
        for (int i = 0; i < tensors.Length; i++)
        {
            var t = tensors[i] ?? throw new ArgumentNullException(nameof(tensors), $"TensorDataset: tensor {i} is null.");
            if (t.Rank == 0)
                throw new ArgumentException($"TensorDataset: tensor {i} is 0-d; every tensor needs a first dimension to index rows by.", nameof(tensors));
            if (t.Dims[0] != tensors[0].Dims[0])
                throw new ArgumentException(
                    $"TensorDataset: all tensors must have the same size in dimension 0, but tensor 0 has shape {Shapes.Format(tensors[0].Dims)} " +
                    $"({tensors[0].Dims[0]} rows) and tensor {i} has shape {Shapes.Format(t.Dims)} ({t.Dims[0]} rows).", nameof(tensors));
        }
        _tensors = (Tensor[])tensors.Clone();
    }

    /// <summary>The tensors, in the order given.</summary>
    public IReadOnlyList<Tensor> Tensors => _tensors;

    /// <summary>The number of samples (the common first dimension).</summary>
    public int Count => _tensors[0].Dims[0];

    /// <summary>Sample <paramref name="index"/>: row <paramref name="index"/> of each tensor, copied (one element per tensor, its shape without the first dimension).</summary>
    /// <param name="index">0 to <see cref="Count"/> - 1.</param>
    /// <returns>One new tensor per dataset tensor.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is out of range.</exception>
    public Tensor[] this[int index]
    {
        get
        {
            if (index < 0 || index >= Count)
                throw new ArgumentOutOfRangeException(nameof(index), index, $"TensorDataset has {Count} samples; index {index} is out of range.");
            return _tensors.Select(t => CopyRows(t, [index], 0, 1).Reshape(t.Dims[1..])).ToArray();
        }
    }

    /// <summary>
    /// Rows <paramref name="start"/> to <paramref name="start"/> + <paramref name="length"/> - 1 of
    /// every tensor, copied into tensors of shape (rows, ...) (what <c>ds[start..end]</c> calls). As
    /// Python's slicing of a <c>TensorDataset</c>, the rows are clamped to the dataset instead of
    /// refused: of 1500 rows, <c>ds[1472..1536]</c> holds the last 28, <c>ds[1600..1664]</c> and
    /// <c>ds[5..3]</c> none, and <c>ds[^2000..]</c> all of them.
    /// </summary>
    /// <param name="start">The first row (clamped to 0..<see cref="Count"/>).</param>
    /// <param name="length">The number of rows asked for (fewer where the dataset ends first; none if negative).</param>
    /// <returns>One new tensor per dataset tensor.</returns>
    public Tensor[] Slice(int start, int length)
    {
        long end = Math.Clamp((long)start + length, 0, Count);
        int first = Math.Clamp(start, 0, Count);
        int rows = (int)Math.Max(0, end - first);
        int[] order = Enumerable.Range(first, rows).ToArray();
        return _tensors.Select(t => CopyRows(t, order, 0, rows)).ToArray();
    }

    /// <summary>A new (count, ...) tensor holding rows order[start..start+count) of <paramref name="t"/>, as plain data (no grad).</summary>
    internal static Tensor CopyRows(Tensor t, int[] order, int start, int count)
    {
        int[] shape = (int[])t.Dims.Clone();
        shape[0] = count;
        var batch = Tensor.Zeroed(shape, t.DType);
        int rowSize = t.Dims[0] == 0 ? 0 : t.NumberOfElements / t.Dims[0];
        for (int j = 0; j < count; j++)
            Array.Copy(t.Data, (long)order[start + j] * rowSize, batch.Data, (long)j * rowSize, rowSize);
        return batch;
    }
}
