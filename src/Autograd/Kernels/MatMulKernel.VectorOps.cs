// Part of MatMulKernel: per-ISA vector operations (Vector512/256/128, float/double) used by the generic kernels.

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Autograd.Kernels;

internal static unsafe partial class MatMulKernel
{
    /// <summary>The vector operations the generic micro-kernels need, for one vector type.</summary>
    private interface IVectorOps<TVec, T>
        where TVec : struct
        where T : unmanaged
    {
        static abstract int Count { get; }

        static abstract TVec Zero { get; }

        static abstract TVec Load(T* source);

        static abstract void Store(TVec value, T* destination);

        /// <summary>Loads the first <paramref name="count"/> (0 &lt; count &lt; Count) elements, zero elsewhere, reading nothing beyond.</summary>
        static abstract TVec LoadPartial(T* source, int count);

        /// <summary>Stores the first <paramref name="count"/> (0 &lt; count &lt; Count) elements, writing nothing beyond.</summary>
        static abstract void StorePartial(TVec value, T* destination, int count);

        static abstract TVec Broadcast(T* source);

        /// <summary><c>a * b + c</c> with a single rounding.</summary>
        static abstract TVec MultiplyAdd(TVec a, TVec b, TVec c);
    }

    private readonly struct V512F : IVectorOps<Vector512<float>, float>
    {
        public static int Count => Vector512<float>.Count;

        public static Vector512<float> Zero => Vector512<float>.Zero;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Load(float* source) => Vector512.Load(source);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Vector512<float> value, float* destination) => value.Store(destination);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Broadcast(float* source) => Vector512.Create(*source);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);

        public static Vector512<float> LoadPartial(float* source, int count)
            => count <= 8
                ? Vector512.Create(count == 8 ? Vector256.Load(source) : V256F.LoadPartial(source, count), Vector256<float>.Zero)
                : Vector512.Create(Vector256.Load(source), V256F.LoadPartial(source + 8, count - 8));

        public static void StorePartial(Vector512<float> value, float* destination, int count)
        {
            if (count <= 8)
            {
                if (count == 8) value.GetLower().Store(destination);
                else V256F.StorePartial(value.GetLower(), destination, count);
            }
            else
            {
                value.GetLower().Store(destination);
                V256F.StorePartial(value.GetUpper(), destination + 8, count - 8);
            }
        }
    }

    private readonly struct V512D : IVectorOps<Vector512<double>, double>
    {
        public static int Count => Vector512<double>.Count;

        public static Vector512<double> Zero => Vector512<double>.Zero;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<double> Load(double* source) => Vector512.Load(source);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Vector512<double> value, double* destination) => value.Store(destination);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<double> Broadcast(double* source) => Vector512.Create(*source);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<double> MultiplyAdd(Vector512<double> a, Vector512<double> b, Vector512<double> c) => Vector512.FusedMultiplyAdd(a, b, c);

        public static Vector512<double> LoadPartial(double* source, int count)
            => count <= 4
                ? Vector512.Create(count == 4 ? Vector256.Load(source) : V256D.LoadPartial(source, count), Vector256<double>.Zero)
                : Vector512.Create(Vector256.Load(source), V256D.LoadPartial(source + 4, count - 4));

        public static void StorePartial(Vector512<double> value, double* destination, int count)
        {
            if (count <= 4)
            {
                if (count == 4) value.GetLower().Store(destination);
                else V256D.StorePartial(value.GetLower(), destination, count);
            }
            else
            {
                value.GetLower().Store(destination);
                V256D.StorePartial(value.GetUpper(), destination + 4, count - 4);
            }
        }
    }

    private readonly struct V256F : IVectorOps<Vector256<float>, float>
    {
        public static int Count => Vector256<float>.Count;

        public static Vector256<float> Zero => Vector256<float>.Zero;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Load(float* source) => Vector256.Load(source);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Vector256<float> value, float* destination) => value.Store(destination);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Broadcast(float* source) => Vector256.Create(*source);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);

        public static Vector256<float> LoadPartial(float* source, int count)
        {
            if (Avx.IsSupported)
            {
                return Avx.MaskLoad(source, Mask(count));
            }

            Vector256<float> value = Vector256<float>.Zero;
            for (int i = 0; i < count; i++)
            {
                value = value.WithElement(i, source[i]);
            }

            return value;
        }

        public static void StorePartial(Vector256<float> value, float* destination, int count)
        {
            if (Avx.IsSupported)
            {
                Avx.MaskStore(destination, Mask(count), value);
                return;
            }

            for (int i = 0; i < count; i++)
            {
                destination[i] = value.GetElement(i);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<float> Mask(int count)
            => Vector256.LessThan(Vector256<int>.Indices, Vector256.Create((int)count)).AsSingle();
    }

    private readonly struct V256D : IVectorOps<Vector256<double>, double>
    {
        public static int Count => Vector256<double>.Count;

        public static Vector256<double> Zero => Vector256<double>.Zero;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<double> Load(double* source) => Vector256.Load(source);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Vector256<double> value, double* destination) => value.Store(destination);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<double> Broadcast(double* source) => Vector256.Create(*source);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<double> MultiplyAdd(Vector256<double> a, Vector256<double> b, Vector256<double> c) => Vector256.FusedMultiplyAdd(a, b, c);

        public static Vector256<double> LoadPartial(double* source, int count)
        {
            if (Avx.IsSupported)
            {
                return Avx.MaskLoad(source, Mask(count));
            }

            Vector256<double> value = Vector256<double>.Zero;
            for (int i = 0; i < count; i++)
            {
                value = value.WithElement(i, source[i]);
            }

            return value;
        }

        public static void StorePartial(Vector256<double> value, double* destination, int count)
        {
            if (Avx.IsSupported)
            {
                Avx.MaskStore(destination, Mask(count), value);
                return;
            }

            for (int i = 0; i < count; i++)
            {
                destination[i] = value.GetElement(i);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<double> Mask(int count)
            => Vector256.LessThan(Vector256<long>.Indices, Vector256.Create((long)count)).AsDouble();
    }

    private readonly struct V128F : IVectorOps<Vector128<float>, float>
    {
        public static int Count => Vector128<float>.Count;

        public static Vector128<float> Zero => Vector128<float>.Zero;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Load(float* source) => Vector128.Load(source);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Vector128<float> value, float* destination) => value.Store(destination);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Broadcast(float* source) => Vector128.Create(*source);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> MultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.FusedMultiplyAdd(a, b, c);

        public static Vector128<float> LoadPartial(float* source, int count)
        {
            if (Avx.IsSupported)
            {
                return Avx.MaskLoad(source, Mask(count));
            }

            Vector128<float> value = Vector128<float>.Zero;
            for (int i = 0; i < count; i++)
            {
                value = value.WithElement(i, source[i]);
            }

            return value;
        }

        public static void StorePartial(Vector128<float> value, float* destination, int count)
        {
            if (Avx.IsSupported)
            {
                Avx.MaskStore(destination, Mask(count), value);
                return;
            }

            for (int i = 0; i < count; i++)
            {
                destination[i] = value.GetElement(i);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector128<float> Mask(int count)
            => Vector128.LessThan(Vector128<int>.Indices, Vector128.Create((int)count)).AsSingle();
    }

    private readonly struct V128D : IVectorOps<Vector128<double>, double>
    {
        public static int Count => Vector128<double>.Count;

        public static Vector128<double> Zero => Vector128<double>.Zero;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<double> Load(double* source) => Vector128.Load(source);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Vector128<double> value, double* destination) => value.Store(destination);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<double> Broadcast(double* source) => Vector128.Create(*source);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<double> MultiplyAdd(Vector128<double> a, Vector128<double> b, Vector128<double> c) => Vector128.FusedMultiplyAdd(a, b, c);

        public static Vector128<double> LoadPartial(double* source, int count)
        {
            if (Avx.IsSupported)
            {
                return Avx.MaskLoad(source, Mask(count));
            }

            Vector128<double> value = Vector128<double>.Zero;
            for (int i = 0; i < count; i++)
            {
                value = value.WithElement(i, source[i]);
            }

            return value;
        }

        public static void StorePartial(Vector128<double> value, double* destination, int count)
        {
            if (Avx.IsSupported)
            {
                Avx.MaskStore(destination, Mask(count), value);
                return;
            }

            for (int i = 0; i < count; i++)
            {
                destination[i] = value.GetElement(i);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector128<double> Mask(int count)
            => Vector128.LessThan(Vector128<long>.Indices, Vector128.Create((long)count)).AsDouble();
    }
}
