#!/usr/bin/python3
"""Generate PyTorch reference fixtures for the core tensor ops of Autograd.

Run with the interpreter that has torch (1.13):

    /usr/bin/python3 tools/gen_core_fixtures.py

Writes tests/Autograd.Tests/Fixtures/core_ops.json. The output is deterministic:
every case seeds its own torch.Generator from the CRC32 of its name, so adding,
removing or reordering cases never changes the data of the other cases.

JSON format
===========

Top level::

    {
      "format": "autograd-core-ops",
      "version": 1,
      "generator": "tools/gen_core_fixtures.py",
      "torch_version": "1.13.0",
      "cases": [ <case>, ... ]          # one case per line
    }

A <tensor> is::

    { "dtype": "float32" | "float64" | "int64",
      "shape": [d0, d1, ...],           # [] for a 0-d tensor
      "data":  [ ... ] }                # flat, row-major (C order), numel entries

Float32 values are written as the exact double value of the float32 (Python's
float of a float32 is exact and repr round-trips), so `(float)double.Parse(s)`
recovers the bits. Float64 values round-trip via repr. Int64 data are JSON
integers. There are no NaN/Inf values anywhere.

An input <tensor> additionally has "requires_grad": true|false.

A <case> is::

    { "name":  unique test name, e.g. "add_bcast_2x3_3_f32",
      "op":    op id (see OPS below; the C# tests mirror this table),
      "group": "binary" | "scalar" | "unary" | "matmul" | "reduction" | "softmax"
               | "shape" | "indexing" | "compare" | "convert" | "chain" | "second_order",
      "tol":   tolerance class: "exact" | "elementwise" | "reduction" | "long_reduction"
               | "matmul" | "chain" (the C# side maps class+dtype to rel/abs tolerances),
      "dtype": "float32" | "float64"    # dtype of the (floating) inputs
      "inputs": [ <input tensor>, ... ],
      "args":  { op arguments, snake_case: "dim", "keepdim", "exponent", "min", "max",
                 "scalar", "shape", "dim0", "dim1", "start", "length", "index",
                 "dtype" (target of `to`) },
      "output": <tensor>,               # op(inputs, args)
      "grad_output": <tensor> | null,   # random, same shape/dtype as output; null when
                                        # the op is not differentiable (argmax, masks)
      "grads": [ <tensor> | null, ... ] | null,
                                        # per input: its .grad after
                                        # output.backward(grad_output); null for inputs
                                        # with requires_grad false
      "hvp": null | { "vectors":  [ <tensor> | null, ... ],
                      "expected": [ <tensor> | null, ... ] }
    }

Second-order cases ("group": "second_order") additionally carry "hvp". With
`xs` = the inputs that require grad, `go` = grad_output, `v_i` = vectors[i]:

    g  = torch.autograd.grad(op(inputs), xs, go, create_graph=True)   # == "grads"
    s  = sum_i (g_i * v_i).sum()
    hv = torch.autograd.grad(s, xs)                                   # == "expected"

i.e. a Hessian-vector product of f(x) = <op(x), go>. For a scalar loss the generator
may fix go = 1 (case hvp_mlp_*), so that "grads" is the loss gradient and "expected" the
Hessian-vector product of the loss itself.

Conventions documented by specific cases (all PyTorch 1.13 behaviour):
  * relu'(0) = 0 and abs'(0) = 0 (cases relu_at_zero_*, abs_at_zero_*),
  * clamp passes the gradient through when x == min or x == max (clamp_at_bounds_*),
  * pow(x, 0) has a zero gradient everywhere,
  * Squeeze(dim) on a dimension whose size is not 1 is a no-op,
  * comparison ops return 1/0 masks, written in the dtype of the operands
    (PyTorch returns bool; the generator converts), and are not differentiable.
"""

import json
import math
import os
import sys

import torch

from fixtures import fixture_path, seeded, tensor_json

OUT_PATH = fixture_path("Autograd.Tests", "core_ops.json")

DTYPES = {"float32": torch.float32, "float64": torch.float64, "int64": torch.int64}
SHORT = {"float32": "f32", "float64": "f64"}
FLOATS = ("float32", "float64")

torch.set_num_threads(1)


# --------------------------------------------------------------------------------------
# Op table. The C# fixture tests implement exactly the same table (FixtureOps.cs).
# Every entry: fn(inputs: list[Tensor], args: dict) -> Tensor
# --------------------------------------------------------------------------------------

def _mask(t, like):
    return t.to(like.dtype)


