#!/usr/bin/python3
"""Generate PyTorch reference trajectories for the optimizers in Autograd.Optim.

Run with the interpreter that has torch (1.13):

    /usr/bin/python3 tools/gen_optim_fixtures.py

Writes tests/Nn.Tests/Fixtures/optim/optimizers.json. Deterministic: every case
seeds its own torch.Generator from the CRC32 of its name, so adding or removing
cases never changes the data of the others.

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
import zlib

import torch

STEPS = 10
SHAPES = [(2, 3), (5,), (17,)]
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "Nn.Tests",
                   "Fixtures", "optim", "optimizers.json")

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


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def run_case(name, config_name, dtype_name, null_grads=None, lrs=None):
    kind, options, kwargs = CONFIGS[config_name]
    dtype = DTYPES[dtype_name]
    g = torch.Generator().manual_seed(zlib.crc32(name.encode()))
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


def main():
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


if __name__ == "__main__":
    main()
