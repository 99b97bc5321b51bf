#!/usr/bin/python3
"""Generate PyTorch reference values for the Sleef-based exp kernels (float64 exp and sigmoid,
float32 exp) that reproduce PyTorch bit for bit.

Run with the interpreter that has torch (1.13):

    /usr/bin/python3 tools/gen_sleef_double_fixtures.py

Writes

* tests/Autograd.Tests/Fixtures/kernels/sleef_double.json: torch.exp and torch.sigmoid on 4096
  float64 inputs (spread over [-745, 710], many in [-50, 50], and special values: zeros,
  infinities, NaN, subnormals, the overflow and underflow bounds and their neighbours, ties of
  the rounding of x / ln 2). One call of 4096 elements, a whole number of PyTorch's vector steps
  (Vectorized<double> has 4 lanes, cpu_kernel_vec steps by 8), so that every value goes through
  the vectorised kernel (Sleef_expd4_u10; torch.sigmoid's scalar tail would use std::exp).
* tests/Autograd.Tests/Fixtures/kernels/exp_float32.json: torch.exp on 4096 float32 inputs
  (Sleef_expf8_u10).

Format: {"generator", "torch_version", "dtype", "input": [...], "exp": [...], "sigmoid": [...]}
(exp_float32.json has no "sigmoid"), every value as the hex string of its IEEE bit pattern
("0x%016x" for float64, "0x%08x" for float32), so that NaN, -0 and subnormals survive exactly.
Deterministic (fixed seed).

It also checks, and prints, that torch.exp gives the same bits when every value is computed alone
(a one-element tensor: aten's vec::map pads the tail into one vector, so it goes through the same
Sleef code) and that torch.sigmoid on float64 does too except where its scalar tail (std::exp)
rounds differently (counted, not asserted).
"""
import math

import torch

from fixtures import bits32, bits64, write_compact

N = 4096


def next_up(x: float) -> float:
    return math.nextafter(x, math.inf)


def next_down(x: float) -> float:
    return math.nextafter(x, -math.inf)


def double_inputs() -> torch.Tensor:
    gen = torch.Generator().manual_seed(20241122)
    ln2 = math.log(2)
    over = 709.78271114955742909217217426  # Sleef's overflow bound
    special = [0.0, -0.0, math.inf, -math.inf, math.nan, 5e-324, -5e-324, 2.2250738585072014e-308,
               -2.2250738585072014e-308, 1e-300, -1e-300, 1e-16, -1e-16, 1.1102230246251565e-16, 1e-8, -1e-8,
               0.5, -0.5, 1.0, -1.0, 2.0, -2.0, 10.0, -10.0, 36.0, -36.0, 37.0, -37.0,
               over, next_up(over), next_down(over), 709.0, 709.7, 709.78, 709.79, 710.0, 711.0, 800.0, 1e300,
               -708.3964185322641, -708.39, -708.4, -709.0, -720.0, -740.0, -744.4400719213812, -745.0,
               -745.1332191019411, -745.1332191019412, -745.13321910194122, -745.2, -746.0, -800.0, -999.0,
               -1000.0, next_up(-1000.0), next_down(-1000.0), -1001.0, -1e300,
               1.7976931348623157e308, -1.7976931348623157e308]
    # x with x / ln 2 (nearly) halfway between whole numbers: the rounding of q decides there.
    for k in range(-1070, 1024, 41):
        t = (k + 0.5) * ln2
        special += [t, next_up(t), next_down(t)]
    for k in range(-1074, 1025, 97):  # whole multiples of ln 2
        special.append(k * ln2)
    n_wide = 1000
    wide = torch.rand(n_wide, generator=gen, dtype=torch.float64) * (710.0 + 745.0) - 745.0
    normal = torch.randn(600, generator=gen, dtype=torch.float64) * 5
    small = (torch.rand(200, generator=gen, dtype=torch.float64) * 2 - 1) * torch.pow(
        10.0, -torch.rand(200, generator=gen, dtype=torch.float64) * 20)
    rest = N - n_wide - 600 - 200 - len(special)
    mid = torch.rand(rest, generator=gen, dtype=torch.float64) * 100 - 50
    x = torch.cat([torch.tensor(special, dtype=torch.float64), wide, normal, small, mid])
    assert x.numel() == N
    return x


def main() -> None:
    torch.set_num_threads(1)
    x = double_inputs()
    e = torch.exp(x)
    s = torch.sigmoid(x)
    alone_exp = torch.stack([torch.exp(x[i:i + 1])[0] for i in range(N)])
    alone_sig = torch.stack([torch.sigmoid(x[i:i + 1])[0] for i in range(N)])
    xs = [float(v) for v in x.tolist()]

    def same(a, b):
        return bits64(a) == bits64(b) or (math.isnan(a) and math.isnan(b))

    d_exp = sum(not same(a, b) for a, b in zip(e.tolist(), alone_exp.tolist()))
    d_sig = sum(not same(a, b) for a, b in zip(s.tolist(), alone_sig.tolist()))
    print(f"float64: exp alone differs from the vector loop on {d_exp} of {N}; sigmoid alone on {d_sig} of {N}")
    assert d_exp == 0, "torch.exp's tail should go through the same Sleef code"
    doc = {
        "generator": "tools/gen_sleef_double_fixtures.py",
        "torch_version": torch.__version__,
        "dtype": "float64",
        "input": [bits64(v) for v in xs],
        "exp": [bits64(float(v)) for v in e.tolist()],
        "sigmoid": [bits64(float(v)) for v in s.tolist()],
    }
    path = "tests/Autograd.Tests/Fixtures/kernels/sleef_double.json"
    write_compact(path, doc)
    print(f"wrote {path}: {N} values")

    gen = torch.Generator().manual_seed(20241123)
    special32 = [0.0, -0.0, math.inf, -math.inf, math.nan, 1e-45, -1e-45, 1e-40, -1e-40, 1e-7, -1e-7,
                 88.0, 88.7, 88.72, 89.0, 100.0, 100.5, -87.0, -88.0, -100.0, -103.9, -104.0, -104.5, -110.0,
                 0.5, -0.5, 1.0, -1.0, 2.0, -2.0]
    wide32 = torch.rand(1500, generator=gen) * 220 - 110
    normal32 = torch.randn(N - 1500 - len(special32), generator=gen) * 10
    x32 = torch.cat([torch.tensor(special32, dtype=torch.float32), wide32, normal32]).float()
    e32 = torch.exp(x32)
    alone32 = torch.stack([torch.exp(x32[i:i + 1])[0] for i in range(N)])
    d32 = sum(not (bits32(a) == bits32(b) or (math.isnan(a) and math.isnan(b)))
              for a, b in zip(e32.tolist(), alone32.tolist()))
    print(f"float32: exp alone differs from the vector loop on {d32} of {N}")
    doc = {
        "generator": "tools/gen_sleef_double_fixtures.py",
        "torch_version": torch.__version__,
        "dtype": "float32",
        "input": [bits32(float(v)) for v in x32.tolist()],
        "exp": [bits32(float(v)) for v in e32.tolist()],
    }
    path = "tests/Autograd.Tests/Fixtures/kernels/exp_float32.json"
    write_compact(path, doc)
    print(f"wrote {path}: {N} values")


if __name__ == "__main__":
    main()
