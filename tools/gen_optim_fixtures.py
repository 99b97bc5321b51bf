#!/usr/bin/python3
"""Generate PyTorch reference trajectories for the optimizers in Autograd.Optim.

Run with the interpreter that has torch (1.13):

    /usr/bin/python3 tools/gen_optim_fixtures.py

Writes tests/Optim.Tests/Fixtures/optim/optimizers.json (optimizer trajectories,
described below) and training_curves.json (two short training runs, described
above write_curves). Deterministic: every trajectory case seeds its own
torch.Generator from the CRC32 of its name, so adding or removing cases never
changes the data of the others; the training runs use fixed seeds.

Each case runs one torch.optim optimizer (foreach=False, PyTorch 1.13's default
single-tensor code path) for STEPS steps on three parameters of shapes (2, 3),
(5,) and (17,). No model is involved: before every step the generator writes a
fixed gradient into each parameter's .grad (or sets it to None, to check that a
parameter without a gradient is skipped and its state is left alone), then calls
optimizer.step() and records every parameter. The gradients are drawn with a
per-step scale in [0.1, 3] so that amsgrad's running maximum of exp_avg_sq
actually differs from exp_avg_sq.

JSON format
===========

    {
      "format": "autograd-optim-trajectories", "version": 1,
      "generator": "tools/gen_optim_fixtures.py", "torch_version": "...",
      "cases": [ <case>, ... ]
    }

<case>:

    { "name":      unique, e.g. "sgd_nesterov_float32",
      "optimizer": "SGD" | "Adam" | "AdamW",
      "dtype":     "float32" | "float64",
      "options":   constructor arguments, C# names: "lr", "momentum", "dampening",
                   "weightDecay", "nesterov", "maximize", "beta1", "beta2", "eps",
                   "amsgrad" (absent = the C# default, which equals PyTorch's),
      "lrs":       [ learning rate set before each step ] (param_groups[0]["lr"];
                   constant except in the *_lr_schedule cases),
      "shapes":    [ [2, 3], [5], [17] ],
      "initial":   [ flat row-major values of each parameter ],
      "grads":     [ per step: [ per parameter: flat values | null ] ],
      "expected":  [ per step: [ per parameter: flat values after optimizer.step() ] ] }

Float32 values are written as the exact double of the float32 (repr of a Python
float round-trips), so (float)double.Parse(s) recovers the bits; float64 values
round-trip via repr. No NaN/Inf anywhere.
"""

import json
import os

import torch

from fixtures import fixture_path, flat, seeded, write_compact

STEPS = 10
SHAPES = [(2, 3), (5,), (17,)]
OUT = fixture_path("Optim.Tests", "optim", "optimizers.json")

DTYPES = {"float32": torch.float32, "float64": torch.float64}

# name -> (optimizer, C# options, PyTorch kwargs)
CONFIGS = {
    "sgd_plain": ("SGD", {"lr": 0.1}, {"lr": 0.1}),
    "sgd_momentum": ("SGD", {"lr": 0.05, "momentum": 0.9}, {"lr": 0.05, "momentum": 0.9}),
    "sgd_dampening": ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3},
                      {"lr": 0.05, "momentum": 0.9, "dampening": 0.3}),
    "sgd_nesterov": ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True},
                     {"lr": 0.05, "momentum": 0.8, "nesterov": True}),
    "sgd_weight_decay": ("SGD", {"lr": 0.1, "weightDecay": 0.07}, {"lr": 0.1, "weight_decay": 0.07}),
    "sgd_momentum_weight_decay": ("SGD", {"lr": 0.03, "momentum": 0.7, "weightDecay": 0.05},
                                  {"lr": 0.03, "momentum": 0.7, "weight_decay": 0.05}),
    "sgd_maximize": ("SGD", {"lr": 0.05, "momentum": 0.9, "weightDecay": 0.02, "maximize": True},
                     {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.02, "maximize": True}),
    "adam_plain": ("Adam", {"lr": 0.01}, {"lr": 0.01}),
    "adam_defaults": ("Adam", {}, {}),
    "adam_betas": ("Adam", {"lr": 0.02, "beta1": 0.5, "beta2": 0.9}, {"lr": 0.02, "betas": (0.5, 0.9)}),
    "adam_weight_decay": ("Adam", {"lr": 0.01, "weightDecay": 0.1}, {"lr": 0.01, "weight_decay": 0.1}),
    "adam_amsgrad": ("Adam", {"lr": 0.01, "amsgrad": True}, {"lr": 0.01, "amsgrad": True}),
    "adam_maximize": ("Adam", {"lr": 0.01, "weightDecay": 0.05, "maximize": True},
                      {"lr": 0.01, "weight_decay": 0.05, "maximize": True}),
    "adam_eps": ("Adam", {"lr": 0.01, "eps": 0.1}, {"lr": 0.01, "eps": 0.1}),
    "adamw_plain": ("AdamW", {"lr": 0.01}, {"lr": 0.01}),
    "adamw_weight_decay": ("AdamW", {"lr": 0.01, "weightDecay": 0.3}, {"lr": 0.01, "weight_decay": 0.3}),
    "adamw_amsgrad": ("AdamW", {"lr": 0.01, "amsgrad": True, "maximize": True},
                      {"lr": 0.01, "amsgrad": True, "maximize": True}),
}

