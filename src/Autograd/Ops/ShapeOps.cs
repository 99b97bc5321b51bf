using System.Numerics;
using Autograd.Kernels;

namespace Autograd;

/// <summary>Movement ops: dtype conversion, reshape, transpose, expand, slices and joins.</summary>
public sealed partial class Tensor
{
    /// <summary>
    /// This tensor converted to <paramref name="dtype"/> (itself if already of that dtype). The
    /// gradient flows back converted to the original dtype; conversion to Int64 cuts the graph.
    /// </summary>
    public Tensor To(DType dtype)
    {
        DTypeExtensions.Check(dtype);
        if (dtype == DType) return this;
        var r = Uninitialized((int[])Dims.Clone(), dtype);
        DTypeDispatch.Run(DType, new ConvertCall(this, r));
        if (dtype == DType.Int64) return r;
        var from = DType;
        return Tape.Record(r, "To", [this], g => [g.To(from)]);
    }

    /// <summary>
    /// The same elements in a new shape (one dim may be -1 and is inferred). Shares the data, as a
    /// PyTorch view. Backward: the gradient reshaped back.
    /// </summary>
    public Tensor Reshape(params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var target = (int[])shape.Clone();
        int infer = -1, known = 1;
        for (int i = 0; i < target.Length; i++)
        {
            if (target[i] == -1)
            {
                if (infer >= 0) throw new ArgumentException($"Reshape to {Shapes.Format(shape)}: only one dimension can be -1.", nameof(shape));
                infer = i;
            }
            else if (target[i] < 0) throw new ArgumentException($"Reshape to {Shapes.Format(shape)}: invalid dimension {target[i]}.", nameof(shape));
            else known *= target[i];
        }
        if (infer >= 0)
        {
            if (known == 0 || NumberOfElements % known != 0)
                throw new ArgumentException($"Shape {Shapes.Format(shape)} is invalid for a tensor of shape {Shapes.Format(Dims)} ({NumberOfElements} elements).", nameof(shape));
            target[infer] = NumberOfElements / known;
        }
        if (Shapes.Size(target) != NumberOfElements)
            throw new ArgumentException($"Shape {Shapes.Format(shape)} is invalid for a tensor of shape {Shapes.Format(Dims)} ({NumberOfElements} elements).", nameof(shape));
        var r = new Tensor(Data, target, Storage);
        Tape.Record(r, "Reshape", [this], g => [g.Reshape(Dims)]);
        if (r.GradFn is not null) Interlocked.Increment(ref Storage.RecordedViews);
        return r;
    }

    /// <summary>Swaps dims <paramref name="dim0"/> and <paramref name="dim1"/> (a copy). Backward: the same swap.</summary>
    public Tensor Transpose(int dim0, int dim1)
    {
        int d0 = Shapes.NormalizeDim(dim0, Rank, nameof(dim0)), d1 = Shapes.NormalizeDim(dim1, Rank, nameof(dim1));
        if (d0 == d1 || Rank < 2) return Reshape(Dims);
        var shape = (int[])Dims.Clone();
        (shape[d0], shape[d1]) = (shape[d1], shape[d0]);
        var r = Uninitialized(shape, DType);
        DTypeDispatch.Run(DType, new TransposeCall(this, d0, d1, r));
        return Tape.Record(r, "Transpose", [this], g => [g.Transpose(d0, d1)]);
    }

    /// <summary>
    /// The transpose of a 2-D tensor, like <c>torch.t</c>; a 0-d or 1-D tensor is returned as it is.
    /// Backward: the same swap.
    /// </summary>
    /// <remarks>
    /// The result is a copy (this library has no strided views), but the copy is made only when
    /// the result is first read: <see cref="MatMul"/> reads the source transposed in place instead,
    /// so <c>x.MatMul(w.T)</c> copies nothing, as <c>Functional.Linear</c>, and gives the same bits.
    /// Changing the source in place before the result is first used makes that use throw
    /// <see cref="InvalidOperationException"/> (the values T was taken from are gone);
    /// <c>w.T.Clone()</c> copies at once.
    /// </remarks>
    /// <exception cref="InvalidOperationException">The tensor has more than 2 dims (use <see cref="Transpose"/>).</exception>
    public Tensor T => Rank switch
    {
        < 2 => this,
        2 => TransposeDeferred(),
        _ => throw new InvalidOperationException($"T expects a tensor with <= 2 dimensions (as torch.t), but this one is {Rank}-D with shape {Shapes.Format(Dims)}; use Transpose(dim0, dim1)."),
    };

    /// <summary>Transpose(0, 1) of a 2-D tensor, copied when first read (see <see cref="T"/>); inside a backward pass, at once.</summary>
    private Tensor TransposeDeferred()
    {
        if (Anomaly.t_backwardDepth > 0) return Transpose(0, 1);
        ThrowIfDisposed();
        var r = Uninitialized([Dims[1], Dims[0]], DType);
        DeferTransposeInto(r);
        return Tape.Record(r, "Transpose", [this], g => [g.Transpose(0, 1)]);
    }

