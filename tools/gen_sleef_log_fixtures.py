#!/usr/bin/python3
"""Generate PyTorch reference values for the Sleef-based log kernels (float64 Sleef_logd4_u10,
float32 Sleef_logf8_u10) that reproduce torch.log bit for bit.

Run with the interpreter that has torch (1.13):

    /usr/bin/python3 tools/gen_sleef_log_fixtures.py

Writes

* tests/Autograd.Tests/Fixtures/kernels/log_float64.json: torch.log on 4096 float64 inputs
  (special values: zeros, infinities, NaN, negatives, subnormals, DBL_MIN, DBL_MAX, values near 1
  and near the 0.75 2^k boundaries of Sleef's range reduction; then values spread over every
  binary exponent, and ordinary ranges).
* tests/Autograd.Tests/Fixtures/kernels/log_float32.json: the same for float32.

One call of 4096 elements each (torch.log goes through aten's vml::vlog, i.e. vec::map over
Vectorized<T>::log = Sleef_logd4_u10 / Sleef_logf8_u10; this build has no MKL).

Format: {"generator", "torch_version", "dtype", "input": [...], "log": [...]}, every value as the
hex string of its IEEE bit pattern ("0x%016x" for float64, "0x%08x" for float32), so that NaN, -0
and subnormals survive exactly. Deterministic (fixed seeds).

It also checks, and prints, that torch.log gives the same bits when every value is computed alone
(a one-element tensor) and at every offset 0-7 of a slice, i.e. that the scalar tail goes through
the same vector code (vec::map pads the tail into one vector).
"""
import math

import torch

from fixtures import bits32, bits64, f32, next_down32, next_up32, write_compact

N = 4096


def specials(dtype: torch.dtype) -> list:
    is64 = dtype == torch.float64
    up = (lambda v: math.nextafter(v, math.inf)) if is64 else next_up32
    down = (lambda v: math.nextafter(v, -math.inf)) if is64 else next_down32
    rnd = (lambda v: v) if is64 else f32
    tiny = 5e-324 if is64 else 1e-45
    fmin = 2.2250738585072014e-308 if is64 else 1.1754943508222875e-38
    fmax = 1.7976931348623157e308 if is64 else 3.4028234663852886e38
    emin, emax = (-1074, 1023) if is64 else (-149, 127)
    s = [0.0, -0.0, math.inf, -math.inf, math.nan, -1.0, -0.5, -tiny, -fmin, -fmax, -1e-10, -3.0,
         tiny, 2 * tiny, 3 * tiny, fmin, down(fmin), up(fmin), fmin / 2, fmin / 3, fmax, down(fmax),
         1.0, 2.0, 0.5, 4.0, 0.25, 10.0, 100.0, 1e10, 1e-10, math.e, rnd(math.e), rnd(math.pi)]
    # Near 1 (where log is small and the result's relative precision matters most).
    v = 1.0
    w = 1.0
    for _ in range(60):
        v = up(v)
        w = down(w)
        s += [v, w]
    for k in range(1, 16 if is64 else 8):
        s += [rnd(1 + 10.0 ** -k), rnd(1 - 10.0 ** -k)]
    # Around 0.75 2^k, where Sleef's exponent e (from d / 0.75) steps.
    for k in range(emin + 2, emax, 7 if is64 else 3):
        b = rnd(0.75 * 2.0 ** k)
        if b == 0 or math.isinf(b):
            continue
        s += [b, up(b), down(b)]
    # Subnormals.
    k = tiny
    while k < fmin:
        s += [k, rnd(k * 1.7)]
        k *= 8
    return s


def inputs(dtype: torch.dtype, seed: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    is64 = dtype == torch.float64
    s = specials(dtype)
    emin, emax = (-1074, 1024) if is64 else (-149, 128)
    n_wide = 1400
    # log-uniform over the whole positive range (every binary exponent, subnormals too)
    e = torch.rand(n_wide, generator=gen, dtype=torch.float64) * (emax - emin) + emin
    wide = torch.pow(2.0, e).to(dtype)
    near1 = (1 + (torch.rand(600, generator=gen, dtype=torch.float64) * 2 - 1) * torch.pow(
        10.0, -torch.rand(600, generator=gen, dtype=torch.float64) * (15 if is64 else 7))).to(dtype)
    ordinary = (torch.rand(800, generator=gen, dtype=torch.float64) * 10).to(dtype)
    rest = N - n_wide - 600 - 800 - len(s)
    assert rest > 0, rest
    mid = torch.exp(torch.randn(rest, generator=gen, dtype=torch.float64) * 20).to(dtype)
    x = torch.cat([torch.tensor(s, dtype=dtype), wide, near1, ordinary, mid])
    assert x.numel() == N
    return x


def check_alone(x: torch.Tensor, y: torch.Tensor, bits) -> int:
    ys = y.tolist()

    def same(a, b):
        return bits(a) == bits(b) or (math.isnan(a) and math.isnan(b))

    alone = torch.stack([torch.log(x[i:i + 1])[0] for i in range(N)]).tolist()
    diff = sum(not same(a, b) for a, b in zip(ys, alone))
    for off in range(8):
        part = torch.log(x[off:N - 3]).tolist()
        diff += sum(not same(a, b) for a, b in zip(ys[off:N - 3], part))
    return diff


def write(dtype: torch.dtype, seed: int, name: str, bits) -> None:
    x = inputs(dtype, seed)
    y = torch.log(x)
    diff = check_alone(x, y, bits)
    print(f"{dtype}: log alone / at offsets 0-7 differs from the one big call on {diff} values")
    assert diff == 0, "torch.log's tail should go through the same Sleef code"
    doc = {
        "generator": "tools/gen_sleef_log_fixtures.py",
        "torch_version": torch.__version__,
        "dtype": str(dtype).replace("torch.", ""),
        "input": [bits(float(v)) for v in x.tolist()],
        "log": [bits(float(v)) for v in y.tolist()],
    }
    path = f"tests/Autograd.Tests/Fixtures/kernels/{name}"
    write_compact(path, doc)
    print(f"wrote {path}: {N} values")


def main() -> None:
    torch.set_num_threads(1)
    write(torch.float64, 20241124, "log_float64.json", bits64)
    write(torch.float32, 20241125, "log_float32.json", bits32)


if __name__ == "__main__":
    main()
