#!/usr/bin/python3
"""PyTorch 1.13 reference for Tensor.Norm (torch.norm / torch.linalg.vector_norm): values and
gradients for p in {2, 1, inf, -inf, 0, 3, 1.5, 0.5, -1}, over every dim, one dim, several dims,
with and without keepdim, Float32 and Float64; zero slices (the p = 2 mask), ties and a NaN (the
inf-norm split), empty reductions.

Run with the interpreter that has torch (1.13):

    /usr/bin/python3 tools/gen_norm_fixtures.py

Writes tests/Autograd.Tests/Fixtures/norm_ops.json in the format of reduction_ops.json
({"name", "op": "norm", "args": {"p", "dims", "keep_dim"}, "inputs", "grad_output", "output",
"grads"}); p is a number or "inf"/"-inf", dims null for every dim.
"""
import math

import torch

from fixtures import fixture_path, num, seeded, tensor_json, write_compact

OUT = fixture_path("Autograd.Tests", "norm_ops.json")
DTYPES = {"float32": torch.float32, "float64": torch.float64}
PS = [2.0, 1.0, math.inf, -math.inf, 0.0, 3.0, 1.5, 0.5, -1.0]


def tj(t):
    return tensor_json(t, with_dtype=True)


def case(name, x, p, dims, keep):
    leaf = x.clone().requires_grad_(True)
    y = torch.norm(leaf, p, dim=dims, keepdim=keep) if dims is not None else torch.norm(leaf, p)
    # torch.norm(x, p) without dim is the same kernel as linalg.vector_norm(x, p); check that it agrees.
    if dims is not None and x.numel() > 0:
        v = torch.linalg.vector_norm(x, p, dim=dims, keepdim=keep)
        assert torch.equal(v, y.detach()) or (v.isnan() == y.detach().isnan()).all(), name
    g = torch.randn(y.shape, generator=seeded(name + "/grad"), dtype=torch.float64).to(y.dtype)
    (gx,) = torch.autograd.grad(y, [leaf], g, allow_unused=True)
    if gx is None:  # p = 0: PyTorch's norm_backward returns an undefined gradient, which accumulates as zeros
        gx = torch.zeros_like(x)
    return {"name": name, "op": "norm", "args": {"p": num(p), "dims": dims, "keep_dim": keep},
            "inputs": [tj(x)], "output": tj(y), "grad_output": tj(g), "grads": [tj(gx)]}


def main():
    cases = []
    for dname, dt in DTYPES.items():
        def normal(tag, shape):
            return torch.randn(shape, generator=seeded(tag), dtype=torch.float64).to(dt)

        for p in PS:
            ptag = str(p).replace(".", "_").replace("-", "m")
            x = normal(f"norm/{ptag}", [3, 4, 5])
            for dims, keep in [(None, False), ([1], False), ([-1], True), ([0, 2], False), ([0, 2], True), ([2, 1], False)]:
                dtag = "all" if dims is None else "_".join(str(d) for d in dims)
                cases.append(case(f"norm_p{ptag}_{dtag}_{'keep' if keep else 'drop'}_{dname}", x, p, dims, keep))
            # a long vector (the fixed-order sum's partials) and a slice of zeros (the p = 2 mask, p < 1's mask)
            cases.append(case(f"norm_p{ptag}_long_{dname}", normal(f"norm/long/{ptag}", [300]), p, None, False))
            z = normal(f"norm/zero/{ptag}", [3, 4])
            z[1] = 0
            z[2, 1] = 0
            cases.append(case(f"norm_p{ptag}_zeros_{dname}", z, p, [1], False))
            # 0-d input, and an empty reduction (zeros, as torch.norm)
            cases.append(case(f"norm_p{ptag}_scalar_{dname}", normal(f"norm/scalar/{ptag}", []), p, None, False))
            cases.append(case(f"norm_p{ptag}_empty_{dname}", torch.zeros(2, 0, dtype=dt), p, [1], False))
        # ties and NaN for the max/min norms
        ties = torch.tensor([[1.0, -3.0, 3.0, 2.0], [-2.0, 0.5, -0.5, 2.0]], dtype=dt)
        for p in [math.inf, -math.inf]:
            tag = "inf" if p > 0 else "minf"
            cases.append(case(f"norm_p{tag}_ties_{dname}", ties, p, [1], False))
            nan = torch.tensor([[1.0, float("nan"), -2.0], [0.0, 1.0, -1.0]], dtype=dt)
            cases.append(case(f"norm_p{tag}_nan_{dname}", nan, p, [1], True))
    write_compact(OUT, {"torch_version": torch.__version__, "cases": cases})
    print(f"{len(cases)} cases -> {OUT}")


if __name__ == "__main__":
    main()
