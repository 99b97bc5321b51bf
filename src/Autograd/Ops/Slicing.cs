using System.Numerics;
using Autograd.Kernels;

namespace Autograd;

/// <summary>
/// PyTorch's movement and selection ops built on the copies in ShapeOps and Indexing: Permute,
/// Flip, Repeat, Chunk, Split, Slice (with a step), IndexSelect and MaskedFill. Element moves
/// only, so every value and gradient is exact.
/// </summary>
public sealed partial class Tensor
{
    /// <summary>
    /// The dims reordered, as <c>torch.permute</c>: the result's dim i is this tensor's dim
    /// <paramref name="dims"/>[i] (negative dims count from the end). A copy here, not a view.
    /// Backward: the gradient permuted back by the inverse order.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="dims"/> is not a permutation of this tensor's dims.</exception>
    public Tensor Permute(params int[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        if (dims.Length != Rank)
            throw new ArgumentException($"Permute: the number of dims {dims.Length} in {Shapes.Format(dims)} does not match the tensor's {Rank} (shape {Shapes.Format(Dims)}).", nameof(dims));
        var perm = new int[Rank];
        var seen = new bool[Rank];
        for (int i = 0; i < Rank; i++)
        {
            perm[i] = Shapes.NormalizeDim(dims[i], Rank, nameof(dims));
            if (seen[perm[i]]) throw new ArgumentException($"Permute: dim {perm[i]} appears more than once in {Shapes.Format(dims)}.", nameof(dims));
            seen[perm[i]] = true;
        }
        if (perm.Select((p, i) => p == i).All(b => b)) return Reshape(Dims);
        var r = Uninitialized([.. perm.Select(p => Dims[p])], DType);
        DTypeDispatch.Run(DType, new SlicingPermuteCall(this, perm, r));
        var inverse = new int[Rank];
        for (int i = 0; i < Rank; i++) inverse[perm[i]] = i;
        return Tape.Record(r, "Permute", [this], g => [g.Permute(inverse)]);
    }

    /// <summary>
    /// The elements in reverse order along each of <paramref name="dims"/>, as <c>torch.flip</c>.
    /// Backward: the gradient flipped back.
    /// </summary>
    /// <exception cref="ArgumentException">A dim is out of range or given twice.</exception>
    public Tensor Flip(params int[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        var ds = dims.Select(d => Shapes.NormalizeDim(d, Rank, nameof(dims))).ToArray();
        if (ds.Distinct().Count() != ds.Length)
            throw new ArgumentException($"Flip: a dim appears more than once in {Shapes.Format(dims)}.", nameof(dims));
        if (Rank == 0) return Reshape(Dims);
        var r = this;
        foreach (int d in ds)
        {
            int n = Dims[d];
            r = r.IndexSelect(d, FromArray(Enumerable.Range(0, n).Select(i => (long)(n - 1 - i)).ToArray(), n));
        }
        return ds.Length == 0 ? Reshape(Dims) : r;
    }

    /// <summary>
    /// This tensor tiled <paramref name="repeats"/>[i] times along dim i, as <c>torch.Tensor.repeat</c>
    /// (extra leading repeats add leading dims). Backward: the copies' gradients summed.
    /// </summary>
    /// <exception cref="ArgumentException">Fewer repeats than dims, or a negative repeat.</exception>
    public Tensor Repeat(params int[] repeats)
    {
        ArgumentNullException.ThrowIfNull(repeats);
        if (repeats.Length < Rank)
            throw new ArgumentException($"Repeat: the number of repeats {repeats.Length} in {Shapes.Format(repeats)} can not be smaller than the number of dims {Rank} of the tensor (shape {Shapes.Format(Dims)}).", nameof(repeats));
        foreach (int k in repeats)
            if (k < 0) throw new ArgumentException($"Repeat: repeats {Shapes.Format(repeats)} contains a negative count {k}.", nameof(repeats));
        var padded = new int[repeats.Length];
        for (int i = 0; i < padded.Length; i++) padded[i] = i < repeats.Length - Rank ? 1 : Dims[i - (repeats.Length - Rank)];
        if (repeats.Length == 0) return Reshape(Dims);
        Tensor r;
        using (Tape.NoGrad())
        {
            r = Detach().Reshape(padded);
            for (int d = 0; d < repeats.Length; d++)
            {
                if (repeats[d] == 1) continue;
                r = repeats[d] == 0 ? r.Narrow(d, 0, 0) : Concat(Enumerable.Repeat(r, repeats[d]).ToArray(), d);
            }
        }
        // The gradient seen as [r0, s0, r1, s1, ...], summed over the repeat dims in one reduction.
        var split = repeats.SelectMany((k, i) => new[] { k, padded[i] }).ToArray();
        var repeatDims = Enumerable.Range(0, repeats.Length).Select(i => 2 * i).ToArray();
        return Tape.Record(r, "Repeat", [this], g => [g.Reshape(split).Sum(repeatDims).Reshape(Dims)]);
    }

    /// <summary>
    /// Splits into pieces of <paramref name="splitSize"/> along <paramref name="dim"/> (the last may
    /// be smaller), as <c>torch.split</c>. Each piece is a copy whose gradient flows back to its slice.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="splitSize"/> is negative, or 0 for a non-empty dim.</exception>
    public Tensor[] Split(int splitSize, int dim = 0)
    {
        int d = SliceDim("Split", dim);
        int n = Dims[d];
        if (splitSize < 0 || (splitSize == 0 && n > 0))
            throw new ArgumentOutOfRangeException(nameof(splitSize), splitSize, $"Split: split size {splitSize} must be positive for dimension {d} of size {n} (shape {Shapes.Format(Dims)}).");
        int count = splitSize == 0 ? 1 : Math.Max((n + splitSize - 1) / splitSize, 1);
        var sizes = new int[count];
        for (int i = 0; i < count; i++) sizes[i] = Math.Min(splitSize, n - i * splitSize);
        return SplitSizes(d, sizes);
    }

    /// <summary>
    /// Splits along <paramref name="dim"/> into pieces of the given <paramref name="sizes"/> (which
    /// must add up to the dim's size), as <c>torch.split</c> with a list.
    /// </summary>
    /// <exception cref="ArgumentException">A size is negative or the sizes do not add up to the dim's size.</exception>
    public Tensor[] Split(int[] sizes, int dim = 0)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        int d = SliceDim("Split", dim);
        if (sizes.Any(s => s < 0) || sizes.Sum(s => (long)s) != Dims[d])
            throw new ArgumentException($"Split: sizes {Shapes.Format(sizes)} must be non-negative and add up to {Dims[d]}, the size of dimension {d} (shape {Shapes.Format(Dims)}).", nameof(sizes));
        return SplitSizes(d, (int[])sizes.Clone());
    }

    /// <summary>
    /// Splits into <paramref name="chunks"/> pieces of ceil(size / chunks) along <paramref name="dim"/>
    /// (the last smaller; fewer pieces when they run out), as <c>torch.chunk</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="chunks"/> is not positive.</exception>
    public Tensor[] Chunk(int chunks, int dim = 0)
    {
        if (chunks <= 0) throw new ArgumentOutOfRangeException(nameof(chunks), chunks, "Chunk expects a positive number of chunks.");
        int d = SliceDim("Chunk", dim);
        int n = Dims[d];
        if (n == 0) return SplitSizes(d, new int[chunks]);
        return Split((n + chunks - 1) / chunks, d);
    }

    private Tensor[] SplitSizes(int d, int[] sizes)
    {
        var pieces = new Tensor[sizes.Length];
        int start = 0;
        for (int i = 0; i < sizes.Length; i++)
        {
            pieces[i] = Narrow(d, start, sizes[i]);
            start += sizes[i];
        }
        return pieces;
    }

    private int SliceDim(string op, int dim)
    {
        if (Rank == 0) throw new ArgumentException($"{op} needs a tensor with at least one dimension, got a 0-d tensor.", nameof(dim));
        return Shapes.NormalizeDim(dim, Rank);
    }

    /// <summary>
    /// <c>x[start:end:step]</c> on dim <paramref name="dim"/>, as Python slicing: null bounds mean
    /// the whole dim, negative ones count from the end, bounds out of range are clamped (an empty
    /// result when end ≤ start). A copy. Backward: the gradient placed back into zeros.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="step"/> is not positive (PyTorch refuses negative steps; use <see cref="Flip"/>).</exception>
    public Tensor Slice(int dim, int? start, int? end, int step = 1)
    {
        int d = SliceDim("Slice", dim);
        if (step <= 0) throw new ArgumentOutOfRangeException(nameof(step), step, "Slice: step must be positive (as PyTorch; use Flip to reverse).");
        int n = Dims[d];
        static int Clamp(long v, int n) => (int)Math.Clamp(v < 0 ? v + n : v, 0, n);
        int s = start is int a ? Clamp(a, n) : 0;
        int e = end is int b ? Clamp(b, n) : n;
        int length = Math.Max(e - s, 0);
        if (step == 1 || length <= 1) return Narrow(d, s, length);
        int count = (length + step - 1) / step;
        return IndexSelect(d, FromArray(Enumerable.Range(0, count).Select(i => (long)s + (long)i * step).ToArray(), count));
    }

    /// <summary>
    /// The entries at <paramref name="index"/> (a 1-D or 0-d Int64 tensor) along <paramref name="dim"/>,
    /// as <c>torch.index_select</c>; indices may repeat. Backward: index_add of the gradient into zeros
    /// (repeated indices accumulate).
    /// </summary>
    /// <exception cref="ArgumentException">The index is not Int64 or has more than one dim.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index is out of range for the dim.</exception>
    public Tensor IndexSelect(int dim, Tensor index)
    {
        ArgumentNullException.ThrowIfNull(index);
        int d = SliceDim("IndexSelect", dim);
        if (index.DType != DType.Int64)
            throw new ArgumentException($"IndexSelect expects an Int64 index tensor, got {index.DType}.", nameof(index));
        if (index.Rank > 1)
            throw new ArgumentException($"IndexSelect: the index must be 0-d or 1-D, got shape {Shapes.Format(index.Dims)}.", nameof(index));
        int n = Dims[d];
        foreach (long i in index.Buffer<long>())
            if (i < 0 || i >= n)
                throw new ArgumentOutOfRangeException(nameof(index), i, $"IndexSelect: index {i} is out of range for dimension {d} with size {n} (shape {Shapes.Format(Dims)}).");
        int count = index.NumberOfElements;
        var outShape = Shapes.With(Dims, d, count);
        var shaped = index.Detach().Reshape(Shapes.With(Enumerable.Repeat(1, Rank).ToArray(), d, count));
        var full = Uninitialized(outShape, DType.Int64);
        DTypeDispatch.Run(DType.Int64, new BroadcastCall(shaped, full));
        return Gather(d, full);
    }

    /// <summary>
    /// This tensor with <paramref name="value"/> where <paramref name="mask"/> is nonzero, as
    /// <c>torch.Tensor.masked_fill</c>. The library has no bool dtype: the mask is a tensor of any
    /// dtype, nonzero (NaN included) meaning true, as the comparisons' 0/1 results; it must broadcast
    /// to this tensor's shape. Backward: the gradient, zero where filled.
    /// </summary>
    /// <exception cref="ArgumentException">The mask does not broadcast to this tensor's shape.</exception>
    public Tensor MaskedFill(Tensor mask, double value)
    {
        ArgumentNullException.ThrowIfNull(mask);
        bool ok = mask.Rank <= Rank;
        for (int i = 1; ok && i <= mask.Rank; i++) ok = mask.Dims[^i] == 1 || mask.Dims[^i] == Dims[^i];
        if (!ok)
            throw new ArgumentException($"MaskedFill: the mask of shape {Shapes.Format(mask.Dims)} does not broadcast to the tensor's shape {Shapes.Format(Dims)}.", nameof(mask));
        return Where(mask, Scalar(value, DType), this);
    }

    private readonly struct SlicingPermuteCall(Tensor x, int[] perm, Tensor r) : IKernelCall
    {
        public void Run<T>() where T : unmanaged, INumber<T> => PermuteKernels.Permute(x.Buffer<T>(), x.Dims, perm, r.Buffer<T>());
    }
}