OPS = {
    # binary, broadcasting
    "add": lambda x, a: x[0] + x[1],
    "sub": lambda x, a: x[0] - x[1],
    "mul": lambda x, a: x[0] * x[1],
    "div": lambda x, a: x[0] / x[1],
    # tensor (op) python scalar
    "add_scalar": lambda x, a: x[0] + a["scalar"],
    "radd_scalar": lambda x, a: a["scalar"] + x[0],
    "sub_scalar": lambda x, a: x[0] - a["scalar"],
    "rsub_scalar": lambda x, a: a["scalar"] - x[0],
    "mul_scalar": lambda x, a: x[0] * a["scalar"],
    "rmul_scalar": lambda x, a: a["scalar"] * x[0],
    "div_scalar": lambda x, a: x[0] / a["scalar"],
    "rdiv_scalar": lambda x, a: a["scalar"] / x[0],
    # unary
    "neg": lambda x, a: -x[0],
    "pow": lambda x, a: x[0].pow(a["exponent"]),
    "exp": lambda x, a: x[0].exp(),
    "log": lambda x, a: x[0].log(),
    "sqrt": lambda x, a: x[0].sqrt(),
    "abs": lambda x, a: x[0].abs(),
    "sigmoid": lambda x, a: x[0].sigmoid(),
    "tanh": lambda x, a: x[0].tanh(),
    "relu": lambda x, a: x[0].relu(),
    "clamp": lambda x, a: x[0].clamp(min=a.get("min"), max=a.get("max")),
    # matmul
    "matmul": lambda x, a: x[0].matmul(x[1]),
    # reductions
    "sum_all": lambda x, a: x[0].sum(),
    "mean_all": lambda x, a: x[0].mean(),
    "sum": lambda x, a: x[0].sum(a["dim"], keepdim=a["keepdim"]),
    "mean": lambda x, a: x[0].mean(a["dim"], keepdim=a["keepdim"]),
    "max": lambda x, a: x[0].max(a["dim"], keepdim=a["keepdim"]).values,
    "min": lambda x, a: x[0].min(a["dim"], keepdim=a["keepdim"]).values,
    "max_all": lambda x, a: x[0].max(),
    "min_all": lambda x, a: x[0].min(),
    "argmax": lambda x, a: x[0].argmax(a["dim"], keepdim=a["keepdim"]),
    "argmin": lambda x, a: x[0].argmin(a["dim"], keepdim=a["keepdim"]),
    # softmax family
    "logsumexp": lambda x, a: x[0].logsumexp(a["dim"], keepdim=a["keepdim"]),
    "softmax": lambda x, a: x[0].softmax(a["dim"]),
    "log_softmax": lambda x, a: x[0].log_softmax(a["dim"]),
    # shape
    "reshape": lambda x, a: x[0].reshape(a["shape"]),
    "transpose": lambda x, a: x[0].transpose(a["dim0"], a["dim1"]),
    "unsqueeze": lambda x, a: x[0].unsqueeze(a["dim"]),
    "squeeze_all": lambda x, a: x[0].squeeze(),
    "squeeze": lambda x, a: x[0].squeeze(a["dim"]),
    "expand": lambda x, a: x[0].expand(a["shape"]),
    "narrow": lambda x, a: x[0].narrow(a["dim"], a["start"], a["length"]),
    "select": lambda x, a: x[0].select(a["dim"], a["index"]),
    "concat": lambda x, a: torch.cat(list(x), a["dim"]),
    "stack": lambda x, a: torch.stack(list(x), a["dim"]),
    # indexing
    "gather": lambda x, a: x[0].gather(a["dim"], x[1]),
    "where": lambda x, a: torch.where(x[0] != 0, x[1], x[2]),
    # comparisons -> 1/0 in the operand dtype
    "eq": lambda x, a: _mask(x[0] == x[1], x[0]),
    "ne": lambda x, a: _mask(x[0] != x[1], x[0]),
    "gt": lambda x, a: _mask(x[0] > x[1], x[0]),
    "ge": lambda x, a: _mask(x[0] >= x[1], x[0]),
    "lt": lambda x, a: _mask(x[0] < x[1], x[0]),
    "le": lambda x, a: _mask(x[0] <= x[1], x[0]),
    "eq_scalar": lambda x, a: _mask(x[0] == a["scalar"], x[0]),
    "ne_scalar": lambda x, a: _mask(x[0] != a["scalar"], x[0]),
    "gt_scalar": lambda x, a: _mask(x[0] > a["scalar"], x[0]),
    "ge_scalar": lambda x, a: _mask(x[0] >= a["scalar"], x[0]),
    "lt_scalar": lambda x, a: _mask(x[0] < a["scalar"], x[0]),
    "le_scalar": lambda x, a: _mask(x[0] <= a["scalar"], x[0]),
    # dtype conversion
    "to": lambda x, a: x[0].to(DTYPES[a["dtype"]]),
}

# Chains (composite expressions). Inputs named in the comment, in order.
# x, y
OPS["chain_sigmoid_exp_sum_logsoftmax"] = \
    lambda x, a: ((x[0] * x[1]).sigmoid() + x[0].exp()).sum(1).log_softmax(0)
# x (n,k), w (k,m), b (m)
OPS["chain_linear_tanh_pow_mean"] = \
    lambda x, a: (x[0].matmul(x[1]) + x[2]).tanh().pow(2).mean()
# logits (n,c), target int64 (n,1)
OPS["chain_cross_entropy"] = \
    lambda x, a: -(x[0].log_softmax(1).gather(1, x[1])).mean()
# x (gradient accumulation through reuse)
OPS["chain_reuse"] = lambda x, a: x[0] * x[0] + x[0].exp() * x[0] - x[0] / 2.0
# x (n,d): layer-norm without affine
OPS["chain_layer_norm"] = lambda x, a: _layer_norm(x[0])
# x (n,k), w1 (k,h), b1 (h), w2 (h,c)
OPS["chain_mlp_logsumexp"] = \
    lambda x, a: ((x[0].matmul(x[1]) + x[2]).relu().matmul(x[3])).logsumexp(1)
# x (2,3,4), y (4,3,2): non-contiguous reshape
OPS["chain_transpose_reshape"] = \
    lambda x, a: x[0].transpose(0, 2).reshape(4, -1) * x[1].reshape(4, 6)
# x (2,3), y (2,2)
OPS["chain_concat_narrow_stack"] = \
    lambda x, a: torch.stack([torch.cat([x[0].exp(), x[1]], 1).narrow(1, 1, 3),
                              x[0] * 2.0], 0).sum(0)
