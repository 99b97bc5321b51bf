namespace Autograd.Tests.Reliability;

public static partial class CoreCatalogue
{
    /// <summary>The category of <see cref="DisposedCases"/>.</summary>
    public const string DisposedKind = "Use after Dispose";

    /// <summary>A [2, 3] tensor of the given dtype, disposed (a new one per call: cases run more than once).</summary>
    private static Tensor Gone(DType dtype = DType.Float32)
    {
        var t = Make(dtype, 2, 3);
        t.Dispose();
        return t;
    }

    /// <summary>
    /// Every use of a disposed tensor's values: ObjectDisposedException (an InvalidOperationException)
    /// naming the tensor's shape and dtype, never a NullReferenceException from inside.
    /// </summary>
    private static IEnumerable<BadCall> DisposedCases()
    {
        const string k = DisposedKind;
        string[] f32 = ["disposed", "[2, 3]", "Float32"];
        foreach (var (name, call) in new (string, Func<object?>)[]
        {
            ("Item() of a disposed scalar", () => { var s = Tensor.Scalar(1f); s.Dispose(); return s.Item(); }),
            ("ToArray of a disposed tensor", () => Gone().ToArray<float>()),
            ("Sigmoid of a disposed tensor", () => Gone().Sigmoid()),
            ("disposed + tensor", () => Gone() + F32(2, 3)),
            ("tensor * disposed", () => F32(2, 3) * Gone()),
            ("disposed / scalar", () => Gone() / 2),
            ("Sum of a disposed tensor", () => Gone().Sum()),
            ("Max(1) of a disposed tensor", () => Gone().Max(1)),
            ("MatMul with a disposed tensor", () => F32(4, 2).MatMul(Gone())),
            ("Reshape of a disposed tensor", () => Gone().Reshape(3, 2)),
            ("Transpose of a disposed tensor", () => Gone().Transpose(0, 1)),
            ("Detach of a disposed tensor", () => Gone().Detach()),
            ("Clone of a disposed tensor", () => Gone().Clone()),
            ("To(Float64) of a disposed tensor", () => Gone().To(DType.Float64)),
            ("Concat with a disposed tensor", () => Tensor.Concat([F32(2, 3), Gone()])),
            ("Where with a disposed condition", () => Tensor.Where(Gone(), F32(2, 3), F32(2, 3))),
            ("Softmax of a disposed tensor", () => Gone().Softmax(1)),
            ("Function.Apply on a disposed tensor", () => new IdentityFunction().Apply(Gone())),
            ("Backward() from a disposed root", () => { var a = Leaf(2); var y = a * 2; y.Dispose(); y.Backward(F32(2)); return null; }),
        })
        {
            yield return Op(k, name, call, name.StartsWith("Item", StringComparison.Ordinal) ? ["disposed", "[]", "Float32"]
                : name.StartsWith("Backward", StringComparison.Ordinal) ? ["disposed", "[2]", "Float32"] : f32);
        }
        yield return Op(k, "Gather from a disposed Int64 index", () => F32(2, 3).Gather(1, Gone(DType.Int64)), "disposed", "[2, 3]", "Int64");
        yield return Op(k, "Backward() with a disposed gradient", () => { var a = Leaf(2); var g = F32(2); g.Dispose(); (a * 2).Backward(g); return null; }, "disposed", "[2]");
        yield return Op(k, "GradCheck on a disposed input", () => GradCheck.Check(t => t[0].Sum(), [Gone(DType.Float64)]), "disposed", "[2, 3]", "Float64");
    }
}
