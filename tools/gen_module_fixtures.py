#!/usr/bin/python3
"""Generate the PyTorch reference fixtures for Autograd.Nn's modules and layer functionals.

Run with the interpreter that has torch (1.13):

    /usr/bin/python3 tools/gen_module_fixtures.py

Writes tests/Nn.Tests/Fixtures/modules/modules.json. Deterministic: every case seeds its own
torch.Generator from the CRC32 of its name, so adding or removing a case never changes the
data of the others.

A <tensor> is {"dtype": "float32" | "float64", "shape": [...], "values": [...]} with the
values flat and row-major. Float32 values are written as the exact double of the float32
(Python's float of a float32 is exact and repr round-trips), so (float)double recovers the
bits. There are no NaN/inf values.

Sections
========

"linear": nn.Linear forward and backward.
    {name, dtype, in_features, out_features, bias: bool,
     input, weight, bias_values (tensor or null), grad_output,
     output, grad_input, grad_weight, grad_bias (tensor or null)}
    output = linear(input); the grads are those of output.backward(grad_output).

"layers": the activation functionals.
    {name, op: "sigmoid" | "tanh" | "relu" | "softmax" | "log_softmax", dim (or null),
     dtype, input, grad_output, output, grad_input}

"dropout_scales": the value a kept element of ones(...) takes, F.dropout(ones, p).
    {p, dtype, scale}. PyTorch computes noise.div_(1 - p) in the tensor's dtype, i.e.
    1 / float32(1 - p) for float32, which is not always float32(1 / (1 - p)).

"repr": {name, repr}: str(module) for the module trees built by `repr_modules` (the C#
    test builds the same trees by name).

"named_parameters": {name, names: [...], shapes: [[...], ...]} in named_parameters() order.

"state_files": a PyTorch Sequential(Linear(4, 3), ReLU(), Linear(3, 2)) saved as
    safetensors, and its output on a fixed input.
    {name, dtype, file_base64, state: [{name, shape, values}], input, output}
    The bytes come from the reference writer in tools/gen_safetensors_fixture.py (a port of
    the Rust safetensors serializer, checked there against the real library when present).
"""

import base64
import json
import os
import struct
import sys
import zlib

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixtures import fixture_path, seeded, tensor_json  # noqa: E402
from gen_safetensors_fixture import reference_serialize  # noqa: E402

OUT = fixture_path("Nn.Tests", "modules", "modules.json")

DTYPES = {"float32": torch.float32, "float64": torch.float64}
ST_DTYPES = {torch.float32: ("F32", "<f"), torch.float64: ("F64", "<d")}


def module_tensor(t):
    """A tensor as modules.json holds it: its dtype, shape and "values"."""
    return tensor_json(t, with_dtype=True, values="values")


def linear_cases():
    shapes = [
        ("1d", (4,), 4, 3, True),
        ("2d", (5, 4), 4, 3, True),
        ("3d", (2, 3, 4), 4, 3, True),
        ("4d", (2, 2, 3, 4), 4, 3, True),
        ("2d_nobias", (5, 4), 4, 3, False),
        ("1d_nobias", (4,), 4, 3, False),
        ("wide", (32, 64), 64, 10, True),
        ("single", (1, 1), 1, 1, True),
    ]
    for dtype_name, dtype in DTYPES.items():
        for tag, in_shape, fin, fout, has_bias in shapes:
            name = f"linear_{tag}_{dtype_name}"
            g = seeded(name)
            lin = nn.Linear(fin, fout, bias=has_bias).to(dtype)
            with torch.no_grad():
                lin.weight.copy_(torch.randn(fout, fin, generator=g, dtype=dtype))
                if has_bias:
                    lin.bias.copy_(torch.randn(fout, generator=g, dtype=dtype))
            x = torch.randn(*in_shape, generator=g, dtype=dtype).requires_grad_(True)
            y = lin(x)
            go = torch.randn(*y.shape, generator=g, dtype=dtype)
            y.backward(go)
            yield {
                "name": name, "dtype": dtype_name, "in_features": fin, "out_features": fout,
                "bias": has_bias,
                "input": module_tensor(x), "weight": module_tensor(lin.weight),
                "bias_values": module_tensor(lin.bias) if has_bias else None,
                "grad_output": module_tensor(go), "output": module_tensor(y),
                "grad_input": module_tensor(x.grad), "grad_weight": module_tensor(lin.weight.grad),
                "grad_bias": module_tensor(lin.bias.grad) if has_bias else None,
            }


