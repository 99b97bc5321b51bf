#!/usr/bin/python3
"""PyTorch reference values for the numerical-extremes part of the reliability suite (issue 6).

Run with the interpreter that has torch (1.13):

    /usr/bin/python3 tools/gen_reliability_fixtures.py

Writes
  tests/Autograd.Tests/Fixtures/reliability/extremes.json  (Softmax, LogSoftmax, LogSumExp; sums)
  tests/Nn.Tests/Fixtures/reliability/extremes.json        (CrossEntropy, NllLoss, BCEWithLogits,
                                                            BCELoss; C = 10,000 classes)

Deterministic: the inputs are fixed lists or closed formulas that C# evaluates to the same bits
(see "large_logits" below), so the fixtures hold no random data.

JSON format
===========
A <tensor> is {"shape": [...], "data": [...]} (flat, row-major). Float32 values are written as
the exact double of the float32 (Python's float of a float32 is exact), non-finite values as the
strings "inf", "-inf", "nan".

Core file: {"torch_version", "cases": [<op case>], "sums": {...}}
  <op case> = {"name", "op": "softmax"|"log_softmax"|"logsumexp", "dim", "dtype",
               "input", "grad_output", "output", "grad_input"}
  grad_input = torch.autograd.grad(output, input, grad_output).
  "sums": {"uniform_1m", "uniform_4m_positive"}, each {"seed", "count", "shift", "first_values",
  "torch_float32_sum", "torch_float32_mean", "exact_sum", "abs_sum"}: the values are
  x_i = Generator(seed).NextSingle() - shift (xoshiro256** seeded through SplitMix64, as
  Autograd.Generator, re-implemented below); exact_sum is their exact sum (exact in double:
  every x_i is a multiple of 2^-24 below 1 in magnitude, so 4M of them need < 53 bits).

Nn file: {"torch_version", "cases": [<loss case>]}
  <loss case> = {"name", "loss": "cross_entropy"|"nll"|"bce_logits"|"bce", "dtype", "reduction",
                 "input" | "input_formula", "target", "weight", "pos_weight", "label_smoothing",
                 "loss_value", "grad_input" (full) | "grad_summary" (large C)}
  "input_formula": {"rows": N, "classes": C, "spikes": [[n, c, value], ...]}: the logit of
  row n, class c is float32(((n * 7919 + c * 104729) % 2003) / 100.0 - 10.0), then each
  spike overwrites one entry. "grad_summary": {"at": [[n, c], ...], "values": [...],
  "abs_sum": sum |grad| in float64 of the float32 gradient, "row_sums": per-row sums}.
"""

import json
import math
import os

import torch
import torch.nn.functional as F

from fixtures import REPO, num, tensor_json

MASK = (1 << 64) - 1


DTYPES = {"float32": torch.float32, "float64": torch.float64}

# Logits at the edge: +-1e4 beside ordinary values, a row all -1e4, a row of ties at 1e4.
EXTREME_ROWS = [
    [1e4, -1e4, 0.0, 1.0],
    [-1e4, -1e4, -1e4, -1e4],
    [1e4, 1e4, 1e4, -1e4],
    [0.5, 1e4, -3.0, 2.0],
]
# Masked logits (-inf), as attention masks and constrained decoding produce: finite results where PyTorch's are.
MASKED_ROWS = [
    [0.0, -math.inf, 1.0, 2.0],
    [-math.inf, 5.0, -math.inf, -math.inf],
    [1e4, -math.inf, -1e4, 0.0],
    [-3.0, -2.0, -math.inf, -1.0],
]
GRAD_ROWS = [
    [0.25, -0.5, 1.0, 0.75],
    [1.0, 2.0, -1.0, 0.5],
    [-0.25, 0.5, 0.125, 1.0],
    [0.3, -0.7, 0.2, 0.9],
]


def core_case(label, rows, dname, op, dim):
    dtype = DTYPES[dname]
    x = torch.tensor(rows, dtype=dtype, requires_grad=True)
    if op == "softmax":
        y = torch.softmax(x, dim)
    elif op == "log_softmax":
        y = torch.log_softmax(x, dim)
    else:
        y = torch.logsumexp(x, dim)
    g = torch.tensor(GRAD_ROWS, dtype=dtype)
    g = g if op != "logsumexp" else g[0] if dim == 1 else g[:, 0].contiguous()
    (gx,) = torch.autograd.grad(y, x, g)
    return {"name": f"{label}{op}/dim{dim}/{dname}", "op": op, "dim": dim, "dtype": dname,
            "input": tensor_json(x), "grad_output": tensor_json(g), "output": tensor_json(y), "grad_input": tensor_json(gx)}


