#!/usr/bin/python3
"""Generate the PyTorch 1.13 reference fixtures for the recurrent cells and layers.

Run with the interpreter that has torch (1.13):

    /usr/bin/python3 tools/gen_rnn_fixtures.py

Writes tests/Nn.Tests/Fixtures/recurrent/cells.json, layers.json and init.json. Deterministic:
every case seeds its own torch.Generator from the CRC32 of its name.

A <tensor> is {"dtype", "shape", "data"} (tools/fixtures.py's tensor_json). The parameters are
written into each case, so the module's own initialisation does not matter; they are drawn in
float64 and rounded to float32 for the float32 cases, so both dtypes run the same model.

cells.json {"cases": [...]}, each
    {name, cell: "rnn_tanh" | "rnn_relu" | "lstm" | "gru", dtype, input_size, hidden_size, bias,
     params: [{name, tensor}] in named_parameters() order,
     input, h0 (or null), c0 (or null, lstm), grad_h, grad_c (lstm),
     h, c (lstm), grads: {"input", "h0", "c0", <param name>...}}
    (h, c) = cell(input, (h0, c0)); grads from torch.autograd.backward([h, c], [grad_h, grad_c]).

layers.json {"cases": [...]}, each
    {name, mode: "rnn_tanh" | "rnn_relu" | "lstm" | "gru", dtype, input_size, hidden_size,
     num_layers, bias, batch_first, bidirectional, params, input, h0, c0 (or null),
     grad_output, grad_h, grad_c, output, h, c, grads}
    (output, h[, c]) = module(input, h0 or (h0, c0)); grads from backward of all outputs.

state_files.json {"cases": [...]}: {name, dtype, file_base64, input, output, h, c}: a PyTorch
    LSTM(3, 4, num_layers=2, bidirectional=True) and GRU(3, 4, batch_first=True)'s state_dict()
    as a safetensors file (tools/gen_safetensors_fixture.py's reference writer), an input and
    the module's outputs on it.

init.json {"cases": [...]}: {name, module, args, params: [{name, shape, bound}]}: the names,
    shapes (in state-dict order) and U(-bound, bound) ranges of freshly built PyTorch modules.
"""

import base64
import math
import os
import struct
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixtures import fixture_path, seeded, tensor_json, write_compact  # noqa: E402
from gen_safetensors_fixture import reference_serialize  # noqa: E402

DTYPES = [torch.float32, torch.float64]


def t(x):
    return tensor_json(x, with_dtype=True)


def draw(gen, shape, dtype, scale=1.0):
    """Uniform in [-scale, scale), drawn in float64 and rounded to dtype."""
    return ((torch.rand(shape, generator=gen, dtype=torch.float64) * 2 - 1) * scale).to(dtype)


def set_params(module, gen, dtype):
    with torch.no_grad():
        for _, p in module.named_parameters():
            p.copy_(draw(gen, p.shape, torch.float64, 0.6))
    module.to(dtype)


def grads_of(named, tensors):
    out = {}
    for name, x in named:
        out[name] = t(x.grad) if x is not None and x.grad is not None else None
    return out


def cell_case(kind, dtype, batched, with_h, bias):
    name = f"{kind}/{'batched' if batched else 'unbatched'}/{'h' if with_h else 'no_h'}/{'bias' if bias else 'no_bias'}/{str(dtype)[6:]}"
    gen = seeded(name.rsplit("/", 1)[0])  # the same numbers for both dtypes
    I, H, N = 3, 4, 2
    if kind.startswith("rnn"):
        cell = nn.RNNCell(I, H, bias=bias, nonlinearity=kind[4:])
    elif kind == "lstm":
        cell = nn.LSTMCell(I, H, bias=bias)
    else:
        cell = nn.GRUCell(I, H, bias=bias)
    set_params(cell, gen, dtype)
    bshape = (N,) if batched else ()
    x = draw(gen, bshape + (I,), dtype).requires_grad_()
    h0 = draw(gen, bshape + (H,), dtype).requires_grad_() if with_h else None
    c0 = draw(gen, bshape + (H,), dtype).requires_grad_() if with_h and kind == "lstm" else None
    gh = draw(gen, bshape + (H,), dtype)
    gc = draw(gen, bshape + (H,), dtype) if kind == "lstm" else None
    if kind == "lstm":
        h, c = cell(x, (h0, c0) if with_h else None)
        torch.autograd.backward([h, c], [gh, gc])
    else:
        h, c = cell(x, h0), None
        h.backward(gh)
    named = [("input", x), ("h0", h0), ("c0", c0)] + list(cell.named_parameters())
    return {
        "name": name, "cell": kind, "dtype": str(dtype)[6:], "input_size": I, "hidden_size": H, "bias": bias,
        "params": [{"name": n, "tensor": t(p)} for n, p in cell.named_parameters()],
        "input": t(x), "h0": t(h0), "c0": t(c0), "grad_h": t(gh), "grad_c": t(gc),
        "h": t(h), "c": t(c), "grads": grads_of(named, None),
    }


