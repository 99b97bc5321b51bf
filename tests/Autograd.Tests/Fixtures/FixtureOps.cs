namespace Autograd.Tests.Fixtures;

/// <summary>
/// The C# side of the op table in <c>tools/gen_core_fixtures.py</c> (OPS): each op id maps to the
/// same expression written with the Autograd API.
/// </summary>
public static class FixtureOps
{
    /// <summary>Every op id this table implements.</summary>
    public static readonly IReadOnlySet<string> Known = new HashSet<string>
    {
        "add", "sub", "mul", "div",
        "add_scalar", "radd_scalar", "sub_scalar", "rsub_scalar", "mul_scalar", "rmul_scalar", "div_scalar", "rdiv_scalar",
        "neg", "pow", "exp", "log", "sqrt", "abs", "sigmoid", "tanh", "relu", "clamp",
        "matmul",
        "sum_all", "mean_all", "sum", "mean", "max", "min", "max_all", "min_all", "argmax", "argmin",
        "logsumexp", "softmax", "log_softmax",
        "reshape", "transpose", "unsqueeze", "squeeze_all", "squeeze", "expand", "narrow", "select", "concat", "stack",
        "gather", "where",
        "eq", "ne", "gt", "ge", "lt", "le", "eq_scalar", "ne_scalar", "gt_scalar", "ge_scalar", "lt_scalar", "le_scalar",
        "to",
        "chain_sigmoid_exp_sum_logsoftmax", "chain_linear_tanh_pow_mean", "chain_cross_entropy", "chain_reuse",
        "chain_layer_norm", "chain_mlp_logsumexp", "chain_transpose_reshape", "chain_concat_narrow_stack",
        "chain_where_clamp", "chain_expand_div_select", "chain_to_float64", "chain_attention", "chain_squeeze_max_min",
        "cube_pow", "cube_mul", "tanh_sigmoid_chain", "exp_log_chain", "recip_chain", "mul_tanh", "matmul_tanh",
        "mlp_tanh_nll",
    };

