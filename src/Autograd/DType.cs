namespace Autograd;

/// <summary>The element type of a <see cref="Tensor"/>, named as in PyTorch.</summary>
public enum DType
{
    /// <summary>32-bit IEEE float (<c>torch.float32</c>), the default.</summary>
    Float32,

    /// <summary>64-bit IEEE float (<c>torch.float64</c>).</summary>
    Float64,

    /// <summary>64-bit signed integer (<c>torch.int64</c>): class indices. Never requires grad.</summary>
    Int64,
}

/// <summary>Helpers on <see cref="DType"/>.</summary>
public static class DTypeExtensions
{
    /// <summary>True for <see cref="DType.Float32"/> and <see cref="DType.Float64"/>.</summary>
    public static bool IsFloatingPoint(this DType dtype) => Check(dtype) != DType.Int64;

    /// <summary>Returns <paramref name="dtype"/>, or throws if it is not one of the defined values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An undefined dtype, e.g. <c>(DType)7</c>.</exception>
    public static DType Check(DType dtype, string paramName = "dtype")
        => dtype is DType.Float32 or DType.Float64 or DType.Int64
            ? dtype
            : throw new ArgumentOutOfRangeException(paramName, dtype, $"Unknown dtype {(int)dtype}; expected Float32, Float64 or Int64.");

    /// <summary>The size of one element in bytes.</summary>
    public static int ElementSize(this DType dtype) => dtype == DType.Float32 ? 4 : 8;

    /// <summary>
    /// The dtype of a binary op's result, following PyTorch's promotion: Float64 wins over Float32,
    /// any float wins over Int64.
    /// </summary>
    public static DType Promote(DType a, DType b)
    {
        if (a == b) return a;
        if (a == DType.Float64 || b == DType.Float64) return DType.Float64;
        return DType.Float32;
    }
}
