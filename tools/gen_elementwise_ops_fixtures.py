#!/usr/bin/python3
"""PyTorch 1.13 reference for the elementwise ops of issue 13: mT, maximum/minimum, clamp with
tensor bounds, div with rounding modes, pow with a tensor exponent (and a number ^ tensor), and
sin, cos, log1p, expm1, erf, square, reciprocal, floor, ceil, round (and sign, now with
PyTorch's zero gradient).

Run with the interpreter that has torch (1.13):

    /usr/bin/python3 tools/gen_elementwise_ops_fixtures.py

Writes tests/Autograd.Tests/Fixtures/elementwise_ops.json:
  {"torch_version", "cases": [{"name", "op", "dtype", "args", "ulps", "scale",
    "inputs": [{"dtype", "shape", "data", "requires_grad"}], "output", "grad_output", "grads"}]}
Float32 values are the exact doubles of the float32s; NaN and the infinities are the strings
"nan", "inf", "-inf" (tools/fixtures.py num()). grads[i] is input i's .grad after
output.backward(grad_output), null where the input does not require grad; grad_output is null for
Int64 results. "ulps" is the tolerance the C# test allows, in units in the last place of the
expected value ("scale": "elem"), or of the largest |expected| of the tensor ("scale": "max",
for gradients summed over broadcast dims, where a sum of terms of both signs can cancel).
"grad_scale" is the same for the gradients, except "grad_output": ulps of max(|expected|,
|grad_output|), for expm1's g * (result + 1), where result + 1 cancels for x < 0 and turns the
1-ulp difference between two accurate results into many ulps of a small gradient.
"""
import torch

from fixtures import fixture_path, seeded, tensor_json, write_compact

OUT = fixture_path("Autograd.Tests", "elementwise_ops.json")
DTYPES = {"float32": torch.float32, "float64": torch.float64}
NAN, INF = float("nan"), float("inf")

cases = []


def add(name, op, dtype, inputs, fn, args=None, ulps=0, scale="elem", grad=True, grad_scale=None):
    """inputs: tensors (leaves); fn(*inputs) -> output. Float inputs require grad when grad."""
    g = seeded(name + "/grad")
    xs = [t.clone().requires_grad_(grad and t.is_floating_point()) for t in inputs]
    y = fn(*xs)
    go = None
    grads = [None] * len(xs)
    if y.requires_grad:
        go = (torch.rand(y.shape, generator=g, dtype=torch.float64) * 1.5 + 0.25).to(y.dtype)
        y.backward(go)
        grads = [x.grad if x.requires_grad else None for x in xs]
    doc_inputs = []
    for x in xs:
        d = tensor_json(x, with_dtype=True)
        d["requires_grad"] = bool(x.requires_grad)
        doc_inputs.append(d)
    cases.append({
        "name": name, "op": op, "dtype": dtype, "args": args or {}, "ulps": ulps, "scale": scale,
        "grad_scale": grad_scale or scale,
        "inputs": doc_inputs, "output": tensor_json(y, with_dtype=True),
        "grad_output": tensor_json(go, with_dtype=True), "grads": [tensor_json(t, with_dtype=True) for t in grads],
    })


def halves(name, shape, dtype, lo=-3, hi=4):
    """Multiples of 1/2 in [lo/2, hi/2): many ties between two such tensors."""
    return torch.randint(lo, hi, shape, generator=seeded(name)).to(dtype) / 2


def normal(name, shape, dtype, scale=1.0):
    return (torch.randn(shape, generator=seeded(name), dtype=torch.float64) * scale).to(dtype)


def uniform(name, shape, dtype, lo, hi):
    return (torch.rand(shape, generator=seeded(name), dtype=torch.float64) * (hi - lo) + lo).to(dtype)