# Cases with some gradients missing: param index -> steps on which its grad is None.
NULL_GRADS = {
    "sgd_momentum_null_grad": ("sgd_momentum", {1: {0, 1, 4}, 2: {6}}),
    "adam_amsgrad_null_grad": ("adam_amsgrad", {1: {0, 1, 4}, 2: {6}}),
    "adamw_null_grad": ("adamw_plain", {1: {0, 1, 4}, 2: {6}}),
}

# Cases whose learning rate changes mid-training (a hand-written schedule).
LR_SCHEDULES = {
    "sgd_momentum_lr_schedule": ("sgd_momentum", [0.05] * 4 + [0.01] * 3 + [0.2] * 3),
    "adam_lr_schedule": ("adam_plain", [0.01] * 4 + [0.001] * 3 + [0.05] * 3),
}

TORCH_OPTIMIZERS = {"SGD": torch.optim.SGD, "Adam": torch.optim.Adam, "AdamW": torch.optim.AdamW}


def run_case(name, config_name, dtype_name, null_grads=None, lrs=None):
    kind, options, kwargs = CONFIGS[config_name]
    dtype = DTYPES[dtype_name]
    g = seeded(name)
    params = [torch.randn(s, generator=g, dtype=torch.float64).to(dtype).requires_grad_() for s in SHAPES]
    initial = [flat(p) for p in params]
    opt = TORCH_OPTIMIZERS[kind](params, foreach=False, **kwargs)
    default_lr = opt.param_groups[0]["lr"]
    lrs = list(lrs) if lrs is not None else [default_lr] * STEPS
    grads_out, expected = [], []
    for step in range(STEPS):
        scale = 0.1 + 2.9 * torch.rand((), generator=g, dtype=torch.float64).item()
        step_grads = []
        for i, p in enumerate(params):
            grad = (scale * torch.randn(p.shape, generator=g, dtype=torch.float64)).to(dtype)
            if null_grads and step in null_grads.get(i, ()):
                p.grad = None
                step_grads.append(None)
            else:
                p.grad = grad
                step_grads.append(flat(grad))
        opt.param_groups[0]["lr"] = lrs[step]
        opt.step()
        grads_out.append(step_grads)
        expected.append([flat(p) for p in params])
    return {
        "name": name, "optimizer": kind, "dtype": dtype_name, "options": options, "lrs": lrs,
        "shapes": [list(s) for s in SHAPES], "initial": initial, "grads": grads_out, "expected": expected,
    }


# ---------------------------------------------------------------- training curves
#
# Two full-batch training runs from fixed initial weights, written to
# tests/Optim.Tests/Fixtures/optim/training_curves.json:
#
#   logistic: Linear(30, 1) + BCEWithLogitsLoss + SGD(lr 0.1), LOGISTIC_STEPS steps, on a
#             synthetic standardized 569 x 30 dataset (correlated Gaussian features, labels drawn
#             from a logistic model, so the data are not separable);
#   mlp:      Linear(8, 16) + ReLU + Linear(16, 3) + CrossEntropyLoss + Adam(lr 1e-2),
#             MLP_STEPS steps, on 240 points from three overlapping Gaussian blobs in 8-D.
#
# Features are rounded to multiples of 2^-10 after standardizing, so they are exact in float32 and
# float64 and short in JSON; the float32 and float64 runs therefore start from identical data and
# identical (float32-valued) initial weights. Each run records the loss before every step
# ("losses", loss[t] is computed with the weights after t steps) and the final parameters.
#
# <run>: { "losses": [...], "final": { parameter name: flat values } }
# "logistic": { "x": [n][30], "y": [n] (0/1), "initial": {"weight": [1*30], "bias": [1]},
#               "lr": 0.1, "steps": N, "float32": <run>, "float64": <run> }
# "mlp":      { "x": [n][8], "y": [n] (class indices), "initial": {"0.weight", "0.bias",
#               "2.weight", "2.bias"}, "lr": 0.01, "steps": N, "float32": <run>, "float64": <run> }

