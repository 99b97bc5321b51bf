using System.Numerics;

namespace Autograd.Kernels;

/// <summary>A kernel call at any element type: the struct holds the arguments, <c>Run&lt;T&gt;</c> calls the kernel.</summary>
internal interface IKernelCall
{
    void Run<T>() where T : unmanaged, INumber<T>;
}

/// <summary>A kernel call at a floating-point element type.</summary>
internal interface IFloatKernelCall
{
    void Run<T>() where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>A kernel call at a floating-point element type that returns a value (a result tensor, say).</summary>
internal interface IFloatKernelCall<TResult>
{
    TResult Run<T>() where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>
/// The one place that turns a tensor's <see cref="DType"/> into the element type of a kernel
/// instantiation. The math files pass a small struct holding the call's arguments; as the struct
/// is a generic argument, the JIT compiles one specialised call per dtype, with no allocation.
/// </summary>
internal static class DTypeDispatch
{
    /// <summary>Runs <paramref name="call"/> at the element type of <paramref name="dtype"/>.</summary>
    public static void Run<TCall>(DType dtype, TCall call) where TCall : struct, IKernelCall
    {
        switch (dtype)
        {
            case DType.Float32: call.Run<float>(); break;
            case DType.Float64: call.Run<double>(); break;
            default: call.Run<long>(); break;
        }
    }

    /// <summary>Runs <paramref name="call"/> at the element type of the floating-point <paramref name="dtype"/>.</summary>
    public static void RunFloat<TCall>(DType dtype, TCall call) where TCall : struct, IFloatKernelCall
    {
        if (dtype == DType.Float32) call.Run<float>();
        else call.Run<double>();
    }

    /// <summary>
    /// Runs <paramref name="call"/> at the element type of the floating-point <paramref name="dtype"/>
    /// and returns what it returns.
    /// </summary>
    public static TResult RunFloat<TCall, TResult>(DType dtype, TCall call) where TCall : struct, IFloatKernelCall<TResult> =>
        dtype == DType.Float32 ? call.Run<float>() : call.Run<double>();
}
