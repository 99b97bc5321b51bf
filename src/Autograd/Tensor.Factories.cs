namespace Autograd;

public sealed partial class Tensor
{
    private static int[] CheckShape(int length, int[] shape, string what)
    {
        ArgumentNullException.ThrowIfNull(shape);
        foreach (int d in shape)
            if (d < 0) throw new ArgumentException($"Shape {Shapes.Format(shape)} has a negative dimension.", nameof(shape));
        if (Shapes.Size(shape) != length)
            throw new ArgumentException(
                $"{what} of length {length} does not match shape {Shapes.Format(shape)} ({Shapes.Size(shape)} elements).", nameof(shape));
        return (int[])shape.Clone();
    }

    /// <summary>A 1-D Float32 tensor holding a copy of <paramref name="data"/>.</summary>
    public static Tensor FromArray(float[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Copy(data, [data.Length]);
    }

    /// <summary>
    /// A Float32 tensor of shape <paramref name="shape"/> holding a copy of <paramref name="data"/>
    /// (row-major). An empty shape is a 0-d tensor, which holds exactly one element (as in PyTorch).
    /// </summary>
    /// <exception cref="ArgumentException">The data length differs from the shape's element count.</exception>
    public static Tensor FromArray(float[] data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Copy(data, CheckShape(data.Length, shape, "Data"));
    }

    /// <summary>A 1-D Float64 tensor holding a copy of <paramref name="data"/>.</summary>
    public static Tensor FromArray(double[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Copy(data, [data.Length]);
    }

    /// <summary>A Float64 tensor of shape <paramref name="shape"/> holding a copy of <paramref name="data"/>; an empty shape is 0-d (one element).</summary>
    /// <exception cref="ArgumentException">The data length differs from the shape's element count.</exception>
    public static Tensor FromArray(double[] data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Copy(data, CheckShape(data.Length, shape, "Data"));
    }

    /// <summary>A 1-D Int64 tensor (class indices) holding a copy of <paramref name="data"/>.</summary>
    public static Tensor FromArray(long[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Copy(data, [data.Length]);
    }

    /// <summary>An Int64 tensor (class indices) of shape <paramref name="shape"/> holding a copy of <paramref name="data"/>; an empty shape is 0-d (one element).</summary>
    /// <exception cref="ArgumentException">The data length differs from the shape's element count.</exception>
    public static Tensor FromArray(long[] data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Copy(data, CheckShape(data.Length, shape, "Data"));
    }

    /// <summary>A 2-D Float32 tensor from a rectangular array.</summary>
    public static Tensor FromArray(float[,] data) => From2D(data, DType.Float32);

    /// <summary>A 2-D Float64 tensor from a rectangular array.</summary>
    public static Tensor FromArray(double[,] data) => From2D(data, DType.Float64);

    private static Tensor From2D<T>(T[,] data, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(data);
        int rows = data.GetLength(0), cols = data.GetLength(1);
        var t = Zeroed([rows, cols], dtype);
        var dst = t.Buffer<T>();
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                dst[i * cols + j] = data[i, j];
        return t;
    }

    /// <summary>A 0-d Float32 tensor.</summary>
    public static Tensor Scalar(float value) => new(new[] { value }, [], owned: true);

    /// <summary>A 0-d Float64 tensor.</summary>
    public static Tensor Scalar(double value) => new(new[] { value }, [], owned: true);

    /// <summary>A 0-d Int64 tensor.</summary>
    public static Tensor Scalar(long value) => new(new[] { value }, [], owned: true);

    /// <summary>A 0-d tensor of the given dtype.</summary>
    public static Tensor Scalar(double value, DType dtype) => Full([], value, dtype);

    /// <summary>A Float32 tensor of zeros.</summary>
    public static Tensor Zeros(params int[] shape) => Full(shape, 0, DType.Float32);

    /// <summary>A tensor of zeros.</summary>
    public static Tensor Zeros(int[] shape, DType dtype) => Full(shape, 0, dtype);

    /// <summary>A Float32 tensor of ones.</summary>
    public static Tensor Ones(params int[] shape) => Full(shape, 1, DType.Float32);

    /// <summary>A tensor of ones.</summary>
    public static Tensor Ones(int[] shape, DType dtype) => Full(shape, 1, dtype);

    /// <summary>A tensor filled with <paramref name="value"/>.</summary>
    public static Tensor Full(int[] shape, double value, DType dtype = DType.Float32)
    {
        ArgumentNullException.ThrowIfNull(shape);
        foreach (int d in shape)
            if (d < 0) throw new ArgumentException($"Shape {Shapes.Format(shape)} has a negative dimension.", nameof(shape));
        if (dtype == DType.Int64 && (!double.IsFinite(value) || value >= 9.2233720368547758e18 || value < -9.2233720368547758e18))
            throw new ArgumentException($"Value {value} cannot be converted to Int64 without overflow.", nameof(value));
        var t = Zeroed((int[])shape.Clone(), dtype);
        if (value != 0) t.Fill(value);
        return t;
    }

    /// <summary>Zeros with the shape and dtype of <paramref name="other"/>.</summary>
    public static Tensor ZerosLike(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Full(other.Dims, 0, other.DType);
    }

    /// <summary>Ones with the shape and dtype of <paramref name="other"/>.</summary>
    public static Tensor OnesLike(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Full(other.Dims, 1, other.DType);
    }

    /// <summary>The 1-D sequence 0, 1, ..., below <paramref name="end"/> (like <c>torch.arange(end)</c>).</summary>
    public static Tensor Arange(double end, DType dtype = DType.Float32) => Arange(0, end, 1, dtype);

    /// <summary>The 1-D sequence start, start + step, ... stopping before <paramref name="end"/>.</summary>
    public static Tensor Arange(double start, double end, double step = 1, DType dtype = DType.Float32)
    {
        if (step == 0 || !double.IsFinite(step)) throw new ArgumentException($"Arange needs a finite non-zero step, got {step}.", nameof(step));
        if (!double.IsFinite(start) || !double.IsFinite(end))
            throw new ArgumentException($"Arange: unsupported range [{start}, {end}): both ends must be finite.", double.IsFinite(start) ? nameof(end) : nameof(start));
        if ((end - start) / step < 0) throw new ArgumentException($"Arange: step {step} never reaches {end} from {start}.", nameof(step));
        double count = Math.Ceiling((end - start) / step);
        if (count > Array.MaxLength)
            throw new ArgumentException($"Arange: [{start}, {end}) with step {step} would have {count} elements, more than the {Array.MaxLength} a tensor can hold.", nameof(end));
        int n = (int)count;
        var t = Zeroed([n], dtype);
        for (int i = 0; i < n; i++) t.SetFlat(i, start + i * step);
        return t;
    }

    /// <summary>
    /// <paramref name="steps"/> evenly spaced values from <paramref name="start"/> to <paramref name="end"/>
    /// (both included), as <c>torch.linspace</c>, Float32 or Float64, with PyTorch 1.13's CPU
    /// arithmetic in that dtype: step = (end - start) / (steps - 1); the first half counted from
    /// start and the second from end, start + step·i and end - step·(steps - 1 - i) (fused
    /// multiply-adds, as its AVX2 build), and, in whole blocks of 16 Float32 or 8 Float64 values,
    /// PyTorch's vector layout: each group of 8 (4) values is base + k·step from the group's first
    /// value. Equal bits to PyTorch's for up to 32768 steps (beyond that PyTorch splits the work by
    /// its thread count); the same bits on every machine here.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="steps"/> is negative.</exception>
    /// <exception cref="ArgumentException"><paramref name="dtype"/> is not Float32 or Float64.</exception>
    public static Tensor Linspace(double start, double end, int steps, DType dtype = DType.Float32)
    {
        if (steps < 0) throw new ArgumentOutOfRangeException(nameof(steps), steps, "Linspace: the number of steps must be non-negative.");
        if (dtype is not (DType.Float32 or DType.Float64))
            throw new ArgumentException($"Linspace supports Float32 and Float64, got {dtype}.", nameof(dtype));
        if (dtype == DType.Float32) return new Tensor(LinspaceValues((float)start, (float)end, steps, 8), [steps], owned: true);
        return new Tensor(LinspaceValues(start, end, steps, 4), [steps], owned: true);
    }

    private static T[] LinspaceValues<T>(T start, T end, int steps, int width) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var r = new T[steps];
        if (steps == 0) return r;
        if (steps == 1)
        {
            r[0] = start;
            return r;
        }
        T step = (end - start) / T.CreateChecked(steps - 1);
        int half = steps / 2;
        T At(int i) => i < half
            ? T.FusedMultiplyAdd(step, T.CreateChecked(i), start)
            : T.FusedMultiplyAdd(-step, T.CreateChecked(steps - i - 1), end);
        int j = 0;
        // PyTorch's vectorized loop: two vectors per iteration while two whole ones fit, then one value at a time.
        for (; j + 2 * width <= steps; j += 2 * width)
            for (int v = j; v < j + 2 * width; v += width)
            {
                T first = At(v);
                r[v] = first;
                for (int k = 1; k < width; k++) r[v + k] = first + T.CreateChecked(k) * step;
            }
        for (; j < steps; j++) r[j] = At(j);
        return r;
    }

    /// <summary>
    /// <paramref name="steps"/> values base^e for exponents e evenly spaced from <paramref name="start"/>
    /// to <paramref name="end"/> (both included), as <c>torch.logspace(start, end, steps, base)</c>,
    /// Float32 or Float64, with PyTorch 1.13's CPU arithmetic: start and end are first rounded to the
    /// dtype, their difference is taken in the dtype, and step = difference / (steps - 1) in double;
    /// the first half of the exponents is start + step·i and the second end - step·(steps - 1 - i), in
    /// double; each value is <see cref="Math.Pow"/>(base, e) rounded once to the dtype. One step gives
    /// base^start. Math.Pow is the platform's libm pow (glibc's on Linux, as PyTorch's), which is what
    /// makes the bits equal to PyTorch's on Linux; there are no thread- or vector-width-dependent parts.
    /// </summary>
    /// <param name="start">The first exponent.</param>
    /// <param name="end">The last exponent.</param>
    /// <param name="steps">The number of values, &gt;= 0.</param>
    /// <param name="logBase">The base (<c>base=</c> in PyTorch; 10 by default).</param>
    /// <param name="dtype">Float32 or Float64.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="steps"/> is negative.</exception>
    /// <exception cref="ArgumentException"><paramref name="dtype"/> is not Float32 or Float64.</exception>
    public static Tensor Logspace(double start, double end, int steps, double logBase = 10, DType dtype = DType.Float32)
    {
        if (steps < 0) throw new ArgumentOutOfRangeException(nameof(steps), steps, "Logspace: the number of steps must be non-negative.");
        if (dtype is not (DType.Float32 or DType.Float64))
            throw new ArgumentException($"Logspace supports Float32 and Float64, got {dtype}.", nameof(dtype));
        double s, e, difference;
        if (dtype == DType.Float32)
        {
            (float fs, float fe) = ((float)start, (float)end);
            (s, e, difference) = (fs, fe, fe - fs);
        }
        else
        {
            (s, e, difference) = (start, end, end - start);
        }
        var values = new double[steps];
        if (steps == 1)
        {
            values[0] = Math.Pow(logBase, s);
        }
        else
        {
            double step = difference / (steps - 1);
            int halfway = steps / 2;
            for (int i = 0; i < steps; i++)
                values[i] = Math.Pow(logBase, i < halfway ? s + step * i : e - step * (steps - i - 1));
        }
        return dtype == DType.Float32
            ? new Tensor(Array.ConvertAll(values, v => (float)v), [steps], owned: true)
            : new Tensor(values, [steps], owned: true);
    }

    /// <summary>The n×n identity matrix.</summary>
    public static Tensor Eye(int n, DType dtype = DType.Float32)
    {
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), n, "Eye needs n >= 0.");
        var t = Zeroed([n, n], dtype);
        for (int i = 0; i < n; i++) t.SetFlat(i * n + i, 1);
        return t;
    }

