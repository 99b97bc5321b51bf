#!/usr/bin/python3
"""PyTorch reference for Max() / Min() over all elements when several elements tie (and with NaN).

Run with the interpreter that has torch (1.13):

    /usr/bin/python3 tools/gen_max_ties_fixtures.py

Writes tests/Autograd.Tests/Fixtures/max_ties.json:
  {"torch_version", "cases": [{"name", "op": "max"|"min", "dtype": "float32"|"float64",
   "shape", "input", "grad_output", "output", "grad_input"}]}
Flat row-major data; float32 values written as the exact double of the float32; non-finite values
as the strings "inf", "-inf", "nan"; negative zero as the string "-0" so that the sign of the
zeros in the gradient (PyTorch writes +0 off the ties) is checked too.
grad_input = torch.autograd.grad(x.max(), x, grad_output) (0-d grad_output).
"""
import json
import math

import torch

from fixtures import fixture_path, num

OUT = fixture_path("Autograd.Tests", "max_ties.json")
DTYPES = {"float32": torch.float32, "float64": torch.float64}


def enc(v: float):
    """num(), with -0.0 written as "-0" (the tests check the sign of zero gradients)."""
    if v == 0 and math.copysign(1.0, v) < 0:
        return "-0"
    return num(v)


INPUTS = [
    ("no_tie", [3], [1.0, 3.0, 2.0]),
    ("two_ties", [3], [1.0, 3.0, 3.0]),
    ("three_ties_2d", [2, 3], [5.0, -1.0, 5.0, 0.5, 5.0, 2.0]),
    ("all_equal", [2, 2], [0.25, 0.25, 0.25, 0.25]),
    ("seven_ties", [7], [0.1] * 7),
    ("min_ties", [4], [-2.0, 1.0, -2.0, 4.0]),
    ("one_nan", [4], [1.0, float("nan"), 3.0, 3.0]),
    ("two_nans", [5], [float("nan"), 1.0, float("nan"), 2.0, 2.0]),
    ("inf_ties", [3], [float("inf"), 1.0, float("inf")]),
    ("neg_inf_ties", [3], [float("-inf"), 1.0, float("-inf")]),
    ("scalar", [], [4.0]),
    ("zeros_signed", [3], [0.0, -0.0, -1.0]),
]
GRADS = [1.0, -0.75, 3.0]


def main():
    cases = []
    for name, shape, data in INPUTS:
        for dtype_name, dtype in DTYPES.items():
            for op in ("max", "min"):
                for g in GRADS:
                    x = torch.tensor(data, dtype=dtype).reshape(shape).requires_grad_(True)
                    y = x.max() if op == "max" else x.min()
                    go = torch.tensor(g, dtype=dtype)
                    (gi,) = torch.autograd.grad(y, x, go)
                    cases.append({
                        "name": f"{op}_{name}_{dtype_name}_g{g}",
                        "op": op,
                        "dtype": dtype_name,
                        "shape": shape,
                        "input": [enc(float(v)) for v in x.detach().reshape(-1).tolist()],
                        "grad_output": g,
                        "output": enc(float(y)),
                        "grad_input": [enc(float(v)) for v in gi.reshape(-1).tolist()],
                    })
    with open(OUT, "w") as f:
        json.dump({"torch_version": torch.__version__, "cases": cases}, f, indent=1)
        f.write("\n")
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
