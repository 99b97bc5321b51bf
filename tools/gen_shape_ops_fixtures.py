#!/usr/bin/python3
"""PyTorch 1.13 reference for Permute, Flip, Repeat, Chunk, Split, Slice (x[a:b:c] on one dim),
IndexSelect and MaskedFill.

    /usr/bin/python3 tools/gen_shape_ops_fixtures.py

Writes tests/Autograd.Tests/Fixtures/shape_ops.json:
  {"torch_version", "cases": [{"name", "op", "args", "inputs": [tensor], "grad_output": [tensor],
   "outputs": [tensor], "grads": [tensor|null]}]}
Ops returning several tensors (chunk, split) list them all in "outputs", with one seed each in
"grad_output"; grads[i] = torch.autograd.grad(outputs, inputs[i], grad_output) for each floating
point input, null otherwise. Index and mask tensors are inputs too (int64 / float 0-1). Int64 outputs (sort's and topk's
indices) have a null seed. Ties in sort/argsort appear only with stable=True (PyTorch's unstable
order among ties is unspecified); topk cases have no ties.
tensor = {"dtype", "shape", "data"} as in tools/fixtures.py.
"""
import math

import torch

from fixtures import fixture_path, num, seeded, tensor_json, write_compact

OUT = fixture_path("Autograd.Tests", "shape_ops.json")
DTYPES = {"float32": torch.float32, "float64": torch.float64}


def tj(t):
    return tensor_json(t, with_dtype=True)


def run(name, op, args, inputs, f):
    leaves = [x.clone().requires_grad_(x.is_floating_point() and i == 0) for i, x in enumerate(inputs)]
    ys = f(*leaves)
    ys = list(ys) if isinstance(ys, (tuple, list)) else [ys]
    gs = [torch.randn(y.shape, generator=seeded(f"{name}/grad{i}"), dtype=torch.float64).to(y.dtype) if y.is_floating_point() else None
          for i, y in enumerate(ys)]
    diff = [x for x in leaves if x.requires_grad]
    fy = [(y, g) for y, g in zip(ys, gs) if g is not None]
    grads = torch.autograd.grad([y for y, _ in fy], diff, [g for _, g in fy], allow_unused=True) if fy else [None] * len(diff)
    grads = [torch.zeros_like(diff[i]) if g is None else g for i, g in enumerate(grads)]
    it = iter(grads)
    return {"name": name, "op": op, "args": args, "inputs": [tj(x) for x in inputs], "outputs": [tj(y) for y in ys],
            "grad_output": [None if g is None else tj(g) for g in gs], "grads": [tj(next(it)) if x.requires_grad else None for x in leaves]}


def normal(name, shape, dtype):
    return torch.randn(shape, generator=seeded(name), dtype=torch.float64).to(dtype)


