namespace Autograd.Nn.Tests.Reliability;

public static partial class NnCatalogue
{
    private static IEnumerable<BadCall> InitDataStateCases()
    {
        // Init: float tensors of rank >= 2 for the fan-based ones, finite settings.
        foreach (var (label, name, apply) in new (string, string, Func<Tensor, Tensor>)[]
        {
            ("Uniform", "Uniform", t => Init.Uniform(t)), ("Normal", "Normal", t => Init.Normal(t)), ("Constant", "Constant", t => Init.Constant(t, 1)),
            ("Zeros", "Constant", t => Init.Zeros(t)), ("Ones", "Constant", t => Init.Ones(t)), ("KaimingUniform", "KaimingUniform", t => Init.KaimingUniform(t)),
            ("XavierUniform", "XavierUniform", t => Init.XavierUniform(t)),
        })
        {
            yield return Arg(Kind.DType, $"Init.{label} of Int64 [2, 3]", () => apply(Int(2, 3)), "tensor", name, "Int64", "[2, 3]");
            yield return Arg(Kind.Null, $"Init.{label}(null)", () => apply(null!), "tensor");
        }
        yield return Arg(Kind.Setting, "Init.Uniform low 1 > high 0", () => Init.Uniform(Half(2), 1, 0), "low", "low=1", "high=0");
        yield return Arg(Kind.Setting, "Init.Uniform high NaN", () => Init.Uniform(Half(2), 0, double.NaN), "low", "high=NaN");
        yield return Arg(Kind.Setting, "Init.Uniform low -inf", () => Init.Uniform(Half(2), double.NegativeInfinity, 0), "low", "finite");
        yield return Arg(Kind.Setting, "Init.Normal std -1", () => Init.Normal(Half(2), 0, -1), "std", "std=-1");
        yield return Arg(Kind.Setting, "Init.Normal mean NaN", () => Init.Normal(Half(2), double.NaN), "mean=NaN");
        yield return Arg(Kind.Setting, "Init.KaimingUniform a NaN", () => Init.KaimingUniform(Half(2, 2), double.NaN), "a", "NaN");
        yield return Arg(Kind.Setting, "Init.XavierUniform gain +inf", () => Init.XavierUniform(Half(2, 2), double.PositiveInfinity), "gain");
        foreach (var shape in new[] { new[] { 3 }, [] })
        {
            yield return Arg(Kind.Rank, $"Init.KaimingUniform of {Fmt(shape)}", () => Init.KaimingUniform(Half(shape)), "tensor", "fewer than 2 dimensions", Fmt(shape));
            yield return Arg(Kind.Rank, $"Init.XavierUniform of {Fmt(shape)}", () => Init.XavierUniform(Half(shape)), "tensor", "fewer than 2 dimensions", Fmt(shape));
            yield return Arg(Kind.Rank, $"Init.CalculateFanInAndFanOut of {Fmt(shape)}", () => Init.CalculateFanInAndFanOut(Half(shape)), "tensor", Fmt(shape));
        }
        yield return Arg(Kind.Null, "Init.CalculateFanInAndFanOut(null)", () => Init.CalculateFanInAndFanOut(null!), "tensor");

        // Data.
        yield return Arg(Kind.Empty, "TensorDataset()", () => new TensorDataset(), "tensors", "at least one");
        yield return Arg(Kind.Null, "TensorDataset(null)", () => new TensorDataset(null!), "tensors");
        yield return Arg(Kind.Null, "TensorDataset(x, null)", () => new TensorDataset(Half(3, 2), null!), "tensors", "tensor 1");
        yield return Arg(Kind.Rank, "TensorDataset of a 0-d tensor", () => new TensorDataset(Tensor.Scalar(1f)), "tensors", "0-d");
        yield return Arg(Kind.Rank, "TensorDataset(x [3, 2], 0-d)", () => new TensorDataset(Half(3, 2), Tensor.Scalar(1L)), "tensors", "tensor 1", "0-d");
        foreach (var (a, b) in new (int[], int[])[] { ([4, 2], [3]), ([4], [5, 1]), ([0, 2], [1]) })
            yield return Arg(Kind.Shapes, $"TensorDataset({Fmt(a)}, {Fmt(b)})", () => new TensorDataset(Half(a), Int(b)), "tensors", Fmt(a), Fmt(b));
        var ds = new TensorDataset(Half(4, 2), Int(4));
        foreach (int i in new[] { -1, 4, int.MinValue })
            yield return Arg(Kind.Setting, $"TensorDataset[{i}] of 4 samples", () => ds[i], "index", $"index {i}", "4 samples");
        yield return Arg(Kind.Null, "DataLoader(null, 2)", () => new DataLoader(null!, 2), "dataset");
        foreach (int b in new[] { 0, -5 })
            yield return Arg(Kind.Setting, $"DataLoader batchSize {b}", () => new DataLoader(ds, b), "batchSize", $"got {b}");

        // State dicts: everything is checked before anything changes (the model-unchanged part is in ModelFileTests).
        const string s = Kind.State;
        Dictionary<string, Tensor> Good() => new Linear(3, 2, generator: new Generator(1)).StateDict();
        Module Target() => new Linear(3, 2, generator: new Generator(2));
        yield return Arg(Kind.Null, "LoadStateDict(null)", () => Target().LoadStateDict(null!), "state");
        yield return Arg(s, "LoadStateDict missing \"bias\"", () => { var d = Good(); d.Remove("bias"); return Target().LoadStateDict(d); }, "state", "Missing key", "\"bias\"");
        yield return Arg(s, "LoadStateDict with \"extra\"", () => { var d = Good(); d["extra"] = Half(1); return Target().LoadStateDict(d); }, "state", "Unexpected key", "\"extra\"");
        yield return Arg(s, "LoadStateDict missing and extra", () => { var d = Good(); d.Remove("weight"); d["weights"] = Half(2, 3); return Target().LoadStateDict(d); },
            "state", "Missing key(s) in state_dict: \"weight\"", "Unexpected key(s) in state_dict: \"weights\"");
        yield return Arg(s, "LoadStateDict weight [3, 2] for [2, 3]", () => { var d = Good(); d["weight"] = Half(3, 2); return Target().LoadStateDict(d); }, "state", "size mismatch for weight", "[3, 2]", "[2, 3]");
        yield return Arg(s, "LoadStateDict bias [] for [2]", () => { var d = Good(); d["bias"] = Tensor.Scalar(1f); return Target().LoadStateDict(d); }, "state", "size mismatch for bias", "[]", "[2]");
        yield return Arg(s, "LoadStateDict Int64 weight", () => { var d = Good(); d["weight"] = Int(2, 3); return Target().LoadStateDict(d); }, "state", "dtype mismatch for weight", "Int64");
        yield return Arg(s, "LoadStateDict null bias value", () => { var d = Good(); d["bias"] = null!; return Target().LoadStateDict(d); }, "state", "\"bias\"", "null");
        yield return Arg(s, "LoadStateDict of every problem at once", () =>
        {
            var d = Good();
            d["weight"] = Int(2, 3);
            d["bias"] = Half(5);
            d["x"] = Half(1);
            return Target().LoadStateDict(d);
        }, "state", "dtype mismatch for weight", "size mismatch for bias", "[5]", "\"x\"");
        yield return Arg(s, "LoadStateDict of a nested model with a wrong key", () =>
        {
            var model = new Sequential(new Linear(2, 2), new ReLU(), new Linear(2, 1));
            var d = model.StateDict();
            d["1.weight"] = d["2.weight"];
            d.Remove("2.weight");
            return model.LoadStateDict(d);
        }, "state", "\"2.weight\"", "\"1.weight\"");

        // File arguments (the file contents are in ModelFileTests).
        yield return Arg(Kind.Null, "Module.Save(null)", () => { new Linear(2, 2).Save(null!); return null; }, "path");
        yield return Arg(Kind.Setting, "Module.Save(\"\")", () => { new Linear(2, 2).Save(""); return null; }, "path", "empty");
        yield return Arg(Kind.Null, "Module.Load(null)", () => new Linear(2, 2).Load(null!), "path");
        yield return Arg(Kind.Setting, "Module.Load(\"\")", () => new Linear(2, 2).Load(""), "path", "empty");
    }
}