LOGISTIC_STEPS = 300
MLP_STEPS = 300
CURVES_OUT = os.path.join(os.path.dirname(OUT), "training_curves.json")


def quantize(x):
    return torch.round(x * 1024) / 1024


def logistic_data():
    g = torch.Generator().manual_seed(569)
    n, d = 569, 30
    mix = torch.eye(d, dtype=torch.float64) + 0.3 * torch.randn(d, d, generator=g, dtype=torch.float64)
    x = torch.randn(n, d, generator=g, dtype=torch.float64) @ mix
    x = (x - x.mean(0)) / x.std(0, unbiased=False)
    x = quantize(x)
    w_true = torch.randn(d, generator=g, dtype=torch.float64) * 0.5
    p = torch.sigmoid(x @ w_true + 0.2)
    y = (torch.rand(n, generator=g, dtype=torch.float64) < p).to(torch.float64)
    return x, y


def mlp_data():
    g = torch.Generator().manual_seed(8163)
    n_per, d, c = 80, 8, 3
    centers = 0.7 * torch.randn(c, d, generator=g, dtype=torch.float64)
    xs, ys = [], []
    for k in range(c):
        xs.append(centers[k] + torch.randn(n_per, d, generator=g, dtype=torch.float64))
        ys.append(torch.full((n_per,), k, dtype=torch.int64))
    x = torch.cat(xs)
    y = torch.cat(ys)
    perm = torch.randperm(c * n_per, generator=g)
    return quantize(x[perm]), y[perm]


def train(model, make_optimizer, loss_fn, x, y, steps):
    optimizer = make_optimizer(model.parameters())
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        losses.append(loss.item())
        optimizer.step()
    final = {name: flat(p) for name, p in model.state_dict().items()}
    return {"losses": losses, "final": final}


def run_curves(dtype):
    torch.manual_seed(20240)  # initial weights: PyTorch's own default initialisation
    logistic_model = torch.nn.Linear(30, 1)
    mlp_model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
    initial = ({k: flat(v) for k, v in logistic_model.state_dict().items()},
               {k: flat(v) for k, v in mlp_model.state_dict().items()})
    logistic_model.to(dtype)
    mlp_model.to(dtype)

    x, y = logistic_data()
    logistic = train(logistic_model, lambda ps: torch.optim.SGD(ps, lr=0.1, foreach=False),
                     torch.nn.BCEWithLogitsLoss(), x.to(dtype), y.to(dtype).unsqueeze(1), LOGISTIC_STEPS)
    x2, y2 = mlp_data()
    mlp = train(mlp_model, lambda ps: torch.optim.Adam(ps, lr=1e-2, foreach=False),
                torch.nn.CrossEntropyLoss(), x2.to(dtype), y2, MLP_STEPS)
    return initial, logistic, mlp


def write_curves():
    initial, logistic32, mlp32 = run_curves(torch.float32)
    _, logistic64, mlp64 = run_curves(torch.float64)
    x, y = logistic_data()
    x2, y2 = mlp_data()
    doc = {
        "format": "autograd-training-curves", "version": 1, "generator": "tools/gen_optim_fixtures.py",
        "torch_version": torch.__version__,
        "logistic": {"x": x.tolist(), "y": y.tolist(), "initial": initial[0], "lr": 0.1, "steps": LOGISTIC_STEPS,
                     "float32": logistic32, "float64": logistic64},
        "mlp": {"x": x2.tolist(), "y": y2.tolist(), "initial": initial[1], "lr": 0.01, "steps": MLP_STEPS,
                "float32": mlp32, "float64": mlp64},
    }
    write_compact(CURVES_OUT, doc)
    for name, r32, r64 in (("logistic", logistic32, logistic64), ("mlp", mlp32, mlp64)):
        worst = max(abs(a - b) / abs(b) for a, b in zip(r32["losses"], r64["losses"]))
        print(f"{name}: loss {r64['losses'][0]:.6f} -> {r64['losses'][-1]:.6f}; "
              f"PyTorch float32 vs float64 loss curves differ by up to {worst:.2e} relative")
    print(f"wrote {os.path.normpath(CURVES_OUT)} ({os.path.getsize(CURVES_OUT)} bytes)")


