namespace Autograd.Nn;

/// <summary>How a loss turns its per-element values into its result (PyTorch's <c>reduction</c>).</summary>
public enum Reduction
{
    /// <summary>No reduction: one loss per element (per sample for class-index losses).</summary>
    None,

    /// <summary>The mean (for losses with class weights: the weighted mean, see each loss).</summary>
    Mean,

    /// <summary>The sum.</summary>
    Sum,
}
