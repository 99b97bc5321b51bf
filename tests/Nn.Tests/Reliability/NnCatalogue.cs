namespace Autograd.Nn.Tests.Reliability;

/// <summary>
/// The catalogue of wrong calls of Autograd.Nn (issue 6), as data: every loss (functional form and
/// module), module, optimizer, initialiser, data class and state-dict / file entry point with wrong
/// ranks, shapes, dtypes, class indices, weights, settings and nulls. Each case names the argument
/// and the shapes or values its message must contain. Sections: the NnCatalogue.*.cs files.
/// </summary>
public static partial class NnCatalogue
{
    /// <summary>Categories, as reported in docs/reliability.md.</summary>
    public static class Kind
    {
        public const string Shapes = "Mismatched shapes";
        public const string Rank = "Wrong rank";
        public const string DType = "Wrong dtype";
        public const string ClassIndex = "Class index out of range";
        public const string NegativeIndex = "Negative class index (not the ignore index)";
        public const string Weights = "Wrong-length or wrong-type class weights / posWeight";
        public const string BceRange = "BCELoss input outside [0, 1]";
        public const string Smoothing = "labelSmoothing outside [0, 1]";
        public const string Empty = "Empty tensors and collections";
        public const string Dim = "Dim out of range";
        public const string Optimizer = "Invalid optimizer setting or parameter list";
        public const string Setting = "Invalid loss / module / init / data setting";
        public const string Parameters = "RequiresGrad, leaves and parameter registration";
        public const string Null = "Null argument";
        public const string State = "Bad state dict";
    }

    private static IReadOnlyList<BadCall>? _all;

    /// <summary>Every case, in a fixed order.</summary>
    public static IReadOnlyList<BadCall> All => _all ??=
    [
        .. ElementwiseLossCases(), .. ClassificationCases(), .. ModuleCases(), .. OptimizerCases(), .. InitDataStateCases(), .. Recurrent14UtilsCases(), .. Optim14Cases(), .. RecurrentCases(), .. ConvCases(), .. PoolCases(), .. NormalizationCases(), .. ParityCases(),
    ];

    // ---- helpers ---------------------------------------------------------------------------

    /// <summary>A tensor of the given dtype and shape filled with <paramref name="value"/>.</summary>
    internal static Tensor Full(DType dtype, double value, params int[] shape) => Tensor.Full(shape, value, dtype);

    /// <summary>Float32 0.5 everywhere: a valid probability, logit, prediction and target.</summary>
    internal static Tensor Half(params int[] shape) => Tensor.Full(shape, 0.5);

    internal static Tensor Int(params int[] shape) => Tensor.Zeros(shape, DType.Int64);

    internal static Tensor Labels(params long[] values) => Tensor.FromArray(values, values.Length);

    internal static string Fmt(params int[] shape) => "[" + string.Join(", ", shape) + "]";

    internal static Tensor Grad(Tensor t)
    {
        t.RequiresGrad = true;
        return t;
    }

    internal static BadCall Arg(string kind, string name, Func<object?> call, params string[] mentions)
        => new(kind, name, call, Family.Argument, mentions);

    internal static BadCall Op(string kind, string name, Func<object?> call, params string[] mentions)
        => new(kind, name, call, Family.InvalidOperation, mentions);

    internal static BadCall Bug(BadCall call, string bug) => call with { KnownBug = bug };
}