# x (2,3), y (2,3)
OPS["chain_where_clamp"] = \
    lambda x, a: torch.where(x[0] > 0, x[0].clamp(max=0.75), x[1] * 0.5).abs().sum(0)
# x (2,4), y (3,1,4)
OPS["chain_expand_div_select"] = \
    lambda x, a: (x[0].unsqueeze(0).expand(3, 2, 4) / x[1]).select(1, 0).sqrt()
# x float32 (2,3), y float64 (2,3)
OPS["chain_to_float64"] = \
    lambda x, a: (x[0].to(torch.float64) * x[1]).sum(1).exp()
# q (b,t,d), k (b,t,d), v (b,t,d): scaled dot-product attention
OPS["chain_attention"] = \
    lambda x, a: (x[0].matmul(x[1].transpose(1, 2)) / math.sqrt(x[0].shape[-1])) \
    .softmax(-1).matmul(x[2])
# x (3,1,4): squeeze/unsqueeze/max/min
OPS["chain_squeeze_max_min"] = \
    lambda x, a: x[0].squeeze(1).unsqueeze(0).max(2).values - x[0].squeeze().min(1).values
# second-order functions (single input x unless noted)
OPS["cube_pow"] = lambda x, a: x[0].pow(3)
OPS["cube_mul"] = lambda x, a: x[0] * x[0] * x[0]
OPS["tanh_sigmoid_chain"] = lambda x, a: (x[0].sigmoid() * x[0]).tanh()
OPS["exp_log_chain"] = lambda x, a: x[0].log() * x[0].exp() + x[0].sqrt()
OPS["recip_chain"] = lambda x, a: 1.0 / x[0] + x[0].pow(-1.5) / x[0]
# x, y
OPS["mul_tanh"] = lambda x, a: (x[0] * x[1]).tanh()
# x (n,k), w (k,m)
OPS["matmul_tanh"] = lambda x, a: x[0].matmul(x[1]).tanh()
# x (n,k) (no grad), w1 (k,h), b1 (h), w2 (h,c), b2 (c), target int64 (n,1):
# mean negative log-likelihood of a one-hidden-layer tanh MLP
OPS["mlp_tanh_nll"] = \
    lambda x, a: -((x[0].matmul(x[1]) + x[2]).tanh().matmul(x[3]) + x[4]) \
    .log_softmax(dim=1).gather(1, x[5]).mean()


def _layer_norm(x):
    c = x - x.mean(1, keepdim=True)
    return c / (c.pow(2).mean(1, keepdim=True) + 1e-5).sqrt()


# --------------------------------------------------------------------------------------
# Data helpers
# --------------------------------------------------------------------------------------

class Rng:
    def __init__(self, name):
        self.g = seeded(name)

    def normal(self, shape, dtype):
        return torch.randn(shape, generator=self.g, dtype=torch.float64).to(DTYPES[dtype])

    def positive(self, shape, dtype):
        # in [0.25, 1.75]
        return (torch.rand(shape, generator=self.g, dtype=torch.float64) * 1.5 + 0.25) \
            .to(DTYPES[dtype])

    def nonzero(self, shape, dtype):
        # |x| in [0.25, 1.5], random sign
        mag = torch.rand(shape, generator=self.g, dtype=torch.float64) * 1.25 + 0.25
        sign = torch.randint(0, 2, shape, generator=self.g).to(torch.float64) * 2 - 1
        return (mag * sign).to(DTYPES[dtype])

    def ints(self, shape, dtype, lo=-2, hi=3):
        return torch.randint(lo, hi, shape, generator=self.g).to(DTYPES[dtype])

    def index(self, shape, high):
        return torch.randint(0, high, shape, generator=self.g, dtype=torch.int64)

    def like(self, t):
        return torch.randn(t.shape, generator=self.g, dtype=torch.float64).to(t.dtype)


def case_tensor(t):
    """A tensor as core_ops.json holds it: with its dtype, and finite numbers only."""
    return tensor_json(t, with_dtype=True, finite=True)


CASES = []
NAMES = set()


def add_case(name, op, group, tol, dtype, inputs, args=None, rg=None, hvp=False, go=None):
    """inputs: list of tensors; rg: list of requires_grad flags (default: floats True);
    go: the grad_output (default: random, like the output)."""
    if name in NAMES:
        raise ValueError("duplicate case name " + name)
    NAMES.add(name)
    args = dict(args or {})
    if rg is None:
        rg = [t.is_floating_point() for t in inputs]
    rng = Rng(name + "/grad_output")
    leaves = []
    for t, r in zip(inputs, rg):
        leaf = t.detach().clone()
        if r:
            leaf.requires_grad_(True)
        leaves.append(leaf)
    out = OPS[op](leaves, args)
    case = {
        "name": name, "op": op, "group": group, "tol": tol, "dtype": dtype,
        "inputs": [dict(case_tensor(t), requires_grad=bool(r)) for t, r in zip(inputs, rg)],
        "args": args,
        "output": case_tensor(out),
        "grad_output": None, "grads": None, "hvp": None,
    }
    if out.requires_grad:
        go = rng.like(out) if go is None else go.to(out.dtype)
        case["grad_output"] = case_tensor(go)
        xs = [leaf for leaf, r in zip(leaves, rg) if r]
        if hvp:
            gs = torch.autograd.grad(out, xs, go, create_graph=True)
            vs = [rng.like(x) for x in xs]
            s = sum((g * v).sum() for g, v in zip(gs, vs))
            hvs = torch.autograd.grad(s, xs)
            it_g, it_v, it_h = iter(gs), iter(vs), iter(hvs)
            grads, vecs, exps = [], [], []
            for r in rg:
                if r:
                    grads.append(case_tensor(next(it_g)))
                    vecs.append(case_tensor(next(it_v)))
                    exps.append(case_tensor(next(it_h)))
                else:
                    grads.append(None)
                    vecs.append(None)
                    exps.append(None)
            case["grads"] = grads
            case["hvp"] = {"vectors": vecs, "expected": exps}
        else:
            out.backward(go)
            case["grads"] = [case_tensor(leaf.grad) if r else None
                             for leaf, r in zip(leaves, rg)]
    else:
        assert not hvp
    CASES.append(case)


