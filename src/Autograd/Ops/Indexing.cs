using System.Numerics;
using Autograd.Kernels;

namespace Autograd;

/// <summary>Index-driven ops: gather, its adjoint scatter-add, and where.</summary>
public sealed partial class Tensor
{
    /// <summary>
    /// out[i][j][k] = x[i][index[i][j][k]][k] for dim 1 (likewise for other dims), as
    /// <c>torch.gather</c>. <paramref name="index"/> is Int64 with this tensor's rank. Backward:
    /// the gradient scatter-added into zeros at the same indices.
    /// </summary>
    public Tensor Gather(int dim, Tensor index)
    {
        ArgumentNullException.ThrowIfNull(index);
        int d = Shapes.NormalizeDim(dim, Rank);
        CheckIndex("Gather", d, index, Dims);
        // A 0-d input or index acts as shape [1] (as PyTorch); the result takes the index's shape.
        if (Rank == 0 || index.Rank == 0)
            return (Rank == 0 ? Reshape(1) : this).Gather(d, index.Rank == 0 ? index.Reshape(1) : index).Reshape(index.Dims);
        var r = Zeroed((int[])index.Dims.Clone(), DType);
        GatherScatter(this, index, d, r, scatterAdd: false);
        return Tape.Record(r, "Gather", [this], g => [g.ScatterAddInto(Dims, d, index)], index);
    }

    /// <summary>zeros(shape) with this tensor added at <paramref name="index"/> along dim: the adjoint of Gather.</summary>
    internal Tensor ScatterAddInto(int[] shape, int d, Tensor index)
    {
        var r = Zeroed((int[])shape.Clone(), DType);
        GatherScatter(r, index, d, this, scatterAdd: true);
        return Tape.Record(r, "ScatterAdd", [this], g => [g.Gather(d, index)], index);
    }

    private static void GatherScatter(Tensor big, Tensor index, int d, Tensor small, bool scatterAdd)
        => DTypeDispatch.Run(big.DType, new GatherScatterCall(big, index, d, small, scatterAdd));

    private readonly struct GatherScatterCall(Tensor big, Tensor index, int d, Tensor small, bool scatterAdd) : IKernelCall
    {
        public void Run<T>() where T : unmanaged, INumber<T>
            => CopyKernels.GatherScatter(big.Buffer<T>(), big.Dims, index.Buffer<long>(), index.Dims, d, small.Buffer<T>(), scatterAdd);
    }

    private static void CheckIndex(string op, int d, Tensor index, int[] shape)
    {
        if (index.DType != DType.Int64)
            throw new ArgumentException($"{op} expects an Int64 index tensor, got {index.DType}.", nameof(index));
        int rank = Math.Max(shape.Length, 1);
        if (Math.Max(index.Rank, 1) != rank)
            throw new ArgumentException($"{op}: the index (shape {Shapes.Format(index.Dims)}) must have the same number of dims as the input (shape {Shapes.Format(shape)}).", nameof(index));
        for (int k = 0; k < index.Rank && k < shape.Length; k++)
            if (k != d && index.Dims[k] > shape[k])
                throw new ArgumentException($"{op}: index shape {Shapes.Format(index.Dims)} is larger than input shape {Shapes.Format(shape)} at dim {k}.", nameof(index));
        long size = shape.Length == 0 ? 1 : shape[d];
        foreach (long i in index.Buffer<long>())
            if (i < 0 || i >= size)
                throw new ArgumentOutOfRangeException(nameof(index), i, $"{op}: index {i} is out of bounds for dimension {d} with size {size}.");
    }

    /// <summary>
    /// Elementwise choice: a where <paramref name="condition"/> is nonzero, else b (all three
    /// broadcast together; a and b promoted to one dtype). Backward: the gradient to a where the
    /// condition holds and to b elsewhere.
    /// </summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(condition);
        (a, b) = Promote(a, b, BinaryKind.Add);
        var shape = Shapes.Broadcast(Shapes.Broadcast(condition.Dims, a.Dims), b.Dims);
        var r = Zeroed(shape, a.DType);
        var mask = ConditionMask(condition, shape);
        DTypeDispatch.Run(r.DType, new WhereCall(mask, a, b, r));
        var cond = condition.Detach();
        return Tape.Record(r, "Where", [a, b], g =>
        [
            a.RequiresGrad ? Where(cond, g, Scalar(0, g.DType)).SumTo(a.Dims) : null,
            b.RequiresGrad ? Where(cond, Scalar(0, g.DType), g).SumTo(b.Dims) : null,
        ], cond);
    }

    private readonly struct WhereCall(bool[] mask, Tensor a, Tensor b, Tensor r) : IKernelCall
    {
        public void Run<T>() where T : unmanaged, INumber<T> => CopyKernels.Where(mask, a.Buffer<T>(), a.Dims, b.Buffer<T>(), b.Dims, r.Buffer<T>(), r.Dims);
    }

    /// <summary>The condition broadcast to <paramref name="shape"/> as booleans (nonzero is true).</summary>
    private static bool[] ConditionMask(Tensor condition, int[] shape)
    {
        var mask = new bool[Shapes.Size(shape)];
        DTypeDispatch.Run(condition.DType, new NonzeroCall(condition, mask, shape));
        return mask;
    }

    private readonly struct NonzeroCall(Tensor condition, bool[] mask, int[] shape) : IKernelCall
    {
        public void Run<T>() where T : unmanaged, INumber<T> => CopyKernels.Nonzero(condition.Buffer<T>(), condition.Dims, mask, shape);
    }
}
