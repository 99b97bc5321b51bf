#!/usr/bin/python3
"""Writes tests/Nn.Tests/Fixtures/losses/classification_losses.json: PyTorch 1.13's cross_entropy and
nll_loss values and gradients for every option combination, in float32 and float64.

Run with the interpreter that has torch (/usr/bin/python3 on the dev machine):

    /usr/bin/python3 tools/gen_classification_loss_fixtures.py

Deterministic (fixed seed). Every number is written exactly: a Python float of a float32 is the
float32 value; NaN and infinities are written as the strings "nan", "inf", "-inf".

Cases (per dtype):
  cross_entropy, class-index targets: reduction (none, mean, sum) x weight (no, yes) x ignore
    (none ignored; ignore_index = a class present in the targets; every target ignored, with
    ignore_index = -1) x label_smoothing (0, 0.1, 1.0) x shape ((C), (N, C), (N, C, d1),
    (N, C, d1, d2)).
  cross_entropy, class-probability targets: reduction x weight x label_smoothing x shape.
  nll_loss: reduction x weight x ignore x shape.
  extreme logits (+-1e4), C = 1000, the [[4, 8, 3]] identity from REFERENCE.md, and
  Hessian-vector products through cross_entropy (create_graph).
  The numerics the C# forward reproduces: float32 torch.exp / torch.log (Sleef), and torch.sum
  over contiguous runs and along a strided dim, in float32 and float64.
Each case holds the input, target, weight, options, the upstream gradient, the output, and the
gradients of the input (and, for probability targets, of the target and the weight).
"""

import torch
import torch.nn.functional as F

from fixtures import fixture_path, flat, seeded, write_compact

C = 5
SHAPES = {
    "unbatched": (C,),
    "2d": (4, C),
    "3d": (2, C, 3),
    "4d": (2, C, 2, 3),
}
REDUCTIONS = ["none", "mean", "sum"]
SMOOTHINGS = [0.0, 0.1, 1.0]
IGNORES = ["none", "present", "all"]
DTYPES = {"float32": torch.float32, "float64": torch.float64}


def target_shape(input_shape):
    return () if len(input_shape) == 1 else (input_shape[0],) + tuple(input_shape[2:])


def index_target(gen, input_shape, ignore):
    t = torch.randint(0, C, target_shape(input_shape), generator=gen)
    if ignore == "none":
        return t, -100
    if ignore == "present":
        ignore_index = int(t.reshape(-1)[0])
        return t, ignore_index
    return torch.full_like(t, -1), -1


def upstream(gen, out, dtype):
    if out.dim() == 0:
        return (torch.rand((), generator=gen, dtype=torch.float64) + 0.5).to(dtype)
    return torch.randn(out.shape, generator=gen, dtype=torch.float64).to(dtype)


def run_case(name, loss, dtype, x, target, weight, ignore_index, reduction, smoothing, prob):
    """Evaluates one call in PyTorch and returns the case record."""
    gen = seeded(name)
    x = x.to(dtype).detach().requires_grad_()
    if prob:
        target = target.to(dtype).detach().requires_grad_()
    w = None
    if weight is not None:
        w = weight.to(dtype).detach().requires_grad_(prob)
    if loss == "cross_entropy":
        out = F.cross_entropy(x, target, weight=w, ignore_index=ignore_index, reduction=reduction,
                              label_smoothing=smoothing)
    else:
        out = F.nll_loss(x, target, weight=w, ignore_index=ignore_index, reduction=reduction)
    g = upstream(gen, out, dtype)
    inputs = [x] + ([target, w] if prob and w is not None else [target] if prob else [])
    grads = torch.autograd.grad(out, inputs, g)
    return {
        "name": name,
        "loss": loss,
        "dtype": "float32" if dtype == torch.float32 else "float64",
        "input_shape": list(x.shape),
        "input": flat(x),
        "target_kind": "prob" if prob else "index",
        "target_shape": list(target.shape),
        "target": flat(target),
        "weight": flat(w),
        "ignore_index": ignore_index,
        "reduction": reduction,
        "label_smoothing": smoothing,
        "output_shape": list(out.shape),
        "output": flat(out),
        "grad_output": flat(g),
        "grad_input": flat(grads[0]),
        "grad_target": flat(grads[1]) if prob else None,
        "grad_weight": flat(grads[2]) if prob and w is not None else None,
    }


