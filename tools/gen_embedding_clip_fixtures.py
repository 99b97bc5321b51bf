#!/usr/bin/python3
"""Generate the PyTorch 1.13 reference fixtures for gradient clipping, Embedding and one_hot.

Run with the interpreter that has torch (1.13):

    /usr/bin/python3 tools/gen_embedding_clip_fixtures.py

Writes tests/Nn.Tests/Fixtures/embedding_clip/embedding_clip.json. Deterministic: every case
seeds its own torch.Generator from the CRC32 of its name.

A <tensor> is {"dtype": "float32" | "float64" | "int64", "shape": [...], "data": [...]} (row-major,
NaN and the infinities spelled "nan", "inf", "-inf"; float32 values are the exact doubles of
the floats). A <number> may be such a string too.

Sections
========

"clip_grad_norm": torch.nn.utils.clip_grad_norm_.
    {name, max_norm, norm_type: <number>, error_if_nonfinite,
     params: [{shape, dtype, grad: <tensor> or null}],
     total_norm: <tensor> (0-d) or null, grads_after: [<tensor> or null] or null,
     error: the message (or null)}
    When error is set, the call raised and the gradients are unchanged.

"clip_grad_value": torch.nn.utils.clip_grad_value_.
    {name, clip_value, params: [...as above], grads_after: [...]}

"embedding": nn.Embedding / F.embedding forward and backward.
    {name, dtype, num_embeddings, embedding_dim, padding_idx (null or as given, maybe negative),
     max_norm (null or number), norm_type, scale_grad_by_freq,
     weight: the table before the call, indices: <int64 tensor>, grad_output,
     output, grad_weight, weight_after (the table after the call: max_norm renorms in place),
     second_order: {c, r, grad_weight} or null}
    second_order: with out = embedding(indices, w) (w = weight_after's values before this call,
    i.e. the same call again, so the renorm does not change it), gw = d/dw sum(out * out * c)
    with create_graph, then d/dw sum(gw * r) is grad_weight.

"one_hot": F.one_hot. {name, indices: <int64 tensor>, num_classes, output: <int64 tensor>}
"""

import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixtures import fixture_path, num, seeded, tensor_json, write_compact  # noqa: E402

OUT = fixture_path("Nn.Tests", "embedding_clip", "embedding_clip.json")
DTYPES = {"float32": torch.float32, "float64": torch.float64}
INF = float("inf")


def t(x):
    return tensor_json(x, with_dtype=True)


def make_params(name, specs):
    """specs: [(shape, dtype, kind)] with kind "grad", "none" (no grad), or a callable
    making the gradient from a random one (to plant NaN/inf)."""
    g = seeded(name)
    params = []
    for shape, dtype, kind in specs:
        p = torch.zeros(shape, dtype=dtype, requires_grad=True)
        if kind != "none":
            grad = torch.randn(shape, generator=g, dtype=dtype) * torch.exp(torch.randn(shape, generator=g, dtype=dtype))
            if callable(kind):
                grad = kind(grad)
            p.grad = grad
        params.append(p)
    return params


def params_json(params):
    return [{"shape": list(p.shape), "dtype": str(p.dtype).replace("torch.", ""), "grad": t(p.grad) if p.grad is not None else None}
            for p in params]


def plant(index, value):
    def f(grad):
        flat = grad.reshape(-1)
        flat[index] = value
        return grad
    return f


