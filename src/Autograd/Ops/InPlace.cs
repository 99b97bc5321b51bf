namespace Autograd;

// In-place updates, as PyTorch's trailing-underscore methods: add_ → AddInPlace, sub_ → SubInPlace,
// mul_ → MulInPlace, div_ → DivInPlace, clamp_ → ClampInPlace, zero_ → ZeroInPlace,
// fill_ → FillInPlace, copy_ → CopyFrom. Each computes the out-of-place op (so the values are
// the same bits), converts the result to this tensor's dtype, writes it into this tensor's data
// and bumps the version counter, so that a backward pass that saved this tensor (or a view sharing
// its data) refuses to run with the changed values. When grad mode is on and this tensor (a
// non-leaf) or the operand requires grad, the op is recorded as PyTorch records it: the tensor's
// history is rebased (it gets a new GradFn whose input is its old value), and the ops recorded
// before keep their edges to the old producer (Node.InputFns).
public sealed partial class Tensor
{
    /// <summary>
    /// this += alpha · <paramref name="other"/> in place (<c>tensor.add_(other, alpha=alpha)</c>);
    /// <paramref name="other"/> broadcasts to this tensor's shape. Returns this tensor.
    /// </summary>
    /// <remarks>
    /// With alpha ≠ 1 the product and the sum are rounded once (<see cref="Add(Tensor, double)"/>), as PyTorch's CPU kernel.
    /// </remarks>
    /// <exception cref="ArgumentException">The broadcast result's shape differs from this tensor's, or its dtype cannot be cast to this tensor's (a float into Int64).</exception>
    /// <exception cref="InvalidOperationException">This tensor requires grad and grad mode is on (outside <see cref="Tape.NoGrad"/>).</exception>
    public Tensor AddInPlace(Tensor other, double alpha = 1)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Update("AddInPlace", "Add", other, (a, b) => a.Add(b, alpha),
            (g, _) => [g, other.RequiresGrad ? (alpha == 1 ? g : g * alpha).SumTo(other.Dims) : null]);
    }

    /// <summary>this += <paramref name="other"/> in place (<c>tensor.add_(scalar)</c>); a fractional scalar is refused on Int64. Returns this tensor.</summary>
    public Tensor AddInPlace(double other) => Update("AddInPlace", "Add", null, (a, _) => a + other, (g, _) => [g]);

    /// <summary>this -= alpha · <paramref name="other"/> in place (<c>tensor.sub_(other, alpha=alpha)</c>), broadcasting <paramref name="other"/>. Returns this tensor.</summary>
    /// <exception cref="ArgumentException">Shape or dtype of the result not those of this tensor.</exception>
    /// <exception cref="InvalidOperationException">This tensor requires grad and grad mode is on.</exception>
    public Tensor SubInPlace(Tensor other, double alpha = 1)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Update("SubInPlace", "Sub", other, (a, b) => a.Sub(b, alpha),
            (g, _) => [g, other.RequiresGrad ? (alpha == 1 ? -g : -g * alpha).SumTo(other.Dims) : null]);
    }

    /// <summary>this -= <paramref name="other"/> in place (<c>tensor.sub_(scalar)</c>). Returns this tensor.</summary>
    public Tensor SubInPlace(double other) => Update("SubInPlace", "Sub", null, (a, _) => a - other, (g, _) => [g]);

    /// <summary>this *= <paramref name="other"/> in place (<c>tensor.mul_(other)</c>), broadcasting <paramref name="other"/>. Returns this tensor.</summary>
    /// <exception cref="ArgumentException">Shape or dtype of the result not those of this tensor.</exception>
    /// <exception cref="InvalidOperationException">This tensor requires grad and grad mode is on.</exception>
    public Tensor MulInPlace(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        // d/dother reads this tensor's value from before the update: kept (a copy) only when needed.
        return Update("MulInPlace", "Mul", other, (a, b) => a * b,
            (g, old) => [g * other, other.RequiresGrad ? (g * old!).SumTo(other.Dims) : null], keepOld: other.RequiresGrad);
    }

    /// <summary>this *= <paramref name="other"/> in place (<c>tensor.mul_(scalar)</c>). Returns this tensor.</summary>
    public Tensor MulInPlace(double other) => Update("MulInPlace", "Mul", null, (a, _) => a * other, (g, _) => [g * other]);

    /// <summary>
    /// this /= <paramref name="other"/> in place (<c>tensor.div_(other)</c>, true division, so
    /// refused on Int64 as in PyTorch), broadcasting <paramref name="other"/>. Returns this tensor.
    /// </summary>
    /// <exception cref="ArgumentException">Shape or dtype of the result not those of this tensor.</exception>
    /// <exception cref="InvalidOperationException">This tensor requires grad and grad mode is on.</exception>
    public Tensor DivInPlace(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        // PyTorch's div_tensor_other_backward: -g · ((x / y) / y), x the value from before the update.
        return Update("DivInPlace", "Div", other, (a, b) => a / b,
            (g, old) => [g / other, other.RequiresGrad ? (-g * (old! / other / other)).SumTo(other.Dims) : null], keepOld: other.RequiresGrad);
    }

    /// <summary>this /= <paramref name="other"/> in place (<c>tensor.div_(scalar)</c>; refused on Int64). Returns this tensor.</summary>
    public Tensor DivInPlace(double other) => Update("DivInPlace", "Div", null, (a, _) => a / other, (g, _) => [g / other]);

    /// <summary>Limits each element to [min, max] in place (<c>tensor.clamp_(min, max)</c>), as <see cref="Clamp(double?, double?)"/>. Returns this tensor.</summary>
    /// <exception cref="ArgumentException">No bound, or min &gt; max.</exception>
    public Tensor ClampInPlace(double? min = null, double? max = null)
        => Update("ClampInPlace", "Clamp", null, (a, _) => a.Clamp(min, max), (g, old) =>
        {
            // PyTorch's clamp backward: g where min <= x <= max (x before the update; NaN: outside), else 0.
            var inside = min is double lo ? old!.Ge(lo) : OnesLike(old!);
            if (max is double hi) inside = inside * old!.Le(hi);
            return [Where(inside, g, Scalar(0, g.DType))];
        }, keepOld: true);

    /// <summary>Sets every element to 0 in place (<c>tensor.zero_()</c>). Returns this tensor.</summary>
    /// <exception cref="InvalidOperationException">This tensor requires grad and grad mode is on.</exception>
    public Tensor ZeroInPlace() => FillInPlace(0);

    /// <summary>
    /// Sets every element to <paramref name="value"/> in place (<c>tensor.fill_(value)</c>); on
    /// Int64 the value is truncated toward zero, as PyTorch's cast. Returns this tensor.
    /// </summary>
    /// <exception cref="ArgumentException">This tensor is Int64 and <paramref name="value"/> is NaN, infinite or outside Int64's range (as PyTorch's "cannot be converted to type int64_t without overflow").</exception>
    /// <exception cref="InvalidOperationException">This tensor requires grad and grad mode is on.</exception>
    public Tensor FillInPlace(double value)
    {
        if (DType == DType.Int64 && (!double.IsFinite(value) || value >= 9.2233720368547758e18 || value < -9.2233720368547758e18))
            throw new ArgumentException($"FillInPlace: value {value.ToString(System.Globalization.CultureInfo.InvariantCulture)} cannot be converted to Int64 without overflow (this tensor is Int64 with shape {Shapes.Format(Dims)}).", nameof(value));
        bool record = CheckInPlace("FillInPlace", null);
        switch (Data)
        {
            case float[] f: f.AsSpan().Fill((float)value); break;
            case double[] d: d.AsSpan().Fill(value); break;
            case long[] l: l.AsSpan().Fill((long)value); break;
        }
        BumpVersion();
        if (record) RecordInPlace(value == 0 ? "Zero" : "Fill", null, g => [ZerosLike(g)]);
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
        bool record = CheckInPlace("CopyFrom", src);
        CheckBroadcastsToThis("CopyFrom", src, nameof(src));
        Tensor value;
        using (Tape.NoGrad())
        {
            value = src.To(DType);
            if (!value.Dims.AsSpan().SequenceEqual(Dims)) value = value.Expand(Dims);
        }
        Write(value);
        if (record) RecordInPlace("Copy", src, g => [ZerosLike(g), src.RequiresGrad ? g.SumTo(src.Dims) : null]);
        return this;
    }

    /// <summary>
    /// The common path: check, compute <paramref name="op"/> out of place without recording, check
    /// shape and dtype, write it in, and record it when autograd needs to (see <see cref="CheckInPlace"/>):
    /// <paramref name="backward"/> maps the incoming gradient (and, with <paramref name="keepOld"/>,
    /// a copy of this tensor's value from before the update) to the gradients of this tensor's old
    /// value and of <paramref name="other"/>.
    /// </summary>
    private Tensor Update(string name, string recordedName, Tensor? other, Func<Tensor, Tensor, Tensor> op,
        Func<Tensor, Tensor?, Tensor?[]> backward, bool keepOld = false)
    {
        bool record = CheckInPlace(name, other);
        if (other is not null) CheckBroadcastsToThis(name, other, nameof(other));
        Tensor r;
        using (Tape.NoGrad()) r = op(this, other ?? this);
        if (!r.Dims.AsSpan().SequenceEqual(Dims))
            throw new ArgumentException($"{name}: output with shape {Shapes.Format(Dims)} doesn't match the broadcast shape {Shapes.Format(r.Dims)}.", nameof(other));
        if (r.DType.IsFloatingPoint() && !DType.IsFloatingPoint())
            throw new ArgumentException($"{name}: result type {TorchName(r.DType)} can't be cast to the desired output type {TorchName(DType)}.");
        // The value from before the update, recorded as a clone of it (its gradient flows on to the
        // old history), so that second derivatives through the op see it, as PyTorch's original_self.
        var old = record && keepOld ? Clone() : null;
        Write(r.DType == DType ? r : r.To(DType));
        if (record) RecordInPlace(recordedName, other, g => backward(g, old));
        return this;
    }

    /// <summary>
    /// Checks an in-place change and says whether autograd must record it: grad mode is on and this
    /// tensor (not a leaf) or <paramref name="other"/> requires grad. Refused, as in PyTorch: a leaf
    /// that requires grad (outside <see cref="Tape.NoGrad"/>). Refused here, where PyTorch would
    /// also rebase the history of the views: a tensor whose data is shared with a view recorded in
    /// the graph (a Reshape, Flatten, Unsqueeze or Squeeze of it, or it of another tensor).
    /// </summary>
    private bool CheckInPlace(string name, Tensor? other)
    {
        ThrowIfDisposed();
        other?.ThrowIfDisposed();
        if (!Tape.IsGradEnabled) return false;
        if (RequiresGrad && IsLeaf)
            throw new InvalidOperationException(
                $"{name}: a leaf Variable that requires grad is being used in an in-place operation. " +
                "Wrap the update in using (Tape.NoGrad()) { ... }, as PyTorch's torch.no_grad().");
        bool record = RequiresGrad || (other is not null && other.RequiresGrad);
        if (record && Storage.RecordedViews > 0)
            throw new InvalidOperationException(
                $"{name}: this tensor (shape {Shapes.Format(Dims)}) shares its data with a view recorded in the graph (a Reshape, Flatten, Unsqueeze or Squeeze), " +
                "and an in-place op recorded here would not reach the view's history (PyTorch rebases both). " +
                "Use the out-of-place op (e.g. y = y * 2), or Tape.NoGrad() to change the values without gradient.");
        return record;
    }

    /// <summary>
    /// Rebases this tensor's history onto the in-place op just applied: a new node whose inputs are
    /// this tensor's previous value (the node captures its old <see cref="GradFn"/> as the edge) and
    /// <paramref name="other"/> (saved, so a later change to it is caught).
    /// </summary>
    private void RecordInPlace(string name, Tensor? other, Func<Tensor, Tensor?[]> backward)
    {
        Tensor[] inputs = other is null ? [this] : [this, other];
        // The right-hand side runs first: the node reads this tensor's old GradFn as its input edge.
        GradFn = new Node(this, name, inputs, backward, other is null ? null : [other]);
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

public sealed partial class Tensor
{
    /// <summary>
    /// One element, read or written by its indices (one per dim; negative ones count from the end),
    /// as PyTorch's <c>t[i, j]</c> and <c>t[i, j] = v</c>. Reading gives the value as a number
    /// (PyTorch's <c>t[i, j].item()</c>); writing is an in-place update: it bumps the version, as
    /// <see cref="FillInPlace"/> (an Int64 tensor truncates the value toward zero), and is refused,
    /// as PyTorch refuses it, on a leaf that requires grad outside <see cref="Tape.NoGrad"/>. It is
    /// also refused on a non-leaf that requires grad (PyTorch records that; here use the out-of-place
    /// ops, e.g. <see cref="Where"/>). There is no single-index row access: <c>t[0][i] = 1</c> is
    /// written <c>t[0, i] = 1</c>, so that no assignment can go to a copy unnoticed.
    /// </summary>
    /// <param name="indices">One index per dim.</param>
    /// <exception cref="ArgumentException">The number of indices is not the tensor's rank.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside its dim.</exception>
    /// <exception cref="InvalidOperationException">Writing to a tensor that requires grad while grad mode is on.</exception>
    [System.Runtime.CompilerServices.IndexerName("Element")]   // "Item" is the method Item()
    public double this[params int[] indices]
    {
        get
        {
            ThrowIfDisposed();
            return GetFlat(FlatIndex(indices));
        }
        set
        {
            int flat = FlatIndex(indices);
            if (CheckInPlace("Element assignment", null))
                throw new InvalidOperationException(
                    $"Element assignment: this tensor requires grad (it was produced by {GradFn!.Name}); an assignment to one element is not recorded in the graph " +
                    "(PyTorch records it as CopySlices). Build the values with out-of-place ops (e.g. Tensor.Where), or assign inside Tape.NoGrad() to change them without gradient.");
            SetFlat(flat, value);
            BumpVersion();
        }
    }

    private int FlatIndex(int[] indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        if (indices.Length != Rank)
            throw new ArgumentException($"Indexing a tensor of shape {Shapes.Format(Dims)} needs {Rank} indices (one per dim), got {indices.Length}: {Shapes.Format(indices)}.", nameof(indices));
        int flat = 0;
        for (int d = 0; d < Rank; d++)
        {
            int i = indices[d] < 0 ? indices[d] + Dims[d] : indices[d];
            if (i < 0 || i >= Dims[d])
                throw new ArgumentOutOfRangeException(nameof(indices), indices[d], $"Index {indices[d]} is out of bounds for dim {d} with size {Dims[d]} (tensor of shape {Shapes.Format(Dims)}).");
            flat = flat * Dims[d] + i;
        }
        return flat;
    }
}
