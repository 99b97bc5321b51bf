namespace Autograd.Kernels;

/// <summary>Copies with the dims reordered (the gather behind reductions over several dims).</summary>
internal static class PermuteKernels
{
    /// <summary>
    /// <c>dst</c> = <c>src</c> (of shape <paramref name="shape"/>) with its dims in the order
    /// <paramref name="perm"/>: dst's dim i is src's dim perm[i]. Element moves only, so exact.
    /// </summary>
    public static void Permute<T>(T[] src, int[] shape, int[] perm, T[] dst)
    {
        int rank = shape.Length;
        if (dst.Length == 0) return;
        var strides = Shapes.Strides(shape);
        var outShape = new int[rank];
        var step = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            outShape[i] = shape[perm[i]];
            step[i] = strides[perm[i]];
        }
        var index = new int[rank];
        int s = 0;
        for (int o = 0; o < dst.Length; o++)
        {
            dst[o] = src[s];
            // Odometer over the output's dims, last fastest; s follows in the source's strides.
            for (int i = rank - 1; i >= 0; i--)
            {
                s += step[i];
                if (++index[i] < outShape[i]) break;
                s -= step[i] * outShape[i];
                index[i] = 0;
            }
        }
    }
}
