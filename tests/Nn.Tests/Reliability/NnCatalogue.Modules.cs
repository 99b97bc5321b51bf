using Autograd.Optim;
using F = Autograd.Nn.Functional;

namespace Autograd.Nn.Tests.Reliability;

public static partial class NnCatalogue
{
    private static IEnumerable<BadCall> ModuleCases()
    {
        // Linear: sizes, dtypes, input shapes.
        foreach (var (inF, outF, param, value) in new (int, int, string, int)[] { (0, 3, "inFeatures", 0), (-1, 3, "inFeatures", -1), (3, 0, "outFeatures", 0), (3, -2, "outFeatures", -2) })
            yield return Arg(value == 0 ? Kind.Empty : Kind.Setting, $"Linear({inF}, {outF})", () => new Linear(inF, outF), param, $"got {value}");
        yield return Arg(Kind.DType, "Linear(2, 2, dtype: Int64)", () => new Linear(2, 2, dtype: DType.Int64), "dtype", "Int64");
        var linear = new Linear(3, 2, generator: new Generator(1));
        foreach (var shape in new[] { new[] { 4, 4 }, [3, 2], [2, 0], [5] })
            yield return Arg(Kind.Shapes, $"Linear(3, 2) on input {Fmt(shape)}", () => linear.Forward(Half(shape)), "input", "in_features=3", Fmt(shape));
        yield return Arg(Kind.Rank, "Linear(3, 2) on a 0-d input", () => linear.Forward(Tensor.Scalar(1f)), "input", "in_features=3", "[]");
        yield return Arg(Kind.DType, "Linear(3, 2) on an Int64 input", () => linear.Forward(Int(4, 3)), "input", "Int64");
        yield return Arg(Kind.DType, "Linear(3, 2) (Float32) on a Float64 input", () => linear.Forward(Full(DType.Float64, 1, 4, 3)), "input", "Float64", "Float32");
        yield return Arg(Kind.Rank, "F.Linear with a 1-D weight", () => F.Linear(Half(4, 3), Half(3)), "weight", "2-D", "[3]");
        yield return Arg(Kind.Rank, "F.Linear with a 3-D weight", () => F.Linear(Half(4, 3), Half(1, 2, 3)), "weight", "2-D", "[1, 2, 3]");
        yield return Arg(Kind.Shapes, "F.Linear with a bias of 3 for 2 outputs", () => F.Linear(Half(4, 3), Half(2, 3), Half(3)), "bias", "out_features=2", "[3]");
        yield return Arg(Kind.Rank, "F.Linear with a [1, 2] bias", () => F.Linear(Half(4, 3), Half(2, 3), Half(1, 2)), "bias", "[1, 2]");
        yield return Arg(Kind.DType, "F.Linear with a Float64 bias", () => F.Linear(Half(4, 3), Half(2, 3), Full(DType.Float64, 0, 2)), "bias", "Float64");
        yield return Arg(Kind.DType, "F.Linear with an Int64 weight", () => F.Linear(Half(4, 3), Int(2, 3)), "input", "Int64", "[2, 3]");
        yield return Arg(Kind.Shapes, "F.Linear input [4, 2] with weight [2, 3]", () => F.Linear(Half(4, 2), Half(2, 3)), "input", "in_features=3", "[4, 2]");

        // Activations and layers: Int64 into float-only ops, dims, probabilities.
        foreach (var (label, name, apply) in new (string, string, Func<Tensor, Tensor>)[]
        {
            ("Sigmoid module", "Sigmoid", t => new Sigmoid().Forward(t)), ("Tanh module", "Tanh", t => new Tanh().Forward(t)),
            ("Softmax module", "Softmax", t => new Softmax(1).Forward(t)), ("LogSoftmax module", "LogSoftmax", t => new LogSoftmax(-1).Forward(t)),
            ("F.Sigmoid", "Sigmoid", t => F.Sigmoid(t)), ("F.Tanh", "Tanh", t => F.Tanh(t)), ("F.Softmax", "Softmax", t => F.Softmax(t, 0)),
            ("F.LogSoftmax", "LogSoftmax", t => F.LogSoftmax(t, 1)), ("F.Dropout", "Dropout", t => F.Dropout(t, 0.5, true, new Generator(1))),
            ("Dropout module", "Dropout", t => new Dropout(0.2, new Generator(1)).Forward(t)),
        })
        {
            yield return Arg(Kind.DType, $"{label} of Int64 [2, 3]", () => apply(Int(2, 3)), name, "Int64", "[2, 3]");
        }
        foreach (var (name, apply, dim) in new (string, Func<Tensor, Tensor>, int)[]
        {
            ("Softmax(2) module", t => new Softmax(2).Forward(t), 2), ("Softmax(-3) module", t => new Softmax(-3).Forward(t), -3),
            ("LogSoftmax(5) module", t => new LogSoftmax(5).Forward(t), 5), ("F.Softmax dim 2", t => F.Softmax(t, 2), 2),
            ("F.LogSoftmax dim -3", t => F.LogSoftmax(t, -3), -3),
        })
        {
            yield return Arg(Kind.Dim, $"{name} on [2, 3]", () => apply(Half(2, 3)), "dim", "[-2, 1]", $"got {dim}");
        }
        yield return Arg(Kind.Dim, "Flatten(2, 1) on [2, 3, 4]", () => new Flatten(2, 1).Forward(Half(2, 3, 4)), "startDim (2)", "endDim (1)", "[2, 3, 4]");
        yield return Arg(Kind.Dim, "Flatten(4) on [2, 3]", () => new Flatten(4).Forward(Half(2, 3)), "startDim", "got 4");
        yield return Arg(Kind.Dim, "Flatten(0, 5) on [2, 3]", () => new Flatten(0, 5).Forward(Half(2, 3)), "endDim", "got 5");
        yield return Arg(Kind.Dim, "Flatten(-4) on [2, 3]", () => new Flatten(-4).Forward(Half(2, 3)), "startDim", "got -4");
        foreach (double p in new[] { -0.1, 1.5, double.NaN })
        {
            yield return Arg(Kind.Setting, $"Dropout({p})", () => new Dropout(p), "p", $"got {p}");
            yield return Arg(Kind.Setting, $"F.Dropout p {p}", () => F.Dropout(Half(3), p), "p", $"got {p}");
        }

        // Containers.
        yield return Arg(Kind.Null, "Sequential((Module[])null)", () => new Sequential(null!), "modules");
        yield return Arg(Kind.Null, "Sequential(ReLU, null)", () => new Sequential(new ReLU(), null!), "modules", "module 1");
        yield return Arg(Kind.Null, "Sequential.Append(null)", () => new Sequential().Append(null!), "module");
        var seq = new Sequential(new ReLU(), new Tanh());
        foreach (int i in new[] { -1, 2, int.MaxValue })
            yield return Arg(Kind.Setting, $"Sequential[{i}] of 2 modules", () => seq[i], "index", $"index {i}", "2 modules");
        yield return Arg(Kind.Empty, "Sequential()[0]", () => new Sequential()[0], "index", "0 modules");
        yield return Arg(Kind.DType, "Module.To(Int64)", () => new Linear(2, 2).To(DType.Int64), "dtype", "Int64");
        yield return Bug(Arg(Kind.DType, "Module.To((DType)7)", () => new Linear(2, 2).To((DType)7), "dtype", "7"),
            "Module.To (src/Nn/Modules/Module.cs) trusts DTypeExtensions.IsFloatingPoint, which calls every DType value but Int64 floating point: To((DType)7) converts to Int64 and fails with InvalidOperationException \"Only floating point tensors can require gradients; this tensor is Int64.\" instead of ArgumentOutOfRangeException(dtype).");
        yield return Bug(Arg(Kind.DType, "Linear(2, 2, dtype: (DType)7)", () => new Linear(2, 2, dtype: (DType)7), "dtype", "7"),
            "Linear's constructor (src/Nn/Modules/Linear.cs) accepts (DType)7 as floating point; the failure surfaces from Init.KaimingUniform as \"needs a Float32 or Float64 tensor, got Int64 ... (Parameter 'tensor')\", naming neither dtype nor 7.");
        foreach (var (name, module) in new (string, Module)[]
        {
            ("Sigmoid", new Sigmoid()), ("Tanh", new Tanh()), ("ReLU", new ReLU()), ("Softmax", new Softmax(0)), ("LogSoftmax", new LogSoftmax(0)),
            ("Identity", new Identity()), ("Flatten", new Flatten()), ("Sequential", new Sequential(new ReLU())), ("Dropout", new Dropout()),
            ("Linear", new Linear(2, 2)),
        })
        {
            yield return Arg(Kind.Null, $"{name}.Forward(null)", () => module.Forward(null!), "input");
        }

        // Registration (protected, through a probe subclass).
        yield return Arg(Kind.Parameters, "RegisterParameter of an Int64 tensor", () => new Probe().Register("w", Int(2)), "parameter", "'w'", "Int64");
        yield return Arg(Kind.Parameters, "RegisterParameter of a non-leaf", () => new Probe().Register("w", Grad(Half(2)) * 2), "parameter", "'w'", "leaf");
        yield return Arg(Kind.Setting, "RegisterParameter named \"a.b\"", () => new Probe().Register("a.b", Half(2)), "name", "a.b");
        yield return Arg(Kind.Setting, "RegisterParameter named \"\"", () => new Probe().Register("", Half(2)), "name", "empty");
        yield return Arg(Kind.Setting, "RegisterParameter of a name taken", () => { var p = new Probe(); p.Register("w", Half(2)); return p.Register("w", Half(2)); }, "name", "\"w\"");
        yield return Arg(Kind.Null, "RegisterParameter(null name)", () => new Probe().Register(null!, Half(2)), "name");
        yield return Arg(Kind.Null, "RegisterParameter(\"w\", null)", () => new Probe().Register("w", null!), "parameter");
        yield return Arg(Kind.Null, "RegisterModule(\"m\", null)", () => new Probe().Child<Module>("m", null!), "module");
        yield return Arg(Kind.Setting, "RegisterModule making a cycle", () => { var p = new Probe(); var q = new Probe(); p.Child("q", q); return q.Child("p", p); }, "module", "cycle");
        yield return Arg(Kind.Setting, "RegisterModule of itself", () => { var p = new Probe(); return p.Child("self", p); }, "module", "cycle");
    }