def layer_case(mode, dtype, num_layers=1, bias=True, batch_first=False, bidirectional=False, batched=True, with_h=True, tag="", L=5):
    flags = [f"l{num_layers}"] + (["no_bias"] if not bias else []) + (["batch_first"] if batch_first else []) \
        + (["bidirectional"] if bidirectional else []) + (["unbatched"] if not batched else []) + (["no_h"] if not with_h else [])
    name = f"{mode}/{'_'.join(flags)}{tag}/{str(dtype)[6:]}"
    gen = seeded(name.rsplit("/", 1)[0])
    I, H, N = 3, 4, 2
    kw = dict(num_layers=num_layers, bias=bias, batch_first=batch_first, bidirectional=bidirectional)
    if mode.startswith("rnn"):
        m = nn.RNN(I, H, nonlinearity=mode[4:], **kw)
    elif mode == "lstm":
        m = nn.LSTM(I, H, **kw)
    else:
        m = nn.GRU(I, H, **kw)
    set_params(m, gen, dtype)
    D = 2 if bidirectional else 1
    if batched:
        xshape = (N, L, I) if batch_first else (L, N, I)
        hshape = (num_layers * D, N, H)
        oshape = (N, L, D * H) if batch_first else (L, N, D * H)
    else:
        xshape, hshape, oshape = (L, I), (num_layers * D, H), (L, D * H)
    x = draw(gen, xshape, dtype).requires_grad_()
    h0 = draw(gen, hshape, dtype).requires_grad_() if with_h else None
    c0 = draw(gen, hshape, dtype).requires_grad_() if with_h and mode == "lstm" else None
    go = draw(gen, oshape, dtype)
    gh = draw(gen, hshape, dtype)
    gc = draw(gen, hshape, dtype) if mode == "lstm" else None
    if mode == "lstm":
        out, (h, c) = m(x, (h0, c0) if with_h else None)
        torch.autograd.backward([out, h, c], [go, gh, gc])
    else:
        (out, h), c = m(x, h0), None
        torch.autograd.backward([out, h], [go, gh])
    named = [("input", x), ("h0", h0), ("c0", c0)] + list(m.named_parameters())
    return {
        "name": name, "mode": mode, "dtype": str(dtype)[6:], "input_size": I, "hidden_size": H,
        "num_layers": num_layers, "bias": bias, "batch_first": batch_first, "bidirectional": bidirectional,
        "params": [{"name": n, "tensor": t(p)} for n, p in m.named_parameters()],
        "input": t(x), "h0": t(h0), "c0": t(c0), "grad_output": t(go), "grad_h": t(gh), "grad_c": t(gc),
        "output": t(out), "h": t(h), "c": t(c), "grads": grads_of(named, None),
    }


def cells():
    cases = []
    for dtype in DTYPES:
        for kind in ["rnn_tanh", "rnn_relu", "lstm", "gru"]:
            cases.append(cell_case(kind, dtype, batched=True, with_h=True, bias=True))
            cases.append(cell_case(kind, dtype, batched=True, with_h=False, bias=True))
            cases.append(cell_case(kind, dtype, batched=False, with_h=True, bias=True))
            cases.append(cell_case(kind, dtype, batched=True, with_h=True, bias=False))
    return cases


