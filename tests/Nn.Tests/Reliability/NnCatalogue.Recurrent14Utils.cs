using F = Autograd.Nn.Functional;

namespace Autograd.Nn.Tests.Reliability;

public static partial class NnCatalogue
{
    /// <summary>Issue 14's training toolkit: gradient clipping, Embedding and OneHot.</summary>
    private static IEnumerable<BadCall> Recurrent14UtilsCases()
    {
        // Gradient clipping: the parameter list and the settings.
        static Tensor WithGrad()
        {
            var w = Tensor.Ones(3);
            w.RequiresGrad = true;
            w.Grad = Tensor.Full([3], 2f);
            return w;
        }
        yield return Arg(Kind.Null, "Utils.ClipGradNorm(null)", () => Nn.Utils.ClipGradNorm(null!, 1), "parameters");
        yield return Arg(Kind.Null, "Utils.ClipGradValue(null)", () => { Nn.Utils.ClipGradValue(null!, 1); return null; }, "parameters");
        yield return Arg(Kind.Null, "Utils.ClipGradNorm with a null parameter", () => Nn.Utils.ClipGradNorm([WithGrad(), null!], 1), "parameters[1] is null");
        foreach (double maxNorm in new[] { -1.0, double.NaN })
            yield return Arg(Kind.Setting, $"Utils.ClipGradNorm maxNorm {maxNorm}", () => Nn.Utils.ClipGradNorm([WithGrad()], maxNorm), "maxNorm", $"got {maxNorm}");
        yield return Arg(Kind.Setting, "Utils.ClipGradNorm normType NaN", () => Nn.Utils.ClipGradNorm([WithGrad()], 1, double.NaN), "normType", "NaN");
        foreach (double clip in new[] { -0.5, double.NaN })
            yield return Arg(Kind.Setting, $"Utils.ClipGradValue clipValue {clip}", () => { Nn.Utils.ClipGradValue([WithGrad()], clip); return null; }, "clipValue", $"got {clip}");
        var withIntGrad = Tensor.Zeros([2], DType.Int64);
        withIntGrad.Grad = Tensor.Zeros([2], DType.Int64);
        yield return Arg(Kind.DType, "Utils.ClipGradNorm with an Int64 gradient", () => Nn.Utils.ClipGradNorm([WithGrad(), withIntGrad], 1), "parameters[1]", "Int64", "[2]");
        static Tensor NanGrad()
        {
            var w = WithGrad();
            w.Grad = Tensor.FromArray([1f, float.NaN, 2f], 3);
            return w;
        }
        yield return Op(Kind.Setting, "Utils.ClipGradNorm errorIfNonfinite with a NaN gradient", () => Nn.Utils.ClipGradNorm([NanGrad()], 1, errorIfNonfinite: true), "non-finite", "order 2.0", "errorIfNonfinite");

        // Embedding: sizes, options, indices.
        foreach (var (n, d, param, value) in new (int, int, string, int)[] { (0, 3, "numEmbeddings", 0), (-2, 3, "numEmbeddings", -2), (4, 0, "embeddingDim", 0), (4, -1, "embeddingDim", -1) })
            yield return Arg(value == 0 ? Kind.Empty : Kind.Setting, $"Embedding({n}, {d})", () => new Embedding(n, d), param, $"got {value}");
        foreach (int pad in new[] { 5, -6 })
            yield return Arg(Kind.Setting, $"Embedding(5, 3, paddingIdx: {pad})", () => new Embedding(5, 3, paddingIdx: pad), "paddingIdx", "[-5, 4]", $"got {pad}");
        yield return Arg(Kind.Setting, "Embedding(5, 3, maxNorm: -1)", () => new Embedding(5, 3, maxNorm: -1), "maxNorm", "got -1");
        yield return Arg(Kind.Setting, "Embedding(5, 3, normType: NaN)", () => new Embedding(5, 3, normType: double.NaN), "normType", "NaN");
        yield return Arg(Kind.DType, "Embedding(5, 3, dtype: Int64)", () => new Embedding(5, 3, dtype: DType.Int64), "dtype", "Int64");
        var embed = new Embedding(5, 3, generator: new Generator(1));
        yield return Arg(Kind.ClassIndex, "Embedding(5, 3) on index 5", () => embed.Forward(Labels(0, 5, 1)), "input", "index 5", "0 to 4", "[3]");
        yield return Arg(Kind.NegativeIndex, "Embedding(5, 3) on index -1", () => embed.Forward(Labels(-1)), "input", "index -1", "0 to 4");
        yield return Arg(Kind.DType, "Embedding(5, 3) on a Float32 input", () => embed.Forward(Half(2, 2)), "input", "Int64", "Float32", "[2, 2]");
        yield return Arg(Kind.Null, "Embedding.Forward(null)", () => embed.Forward(null!), "input");
        yield return Arg(Kind.Rank, "Embedding.FromPretrained of a 1-D tensor", () => Embedding.FromPretrained(Half(4)), "embeddings", "2-D", "[4]");
        yield return Arg(Kind.DType, "Embedding.FromPretrained of an Int64 table", () => Embedding.FromPretrained(Int(4, 2)), "embeddings", "Int64", "[4, 2]");
        yield return Arg(Kind.Setting, "Embedding.FromPretrained paddingIdx 4 of 4 rows", () => Embedding.FromPretrained(Half(4, 2), paddingIdx: 4), "paddingIdx", "[-4, 3]", "got 4");
        yield return Arg(Kind.Null, "Embedding.FromPretrained(null)", () => Embedding.FromPretrained(null!), "embeddings");
        yield return Arg(Kind.Rank, "F.Embedding with a 3-D weight", () => F.Embedding(Labels(0), Half(2, 2, 2)), "weight", "2-D", "[2, 2, 2]");
        yield return Arg(Kind.DType, "F.Embedding with an Int64 weight", () => F.Embedding(Labels(0), Int(2, 2)), "weight", "Int64");
        yield return Arg(Kind.ClassIndex, "F.Embedding index 2 of 2 rows, maxNorm set", () => F.Embedding(Labels(2), Half(2, 3), maxNorm: 0.1), "input", "index 2", "0 to 1");
        yield return Arg(Kind.Null, "F.Embedding(input, null)", () => F.Embedding(Labels(0), null!), "weight");

        // OneHot.
        yield return Arg(Kind.NegativeIndex, "F.OneHot of [1, -1]", () => F.OneHot(Labels(1, -1)), "indices", "non-negative", "got -1");
        yield return Arg(Kind.ClassIndex, "F.OneHot of [1, 5] with 3 classes", () => F.OneHot(Labels(1, 5), 3), "indices", "numClasses=3", "got 5");
        yield return Arg(Kind.Empty, "F.OneHot of an empty tensor, classes inferred", () => F.OneHot(Int(0)), "numClasses", "empty", "[0]");
        yield return Arg(Kind.DType, "F.OneHot of a Float32 tensor", () => F.OneHot(Half(3)), "indices", "Int64", "Float32", "[3]");
        yield return Arg(Kind.Setting, "F.OneHot numClasses -2", () => F.OneHot(Labels(1), -2), "numClasses", "got -2");
        yield return Arg(Kind.Null, "F.OneHot(null)", () => F.OneHot(null!), "indices");
    }
}
