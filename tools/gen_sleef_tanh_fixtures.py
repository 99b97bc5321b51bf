#!/usr/bin/python3
"""Generate PyTorch reference values for the Sleef-based tanh kernels (float64 Sleef_tanhd4_u10,
float32 Sleef_tanhf8_u10) that reproduce torch.tanh bit for bit.

Run with the interpreter that has torch (1.13):

    /usr/bin/python3 tools/gen_sleef_tanh_fixtures.py

Writes

* tests/Autograd.Tests/Fixtures/kernels/tanh_float64.json: torch.tanh on 4096 float64 inputs
  (special values: zeros, infinities, NaN, subnormals, DBL_MIN, DBL_MAX; values just below and
  above 18.714973875, where Sleef returns 1; values around (k + 1/2) ln 2, where the range
  reduction of its e^|x| steps; tiny values; then values spread over every binary exponent, and
  ordinary ranges up to |x| = 25), both signs.
* tests/Autograd.Tests/Fixtures/kernels/tanh_float32.json: the same for float32 (threshold
  8.664339742f).

One call of 4096 elements each (torch.tanh's CPU kernel maps Vectorized<T>::tanh =
Sleef_tanhd4_u10 / Sleef_tanhf8_u10; this build has no MKL).

Format: {"generator", "torch_version", "dtype", "input": [...], "tanh": [...]}, every value as the
hex string of its IEEE bit pattern ("0x%016x" for float64, "0x%08x" for float32), so that NaN, -0
and subnormals survive exactly. Deterministic (fixed seeds).

It also checks, and prints, that torch.tanh gives the same bits when every value is computed alone
(a one-element tensor) and at every offset 0-7 of a slice, i.e. that the scalar tail goes through
the same vector code.
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
    one_at = 18.714973875 if is64 else f32(8.664339742)
    s = [0.0, -0.0, math.inf, -math.inf, math.nan, tiny, 2 * tiny, 3 * tiny, fmin, down(fmin), up(fmin),
         fmin / 2, fmax, down(fmax), 1.0, 0.5, 2.0, 3.0, 0.25, 10.0, 20.0, 25.0, 100.0, 1e3, 1e10, 1e30,
         rnd(math.log(2)), rnd(math.log(3) / 2), 0.55, rnd(0.5493061443340549)]
    # Around the threshold above which Sleef returns 1.
    v = w = one_at
    s.append(one_at)
    for _ in range(40):
        v, w = up(v), down(w)
        s += [v, w]
    for d in [1e-3, 1e-2, 0.1, 0.5, 1.0]:
        s += [rnd(one_at - d), rnd(one_at + d)]
    # Around (k + 1/2) ln 2, where q = round(|x| / ln 2) steps, and around k ln 2.
    for k in range(0, 29 if is64 else 14):
        for b in [rnd((k + 0.5) * math.log(2)), rnd(k * math.log(2))]:
            if b == 0:
                continue
            s += [b, up(b), down(b)]
    # Tiny values, where tanh x = x (almost).
    k = 1e-3
    while k > (1e-300 if is64 else 1e-37):
        s += [rnd(k), rnd(k * 1.37)]
        k /= 1e4 if is64 else 8
    k = tiny
    while k < fmin:
        s += [k, rnd(k * 1.7)]
        k *= 256 if is64 else 8
    s += [-v for v in list(s) if v == v and v != 0]
    return s


def inputs(dtype: torch.dtype, seed: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    is64 = dtype == torch.float64
    s = specials(dtype)
    emin, emax = (-1074, 1024) if is64 else (-149, 128)

    def signs(n):
        return torch.where(torch.rand(n, generator=gen, dtype=torch.float64) < 0.5, -1.0, 1.0).to(torch.float64)

    n_wide = 700
    e = torch.rand(n_wide, generator=gen, dtype=torch.float64) * (emax - emin) + emin
    wide = (torch.pow(2.0, e) * signs(n_wide)).to(dtype)
    # log-uniform between 1e-9 and 30 (where the formula matters)
    n_mid = 1000
    mid = (torch.pow(10.0, torch.rand(n_mid, generator=gen, dtype=torch.float64) * 10.5 - 9) * signs(n_mid)).to(dtype)
    n_ord = 1000
    ordinary = ((torch.rand(n_ord, generator=gen, dtype=torch.float64) * 2 - 1) * 5).to(dtype)
    rest = N - n_wide - n_mid - n_ord - len(s)
    assert rest > 0, rest
    far = ((torch.rand(rest, generator=gen, dtype=torch.float64) * 2 - 1) * 25).to(dtype)
    x = torch.cat([torch.tensor(s, dtype=dtype), wide, mid, ordinary, far])
    assert x.numel() == N
    return x


def check_alone(x: torch.Tensor, y: torch.Tensor, bits) -> int:
    ys = y.tolist()

    def same(a, b):
        return bits(a) == bits(b) or (math.isnan(a) and math.isnan(b))

    alone = torch.stack([torch.tanh(x[i:i + 1])[0] for i in range(N)]).tolist()
    diff = sum(not same(a, b) for a, b in zip(ys, alone))
    for off in range(8):
        part = torch.tanh(x[off:N - 3]).tolist()
        diff += sum(not same(a, b) for a, b in zip(ys[off:N - 3], part))
    return diff


def write(dtype: torch.dtype, seed: int, name: str, bits) -> None:
    x = inputs(dtype, seed)
    y = torch.tanh(x)
    diff = check_alone(x, y, bits)
    print(f"{dtype}: tanh alone / at offsets 0-7 differs from the one big call on {diff} values")
    assert diff == 0, "torch.tanh's tail should go through the same Sleef code"
    doc = {
        "generator": "tools/gen_sleef_tanh_fixtures.py",
        "torch_version": torch.__version__,
        "dtype": str(dtype).replace("torch.", ""),
        "input": [bits(float(v)) for v in x.tolist()],
        "tanh": [bits(float(v)) for v in y.tolist()],
    }
    path = f"tests/Autograd.Tests/Fixtures/kernels/{name}"
    write_compact(path, doc)
    print(f"wrote {path}: {N} values")


def main() -> None:
    torch.set_num_threads(1)
    write(torch.float64, 20241126, "tanh_float64.json", bits64)
    write(torch.float32, 20241127, "tanh_float32.json", bits32)


if __name__ == "__main__":
    main()