    /// <summary>Applies the case's op to the given input tensors.</summary>
    public static Tensor Apply(CoreOpCase c, Tensor[] x) => c.Op switch
    {
        // binary, broadcasting
        "add" => x[0] + x[1],
        "sub" => x[0] - x[1],
        "mul" => x[0] * x[1],
        "div" => x[0] / x[1],

        // tensor (op) scalar
        "add_scalar" => x[0] + c.Double("scalar"),
        "radd_scalar" => c.Double("scalar") + x[0],
        "sub_scalar" => x[0] - c.Double("scalar"),
        "rsub_scalar" => c.Double("scalar") - x[0],
        "mul_scalar" => x[0] * c.Double("scalar"),
        "rmul_scalar" => c.Double("scalar") * x[0],
        "div_scalar" => x[0] / c.Double("scalar"),
        "rdiv_scalar" => c.Double("scalar") / x[0],

        // unary
        "neg" => -x[0],
        "pow" => x[0].Pow(c.Double("exponent")),
        "exp" => x[0].Exp(),
        "log" => x[0].Log(),
        "sqrt" => x[0].Sqrt(),
        "abs" => x[0].Abs(),
        "sigmoid" => x[0].Sigmoid(),
        "tanh" => x[0].Tanh(),
        "relu" => x[0].Relu(),
        "clamp" => x[0].Clamp(c.OptionalDouble("min"), c.OptionalDouble("max")),

        "matmul" => x[0].MatMul(x[1]),

        // reductions
        "sum_all" => x[0].Sum(),
        "mean_all" => x[0].Mean(),
        "sum" => x[0].Sum(c.Int("dim"), c.Bool("keepdim")),
        "mean" => x[0].Mean(c.Int("dim"), c.Bool("keepdim")),
        "max" => x[0].Max(c.Int("dim"), c.Bool("keepdim")),
        "min" => x[0].Min(c.Int("dim"), c.Bool("keepdim")),
        "max_all" => x[0].Max(),
        "min_all" => x[0].Min(),
        "argmax" => x[0].ArgMax(c.Int("dim"), c.Bool("keepdim")),
        "argmin" => x[0].ArgMin(c.Int("dim"), c.Bool("keepdim")),

        // softmax family
        "logsumexp" => x[0].LogSumExp(c.Int("dim"), c.Bool("keepdim")),
        "softmax" => x[0].Softmax(c.Int("dim")),
        "log_softmax" => x[0].LogSoftmax(c.Int("dim")),

        // shape
        "reshape" => x[0].Reshape(c.Ints("shape")),
        "transpose" => x[0].Transpose(c.Int("dim0"), c.Int("dim1")),
        "unsqueeze" => x[0].Unsqueeze(c.Int("dim")),
        "squeeze_all" => x[0].Squeeze(),
        "squeeze" => x[0].Squeeze(c.Int("dim")),
        "expand" => x[0].Expand(c.Ints("shape")),
        "narrow" => x[0].Narrow(c.Int("dim"), c.Int("start"), c.Int("length")),
        "select" => x[0].Select(c.Int("dim"), c.Int("index")),
        "concat" => Tensor.Concat(x, c.Int("dim")),
        "stack" => Tensor.Stack(x, c.Int("dim")),

        // indexing
        "gather" => x[0].Gather(c.Int("dim"), x[1]),
        "where" => Tensor.Where(x[0], x[1], x[2]),

        // comparisons: 1/0 masks in the operand dtype
        "eq" => x[0].Eq(x[1]),
        "ne" => x[0].Ne(x[1]),
        "gt" => x[0].Gt(x[1]),
        "ge" => x[0].Ge(x[1]),
        "lt" => x[0].Lt(x[1]),
        "le" => x[0].Le(x[1]),
        "eq_scalar" => x[0].Eq(c.Double("scalar")),
        "ne_scalar" => x[0].Ne(c.Double("scalar")),
        "gt_scalar" => x[0].Gt(c.Double("scalar")),
        "ge_scalar" => x[0].Ge(c.Double("scalar")),
        "lt_scalar" => x[0].Lt(c.Double("scalar")),
        "le_scalar" => x[0].Le(c.Double("scalar")),

        "to" => x[0].To(FixtureTensor.ParseDType(c.String("dtype"))),

        // chains (inputs in the order documented in the generator)
        "chain_sigmoid_exp_sum_logsoftmax" => ((x[0] * x[1]).Sigmoid() + x[0].Exp()).Sum(1).LogSoftmax(0),
        "chain_linear_tanh_pow_mean" => (x[0].MatMul(x[1]) + x[2]).Tanh().Pow(2).Mean(),
        "chain_cross_entropy" => -(x[0].LogSoftmax(1).Gather(1, x[1])).Mean(),
        "chain_reuse" => x[0] * x[0] + x[0].Exp() * x[0] - x[0] / 2.0,
        "chain_layer_norm" => LayerNorm(x[0]),
        "chain_mlp_logsumexp" => (x[0].MatMul(x[1]) + x[2]).Relu().MatMul(x[3]).LogSumExp(1),
        "chain_transpose_reshape" => x[0].Transpose(0, 2).Reshape(4, -1) * x[1].Reshape(4, 6),
        "chain_concat_narrow_stack" =>
            Tensor.Stack([Tensor.Concat([x[0].Exp(), x[1]], 1).Narrow(1, 1, 3), x[0] * 2.0], 0).Sum(0),
        "chain_where_clamp" => Tensor.Where(x[0].Gt(0), x[0].Clamp(max: 0.75), x[1] * 0.5).Abs().Sum(0),
        "chain_expand_div_select" => (x[0].Unsqueeze(0).Expand(3, 2, 4) / x[1]).Select(1, 0).Sqrt(),
        "chain_to_float64" => (x[0].To(DType.Float64) * x[1]).Sum(1).Exp(),
        "chain_attention" =>
            (x[0].MatMul(x[1].Transpose(1, 2)) / Math.Sqrt(x[0].Shape[^1])).Softmax(-1).MatMul(x[2]),
        "chain_squeeze_max_min" => x[0].Squeeze(1).Unsqueeze(0).Max(2) - x[0].Squeeze().Min(1),

        // second-order functions
        "cube_pow" => x[0].Pow(3),
        "cube_mul" => x[0] * x[0] * x[0],
        "tanh_sigmoid_chain" => (x[0].Sigmoid() * x[0]).Tanh(),
        "exp_log_chain" => x[0].Log() * x[0].Exp() + x[0].Sqrt(),
        "recip_chain" => 1.0 / x[0] + x[0].Pow(-1.5) / x[0],
        "mul_tanh" => (x[0] * x[1]).Tanh(),
        "matmul_tanh" => x[0].MatMul(x[1]).Tanh(),
        // x (no grad), w1, b1, w2, b2, target: mean NLL of a one-hidden-layer tanh MLP
        "mlp_tanh_nll" =>
            -((x[0].MatMul(x[1]) + x[2]).Tanh().MatMul(x[3]) + x[4]).LogSoftmax(1).Gather(1, x[5]).Mean(),

        _ => throw new NotSupportedException($"Fixture op '{c.Op}' is not mapped in FixtureOps."),
    };

    private static Tensor LayerNorm(Tensor x)
    {
        Tensor c = x - x.Mean(1, keepDim: true);
        return c / (c.Pow(2).Mean(1, keepDim: true) + 1e-5).Sqrt();
    }
}
