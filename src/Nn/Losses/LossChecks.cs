namespace Autograd.Nn;

/// <summary>Argument checks shared by the losses, with messages that name the loss, the argument and the shapes.</summary>
internal static class LossChecks
{
    public static void NotNull(Tensor? t, string loss, string name)
    {
        if (t is null) throw new ArgumentNullException(name, $"{loss}: {name} is null.");
    }

    public static void Float(Tensor t, string loss, string name)
    {
        if (!t.DType.IsFloatingPoint())
            throw new ArgumentException($"{loss}: {name} must be Float32 or Float64, got {t.DType} with shape {Format(t)}.", name);
    }

    /// <summary>PyTorch only warns (and broadcasts) on a target of another shape for some losses; here it is always an error.</summary>
    public static void SameShape(Tensor input, Tensor target, string loss)
    {
        if (!input.Shape.SequenceEqual(target.Shape))
            throw new ArgumentException(
                $"{loss}: the target's shape {Format(target)} differs from the input's shape {Format(input)}. " +
                "They must match exactly (broadcasting here would silently compute the wrong loss).", nameof(target));
    }

    /// <summary>A weight-like tensor must broadcast to the input's shape without growing it.</summary>
    public static void BroadcastsTo(Tensor weight, Tensor input, string loss, string name)
    {
        bool ok = weight.Rank <= input.Rank;
        for (int i = 1; ok && i <= weight.Rank; i++)
            ok = weight.Shape[^i] == 1 || weight.Shape[^i] == input.Shape[^i];
        if (!ok)
            throw new ArgumentException($"{loss}: {name} of shape {Format(weight)} does not broadcast to the input's shape {Format(input)}.", name);
    }

    public static void Reduction(Reduction reduction, string loss)
    {
        if (!Enum.IsDefined(reduction))
            throw new ArgumentOutOfRangeException(nameof(reduction), reduction, $"{loss}: unknown reduction {(int)reduction}.");
    }

    public static string Format(Tensor t) => "[" + string.Join(", ", t.Shape) + "]";
}
