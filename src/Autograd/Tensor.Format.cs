using System.Globalization;
using System.Text;

namespace Autograd;

public sealed partial class Tensor
{
    private const int SummarizeThreshold = 1000;
    private const int EdgeItems = 3;

    /// <summary>
    /// Prints like PyTorch: the values (summarised with "..." past 1000 elements), then the shape,
    /// the dtype when it is not Float32, and the op that made the tensor, e.g.
    /// <c>tensor([[1.0000, 2.0000]], shape=(1, 2), grad_fn=&lt;AddBackward&gt;)</c>. A disposed tensor
    /// prints its metadata only, e.g. <c>tensor(&lt;disposed&gt;, shape=(3,))</c> (never throws, so
    /// debuggers can show it).
    /// </summary>
    public override string ToString()
    {
        if (IsDisposed) return AppendMetadata(new StringBuilder("tensor(<disposed>")).Append(')').ToString();
        bool summarize = NumberOfElements > SummarizeThreshold;
        var raw = ChooseFormat(summarize);
        // PyTorch pads every element to the widest one, so columns line up.
        int width = 0;
        for (int i = 0; i < NumberOfElements; i++) width = Math.Max(width, raw(GetFlat(i)).Length);
        Func<double, string> format = v => raw(v).PadLeft(width);
        var sb = new StringBuilder("tensor(");
        if (Rank == 0) sb.Append(format(GetFlat(0)));
        else AppendDim(sb, 0, 0, format, summarize, indent: 7);
        return AppendMetadata(sb).Append(')').ToString();
    }

    /// <summary>", shape=(...)", then the dtype when not Float32 and grad_fn or requires_grad.</summary>
    private StringBuilder AppendMetadata(StringBuilder sb)
    {
        sb.Append(", shape=(").Append(string.Join(", ", Dims)).Append(Rank == 1 ? ",)" : ")");
        if (DType != DType.Float32) sb.Append(", dtype=").Append(DType);
        if (GradFn is not null) sb.Append(", grad_fn=<").Append(GradFnName).Append('>');
        else if (RequiresGrad) sb.Append(", requires_grad=True");
        return sb;
    }

    private void AppendDim(StringBuilder sb, int dim, int offset, Func<double, string> format, bool summarize, int indent)
    {
        int size = Dims[dim];
        int stride = 1;
        for (int i = dim + 1; i < Rank; i++) stride *= Dims[i];
        sb.Append('[');
        for (int i = 0; i < size; i++)
        {
            if (summarize && size > 2 * EdgeItems && i == EdgeItems)
            {
                sb.Append(dim == Rank - 1 ? "..., " : "...,\n" + new string(' ', indent + dim + 1));
                i = size - EdgeItems;
            }
            if (dim == Rank - 1) sb.Append(format(GetFlat(offset + i)));
            else AppendDim(sb, dim + 1, offset + i * stride, format, summarize, indent);
            if (i < size - 1)
                sb.Append(dim == Rank - 1 ? ", " : "," + new string('\n', Rank - dim - 1) + new string(' ', indent + dim + 1));
        }
        sb.Append(']');
    }

    private Func<double, string> ChooseFormat(bool summarize)
    {
        var inv = CultureInfo.InvariantCulture;
        if (DType == DType.Int64) return v => ((long)v).ToString(inv);
        double maxAbs = 0, minAbs = double.PositiveInfinity;
        bool allInts = true;
        for (int i = 0; i < NumberOfElements; i++)
        {
            double v = GetFlat(i);
            if (!double.IsFinite(v)) continue;
            double a = Math.Abs(v);
            maxAbs = Math.Max(maxAbs, a);
            if (a > 0) minAbs = Math.Min(minAbs, a);
            allInts &= v == Math.Floor(v);
        }
        static string Special(double v) => double.IsNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
        // PyTorch's rules: integers print as "1.", scientific when the range is too wide.
        bool wide = maxAbs >= 1e8 || maxAbs / minAbs > 1000;
        if (allInts && !wide) return v => double.IsFinite(v) ? v.ToString("0", inv) + "." : Special(v);
        if (wide || (minAbs < 1e-4 && minAbs > 0))
            return v => double.IsFinite(v) ? v.ToString("0.0000e+00", inv) : Special(v);
        return v => double.IsFinite(v) ? v.ToString("0.0000", inv) : Special(v);
    }
}
