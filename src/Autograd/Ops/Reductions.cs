using System.Numerics;
using Autograd.Kernels;

namespace Autograd;

/// <summary>Reductions: sum, mean, max, min and their arg-forms.</summary>
public sealed partial class Tensor
{
    /// <summary>The sum of all elements (0-d). d/dx = 1 for every element.</summary>
    public Tensor Sum()
    {
        var r = Empty([], DType);
        switch (Data)
        {
            case float[] f: r.Buffer<float>()[0] = ReduceKernels.SumAll<float>(f); break;
            case double[] d: r.Buffer<double>()[0] = ReduceKernels.SumAll<double>(d); break;
            case long[] l: r.Buffer<long>()[0] = System.Numerics.Tensors.TensorPrimitives.Sum<long>(l); break;
        }
        return Tape.Record(r, "Sum", [this], g => [g.Expand(Dims)]);
    }

    /// <summary>
    /// The sum along <paramref name="dim"/> (negative counts from the end), dropping it unless
    /// <paramref name="keepDim"/>. Backward: the gradient repeated along the summed dim.
    /// </summary>
    public Tensor Sum(int dim, bool keepDim = false)
    {
        int d = Shapes.NormalizeDim(dim, Rank);
        if (Rank == 0) return Sum();
        var (outer, size, inner) = Shapes.SplitAt(Dims, d);
        var r = Uninitialized(keepDim ? Shapes.With(Dims, d, 1) : Shapes.Remove(Dims, d), DType);
        switch (Data)
        {
            case float[] f: ReduceKernels.Sum<float>(f, outer, size, inner, r.Buffer<float>()); break;
            case double[] x: ReduceKernels.Sum<double>(x, outer, size, inner, r.Buffer<double>()); break;
            case long[] l: ReduceKernels.Sum<long>(l, outer, size, inner, r.Buffer<long>()); break;
        }
        return Tape.Record(r, "Sum", [this], g => [(keepDim ? g : g.Unsqueeze(d)).Expand(Dims)]);
    }

    /// <summary>The mean of all elements (0-d): Sum() / N. d/dx = 1/N.</summary>
    public Tensor Mean()
    {
        RequireFloat("Mean");
        int n = NumberOfElements;
        Tensor r;
        using (Tape.NoGrad()) r = Sum() / n;
        return Tape.Record(r, "Mean", [this], g => [g.Expand(Dims) / n]);
    }

    /// <summary>The mean along <paramref name="dim"/>: Sum(dim) / size. d/dx = 1/size.</summary>
    public Tensor Mean(int dim, bool keepDim = false)
    {
        RequireFloat("Mean");
        int d = Shapes.NormalizeDim(dim, Rank);
        int n = Rank == 0 ? 1 : Dims[d];
        Tensor r;
        using (Tape.NoGrad()) r = Sum(d, keepDim) / n;
        return Tape.Record(r, "Mean", [this], g => [(keepDim || Rank == 0 ? g : g.Unsqueeze(d)).Expand(Dims) / n]);
    }

    /// <summary>
    /// The largest value along <paramref name="dim"/> (values only; see <see cref="ArgMax"/>).
    /// The gradient goes to the position of the maximum (the first one on ties).
    /// </summary>
    public Tensor Max(int dim, bool keepDim = false) => SelectExtreme(dim, keepDim, max: true);

    /// <summary>The smallest value along <paramref name="dim"/>; the gradient goes to its position.</summary>
    public Tensor Min(int dim, bool keepDim = false) => SelectExtreme(dim, keepDim, max: false);

    /// <summary>The largest element (0-d). The gradient goes to the first maximum (PyTorch splits it evenly among ties).</summary>
    public Tensor Max() => Reshape(-1).Max(0);

    /// <summary>The smallest element (0-d).</summary>
    public Tensor Min() => Reshape(-1).Min(0);

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
        var r = Empty(keepDim ? Shapes.With(Dims, d, 1) : Shapes.Remove(Dims, d), DType.Int64);
        switch (Data)
        {
            case float[] f: ReduceKernels.ArgExtreme<float>(f, outer, size, inner, r.Buffer<long>(), max); break;
            case double[] x: ReduceKernels.ArgExtreme<double>(x, outer, size, inner, r.Buffer<long>(), max); break;
            case long[] l: ReduceKernels.ArgExtreme<long>(l, outer, size, inner, r.Buffer<long>(), max); break;
        }
        return r;
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