def core_cases():
    ops = ["softmax", "log_softmax", "logsumexp"]
    cases = [core_case("", EXTREME_ROWS, d, op, dim) for d in DTYPES for op in ops for dim in [1, 0]]
    # Masked rows along the rows only (a masked column would be all -inf: NaN in PyTorch too).
    cases += [core_case("masked/", MASKED_ROWS, d, op, 1) for d in DTYPES for op in ops]
    return cases


class Xoshiro:
    """Autograd.Generator: xoshiro256** seeded through SplitMix64."""

    def __init__(self, seed):
        x = seed & MASK
        s = []
        for _ in range(4):
            x = (x + 0x9E3779B97F4A7C15) & MASK
            z = x
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
            s.append(z ^ (z >> 31))
        self.s = s

    @staticmethod
    def rotl(v, k):
        return ((v << k) | (v >> (64 - k))) & MASK

    def next_u64(self):
        s0, s1, s2, s3 = self.s
        result = (self.rotl((s1 * 5) & MASK, 7) * 9) & MASK
        t = (s1 << 17) & MASK
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = self.rotl(s3, 45)
        self.s = [s0, s1, s2, s3]
        return result

    def next_single(self):
        return (self.next_u64() >> 40) / float(1 << 24)


def uniform_sum(seed, count, shift):
    """x_i = NextSingle() - shift for i < count; torch's float32 sum and the exact sum."""
    g = Xoshiro(seed)
    values = [g.next_single() - shift for _ in range(count)]
    exact = math.fsum(values)
    t = torch.tensor(values, dtype=torch.float32)
    assert t.double().sum().item() == exact  # the values are exact float32s and their sum is exact in double
    return {"seed": seed, "count": count, "shift": shift, "first_values": values[:4],
            "torch_float32_sum": num(t.sum().item()), "torch_float32_mean": num(t.mean().item()),
            "exact_sum": exact, "abs_sum": math.fsum(abs(v) for v in values)}


def sums():
    return {"uniform_1m": uniform_sum(20240601, 1_000_000, 0.5),
            "uniform_4m_positive": uniform_sum(7, 4_000_000, 0.0)}


def large_logits(rows, classes, spikes, dtype):
    x = torch.empty(rows, classes, dtype=torch.float64)
    for n in range(rows):
        c = torch.arange(classes, dtype=torch.int64)
        x[n] = ((n * 7919 + c * 104729) % 2003).double() / 100.0 - 10.0
    x = x.to(dtype)
    for n, c, v in spikes:
        x[n, c] = v
    return x


def loss_case(name, loss, dname, reduction, x, target, weight=None, pos_weight=None, smoothing=0.0, formula=None, summary_at=None):
    dtype = DTYPES[dname]
    x = x.clone().to(dtype).requires_grad_(True)
    if loss == "cross_entropy":
        y = F.cross_entropy(x, target, weight=weight, reduction=reduction, label_smoothing=smoothing)
    elif loss == "nll":
        y = F.nll_loss(x, target, weight=weight, reduction=reduction)
    elif loss == "bce_logits":
        y = F.binary_cross_entropy_with_logits(x, target, weight=weight, pos_weight=pos_weight, reduction=reduction)
    else:
        y = F.binary_cross_entropy(x, target, weight=weight, reduction=reduction)
    go = torch.ones_like(y) if reduction != "none" else torch.full_like(y, 0.5)
    (gx,) = torch.autograd.grad(y, x, go)
    # The committed file has class indices written as floats (1.0); double() keeps it so.
    case = {"name": name, "loss": loss, "dtype": dname, "reduction": reduction,
            "target": tensor_json(target.double()), "weight": None if weight is None else tensor_json(weight),
            "pos_weight": None if pos_weight is None else tensor_json(pos_weight),
            "label_smoothing": smoothing, "grad_output": tensor_json(go), "loss_value": tensor_json(y)}
    if formula is None:
        case["input"] = tensor_json(x)
        case["grad_input"] = tensor_json(gx)
    else:
        case["input_formula"] = formula
        case["grad_summary"] = {"at": summary_at, "values": [num(gx[n, c].item()) for n, c in summary_at],
                                "abs_sum": gx.double().abs().sum().item(),
                                "row_sums": [num(v) for v in gx.double().sum(1).tolist()]}
    return case


