using System.Numerics;

namespace Autograd.Kernels;

/// <summary>The order of the elements along one dim (behind Sort, ArgSort and TopK).</summary>
internal static class SortKernels
{
    /// <summary>
    /// For every line along the middle dim of an [outer, size, inner] layout, the positions of its
    /// elements in ascending (or descending) order, written to <paramref name="dst"/> in the same
    /// layout. NaN sorts as the largest value, as PyTorch; equal elements keep their order (a stable
    /// sort, one of the orders PyTorch's unstable sort may give); -0 and +0 are equal.
    /// </summary>
    public static void ArgSort<T>(T[] src, int outer, int size, int inner, bool descending, long[] dst) where T : unmanaged, INumber<T>
    {
        var order = new int[size];
        var keys = new T[size];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int baseIndex = o * size * inner + i;
                for (int j = 0; j < size; j++)
                {
                    order[j] = j;
                    keys[j] = src[baseIndex + j * inner];
                }
                Array.Sort(order, (a, b) =>
                {
                    int c = Compare(keys[a], keys[b]);
                    if (descending) c = -c;
                    return c != 0 ? c : a.CompareTo(b);
                });
                for (int j = 0; j < size; j++) dst[baseIndex + j * inner] = order[j];
            }
    }

    private static int Compare<T>(T a, T b) where T : unmanaged, INumber<T>
    {
        bool an = T.IsNaN(a), bn = T.IsNaN(b);
        if (an || bn) return an == bn ? 0 : an ? 1 : -1;
        return a < b ? -1 : a > b ? 1 : 0;
    }
}
