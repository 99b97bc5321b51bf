#!/usr/bin/python3
"""Generate PyTorch reference fixtures for the binary and regression losses of Autograd.Nn.

Run with the interpreter that has torch (1.13):

    /usr/bin/python3 tools/gen_binary_loss_fixtures.py

Writes tests/Nn.Tests/Fixtures/losses/binary_losses.json (BCELoss, BCEWithLogitsLoss) and
tests/Nn.Tests/Fixtures/losses/regression_losses.json (MSELoss, L1Loss, HuberLoss,
SmoothL1Loss). Deterministic: every case seeds its own torch.Generator from the CRC32 of its
name, so adding or removing cases never changes the data of the others.

JSON format
===========

Top level: {"generator": ..., "torch_version": ..., "cases": [<case>, ...]}.

A <tensor> is {"shape": [d0, ...], "data": [...]} (flat, row-major; [] shape for 0-d). Float32
values are written as the exact double of the float32 (Python's float of a float32 is exact),
so (float)double.Parse recovers the bits. Non-finite values are the strings "inf", "-inf",
"nan".

A <case> is::

    { "name":        unique name, e.g. "bce_logits/mean/w_full/pw_class/2d/float32",
      "loss":        "bce" | "bce_logits" | "mse" | "l1" | "huber" | "smooth_l1",
      "dtype":       "float32" | "float64" (of every tensor in the case),
      "reduction":   "none" | "mean" | "sum",
      "delta":       Huber's delta (huber only), "beta": SmoothL1's beta (smooth_l1 only),
      "input", "target": <tensor>,
      "weight", "pos_weight": <tensor> | null,
      "loss_value":  <tensor>, the loss (0-d unless reduction is none),
      "grad_output": <tensor>, the upstream gradient (0.75 for mean/sum, random for none),
      "grad_input", "grad_target": <tensor>, from
                     torch.autograd.grad(loss, [input, target], grad_output),
      "hvp":         null | {"vector": <tensor>, "expected": <tensor>}:
                     with g = d<loss, grad_output>/d input (create_graph=True),
                     expected = d (g * vector).sum() / d input, a Hessian-vector product.
    }

Conventions pinned down by specific cases (PyTorch 1.13 behaviour):
  * BCELoss clamps each log at -100 (input 0 or 1 with a "wrong" target gives 100) and its
    input gradient divides by max(x (1 - x), EPSILON) where EPSILON is the float 1e-12
    (so in float64 the divisor is 9.9999999600419720e-13, not 1e-12); its target gradient
    is -logit(x), +-inf at x = 0 or 1.
  * BCELoss computes log(1 - x), not log1p(-x): x = 1e-8 with target 0 gives exactly 0.
  * BCEWithLogitsLoss: max_val + log(exp(-max_val) + exp(-x - max_val)); logits of +-1e4
    stay finite.
  * Huber / SmoothL1 at |d| == delta / beta take the linear branch (equal to the quadratic one
    there); L1 and SmoothL1(beta=0) have gradient sign(d), 0 at d = 0.
  * Mean over an empty input is NaN.
"""

import json
import os

import torch
import torch.nn.functional as F

from fixtures import fixture_path, seeded, tensor_json

ROOT = fixture_path("Nn.Tests", "losses")
DTYPES = {"float32": torch.float32, "float64": torch.float64}
REDUCTIONS = ["none", "mean", "sum"]
SHAPES = {"0d": (), "1d": (5,), "2d": (3, 4), "3d": (2, 3, 2)}


def call(loss, x, y, w, pw, reduction, delta, beta):
    if loss == "bce":
        return F.binary_cross_entropy(x, y, weight=w, reduction=reduction)
    if loss == "bce_logits":
        return F.binary_cross_entropy_with_logits(x, y, weight=w, pos_weight=pw, reduction=reduction)
    if loss == "mse":
        return F.mse_loss(x, y, reduction=reduction)
    if loss == "l1":
        return F.l1_loss(x, y, reduction=reduction)
    if loss == "huber":
        return F.huber_loss(x, y, reduction=reduction, delta=delta)
    if loss == "smooth_l1":
        return F.smooth_l1_loss(x, y, reduction=reduction, beta=beta)
    raise ValueError(loss)