def layers():
    cases = []
    for dtype in DTYPES:
        for mode in ["rnn_tanh", "rnn_relu", "lstm", "gru"]:
            cases.append(layer_case(mode, dtype))
            cases.append(layer_case(mode, dtype, with_h=False))
            cases.append(layer_case(mode, dtype, num_layers=2))
            cases.append(layer_case(mode, dtype, bidirectional=True))
            cases.append(layer_case(mode, dtype, num_layers=2, bidirectional=True))
            cases.append(layer_case(mode, dtype, batch_first=True))
            cases.append(layer_case(mode, dtype, batched=False))
            cases.append(layer_case(mode, dtype, bias=False))
        # A longer sequence, so rounding differences have room to grow through the recurrence.
        for mode in ["lstm", "gru"]:
            cases.append(layer_case(mode, dtype, num_layers=2, bidirectional=True, batch_first=True, tag="_long", L=12))
    return cases


def init_cases():
    specs = [
        ("RNNCell", nn.RNNCell(3, 5), {"input_size": 3, "hidden_size": 5}),
        ("LSTMCell", nn.LSTMCell(3, 5, bias=False), {"input_size": 3, "hidden_size": 5, "bias": False}),
        ("GRUCell", nn.GRUCell(3, 5), {"input_size": 3, "hidden_size": 5}),
        ("RNN", nn.RNN(3, 5, num_layers=2, bidirectional=True), {"input_size": 3, "hidden_size": 5, "num_layers": 2, "bidirectional": True}),
        ("LSTM", nn.LSTM(3, 7, num_layers=2), {"input_size": 3, "hidden_size": 7, "num_layers": 2}),
        ("GRU", nn.GRU(4, 6, bias=False, bidirectional=True), {"input_size": 4, "hidden_size": 6, "bias": False, "bidirectional": True}),
    ]
    cases = []
    for name, m, args in specs:
        bound = 1 / math.sqrt(m.hidden_size)
        params = []
        for n, p in m.state_dict().items():
            assert p.abs().max().item() <= bound
            params.append({"name": n, "shape": list(p.shape), "bound": bound})
        cases.append({"name": name, "module": name, "args": args, "params": params, "repr": repr(m)})
    return cases


def state_file_cases():
    cases = []
    for dtype in DTYPES:
        for kind in ["lstm", "gru"]:
            name = f"{kind}/{str(dtype)[6:]}"
            gen = seeded(name)
            torch.manual_seed(7)
            m = nn.LSTM(3, 4, num_layers=2, bidirectional=True) if kind == "lstm" else nn.GRU(3, 4, batch_first=True)
            m = m.to(dtype)
            tensors = {}
            for key, p in m.state_dict().items():
                st, fmt = ("F32", "<f") if dtype == torch.float32 else ("F64", "<d")
                tensors[key] = (st, list(p.shape), b"".join(struct.pack(fmt, v) for v in p.reshape(-1).tolist()))
            blob = reference_serialize(tensors, {"format": "pt"})
            x = draw(gen, (6, 2, 3), dtype)
            with torch.no_grad():
                if kind == "lstm":
                    out, (h, c) = m(x)
                else:
                    (out, h), c = m(x), None
            cases.append({"name": name, "kind": kind, "dtype": str(dtype)[6:], "file_base64": base64.b64encode(blob).decode("ascii"),
                          "input": t(x), "output": t(out), "h": t(h), "c": t(c)})
    return cases


def main():
    torch.set_num_threads(1)
    write_compact(fixture_path("Nn.Tests", "recurrent", "cells.json"), {"cases": cells()})
    write_compact(fixture_path("Nn.Tests", "recurrent", "layers.json"), {"cases": layers()})
    write_compact(fixture_path("Nn.Tests", "recurrent", "init.json"), {"cases": init_cases()})
    write_compact(fixture_path("Nn.Tests", "recurrent", "state_files.json"), {"cases": state_file_cases()})


if __name__ == "__main__":
    main()
