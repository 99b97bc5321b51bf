#!/usr/bin/python3
"""PyTorch 1.13 reference for reductions over a list of dims, ArgMax/ArgMin over all elements,
MatMul with broadcast batch dims, the dtype option of Sum/Mean/Softmax/LogSoftmax, Var/Std with a
correction, CumSum and Prod.

Run with the interpreter that has torch (1.13):

    /usr/bin/python3 tools/gen_reduction_ops_fixtures.py

Writes tests/Autograd.Tests/Fixtures/reduction_ops.json:
  {"torch_version", "cases": [{"name", "op", "args", "inputs": [tensor], "grad_output": tensor|null,
   "output": tensor, "grads": [tensor|null]}]}
tensor = {"dtype", "shape", "data"} (flat row-major; float32 values as the exact double of the
float32; "nan"/"inf"/"-inf" for the non-finite ones). grads[i] = torch.autograd.grad(output,
inputs[i], grad_output) for each floating point input; null where PyTorch gives no gradient.
args: "dims" (a list; null for var/std over every dim), "keep_dim", "dim", "dtype", "correction"
as the op takes them.
"""
import torch

from fixtures import fixture_path, seeded, tensor_json, write_compact

OUT = fixture_path("Autograd.Tests", "reduction_ops.json")
DTYPES = {"float32": torch.float32, "float64": torch.float64}
TORCH_DTYPE = {"float32": torch.float32, "float64": torch.float64, "int64": torch.int64}


def tj(t):
    return tensor_json(t, with_dtype=True)


def run(name, op, args, inputs, f):
    """Runs f on the inputs; the backward seed is a seeded standard normal of the output's shape."""
    leaves = [x.clone().requires_grad_(x.is_floating_point()) for x in inputs]
    y = f(*leaves)
    case = {"name": name, "op": op, "args": args, "inputs": [tj(x) for x in inputs], "output": tj(y), "grad_output": None,
            "grads": [None] * len(inputs)}
    diff = [x for x in leaves if x.requires_grad]
    if y.requires_grad and diff:
        g = torch.randn(y.shape, generator=seeded(name + "/grad"), dtype=torch.float64).to(y.dtype)
        gs = torch.autograd.grad(y, diff, g, allow_unused=True)
        it = iter(gs)
        case["grad_output"] = tj(g)
        case["grads"] = [tj(next(it)) if x.requires_grad else None for x in leaves]
    return case


def normal(name, shape, dtype):
    return torch.randn(shape, generator=seeded(name), dtype=torch.float64).to(dtype)


# (shape, dims, keep_dim) for the reductions over several dims.
DIM_CASES = [
    ([2, 3, 4], [0, 2], False),
    ([2, 3, 4], [0, 2], True),
    ([2, 3, 4], [-1, 0], False),
    ([2, 3, 4], [1, 2], True),
    ([2, 3, 4], [2, 1], False),
    ([2, 3, 4], [0, 1, 2], False),
    ([2, 3, 4], [], False),
    ([2, 3, 4], [], True),
    ([3, 5, 2, 4], [1, 3], False),
    ([3, 5, 2, 4], [0, -2], True),
    ([5, 6], [-1], False),
    ([5, 6], [0], True),
    ([], [0], False),
    ([], [], True),
    ([4, 16, 4], [0, 2], False),
]

# Long sums (2048 terms per output), for sum and mean only: the summation order matters most here.
LONG_CASES = [([2, 64, 2, 16], [1, 3], True)]

REDUCERS = {
    "sum": lambda x, d, k: x.sum(d, keepdim=k),
    "mean": lambda x, d, k: x.mean(d, keepdim=k),
    # PyTorch 1.13 fails on logsumexp(x, []) without keepdim (a shape check in its out= path);
    # with keepdim=True it reduces every dim, which is what the C# op returns, squeezed.
    "logsumexp": lambda x, d, k: torch.logsumexp(x, d, keepdim=True).reshape([]) if (d == [] and not k) else torch.logsumexp(x, d, keepdim=k),
    "amax": lambda x, d, k: x.amax(d, keepdim=k),
    "amin": lambda x, d, k: x.amin(d, keepdim=k),
}


