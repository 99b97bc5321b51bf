"""PyTorch 1.13 reference data for Conv1d and Conv2d (tests/Nn.Tests/Fixtures/conv/conv.json).

Sections: "conv" (F.conv1d / F.conv2d), "padding_modes" (nn.Conv1d / nn.Conv2d with padding_mode
reflect, replicate and circular, weights set from the seeded data) and "repr" (printed forms).

Each case runs F.conv1d / F.conv2d on seeded random data in float32 and float64 and records the
output and the gradients with respect to the input, weight and bias for a random output gradient.
It also records, in float64, the "magnitudes" the tests' rounding bound needs: the same
convolution and gradients computed on the absolute values (|x|, |w|, |b|, |g|), which is the sum
of the absolute values of the terms each result element adds up.

    /usr/bin/python3 tools/gen_conv_fixtures.py
"""

import torch
import torch.nn.functional as F

from fixtures import fixture_path, seeded, tensor_json, write_compact

# name, dims, batch (None = unbatched), in, out, spatial size, kernel, stride, padding, dilation, groups, bias
CASES = [
    ("2d_basic", 2, 2, 3, 4, (7, 6), (3, 3), 1, 0, 1, 1, True),
    ("2d_lenet", 2, 3, 1, 6, (12, 12), (5, 5), 1, 0, 1, 1, True),
    ("2d_rect_kernel", 2, 2, 2, 3, (6, 8), (2, 3), 1, 0, 1, 1, True),
    ("2d_stride2", 2, 2, 3, 2, (9, 8), (3, 3), 2, 0, 1, 1, True),
    ("2d_stride_pair", 2, 1, 2, 3, (9, 10), (3, 2), (2, 3), 0, 1, 1, True),
    ("2d_pad1", 2, 2, 3, 4, (5, 5), (3, 3), 1, 1, 1, 1, True),
    ("2d_pad_pair", 2, 2, 2, 2, (5, 6), (3, 3), 1, (2, 1), 1, 1, True),
    ("2d_pad_stride", 2, 2, 2, 3, (7, 7), (3, 3), 2, 1, 1, 1, True),
    ("2d_same_odd", 2, 2, 3, 2, (6, 5), (3, 3), 1, "same", 1, 1, True),
    ("2d_same_even", 2, 2, 2, 3, (6, 7), (4, 2), 1, "same", 1, 1, True),
    ("2d_same_dilated", 2, 1, 2, 2, (8, 8), (3, 2), 1, "same", (2, 3), 1, True),
    ("2d_valid", 2, 2, 2, 3, (6, 6), (3, 3), 1, "valid", 1, 1, True),
    ("2d_dilation2", 2, 2, 2, 3, (9, 9), (3, 3), 1, 0, 2, 1, True),
    ("2d_dilation_pair_pad", 2, 1, 2, 2, (8, 9), (2, 3), (1, 2), 1, (3, 2), 1, True),
    ("2d_groups2", 2, 2, 4, 6, (6, 6), (3, 3), 1, 1, 1, 2, True),
    ("2d_depthwise", 2, 2, 3, 3, (6, 5), (3, 3), 1, 1, 1, 3, True),
    ("2d_depthwise_mult2", 2, 2, 3, 6, (5, 6), (3, 3), 2, 1, 1, 3, True),
    ("2d_no_bias", 2, 2, 3, 4, (6, 6), (3, 3), 1, 1, 1, 1, False),
    ("2d_unbatched", 2, None, 3, 2, (6, 5), (3, 3), 1, 1, 1, 1, True),
    ("2d_1x1", 2, 2, 5, 3, (4, 4), (1, 1), 1, 0, 1, 1, True),
    ("2d_kernel_eq_input", 2, 2, 2, 3, (4, 5), (4, 5), 1, 0, 1, 1, True),
    ("2d_wide_channels", 2, 4, 16, 8, (6, 6), (3, 3), 1, 1, 1, 1, True),
    ("1d_basic", 1, 2, 3, 4, (10,), (3,), 1, 0, 1, 1, True),
    ("1d_stride_pad", 1, 2, 2, 3, (11,), (4,), 2, 1, 1, 1, True),
    ("1d_same_even", 1, 2, 2, 2, (9,), (4,), 1, "same", 1, 1, True),
    ("1d_valid_dilated", 1, 2, 3, 2, (12,), (3,), 1, "valid", 2, 1, True),
    ("1d_groups_depthwise", 1, 2, 4, 8, (10,), (3,), 1, 1, 1, 4, True),
    ("1d_no_bias", 1, 3, 2, 3, (8,), (2,), 1, 0, 1, 1, False),
    ("1d_unbatched", 1, None, 3, 2, (9,), (3,), 2, 1, 1, 1, True),
]