    /// <summary>Uniform samples in [0, 1) from <see cref="Generator.Default"/> (Float32).</summary>
    public static Tensor Rand(params int[] shape) => Rand(shape, null);

    /// <summary>Uniform samples in [0, 1).</summary>
    public static Tensor Rand(int[] shape, Generator? generator, DType dtype = DType.Float32)
        => Sample(shape, generator, dtype, g => g.NextDouble(), g => g.NextSingle());

    /// <summary>Standard normal samples from <see cref="Generator.Default"/> (Float32).</summary>
    public static Tensor Randn(params int[] shape) => Randn(shape, null);

    /// <summary>Standard normal samples.</summary>
    public static Tensor Randn(int[] shape, Generator? generator, DType dtype = DType.Float32)
        => Sample(shape, generator, dtype, g => g.NextNormal(), g => (float)g.NextNormal());

    /// <summary>Uniform Int64 samples in [low, high).</summary>
    public static Tensor RandInt(long low, long high, int[] shape, Generator? generator = null)
    {
        if (high <= low) throw new ArgumentException($"RandInt needs low < high, got low={low}, high={high}.", nameof(high));
        var t = Full(shape, 0, DType.Int64);
        var data = t.Buffer<long>();
        (generator ?? Generator.Default).Locked(g =>
        {
            for (int i = 0; i < data.Length; i++) data[i] = g.NextInt64(low, high);
            return 0;
        });
        return t;
    }

