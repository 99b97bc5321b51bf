using System.Numerics;
using Autograd.Kernels;

namespace Autograd;

/// <summary>Matrix products, all through the one kernel entry point <see cref="MatMulKernel"/>.</summary>
public sealed partial class Tensor
{
    /// <summary>
    /// The matrix product, as <c>torch.matmul</c>: 1-D·1-D is a dot product, 2-D·2-D a matrix
    /// product, 1-D operands get a dim prepended (left) or appended (right) that is removed from the
    /// result, and the dims before the last two are batch dims that broadcast (a 2-D operand is
    /// shared by every batch): (2, 1, 4, 5)·(3, 5, 6) is (2, 3, 4, 6).
    /// For C = A·B: dA = dC·Bᵀ, dB = Aᵀ·dC, each summed back over the batch dims it was broadcast along.
    /// </summary>
    /// <exception cref="ArgumentException">An operand is 0-d, the inner dims differ, or the batch dims do not broadcast.</exception>
    public Tensor MatMul(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        RequireFloat("MatMul");
        other.RequireFloat("MatMul");
        if (Rank == 0 || other.Rank == 0)
            throw new ArgumentException($"MatMul needs operands with at least 1 dim (as torch.matmul), got shapes {Shapes.Format(Dims)} and {Shapes.Format(other.Dims)}.");
        var (a, b) = Promote(this, other, BinaryKind.Mul);
        int kA = a.Dims[^1], kB = b.Rank == 1 ? b.Dims[0] : b.Dims[^2];
        if (kA != kB)
            throw new ArgumentException($"MatMul: shapes {Shapes.Format(Dims)} and {Shapes.Format(other.Dims)} cannot be multiplied ({kA} != {kB}).");

        if (a.Rank == 1 && b.Rank == 1) return a.Unsqueeze(0).MatMul2D(b.Unsqueeze(1), false, false).Reshape();
        if (a.Rank == 1) return a.Unsqueeze(0).MatMul(b).Squeeze(-2);
        if (b.Rank == 1) return a.MatMul(b.Unsqueeze(1)).Squeeze(-1);
        if (a.Rank == 2 && b.Rank == 2) return a.MatMul2DReadingTransposes(b);
        if (a.Rank > 3 || b.Rank > 3) return BroadcastMatMul(a, b, Dims, other.Dims);
        if (b.Rank == 2)
        {
            // (B, n, k)·(k, m): one 2-D product over the stacked rows.
            return a.Reshape(a.Dims[0] * a.Dims[1], kA).MatMul2DReadingTransposes(b).Reshape(a.Dims[0], a.Dims[1], b.Dims[1]);
        }
        if (a.Rank == 2) a = a.Unsqueeze(0).Expand(b.Dims[0], -1, -1);
        if (a.Dims[0] != b.Dims[0])
        {
            if (a.Dims[0] == 1) a = a.Expand(b.Dims[0], -1, -1);
            else if (b.Dims[0] == 1) b = b.Expand(a.Dims[0], -1, -1);
            else throw new ArgumentException($"MatMul: batch sizes {a.Dims[0]} and {b.Dims[0]} of shapes {Shapes.Format(Dims)} and {Shapes.Format(other.Dims)} do not broadcast.");
        }
        return a.BatchedMatMul(b, false, false);
    }

