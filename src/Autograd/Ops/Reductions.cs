using System.Numerics;
using Autograd.Kernels;

namespace Autograd;

/// <summary>Reductions: sum, mean, max, min and their arg-forms.</summary>
public sealed partial class Tensor
{
    /// <summary>The sum of all elements (0-d). d/dx = 1 for every element.</summary>
    public Tensor Sum()
    {
        var r = Zeroed([], DType);
        DTypeDispatch.Run(DType, new SumAllCall(this, r));
        return Tape.Record(r, "Sum", [this], g => [g.Expand(Dims)]);
    }

    /// <summary>
    /// The sum along <paramref name="dim"/> (negative counts from the end), dropping it unless
    /// <paramref name="keepDim"/>; the input is converted to <paramref name="dtype"/> first when
    /// one is given (<c>torch.sum(x, dim, keepdim, dtype=dtype)</c>). Backward: the gradient
    /// repeated along the summed dim.
    /// </summary>
    public Tensor Sum(int dim, bool keepDim = false, DType? dtype = null)
    {
        if (dtype is { } t) return To(t).Sum(dim, keepDim);
        int d = Shapes.NormalizeDim(dim, Rank);
        if (Rank == 0) return Sum();
        var (outer, size, inner) = Shapes.SplitAt(Dims, d);
        var r = Uninitialized(keepDim ? Shapes.With(Dims, d, 1) : Shapes.Remove(Dims, d), DType);
        DTypeDispatch.Run(DType, new SumCall(this, outer, size, inner, r));
        return Tape.Record(r, "Sum", [this], g => [(keepDim ? g : g.Unsqueeze(d)).Expand(Dims)]);
    }

    /// <summary>The mean of all elements (0-d): Sum() / N. d/dx = 1/N.</summary>
    public Tensor Mean()
    {
        RequireFloat("Mean");
        int n = NumberOfElements;
        Tensor r;
        using (Tape.Override(gradEnabled: false)) r = Sum() / n;
        return Tape.Record(r, "Mean", [this], g => [g.Expand(Dims) / n]);
    }

    /// <summary>
    /// The mean along <paramref name="dim"/>: Sum(dim) / size, after converting to
    /// <paramref name="dtype"/> when one is given. d/dx = 1/size.
    /// </summary>
    public Tensor Mean(int dim, bool keepDim = false, DType? dtype = null)
    {
        if (dtype is { } t) return To(t).Mean(dim, keepDim);
        RequireFloat("Mean");
        int d = Shapes.NormalizeDim(dim, Rank);
        int n = Rank == 0 ? 1 : Dims[d];
        Tensor r;
        using (Tape.Override(gradEnabled: false)) r = Sum(d, keepDim) / n;
        return Tape.Record(r, "Mean", [this], g => [(keepDim || Rank == 0 ? g : g.Unsqueeze(d)).Expand(Dims) / n]);
    }

    /// <summary>
    /// The largest value along <paramref name="dim"/> (values only; see <see cref="ArgMax(int, bool)"/>).
    /// The gradient goes to the position of the maximum (the first one on ties).
    /// </summary>
    public Tensor Max(int dim, bool keepDim = false) => SelectExtreme(dim, keepDim, max: true);

    /// <summary>The smallest value along <paramref name="dim"/>; the gradient goes to its position.</summary>
    public Tensor Min(int dim, bool keepDim = false) => SelectExtreme(dim, keepDim, max: false);

    /// <summary>
    /// The largest element (0-d; NaN if any element is NaN). d/dx_i = 1/k for the k elements equal
    /// to the maximum (the NaNs when it is NaN), 0 elsewhere: ties share the gradient evenly, as
    /// PyTorch's <c>evenly_distribute_backward</c>.
    /// </summary>
    public Tensor Max() => ExtremeAll(max: true);

    /// <summary>The smallest element (0-d); ties share the gradient evenly, as in <see cref="Max()"/>.</summary>
    public Tensor Min() => ExtremeAll(max: false);