def clip_norm_cases():
    shapes = [((3, 4), "grad"), ((7,), "grad"), ((2, 3, 5), "grad"), ((5,), "none"), ((), "grad"), ((1,), "grad"), ((13,), "grad")]
    for dname, dtype in DTYPES.items():
        specs = [(s, dtype, k) for s, k in shapes]
        for p in (2.0, 1.0, INF, 3.0, 0.5):
            for max_norm in (0.25, 1e6):
                yield f"several_{dname}_p{p}_max{max_norm}", specs, max_norm, p, False
        # one parameter: the stack of one norm is normed again (sqrt(n * n) for p = 2).
        for p in (2.0, 1.0, INF, 3.0):
            yield f"single_{dname}_p{p}", [((6, 5), dtype, "grad")], 0.5, p, False
        # lengths around the 8-lane blocks and the 4-element leftover.
        yield f"lengths_{dname}", [((n,), dtype, "grad") for n in (1, 2, 3, 4, 5, 8, 9, 12, 15, 16, 20, 23)], 0.1, 2.0, False
        # non-finite gradients, with and without the error.
        for what, value in (("nan", float("nan")), ("inf", INF)):
            bad = [((4, 3), dtype, "grad"), ((5,), dtype, plant(2, value))]
            for p in (2.0, INF):
                yield f"nonfinite_{what}_{dname}_p{p}_raise", bad, 1.0, p, True
                yield f"nonfinite_{what}_{dname}_p{p}_scale", bad, 1.0, p, False
        yield f"no_grads_{dname}", [((3,), dtype, "none"), ((2, 2), dtype, "none")], 1.0, 2.0, False
        yield f"zero_grads_{dname}", [((3,), dtype, lambda g: g * 0)], 1.0, 2.0, False
        yield f"max_norm_zero_{dname}", [((3, 2), dtype, "grad")], 0.0, 2.0, False
    # float32 p = 2 adds in one sequence whatever PyTorch's thread count: a long vector too.
    yield "long_float32_p2.0", [((5000,), torch.float32, "grad"), ((3,), torch.float32, "grad")], 1.0, 2.0, False
    yield "mixed_dtypes_p2.0", [((4, 3), torch.float32, "grad"), ((6,), torch.float64, "grad")], 0.5, 2.0, False
    yield "mixed_dtypes_pinf", [((4, 3), torch.float32, "grad"), ((6,), torch.float64, "grad")], 0.5, INF, False
    yield "empty_list", [], 1.0, 2.0, False


def clip_norm_json():
    out = []
    for name, specs, max_norm, p, raise_ in clip_norm_cases():
        params = make_params(name, specs)
        before = params_json(params)
        case = {"name": name, "max_norm": num(max_norm), "norm_type": num(p), "error_if_nonfinite": raise_, "params": before}
        try:
            total = torch.nn.utils.clip_grad_norm_(params, max_norm, p, error_if_nonfinite=raise_)
            case.update(total_norm=t(total), grads_after=[t(q.grad) if q.grad is not None else None for q in params], error=None)
        except RuntimeError as e:
            case.update(total_norm=None, grads_after=None, error=str(e))
        out.append(case)
    return out


def clip_value_json():
    out = []
    for dname, dtype in DTYPES.items():
        for clip in (0.1, 1.0, 0.0, 2.5):
            name = f"value_{dname}_{clip}"
            specs = [((3, 4), dtype, plant(5, float("nan"))), ((5,), dtype, "none"), ((7,), dtype, plant(1, -INF)), ((), dtype, "grad")]
            params = make_params(name, specs)
            before = params_json(params)
            torch.nn.utils.clip_grad_value_(params, clip)
            out.append({"name": name, "clip_value": clip, "params": before,
                        "grads_after": [t(q.grad) if q.grad is not None else None for q in params]})
    return out


def embedding_cases():
    for dname in DTYPES:
        yield dict(name=f"basic_2d_{dname}", dtype=dname, n=10, d=3, shape=(4, 5), padding_idx=None)
        yield dict(name=f"repeated_1d_{dname}", dtype=dname, n=4, d=21, indices=[1, 2, 1, 3, 1, 1, 2, 0, 1, 3, 3, 1], padding_idx=None)
        yield dict(name=f"scalar_index_{dname}", dtype=dname, n=5, d=4, indices=3, padding_idx=None)
        yield dict(name=f"three_d_{dname}", dtype=dname, n=7, d=6, shape=(2, 3, 4), padding_idx=None)
        yield dict(name=f"padding_{dname}", dtype=dname, n=6, d=5, indices=[[0, 2, 0], [4, 0, 2], [2, 2, 1]], padding_idx=0)
        yield dict(name=f"padding_negative_{dname}", dtype=dname, n=6, d=5, indices=[[5, 2, 5], [4, 0, 2]], padding_idx=-1)
        yield dict(name=f"scale_freq_{dname}", dtype=dname, n=6, d=21, indices=[[1, 2, 1], [3, 1, 2], [1, 5, 1]], padding_idx=None, scale=True)
        yield dict(name=f"scale_freq_padding_{dname}", dtype=dname, n=6, d=9, indices=[[1, 2, 1], [3, 1, 2], [1, 5, 1]], padding_idx=2, scale=True)
        yield dict(name=f"max_norm_{dname}", dtype=dname, n=8, d=7, indices=[[1, 2, 1, 7], [3, 1, 0, 2]], padding_idx=None, max_norm=1.5)
        yield dict(name=f"max_norm_p1_{dname}", dtype=dname, n=8, d=13, indices=[[1, 2, 1, 7], [3, 6, 0, 2]], padding_idx=None, max_norm=4.0, norm_type=1.0)
        yield dict(name=f"max_norm_p3_padding_{dname}", dtype=dname, n=8, d=9, indices=[[1, 2, 1, 7], [3, 6, 0, 2]], padding_idx=1, max_norm=1.0, norm_type=3.0)