def sh(shape):
    return "x".join(str(d) for d in shape) if len(shape) else "scalar"


def no_ties(t, dim=None):
    """Assert the max and min along dim (or overall) are unique."""
    if dim is None:
        t = t.reshape(-1)
        dim = 0
    for red in (torch.max, torch.min):
        v = red(t, dim, keepdim=True).values
        assert int(((t == v).sum(dim) != 1).sum()) == 0, "tie in max/min fixture"


# --------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------

def gen_binary():
    shapes = [((2, 3), (2, 3)), ((2, 3), (3,)), ((3,), (2, 3)), ((2, 1), (1, 3)),
              ((4, 1, 3), (2, 1)), ((), (2, 3)), ((2, 3), ()), ((), ()), ((1,), (2, 3)),
              ((2, 3, 4), (3, 1))]
    for op in ("add", "sub", "mul", "div"):
        for dt in FLOATS:
            for sa, sb in shapes:
                name = "%s_%s_%s_%s" % (op, sh(sa), sh(sb), SHORT[dt])
                r = Rng(name)
                a = r.normal(sa, dt)
                b = r.nonzero(sb, dt) if op == "div" else r.normal(sb, dt)
                add_case(name, op, "binary", "elementwise", dt, [a, b])
        # only one side requires grad
        for dt in FLOATS:
            name = "%s_2x3_3_rhs_no_grad_%s" % (op, SHORT[dt])
            r = Rng(name)
            a = r.normal((2, 3), dt)
            b = r.nonzero((3,), dt)
            add_case(name, op, "binary", "elementwise", dt, [a, b], rg=[True, False])
            name = "%s_2x3_3_lhs_no_grad_%s" % (op, SHORT[dt])
            r = Rng(name)
            a = r.normal((2, 3), dt)
            b = r.nonzero((3,), dt)
            add_case(name, op, "binary", "elementwise", dt, [a, b], rg=[False, True])


def gen_scalar():
    for op, s in (("add_scalar", 2.5), ("radd_scalar", -1.5), ("sub_scalar", 0.75),
                  ("rsub_scalar", 3.0), ("mul_scalar", -2.5), ("rmul_scalar", 0.375),
                  ("div_scalar", 3.0), ("div_scalar", -0.5), ("rdiv_scalar", 2.0)):
        for dt in FLOATS:
            for shape in ((2, 3), ()):
                name = "%s_%s_%s_%s" % (op, ("%g" % s).replace("-", "m").replace(".", "p"),
                                        sh(shape), SHORT[dt])
                r = Rng(name)
                x = r.nonzero(shape, dt) if op == "rdiv_scalar" else r.normal(shape, dt)
                add_case(name, op, "scalar", "elementwise", dt, [x], {"scalar": s})
    for dt in FLOATS:
        for shape in ((2, 3), ()):
            name = "neg_%s_%s" % (sh(shape), SHORT[dt])
            add_case(name, "neg", "unary", "elementwise", dt, [Rng(name).normal(shape, dt)])


