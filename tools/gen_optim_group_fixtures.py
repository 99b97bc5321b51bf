#!/usr/bin/python3
"""Generate PyTorch reference trajectories for optimizers with parameter groups.

Run with the interpreter that has torch (1.13):

    /usr/bin/python3 tools/gen_optim_group_fixtures.py

Writes tests/Optim.Tests/Fixtures/optim/optimizer_groups.json. As in
tools/gen_optim_fixtures.py (same parameter shapes, same per-step gradient
draws, foreach=False), but the three parameters are split into two groups,
[(2, 3), (5,)] and [(17,)], the first with its own options (learning rate,
weight decay, momentum or betas), the second on the optimizer's defaults; and
from step 6 on the first group's learning rate is changed through
param_groups[0]["lr"], as a scheduler does, while the second keeps its own.
Each case seeds its own torch.Generator from the CRC32 of its name.

JSON format
===========

    { "format": "autograd-optim-group-trajectories", "version": 1,
      "generator": "tools/gen_optim_group_fixtures.py", "torch_version": "...",
      "cases": [ <case>, ... ] }

<case>:

    { "name":      e.g. "sgd_momentum_groups_float32",
      "optimizer": "SGD" | "Adam" | "AdamW",
      "dtype":     "float32" | "float64",
      "defaults":  constructor arguments, C# names (as in optimizers.json),
      "groups":    [ { "params": [parameter indices], "options": { C# name: value } } ],
      "lrs":       [ per step: [ per group: learning rate set before the step ] ],
      "shapes", "initial", "grads", "expected": as in optimizers.json }
"""

import json
import os

import torch

from fixtures import fixture_path, flat, seeded

STEPS = 10
SHAPES = [(2, 3), (5,), (17,)]
GROUPS = [[0, 1], [2]]
OUT = fixture_path("Optim.Tests", "optim", "optimizer_groups.json")
DTYPES = {"float32": torch.float32, "float64": torch.float64}
TORCH_OPTIMIZERS = {"SGD": torch.optim.SGD, "Adam": torch.optim.Adam, "AdamW": torch.optim.AdamW}
TORCH_NAMES = {"weightDecay": "weight_decay"}


def torch_kwargs(options):
    kwargs = {TORCH_NAMES.get(k, k): v for k, v in options.items() if k not in ("beta1", "beta2")}
    if "beta1" in options or "beta2" in options:
        kwargs["betas"] = (options.get("beta1", 0.9), options.get("beta2", 0.999))
    return kwargs


# name -> (optimizer, defaults, first group's options, first group's learning rate from step 6 on)
CONFIGS = {
    "sgd_momentum_groups": ("SGD", {"lr": 0.05, "momentum": 0.9},
                            {"lr": 0.02, "weightDecay": 0.1, "momentum": 0.5}, 0.005),
    "sgd_nesterov_groups": ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weightDecay": 0.01},
                            {"lr": 0.1, "weightDecay": 0.0}, 0.03),
    "adam_groups": ("Adam", {"lr": 0.01},
                    {"lr": 0.03, "weightDecay": 0.1, "beta1": 0.5, "beta2": 0.9}, 0.001),
    "adam_amsgrad_groups": ("Adam", {"lr": 0.01, "weightDecay": 0.05},
                            {"amsgrad": True, "eps": 0.01}, 0.02),
    "adamw_groups": ("AdamW", {"lr": 0.01, "weightDecay": 0.3},
                     {"lr": 0.02, "weightDecay": 0.0}, 0.002),
}


def run_case(name, config_name, dtype_name):
    kind, defaults, group_options, later_lr = CONFIGS[config_name]
    dtype = DTYPES[dtype_name]
    g = seeded(name)
    params = [torch.randn(s, generator=g, dtype=torch.float64).to(dtype).requires_grad_() for s in SHAPES]
    initial = [flat(p) for p in params]
    groups = [{"params": [params[i] for i in GROUPS[0]], **torch_kwargs(group_options)},
              {"params": [params[i] for i in GROUPS[1]]}]
    opt = TORCH_OPTIMIZERS[kind](groups, foreach=False, **torch_kwargs(defaults))
    lrs, grads_out, expected = [], [], []
    for step in range(STEPS):
        if step == 5:
            opt.param_groups[0]["lr"] = later_lr
        lrs.append([group["lr"] for group in opt.param_groups])
        scale = 0.1 + 2.9 * torch.rand((), generator=g, dtype=torch.float64).item()
        step_grads = []
        for p in params:
            p.grad = (scale * torch.randn(p.shape, generator=g, dtype=torch.float64)).to(dtype)
            step_grads.append(flat(p.grad))
        opt.step()
        grads_out.append(step_grads)
        expected.append([flat(p) for p in params])
    return {
        "name": name, "optimizer": kind, "dtype": dtype_name, "defaults": defaults,
        "groups": [{"params": GROUPS[0], "options": group_options}, {"params": GROUPS[1], "options": {}}],
        "lrs": lrs, "shapes": [list(s) for s in SHAPES], "initial": initial, "grads": grads_out, "expected": expected,
    }


def main():
    cases = [run_case(f"{c}_{d}", c, d) for d in DTYPES for c in CONFIGS]
    doc = {"format": "autograd-optim-group-trajectories", "version": 1,
           "generator": "tools/gen_optim_group_fixtures.py", "torch_version": torch.__version__}
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        f.write("{\n")
        for key, value in doc.items():
            f.write(f"  {json.dumps(key)}: {json.dumps(value)},\n")
        f.write('  "cases": [\n')
        f.write(",\n".join("    " + json.dumps(c, separators=(",", ":")) for c in cases))
        f.write("\n  ]\n}\n")
    print(f"wrote {len(cases)} cases to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