def make_case(name, loss, dtype, reduction, x, y, w=None, pw=None, delta=None, beta=None, hvp=False):
    """x, y, w, pw: float64 tensors (cast here to dtype)."""
    dt = DTYPES[dtype]
    g = seeded(name + "/grad")
    x = x.to(dt).detach().requires_grad_(True)
    y = y.to(dt).detach().requires_grad_(True)
    w = None if w is None else w.to(dt)
    pw = None if pw is None else pw.to(dt)
    out = call(loss, x, y, w, pw, reduction, delta, beta)
    if reduction == "none":
        go = (torch.rand(out.shape, generator=g, dtype=torch.float64) * 2 - 0.5).to(dt)
    else:
        go = torch.tensor(0.75, dtype=dt)
    gi, gt = torch.autograd.grad(out, [x, y], go, create_graph=hvp)
    case = {
        "name": name, "loss": loss, "dtype": dtype, "reduction": reduction,
        "input": tensor_json(x), "target": tensor_json(y),
        "weight": tensor_json(w), "pos_weight": tensor_json(pw),
        "loss_value": tensor_json(out), "grad_output": tensor_json(go),
        "grad_input": tensor_json(gi), "grad_target": tensor_json(gt), "hvp": None,
    }
    if delta is not None:
        case["delta"] = delta
    if beta is not None:
        case["beta"] = beta
    if hvp:
        v = (torch.rand(x.shape, generator=g, dtype=torch.float64) * 2 - 1).to(dt)
        (hv,) = torch.autograd.grad((gi * v).sum(), [x])
        case["hvp"] = {"vector": tensor_json(v), "expected": tensor_json(hv)}
    return case


def rand(shape, g, lo, hi):
    return torch.rand(shape, generator=g, dtype=torch.float64) * (hi - lo) + lo


def binary_cases():
    cases = []
    # BCELoss: every reduction x shape x weight (none, full, broadcast), soft targets.
    for dtype in DTYPES:
        for red in REDUCTIONS:
            for sname, shape in SHAPES.items():
                for wname in ["w_none", "w_full", "w_bcast"]:
                    name = f"bce/{red}/{wname}/{sname}/{dtype}"
                    g = seeded(name)
                    x = rand(shape, g, 0.02, 0.98)
                    y = rand(shape, g, 0, 1)
                    w = None
                    if wname == "w_full":
                        w = rand(shape, g, 0, 2)
                    elif wname == "w_bcast":
                        w = rand(shape[-1:], g, 0, 2) if shape else torch.tensor(1.5, dtype=torch.float64)
                    cases.append(make_case(name, "bce", dtype, red, x, y, w, hvp=(sname == "2d" and wname != "w_bcast")))
        # Hard 0/1 targets; a zero weight removes an element.
        for red in REDUCTIONS:
            name = f"bce/{red}/hard_targets_zero_weight/{dtype}"
            g = seeded(name)
            x = rand((2, 4), g, 0.05, 0.95)
            y = torch.tensor([[1., 0., 1., 0.], [0., 1., 1., 0.]], dtype=torch.float64)
            w = torch.tensor([[1., 0., 2., 1.], [0.5, 1., 0., 1.]], dtype=torch.float64)
            cases.append(make_case(name, "bce", dtype, red, x, y, w))
            # Probabilities exactly 0 and 1 against targets 0 and 1 both ways: the -100 clamp and
            # the EPSILON in the gradient (loss 100, gradient about +-1e12, finite).
            name = f"bce/{red}/probabilities_0_and_1/{dtype}"
            x = torch.tensor([0., 0., 1., 1., 0.5, 1e-8], dtype=torch.float64)
            y = torch.tensor([0., 1., 0., 1., 0.5, 0.], dtype=torch.float64)
            cases.append(make_case(name, "bce", dtype, red, x, y))
        # Empty input: mean is NaN, sum is 0.
        for red in REDUCTIONS:
            name = f"bce/{red}/empty/{dtype}"
            z = torch.zeros(0, dtype=torch.float64)
            cases.append(make_case(name, "bce", dtype, red, z, z))
        # REFERENCE.md: BCELoss()(sigmoid([0.2, 0.4, 0.6]), [0, 1, 1]) = 0.5828806757926941 (float32).
        name = f"bce/mean/reference_sigmoid/{dtype}"
        x = torch.sigmoid(torch.tensor([0.2, 0.4, 0.6], dtype=DTYPES[dtype])).double()
        cases.append(make_case(name, "bce", dtype, "mean", x, torch.tensor([0., 1., 1.], dtype=torch.float64)))

    # BCEWithLogitsLoss: every reduction x shape x weight x pos_weight.
    for dtype in DTYPES:
        for red in REDUCTIONS:
            for sname, shape in SHAPES.items():
                for wname in ["w_none", "w_full"]:
                    for pname in ["pw_none", "pw_class", "pw_one"]:
                        name = f"bce_logits/{red}/{wname}/{pname}/{sname}/{dtype}"
                        g = seeded(name)
                        x = rand(shape, g, -4, 4)
                        y = rand(shape, g, 0, 1)
                        w = rand(shape, g, 0, 2) if wname == "w_full" else None
                        pw = None
                        if pname == "pw_class":  # one per class: the last dim
                            pw = rand(shape[-1:], g, 0.5, 4)
                        elif pname == "pw_one":  # broadcast from (1,) (0-d for a 0-d input)
                            pw = torch.tensor([2.5] if shape else 2.5, dtype=torch.float64)
                        cases.append(make_case(name, "bce_logits", dtype, red, x, y, w, pw,
                                               hvp=(sname == "2d" and pname != "pw_one")))
        # Multi-label (N, C) with a per-class pos_weight and a per-sample weight (N, 1).
        for red in REDUCTIONS:
            name = f"bce_logits/{red}/multilabel_per_class_pos_weight/{dtype}"
            g = seeded(name)
            x = rand((6, 3), g, -3, 3)
            y = (rand((6, 3), g, 0, 1) > 0.5).double()
            pw = torch.tensor([1.0, 3.0, 0.25], dtype=torch.float64)
            w = rand((6, 1), g, 0.5, 1.5)
            cases.append(make_case(name, "bce_logits", dtype, red, x, y, w, pw))
            # Extreme logits: +-1e4 and +-100 against hard targets both ways, with and without
            # pos_weight (REFERENCE: x = -1e4, y = 1, p = 3 -> 30000, grad -3; x = 1e4, y = 0 -> 10000, grad 1).
            xs = torch.tensor([-1e4, 1e4, -1e4, 1e4, -100., 100., -100., 100., 0., 30.], dtype=torch.float64)
            ys = torch.tensor([1., 0., 0., 1., 1., 0., 0., 1., 0.5, 0.25], dtype=torch.float64)
            cases.append(make_case(f"bce_logits/{red}/extreme_logits/{dtype}", "bce_logits", dtype, red, xs, ys))
            cases.append(make_case(f"bce_logits/{red}/extreme_logits_pos_weight_3/{dtype}", "bce_logits", dtype, red,
                                   xs, ys, pw=torch.tensor([3.0], dtype=torch.float64)))
            name = f"bce_logits/{red}/empty/{dtype}"
            z = torch.zeros(0, 3, dtype=torch.float64)
            cases.append(make_case(name, "bce_logits", dtype, red, z, z, pw=torch.ones(3, dtype=torch.float64)))
        # REFERENCE.md identity: BCEWithLogits(x, y) == BCELoss(sigmoid(x), y).
        name = f"bce_logits/mean/reference_identity/{dtype}"
        x = torch.tensor([[0.4, 0.7, 1.2, 0.3], [1.1, 0.6, 0.9, 1.6]], dtype=torch.float64)
        y = torch.tensor([[1., 0., 1., 0.], [0., 1., 1., 0.]], dtype=torch.float64)
        cases.append(make_case(name, "bce_logits", dtype, "mean", x, y))
    return cases