    /// <summary>A module exposing the protected registration methods.</summary>
    internal sealed class Probe : Module
    {
        public Tensor Register(string name, Tensor parameter) => RegisterParameter(name, parameter);

        public T Child<T>(string name, T module) where T : Module => RegisterModule(name, module);

        public override Tensor Forward(Tensor input) => input;
    }

    private static IEnumerable<BadCall> OptimizerCases()
    {
        const string k = Kind.Optimizer;
        var forms = new (string Name, Func<IEnumerable<Tensor>, Optimizer> Make)[]
        {
            ("SGD", ps => new SGD(ps, 0.1)), ("Adam", ps => new Adam(ps)), ("AdamW", ps => new AdamW(ps)),
        };
        foreach (var (name, make) in forms)
        {
            yield return Arg(Kind.Null, $"{name}(null)", () => make(null!), "parameters");
            yield return Arg(Kind.Empty, $"{name} of no parameters", () => make([]), "parameters", "empty");
            yield return Arg(Kind.Null, $"{name} of [p, null]", () => make([Grad(Half(2)), null!]), "parameters", "parameters[1]", "null");
            yield return Arg(Kind.Parameters, $"{name} of an Int64 tensor", () => make([Int(3)]), "parameters", "parameters[0]", "Int64");
            yield return Arg(Kind.Parameters, $"{name} of a non-leaf", () => make([Grad(Half(2)) * 2]), "parameters", "parameters[0]", "leaf", "Mul");
            yield return Arg(Kind.Parameters, $"{name} of a tensor that does not require grad", () => make([Half(2, 2)]), "parameters", "parameters[0]", "[2, 2]", "does not require grad");
            yield return Arg(k, $"{name} of the same tensor twice", () => { var p = Grad(Half(2)); return make([p, p]); }, "parameters", "parameters[1]", "parameters[0]");
            yield return Arg(k, $"{name} of the same module's parameters twice", () => { var m = new Linear(2, 2); return make(m.Parameters().Concat(m.Parameters())); }, "parameters", "parameters[2]", "'weight'");
            foreach (double lr in new[] { -1.0, double.NaN, double.PositiveInfinity })
            {
                Func<Optimizer> ctor = name switch
                {
                    "SGD" => () => new SGD([Grad(Half(2))], lr),
                    "Adam" => () => new Adam([Grad(Half(2))], lr),
                    _ => () => new AdamW([Grad(Half(2))], lr),
                };
                yield return Arg(k, $"{name} lr {lr}", ctor, "lr", "learning rate", $"{lr.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}");
                yield return Arg(k, $"{name}.LearningRate = {lr}", () => make([Grad(Half(2))]).LearningRate = lr, "value", "learning rate");
            }
            yield return Arg(k, $"{name}: a Float64 Grad on a Float32 parameter (rejected by the Grad setter before Step)", () =>
            {
                var p = Grad(Half(2));
                var opt = make([p]);
                p.Grad = Full(DType.Float64, 1, 2);
                opt.Step();
                return null;
            }, "value", "Float32", "Float64");
        }
        foreach (var (name, make) in new (string, Func<double, Optimizer>)[]
        {
            ("SGD weightDecay", v => new SGD([Grad(Half(2))], 0.1, weightDecay: v)), ("Adam weightDecay", v => new Adam([Grad(Half(2))], weightDecay: v)),
            ("AdamW weightDecay", v => new AdamW([Grad(Half(2))], weightDecay: v)), ("SGD momentum", v => new SGD([Grad(Half(2))], 0.1, momentum: v)),
            ("Adam eps", v => new Adam([Grad(Half(2))], eps: v)), ("AdamW eps", v => new AdamW([Grad(Half(2))], eps: v)),
        })
        {
            string param = name.Split(' ')[1];
            foreach (double v in new[] { -0.1, double.NaN, double.NegativeInfinity })
                yield return Arg(k, $"{name} {v}", () => make(v), param, v.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
        }
        foreach (double v in new[] { double.NaN, double.PositiveInfinity })
            yield return Arg(k, $"SGD dampening {v}", () => new SGD([Grad(Half(2))], 0.1, momentum: 0.9, dampening: v), "dampening", "finite");
        yield return Arg(k, "SGD nesterov with momentum 0", () => new SGD([Grad(Half(2))], 0.1, nesterov: true), "nesterov", "momentum 0");
        yield return Arg(k, "SGD nesterov with dampening 0.1", () => new SGD([Grad(Half(2))], 0.1, momentum: 0.9, dampening: 0.1, nesterov: true), "nesterov", "dampening 0.1");
        foreach (var (opt, beta) in new[] { ("Adam", "beta1"), ("Adam", "beta2"), ("AdamW", "beta1"), ("AdamW", "beta2") })
        {
            foreach (double v in new[] { -0.1, 1.0, 1.5, double.NaN })
            {
                Func<object?> call = (opt, beta) switch
                {
                    ("Adam", "beta1") => () => new Adam([Grad(Half(2))], beta1: v),
                    ("Adam", _) => () => new Adam([Grad(Half(2))], beta2: v),
                    (_, "beta1") => () => new AdamW([Grad(Half(2))], beta1: v),
                    _ => () => new AdamW([Grad(Half(2))], beta2: v),
                };
                yield return Arg(k, $"{opt} {beta} {v}", call, beta, "[0, 1)", v.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
            }
        }
    }
}
