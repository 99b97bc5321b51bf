using F = Autograd.Nn.Functional;

namespace Autograd.Nn.Tests.Reliability;

public static partial class NnCatalogue
{
    private static IEnumerable<BadCall> PoolCases()
    {
        yield return Arg(Kind.Setting, "MaxPool2d(0)", () => new MaxPool2d(0), "kernelSize", "(0, 0)");
        yield return Arg(Kind.Setting, "MaxPool2d(2, stride: (1, 0))", () => new MaxPool2d(2, stride: (1, 0)), "stride", "(1, 0)");
        yield return Arg(Kind.Setting, "MaxPool2d(3, padding: 2)", () => new MaxPool2d(3, padding: 2), "padding", "half");
        yield return Arg(Kind.Setting, "MaxPool1d(2, dilation: 0)", () => new MaxPool1d(2, dilation: 0), "dilation", "got 0");
        yield return Arg(Kind.Setting, "AvgPool2d(2, divisorOverride: 0)", () => new AvgPool2d(2, divisorOverride: 0), "divisorOverride", "non-zero");
        yield return Arg(Kind.Setting, "AvgPool1d(2, padding: 2)", () => new AvgPool1d(2, padding: 2), "padding", "got 2");
        yield return Arg(Kind.Setting, "AdaptiveAvgPool2d((0, 2))", () => new AdaptiveAvgPool2d((0, 2)), "outputSize", "(0, 2)");
        yield return Arg(Kind.Rank, "MaxPool2d(2) on a 2-D input", () => new MaxPool2d(2).Forward(Half(5, 5)), "input", "[5, 5]");
        yield return Arg(Kind.Rank, "MaxPool1d(2) on a 4-D input", () => new MaxPool1d(2).Forward(Half(1, 2, 3, 9)), "input", "[1, 2, 3, 9]");
        yield return Arg(Kind.Shapes, "AvgPool2d(6) on a 5x5 image", () => new AvgPool2d(6).Forward(Half(1, 2, 5, 5)), "input", "too small", "[1, 2, 5, 5]");
        yield return Arg(Kind.Shapes, "AdaptiveMaxPool2d(2) on zero channels", () => new AdaptiveMaxPool2d(2).Forward(Half(1, 0, 5, 5)), "input", "[1, 0, 5, 5]");
        yield return Arg(Kind.DType, "MaxPool2d(2) on an Int64 input", () => new MaxPool2d(2).Forward(Int(1, 3, 4, 4)), "input", "Int64");
        yield return Arg(Kind.Null, "F.AvgPool2d(null, 2)", () => F.AvgPool2d(null!, 2), "input");
        yield return Arg(Kind.Setting, "F.Pad with 3 paddings", () => F.Pad(Half(1, 2, 5), [1, 2, 3]), "pad", "(1, 2, 3)");
        yield return Arg(Kind.Setting, "F.Pad mode \"mirror\"", () => F.Pad(Half(1, 2, 5), [1, 1], "mirror"), "mode", "mirror");
        yield return Arg(Kind.Shapes, "F.Pad reflect 5 on length 5", () => F.Pad(Half(1, 2, 5), [5, 0], "reflect"), "input", "reflect", "[1, 2, 5]");
        yield return Arg(Kind.Setting, "Dropout2d(p: 1.5)", () => new Dropout2d(1.5), "p", "1.5");
        yield return Arg(Kind.Rank, "Dropout2d on a 1-D input", () => new Dropout2d().Forward(Half(5)), "input", "[5]");
        yield return Arg(Kind.Rank, "F.Pad replicate of a 1-D input", () => F.Pad(Half(5), [1, 1], "replicate"), "input", "[5]");
    }
}
