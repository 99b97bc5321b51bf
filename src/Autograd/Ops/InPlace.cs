namespace Autograd;

// In-place updates, as PyTorch's trailing-underscore methods: add_ → AddInPlace, sub_ → SubInPlace,
// mul_ → MulInPlace, div_ → DivInPlace, clamp_ → ClampInPlace, zero_ → ZeroInPlace,
// fill_ → FillInPlace, copy_ → CopyFrom. Each computes the out-of-place op (so the values are
// the same bits), converts the result to this tensor's dtype, writes it into this tensor's data
// and bumps the version counter, so that a backward pass that saved this tensor (or a view sharing
// its data) refuses to run with the changed values. They are not recorded on the tape.
public sealed partial class Tensor
{
    /// <summary>
    /// this += alpha · <paramref name="other"/> in place (<c>tensor.add_(other, alpha=alpha)</c>);
    /// <paramref name="other"/> broadcasts to this tensor's shape. Returns this tensor.
    /// </summary>
    /// <remarks>
    /// With alpha ≠ 1 the product alpha · other is rounded before the sum; PyTorch's vectorised
    /// path fuses them (one rounding), so such results may differ from PyTorch by an ulp.
    /// </remarks>
    /// <exception cref="ArgumentException">The broadcast result's shape differs from this tensor's, or its dtype cannot be cast to this tensor's (a float into Int64).</exception>
    /// <exception cref="InvalidOperationException">This tensor requires grad and grad mode is on (outside <see cref="Tape.NoGrad"/>).</exception>
    public Tensor AddInPlace(Tensor other, double alpha = 1)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Update("AddInPlace", other, (a, b) => alpha == 1 ? a + b : a + b * alpha);
    }

    /// <summary>this += <paramref name="other"/> in place (<c>tensor.add_(scalar)</c>); a fractional scalar is refused on Int64. Returns this tensor.</summary>
    public Tensor AddInPlace(double other) => Update("AddInPlace", null, (a, _) => a + other);

    /// <summary>this -= alpha · <paramref name="other"/> in place (<c>tensor.sub_(other, alpha=alpha)</c>), broadcasting <paramref name="other"/>. Returns this tensor.</summary>
    /// <exception cref="ArgumentException">Shape or dtype of the result not those of this tensor.</exception>
    /// <exception cref="InvalidOperationException">This tensor requires grad and grad mode is on.</exception>
    public Tensor SubInPlace(Tensor other, double alpha = 1)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Update("SubInPlace", other, (a, b) => alpha == 1 ? a - b : a - b * alpha);
    }

    /// <summary>this -= <paramref name="other"/> in place (<c>tensor.sub_(scalar)</c>). Returns this tensor.</summary>
    public Tensor SubInPlace(double other) => Update("SubInPlace", null, (a, _) => a - other);

    /// <summary>this *= <paramref name="other"/> in place (<c>tensor.mul_(other)</c>), broadcasting <paramref name="other"/>. Returns this tensor.</summary>
    /// <exception cref="ArgumentException">Shape or dtype of the result not those of this tensor.</exception>
    /// <exception cref="InvalidOperationException">This tensor requires grad and grad mode is on.</exception>
    public Tensor MulInPlace(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Update("MulInPlace", other, (a, b) => a * b);
    }

    /// <summary>this *= <paramref name="other"/> in place (<c>tensor.mul_(scalar)</c>). Returns this tensor.</summary>
    public Tensor MulInPlace(double other) => Update("MulInPlace", null, (a, _) => a * other);

    /// <summary>
    /// this /= <paramref name="other"/> in place (<c>tensor.div_(other)</c>, true division, so
    /// refused on Int64 as in PyTorch), broadcasting <paramref name="other"/>. Returns this tensor.
    /// </summary>
    /// <exception cref="ArgumentException">Shape or dtype of the result not those of this tensor.</exception>
    /// <exception cref="InvalidOperationException">This tensor requires grad and grad mode is on.</exception>
    public Tensor DivInPlace(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Update("DivInPlace", other, (a, b) => a / b);
    }

    /// <summary>this /= <paramref name="other"/> in place (<c>tensor.div_(scalar)</c>; refused on Int64). Returns this tensor.</summary>
    public Tensor DivInPlace(double other) => Update("DivInPlace", null, (a, _) => a / other);

    /// <summary>Limits each element to [min, max] in place (<c>tensor.clamp_(min, max)</c>), as <see cref="Clamp(double?, double?)"/>. Returns this tensor.</summary>
    /// <exception cref="ArgumentException">No bound, or min &gt; max.</exception>
    public Tensor ClampInPlace(double? min = null, double? max = null)
        => Update("ClampInPlace", null, (a, _) => a.Clamp(min, max));

    /// <summary>Sets every element to 0 in place (<c>tensor.zero_()</c>). Returns this tensor.</summary>
    /// <exception cref="InvalidOperationException">This tensor requires grad and grad mode is on.</exception>
    public Tensor ZeroInPlace() => FillInPlace(0);

    /// <summary>
    /// Sets every element to <paramref name="value"/> in place (<c>tensor.fill_(value)</c>); on
    /// Int64 the value is truncated toward zero, as PyTorch's cast. Returns this tensor.
    /// </summary>
    /// <exception cref="InvalidOperationException">This tensor requires grad and grad mode is on.</exception>
    public Tensor FillInPlace(double value)
    {
        CheckInPlace("FillInPlace", null);
        switch (Data)
        {
            case float[] f: f.AsSpan().Fill((float)value); break;
            case double[] d: d.AsSpan().Fill(value); break;
            case long[] l: l.AsSpan().Fill((long)value); break;
        }
        BumpVersion();
        return this;
    }

    /// <summary>
    /// Copies <paramref name="src"/> into this tensor (<c>tensor.copy_(src)</c>): <paramref name="src"/>
    /// broadcasts to this tensor's shape and is converted to its dtype (a float into Int64 is
    /// truncated toward zero, as a cast). Returns this tensor.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="src"/> does not broadcast to this tensor's shape.</exception>
    /// <exception cref="InvalidOperationException">This tensor or <paramref name="src"/> requires grad and grad mode is on.</exception>
    public Tensor CopyFrom(Tensor src)
    {
        ArgumentNullException.ThrowIfNull(src);
        CheckInPlace("CopyFrom", src);
        CheckBroadcastsToThis("CopyFrom", src, nameof(src));
        Tensor value;
        using (Tape.NoGrad())
        {
            value = src.Detach().To(DType);
            if (!value.Dims.AsSpan().SequenceEqual(Dims)) value = value.Expand(Dims);
        }
        Write(value);
        return this;
    }

    /// <summary>The common path: check, compute <paramref name="op"/> out of place without recording, check shape and dtype, write it in.</summary>
    private Tensor Update(string name, Tensor? other, Func<Tensor, Tensor, Tensor> op)
    {
        CheckInPlace(name, other);
        if (other is not null) CheckBroadcastsToThis(name, other, nameof(other));
        Tensor r;
        using (Tape.NoGrad()) r = op(Detach(), other?.Detach() ?? this);
        if (!r.Dims.AsSpan().SequenceEqual(Dims))
            throw new ArgumentException($"{name}: output with shape {Shapes.Format(Dims)} doesn't match the broadcast shape {Shapes.Format(r.Dims)}.", nameof(other));
        if (r.DType.IsFloatingPoint() && !DType.IsFloatingPoint())
            throw new ArgumentException($"{name}: result type {TorchName(r.DType)} can't be cast to the desired output type {TorchName(DType)}.");
        Write(r.DType == DType ? r : r.To(DType));
        return this;
    }

    /// <summary>
    /// Refuses an in-place change that autograd would need to record: on a leaf that requires grad
    /// (PyTorch's message), on a non-leaf that requires grad (PyTorch rebases its history; this
    /// library does not record in-place ops), or from an <paramref name="other"/> that requires grad.
    /// All of these are allowed inside <see cref="Tape.NoGrad"/>.
    /// </summary>
    private void CheckInPlace(string name, Tensor? other)
    {
        ThrowIfDisposed();
        other?.ThrowIfDisposed();
        if (!Tape.IsGradEnabled) return;
        if (RequiresGrad && IsLeaf)
            throw new InvalidOperationException(
                $"{name}: a leaf Variable that requires grad is being used in an in-place operation. " +
                "Wrap the update in using (Tape.NoGrad()) { ... }, as PyTorch's torch.no_grad().");
        if (RequiresGrad)
            throw new InvalidOperationException(
                $"{name}: this tensor requires grad (it was produced by {GradFn!.Name}); in-place ops are not recorded in the graph " +
                "(PyTorch would rebase its history). Use the out-of-place op (e.g. y = y * 2), or Tape.NoGrad() to change the values without gradient.");
        if (other is not null && other.RequiresGrad)
            throw new InvalidOperationException(
                $"{name}: the operand requires grad, and in-place ops are not recorded in the graph. " +
                "Use the out-of-place op, or Tape.NoGrad() (or Detach()) to use its values without gradient.");
    }

    private void CheckBroadcastsToThis(string name, Tensor other, string paramName)
    {
        int[] shape;
        try { shape = Shapes.Broadcast(Dims, other.Dims); }
        catch (ArgumentException)
        {
            throw new ArgumentException($"{name}: the shape {Shapes.Format(other.Dims)} does not broadcast to this tensor's shape {Shapes.Format(Dims)}.", paramName);
        }
        if (!shape.AsSpan().SequenceEqual(Dims))
            throw new ArgumentException($"{name}: output with shape {Shapes.Format(Dims)} doesn't match the broadcast shape {Shapes.Format(shape)}.", paramName);
    }

    /// <summary>Writes <paramref name="value"/> (this tensor's shape and dtype) into this tensor's data and bumps its version.</summary>
    private void Write(Tensor value)
    {
        Array.Copy(value.Data, Data, NumberOfElements);
        BumpVersion();
    }

    /// <summary>PyTorch's name of a dtype in its messages: Float, Double, Long.</summary>
    private static string TorchName(DType dtype) => dtype switch
    {
        DType.Float32 => "Float",
        DType.Float64 => "Double",
        _ => "Long",
    };
}