def gen_unary():
    for dt in FLOATS:
        s = SHORT[dt]
        # pow
        for e, kind in ((2.0, "normal"), (0.5, "positive"), (-1.0, "nonzero"),
                        (3.0, "normal"), (0.0, "normal"), (2.5, "positive"),
                        (-0.5, "positive"), (1.0, "normal")):
            name = "pow_%s_%s" % (("%g" % e).replace("-", "m").replace(".", "p"), s)
            x = getattr(Rng(name), kind)((2, 3), dt)
            add_case(name, "pow", "unary", "elementwise", dt, [x], {"exponent": e})
        name = "pow_2_scalar_" + s
        add_case(name, "pow", "unary", "elementwise", dt, [Rng(name).normal((), dt)],
                 {"exponent": 2.0})
        # simple unaries
        for op, kind in (("exp", "normal"), ("log", "positive"), ("sqrt", "positive"),
                         ("abs", "nonzero"), ("sigmoid", "normal"), ("tanh", "normal"),
                         ("relu", "nonzero")):
            for shape in ((2, 3), (), (2, 2, 3)):
                name = "%s_%s_%s" % (op, sh(shape), s)
                x = getattr(Rng(name), kind)(shape, dt)
                add_case(name, op, "unary", "elementwise", dt, [x])
        # wider range for exp/sigmoid/tanh/log
        name = "exp_wide_" + s
        x = torch.tensor([-20.0, -5.0, -0.5, 0.0, 1.0, 10.0, 30.0, 50.0], dtype=DTYPES[dt])
        add_case(name, "exp", "unary", "elementwise", dt, [x])
        name = "log_wide_" + s
        x = torch.tensor([1e-6, 1e-3, 0.5, 1.0, 2.0, 100.0, 1e5, 1e10], dtype=DTYPES[dt])
        add_case(name, "log", "unary", "elementwise", dt, [x])
        name = "sqrt_wide_" + s
        x = torch.tensor([1e-6, 0.01, 0.25, 1.0, 2.0, 100.0, 1e5, 1e10], dtype=DTYPES[dt])
        add_case(name, "sqrt", "unary", "elementwise", dt, [x])
        name = "sigmoid_wide_" + s
        x = torch.tensor([-30.0, -10.0, -2.0, -0.1, 0.1, 2.0, 10.0, 30.0], dtype=DTYPES[dt])
        add_case(name, "sigmoid", "unary", "elementwise", dt, [x])
        name = "tanh_wide_" + s
        x = torch.tensor([-30.0, -5.0, -1.0, -1e-3, 1e-3, 1.0, 5.0, 30.0], dtype=DTYPES[dt])
        add_case(name, "tanh", "unary", "elementwise", dt, [x])
        # PyTorch convention at 0: relu'(0) = 0, abs'(0) = 0
        for op in ("relu", "abs"):
            name = "%s_at_zero_%s" % (op, s)
            x = torch.tensor([[-1.5, 0.0, 2.0], [0.0, -0.0, 0.5]], dtype=DTYPES[dt])
            add_case(name, op, "unary", "elementwise", dt, [x])
        # clamp
        for tag, mn, mx in (("min_max", -0.5, 0.5), ("min_only", -0.25, None),
                            ("max_only", None, 0.3)):
            for shape in ((3, 4), ()):
                name = "clamp_%s_%s_%s" % (tag, sh(shape), s)
                x = Rng(name).normal(shape, dt)
                args = {}
                if mn is not None:
                    args["min"] = mn
                if mx is not None:
                    args["max"] = mx
                add_case(name, "clamp", "unary", "elementwise", dt, [x], args)
        # clamp: PyTorch passes the gradient through at x == min and x == max
        name = "clamp_at_bounds_" + s
        x = torch.tensor([[-1.0, -0.5, 0.0], [0.25, 0.5, 1.0]], dtype=DTYPES[dt])
        add_case(name, "clamp", "unary", "elementwise", dt, [x], {"min": -0.5, "max": 0.5})


def gen_matmul():
    shapes = [((3,), (3,), "1d_1d"), ((3,), (3, 4), "1d_2d"), ((2, 3), (3,), "2d_1d"),
              ((2, 3), (3, 4), "2d_2d"), ((5, 7), (7, 6), "2d_2d_larger"),
              ((2, 2, 3), (2, 3, 4), "3d_3d"), ((2, 2, 3), (3, 4), "3d_2d"),
              ((2, 3), (2, 3, 4), "2d_3d"), ((1, 2, 3), (4, 3, 2), "3d_3d_batch_bcast"),
              ((3,), (2, 3, 4), "1d_3d"), ((2, 3, 4), (4,), "3d_1d"),
              ((1, 1), (1, 1), "1x1")]
    for dt in FLOATS:
        for sa, sb, tag in shapes:
            name = "matmul_%s_%s" % (tag, SHORT[dt])
            r = Rng(name)
            add_case(name, "matmul", "matmul", "matmul", dt, [r.normal(sa, dt), r.normal(sb, dt)])
        name = "matmul_2d_2d_rhs_no_grad_" + SHORT[dt]
        r = Rng(name)
        add_case(name, "matmul", "matmul", "matmul", dt,
                 [r.normal((2, 3), dt), r.normal((3, 4), dt)], rg=[True, False])


def gen_reductions():
    for dt in FLOATS:
        s = SHORT[dt]
        for shape in ((2, 3), (), (2, 3, 4), (5,)):
            for op in ("sum_all", "mean_all"):
                name = "%s_%s_%s" % (op, sh(shape), s)
                add_case(name, op, "reduction", "reduction", dt, [Rng(name).normal(shape, dt)])
            if len(shape) > 0:
                for op in ("max_all", "min_all"):
                    name = "%s_%s_%s" % (op, sh(shape), s)
                    x = Rng(name).normal(shape, dt)
                    no_ties(x)
                    add_case(name, op, "reduction", "exact", dt, [x])
        dims = [((2, 3), 0), ((2, 3), 1), ((2, 3), -1), ((2, 3), -2), ((2, 3, 4), 1),
                ((2, 3, 4), -1), ((2, 3, 4), 0), ((5,), 0), ((5,), -1)]
        for shape, dim in dims:
            for kd in (False, True):
                for op in ("sum", "mean", "max", "min", "argmax", "argmin"):
                    name = "%s_%s_dim%s_%s_%s" % (op, sh(shape), str(dim).replace("-", "m"),
                                                  "keep" if kd else "nokeep", s)
                    x = Rng(name).normal(shape, dt)
                    if op in ("max", "min", "argmax", "argmin"):
                        no_ties(x, dim)
                    tol = "reduction" if op in ("sum", "mean") else "exact"
                    add_case(name, op, "reduction", tol, dt, [x], {"dim": dim, "keepdim": kd})
        # long reductions
        for op in ("sum", "mean"):
            name = "%s_long_4x256_dim1_%s" % (op, s)
            add_case(name, op, "reduction", "long_reduction", dt,
                     [Rng(name).normal((4, 256), dt)], {"dim": 1, "keepdim": False})
        for op in ("sum_all", "mean_all"):
            name = "%s_long_16x32_%s" % (op, s)
            add_case(name, op, "reduction", "long_reduction", dt, [Rng(name).normal((16, 32), dt)])