def embedding_json():
    out = []
    for c in embedding_cases():
        dtype = DTYPES[c["dtype"]]
        g = seeded(c["name"])
        n, d = c["n"], c["d"]
        weight = torch.randn(n, d, generator=g, dtype=dtype) * 1.5
        if "indices" in c:
            indices = torch.tensor(c["indices"], dtype=torch.long)
        else:
            indices = torch.randint(0, n, c["shape"], generator=g)
        max_norm, norm_type, scale = c.get("max_norm"), c.get("norm_type", 2.0), c.get("scale", False)
        w = weight.clone().requires_grad_(True)
        out_ = F.embedding(indices, w, padding_idx=c["padding_idx"], max_norm=max_norm, norm_type=norm_type, scale_grad_by_freq=scale)
        go = torch.randn(*out_.shape, generator=g, dtype=dtype)
        out_.backward(go)
        # second order: the same call again (a renorm now changes nothing)
        w2 = w.detach().clone().requires_grad_(True)
        cc = torch.randn(*out_.shape, generator=g, dtype=dtype)
        r = torch.randn(n, d, generator=g, dtype=dtype)
        o2 = F.embedding(indices, w2, padding_idx=c["padding_idx"], max_norm=max_norm, norm_type=norm_type, scale_grad_by_freq=scale)
        gw, = torch.autograd.grad((o2 * o2 * cc).sum(), w2, create_graph=True)
        (gw * r).sum().backward()
        out.append({
            "name": c["name"], "dtype": c["dtype"], "num_embeddings": n, "embedding_dim": d,
            "padding_idx": c["padding_idx"], "max_norm": max_norm, "norm_type": norm_type, "scale_grad_by_freq": scale,
            "weight": t(weight), "indices": t(indices), "grad_output": t(go), "output": t(out_),
            "grad_weight": t(w.grad), "weight_after": t(w.detach()),
            "second_order": {"c": t(cc), "r": t(r), "grad_weight": t(w2.grad)},
        })
    return out


def one_hot_json():
    cases = [
        ("vector_inferred", [0, 3, 1, 3], -1),
        ("vector_given", [0, 3, 1, 3], 6),
        ("matrix", [[2, 0], [1, 1], [0, 4]], -1),
        ("scalar", 2, -1),
        ("scalar_given", 0, 3),
        ("empty_given", torch.zeros(2, 0, dtype=torch.long), 4),
    ]
    out = []
    for name, values, k in cases:
        x = values if isinstance(values, torch.Tensor) else torch.tensor(values, dtype=torch.long)
        out.append({"name": name, "indices": t(x), "num_classes": k, "output": t(F.one_hot(x, k))})
    return out


def main():
    doc = {
        "clip_grad_norm": clip_norm_json(),
        "clip_grad_value": clip_value_json(),
        "embedding": embedding_json(),
        "one_hot": one_hot_json(),
    }
    path = write_compact(OUT, doc)
    print(f"wrote {path}: " + ", ".join(f"{k} {len(v)}" for k, v in doc.items()))


if __name__ == "__main__":
    main()
