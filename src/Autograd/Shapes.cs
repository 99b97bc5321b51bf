namespace Autograd;

/// <summary>Shape arithmetic shared by the ops: sizes, strides, dims, broadcasting.</summary>
internal static class Shapes
{
    /// <summary>
    /// The number of elements of <paramref name="shape"/>: at most <see cref="Array.MaxLength"/>
    /// (2147483591, a little under int.MaxValue), the most a .NET array can hold.
    /// </summary>
    public static int Size(ReadOnlySpan<int> shape)
    {
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"Shape {Format(shape)} has a negative dimension.", nameof(shape));
            if (d == 0) return 0;
        }
        long n = 1;
        foreach (int d in shape)
        {
            n *= d; // each factor < 2^31 and n <= Array.MaxLength before it, so this cannot overflow a long
            if (n > Array.MaxLength)
                throw new ArgumentException(
                    $"A tensor of shape {Format(shape)} would have more than {Array.MaxLength} elements, the most a .NET array can hold (Array.MaxLength, just under int.MaxValue = {int.MaxValue}).",
                    nameof(shape));
        }
        return (int)n;
    }

    public static int[] Strides(ReadOnlySpan<int> shape)
    {
        var strides = new int[shape.Length];
        int s = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            strides[i] = s;
            s *= shape[i];
        }
        return strides;
    }

    public static string Format(ReadOnlySpan<int> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";

    public static bool Equal(ReadOnlySpan<int> a, ReadOnlySpan<int> b) => a.SequenceEqual(b);

    /// <summary>Maps a possibly negative dim to [0, rank). 0-d tensors accept dims -1 and 0, as PyTorch.</summary>
    public static int NormalizeDim(int dim, int rank, string paramName = "dim")
    {
        int r = Math.Max(rank, 1);
        if (dim < -r || dim >= r)
            throw new ArgumentOutOfRangeException(paramName, dim, $"Dimension out of range (expected to be in range of [{-r}, {r - 1}], but got {dim}).");
        return dim < 0 ? dim + r : dim;
    }

    /// <summary>The broadcast shape of two shapes (NumPy rules), or a clear error naming both.</summary>
    public static int[] Broadcast(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var result = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            int db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException(
                    $"Shapes {Format(a)} and {Format(b)} cannot be broadcast together: size {da} does not match size {db} at dimension {i}.");
            result[i] = da == 1 ? db : da;
        }
        return result;
    }

    /// <summary>Strides of <paramref name="shape"/> viewed as <paramref name="target"/> by broadcasting (0 on broadcast dims).</summary>
    public static int[] BroadcastStrides(ReadOnlySpan<int> shape, ReadOnlySpan<int> target)
    {
        var own = Strides(shape);
        var strides = new int[target.Length];
        int offset = target.Length - shape.Length;
        for (int i = 0; i < target.Length; i++)
        {
            if (i < offset) continue;
            strides[i] = shape[i - offset] == 1 && target[i] != 1 ? 0 : own[i - offset];
        }
        return strides;
    }

    /// <summary>Splits a shape at <paramref name="dim"/> into (outer, size, inner) for dim-wise kernels.</summary>
    public static (int Outer, int Size, int Inner) SplitAt(ReadOnlySpan<int> shape, int dim)
    {
        int outer = 1, inner = 1;
        for (int i = 0; i < dim; i++) outer *= shape[i];
        for (int i = dim + 1; i < shape.Length; i++) inner *= shape[i];
        return (outer, shape.Length == 0 ? 1 : shape[dim], inner);
    }

    public static int[] Remove(ReadOnlySpan<int> shape, int dim)
    {
        var result = new int[shape.Length - 1];
        for (int i = 0, j = 0; i < shape.Length; i++) if (i != dim) result[j++] = shape[i];
        return result;
    }

    public static int[] Insert(ReadOnlySpan<int> shape, int dim, int size)
    {
        var result = new int[shape.Length + 1];
        for (int i = 0, j = 0; i < result.Length; i++) result[i] = i == dim ? size : shape[j++];
        return result;
    }

    public static int[] With(ReadOnlySpan<int> shape, int dim, int size)
    {
        var result = shape.ToArray();
        result[dim] = size;
        return result;
    }
}