def run(dims, x, w, b, g, stride, padding, dilation, groups):
    x, w = x.clone().requires_grad_(), w.clone().requires_grad_()
    b = b.clone().requires_grad_() if b is not None else None
    conv = F.conv1d if dims == 1 else F.conv2d
    y = conv(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)
    y.backward(g)
    return y.detach(), x.grad, w.grad, (b.grad if b is not None else None)


def t(v):
    return tensor_json(v, with_dtype=True, values="values")


def case(name, dims, batch, cin, cout, size, kernel, stride, padding, dilation, groups, bias, dtype):
    gen = seeded(name)
    shape = ((batch,) if batch is not None else ()) + (cin,) + size
    x = torch.randn(shape, generator=gen, dtype=torch.float64)
    w = torch.randn((cout, cin // groups) + kernel, generator=gen, dtype=torch.float64) * 0.5
    b = torch.randn((cout,), generator=gen, dtype=torch.float64) if bias else None
    conv = F.conv1d if dims == 1 else F.conv2d
    out_shape = conv(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups).shape
    g = torch.randn(out_shape, generator=gen, dtype=torch.float64)
    x, w, g = x.to(dtype), w.to(dtype), g.to(dtype)
    b = b.to(dtype) if b is not None else None
    y, gx, gw, gb = run(dims, x, w, b, g, stride, padding, dilation, groups)
    d = torch.float64
    my, mgx, mgw, mgb = run(dims, x.to(d).abs(), w.to(d).abs(), b.to(d).abs() if b is not None else None, g.to(d).abs(),
                            stride, padding, dilation, groups)
    return {
        "name": f"{name}_{str(dtype).replace('torch.', '')}",
        "dims": dims,
        "stride": list(stride) if isinstance(stride, tuple) else stride,
        "padding": list(padding) if isinstance(padding, tuple) else padding,
        "dilation": list(dilation) if isinstance(dilation, tuple) else dilation,
        "groups": groups,
        "input": t(x), "weight": t(w), "bias": t(b), "grad_output": t(g),
        "output": t(y), "grad_input": t(gx), "grad_weight": t(gw), "grad_bias": t(gb),
        "output_magnitude": t(my), "grad_input_magnitude": t(mgx),
        "grad_weight_magnitude": t(mgw), "grad_bias_magnitude": t(mgb),
    }


# name, dims, batch, in, out, size, kernel, stride, padding, dilation, groups, bias, padding_mode (modules only)
MODE_CASES = [
    (f"{mode}_{name}", dims, batch, cin, cout, size, kernel, stride, padding, dilation, groups, bias, mode)
    for mode in ("reflect", "replicate", "circular")
    for (name, dims, batch, cin, cout, size, kernel, stride, padding, dilation, groups, bias) in [
        ("2d_pad_pair", 2, 2, 2, 3, (5, 6), (3, 3), 1, (1, 2), 1, 1, True),
        ("2d_same_even_dilated", 2, 1, 2, 2, (6, 7), (2, 3), 1, "same", (3, 1), 1, True),
        ("2d_stride_groups", 2, 1, 2, 2, (6, 6), (3, 3), 2, 2, 1, 2, False),
        ("1d_pad2", 1, 2, 2, 3, (8,), (3,), 1, 2, 1, 1, True),
        ("1d_same_even", 1, 1, 3, 2, (7,), (4,), 1, "same", 1, 1, True),
    ]
]


def mode_case(name, dims, batch, cin, cout, size, kernel, stride, padding, dilation, groups, bias, mode, dtype):
    gen = seeded(name)
    shape = ((batch,) if batch is not None else ()) + (cin,) + size
    cls = torch.nn.Conv1d if dims == 1 else torch.nn.Conv2d
    m = cls(cin, cout, kernel, stride=stride, padding=padding, dilation=dilation, groups=groups, bias=bias, padding_mode=mode).double()
    x = torch.randn(shape, generator=gen, dtype=torch.float64)
    with torch.no_grad():
        m.weight.copy_(torch.randn(m.weight.shape, generator=gen, dtype=torch.float64) * 0.5)
        if bias:
            m.bias.copy_(torch.randn(m.bias.shape, generator=gen, dtype=torch.float64))
    g = torch.randn(m(x).shape, generator=gen, dtype=torch.float64)
    m, x, g = m.to(dtype), x.to(dtype), g.to(dtype)
    weight, b = m.weight.detach().clone(), (m.bias.detach().clone() if bias else None)

    def run_module(mod, xv, gv):
        mod.zero_grad()
        xv = xv.clone().requires_grad_()
        y = mod(xv)
        y.backward(gv)
        return y.detach(), xv.grad, mod.weight.grad.clone(), (mod.bias.grad.clone() if bias else None)

    y, gx, gw, gb = run_module(m, x, g)
    am = cls(cin, cout, kernel, stride=stride, padding=padding, dilation=dilation, groups=groups, bias=bias, padding_mode=mode).double()
    with torch.no_grad():
        am.weight.copy_(weight.double().abs())
        if bias:
            am.bias.copy_(b.double().abs())
    my, mgx, mgw, mgb = run_module(am, x.double().abs(), g.double().abs())
    return {
        "name": f"{name}_{str(dtype).replace('torch.', '')}",
        "dims": dims, "in_channels": cin, "out_channels": cout,
        "kernel_size": list(kernel),
        "stride": list(stride) if isinstance(stride, tuple) else stride,
        "padding": list(padding) if isinstance(padding, tuple) else padding,
        "dilation": list(dilation) if isinstance(dilation, tuple) else dilation,
        "groups": groups, "padding_mode": mode,
        "input": t(x), "weight": t(weight), "bias": t(b), "grad_output": t(g),
        "output": t(y), "grad_input": t(gx), "grad_weight": t(gw), "grad_bias": t(gb),
        "output_magnitude": t(my), "grad_input_magnitude": t(mgx),
        "grad_weight_magnitude": t(mgw), "grad_bias_magnitude": t(mgb),
    }


def reprs():
    """PyTorch's printed form of a few modules."""
    mods = [
        ("Conv2d(1, 6, 5)", torch.nn.Conv2d(1, 6, 5)),
        ("Conv2d(3, 8, (3, 5), stride=2, padding=(1, 2), dilation=(2, 1), groups=1, bias=False)",
         torch.nn.Conv2d(3, 8, (3, 5), stride=2, padding=(1, 2), dilation=(2, 1), bias=False)),
        ("Conv2d(4, 4, 3, padding='same', groups=4)", torch.nn.Conv2d(4, 4, 3, padding="same", groups=4)),
        ("Conv2d(2, 2, 3, padding='valid')", torch.nn.Conv2d(2, 2, 3, padding="valid")),
        ("Conv1d(3, 5, 4)", torch.nn.Conv1d(3, 5, 4)),
        ("Conv1d(4, 8, 3, stride=2, padding=1, dilation=2, groups=2, bias=False)",
         torch.nn.Conv1d(4, 8, 3, stride=2, padding=1, dilation=2, groups=2, bias=False)),
        ("Conv1d(2, 2, 3, padding='same')", torch.nn.Conv1d(2, 2, 3, padding="same")),
        ("Conv2d(2, 3, 3, padding=1, padding_mode='reflect')", torch.nn.Conv2d(2, 3, 3, padding=1, padding_mode="reflect")),
        ("Conv1d(2, 3, 3, padding=1, padding_mode='circular')", torch.nn.Conv1d(2, 3, 3, padding=1, padding_mode="circular")),
    ]
    return [{"name": n, "repr": repr(m)} for n, m in mods]


def main():
    torch.set_num_threads(2)
    cases = [case(*c, dtype=dt) for c in CASES for dt in (torch.float32, torch.float64)]
    modes = [mode_case(*c, dtype=dt) for c in MODE_CASES for dt in (torch.float32, torch.float64)]
    path = write_compact(fixture_path("Nn.Tests", "conv", "conv.json"), {"conv": cases, "padding_modes": modes, "repr": reprs()})
    print(f"wrote {len(cases)} cases to {path}")


if __name__ == "__main__":
    main()