# ---------------------------------------------------------------- kernel rounding
#
# OptimKernels.cs replays PyTorch's CPU kernels with the same rounding. This checks, on this
# build of PyTorch, the facts it relies on (measured with PyTorch 1.13.1, AVX2 kernels):
#   a.add(b, alpha=s)            == fma(b, s, a)          (one rounding, vector body and tail)
#   a.addcmul_(t1, t2, value=s)  == fma(s * t1, t2, a)
#   a.addcdiv_(t1, t2, value=s)  == a + (s * t1) / t2     (no fusion)
#   a / s, a * s                 == single IEEE operations with s rounded to a's dtype
# The fma reference is computed in extended precision (exact for these operands in practice).


def check_kernel_rounding():
    import numpy as np
    from fractions import Fraction

    def fma32(a, b, c):
        return (a.astype(np.longdouble) * b.astype(np.longdouble) + c.astype(np.longdouble)).astype(np.float32)

    def fma64(a, b, c):
        return np.array([float(Fraction(float(x)) * Fraction(float(y)) + Fraction(float(z))) for x, y, z in zip(a, b, c)])

    g = torch.Generator().manual_seed(1)
    s = -0.0123456789123
    for dtype, npdtype, fma in ((torch.float32, np.float32, fma32), (torch.float64, np.float64, fma64)):
        n = 1037  # a vector body plus a scalar tail
        a, b = torch.randn(n, generator=g, dtype=dtype), torch.randn(n, generator=g, dtype=dtype)
        c = torch.rand(n, generator=g, dtype=dtype) + 0.5
        A, B, C, S = a.numpy(), b.numpy(), c.numpy(), npdtype(s)
        checks = {
            "add(alpha)": (a.add(b, alpha=s), fma(B, np.full(n, S), A)),
            "addcmul_": (a.clone().addcmul_(b, b, value=s), fma(S * B, B, A)),
            "addcdiv_": (a.clone().addcdiv_(b, c, value=s), A + (S * B) / C),
            "div scalar": (c.sqrt() / 0.7777, np.sqrt(C) / npdtype(0.7777)),
            "mul_ scalar": (a.clone().mul_(0.9), A * npdtype(0.9)),
        }
        for name, (got, want) in checks.items():
            bad = int((got.numpy() != want).sum())
            if bad:
                raise SystemExit(f"{name} ({dtype}): {bad} of {n} elements round differently from OptimKernels' "
                                 "assumption; this PyTorch build's kernels differ, the fixtures would not be bit-exact")


def main():
    check_kernel_rounding()
    cases = []
    for dtype_name in DTYPES:
        for config_name in CONFIGS:
            cases.append(run_case(f"{config_name}_{dtype_name}", config_name, dtype_name))
        for case_name, (config_name, nulls) in NULL_GRADS.items():
            cases.append(run_case(f"{case_name}_{dtype_name}", config_name, dtype_name, null_grads=nulls))
        for case_name, (config_name, lrs) in LR_SCHEDULES.items():
            cases.append(run_case(f"{case_name}_{dtype_name}", config_name, dtype_name, lrs=lrs))
    doc = {"format": "autograd-optim-trajectories", "version": 1, "generator": "tools/gen_optim_fixtures.py",
           "torch_version": torch.__version__, "cases": cases}
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        f.write("{\n")
        for key in ("format", "version", "generator", "torch_version"):
            f.write(f"  {json.dumps(key)}: {json.dumps(doc[key])},\n")
        f.write('  "cases": [\n')
        f.write(",\n".join("    " + json.dumps(c, separators=(",", ":")) for c in cases))
        f.write("\n  ]\n}\n")
    print(f"wrote {len(cases)} cases to {os.path.normpath(OUT)}")
    write_curves()


if __name__ == "__main__":
    main()
