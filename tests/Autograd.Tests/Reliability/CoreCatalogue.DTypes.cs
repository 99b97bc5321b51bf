namespace Autograd.Tests.Reliability;

public static partial class CoreCatalogue
{
    /// <summary>Int64 tensors into the ops that need floating point (as PyTorch's "not implemented for 'Long'").</summary>
    private static readonly (string Name, Func<Tensor, object?> Apply)[] FloatOnlyOps =
    [
        ("Exp", t => t.Exp()), ("Log", t => t.Log()), ("Sqrt", t => t.Sqrt()), ("Sigmoid", t => t.Sigmoid()),
        ("Tanh", t => t.Tanh()), ("Pow", t => t.Pow(2)), ("Mean", t => t.Mean()), ("Mean", t => t.Mean(0)),
        ("LogSumExp", t => t.LogSumExp(0)), ("Softmax", t => t.Softmax(0)), ("LogSoftmax", t => t.LogSoftmax(-1)),
        ("MatMul", t => t.MatMul(Tensor.Ones(t.Rank == 0 ? [1] : [t.Shape[^1]]))),
        ("MatMul", t => Tensor.Ones(t.Rank == 0 ? [1] : [t.Shape[0]]).MatMul(t)),
    ];

    private static IEnumerable<BadCall> DTypeCases()
    {
        const string k = Kind.DType;
        foreach (var shape in new[] { new[] { 2, 3 }, [] })
        {
            for (int o = 0; o < FloatOnlyOps.Length; o++)
            {
                var (name, apply) = FloatOnlyOps[o];
                string label = o == FloatOnlyOps.Length - 1 ? "MatMul (right operand)" : o == 7 ? "Mean(dim)" : name;
                yield return Arg(k, $"{label} of Int64 {Fmt(shape)}", () => apply(I64(shape)), name, "Int64", Fmt(shape));
            }
        }
        const string enumBug = "DType values outside the enum are not validated (src/Autograd/Tensor.cs Empty falls back to long[]; DTypeExtensions.IsFloatingPoint calls anything but Int64 floating point)";
        foreach (var (name, call) in new (string, Func<object?>)[]
        {
            ("Zeros([2], (DType)7)", () => Tensor.Zeros([2], (DType)7)), ("Full([2], 1.5, (DType)7)", () => Tensor.Full([2], 1.5, (DType)7)),
            ("x.To((DType)7)", () => F32(2).To((DType)7)), ("Arange(3, (DType)7)", () => Tensor.Arange(3, (DType)7)),
            ("Eye(2, (DType)7)", () => Tensor.Eye(2, (DType)7)), ("Scalar(1.5, (DType)7)", () => Tensor.Scalar(1.5, (DType)7)),
        })
        {
            yield return Bug(Arg(k, name, call, "dtype", "7"), enumBug + $": {name} silently returns an Int64 tensor. Should be ArgumentOutOfRangeException(dtype).");
        }
        yield return Bug(Arg(k, "Rand([2], null, (DType)7)", () => Tensor.Rand([2], null, (DType)7), "dtype", "7"),
            enumBug + ": Rand/Randn with (DType)7 throw InvalidCastException (Int64[] to Double[]) from Tensor.Sample.");
        yield return Bug(Arg(k, "Randn([2], null, (DType)7)", () => Tensor.Randn([2], null, (DType)7), "dtype", "7"),
            enumBug + ": InvalidCastException from Tensor.Sample.");
        yield return Arg(k, "Gather with a Float32 index", () => F32(2, 3).Gather(1, F32(2, 1)), "index", "Int64", "Float32");
        yield return Arg(k, "Gather with a Float64 index", () => F32(3).Gather(0, F64(3)), "index", "Int64", "Float64");
        yield return Arg(k, "Rand with dtype Int64", () => Tensor.Rand([2], null, DType.Int64), "dtype", "Int64");
        yield return Arg(k, "Randn with dtype Int64", () => Tensor.Randn([2], new Generator(1), DType.Int64), "dtype", "Int64");
    }