def main():
    for dn, dt in DTYPES.items():
        # mT: pure data movement, exact.
        add(f"mt_3d_{dn}", "mt", dn, [normal(f"mt_3d_{dn}", [2, 3, 4], dt)], lambda x: x.mT)
        add(f"mt_2d_{dn}", "mt", dn, [normal(f"mt_2d_{dn}", [3, 2], dt)], lambda x: x.mT)

        # maximum / minimum: ties (split g/2, exact), NaN on either side, broadcasting.
        for op, fn in (("maximum", torch.maximum), ("minimum", torch.minimum)):
            add(f"{op}_ties_{dn}", op, dn, [halves(f"{op}_a_{dn}", [4, 5], dt), halves(f"{op}_b_{dn}", [4, 5], dt)], fn)
            add(f"{op}_bcast_{dn}", op, dn, [halves(f"{op}_ba_{dn}", [2, 1, 3], dt), halves(f"{op}_bb_{dn}", [4, 1], dt)], fn,
                ulps=4, scale="max")
            add(f"{op}_nan_{dn}", op, dn, [torch.tensor([1.0, NAN, 2.0, NAN, INF, -INF, 0.5], dtype=dt),
                                           torch.tensor([2.0, 1.0, NAN, NAN, 3.0, -INF, 0.5], dtype=dt)], fn)
            add(f"{op}_scalar_other_{dn}", op, dn, [halves(f"{op}_sa_{dn}", [6], dt), torch.tensor(0.5, dtype=dt)], fn,
                ulps=4, scale="max")

        # clamp with tensor bounds: both, min only, max only, min > max in places, NaN, broadcasting.
        x = halves(f"clamp_x_{dn}", [3, 4], dt, -6, 7)
        lo = halves(f"clamp_lo_{dn}", [3, 4], dt, -4, 1)
        hi = halves(f"clamp_hi_{dn}", [4], dt, -1, 5)
        add(f"clamp_both_{dn}", "clamp_tensor", dn, [x, lo, hi], lambda a, b, c: torch.clamp(a, b, c))
        add(f"clamp_min_{dn}", "clamp_min_tensor", dn, [x, lo], lambda a, b: torch.clamp(a, min=b))
        add(f"clamp_max_{dn}", "clamp_max_tensor", dn, [x, hi], lambda a, c: torch.clamp(a, max=c))
        add(f"clamp_bcast_{dn}", "clamp_tensor", dn,
            [halves(f"clamp_bx_{dn}", [2, 3, 4], dt, -6, 7), halves(f"clamp_blo_{dn}", [1, 4], dt, -4, 1),
             halves(f"clamp_bhi_{dn}", [3, 1], dt, -1, 5)], lambda a, b, c: torch.clamp(a, b, c), ulps=4, scale="max")
        add(f"clamp_nan_{dn}", "clamp_tensor", dn,
            [torch.tensor([NAN, 1.0, 5.0, -5.0, 2.0, 0.5, 1.0], dtype=dt), torch.tensor([0.0, NAN, 0.0, 0.0, 3.0, 1.0, 1.0], dtype=dt),
             torch.tensor([1.0, 1.0, NAN, 1.0, 1.0, 1.0, 1.0], dtype=dt)], lambda a, b, c: torch.clamp(a, b, c))

        # div with rounding: exact (trunc of the rounded quotient; PyTorch's div_floor_floating).
        for mode in ("trunc", "floor"):
            a = normal(f"div_{mode}_a_{dn}", [3, 5], dt, 4.0)
            b = normal(f"div_{mode}_b_{dn}", [5], dt, 1.5)
            add(f"div_{mode}_{dn}", "div_" + mode, dn, [a, b], lambda p, q, m=mode: torch.div(p, q, rounding_mode=m))
            add(f"div_{mode}_special_{dn}", "div_" + mode, dn,
                [torch.tensor([7.0, -7.0, 7.0, -7.0, 0.0, -0.0, 1.0, -1.0, 0.0, 6.0, INF, 5.0], dtype=dt),
                 torch.tensor([2.0, 2.0, -2.0, -2.0, -2.0, 2.0, 0.0, 0.0, 0.0, 3.0, 2.0, INF], dtype=dt)],
                lambda p, q, m=mode: torch.div(p, q, rounding_mode=m))
            add(f"div_{mode}_scalar_{dn}", "div_" + mode + "_scalar", dn, [a], lambda p, m=mode: torch.div(p, 1.5, rounding_mode=m),
                args={"scalar": 1.5})

        # pow with a tensor exponent: the C library's pow against Sleef's pow (1 ulp each).
        add(f"pow_tensor_{dn}", "pow_tensor", dn, [uniform(f"pow_x_{dn}", [3, 4], dt, 0.25, 3.0), normal(f"pow_y_{dn}", [3, 4], dt, 1.5)],
            torch.pow, ulps=8)
        add(f"pow_tensor_bcast_{dn}", "pow_tensor", dn, [uniform(f"pow_bx_{dn}", [2, 1], dt, 0.25, 3.0), normal(f"pow_by_{dn}", [3], dt, 1.5)],
            torch.pow, ulps=8, scale="max")
        add(f"pow_tensor_special_{dn}", "pow_tensor", dn,
            [torch.tensor([0.0, 0.0, 0.0, 0.0, 2.0, -2.0, -2.0, 1.0], dtype=dt), torch.tensor([0.0, 2.0, -1.0, 0.5, 0.0, 3.0, 0.5, 7.0], dtype=dt)],
            torch.pow, ulps=8)
        add(f"pow_scalar_base_{dn}", "pow_scalar_base", dn, [normal(f"pow_sb_{dn}", [2, 3], dt, 2.0)], lambda e: torch.pow(2.5, e),
            args={"base": 2.5}, ulps=8)
        add(f"pow_zero_base_{dn}", "pow_scalar_base", dn, [torch.tensor([0.0, 2.0, -1.0, 0.5], dtype=dt)], lambda e: torch.pow(0.0, e),
            args={"base": 0.0}, ulps=0)

        # unary ops
        wide = lambda n, s: uniform(n, [40], dt, -s, s)
        add(f"sin_{dn}", "sin", dn, [torch.cat([wide(f"sin_{dn}", 10.0), torch.tensor([0.0, 1e-5, 100.0, -1000.0], dtype=dt)])], torch.sin, ulps=3)
        add(f"cos_{dn}", "cos", dn, [torch.cat([wide(f"cos_{dn}", 10.0), torch.tensor([0.0, 1e-5, 100.0, -1000.0], dtype=dt)])], torch.cos, ulps=3)
        add(f"log1p_{dn}", "log1p", dn, [torch.cat([uniform(f"log1p_{dn}", [40], dt, -0.9, 5.0),
                                                    torch.tensor([0.0, 1e-10, -1e-8, 3e-4, -0.5, 1e6, -1.0], dtype=dt),
                                                    torch.logspace(-12, 3, 400, dtype=dt), -torch.logspace(-12, -0.01, 400, dtype=dt)])], torch.log1p, ulps=4)
        add(f"expm1_{dn}", "expm1", dn, [torch.cat([wide(f"expm1_{dn}", 5.0),
                                                    torch.tensor([0.0, 1e-10, -1e-8, 3e-4, -0.5, 20.0, -40.0], dtype=dt),
                                                    torch.logspace(-12, 1.8, 400, dtype=dt), -torch.logspace(-12, 1.8, 400, dtype=dt)])], torch.expm1, ulps=4,
            grad_scale="grad_output")
        add(f"erf_{dn}", "erf", dn, [torch.cat([wide(f"erf_{dn}", 4.0),
                                                torch.tensor([0.0, 1e-10, -1e-5, 0.5, 1.49, 1.5, 1.51, 2.9, 3.0, 3.1, 5.9, 6.5, -30.0], dtype=dt),
                                                torch.linspace(-6.0, 6.0, 1201, dtype=dt)])], torch.erf, ulps=4)
        add(f"square_{dn}", "square", dn, [normal(f"square_{dn}", [3, 4], dt)], torch.square)
        add(f"reciprocal_{dn}", "reciprocal", dn, [torch.cat([normal(f"recip_{dn}", [20], dt), torch.tensor([4.0, -0.25], dtype=dt)])],
            torch.reciprocal)
        halves_and_more = torch.cat([normal(f"round_{dn}", [20], dt, 3.0),
                                     torch.tensor([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49999997, -0.0, 1e20], dtype=dt)])
        add(f"sign_{dn}", "sign", dn, [torch.tensor([2.5, -0.5, 0.0, -0.0, INF, -INF, 1e-30], dtype=dt)], torch.sign)  # NaN: PyTorch 1.13 gives 0, Sign keeps NaN
        for op in ("floor", "ceil", "round"):
            add(f"{op}_{dn}", op, dn, [halves_and_more], getattr(torch, op))

    # Int64: div with rounding (Python's floor division), maximum/minimum, clamp, square, floor.
    ia = torch.tensor([7, -7, 7, -7, 0, 9, -9, 5, -1], dtype=torch.int64)
    ib = torch.tensor([2, 2, -2, -2, 3, 3, 3, -7, 4], dtype=torch.int64)
    for mode in ("trunc", "floor"):
        add(f"div_{mode}_int64", "div_" + mode, "int64", [ia, ib], lambda p, q, m=mode: torch.div(p, q, rounding_mode=m))
    add("maximum_int64", "maximum", "int64", [ia, ib], torch.maximum)
    add("minimum_int64", "minimum", "int64", [ia, ib], torch.minimum)
    add("clamp_int64", "clamp_tensor", "int64", [ia, ib, ib + 2], lambda a, b, c: torch.clamp(a, b, c))
    add("square_int64", "square", "int64", [ia], torch.square)
    add("floor_int64", "floor", "int64", [ia], torch.floor)

    write_compact(OUT, {"torch_version": torch.__version__, "cases": cases})
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
