#!/usr/bin/python3
"""PyTorch 1.13 reference for in-place ops recorded in the graph (a non-leaf, or an operand that
requires grad): the values and the gradients of a, b (leaves) for small programs that change a
tensor in place, Float32 and Float64.

Run with the interpreter that has torch (1.13):

    /usr/bin/python3 tools/gen_inplace_recorded_fixtures.py

Writes tests/Autograd.Tests/Fixtures/inplace_recorded.json:
  {"torch_version", "cases": [{"name", "program", "dtype", "a", "b", "w", "output", "grad_a", "grad_b"}]}
Each program (the C# test runs the same steps by name) starts from leaves a (2, 3) and b (3) or
(2, 3), and ends with loss = Σ w · out; grad_b is null where b gets no gradient.
"""
import torch

from fixtures import fixture_path, seeded, tensor_json, write_compact

OUT = fixture_path("Autograd.Tests", "inplace_recorded.json")


def programs():
    # name: (b's shape, f(a, b) -> out)
    def mul_tensor(a, b):
        x = a * 2
        x.mul_(b)
        return x

    def mul_scalar(a, b):
        x = a + b
        x.mul_(-1.5)
        return x

    def add_alpha(a, b):
        x = a * 2
        x.add_(b, alpha=0.5)
        return x

    def add_scalar(a, b):
        x = a * b
        x.add_(0.25)
        return x

    def sub_alpha(a, b):
        x = a.exp()
        y = x * 1
        y.sub_(b, alpha=2.5)
        return y

    def sub_scalar(a, b):
        x = a * b
        x.sub_(3)
        return x

    def div_tensor(a, b):
        x = a * 3
        x.div_(b)
        return x

    def div_scalar(a, b):
        x = a - b
        x.div_(7)
        return x

    def clamp(a, b):
        x = a * b
        x.clamp_(-0.5, 0.75)
        return x

    def clamp_min(a, b):
        x = a + b
        x.clamp_(min=0.1)
        return x

    def fill(a, b):
        x = a * b
        x.fill_(3)
        return x + a

    def zero(a, b):
        x = a * b
        x.zero_()
        return x + b

    def copy(a, b):
        x = a * 2
        x.copy_(b)
        return x * a

    def used_before(a, b):
        x = a * 2
        z = x + 1
        x.add_(b)
        return z * 3 + x * a

    def twice(a, b):
        x = a * 1
        x.mul_(b)
        x.add_(a)
        x.div_(b)
        return x

    def plain_mul(a, b):
        x = torch.ones_like(a)
        x.mul_(b)
        x.add_(a)
        return x

    return {
        "mul_tensor": ([3], mul_tensor), "mul_scalar": ([3], mul_scalar), "add_alpha": ([2, 3], add_alpha),
        "add_scalar": ([3], add_scalar), "sub_alpha": ([3], sub_alpha), "sub_scalar": ([2, 3], sub_scalar),
        "div_tensor": ([3], div_tensor), "div_scalar": ([3], div_scalar), "clamp": ([3], clamp), "clamp_min": ([2, 3], clamp_min),
        "fill": ([3], fill), "zero": ([3], zero), "copy": ([3], copy), "used_before": ([2, 3], used_before), "twice": ([3], twice),
        "plain_mul": ([3], plain_mul),
    }


def main():
    cases = []
    for dname, dt in {"float32": torch.float32, "float64": torch.float64}.items():
        for name, (bshape, f) in programs().items():
            tag = f"{name}_{dname}"
            a = torch.randn([2, 3], generator=seeded(tag + "/a"), dtype=torch.float64).to(dt)
            b = (torch.rand(bshape, generator=seeded(tag + "/b"), dtype=torch.float64) + 0.5).to(dt)  # away from 0 (div)
            w = torch.randn([2, 3], generator=seeded(tag + "/w"), dtype=torch.float64).to(dt)
            la, lb = a.clone().requires_grad_(), b.clone().requires_grad_()
            out = f(la, lb)
            ga, gb = torch.autograd.grad((out * w).sum(), [la, lb], allow_unused=True)
            cases.append({"name": tag, "program": name, "dtype": dname, "a": tensor_json(a, with_dtype=True),
                          "b": tensor_json(b, with_dtype=True), "w": tensor_json(w, with_dtype=True),
                          "output": tensor_json(out.detach(), with_dtype=True), "grad_a": tensor_json(ga, with_dtype=True) if ga is not None else None,
                          "grad_b": tensor_json(gb, with_dtype=True) if gb is not None else None})
    write_compact(OUT, {"torch_version": torch.__version__, "cases": cases})
    print(f"{len(cases)} cases -> {OUT}")


if __name__ == "__main__":
    main()