def hvp_case(name, dtype, x, target, weight, ignore_index, smoothing, prob, v):
    """grad_x <grad_x loss, v>: a Hessian-vector product through cross_entropy (create_graph)."""
    x = x.to(dtype).detach().requires_grad_()
    target = target.to(dtype) if prob else target
    w = weight.to(dtype) if weight is not None else None
    v = v.to(dtype)
    out = F.cross_entropy(x, target, weight=w, ignore_index=ignore_index, label_smoothing=smoothing)
    (gx,) = torch.autograd.grad(out, x, create_graph=True)
    (hv,) = torch.autograd.grad((gx * v).sum(), x)
    return {
        "name": name,
        "dtype": "float32" if dtype == torch.float32 else "float64",
        "input_shape": list(x.shape),
        "input": flat(x),
        "target_kind": "prob" if prob else "index",
        "target_shape": list(target.shape),
        "target": flat(target),
        "weight": flat(w),
        "ignore_index": ignore_index,
        "label_smoothing": smoothing,
        "output": flat(out),
        "grad_input": flat(gx),
        "v": flat(v),
        "hvp": flat(hv),
    }


def main():
    torch.manual_seed(20240601)
    gen = torch.Generator().manual_seed(20240601)
    cases = []
    weight = torch.rand(C, generator=gen, dtype=torch.float64) * 1.5 + 0.5

    for shape_name, shape in SHAPES.items():
        x = torch.randn(shape, generator=gen, dtype=torch.float64) * 2
        targets = {ig: index_target(gen, shape, ig) for ig in IGNORES}
        q = torch.softmax(torch.randn(shape, generator=gen, dtype=torch.float64) * 2, dim=0 if len(shape) == 1 else 1)
        for dtype_name, dtype in DTYPES.items():
            for reduction in REDUCTIONS:
                for use_w in (False, True):
                    w = weight if use_w else None
                    wn = "w" if use_w else "now"
                    for ig in IGNORES:
                        t, ii = targets[ig]
                        for e in SMOOTHINGS:
                            cases.append(run_case(f"ce_index_{shape_name}_{reduction}_{wn}_ign-{ig}_ls{e}_{dtype_name}",
                                                  "cross_entropy", dtype, x, t, w, ii, reduction, e, prob=False))
                        cases.append(run_case(f"nll_{shape_name}_{reduction}_{wn}_ign-{ig}_{dtype_name}",
                                              "nll_loss", dtype, x, t, w, ii, reduction, 0.0, prob=False))
                    for e in SMOOTHINGS:
                        cases.append(run_case(f"ce_prob_{shape_name}_{reduction}_{wn}_ls{e}_{dtype_name}",
                                              "cross_entropy", dtype, x, q, w, -100, reduction, e, prob=True))

    # Extreme logits: the log-sum-exp must not overflow (e^1e4) or lose the target's logit.
    xe = torch.tensor([[1e4, -1e4, 0.0, 5e3, -5e3],
                       [-1e4, -1e4, 1e4, 1e4, 0.0],
                       [-1e4, -1e4, -1e4, -1e4, -1e4],
                       [1e4, 1e4 - 1, 1e4 - 2, -1e4, 3.0]], dtype=torch.float64)
    te = torch.tensor([1, 3, 0, 2])
    qe = torch.softmax(torch.randn(4, C, generator=gen, dtype=torch.float64), dim=1)
    for dtype_name, dtype in DTYPES.items():
        for reduction in REDUCTIONS:
            cases.append(run_case(f"ce_extreme_index_{reduction}_{dtype_name}", "cross_entropy", dtype, xe, te, weight, -100, reduction, 0.1, False))
            cases.append(run_case(f"ce_extreme_prob_{reduction}_{dtype_name}", "cross_entropy", dtype, xe, qe, weight, -100, reduction, 0.1, True))

    # Many classes: C = 1000 (the last-dim log-softmax sums over many vector lanes).
    xl = torch.randn(3, 1000, generator=gen, dtype=torch.float64) * 3
    tl = torch.tensor([17, 999, 0])
    wl = torch.rand(1000, generator=gen, dtype=torch.float64) + 0.5
    ql = torch.softmax(torch.randn(3, 1000, generator=gen, dtype=torch.float64), dim=1)
    for dtype_name, dtype in DTYPES.items():
        cases.append(run_case(f"ce_large_index_mean_now_{dtype_name}", "cross_entropy", dtype, xl, tl, None, -100, "mean", 0.0, False))
        cases.append(run_case(f"ce_large_index_mean_w_ls0.1_{dtype_name}", "cross_entropy", dtype, xl, tl, wl, -100, "mean", 0.1, False))
        cases.append(run_case(f"ce_large_index_none_w_{dtype_name}", "cross_entropy", dtype, xl, tl, wl, -100, "none", 0.0, False))
        cases.append(run_case(f"ce_large_prob_none_w_{dtype_name}", "cross_entropy", dtype, xl, ql, wl, -100, "none", 0.0, True))
        cases.append(run_case(f"nll_large_sum_w_{dtype_name}", "nll_loss", dtype, xl, tl, wl, -100, "sum", 0.0, False))

    # A long batch: the reduction's cascade sum has more than one level (16 per level).
    xb = torch.randn(300, 7, generator=gen, dtype=torch.float64) * 2
    tb = torch.randint(0, 7, (300,), generator=gen)
    tb[::11] = 3
    wb = torch.rand(7, generator=gen, dtype=torch.float64) + 0.5
    for dtype_name, dtype in DTYPES.items():
        cases.append(run_case(f"ce_long_index_mean_w_ign3_{dtype_name}", "cross_entropy", dtype, xb, tb, wb, 3, "mean", 0.0, False))
        cases.append(run_case(f"nll_long_index_sum_now_{dtype_name}", "nll_loss", dtype, xb, tb, None, -100, "sum", 0.0, False))

    # REFERENCE.md: CrossEntropyLoss()([[4, 8, 3]], [label]).
    for label in range(3):
        cases.append(run_case(f"ce_identity_label{label}_float32", "cross_entropy", torch.float32,
                              torch.tensor([[4.0, 8.0, 3.0]]), torch.tensor([label]), None, -100, "mean", 0.0, False))

    hvps = []
    xh = torch.randn(4, C, generator=gen, dtype=torch.float64)
    th = torch.tensor([2, 0, 4, 2])
    qh = torch.softmax(torch.randn(4, C, generator=gen, dtype=torch.float64), dim=1)
    vh = torch.randn(4, C, generator=gen, dtype=torch.float64)
    x3 = torch.randn(2, C, 3, generator=gen, dtype=torch.float64)
    t3 = torch.tensor([[1, 4, 0], [3, 3, 2]])
    v3 = torch.randn(2, C, 3, generator=gen, dtype=torch.float64)
    for dtype_name, dtype in DTYPES.items():
        hvps.append(hvp_case(f"hvp_index_plain_{dtype_name}", dtype, xh, th, None, -100, 0.0, False, vh))
        hvps.append(hvp_case(f"hvp_index_w_ign2_ls0.1_{dtype_name}", dtype, xh, th, weight, 2, 0.1, False, vh))
        hvps.append(hvp_case(f"hvp_prob_w_ls0.1_{dtype_name}", dtype, xh, qh, weight, -100, 0.1, True, vh))
        hvps.append(hvp_case(f"hvp_index_3d_w_ls0.1_{dtype_name}", dtype, x3, t3, weight, -100, 0.1, False, v3))

    # The numerics the forward reproduces: torch.exp / torch.log in float32 (Sleef on AVX2) and
    # torch.sum's order of additions, contiguous and along a strided dim.
    ex = torch.cat([torch.rand(400, generator=gen, dtype=torch.float64) * -110,
                    torch.tensor([0.0, -0.0, -1e-8, -87.5, -103.9, -104.1, -1e4, 3.5])]).float()
    lg = torch.cat([torch.rand(300, generator=gen, dtype=torch.float64) * 1e4 + 1,
                    torch.rand(100, generator=gen, dtype=torch.float64) + 0.5,
                    torch.tensor([1.0, 2.0, 1e-39, 1e-45, 1.17549435e-38, 3.4e38])]).float()
    sums = []
    for dtype_name, dtype in DTYPES.items():
        for n in (3, 7, 8, 9, 33, 100, 1000):
            v = (torch.randn(n, generator=gen, dtype=torch.float64) * 3).to(dtype)
            sums.append({"dtype": dtype_name, "shape": [n], "dim": None, "input": flat(v), "sum": flat(v.sum())})
        for shape in ((2, 5, 3), (2, 5, 6), (2, 17, 40), (2, 40, 33)):
            v = (torch.randn(shape, generator=gen, dtype=torch.float64) * 3).to(dtype)
            sums.append({"dtype": dtype_name, "shape": list(shape), "dim": 1, "input": flat(v), "sum": flat(v.sum(1))})

    out = {
        "generator": "tools/gen_classification_loss_fixtures.py",
        "torch_version": torch.__version__,
        "cases": cases,
        "hvp": hvps,
        "exp": {"input": flat(ex), "output": flat(torch.exp(ex))},
        "log": {"input": flat(lg), "output": flat(torch.log(lg))},
        "sums": sums,
    }
    path = write_compact(fixture_path("Nn.Tests", "losses", "classification_losses.json"), out)
    print(f"wrote {len(cases)} cases and {len(hvps)} Hessian-vector products to {path}")


if __name__ == "__main__":
    main()