    private Tensor ExtremeAll(bool max)
    {
        Tensor r;
        using (Tape.Override(gradEnabled: false)) r = max ? Reshape(-1).Max(0) : Reshape(-1).Min(0);
        return Tape.Record(r, max ? "Max" : "Min", [this], g =>
        {
            // mask = (x == value), or isnan(x) when the value is NaN; gradient g / mask.sum() on
            // the mask and +0 elsewhere (PyTorch fills zeros, then writes grad / count).
            var mask = TieMask(this, r.Item());
            return [Where(mask.Mask, g / mask.Count, Scalar(0, g.DType))];
        }, this);
    }

    /// <summary>A 0/1 tensor marking the elements of <paramref name="x"/> equal to <paramref name="value"/> (the NaNs when it is NaN), and how many there are.</summary>
    private static (Tensor Mask, double Count) TieMask(Tensor x, double value)
    {
        var mask = Zeroed((int[])x.Dims.Clone(), DType.Int64);
        DTypeDispatch.Run(x.DType, new TieMaskCall(x, value, mask));
        return (mask, ReduceKernels.SumAll<long>(mask.Buffer<long>()));
    }

    /// <summary>The index (Int64) of the largest value along <paramref name="dim"/>, the first on ties.</summary>
    public Tensor ArgMax(int dim, bool keepDim = false) => ArgExtreme(dim, keepDim, max: true);

    /// <summary>The index (Int64) of the smallest value along <paramref name="dim"/>, the first on ties.</summary>
    public Tensor ArgMin(int dim, bool keepDim = false) => ArgExtreme(dim, keepDim, max: false);

    private Tensor SelectExtreme(int dim, bool keepDim, bool max)
    {
        int d = Shapes.NormalizeDim(dim, Rank);
        if (Rank == 0) return this * 1;
        var index = ArgExtreme(d, keepDim: true, max);
        var values = Gather(d, index);
        return keepDim ? values : values.Squeeze(d);
    }

    private Tensor ArgExtreme(int dim, bool keepDim, bool max)
    {
        int d = Shapes.NormalizeDim(dim, Rank);
        if (Rank == 0) return Scalar(0L);
        if (Dims[d] == 0) throw new ArgumentException($"Cannot take the {(max ? "max" : "min")} of an empty dimension {d} (shape {Shapes.Format(Dims)}).");
        var (outer, size, inner) = Shapes.SplitAt(Dims, d);
        var r = Zeroed(keepDim ? Shapes.With(Dims, d, 1) : Shapes.Remove(Dims, d), DType.Int64);
        DTypeDispatch.Run(DType, new ArgExtremeCall(this, outer, size, inner, r, max));
        return r;
    }

    private readonly struct SumAllCall(Tensor x, Tensor r) : IKernelCall
    {
        public void Run<T>() where T : unmanaged, INumber<T> => r.Buffer<T>()[0] = ReduceKernels.SumAll<T>(x.Buffer<T>());
    }

    private readonly struct SumCall(Tensor x, int outer, int size, int inner, Tensor r) : IKernelCall
    {
        public void Run<T>() where T : unmanaged, INumber<T> => ReduceKernels.Sum<T>(x.Buffer<T>(), outer, size, inner, r.Buffer<T>());
    }

    private readonly struct TieMaskCall(Tensor x, double value, Tensor mask) : IKernelCall
    {
        public void Run<T>() where T : unmanaged, INumber<T> => ReduceKernels.TieMask<T>(x.Buffer<T>(), value, mask.Buffer<long>());
    }

    private readonly struct ArgExtremeCall(Tensor x, int outer, int size, int inner, Tensor r, bool max) : IKernelCall
    {
        public void Run<T>() where T : unmanaged, INumber<T> => ReduceKernels.ArgExtreme<T>(x.Buffer<T>(), outer, size, inner, r.Buffer<long>(), max);
    }

    /// <summary>Sums a broadcast gradient back to <paramref name="shape"/> (the adjoint of <see cref="Expand"/>).</summary>
    internal Tensor SumTo(int[] shape)
    {
        if (Shapes.Equal(Dims, shape)) return this;
        var r = this;
        while (r.Rank > shape.Length) r = r.Sum(0);
        for (int i = 0; i < shape.Length; i++)
            if (shape[i] == 1 && r.Dims[i] != 1) r = r.Sum(i, keepDim: true);
        return r;
    }
}
