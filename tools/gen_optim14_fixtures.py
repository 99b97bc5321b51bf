#!/usr/bin/python3
"""Generate PyTorch 1.13 references for RMSprop, Adagrad and the learning-rate schedulers.

Run with the interpreter that has torch (1.13):

    /usr/bin/python3 tools/gen_optim14_fixtures.py

Writes two files under tests/Optim.Tests/Fixtures/optim/. Deterministic: each case seeds its own
torch.Generator from the CRC32 of its name.

rmsprop_adagrad.json: trajectories, as tools/gen_optim_group_fixtures.py writes them (same format:
"defaults", "groups", "lrs" per step per group, "shapes", "initial", "grads", "expected"), for
torch.optim.RMSprop and torch.optim.Adagrad with foreach=False (the single-tensor code path). A
case has one group (all parameters) or two ([(2, 3), (5,)] with its own options, [(17,)] on the
defaults); in the *_lr_change cases the first group's learning rate changes from step 6 on. Some
cases leave a parameter's gradient None on some steps ("null_grads": parameter index -> steps).

schedulers.json: learning rates, for each case:

    { "name", "optimizer": "SGD" | "Adam" | "RMSprop", "group_lrs": [lr of each group],
      "momentum": SGD's / RMSprop's momentum (or null), "scheduler": C# class name,
      "options": constructor arguments, C# names,
      "metrics": [ReduceLROnPlateau's metric per step] (others: null),
      "initial": [lr per group after the constructor],
      "initial_momentum": [momentum or beta1 per group after the constructor],
      "lrs": [per step: [param_groups[i]["lr"] after scheduler.step()]],
      "momentums": [per step: [momentum or beta1 per group]] }

Every number is a double written with repr, so it round-trips exactly.
"""

import json
import os

import torch

from fixtures import fixture_path, flat, seeded

STEPS = 10
SHAPES = [(2, 3), (5,), (17,)]
TWO_GROUPS = [[0, 1], [2]]
DTYPES = {"float32": torch.float32, "float64": torch.float64}
TORCH_NAMES = {"weightDecay": "weight_decay", "lrDecay": "lr_decay",
               "initialAccumulatorValue": "initial_accumulator_value"}
OPTIMIZERS = {"RMSprop": torch.optim.RMSprop, "Adagrad": torch.optim.Adagrad,
              "SGD": torch.optim.SGD, "Adam": torch.optim.Adam}


def torch_kwargs(options):
    return {TORCH_NAMES.get(k, k): v for k, v in options.items()}