def tag(shape, dims, keep):
    s = "x".join(map(str, shape)) or "scalar"
    d = "_".join(str(v).replace("-", "m") for v in dims) or "none"
    return f"{s}_dims_{d}{'_keep' if keep else ''}"


def main():
    cases = []
    for dname, dtype in DTYPES.items():
        for op, f in REDUCERS.items():
            for shape, dims, keep in DIM_CASES + (LONG_CASES if op in ("sum", "mean") else []):
                name = f"{op}_{tag(shape, dims, keep)}_{dname}"
                x = normal(name, shape, dtype)
                cases.append(run(name, op, {"dims": dims, "keep_dim": keep}, [x], lambda x, f=f, dims=dims, keep=keep: f(x, dims, keep)))
            # Ties: small integers, so that several elements share the max/min of their slice.
            if op in ("amax", "amin"):
                name = f"{op}_ties_{dname}"
                x = torch.randint(0, 3, (3, 4, 5), generator=seeded(name)).to(dtype)
                cases.append(run(name, op, {"dims": [0, 2], "keep_dim": False}, [x], lambda x, f=f: f(x, [0, 2], False)))
        # Empty tensors: the sum of nothing is 0, its mean NaN, its logsumexp -inf.
        for op in ("sum", "mean", "logsumexp"):
            name = f"{op}_empty_{dname}"
            x = torch.zeros(2, 0, 3, dtype=dtype)
            cases.append(run(name, op, {"dims": [1, 2], "keep_dim": False}, [x], lambda x, f=REDUCERS[op]: f(x, [1, 2], False)))
        # logsumexp of infinite slices: all -inf gives -inf, a +inf gives +inf.
        name = f"logsumexp_infinities_{dname}"
        x = torch.tensor([[[-float("inf"), -float("inf")], [-float("inf"), -float("inf")]], [[1.0, float("inf")], [0.5, 2.0]]], dtype=dtype)
        cases.append(run(name, "logsumexp", {"dims": [1, 2], "keep_dim": False}, [x], lambda x: torch.logsumexp(x, [1, 2])))

        # ArgMax / ArgMin over all elements.
        nan, inf = float("nan"), float("inf")
        for label, data, shape in [
            ("plain", None, [3, 4]),
            ("ties", [1.0, 5.0, 5.0, -2.0, -2.0, 0.0], [2, 3]),
            ("nan", [1.0, nan, 3.0, nan], [2, 2]),
            ("inf", [-inf, 1.0, inf, inf], [4]),
            ("scalar", [2.5], []),
            ("single", [-1.0], [1, 1, 1]),
        ]:
            for op in ("argmax", "argmin"):
                name = f"{op}_{label}_{dname}"
                x = normal(name, shape, dtype) if data is None else torch.tensor(data, dtype=dtype).reshape(shape)
                cases.append(run(name, op, {}, [x], lambda x, op=op: getattr(x, op)()))

        # MatMul with broadcast batch dims.
        for sa, sb in [
            ([2, 3, 4, 5], [5, 6]),
            ([2, 1, 4, 5], [3, 5, 6]),
            ([4, 5], [2, 3, 5, 6]),
            ([5], [2, 3, 5, 6]),
            ([2, 3, 4, 5], [5]),
            ([1, 3, 4, 5], [2, 1, 5, 6]),
            ([2, 3, 4, 5], [2, 3, 5, 6]),
            ([2, 1, 2, 3, 4], [3, 1, 4, 2]),
            ([2, 1, 4, 0], [3, 0, 6]),
            ([2, 0, 4, 5], [5, 6]),
        ]:
            name = f"matmul_{'x'.join(map(str, sa))}_by_{'x'.join(map(str, sb))}_{dname}"
            a, b = normal(name + "/a", sa, dtype), normal(name + "/b", sb, dtype)
            cases.append(run(name, "matmul", {}, [a, b], lambda a, b: a.matmul(b)))

        # The dtype option: the input is converted first, the gradient flows back converted.
        other = "float64" if dname == "float32" else "float32"
        x = normal(f"dtype_{dname}", [3, 4, 2], dtype)
        cases.append(run(f"sum_all_dtype_{dname}_to_{other}", "sum_all_dtype", {"dtype": other}, [x], lambda x: x.sum(dtype=TORCH_DTYPE[other])))
        cases.append(run(f"sum_dims_dtype_{dname}_to_{other}", "sum", {"dims": [0, 2], "keep_dim": False, "dtype": other}, [x],
                         lambda x: x.sum([0, 2], dtype=TORCH_DTYPE[other])))
        cases.append(run(f"sum_dim_dtype_{dname}_to_{other}", "sum_dim", {"dim": 1, "keep_dim": True, "dtype": other}, [x],
                         lambda x: x.sum(1, keepdim=True, dtype=TORCH_DTYPE[other])))
        cases.append(run(f"mean_all_dtype_{dname}_to_{other}", "mean_all_dtype", {"dtype": other}, [x], lambda x: x.mean(dtype=TORCH_DTYPE[other])))
        cases.append(run(f"mean_dims_dtype_{dname}_to_{other}", "mean", {"dims": [1, 2], "keep_dim": True, "dtype": other}, [x],
                         lambda x: x.mean([1, 2], keepdim=True, dtype=TORCH_DTYPE[other])))
        cases.append(run(f"mean_dim_dtype_{dname}_to_{other}", "mean_dim", {"dim": -1, "keep_dim": False, "dtype": other}, [x],
                         lambda x: x.mean(-1, dtype=TORCH_DTYPE[other])))
        cases.append(run(f"softmax_dtype_{dname}_to_{other}", "softmax", {"dim": 1, "dtype": other}, [x], lambda x: x.softmax(1, dtype=TORCH_DTYPE[other])))
        cases.append(run(f"log_softmax_dtype_{dname}_to_{other}", "log_softmax", {"dim": -1, "dtype": other}, [x],
                         lambda x: x.log_softmax(-1, dtype=TORCH_DTYPE[other])))
        # Int64 input: sum/mean/softmax of integers in a floating point dtype.
        xi = torch.randint(-5, 6, (3, 4), generator=seeded(f"int_{dname}"))
        cases.append(run(f"sum_dims_int64_to_{dname}", "sum", {"dims": [0, 1], "keep_dim": False, "dtype": dname}, [xi],
                         lambda x: x.sum([0, 1], dtype=dtype)))
        cases.append(run(f"mean_dims_int64_to_{dname}", "mean", {"dims": [1], "keep_dim": False, "dtype": dname}, [xi],
                         lambda x: x.mean([1], dtype=dtype)))
        cases.append(run(f"softmax_int64_to_{dname}", "softmax", {"dim": 0, "dtype": dname}, [xi], lambda x: x.softmax(0, dtype=dtype)))
        cases.append(run(f"log_softmax_int64_to_{dname}", "log_softmax", {"dim": 1, "dtype": dname}, [xi], lambda x: x.log_softmax(1, dtype=dtype)))
    for dname, dtype in DTYPES.items():
        # Var / Std with a correction (a divisor N - correction <= 0 gives inf or NaN).
        for shape, dims, corr, keep in [
            ([3, 4, 5], [0, 2], 1, False),
            ([3, 4, 5], [1], 0, True),
            ([3, 4, 5], None, 1, False),
            ([3, 4, 5], [-1], 2, False),
            ([4, 6], [], 1, True),
            ([1, 3], [0], 1, False),
            ([2, 3], [1], 3, False),
            ([], None, 0, False),
            ([2, 512], [1], 1, False),
        ]:
            for op in ("var", "std"):
                d = "all" if dims is None else ("_".join(str(v).replace("-", "m") for v in dims) or "none")
                name = f"{op}_{'x'.join(map(str, shape)) or 'scalar'}_dims_{d}_corr{corr}{'_keep' if keep else ''}_{dname}"
                x = normal(name, shape, dtype)
                f = getattr(torch, op)
                # dims [] reduces every dim (the values agree), but PyTorch 1.13's backward then takes
                # N = 1 and returns infinite gradients: the reference for [] is dim=None.
                fn = (lambda x, f=f, corr=corr, keep=keep: f(x, None, correction=corr, keepdim=keep)) if not dims else (lambda x, f=f, dims=dims, corr=corr, keep=keep: f(x, dims, correction=corr, keepdim=keep))
                cases.append(run(name, op, {"dims": dims, "correction": corr, "keep_dim": keep}, [x], fn))
        # CumSum.
        for shape, dim in [([3, 4, 5], 1), ([3, 4, 5], -1), ([3, 4, 5], 0), ([], 0), ([2, 300], 1), ([4, 0], 1)]:
            name = f"cumsum_{'x'.join(map(str, shape)) or 'scalar'}_dim_{str(dim).replace('-', 'm')}_{dname}"
            x = normal(name, shape, dtype)
            cases.append(run(name, "cumsum", {"dim": dim}, [x], lambda x, dim=dim: torch.cumsum(x, dim)))
        # Prod along a dim and of all elements; zeros take the product-of-the-others gradient.
        for label, shape, dim, keep, zeros in [
            ("3x4x5_dim_1", [3, 4, 5], 1, False, []),
            ("3x4x5_dim_m1_keep", [3, 4, 5], -1, True, []),
            ("2x5_dim_1_one_zero", [2, 5], 1, False, [2]),
            ("2x5_dim_1_two_zeros", [2, 5], 1, False, [1, 3]),
            ("4x3_dim_0_zero", [4, 3], 0, True, [4]),
            ("scalar_dim_0", [], 0, False, []),
            ("all", [3, 4], None, False, []),
            ("all_one_zero", [3, 4], None, False, [5]),
        ]:
            name = f"prod_{label}_{dname}"
            x = normal(name, shape, dtype)
            for z in zeros:
                x.view(-1)[z] = 0
            fn = (lambda x: x.prod()) if dim is None else (lambda x, dim=dim, keep=keep: x.prod(dim, keepdim=keep))
            cases.append(run(name, "prod", {"dim": dim, "keep_dim": keep}, [x], fn))
        other = "float64" if dname == "float32" else "float32"
        name = f"prod_dtype_{dname}_to_{other}"
        cases.append(run(name, "prod", {"dim": 1, "keep_dim": False, "dtype": other}, [normal(name, [3, 4], dtype)],
                         lambda x: x.prod(1, dtype=TORCH_DTYPE[other])))
        name = f"cumsum_dtype_{dname}_to_{other}"
        cases.append(run(name, "cumsum", {"dim": 1, "dtype": other}, [normal(name, [3, 7], dtype)], lambda x: torch.cumsum(x, 1, dtype=TORCH_DTYPE[other])))
    xi = torch.randint(-5, 6, (3, 4), generator=seeded("int_cumsum"))
    cases.append(run("prod_int64", "prod", {"dim": 0, "keep_dim": False}, [xi], lambda x: x.prod(0)))
    cases.append(run("cumsum_int64", "cumsum", {"dim": 1}, [xi], lambda x: torch.cumsum(x, 1)))
    cases.append(run("cumsum_int64_as_double", "cumsum", {"dim": 0, "dtype": "float64"}, [xi], lambda x: torch.cumsum(x, 0, dtype=torch.float64)))
    # Int64 reductions keep Int64 (no dtype).
    xi = torch.randint(-5, 6, (3, 4, 2), generator=seeded("int_sum"))
    cases.append(run("sum_dims_int64", "sum", {"dims": [0, 2], "keep_dim": False}, [xi], lambda x: x.sum([0, 2])))
    cases.append(run("amax_dims_int64", "amax", {"dims": [2, 0], "keep_dim": True}, [xi], lambda x: x.amax([2, 0], keepdim=True)))
    for op in ("argmax", "argmin"):
        cases.append(run(f"{op}_int64", op, {}, [xi], lambda x, op=op: getattr(x, op)()))

    names = [c["name"] for c in cases]
    assert len(names) == len(set(names)), "duplicate case names"
    write_compact(OUT, {"torch_version": torch.__version__, "cases": cases})
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