def nn_cases():
    cases = []
    for dname, dtype in DTYPES.items():
        x = torch.tensor(EXTREME_ROWS, dtype=dtype)
        t = torch.tensor([0, 2, 1, 3])
        w = torch.tensor([0.5, 2.0, 1.0, 1.5], dtype=dtype)
        for red in ["mean", "sum", "none"]:
            cases.append(loss_case(f"ce/extreme/{red}/{dname}", "cross_entropy", dname, red, x, t))
        cases.append(loss_case(f"ce/extreme/weight_smooth/{dname}", "cross_entropy", dname, "mean", x, t, weight=w, smoothing=0.1))
        q = torch.softmax(torch.tensor(GRAD_ROWS, dtype=dtype), 1)
        cases.append(loss_case(f"ce/extreme/probabilities/{dname}", "cross_entropy", dname, "mean", x, q))
        cases.append(loss_case(f"nll/extreme_logprobs/{dname}", "nll", dname, "mean", torch.log_softmax(x, 1), t))
        xm = torch.tensor(MASKED_ROWS, dtype=dtype)
        tm = torch.tensor([3, 1, 0, 1])  # every target on a finite logit
        for red in ["mean", "none"]:
            cases.append(loss_case(f"ce/masked/{red}/{dname}", "cross_entropy", dname, red, xm, tm))
        cases.append(loss_case(f"ce/masked/weight/{dname}", "cross_entropy", dname, "mean", xm, tm, weight=w))
        cases.append(loss_case(f"nll/masked_logprobs/{dname}", "nll", dname, "sum", torch.log_softmax(xm, 1), tm))

        xb = torch.tensor([1e4, -1e4, 1e4, -1e4, 0.0, 30.0, -30.0, 100.0], dtype=dtype)
        yb = torch.tensor([1.0, 1.0, 0.0, 0.0, 0.5, 0.0, 1.0, 1.0], dtype=dtype)
        pw = torch.tensor([3.0], dtype=dtype)
        for red in ["mean", "sum", "none"]:
            cases.append(loss_case(f"bce_logits/extreme/{red}/{dname}", "bce_logits", dname, red, xb, yb))
        cases.append(loss_case(f"bce_logits/extreme/pos_weight/{dname}", "bce_logits", dname, "mean", xb, yb, pos_weight=pw))
        cases.append(loss_case(f"bce_logits/extreme/pos_weight_none/{dname}", "bce_logits", dname, "none", xb, yb, pos_weight=pw))

        p = torch.tensor([0.0, 1.0, 0.0, 1.0, 0.5, 1e-30, 1.0, 0.0], dtype=dtype)
        yp = torch.tensor([0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5], dtype=dtype)
        for red in ["mean", "sum", "none"]:
            cases.append(loss_case(f"bce/zero_one/{red}/{dname}", "bce", dname, red, p, yp))

        # C = 10,000 classes: formula logits, one row with a +1e4 spike at its target and one with -1e4 there.
        classes, rows = 10_000, 4
        spikes = [[1, 9999, 1e4], [2, 1234, -1e4]]
        xl = large_logits(rows, classes, spikes, dtype)
        tl = torch.tensor([0, 9999, 1234, 5000])
        formula = {"rows": rows, "classes": classes, "spikes": spikes}
        at = [[0, 0], [0, 1], [1, 9999], [1, 0], [2, 1234], [3, 5000], [3, 4999]]
        for red in ["mean", "sum"]:
            cases.append(loss_case(f"ce/classes10000/{red}/{dname}", "cross_entropy", dname, red, xl, tl, formula=formula, summary_at=at))
        cases.append(loss_case(f"ce/classes10000/smooth/{dname}", "cross_entropy", dname, "mean", xl, tl, smoothing=0.2, formula=formula, summary_at=at))
    return cases


def write(path, obj):
    path = os.path.join(REPO, path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")
    print("wrote", os.path.relpath(path, REPO))


def main():
    torch.set_num_threads(1)
    write("tests/Autograd.Tests/Fixtures/reliability/extremes.json",
          {"generator": "tools/gen_reliability_fixtures.py", "torch_version": torch.__version__,
           "cases": core_cases(), "sums": sums()})
    write("tests/Nn.Tests/Fixtures/reliability/extremes.json",
          {"generator": "tools/gen_reliability_fixtures.py", "torch_version": torch.__version__,
           "cases": nn_cases()})


if __name__ == "__main__":
    main()