def regression_cases():
    cases = []
    options = [("mse", {}), ("l1", {}), ("huber", {"delta": 1.0}), ("huber", {"delta": 0.5}),
               ("smooth_l1", {"beta": 1.0}), ("smooth_l1", {"beta": 0.5}), ("smooth_l1", {"beta": 0.0})]
    for dtype in DTYPES:
        for loss, opt in options:
            tag = "".join(f"/{k}_{v}" for k, v in opt.items())
            for red in REDUCTIONS:
                for sname, shape in SHAPES.items():
                    name = f"{loss}{tag}/{red}/{sname}/{dtype}"
                    g = seeded(name)
                    x = rand(shape, g, -2, 2)
                    y = rand(shape, g, -2, 2)
                    smooth = loss in ("mse",) or (loss == "huber") or (loss == "smooth_l1" and opt["beta"] > 0)
                    cases.append(make_case(name, loss, dtype, red, x, y, hvp=(sname == "2d" and smooth), **opt))
                # Points exactly at the kinks: d = 0 and |d| == delta / beta (all exact in binary),
                # plus one point on each side.
                name = f"{loss}{tag}/{red}/kinks/{dtype}"
                k = opt.get("delta", opt.get("beta", 1.0)) or 1.0
                y = torch.tensor([0.25, -0.5, 1.0, 0.75, -1.25, 0.5, 2.0, -0.25], dtype=torch.float64)
                d = torch.tensor([0., 0., k, -k, k / 2, -k / 2, 2 * k, -2 * k], dtype=torch.float64)
                cases.append(make_case(name, loss, dtype, red, y + d, y, **opt))
            name = f"{loss}{tag}/mean/empty/{dtype}"
            z = torch.zeros(0, dtype=torch.float64)
            cases.append(make_case(name, loss, dtype, "mean", z, z, **opt))
    return cases


def write(fname, cases):
    os.makedirs(ROOT, exist_ok=True)
    names = [c["name"] for c in cases]
    assert len(names) == len(set(names)), "duplicate case names"
    path = os.path.join(ROOT, fname)
    with open(path, "w") as f:
        f.write('{"generator": "tools/gen_binary_loss_fixtures.py", "torch_version": "%s", "cases": [\n' % torch.__version__)
        f.write(",\n".join(json.dumps(c, separators=(",", ":"), allow_nan=False) for c in cases))
        f.write("\n]}\n")
    print(f"{path}: {len(cases)} cases")


if __name__ == "__main__":
    torch.set_num_threads(1)
    write("binary_losses.json", binary_cases())
    write("regression_losses.json", regression_cases())