    /// <summary>Inserts a dim of size 1 at <paramref name="dim"/> (in [-(Rank+1), Rank]).</summary>
    public Tensor Unsqueeze(int dim)
    {
        if (dim < -(Rank + 1) || dim > Rank)
            throw new ArgumentOutOfRangeException(nameof(dim), dim, $"Dimension out of range (expected to be in range of [{-(Rank + 1)}, {Rank}], but got {dim}).");
        return Reshape(Shapes.Insert(Dims, dim < 0 ? dim + Rank + 1 : dim, 1));
    }

    /// <summary>Removes every dim of size 1.</summary>
    public Tensor Squeeze() => Reshape(Dims.Where(d => d != 1).ToArray());

    /// <summary>Removes <paramref name="dim"/> if its size is 1 (otherwise returns the same shape, as PyTorch).</summary>
    public Tensor Squeeze(int dim)
    {
        int d = Shapes.NormalizeDim(dim, Rank);
        return Rank == 0 || Dims[d] != 1 ? Reshape(Dims) : Reshape(Shapes.Remove(Dims, d));
    }

    /// <summary>
    /// This tensor broadcast to <paramref name="shape"/> (a -1 keeps a dim). A copy here, not a
    /// view. Backward: the gradient summed over the broadcast dims.
    /// </summary>
    public Tensor Expand(params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Length < Rank)
            throw new ArgumentException($"Expand: the target shape {Shapes.Format(shape)} has fewer dims than the tensor's {Shapes.Format(Dims)}.", nameof(shape));
        var target = (int[])shape.Clone();
        for (int i = 0; i < target.Length; i++)
        {
            int own = i - (target.Length - Rank);
            if (target[i] == -1 && own >= 0) target[i] = Dims[own];
            bool ok = target[i] >= 0 && (own < 0 || Dims[own] == target[i] || Dims[own] == 1);
            if (!ok)
                throw new ArgumentException(own < 0
                    ? $"Cannot expand a tensor of shape {Shapes.Format(Dims)} to {Shapes.Format(shape)}: the new leading dim {i} must be non-negative (-1 is only allowed for existing dims), got {target[i]}."
                    : $"Cannot expand a tensor of shape {Shapes.Format(Dims)} to {Shapes.Format(shape)}: size {Dims[own]} at dim {i} must be 1 or match {target[i]}.", nameof(shape));
        }
        if (Shapes.Equal(target, Dims)) return this;
        var r = Uninitialized(target, DType);
        DTypeDispatch.Run(DType, new BroadcastCall(this, r));
        return Tape.Record(r, "Expand", [this], g => [g.SumTo(Dims)]);
    }

    /// <summary>Elements [start, start + length) along <paramref name="dim"/> (a copy). Backward: the gradient placed back into zeros.</summary>
    public Tensor Narrow(int dim, int start, int length)
    {
        int d = Shapes.NormalizeDim(dim, Rank);
        if (Rank == 0) throw new ArgumentException("Narrow needs a tensor with at least one dimension.");
        if (start < -Dims[d] || start > Dims[d])
            throw new ArgumentOutOfRangeException(nameof(start), start, $"Narrow: start {start} is out of range for dimension {d} of size {Dims[d]} (shape {Shapes.Format(Dims)}).");
        if (start < 0) start += Dims[d];
        if (length < 0 || length > Dims[d] - start)
            throw new ArgumentOutOfRangeException(nameof(length), length, $"Narrow: [{start}, {(long)start + length}) (start {start}, length {length}) does not fit dimension {d} of size {Dims[d]} (shape {Shapes.Format(Dims)}).");
        var r = Uninitialized(Shapes.With(Dims, d, length), DType);
        var (outer, size, inner) = Shapes.SplitAt(Dims, d);
        CopySlice(this, r, outer, size, inner, start, length, scatter: false);
        int s = start;
        return Tape.Record(r, "Narrow", [this], g => [g.PadSlice(d, s, Dims[d])]);
    }

    /// <summary>The slice at <paramref name="index"/> along <paramref name="dim"/>, with that dim removed.</summary>
    public Tensor Select(int dim, int index)
    {
        int d = Shapes.NormalizeDim(dim, Rank);
        if (Rank == 0) throw new ArgumentException("Select needs a tensor with at least one dimension.");
        if (index < -Dims[d] || index >= Dims[d])
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Select: index {index} is out of bounds for dimension {d} with size {Dims[d]}.");
        return Narrow(d, index < 0 ? index + Dims[d] : index, 1).Squeeze(d);
    }

    /// <summary>The adjoint of Narrow: this tensor placed at [start, start + length) of zeros of size <paramref name="size"/> along dim.</summary>
    private Tensor PadSlice(int d, int start, int size)
    {
        var r = Zeroed(Shapes.With(Dims, d, size), DType);
        var (outer, _, inner) = Shapes.SplitAt(r.Dims, d);
        CopySlice(r, this, outer, size, inner, start, Dims[d], scatter: true);
        int length = Dims[d];
        return Tape.Record(r, "PadSlice", [this], g => [g.Narrow(d, start, length)]);
    }

    private static void CopySlice(Tensor full, Tensor part, int outer, int size, int inner, int start, int length, bool scatter)
        => DTypeDispatch.Run(full.DType, new SliceCall(full, part, outer, size, inner, start, length, scatter));

    /// <summary>
    /// Joins tensors along an existing dim (all other dims must match; dtypes are promoted).
    /// Backward: each input gets its slice of the gradient.
    /// </summary>
    public static Tensor Concat(IReadOnlyList<Tensor> tensors, int dim = 0)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Count == 0) throw new ArgumentException("Concat needs at least one tensor.", nameof(tensors));
        var first = tensors[0] ?? throw new ArgumentNullException(nameof(tensors), "tensors[0] is null.");
        if (first.Rank == 0) throw new ArgumentException("Concat cannot join 0-d tensors; use Stack.", nameof(tensors));
        int d = Shapes.NormalizeDim(dim, first.Rank);
        var dtype = first.DType;
        int total = 0;
        for (int i = 0; i < tensors.Count; i++)
        {
            var t = tensors[i] ?? throw new ArgumentNullException(nameof(tensors), $"tensors[{i}] is null.");
            bool ok = t.Rank == first.Rank;
            for (int k = 0; ok && k < t.Rank; k++) ok = k == d || t.Dims[k] == first.Dims[k];
            if (!ok)
                throw new ArgumentException($"Concat along dim {d}: tensors[{i}] has shape {Shapes.Format(t.Dims)}, which does not match tensors[0]'s {Shapes.Format(first.Dims)} outside dim {d}.", nameof(tensors));
            dtype = DTypeExtensions.Promote(dtype, t.DType);
            total += t.Dims[d];
        }
        var inputs = tensors.Select(t => t.To(dtype)).ToArray();
        var r = Zeroed(Shapes.With(first.Dims, d, total), dtype);
        var (outer, _, inner) = Shapes.SplitAt(r.Dims, d);
        int offset = 0;
        var offsets = new int[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            offsets[i] = offset;
            CopySlice(r, inputs[i], outer, total, inner, offset, inputs[i].Dims[d], scatter: true);
            offset += inputs[i].Dims[d];
        }
        return Tape.Record(r, "Concat", inputs, g =>
            inputs.Select((t, i) => t.RequiresGrad ? g.Narrow(d, offsets[i], t.Dims[d]) : null).ToArray());
    }

    /// <summary>Joins tensors of one shape along a new dim.</summary>
    public static Tensor Stack(IReadOnlyList<Tensor> tensors, int dim = 0)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Count == 0) throw new ArgumentException("Stack needs at least one tensor.", nameof(tensors));
        for (int i = 0; i < tensors.Count; i++)
        {
            if (tensors[i] is null) throw new ArgumentNullException(nameof(tensors), $"tensors[{i}] is null.");
            if (!Shapes.Equal(tensors[i].Dims, tensors[0].Dims))
                throw new ArgumentException($"Stack expects tensors of one shape, but tensors[0] has shape {Shapes.Format(tensors[0].Dims)} and tensors[{i}] has {Shapes.Format(tensors[i].Dims)}.", nameof(tensors));
        }
        int rank = tensors[0].Rank;
        if (dim < -(rank + 1) || dim > rank)
            throw new ArgumentOutOfRangeException(nameof(dim), dim, $"Dimension out of range (expected to be in range of [{-(rank + 1)}, {rank}], but got {dim}).");
        int d = dim < 0 ? dim + rank + 1 : dim;
        return Concat(tensors.Select(t => t.Unsqueeze(d)).ToArray(), d);
    }

    private readonly struct ConvertCall(Tensor x, Tensor r) : IKernelCall
    {
        public void Run<T>() where T : unmanaged, INumber<T> => DTypeDispatch.Run(r.DType, new ConvertTo<T>(x, r));
    }

    private readonly struct ConvertTo<TFrom>(Tensor x, Tensor r) : IKernelCall where TFrom : unmanaged, INumber<TFrom>
    {
        public void Run<T>() where T : unmanaged, INumber<T> => CopyKernels.Convert<TFrom, T>(x.Buffer<TFrom>(), r.Buffer<T>());
    }

    private readonly struct TransposeCall(Tensor x, int d0, int d1, Tensor r) : IKernelCall
    {
        public void Run<T>() where T : unmanaged, INumber<T> => CopyKernels.Transpose(x.Buffer<T>(), x.Dims, d0, d1, r.Buffer<T>());
    }

    private readonly struct BroadcastCall(Tensor x, Tensor r) : IKernelCall
    {
        public void Run<T>() where T : unmanaged, INumber<T> => CopyKernels.Broadcast(x.Buffer<T>(), x.Dims, r.Buffer<T>(), r.Dims);
    }

    private readonly struct SliceCall(Tensor full, Tensor part, int outer, int size, int inner, int start, int length, bool scatter) : IKernelCall
    {
        public void Run<T>() where T : unmanaged, INumber<T> => CopyKernels.Slice(full.Buffer<T>(), outer, size, inner, start, length, part.Buffer<T>(), scatter);
    }
}