    private static IEnumerable<BadCall> LengthCases()
    {
        const string k = Kind.Length;
        yield return Arg(k, "FromArray float[5] as [2, 3]", () => Tensor.FromArray(new float[5], 2, 3), "shape", "length 5", "[2, 3]");
        yield return Arg(k, "FromArray double[7] as [2, 3]", () => Tensor.FromArray(new double[7], 2, 3), "shape", "length 7", "[2, 3]");
        yield return Arg(k, "FromArray long[4] as [5]", () => Tensor.FromArray(new long[4], 5), "shape", "length 4", "[5]");
        yield return Arg(k, "FromArray float[6] as [2, 3, 2]", () => Tensor.FromArray(new float[6], 2, 3, 2), "shape", "length 6", "[2, 3, 2]");
        yield return Arg(k, "FromArray float[0] as [1]", () => Tensor.FromArray(new float[0], 1), "shape", "length 0", "[1]");
        yield return Arg(k, "FromArray float[1] as [0]", () => Tensor.FromArray(new float[1], 0), "shape", "length 1", "[0]");
        yield return Arg(k, "FromArray float[2] as [-1, -2]", () => Tensor.FromArray(new float[2], -1, -2), "shape", "[-1, -2]", "negative");
        yield return Arg(k, "FromArray double[3] as [3, -1] (no inference here)", () => Tensor.FromArray(new double[3], 3, -1), "shape", "[3, -1]", "negative");
        yield return Arg(k, "FromArray long[1] as [65536, 65536]", () => Tensor.FromArray(new long[1], 65536, 65536), "[65536, 65536]");
        yield return Bug(Arg(k, "FromArray float[0] as [65536, 65536, 65536, 65536] (2^64 elements)", () => Tensor.FromArray(new float[0], 65536, 65536, 65536, 65536), "[65536, 65536, 65536, 65536]"),
            "Shapes.Size (src/Autograd/Shapes.cs) multiplies the dims in a long without overflow checks: 65536^4 = 2^64 wraps to 0, so FromArray(new float[0], 65536, 65536, 65536, 65536) and Tensor.Zeros(65536, 65536, 65536, 65536) succeed with a 0-element tensor whose shape claims 2^64 elements. Should be an ArgumentException naming the shape.");
        yield return Bug(Arg(k, "Zeros [65536, 65536, 65536, 65536]", () => Tensor.Zeros(65536, 65536, 65536, 65536), "[65536, 65536, 65536, 65536]"),
            "Same overflow in Shapes.Size: Tensor.Zeros(65536, 65536, 65536, 65536) returns a tensor with 0 elements and a 2^64-element shape.");
        const string sizeBug = "Shapes.Size (src/Autograd/Shapes.cs) multiplies the dims in a long without overflow checks, so a product of 2^63 or more wraps (to 0, or to a small number when its low 32 bits are small) and passes the int.MaxValue check.";
        yield return Bug(Arg(k, "FromArray float[3] as [int.MaxValue, int.MaxValue, 3]", () => Tensor.FromArray(new float[3], int.MaxValue, int.MaxValue, 3), "[2147483647, 2147483647, 3]"),
            sizeBug + " FromArray(new float[3], int.MaxValue, int.MaxValue, 3) succeeds: a 3-element tensor with that shape; Transpose(0, 2) on it then fails inside Array.Copy.");
        yield return Bug(Arg(k, "Zeros [2097152, 2097152, 2097152] (2^63 elements)", () => Tensor.Zeros(2097152, 2097152, 2097152), "[2097152, 2097152, 2097152]"),
            sizeBug + " Tensor.Zeros(2^21, 2^21, 2^21) returns a 0-element tensor.");
        yield return Bug(Arg(k, "Reshape an empty tensor to [65536, 65536, 65536, 65536]", () => Tensor.Zeros(0).Reshape(65536, 65536, 65536, 65536), "[65536, 65536, 65536, 65536]"),
            sizeBug + " Tensor.Zeros(0).Reshape(65536, 65536, 65536, 65536) succeeds.");
        yield return Bug(Arg(k, "Expand [1, 1, 1, 1] to [65536, 65536, 65536, 65536]", () => Tensor.Ones(1, 1, 1, 1).Expand(65536, 65536, 65536, 65536), "[65536, 65536, 65536, 65536]"),
            sizeBug + " Tensor.Ones(1, 1, 1, 1).Expand(65536, 65536, 65536, 65536) returns a 0-element tensor claiming 2^64 elements.");
        const string zeroDBug = "Tensor.FromArray (src/Autograd/Tensor.Factories.cs) reads an empty shape as \"no shape given\" and makes a 1-D tensor of the data's length: FromArray(new float[2], []) gives shape [2] instead of refusing (PyTorch: shape '[]' is invalid for input of size 2), and FromArray(new float[1], []) gives [1] instead of a 0-d tensor, so a model file with a 0-d parameter cannot be loaded (issue 12, attack 2).";
        yield return Bug(Arg(k, "FromArray float[2] as [] (0-d: one element)", () => Tensor.FromArray(new float[2], []), "shape", "length 2", "[]"), zeroDBug);
        yield return Bug(Arg(k, "FromArray double[0] as [] (0-d: one element)", () => Tensor.FromArray(new double[0], []), "shape", "length 0", "[]"), zeroDBug);
        yield return Bug(Arg(k, "FromArray long[3] as [] (0-d: one element)", () => Tensor.FromArray(new long[3], []), "shape", "length 3", "[]"), zeroDBug);
        const string maxLengthBug = "Shapes.Size (src/Autograd/Shapes.cs) allows up to int.MaxValue elements, but a .NET array holds at most Array.MaxLength (2147483591): a size in between passes the check and the allocation throws OutOfMemoryException (issue 12, attack 8). Should be an ArgumentException naming the shape and the limit.";
        yield return Bug(Arg(k, "Zeros [int.MaxValue] (past Array.MaxLength)", () => Tensor.Zeros(int.MaxValue), "shape", "[2147483647]", "2147483591"), maxLengthBug);
        yield return Bug(Arg(k, "Zeros [2, 1073741823] (past Array.MaxLength)", () => Tensor.Zeros(2, 1073741823), "shape", "[2, 1073741823]", "2147483591"), maxLengthBug);
        yield return Bug(Arg(k, "Full [2147483592] Float64 (Array.MaxLength + 1)", () => Tensor.Full([2147483592], 1, DType.Float64), "shape", "[2147483592]", "2147483591"), maxLengthBug);
        yield return Bug(Arg(k, "Expand [1] to [int.MaxValue] (past Array.MaxLength)", () => Tensor.Ones(1).Expand(int.MaxValue), "[2147483647]", "2147483591"), maxLengthBug);
        yield return Bug(Arg(k, "Arange(0, 2147483600) (past Array.MaxLength)", () => Tensor.Arange(0, 2147483600), "end", "2147483600", "2147483591"),
            "Tensor.Arange checks its count against int.MaxValue, not Array.MaxLength (2147483591): Arange(0, 2147483600) throws OutOfMemoryException (issue 12, attack 8).");
        yield return Arg(k, "Zeros [46341, 46341] (> int.MaxValue elements)", () => Tensor.Zeros(46341, 46341), "[46341, 46341]", "2147483647");
        yield return Arg(k, "Zeros [-1]", () => Tensor.Zeros(-1), "shape", "[-1]", "negative");
        yield return Arg(k, "Ones [2, -3]", () => Tensor.Ones(2, -3), "shape", "[2, -3]", "negative");
        yield return Arg(k, "Full [-2] Int64", () => Tensor.Full([-2], 1, DType.Int64), "shape", "[-2]", "negative");
        yield return Arg(k, "Zeros [3, -1] Float64", () => Tensor.Zeros([3, -1], DType.Float64), "shape", "[3, -1]", "negative");
        yield return Arg(k, "Rand [-4]", () => Tensor.Rand(-4), "shape", "[-4]", "negative");
        yield return Arg(k, "Randn [2, -2]", () => Tensor.Randn([2, -2], new Generator(3)), "shape", "[2, -2]", "negative");
        yield return Arg(k, "RandInt [-1]", () => Tensor.RandInt(0, 5, [-1]), "shape", "[-1]", "negative");
    }
}
