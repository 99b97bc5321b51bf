using F = Autograd.Nn.Functional;

namespace Autograd.Nn.Tests.Reliability;

public static partial class NnCatalogue
{
    private static IEnumerable<BadCall> ConvCases()
    {
        // Modules: sizes, groups, padding strings, dtypes.
        yield return Arg(Kind.Setting, "Conv2d(0, 2, 3)", () => new Conv2d(0, 2, 3), "inChannels", "got 0");
        yield return Arg(Kind.Setting, "Conv2d(2, -1, 3)", () => new Conv2d(2, -1, 3), "outChannels", "got -1");
        yield return Arg(Kind.Setting, "Conv2d(2, 2, (3, 0))", () => new Conv2d(2, 2, (3, 0)), "kernelSize", "(3, 0)");
        yield return Arg(Kind.Setting, "Conv2d(2, 2, 3, stride: 0)", () => new Conv2d(2, 2, 3, stride: 0), "stride", "(0, 0)");
        yield return Arg(Kind.Setting, "Conv2d(2, 2, 3, dilation: (1, -2))", () => new Conv2d(2, 2, 3, dilation: (1, -2)), "dilation", "(1, -2)");
        yield return Arg(Kind.Setting, "Conv2d(2, 2, 3, padding: -1)", () => new Conv2d(2, 2, 3, padding: -1), "padding", "(-1, -1)");
        yield return Arg(Kind.Setting, "Conv2d(3, 4, 3, groups: 2)", () => new Conv2d(3, 4, 3, groups: 2), "in_channels=3", "groups=2");
        yield return Arg(Kind.Setting, "Conv2d(4, 3, 3, groups: 2)", () => new Conv2d(4, 3, 3, groups: 2), "out_channels=3", "groups=2");
        yield return Arg(Kind.Setting, "Conv2d(2, 2, 3, groups: 0)", () => new Conv2d(2, 2, 3, groups: 0), "groups", "got 0");
        yield return Arg(Kind.Setting, "Conv2d(2, 2, 3, padding: \"full\")", () => new Conv2d(2, 2, 3, padding: "full"), "padding", "'full'");
        yield return Arg(Kind.Setting, "Conv2d(2, 2, 3, stride: 2, padding: \"same\")", () => new Conv2d(2, 2, 3, stride: 2, padding: "same"), "padding", "strided");
        yield return Arg(Kind.Setting, "Conv2d(2, 2, 3, paddingMode: \"mirror\")", () => new Conv2d(2, 2, 3, paddingMode: "mirror"), "paddingMode", "'mirror'");
        yield return Arg(Kind.DType, "Conv2d(2, 2, 3, dtype: Int64)", () => new Conv2d(2, 2, 3, dtype: DType.Int64), "dtype", "Int64");
        yield return Arg(Kind.Setting, "Conv1d(2, 2, 0)", () => new Conv1d(2, 2, 0), "kernelSize", "got 0");
        yield return Arg(Kind.Setting, "Conv1d(2, 2, 3, padding: (1, 2))", () => new Conv1d(2, 2, 3, padding: (1, 2)), "padding", "(1, 2)");
        yield return Arg(Kind.Setting, "Conv1d(3, 2, 3, groups: 2)", () => new Conv1d(3, 2, 3, groups: 2), "in_channels=3", "groups=2");

        // Inputs: channels, rank, dtype, a kernel larger than the padded input.
        var conv2 = new Conv2d(3, 4, 3, generator: new Generator(1));
        yield return Arg(Kind.Shapes, "Conv2d(3, 4, 3) on 2 channels", () => conv2.Forward(Half(1, 2, 5, 5)), "input", "3 channels", "[1, 2, 5, 5]");
        yield return Arg(Kind.Rank, "Conv2d(3, 4, 3) on a 2-D input", () => conv2.Forward(Half(5, 5)), "input", "[5, 5]");
        yield return Arg(Kind.Rank, "Conv2d(3, 4, 3) on a 5-D input", () => conv2.Forward(Half(1, 1, 3, 5, 5)), "input", "[1, 1, 3, 5, 5]");
        yield return Arg(Kind.Shapes, "Conv2d(3, 4, 3) on a 2x2 image", () => conv2.Forward(Half(1, 3, 2, 2)), "input", "kernel size", "[1, 3, 2, 2]");
        yield return Arg(Kind.DType, "Conv2d(3, 4, 3) (Float32) on a Float64 input", () => conv2.Forward(Full(DType.Float64, 1, 1, 3, 5, 5)), "input", "Float64", "Float32");
        yield return Arg(Kind.DType, "Conv2d(3, 4, 3) on an Int64 input", () => conv2.Forward(Int(1, 3, 5, 5)), "input", "Int64");
        var conv1 = new Conv1d(2, 2, 4, dilation: 2, generator: new Generator(1));
        yield return Arg(Kind.Shapes, "Conv1d(2, 2, 4, dilation: 2) on length 6", () => conv1.Forward(Half(1, 2, 6)), "input", "kernel size 7", "[1, 2, 6]");
        yield return Arg(Kind.Shapes, "Conv1d(2, 2, 4) on 3 channels", () => conv1.Forward(Half(3, 9)), "input", "2 channels", "[3, 9]");
        yield return Arg(Kind.Rank, "Conv1d(2, 2, 4) on a 4-D input", () => conv1.Forward(Half(1, 2, 3, 9)), "input", "[1, 2, 3, 9]");

        var reflect = new Conv2d(1, 1, 3, padding: 5, paddingMode: "reflect", generator: new Generator(1));
        yield return Arg(Kind.Shapes, "Conv2d reflect padding 5 on a 5x5 image", () => reflect.Forward(Half(1, 1, 5, 5)), "input", "reflect", "[1, 1, 5, 5]");
        var circular = new Conv1d(1, 1, 3, padding: 4, paddingMode: "circular", generator: new Generator(1));
        yield return Arg(Kind.Shapes, "Conv1d circular padding 4 on length 3", () => circular.Forward(Half(1, 1, 3)), "input", "circular", "[1, 1, 3]");

        // Functional forms: weights, biases, groups.
        yield return Arg(Kind.Rank, "F.Conv2d with a 3-D weight", () => F.Conv2d(Half(1, 2, 5, 5), Half(2, 2, 3)), "weight", "4-D", "[2, 2, 3]");
        yield return Arg(Kind.Rank, "F.Conv1d with a 4-D weight", () => F.Conv1d(Half(1, 2, 5), Half(2, 2, 1, 3)), "weight", "3-D", "[2, 2, 1, 3]");
        yield return Arg(Kind.Shapes, "F.Conv2d with a bias of 3 for 2 outputs", () => F.Conv2d(Half(1, 2, 5, 5), Half(2, 2, 3, 3), Half(3)), "bias", "out_channels=2", "[3]");
        yield return Arg(Kind.Setting, "F.Conv2d groups 2 with 3 outputs", () => F.Conv2d(Half(1, 4, 5, 5), Half(3, 2, 3, 3), groups: 2), "groups", "out_channels=3", "groups=2");
        yield return Arg(Kind.Shapes, "F.Conv2d groups 3 on 4 channels", () => F.Conv2d(Half(1, 4, 5, 5), Half(3, 1, 3, 3), groups: 3), "input", "3 channels", "groups=3");
        yield return Arg(Kind.Setting, "F.Conv2d stride (1, 0)", () => F.Conv2d(Half(1, 2, 5, 5), Half(2, 2, 3, 3), stride: (1, 0)), "stride", "(1, 0)");
        yield return Arg(Kind.Setting, "F.Conv2d padding \"full\"", () => F.Conv2d(Half(1, 2, 5, 5), Half(2, 2, 3, 3), padding: "full"), "padding", "\"full\"");
        yield return Arg(Kind.Null, "F.Conv2d(null, w)", () => F.Conv2d(null!, Half(2, 2, 3, 3)), "input");
        yield return Arg(Kind.Null, "F.Conv1d(x, null)", () => F.Conv1d(Half(1, 2, 5), null!), "weight");
    }
}
