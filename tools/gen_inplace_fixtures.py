"""Fixture for the in-place updates: PyTorch's "Learning PyTorch with Examples" polynomial fit
(autograd version), run with its manual update loop, in Float64 and Float32.

    a, b, c, d = (leaves that require grad)
    for t in range(ITERATIONS):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum()
        loss.backward()
        with torch.no_grad():
            a -= learning_rate * a.grad   (b, c, d alike)
            a.grad = None                 (the tutorial; zero_() gives the same numbers)

x is linspace(-pi, pi, POINTS) and y = sin(x), both stored in the fixture so that the C# test
depends on neither Linspace nor Sin. Writes tests/Autograd.Tests/Fixtures/inplace_poly.json.
Run with PyTorch 1.13: /usr/bin/python3 tools/gen_inplace_fixtures.py
"""

import math

import torch

from fixtures import fixture_path, flat, num, seeded, write_compact

POINTS = 2000
ITERATIONS = 200
LEARNING_RATE = 1e-6


def run(dtype):
    x = torch.linspace(-math.pi, math.pi, POINTS, dtype=dtype)
    y = torch.sin(x)
    g = seeded("inplace_poly")
    init = torch.randn(4, generator=g, dtype=torch.float64).to(dtype)
    a, b, c, d = (init[i].clone().requires_grad_() for i in range(4))
    losses = []
    for t in range(ITERATIONS):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            a -= LEARNING_RATE * a.grad
            b -= LEARNING_RATE * b.grad
            c -= LEARNING_RATE * c.grad
            d -= LEARNING_RATE * d.grad
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    return {
        "dtype": str(dtype).replace("torch.", ""),
        "x": flat(x),
        "y": flat(y),
        "init": flat(init),
        "losses": [num(v) for v in losses],
        "final": [num(v.item()) for v in (a, b, c, d)],
    }


def main():
    doc = {
        "torch": torch.__version__,
        "points": POINTS,
        "iterations": ITERATIONS,
        "learning_rate": LEARNING_RATE,
        "cases": [run(torch.float64), run(torch.float32)],
    }
    print(write_compact(fixture_path("Autograd.Tests", "inplace_poly.json"), doc))
    for case in doc["cases"]:
        print(case["dtype"], case["losses"][0], case["losses"][-1], case["final"])


if __name__ == "__main__":
    main()