# name -> (optimizer, defaults, first group's options or None for one group, first group's lr from step 6 or None, null grads)
TRAJECTORIES = {
    "rmsprop_defaults": ("RMSprop", {}, None, None, None),
    "rmsprop_alpha": ("RMSprop", {"lr": 0.003, "alpha": 0.9, "eps": 1e-6}, None, None, None),
    "rmsprop_weight_decay": ("RMSprop", {"lr": 0.01, "weightDecay": 0.1}, None, None, None),
    "rmsprop_momentum": ("RMSprop", {"lr": 0.01, "momentum": 0.9}, None, None, None),
    "rmsprop_centered": ("RMSprop", {"lr": 0.01, "centered": True}, None, None, None),
    "rmsprop_centered_momentum": ("RMSprop", {"lr": 0.005, "centered": True, "momentum": 0.5, "weightDecay": 0.02}, None, None, None),
    "rmsprop_maximize": ("RMSprop", {"lr": 0.01, "maximize": True, "weightDecay": 0.05, "momentum": 0.3}, None, None, None),
    "rmsprop_null_grad": ("RMSprop", {"lr": 0.01, "momentum": 0.9, "centered": True}, None, None, {1: [0, 1, 4], 2: [6]}),
    "rmsprop_groups": ("RMSprop", {"lr": 0.01, "momentum": 0.9},
                       {"lr": 0.02, "alpha": 0.95, "centered": True, "momentum": 0.0, "weightDecay": 0.1}, 0.004, None),
    "rmsprop_groups_maximize": ("RMSprop", {"lr": 0.01, "centered": True},
                                {"maximize": True, "eps": 0.01, "momentum": 0.7}, None, None),
    "adagrad_defaults": ("Adagrad", {}, None, None, None),
    "adagrad_lr_decay": ("Adagrad", {"lr": 0.1, "lrDecay": 0.05}, None, None, None),
    "adagrad_weight_decay": ("Adagrad", {"lr": 0.05, "weightDecay": 0.1}, None, None, None),
    "adagrad_initial_accumulator": ("Adagrad", {"lr": 0.05, "initialAccumulatorValue": 0.5, "eps": 1e-6}, None, None, None),
    "adagrad_maximize": ("Adagrad", {"lr": 0.05, "maximize": True, "weightDecay": 0.02, "lrDecay": 0.01}, None, None, None),
    "adagrad_null_grad": ("Adagrad", {"lr": 0.05, "lrDecay": 0.1}, None, None, {1: [0, 1, 4], 2: [6]}),
    "adagrad_groups": ("Adagrad", {"lr": 0.05, "initialAccumulatorValue": 0.1},
                       {"lr": 0.2, "lrDecay": 0.1, "weightDecay": 0.05, "eps": 1e-3}, 0.02, None),
}


def run_trajectory(name, config, dtype_name):
    kind, defaults, group_options, later_lr, null_grads = TRAJECTORIES[config]
    dtype = DTYPES[dtype_name]
    g = seeded(name)
    params = [torch.randn(s, generator=g, dtype=torch.float64).to(dtype).requires_grad_() for s in SHAPES]
    initial = [flat(p) for p in params]
    if group_options is None:
        groups_json = [{"params": [0, 1, 2], "options": {}}]
        torch_groups = [{"params": params}]
    else:
        groups_json = [{"params": TWO_GROUPS[0], "options": group_options}, {"params": TWO_GROUPS[1], "options": {}}]
        torch_groups = [{"params": [params[i] for i in TWO_GROUPS[0]], **torch_kwargs(group_options)},
                        {"params": [params[i] for i in TWO_GROUPS[1]]}]
    opt = OPTIMIZERS[kind](torch_groups, foreach=False, **torch_kwargs(defaults))
    lrs, grads_out, expected = [], [], []
    for step in range(STEPS):
        if step == 5 and later_lr is not None:
            opt.param_groups[0]["lr"] = later_lr
        lrs.append([group["lr"] for group in opt.param_groups])
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
        opt.step()
        grads_out.append(step_grads)
        expected.append([flat(p) for p in params])
    return {"name": name, "optimizer": kind, "dtype": dtype_name, "defaults": defaults, "groups": groups_json,
            "lrs": lrs, "shapes": [list(s) for s in SHAPES], "initial": initial, "grads": grads_out, "expected": expected}


# ---------------------------------------------------------------- schedulers

TORCH_SCHEDULER_NAMES = {
    "stepSize": "step_size", "tMax": "T_max", "etaMin": "eta_min", "startFactor": "start_factor",
    "endFactor": "end_factor", "totalIters": "total_iters", "maxLr": "max_lr", "totalSteps": "total_steps",
    "stepsPerEpoch": "steps_per_epoch", "pctStart": "pct_start", "annealStrategy": "anneal_strategy",
    "cycleMomentum": "cycle_momentum", "baseMomentum": "base_momentum", "maxMomentum": "max_momentum",
    "divFactor": "div_factor", "finalDivFactor": "final_div_factor", "threePhase": "three_phase",
    "thresholdMode": "threshold_mode", "minLr": "min_lr",
}