def main():
    cases = []
    for dname, dtype in DTYPES.items():
        def add(label, op, args, shape, f, extra=()):
            name = f"{op}_{label}_{dname}"
            cases.append(run(name, op, args, [normal(name, shape, dtype), *extra], f))

        for label, shape, dims in [("3d", [2, 3, 4], [2, 0, 1]), ("neg", [2, 3, 4], [-1, -3, 1]), ("2d", [3, 5], [1, 0]),
                                   ("id", [2, 3], [0, 1]), ("4d", [2, 1, 3, 2], [3, 1, 0, 2]), ("empty", [2, 0, 3], [1, 2, 0])]:
            add(label, "permute", {"dims": dims}, shape, lambda x, dims=dims: x.permute(dims))
        for label, shape, dims in [("d0", [4, 3], [0]), ("d1", [4, 3], [1]), ("both", [2, 3, 4], [0, -1]), ("all", [2, 3, 2], [0, 1, 2]),
                                   ("none", [3], []), ("1d", [5], [0])]:
            add(label, "flip", {"dims": dims}, shape, lambda x, dims=dims: x.flip(dims))
        for label, shape, reps in [("same", [2, 3], [2, 3]), ("lead", [2, 3], [2, 1, 2]), ("ones", [3], [1]), ("zero", [2, 3], [0, 2]),
                                   ("1d", [4], [3, 2]), ("scalar", [], [2, 3])]:
            add(label, "repeat", {"repeats": reps}, shape, lambda x, reps=reps: x.repeat(reps))
        for label, shape, chunks, dim in [("even", [6, 2], 3, 0), ("uneven", [5, 2], 3, 0), ("fewer", [6], 4, 0), ("dim1", [2, 7], 3, 1),
                                          ("more", [2, 3], 5, -1), ("empty", [0, 2], 3, 0)]:
            add(label, "chunk", {"chunks": chunks, "dim": dim}, shape, lambda x, c=chunks, d=dim: x.chunk(c, d))
        for label, shape, size, dim in [("int", [5, 2], 2, 0), ("int_dim1", [2, 7], 3, 1), ("int_big", [3, 2], 5, 0),
                                        ("list", [6, 2], [1, 3, 2], 0), ("list_zero", [2, 4], [0, 4, 0], -1)]:
            add(label, "split", {"size": size, "dim": dim}, shape, lambda x, s=size, d=dim: x.split(s, d))
        for label, shape, dim, s, e, st in [("step2", [7, 2], 0, None, None, 2), ("range", [7, 2], 0, 1, 6, 2), ("neg", [3, 8], 1, -6, -1, 3),
                                             ("clamp", [3, 5], 1, -100, 100, 1), ("empty", [5], 0, 4, 2, 1), ("past_end", [5], 0, 7, None, 2),
                                             ("step_big", [2, 6], -1, 1, None, 10), ("open_end", [6, 2], 0, 2, None, 1)]:
            add(label, "slice", {"dim": dim, "start": s, "end": e, "step": st}, shape,
                lambda x, dim=dim, s=s, e=e, st=st: x[(slice(None),) * (dim % x.dim()) + (slice(s, e, st),)])
        for label, shape, dim, idx in [("d0", [4, 3], 0, [2, 0, 3]), ("d1_repeat", [2, 5], 1, [1, 1, 4, 0, 1]), ("empty", [3, 4], 0, []),
                                       ("neg_dim", [2, 3, 4], -1, [3, 0]), ("scalar_index", [3, 4], 1, 2)]:
            add(label, "index_select", {"dim": dim}, shape, lambda x, i, dim=dim: x.index_select(dim, i), [torch.tensor(idx, dtype=torch.int64)])
        for label, shape, mshape, value in [("same", [3, 4], [3, 4], -1.5), ("row", [3, 4], [4], 2.0), ("col", [2, 3, 4], [3, 1], 0.0),
                                            ("scalar", [2, 3], [], 7.25), ("inf", [2, 3], [2, 3], float("-inf")), ("nan", [4], [4], float("nan"))]:
            mask = (torch.rand(mshape, generator=seeded(f"mask_{label}_{dname}")) > 0.5).to(dtype)
            add(label, "masked_fill", {"value": num(value)}, shape, lambda x, m, v=value: x.masked_fill(m != 0, v), [mask])

        nan, inf = float("nan"), float("inf")
        special = torch.tensor([[0.5, nan, -inf, 2.0, inf], [nan, -1.0, 3.0, nan, 0.25]], dtype=dtype)
        ties = torch.tensor([[1.0, 3.0, 1.0, -2.0, 3.0, 1.0], [0.0, -0.0, 2.0, 0.0, 2.0, -1.0]], dtype=dtype)
        for label, x, dim, desc, stable in [("rows", None, -1, False, False), ("rows_desc", None, 1, True, False), ("dim0", None, 0, False, False),
                                            ("nan", special, -1, False, False), ("nan_desc", special, -1, True, False),
                                            ("ties_stable", ties, 1, False, True), ("ties_stable_desc", ties, 1, True, True)]:
            for op in ("sort", "argsort"):
                name = f"{op}_{label}_{dname}"
                x0 = normal(name, [3, 5], dtype) if x is None else x
                f = (lambda x, d=dim, de=desc, st=stable: torch.sort(x, dim=d, descending=de, stable=st)) if op == "sort" else \
                    (lambda x, d=dim, de=desc, st=stable: torch.argsort(x, dim=d, descending=de))
                if op == "argsort" and stable:
                    f = lambda x, d=dim, de=desc: torch.sort(x, dim=d, descending=de, stable=True)[1]
                cases.append(run(name, op, {"dim": dim, "descending": desc, "stable": stable}, [x0], f))
        add("3d", "sort", {"dim": 1, "descending": False, "stable": False}, [2, 4, 3], lambda x: torch.sort(x, dim=1))
        add("empty", "sort", {"dim": 0, "descending": False, "stable": False}, [0, 3], lambda x: torch.sort(x, dim=0))
        add("scalar", "sort", {"dim": 0, "descending": False, "stable": False}, [], lambda x: torch.sort(x, dim=0))
        for label, shape, k, dim, largest in [("largest", [3, 6], 2, -1, True), ("smallest_dim0", [5, 3], 3, 0, False), ("k0", [3, 4], 0, 1, True),
                                              ("all", [2, 4], 4, 1, True), ("3d", [2, 5, 3], 2, 1, False)]:
            add(label, "topk", {"k": k, "dim": dim, "largest": largest}, shape, lambda x, k=k, d=dim, l=largest: torch.topk(x, k, d, l))
        name = f"topk_nan_{dname}"
        cases.append(run(name, "topk", {"k": 3, "dim": 1, "largest": True}, [special], lambda x: torch.topk(x, 3, 1)))
        name = f"topk_nan_smallest_{dname}"
        cases.append(run(name, "topk", {"k": 3, "dim": 1, "largest": False}, [special], lambda x: torch.topk(x, 3, 1, False)))

    # Linspace: no inputs, no gradient; the cases cover the vectorized blocks, the scalar tail and the halves.
    for dname, dtype in DTYPES.items():
        for i, (a, b, n) in enumerate([(0, 1, 100), (-3.7, 11.3, 57), (1e-3, 7.1, 33), (2.5, -1.25, 101), (0.1, 0.9, 17), (-1, 1, 1000),
                                        (3, 300, 257), (0, 1, 32), (0.3, 0.7, 24), (5, 5, 9), (2, 3, 1), (2, 3, 0), (1e10, -1e-10, 45), (0, 1, 2)]):
            y = torch.linspace(a, b, n, dtype=dtype)
            cases.append({"name": f"linspace_{i}_{dname}", "op": "linspace", "args": {"start": a, "end": b, "steps": n, "dtype": dname},
                          "inputs": [], "outputs": [tj(y)], "grad_output": [None], "grads": []})

    # Logspace: base^e for evenly spaced e (PyTorch 1.13: the difference in the dtype, the exponents in
    # double, pow, one rounding); fractional ends, both halves, one step, zero steps, other bases.
    for dname, dtype in DTYPES.items():
        for i, (a, b, n, base) in enumerate([(0, 2, 7, 10.0), (-3, 5, 101, 10.0), (0.1, 3.7, 1000, 2.0), (1, -1, 50, math.e), (0.5, 0.5, 1, 10.0),
                                              (0.3, 0.7, 2, 10.0), (1e-3, 7.123, 777, 1.5), (-2, 3, 5, -2.0), (-2, 3, 6, 0.0), (2, 3, 0, 10.0),
                                              (-40, 40, 333, 10.0), (-10, 10, 2049, 10.0)]):
            y = torch.logspace(a, b, n, base=base, dtype=dtype)
            cases.append({"name": f"logspace_{i}_{dname}", "op": "logspace", "args": {"start": a, "end": b, "steps": n, "base": base, "dtype": dname},
                          "inputs": [], "outputs": [tj(y)], "grad_output": [None], "grads": []})

    names = [c["name"] for c in cases]
    assert len(names) == len(set(names)), "duplicate case names"
    write_compact(OUT, {"torch_version": torch.__version__, "cases": cases})
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
