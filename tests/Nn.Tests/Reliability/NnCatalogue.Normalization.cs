using F = Autograd.Nn.Functional;

namespace Autograd.Nn.Tests.Reliability;

public static partial class NnCatalogue
{
    private static IEnumerable<BadCall> NormalizationCases()
    {
        // Modules: settings.
        yield return Arg(Kind.Setting, "BatchNorm2d(0)", () => new BatchNorm2d(0), "numFeatures", "got 0");
        yield return Arg(Kind.Setting, "BatchNorm1d(3, eps: -1)", () => new BatchNorm1d(3, eps: -1), "eps", "-1");
        yield return Arg(Kind.Setting, "BatchNorm1d(3, momentum: NaN)", () => new BatchNorm1d(3, momentum: double.NaN), "momentum", "NaN");
        yield return Arg(Kind.DType, "BatchNorm2d(3, dtype: Int64)", () => new BatchNorm2d(3, dtype: DType.Int64), "dtype", "Int64");
        yield return Arg(Kind.Setting, "LayerNorm(empty shape)", () => new LayerNorm(Array.Empty<int>()), "normalizedShape", "[]");
        yield return Arg(Kind.Setting, "LayerNorm(0)", () => new LayerNorm(0), "normalizedShape", "[0]");
        yield return Arg(Kind.Setting, "GroupNorm(4, 6)", () => new GroupNorm(4, 6), "numGroups", "numChannels=6", "numGroups=4");
        yield return Arg(Kind.Setting, "GroupNorm(0, 6)", () => new GroupNorm(0, 6), "numGroups", "got 0");
        yield return Arg(Kind.Null, "LayerNorm(null)", () => new LayerNorm((int[])null!), "normalizedShape");

        // Module inputs: rank, channels, dtype, one value per channel in training.
        var bn2 = new BatchNorm2d(3);
        yield return Arg(Kind.Rank, "BatchNorm2d(3) on a 3-D input", () => bn2.Forward(Half(3, 4, 4)), "input", "4-D", "[3, 4, 4]");
        yield return Arg(Kind.Shapes, "BatchNorm2d(3) on 2 channels", () => bn2.Forward(Half(2, 2, 4, 4)), "input", "3 channels", "[2, 2, 4, 4]");
        yield return Arg(Kind.Shapes, "BatchNorm2d(3) training on one value per channel", () => bn2.Forward(Half(1, 3, 1, 1)), "input", "more than 1 value per channel", "[1, 3, 1, 1]");
        yield return Arg(Kind.DType, "BatchNorm2d(3) (Float32) on a Float64 input", () => bn2.Forward(Full(DType.Float64, 1, 2, 3, 2, 2)), "Float64", "Float32");
        yield return Arg(Kind.DType, "BatchNorm2d(3) on an Int64 input", () => bn2.Forward(Int(2, 3, 2, 2)), "input", "Int64");
        var bn1 = new BatchNorm1d(4);
        yield return Arg(Kind.Rank, "BatchNorm1d(4) on a 4-D input", () => bn1.Forward(Half(2, 4, 3, 3)), "input", "2-D", "3-D", "[2, 4, 3, 3]");
        yield return Arg(Kind.Rank, "BatchNorm1d(4) on a 1-D input", () => bn1.Forward(Half(4)), "input", "[4]");
        yield return Arg(Kind.Shapes, "BatchNorm1d(4) on 3 features", () => bn1.Forward(Half(5, 3)), "input", "4 channels", "[5, 3]");
        var ln = new LayerNorm([4, 5]);
        yield return Arg(Kind.Shapes, "LayerNorm([4, 5]) on (2, 5, 4)", () => ln.Forward(Half(2, 5, 4)), "input", "[2, 5, 4]", "[4, 5]");
        var gn = new GroupNorm(2, 4);
        yield return Arg(Kind.Shapes, "GroupNorm(2, 4) on 6 channels", () => gn.Forward(Half(2, 6, 3)), "input", "[2, 6, 3]");

        // Functional forms.
        yield return Arg(Kind.Setting, "F.BatchNorm in eval mode without running statistics", () => F.BatchNorm(Half(2, 3), null, null), "runningMean", "evaluation");
        yield return Arg(Kind.Shapes, "F.BatchNorm with a running mean of 2 for 3 channels", () => F.BatchNorm(Half(2, 3), Half(2), Half(3)), "runningMean", "3 elements", "[2]");
        yield return Arg(Kind.Shapes, "F.BatchNorm with a weight of 4 for 3 channels", () => F.BatchNorm(Half(2, 3), null, null, Half(4), training: true), "weight", "[4]");
        yield return Arg(Kind.Rank, "F.BatchNorm on a 1-D input", () => F.BatchNorm(Half(3), Half(3), Half(3)), "input", "[3]");
        yield return Arg(Kind.Setting, "F.BatchNorm with eps -1", () => F.BatchNorm(Half(2, 3), Half(3), Half(3), eps: -1), "eps", "-1");
        yield return Arg(Kind.Shapes, "F.LayerNorm with a bias of the wrong shape", () => F.LayerNorm(Half(2, 3), [3], Half(3), Half(2)), "bias", "[2]");
        yield return Arg(Kind.Setting, "F.GroupNorm 3 groups of 4 channels", () => F.GroupNorm(Half(2, 4, 2), 3), "numGroups", "numGroups=3", "4 channels");
        yield return Arg(Kind.Null, "F.BatchNorm(null)", () => F.BatchNorm(null!, null, null), "input");
        yield return Arg(Kind.Null, "F.GroupNorm(null)", () => F.GroupNorm(null!, 1), "input");
    }
}
