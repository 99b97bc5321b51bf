"""PyTorch 1.13 reference data for the poolings (tests/Nn.Tests/Fixtures/pool/pool.json).

Each case runs one of F.max_pool1d/2d (return_indices=True), F.avg_pool1d/2d,
F.adaptive_avg_pool2d and F.adaptive_max_pool2d (return_indices=True) on seeded data in float32
and float64, and records the output, the indices (max pools) and the gradient with respect to the
input for a seeded random output gradient. Data "ties" are small integers, so that windows hold
equal maxima (the gradient goes to the first in scan order); "nan" puts NaNs into some windows
(the last NaN of a window wins); "neginf" fills a plane with -inf. "repr" holds the modules' printed forms.

    /usr/bin/python3 tools/gen_pool_fixtures.py
"""

import torch
import torch.nn.functional as F

from fixtures import fixture_path, seeded, tensor_json, write_compact

# name, op, input shape, options, data kind
CASES = [
    ("max2d_basic", "max2d", (2, 3, 6, 7), dict(kernel_size=2), "randn"),
    ("max2d_k3s2p1", "max2d", (2, 2, 7, 8), dict(kernel_size=3, stride=2, padding=1), "randn"),
    ("max2d_rect", "max2d", (1, 2, 7, 9), dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 1)), "randn"),
    ("max2d_dilation", "max2d", (2, 2, 9, 8), dict(kernel_size=3, stride=1, padding=1, dilation=2), "randn"),
    ("max2d_ceil", "max2d", (2, 2, 7, 6), dict(kernel_size=2, stride=2, ceil_mode=True), "randn"),
    ("max2d_ceil_pad", "max2d", (1, 2, 8, 7), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True), "randn"),
    ("max2d_overlap_ties", "max2d", (2, 2, 6, 6), dict(kernel_size=3, stride=1), "ties"),
    ("max2d_ties_pad", "max2d", (2, 2, 5, 6), dict(kernel_size=2, stride=1, padding=1), "ties"),
    ("max2d_nan", "max2d", (1, 2, 6, 6), dict(kernel_size=2, stride=1), "nan"),
    ("max2d_neginf", "max2d", (1, 2, 4, 4), dict(kernel_size=2, stride=1, padding=1), "neginf"),
    ("max2d_unbatched", "max2d", (3, 6, 5), dict(kernel_size=2, stride=(2, 1)), "randn"),
    ("max1d_basic", "max1d", (2, 3, 9), dict(kernel_size=3, stride=2, padding=1), "randn"),
    ("max1d_dilation_ceil", "max1d", (2, 2, 11), dict(kernel_size=2, stride=3, dilation=2, ceil_mode=True), "randn"),
    ("max1d_ties", "max1d", (2, 2, 10), dict(kernel_size=3, stride=1), "ties"),
    ("max1d_unbatched", "max1d", (3, 8), dict(kernel_size=2), "randn"),
    ("avg2d_basic", "avg2d", (2, 3, 6, 7), dict(kernel_size=2), "randn"),
    ("avg2d_k3s2p1", "avg2d", (2, 2, 7, 8), dict(kernel_size=3, stride=2, padding=1), "randn"),
    ("avg2d_exclude_pad", "avg2d", (2, 2, 7, 8), dict(kernel_size=3, stride=2, padding=1, count_include_pad=False), "randn"),
    ("avg2d_ceil", "avg2d", (2, 2, 7, 6), dict(kernel_size=3, stride=2, ceil_mode=True), "randn"),
    ("avg2d_ceil_pad", "avg2d", (1, 2, 8, 7), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True), "randn"),
    ("avg2d_ceil_pad_exclude", "avg2d", (1, 2, 8, 7), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False), "randn"),
    ("avg2d_rect", "avg2d", (1, 2, 7, 9), dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 1)), "randn"),
    ("avg2d_divisor", "avg2d", (2, 2, 6, 6), dict(kernel_size=3, stride=1, padding=1, divisor_override=5), "randn"),
    ("avg2d_unbatched", "avg2d", (3, 6, 5), dict(kernel_size=2, stride=1), "randn"),
    ("avg1d_basic", "avg1d", (2, 3, 9), dict(kernel_size=3, stride=2, padding=1), "randn"),
    ("avg1d_ceil_exclude", "avg1d", (2, 2, 10), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False), "randn"),
    ("avg1d_unbatched", "avg1d", (3, 8), dict(kernel_size=2), "randn"),
    ("adaptive_avg_3x4", "adaptive_avg2d", (2, 3, 7, 9), dict(output_size=(3, 4)), "randn"),
    ("adaptive_avg_up", "adaptive_avg2d", (1, 2, 3, 4), dict(output_size=(5, 6)), "randn"),
    ("adaptive_avg_1x1", "adaptive_avg2d", (2, 3, 5, 7), dict(output_size=1), "randn"),
    ("adaptive_avg_unbatched", "adaptive_avg2d", (3, 8, 8), dict(output_size=(2, 3)), "randn"),
    ("adaptive_max_3x4", "adaptive_max2d", (2, 3, 7, 9), dict(output_size=(3, 4)), "randn"),
    ("adaptive_max_ties", "adaptive_max2d", (2, 2, 6, 7), dict(output_size=(4, 3)), "ties"),
    ("adaptive_max_nan", "adaptive_max2d", (1, 2, 6, 6), dict(output_size=(3, 3)), "nan"),
    ("adaptive_max_unbatched", "adaptive_max2d", (3, 5, 5), dict(output_size=2), "randn"),
    ("pad_constant_2d", "pad", (2, 2, 4, 5), dict(pad=(1, 2, 2, 0), mode="constant", value=1.5), "randn"),
    ("pad_constant_crop", "pad", (2, 3, 6), dict(pad=(-1, 2, 1, -2), mode="constant", value=0.0), "randn"),
    ("pad_constant_1d", "pad", (3, 5), dict(pad=(2, 1), mode="constant", value=-2.0), "randn"),
    ("pad_reflect_2d", "pad", (2, 2, 4, 5), dict(pad=(2, 3, 3, 1), mode="reflect"), "randn"),
    ("pad_reflect_1d", "pad", (2, 3, 5), dict(pad=(4, 2), mode="reflect"), "randn"),
    ("pad_replicate_2d", "pad", (2, 4, 3), dict(pad=(3, 1, 2, 4), mode="replicate"), "randn"),
    ("pad_replicate_1d", "pad", (2, 2, 4), dict(pad=(3, 5), mode="replicate"), "randn"),
    ("pad_circular_2d", "pad", (1, 2, 4, 5), dict(pad=(5, 2, 1, 4), mode="circular"), "randn"),
    ("pad_circular_1d", "pad", (2, 2, 4), dict(pad=(4, 3), mode="circular"), "randn"),
    ("pad_constant_3d", "pad", (2, 2, 3, 4, 5), dict(pad=(1, 2, 0, 1, 2, 1), mode="constant", value=0.5), "randn"),
    ("pad_constant_4dims", "pad", (2, 3, 2, 4), dict(pad=(1, 0, 2, 1, 0, 1, 1, 1), mode="constant", value=-1.0), "randn"),
    ("pad_constant_3d_crop", "pad", (2, 3, 4, 5), dict(pad=(-1, 1, 1, -1, -1, 2), mode="constant", value=0.0), "randn"),
    ("pad_reflect_3d", "pad", (1, 2, 4, 5, 6), dict(pad=(2, 1, 3, 2, 1, 3), mode="reflect"), "randn"),
    ("pad_replicate_3d", "pad", (2, 3, 4, 3), dict(pad=(2, 3, 1, 2, 3, 1), mode="replicate"), "randn"),
    ("pad_circular_3d", "pad", (1, 2, 3, 4, 5), dict(pad=(2, 1, 1, 3, 2, 1), mode="circular"), "randn"),
]