    /// <summary>
    /// A·B with an operand of more than 3 dims: a 2-D B is shared by every row of A (one 2-D
    /// product, as PyTorch folds it); otherwise both are expanded to the broadcast batch dims,
    /// flattened to one batch dim, multiplied batch by batch and the result unflattened. Expand's
    /// backward sums each gradient back to its operand's shape.
    /// </summary>
    private static Tensor BroadcastMatMul(Tensor a, Tensor b, int[] shapeA, int[] shapeB)
    {
        int n = a.Dims[^2], k = a.Dims[^1], m = b.Dims[^1];
        if (b.Rank == 2)
        {
            int[] rowsShape = a.Dims[..^1];
            return a.Reshape(Shapes.Size(rowsShape), k).MatMul2DReadingTransposes(b).Reshape([.. rowsShape, m]);
        }
        int[] batchA = a.Dims[..^2], batchB = b.Dims[..^2];
        int rank = Math.Max(batchA.Length, batchB.Length);
        var batch = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - batchA.Length ? 1 : batchA[i - (rank - batchA.Length)];
            int db = i < rank - batchB.Length ? 1 : batchB[i - (rank - batchB.Length)];
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"MatMul: the batch dims {Shapes.Format(batchA)} and {Shapes.Format(batchB)} of shapes {Shapes.Format(shapeA)} and {Shapes.Format(shapeB)} do not broadcast (size {da} against {db}).");
            batch[i] = da == 1 ? db : da;
        }
        int count = Shapes.Size(batch);
        var a3 = a.Expand([.. batch, n, k]).Reshape(count, n, k);
        var b3 = b.Expand([.. batch, k, m]).Reshape(count, k, m);
        return a3.BatchedMatMul(b3, false, false).Reshape([.. batch, n, m]);
    }

    /// <summary>
    /// A·B for 2-D operands, where an operand that is a <see cref="T"/> not yet copied is read
    /// transposed in place from its source (so <c>x.MatMul(w.T)</c> copies nothing). The graph is
    /// the one the copy would have recorded: the gradients go to A and B, B's through its Transpose.
    /// dA = g·Bᵀ, dB = Aᵀ·g, with Bᵀ and Aᵀ read from the sources as well. Each element of the
    /// product is the same chain of multiply-adds either way, so the bits do not change.
    /// </summary>
    private Tensor MatMul2DReadingTransposes(Tensor b)
    {
        Tensor? sourceA = DeferredTransposeSource(), sourceB = b.DeferredTransposeSource();
        if (sourceA is null && sourceB is null) return MatMul2D(b, false, false);
        bool transA = sourceA is not null, transB = sourceB is not null;
        Tensor x = sourceA ?? this, y = sourceB ?? b; // A = op(x), B = op(y)
        int m = Dims[0], k = Dims[1], n = b.Dims[1];
        var r = Uninitialized([m, n], DType);
        Gemm(transA, transB, m, n, k, x, 0, y, 0, r, 0);
        var a = this;
        return Tape.Record(r, "MatMul", [a, b], g =>
        [
            a.RequiresGrad ? g.MatMul2D(y, false, !transB) : null,
            b.RequiresGrad ? x.MatMul2D(g, !transA, false) : null,
        ], x, y);
    }

    /// <summary>op(A)·op(B) for 2-D operands, op being an optional transpose; the backward uses the transposed forms instead of copies.</summary>
    internal Tensor MatMul2D(Tensor b, bool transA, bool transB)
    {
        int m = transA ? Dims[1] : Dims[0], k = transA ? Dims[0] : Dims[1];
        int n = transB ? b.Dims[0] : b.Dims[1];
        var r = Uninitialized([m, n], DType);
        Gemm(transA, transB, m, n, k, this, 0, b, 0, r, 0);
        var a = this;
        return Tape.Record(r, "MatMul", [a, b], g =>
        [
            // C = op(A)·op(B): dA = g·op(B)ᵀ (transposed back if A was used transposed), dB likewise.
            a.RequiresGrad ? (transA ? b.MatMul2D(g, transB, true) : g.MatMul2D(b, false, !transB)) : null,
            b.RequiresGrad ? (transB ? g.MatMul2D(a, true, transA) : a.MatMul2D(g, !transA, false)) : null,
        ], a, b);
    }

    /// <summary>op(A[i])·op(B[i]) for 3-D operands with one batch size.</summary>
    internal Tensor BatchedMatMul(Tensor b, bool transA, bool transB)
    {
        int batch = Dims[0];
        int m = transA ? Dims[2] : Dims[1], k = transA ? Dims[1] : Dims[2];
        int n = transB ? b.Dims[1] : b.Dims[2];
        var r = Uninitialized([batch, m, n], DType);
        for (int i = 0; i < batch; i++) Gemm(transA, transB, m, n, k, this, i * m * k, b, i * k * n, r, i * m * n);
        var a = this;
        return Tape.Record(r, "BatchedMatMul", [a, b], g =>
        [
            a.RequiresGrad ? (transA ? b.BatchedMatMul(g, transB, true) : g.BatchedMatMul(b, false, !transB)) : null,
            b.RequiresGrad ? (transB ? g.BatchedMatMul(a, true, transA) : a.BatchedMatMul(g, !transA, false)) : null,
        ], a, b);
    }

    /// <summary>
    /// Products of at least this many multiply-adds may use several threads (the kernel's own
    /// default waits until 128³): the kernel's fork-join lets the calling thread take every piece
    /// a busy helper has not started, so smaller products still gain on an idle core (measured in
    /// docs/performance.md, "Ops and kernels"). The result is bit-identical whatever the thread count.
    /// </summary>
    internal const long ParallelMultiplyAdds = 512L * 1024;

    private static void Gemm(bool transA, bool transB, int m, int n, int k, Tensor a, int aOff, Tensor b, int bOff, Tensor c, int cOff)
        => DTypeDispatch.RunFloat(a.DType, new GemmCall(transA, transB, m, n, k, a, aOff, b, bOff, c, cOff));

    private readonly struct GemmCall(bool transA, bool transB, int m, int n, int k, Tensor a, int aOff, Tensor b, int bOff, Tensor c, int cOff) : IFloatKernelCall
    {
        public void Run<T>() where T : unmanaged, IFloatingPointIeee754<T>
            => MatMulKernel.Gemm<T>(transA, transB, m, n, k, a.Buffer<T>().AsSpan(aOff, m * k), b.Buffer<T>().AsSpan(bOff, k * n), c.Buffer<T>().AsSpan(cOff, m * n),
                false, KernelWidth.Current, Threading.NumThreads, ParallelMultiplyAdds);
    }
}