def gen_softmax():
    for dt in FLOATS:
        s = SHORT[dt]
        for shape, dim in (((2, 3), 1), ((2, 3), 0), ((2, 3), -1), ((2, 3, 4), 1),
                           ((2, 3, 4), -1), ((5,), 0)):
            d = str(dim).replace("-", "m")
            for op in ("softmax", "log_softmax"):
                name = "%s_%s_dim%s_%s" % (op, sh(shape), d, s)
                add_case(name, op, "softmax", "reduction", dt, [Rng(name).normal(shape, dt) * 2],
                         {"dim": dim})
            for kd in (False, True):
                name = "logsumexp_%s_dim%s_%s_%s" % (sh(shape), d, "keep" if kd else "nokeep", s)
                add_case(name, "logsumexp", "softmax", "reduction", dt,
                         [Rng(name).normal(shape, dt) * 2], {"dim": dim, "keepdim": kd})
        # extreme logits: must stay finite (max-subtraction)
        x = torch.tensor([[1e4, -1e4, 0.5, 1e4 - 1.0],
                          [-1e4, -1e4 + 2.0, -1e4 + 0.5, -1e4 - 3.0],
                          [1e4, 0.0, -1e4, 1.0]], dtype=DTYPES[dt])
        for dim in (1, 0):
            for op in ("softmax", "log_softmax"):
                name = "%s_extreme_dim%d_%s" % (op, dim, s)
                add_case(name, op, "softmax", "reduction", dt, [x], {"dim": dim})
            for kd in (False, True):
                name = "logsumexp_extreme_dim%d_%s_%s" % (dim, "keep" if kd else "nokeep", s)
                add_case(name, "logsumexp", "softmax", "reduction", dt, [x],
                         {"dim": dim, "keepdim": kd})


def gen_shape():
    for dt in FLOATS:
        s = SHORT[dt]

        def c(name, op, shape, args, tol="exact"):
            name = name + "_" + s
            add_case(name, op, "shape", tol, dt, [Rng(name).normal(shape, dt)], args)

        c("reshape_2x3x4_to_6xm1", "reshape", (2, 3, 4), {"shape": [6, -1]})
        c("reshape_2x3_to_m1", "reshape", (2, 3), {"shape": [-1]})
        c("reshape_6_to_2xm1x1", "reshape", (6,), {"shape": [2, -1, 1]})
        c("reshape_2x3_to_3x2", "reshape", (2, 3), {"shape": [3, 2]})
        c("reshape_scalar_to_1x1", "reshape", (), {"shape": [1, 1]})
        c("reshape_1x1_to_scalar", "reshape", (1, 1), {"shape": []})
        c("transpose_2x3_0_1", "transpose", (2, 3), {"dim0": 0, "dim1": 1})
        c("transpose_2x3x4_0_2", "transpose", (2, 3, 4), {"dim0": 0, "dim1": 2})
        c("transpose_2x3x4_m1_m2", "transpose", (2, 3, 4), {"dim0": -1, "dim1": -2})
        c("transpose_2x3_1_1", "transpose", (2, 3), {"dim0": 1, "dim1": 1})
        c("unsqueeze_2x3_0", "unsqueeze", (2, 3), {"dim": 0})
        c("unsqueeze_2x3_1", "unsqueeze", (2, 3), {"dim": 1})
        c("unsqueeze_2x3_2", "unsqueeze", (2, 3), {"dim": 2})
        c("unsqueeze_2x3_m1", "unsqueeze", (2, 3), {"dim": -1})
        c("unsqueeze_2x3_m3", "unsqueeze", (2, 3), {"dim": -3})
        c("unsqueeze_scalar_0", "unsqueeze", (), {"dim": 0})
        c("squeeze_all_1x3x1x2", "squeeze_all", (1, 3, 1, 2), {})
        c("squeeze_all_1x1", "squeeze_all", (1, 1), {})
        c("squeeze_2x1x3_1", "squeeze", (2, 1, 3), {"dim": 1})
        c("squeeze_2x1x3_m2", "squeeze", (2, 1, 3), {"dim": -2})
        c("squeeze_2x1x3_noop_0", "squeeze", (2, 1, 3), {"dim": 0})
        c("expand_3x1_to_2x3x4", "expand", (3, 1), {"shape": [2, 3, 4]}, "reduction")
        c("expand_1x3_to_4x3", "expand", (1, 3), {"shape": [4, 3]}, "reduction")
        c("expand_scalar_to_2x3", "expand", (), {"shape": [2, 3]}, "reduction")
        c("expand_3_to_2x3", "expand", (3,), {"shape": [2, 3]}, "reduction")
        c("expand_2x1_m1_to_2x4", "expand", (2, 1), {"shape": [-1, 4]}, "reduction")
        c("narrow_3x4_1_1_2", "narrow", (3, 4), {"dim": 1, "start": 1, "length": 2})
        c("narrow_3x4_0_2_1", "narrow", (3, 4), {"dim": 0, "start": 2, "length": 1})
        c("narrow_2x3x4_m1_0_3", "narrow", (2, 3, 4), {"dim": -1, "start": 0, "length": 3})
        c("narrow_2x3x4_1_1_2", "narrow", (2, 3, 4), {"dim": 1, "start": 1, "length": 2})
        c("select_2x3x4_0_1", "select", (2, 3, 4), {"dim": 0, "index": 1})
        c("select_2x3x4_1_2", "select", (2, 3, 4), {"dim": 1, "index": 2})
        c("select_2x3x4_m1_3", "select", (2, 3, 4), {"dim": -1, "index": 3})
        c("select_5_0_4", "select", (5,), {"dim": 0, "index": 4})

        def multi(name, op, shapes, dim, rg=None):
            name = name + "_" + s
            r = Rng(name)
            add_case(name, op, "shape", "exact", dt, [r.normal(x, dt) for x in shapes],
                     {"dim": dim}, rg=rg)

        multi("concat_2x3_4x3_dim0", "concat", [(2, 3), (4, 3)], 0)
        multi("concat_2x1_2x3_2x2_dim1", "concat", [(2, 1), (2, 3), (2, 2)], 1)
        multi("concat_2x3x1_2x3x2_dimm1", "concat", [(2, 3, 1), (2, 3, 2)], -1)
        multi("concat_2x1x2_2x3x2_dim1", "concat", [(2, 1, 2), (2, 3, 2)], 1)
        multi("concat_3_2_dim0", "concat", [(3,), (2,)], 0)
        multi("concat_single_2x3_dim0", "concat", [(2, 3)], 0)
        multi("concat_partial_grad_2x3_2x3_dim0", "concat", [(2, 3), (2, 3)], 0,
              rg=[False, True])
        multi("stack_2x3_2x3_dim0", "stack", [(2, 3), (2, 3)], 0)
        multi("stack_2x3_2x3_2x3_dim1", "stack", [(2, 3), (2, 3), (2, 3)], 1)
        multi("stack_2x3_2x3_dim2", "stack", [(2, 3), (2, 3)], 2)
        multi("stack_2x3_2x3_dimm1", "stack", [(2, 3), (2, 3)], -1)
        multi("stack_2x3_2x3_dimm3", "stack", [(2, 3), (2, 3)], -3)
        multi("stack_scalars_dim0", "stack", [(), (), ()], 0)
        multi("stack_partial_grad_3_3_dim0", "stack", [(3,), (3,)], 0, rg=[True, False])


