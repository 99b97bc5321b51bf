#!/usr/bin/python3
"""Generate PyTorch reference values for the float32 kernels that reproduce PyTorch bit for bit.

Run with the interpreter that has torch (1.13):

    /usr/bin/python3 tools/gen_kernel_fixtures.py

Writes tests/Autograd.Tests/Fixtures/kernels/sigmoid_float32.json: torch.sigmoid on float32
inputs (standard normals times 10, a sweep over the saturating range, and special values), in one
call of 4096 elements, a whole number of PyTorch's 16-float vector steps, so that every value goes
through its vectorised kernel (Sleef's expf; the scalar tail would use std::exp).

Format: {"generator", "torch_version", "input": [...], "output": [...]} with
float32 values written as the exact double of the float32 (repr round-trips), NaN and
infinities as the strings "nan", "inf", "-inf". Deterministic (fixed seed).
"""
import torch

from fixtures import num, write_compact


def main() -> None:
    gen = torch.Generator().manual_seed(20240601)
    random = torch.randn(3000, generator=gen) * 10
    sweep = torch.linspace(-110.0, 110.0, 1065)
    special = torch.tensor([0.0, -0.0, float("inf"), float("-inf"), float("nan"), 1e-40, -1e-40, 1e-7, -1e-7,
                            88.0, -88.0, 88.7, -88.7, 100.0, -100.0, 103.9, -103.9, 104.0, -104.0, 104.5, -104.5,
                            16.6, -16.6, 17.0, -17.0, 0.5, -0.5, 1.0, -1.0, 2.0, -2.0])
    x = torch.cat([random, sweep, special]).float()
    y = torch.sigmoid(x)
    assert x.numel() % 16 == 0, "keep every value in the vectorised loop"
    doc = {
        "generator": "tools/gen_kernel_fixtures.py",
        "torch_version": torch.__version__,
        "input": [num(v) for v in x.tolist()],
        "output": [num(v) for v in y.tolist()],
    }
    path = write_compact("tests/Autograd.Tests/Fixtures/kernels/sigmoid_float32.json", doc)
    print(f"wrote {path}: {x.numel()} values")


if __name__ == "__main__":
    main()