def layer_cases():
    ops = [
        ("sigmoid", None, lambda x, d: torch.sigmoid(x)),
        ("tanh", None, lambda x, d: torch.tanh(x)),
        ("relu", None, lambda x, d: F.relu(x)),
        ("softmax", 1, lambda x, d: F.softmax(x, dim=d)),
        ("softmax", 0, lambda x, d: F.softmax(x, dim=d)),
        ("softmax", -1, lambda x, d: F.softmax(x, dim=d)),
        ("log_softmax", 1, lambda x, d: F.log_softmax(x, dim=d)),
        ("log_softmax", 0, lambda x, d: F.log_softmax(x, dim=d)),
    ]
    for dtype_name, dtype in DTYPES.items():
        for op, dim, f in ops:
            name = f"{op}{'' if dim is None else '_dim' + str(dim)}_{dtype_name}"
            g = seeded(name)
            x = torch.randn(3, 4, generator=g, dtype=dtype)
            if op == "relu":
                x[0, 0] = 0.0  # relu'(0) = 0 in PyTorch
            x.requires_grad_(True)
            y = f(x, dim)
            go = torch.randn(*y.shape, generator=g, dtype=dtype)
            y.backward(go)
            yield {"name": name, "op": op, "dim": dim, "dtype": dtype_name,
                   "input": module_tensor(x), "grad_output": module_tensor(go),
                   "output": module_tensor(y), "grad_input": module_tensor(x.grad)}


def dropout_scales():
    torch.manual_seed(0)
    for p in [0.1, 0.25, 0.3, 0.5, 0.7, 0.9, 0.8474337369372327, 0.49543508709194095, 0.0938595867742349]:
        for dtype_name, dtype in DTYPES.items():
            y = F.dropout(torch.ones(256, dtype=dtype), p, training=True)
            kept = y[y != 0]
            assert len(kept) > 0 and bool((kept == kept[0]).all())
            yield {"p": p, "dtype": dtype_name, "scale": float(kept[0])}


def repr_modules():
    return {
        "linear": nn.Linear(2, 5),
        "linear_nobias": nn.Linear(3, 1, bias=False),
        "dropout_default": nn.Dropout(),
        "dropout_small": nn.Dropout(1e-05),
        "flatten": nn.Flatten(0, 2),
        "identity": nn.Identity(),
        "softmax": nn.Softmax(dim=1),
        "log_softmax": nn.LogSoftmax(dim=-1),
        "empty_sequential": nn.Sequential(),
        "logistic": nn.Sequential(nn.Linear(30, 1), nn.Sigmoid()),
        "mlp": nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Dropout(0.25), nn.Linear(3, 2, bias=False),
                             nn.Softmax(dim=1)),
        "nested": nn.Sequential(nn.Flatten(), nn.Sequential(nn.Linear(8, 4), nn.Tanh()), nn.Identity(),
                                nn.Sequential(nn.Sequential(nn.Linear(4, 2))), nn.LogSoftmax(dim=-1)),
    }


def state_file_cases():
    for dtype_name, dtype in DTYPES.items():
        name = f"mlp_4_3_2_{dtype_name}"
        g = seeded(name)
        torch.manual_seed(zlib.crc32(name.encode("utf-8")))
        model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)).to(dtype)
        state = model.state_dict()
        tensors = {}
        for key, t in state.items():
            st_dtype, fmt = ST_DTYPES[t.dtype]
            raw = b"".join(struct.pack(fmt, v) for v in t.reshape(-1).tolist())
            tensors[key] = (st_dtype, list(t.shape), raw)
        blob = reference_serialize(tensors, {"format": "pt"})
        x = torch.randn(5, 4, generator=g, dtype=dtype)
        # Make sure the ReLU actually clips something, so the fixture exercises both branches.
        with torch.no_grad():
            hidden = model[0](x)
            y = model(x)
        assert bool((hidden < 0).any()) and bool((hidden > 0).any())
        yield {
            "name": name, "dtype": dtype_name,
            "file_base64": base64.b64encode(blob).decode("ascii"),
            "state": [{"name": k, **module_tensor(v)} for k, v in state.items()],
            "input": module_tensor(x), "output": module_tensor(y),
        }


def main():
    named = {}
    for name in ("mlp", "nested", "logistic"):
        m = repr_modules()[name]
        pairs = list(m.named_parameters())
        named[name] = {"name": name, "names": [n for n, _ in pairs], "shapes": [list(p.shape) for _, p in pairs]}
    doc = {
        "generator": "tools/gen_module_fixtures.py",
        "torch_version": torch.__version__,
        "linear": list(linear_cases()),
        "layers": list(layer_cases()),
        "dropout_scales": list(dropout_scales()),
        "repr": [{"name": n, "repr": str(m)} for n, m in repr_modules().items()],
        "named_parameters": list(named.values()),
        "state_files": list(state_file_cases()),
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as fh:
        # One case per line: diffable, and far smaller than an indented dump.
        fh.write("{\n")
        items = list(doc.items())
        for i, (key, value) in enumerate(items):
            fh.write(f" {json.dumps(key)}: ")
            if isinstance(value, list):
                fh.write("[\n" + ",\n".join("  " + json.dumps(c, separators=(",", ":")) for c in value) + "\n ]")
            else:
                fh.write(json.dumps(value))
            fh.write(",\n" if i + 1 < len(items) else "\n")
        fh.write("}\n")
    print(f"wrote {os.path.normpath(OUT)}: {len(doc['linear'])} linear, {len(doc['layers'])} layer, "
          f"{len(doc['dropout_scales'])} dropout-scale, {len(doc['repr'])} repr, "
          f"{len(doc['state_files'])} state-file cases", file=sys.stderr)


if __name__ == "__main__":
    main()