def gen_indexing():
    for dt in FLOATS:
        s = SHORT[dt]
        # gather (duplicate indices exercise scatter-add in backward)
        for tag, xs, dim, ishape in (("3x4_dim1", (3, 4), 1, (3, 2)),
                                     ("3x4_dim0", (3, 4), 0, (2, 4)),
                                     ("3x4_dimm1_dup", (3, 4), -1, (3, 5)),
                                     ("3x4_dim1_smaller", (3, 4), 1, (2, 3)),
                                     ("2x3x4_dim1", (2, 3, 4), 1, (2, 4, 4)),
                                     ("5_dim0", (5,), 0, (7,))):
            name = "gather_%s_%s" % (tag, s)
            r = Rng(name)
            x = r.normal(xs, dt)
            idx = r.index(ishape, xs[dim])
            add_case(name, "gather", "indexing", "reduction", dt, [x, idx], {"dim": dim},
                     rg=[True, False])
        # where
        for tag, cs, as_, bs, cdt in (("2x3_int64_mask", (2, 3), (2, 3), (2, 3), "int64"),
                                      ("2x3_float_mask", (2, 3), (2, 3), (2, 3), dt),
                                      ("bcast_2x3_2x3_1x3", (2, 3), (2, 3), (1, 3), dt),
                                      ("bcast_2x3_scalar_2x3", (2, 3), (), (2, 3), "int64"),
                                      ("bcast_3_2x1_2x3", (3,), (2, 1), (2, 3), dt)):
            name = "where_%s_%s" % (tag, s)
            r = Rng(name)
            cond = r.ints(cs, cdt, 0, 2)
            cond.view(-1)[0] = 1
            cond.view(-1)[-1] = 0
            a = r.normal(as_, dt)
            b = r.normal(bs, dt)
            add_case(name, "where", "indexing",
                     "exact" if as_ == bs == cs else "reduction",
                     dt, [cond, a, b], {}, rg=[False, True, True])


def gen_compare():
    for dt in FLOATS:
        s = SHORT[dt]
        for op in ("eq", "ne", "gt", "ge", "lt", "le"):
            for tag, sa, sb in (("3x4_3x4", (3, 4), (3, 4)), ("3x4_4", (3, 4), (4,)),
                                ("2x1_1x3", (2, 1), (1, 3))):
                name = "%s_%s_%s" % (op, tag, s)
                r = Rng(name)
                add_case(name, op, "compare", "exact", dt, [r.ints(sa, dt), r.ints(sb, dt)])
            name = "%s_scalar_3x4_%s" % (op, s)
            add_case(name, op + "_scalar", "compare", "exact", dt, [Rng(name).ints((3, 4), dt)],
                     {"scalar": 1.0})
            name = "%s_scalar_half_3x4_%s" % (op, s)
            add_case(name, op + "_scalar", "compare", "exact", dt,
                     [Rng(name).ints((3, 4), dt) * 0.5], {"scalar": -0.5})


def gen_convert():
    for src, dst in (("float32", "float64"), ("float64", "float32"), ("float32", "float32"),
                     ("float64", "float64")):
        for shape in ((2, 3), ()):
            name = "to_%s_%s_%s" % (SHORT[src], SHORT[dst], sh(shape))
            x = Rng(name).normal(shape, src)
            add_case(name, "to", "convert", "elementwise", src, [x], {"dtype": dst})