# name -> (optimizer, group lrs, momentum, scheduler, C# options, steps)
SCHEDULERS = {
    "step_lr": ("SGD", [0.1, 0.03], 0.0, "StepLR", {"stepSize": 3, "gamma": 0.5}, 40),
    "step_lr_gamma": ("Adam", [0.001, 0.0007, 0.05], None, "StepLR", {"stepSize": 1, "gamma": 0.9}, 60),
    "multi_step_lr": ("SGD", [0.1, 0.03], 0.0, "MultiStepLR", {"milestones": [2, 5, 9, 20], "gamma": 0.3}, 30),
    "exponential_lr": ("SGD", [0.1, 0.07, 0.003], 0.0, "ExponentialLR", {"gamma": 0.93}, 100),
    "cosine_annealing_lr": ("SGD", [0.1, 0.03], 0.0, "CosineAnnealingLR", {"tMax": 10}, 55),
    "cosine_annealing_lr_eta_min": ("Adam", [0.1, 0.007], None, "CosineAnnealingLR", {"tMax": 7, "etaMin": 0.001}, 50),
    "linear_lr": ("SGD", [0.1, 0.03], 0.0, "LinearLR", {}, 12),
    "linear_lr_options": ("Adam", [0.1, 0.03], None, "LinearLR", {"startFactor": 0.1, "endFactor": 0.7, "totalIters": 13}, 20),
    "one_cycle_lr": ("SGD", [0.1, 0.03], 0.9, "OneCycleLR", {"maxLr": 0.5, "totalSteps": 40}, 40),
    "one_cycle_lr_linear_three_phase": ("SGD", [0.1, 0.03], 0.9, "OneCycleLR",
                                        {"maxLr": [0.5, 0.2], "epochs": 5, "stepsPerEpoch": 9, "annealStrategy": "linear",
                                         "threePhase": True, "pctStart": 0.25, "divFactor": 10.0, "finalDivFactor": 100.0}, 45),
    "one_cycle_lr_adam": ("Adam", [0.001, 0.002], None, "OneCycleLR",
                          {"maxLr": 0.01, "totalSteps": 30, "baseMomentum": 0.8, "maxMomentum": 0.9}, 30),
    "one_cycle_lr_rmsprop_no_momentum": ("RMSprop", [0.01], 0.5, "OneCycleLR",
                                         {"maxLr": 0.02, "totalSteps": 25, "cycleMomentum": False, "pctStart": 0.4}, 25),
    # Two schedulers on one optimizer, both stepped each epoch (what ChainedScheduler does): the
    # second takes base_lrs from the initial_lr the first stored, and each multiplies the current lr.
    "chained_linear_exponential": ("SGD", [0.1, 0.03], 0.0, "Chained",
                                   {"schedulers": [["LinearLR", {"startFactor": 0.25, "totalIters": 4}],
                                                   ["ExponentialLR", {"gamma": 0.9}]]}, 12),
    "chained_step_cosine": ("Adam", [0.1, 0.03], None, "Chained",
                            {"schedulers": [["CosineAnnealingLR", {"tMax": 6}], ["MultiStepLR", {"milestones": [4, 7], "gamma": 0.5}]]}, 20),
    "reduce_lr_on_plateau_min_rel": ("SGD", [0.1, 0.03], 0.0, "ReduceLROnPlateau",
                                     {"mode": "min", "factor": 0.5, "patience": 2, "minLr": 0.01}, 60),
    "reduce_lr_on_plateau_min_abs_cooldown": ("SGD", [0.1, 0.03], 0.0, "ReduceLROnPlateau",
                                              {"mode": "min", "thresholdMode": "abs", "threshold": 0.05, "factor": 0.3,
                                               "patience": 1, "cooldown": 3, "minLr": [0.001, 0.005]}, 60),
    "reduce_lr_on_plateau_max_rel": ("Adam", [0.1, 0.03], None, "ReduceLROnPlateau",
                                     {"mode": "max", "threshold": 0.01, "factor": 0.1, "patience": 3, "eps": 1e-4}, 60),
    "reduce_lr_on_plateau_max_abs": ("Adam", [0.1, 0.03], None, "ReduceLROnPlateau",
                                     {"mode": "max", "thresholdMode": "abs", "threshold": 0.02, "factor": 0.7,
                                      "patience": 0, "cooldown": 1}, 60),
}


