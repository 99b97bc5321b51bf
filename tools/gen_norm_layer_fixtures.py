"""PyTorch 1.13 reference data for the normalisation layers
(tests/Nn.Tests/Fixtures/normalization/normalization.json).

Sections:
- "batchnorm": nn.BatchNorm1d / nn.BatchNorm2d in float32 and float64, weight and bias set from
  seeded data, trained for 1-3 steps (each step: a seeded input and output gradient; the output,
  the gradients with respect to the input, weight and bias, and the running statistics and
  num_batches_tracked after the step), then one step in eval mode (output and gradients).
- "layernorm", "groupnorm": F.layer_norm / F.group_norm (output and gradients).
- "repr": printed forms; "state_keys": state_dict keys in order.

    /usr/bin/python3 tools/gen_norm_layer_fixtures.py
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

from fixtures import fixture_path, seeded, tensor_json, write_compact

OUT = fixture_path("Nn.Tests", "normalization", "normalization.json")
DTYPES = {"float32": torch.float32, "float64": torch.float64}


def tj(t):
    return tensor_json(t, with_dtype=True, values="values")


def grad_x_scale(x, gy, dims, gamma, eps):
    """The magnitude of the terms of dx = γ·invstd·(dy − mean(dy) − x̂·mean(dy·x̂)) (in float64):
    max|γ| · max(invstd·(|dy| + mean|dy| + |x̂|·mean|dy·x̂|)). When few values share a statistic, dx
    is a cancellation far below its terms, so the tests scale their rounding bound by this."""
    xd, gd = x.detach().double(), gy.double()
    mean = xd.mean(dims, keepdim=True)
    inv = 1 / (xd.var(dims, unbiased=False, keepdim=True) + eps).sqrt()
    xh = (xd - mean) * inv
    terms = inv * (gd.abs() + gd.abs().mean(dims, keepdim=True) + xh.abs() * (gd * xh).abs().mean(dims, keepdim=True))
    g = 1.0 if gamma is None else float(gamma.detach().double().abs().max())
    return g * float(terms.max())


def grad_or_none(t):
    return None if t is None or t.grad is None else tj(t.grad)


# name, kind, num_features, momentum, affine, track_running_stats, input shapes of the training steps, eval input shape
BN_CASES = [
    ("bn2d_basic", "2d", 3, 0.1, True, True, [(4, 3, 5, 6)], (2, 3, 5, 6)),
    ("bn2d_three_steps", "2d", 2, 0.1, True, True, [(3, 2, 4, 4), (2, 2, 3, 5), (5, 2, 2, 2)], (2, 2, 4, 3)),
    ("bn2d_momentum_none", "2d", 3, None, True, True, [(2, 3, 4, 4), (3, 3, 3, 3), (2, 3, 2, 5)], (1, 3, 4, 4)),
    ("bn2d_momentum_0_3", "2d", 2, 0.3, True, True, [(2, 2, 3, 3), (2, 2, 3, 3)], (3, 2, 3, 3)),
    ("bn2d_no_affine", "2d", 3, 0.1, False, True, [(2, 3, 4, 5)], (2, 3, 4, 5)),
    ("bn2d_no_tracking", "2d", 3, 0.1, True, False, [(2, 3, 4, 5)], (3, 3, 2, 2)),
    ("bn2d_batch1", "2d", 2, 0.1, True, True, [(1, 2, 3, 4)], (1, 2, 3, 4)),
    ("bn2d_lenet", "2d", 6, 0.1, True, True, [(4, 6, 8, 8), (4, 6, 8, 8)], (2, 6, 8, 8)),
    ("bn1d_2d_input", "1d", 4, 0.1, True, True, [(5, 4), (3, 4)], (2, 4)),
    ("bn1d_3d_input", "1d", 3, 0.1, True, True, [(4, 3, 7), (2, 3, 5)], (2, 3, 6)),
    ("bn1d_momentum_none", "1d", 3, None, True, True, [(4, 3), (6, 3)], (2, 3)),
    ("bn1d_no_affine", "1d", 4, 0.1, False, True, [(6, 4)], (3, 4)),
    ("bn1d_no_tracking_3d", "1d", 2, 0.1, True, False, [(3, 2, 4)], (2, 2, 5)),
    ("bn1d_batch2", "1d", 3, 0.1, True, True, [(2, 3)], (2, 3)),
]


def bn_case(name, kind, c, momentum, affine, track, shapes, eval_shape, dname):
    dtype = DTYPES[dname]
    full = f"{name}_{dname}"
    g = seeded(full)
    cls = nn.BatchNorm2d if kind == "2d" else nn.BatchNorm1d
    m = cls(c, momentum=momentum, affine=affine, track_running_stats=track).to(dtype)
    doc = {"name": full, "kind": kind, "dtype": dname, "num_features": c, "momentum": momentum,
           "affine": affine, "track_running_stats": track}
    if affine:
        with torch.no_grad():
            m.weight.copy_(torch.rand(c, generator=g, dtype=torch.float64).to(dtype) + 0.5)
            m.bias.copy_(torch.randn(c, generator=g, dtype=torch.float64).to(dtype))
        doc["weight"] = tj(m.weight)
        doc["bias"] = tj(m.bias)

    def step(shape):
        x = (torch.randn(shape, generator=g, dtype=torch.float64) * 2 + 0.7).to(dtype).requires_grad_()
        gy = torch.randn(shape, generator=g, dtype=torch.float64).to(dtype)
        m.zero_grad()
        y = m(x)
        y.backward(gy)
        s = {"x": tj(x), "gy": tj(gy), "y": tj(y), "grad_x": tj(x.grad)}
        if m.training:
            dims = [0] + list(range(2, x.dim()))
            s["grad_x_scale"] = grad_x_scale(x, gy, dims, m.weight if affine else None, m.eps)
        if affine:
            s["grad_weight"] = tj(m.weight.grad)
            s["grad_bias"] = tj(m.bias.grad)
        if track:
            s["running_mean"] = tj(m.running_mean)
            s["running_var"] = tj(m.running_var)
            s["num_batches_tracked"] = int(m.num_batches_tracked)
        return s

    m.train()
    doc["train_steps"] = [step(s) for s in shapes]
    m.eval()
    doc["eval_step"] = step(eval_shape)
    return doc


# name, input shape, normalized_shape, eps, affine
LN_CASES = [
    ("ln_last", (4, 6), [6], 1e-5, True),
    ("ln_two_dims", (3, 4, 5), [4, 5], 1e-5, True),
    ("ln_3d_last", (2, 3, 7), [7], 1e-3, True),
    ("ln_no_affine", (5, 8), [8], 1e-5, False),
    ("ln_all_dims", (2, 3, 4), [2, 3, 4], 1e-5, True),
]

# name, input shape, groups, eps, affine
GN_CASES = [
    ("gn_basic", (2, 6, 4, 4), 3, 1e-5, True),
    ("gn_one_group", (3, 4, 5), 1, 1e-5, True),
    ("gn_per_channel", (2, 4, 3, 3), 4, 1e-5, True),
    ("gn_no_affine", (2, 6, 5), 2, 1e-5, False),
    ("gn_2d_input", (4, 6), 3, 1e-4, True),
]


def affine_params(g, shape, dtype):
    w = (torch.rand(shape, generator=g, dtype=torch.float64) + 0.5).to(dtype).requires_grad_()
    b = torch.randn(shape, generator=g, dtype=torch.float64).to(dtype).requires_grad_()
    return w, b


def ln_case(name, shape, nshape, eps, affine, dname):
    dtype = DTYPES[dname]
    full = f"{name}_{dname}"
    g = seeded(full)
    x = (torch.randn(shape, generator=g, dtype=torch.float64) * 2 + 0.7).to(dtype).requires_grad_()
    gy = torch.randn(shape, generator=g, dtype=torch.float64).to(dtype)
    w, b = affine_params(g, nshape, dtype) if affine else (None, None)
    y = F.layer_norm(x, nshape, w, b, eps)
    y.backward(gy)
    return {"name": full, "dtype": dname, "normalized_shape": nshape, "eps": eps, "x": tj(x), "gy": tj(gy),
            "weight": None if w is None else tj(w), "bias": None if b is None else tj(b), "y": tj(y),
            "grad_x": tj(x.grad), "grad_weight": grad_or_none(w), "grad_bias": grad_or_none(b),
            "grad_x_scale": grad_x_scale(x, gy, list(range(x.dim() - len(nshape), x.dim())), w, eps)}


def gn_case(name, shape, groups, eps, affine, dname):
    dtype = DTYPES[dname]
    full = f"{name}_{dname}"
    g = seeded(full)
    x = (torch.randn(shape, generator=g, dtype=torch.float64) * 2 + 0.7).to(dtype).requires_grad_()
    gy = torch.randn(shape, generator=g, dtype=torch.float64).to(dtype)
    w, b = affine_params(g, [shape[1]], dtype) if affine else (None, None)
    y = F.group_norm(x, groups, w, b, eps)
    y.backward(gy)
    return {"name": full, "dtype": dname, "groups": groups, "eps": eps, "x": tj(x), "gy": tj(gy),
            "weight": None if w is None else tj(w), "bias": None if b is None else tj(b), "y": tj(y),
            "grad_x": tj(x.grad), "grad_weight": grad_or_none(w), "grad_bias": grad_or_none(b),
            "grad_x_scale": grad_x_scale(x.reshape(shape[0], groups, -1), gy.reshape(shape[0], groups, -1), [2], w, eps)}


def main():
    doc = {
        "batchnorm": [bn_case(*c, d) for c in BN_CASES for d in DTYPES],
        "layernorm": [ln_case(*c, d) for c in LN_CASES for d in DTYPES],
        "groupnorm": [gn_case(*c, d) for c in GN_CASES for d in DTYPES],
        "repr": [
            {"name": "bn2d", "repr": repr(nn.BatchNorm2d(3))},
            {"name": "bn1d_options", "repr": repr(nn.BatchNorm1d(4, eps=1e-3, momentum=None, affine=False, track_running_stats=False))},
            {"name": "bn2d_momentum", "repr": repr(nn.BatchNorm2d(5, momentum=0.3))},
            {"name": "ln", "repr": repr(nn.LayerNorm([4, 5]))},
            {"name": "ln_options", "repr": repr(nn.LayerNorm(6, eps=1e-3, elementwise_affine=False))},
            {"name": "gn", "repr": repr(nn.GroupNorm(2, 6))},
            {"name": "gn_options", "repr": repr(nn.GroupNorm(3, 6, eps=1e-3, affine=False))},
        ],
        "state_keys": [
            {"name": "bn2d", "keys": list(nn.BatchNorm2d(3).state_dict().keys())},
            {"name": "bn1d_no_affine", "keys": list(nn.BatchNorm1d(3, affine=False).state_dict().keys())},
            {"name": "bn1d_no_tracking", "keys": list(nn.BatchNorm1d(3, track_running_stats=False).state_dict().keys())},
            {"name": "ln", "keys": list(nn.LayerNorm(3).state_dict().keys())},
            {"name": "gn", "keys": list(nn.GroupNorm(1, 3).state_dict().keys())},
            {"name": "seq", "keys": list(nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2)).state_dict().keys())},
        ],
    }
    write_compact(OUT, doc)


if __name__ == "__main__":
    main()