def gen_chains():
    for dt in FLOATS:
        s = SHORT[dt]

        def c(op, shapes_kinds, rg=None, extra=None):
            name = op.replace("chain_", "chain_") + "_" + s
            r = Rng(name)
            ins = [getattr(r, k)(shp, dt) for shp, k in shapes_kinds]
            if extra:
                ins += extra(r)
            add_case(name, op, "chain", "chain", dt, ins, rg=rg)

        c("chain_sigmoid_exp_sum_logsoftmax", [((3, 4), "normal"), ((3, 4), "normal")])
        c("chain_linear_tanh_pow_mean", [((4, 3), "normal"), ((3, 5), "normal"),
                                         ((5,), "normal")])
        c("chain_cross_entropy", [((4, 5), "normal")], rg=[True, False],
          extra=lambda r: [r.index((4, 1), 5)])
        c("chain_reuse", [((2, 3), "normal")])
        c("chain_layer_norm", [((3, 5), "normal")])
        c("chain_mlp_logsumexp", [((4, 3), "normal"), ((3, 6), "normal"), ((6,), "normal"),
                                  ((6, 2), "normal")])
        c("chain_transpose_reshape", [((2, 3, 4), "normal"), ((4, 3, 2), "normal")])
        c("chain_concat_narrow_stack", [((2, 3), "normal"), ((2, 2), "normal")])
        c("chain_where_clamp", [((2, 3), "nonzero"), ((2, 3), "normal")])
        c("chain_expand_div_select", [((2, 4), "positive"), ((3, 1, 4), "positive")])
        c("chain_attention", [((2, 3, 4), "normal"), ((2, 3, 4), "normal"),
                              ((2, 3, 4), "normal")])
        name = "chain_squeeze_max_min_" + s
        x = Rng(name).normal((3, 1, 4), dt)
        no_ties(x.squeeze(1), 1)
        no_ties(x.squeeze(1), -1)
        add_case(name, "chain_squeeze_max_min", "chain", "chain", dt, [x])
    name = "chain_to_float64_f32"
    r = Rng(name)
    add_case(name, "chain_to_float64", "chain", "chain", "float32",
             [r.normal((2, 3), "float32"), r.normal((2, 3), "float64")])


def gen_second_order():
    for dt in FLOATS:
        s = SHORT[dt]

        def c(op, shapes_kinds, args=None, rg=None, tag=""):
            name = "hvp_%s%s_%s" % (op, tag, s)
            r = Rng(name)
            ins = [getattr(r, k)(shp, dt) for shp, k in shapes_kinds]
            add_case(name, op, "second_order", "chain", dt, ins, args, rg=rg, hvp=True)

        c("cube_pow", [((2, 3), "normal")])
        c("cube_mul", [((2, 3), "normal")])
        c("tanh_sigmoid_chain", [((2, 3), "normal")])
        c("log_softmax", [((2, 4), "normal")], {"dim": 1})
        c("log_softmax", [((2, 4), "normal")], {"dim": 0}, tag="_dim0")
        c("softmax", [((2, 4), "normal")], {"dim": -1})
        c("logsumexp", [((2, 4), "normal")], {"dim": 1, "keepdim": False})
        c("exp_log_chain", [((2, 3), "positive")])
        c("recip_chain", [((2, 3), "positive")])
        c("pow", [((2, 3), "positive")], {"exponent": 0.5}, tag="_0p5")
        c("div", [((2, 3), "normal"), ((2, 3), "nonzero")])
        c("mul_tanh", [((2, 3), "normal"), ((2, 3), "normal")])
        c("matmul_tanh", [((2, 3), "normal"), ((3, 4), "normal")])
        c("matmul_tanh", [((2, 3), "normal"), ((3, 4), "normal")], rg=[True, False],
          tag="_x_only")
        c("sigmoid", [((2, 3), "normal")])
        c("tanh", [((2, 3), "normal")])

        # The HVP of a small MLP's loss with respect to all four parameters jointly (x and the
        # targets are fixed data): go = 1, so "grads" is the loss gradient and "expected" H·v.
        name = "hvp_mlp_" + s
        r = Rng(name)
        x = r.normal((4, 3), dt)
        params = [r.normal((3, 5), dt), r.normal((5,), dt), r.normal((5, 2), dt),
                  r.normal((2,), dt)]
        target = torch.tensor([[0], [1], [1], [0]], dtype=torch.int64)
        add_case(name, "mlp_tanh_nll", "second_order", "chain", dt, [x] + params + [target],
                 rg=[False, True, True, True, True, False], hvp=True, go=torch.ones(()))


def main():
    gen_binary()
    gen_scalar()
    gen_unary()
    gen_matmul()
    gen_reductions()
    gen_softmax()
    gen_shape()
    gen_indexing()
    gen_compare()
    gen_convert()
    gen_chains()
    gen_second_order()
    header = {
        "format": "autograd-core-ops",
        "version": 1,
        "generator": "tools/gen_core_fixtures.py",
        "torch_version": torch.__version__.split("+")[0],
    }
    parts = [json.dumps(c, separators=(",", ":"), allow_nan=False) for c in CASES]
    head = json.dumps(header, separators=(",", ":"))[:-1]
    text = head + ',"cases":[\n' + ",\n".join(parts) + "\n]}\n"
    json.loads(text)  # sanity
    path = os.path.normpath(OUT_PATH)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    print("wrote %d cases, %d bytes to %s" % (len(CASES), len(text.encode("utf-8")), path),
          file=sys.stderr)


if __name__ == "__main__":
    main()