def metrics_for(name, mode, steps):
    """A noisy metric that improves, then plateaus (so the scheduler reduces), in the mode's direction."""
    g = seeded(name + "_metrics")
    values = []
    level = 1.0
    for step in range(steps):
        if step < steps // 3:
            level *= 0.9
        noise = 0.05 * torch.randn((), generator=g, dtype=torch.float64).item()
        v = level + noise
        values.append(v if mode == "min" else -v)
    return values


def momentum_of(opt, group):
    if "betas" in opt.defaults:
        return group["betas"][0]
    return group.get("momentum")


def run_scheduler(name):
    kind, group_lrs, momentum, scheduler, options, steps = SCHEDULERS[name]
    params = [torch.zeros(2, requires_grad=True) for _ in group_lrs]
    groups = [{"params": [p], "lr": lr} for p, lr in zip(params, group_lrs)]
    kwargs = {} if momentum is None else {"momentum": momentum}
    opt = OPTIMIZERS[kind](groups, lr=group_lrs[0], **kwargs)
    def make(kind, opts):
        return getattr(torch.optim.lr_scheduler, kind)(opt, **{TORCH_SCHEDULER_NAMES.get(k, k): v for k, v in opts.items()})

    if scheduler == "Chained":
        parts = [make(kind, opts) for kind, opts in options["schedulers"]]
        sched = torch.optim.lr_scheduler.ChainedScheduler(parts)
    else:
        sched = make(scheduler, options)
    metrics = metrics_for(name, options.get("mode", "min"), steps) if scheduler == "ReduceLROnPlateau" else None
    initial = [g["lr"] for g in opt.param_groups]
    initial_momentum = [momentum_of(opt, g) for g in opt.param_groups]
    lrs, momentums = [], []
    for step in range(steps):
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[step])
        lrs.append([g["lr"] for g in opt.param_groups])
        momentums.append([momentum_of(opt, g) for g in opt.param_groups])
    if scheduler == "OneCycleLR":
        try:
            sched.step()
            raise AssertionError("OneCycleLR stepped past its end")
        except ValueError:
            pass
    return {"name": name, "optimizer": kind, "group_lrs": group_lrs, "momentum": momentum, "scheduler": scheduler,
            "options": options, "metrics": metrics, "initial": initial, "initial_momentum": initial_momentum,
            "lrs": lrs, "momentums": momentums}


def write(path, doc_format, cases):
    doc = {"format": doc_format, "version": 1, "generator": "tools/gen_optim14_fixtures.py",
           "torch_version": torch.__version__}
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("{\n")
        for key, value in doc.items():
            f.write(f"  {json.dumps(key)}: {json.dumps(value)},\n")
        f.write('  "cases": [\n')
        f.write(",\n".join("    " + json.dumps(c, separators=(",", ":")) for c in cases))
        f.write("\n  ]\n}\n")
    print(f"wrote {len(cases)} cases to {os.path.normpath(path)}")


def main():
    import warnings
    warnings.simplefilter("ignore")
    trajectories = [run_trajectory(f"{c}_{d}", c, d) for d in DTYPES for c in TRAJECTORIES]
    write(fixture_path("Optim.Tests", "optim", "rmsprop_adagrad.json"), "autograd-optim-group-trajectories", trajectories)
    write(fixture_path("Optim.Tests", "optim", "schedulers.json"), "autograd-lr-scheduler-lrs",
          [run_scheduler(n) for n in SCHEDULERS])


if __name__ == "__main__":
    main()