    private static Tensor Sample(int[] shape, Generator? generator, DType dtype, Func<Generator, double> f64, Func<Generator, float> f32)
    {
        if (dtype == DType.Int64) throw new ArgumentException("Rand and Randn produce floating point tensors; use RandInt for Int64.", nameof(dtype));
        var t = Full(shape, 0, dtype);
        (generator ?? Generator.Default).Locked(g =>
        {
            if (t.Data is float[] f) for (int i = 0; i < f.Length; i++) f[i] = f32(g);
            else { var d = t.Buffer<double>(); for (int i = 0; i < d.Length; i++) d[i] = f64(g); }
            return 0;
        });
        return t;
    }

    internal void Fill(double value)
    {
        switch (Data)
        {
            case float[] f: Array.Fill(f, (float)value); break;
            case double[] d: Array.Fill(d, value); break;
            case long[] l: Array.Fill(l, (long)value); break;
        }
    }

    internal void SetFlat(int i, double value)
    {
        switch (Data)
        {
            case float[] f: f[i] = (float)value; break;
            case double[] d: d[i] = value; break;
            case long[] l: l[i] = (long)value; break;
        }
    }

    internal double GetFlat(int i) => Data switch
    {
        float[] f => f[i],
        double[] d => d[i],
        long[] l => l[i],
        _ => throw new InvalidOperationException(),
    };
}