def data(name, shape, kind):
    gen = seeded(name)
    if kind == "ties":
        return torch.randint(-2, 3, shape, generator=gen).double()
    x = torch.randn(shape, generator=gen, dtype=torch.float64)
    if kind == "nan":
        mask = torch.rand(shape, generator=gen) < 0.2
        x[mask] = float("nan")
    if kind == "neginf":
        x[..., 0, :, :] = float("-inf")
    return x


def run(op, x, opts):
    if op == "max2d":
        return F.max_pool2d(x, return_indices=True, **opts)
    if op == "max1d":
        return F.max_pool1d(x, return_indices=True, **opts)
    if op == "adaptive_max2d":
        return F.adaptive_max_pool2d(x, return_indices=True, **opts)
    if op == "avg2d":
        return F.avg_pool2d(x, **opts), None
    if op == "avg1d":
        return F.avg_pool1d(x, **opts), None
    if op == "pad":
        return F.pad(x, **opts), None
    return F.adaptive_avg_pool2d(x, **opts), None


def t(v):
    return tensor_json(v, with_dtype=True, values="values")


def case(name, op, shape, opts, kind, dtype):
    x64 = data(name, shape, kind)
    out_shape = run(op, x64, opts)[0].shape
    g = torch.randn(out_shape, generator=seeded(name + "/grad"), dtype=torch.float64).to(dtype)
    x = x64.to(dtype).requires_grad_()
    y, idx = run(op, x, opts)
    y.backward(g)
    return {
        "name": name, "op": op, "dtype": str(dtype).replace("torch.", ""), "options": opts,
        "input": t(x.detach()), "grad_output": t(g), "output": t(y.detach()),
        "indices": tensor_json(idx, with_dtype=True, values="values") if idx is not None else None,
        "grad_input": t(x.grad),
    }


def reprs():
    mods = [
        ("MaxPool2d(2)", torch.nn.MaxPool2d(2)),
        ("MaxPool2d((2, 3), stride=1, padding=1, dilation=2, ceil_mode=True)", torch.nn.MaxPool2d((2, 3), stride=1, padding=1, dilation=2, ceil_mode=True)),
        ("MaxPool1d(3, stride=2)", torch.nn.MaxPool1d(3, stride=2)),
        ("AvgPool2d(2)", torch.nn.AvgPool2d(2)),
        ("AvgPool2d((3, 2), stride=(1, 2), padding=1, ceil_mode=True, count_include_pad=False, divisor_override=4)",
         torch.nn.AvgPool2d((3, 2), stride=(1, 2), padding=1, ceil_mode=True, count_include_pad=False, divisor_override=4)),
        ("AvgPool1d(3, stride=2, padding=1)", torch.nn.AvgPool1d(3, stride=2, padding=1)),
        ("AdaptiveAvgPool2d((1, 1))", torch.nn.AdaptiveAvgPool2d((1, 1))),
        ("AdaptiveAvgPool2d(3)", torch.nn.AdaptiveAvgPool2d(3)),
        ("AdaptiveMaxPool2d((2, 3))", torch.nn.AdaptiveMaxPool2d((2, 3))),
        ("Dropout2d(p=0.25)", torch.nn.Dropout2d(p=0.25)),
    ]
    return [{"name": n, "repr": repr(m)} for n, m in mods]


def main():
    torch.set_num_threads(2)
    cases = [case(*c, dtype=dt) for c in CASES for dt in (torch.float32, torch.float64)]
    path = write_compact(fixture_path("Nn.Tests", "pool", "pool.json"), {"pool": cases, "repr": reprs()})
    print(f"wrote {len(cases)} cases to {path}")


if __name__ == "__main__":
    main()
