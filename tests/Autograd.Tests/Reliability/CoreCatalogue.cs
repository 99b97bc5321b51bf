namespace Autograd.Tests.Reliability;

/// <summary>
/// The catalogue of wrong calls of the core (issue 6), as data: every public op, factory and
/// entry point of src/Autograd with wrong ranks, shapes, dtypes, dims, indices, lengths, settings
/// and nulls. Each case names the argument and the shapes or values its message must contain.
/// The sections live in the CoreCatalogue.*.cs files.
/// </summary>
public static partial class CoreCatalogue
{
    /// <summary>Categories, as reported in docs/reliability.md.</summary>
    public static class Kind
    {
        public const string Shapes = "Mismatched shapes";
        public const string Rank = "Wrong rank";
        public const string DType = "Wrong dtype";
        public const string Dim = "Dim out of range";
        public const string Index = "Index out of range";
        public const string Length = "Data length vs shape";
        public const string Empty = "Empty tensor";
        public const string Null = "Null argument";
        public const string RequiresGrad = "RequiresGrad on Int64 / non-leaf, Grad of another shape";
        public const string Setting = "Invalid setting";
        public const string Engine = "Tape, Function and GradCheck misuse";
    }

    private static IReadOnlyList<BadCall>? _all;

    /// <summary>Every case, in a fixed order.</summary>
    public static IReadOnlyList<BadCall> All => _all ??=
    [
        .. ShapeCases(), .. RankCases(), .. DTypeCases(), .. DimCases(), .. IndexCases(), .. LengthCases(),
        .. EmptyCases(), .. NullCases(), .. RequiresGradCases(), .. SettingCases(), .. EngineCases(), .. ParityCases(),
        .. DisposedCases(), .. InPlaceShapeIndexCases(),
    ];

    // ---- helpers ---------------------------------------------------------------------------

    /// <summary>A tensor of the given dtype and shape holding 0, 1, 2, ... (so no value is special).</summary>
    internal static Tensor Make(DType dtype, params int[] shape) => Tensor.Arange(Size(shape), dtype).Reshape(shape);

    internal static Tensor F32(params int[] shape) => Make(DType.Float32, shape);

    internal static Tensor F64(params int[] shape) => Make(DType.Float64, shape);

    internal static Tensor I64(params int[] shape) => Make(DType.Int64, shape);

    internal static int Size(int[] shape) => shape.Aggregate(1, (a, b) => a * b);

    /// <summary>"[2, 3]": the library's shape format.</summary>
    internal static string Fmt(params int[] shape) => "[" + string.Join(", ", shape) + "]";

    internal static BadCall Arg(string kind, string name, Func<object?> call, params string[] mentions)
        => new(kind, name, call, Family.Argument, mentions);

    internal static BadCall Op(string kind, string name, Func<object?> call, params string[] mentions)
        => new(kind, name, call, Family.InvalidOperation, mentions);

    internal static BadCall Bug(BadCall call, string bug) => call with { KnownBug = bug };
}
