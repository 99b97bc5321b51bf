"""Writes tests/Nn.Tests/Fixtures/modules/buffers.json: PyTorch 1.13's state_dict keys (in
order, with dtypes and shapes) for modules with parameters, persistent and non-persistent
buffers and submodules, and for a two-Linear recurrent cell (x, h) -> h'. Run with
/usr/bin/python3 tools/gen_module_buffer_fixtures.py."""
import torch
from fixtures import fixture_path, write_compact


class Leaf(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("running_mean", torch.zeros(3))
        self.weight = torch.nn.Parameter(torch.ones(3))
        self.register_buffer("scratch", torch.zeros(2), persistent=False)
        self.register_buffer("count", torch.tensor(0, dtype=torch.int64))
        self.register_buffer("empty", None)


class Outer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("steps", torch.zeros(1))
        self.first = Leaf()
        self.bias = torch.nn.Parameter(torch.zeros(2))
        self.second = torch.nn.Sequential(Leaf(), torch.nn.Linear(2, 2))


class Cell(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.input = torch.nn.Linear(3, 4)
        self.hidden = torch.nn.Linear(4, 4, bias=False)

    def forward(self, x, h):
        return torch.tanh(self.input(x) + self.hidden(h))


def keys(m):
    return [{"key": k, "dtype": str(v.dtype).replace("torch.", ""), "shape": list(v.shape)} for k, v in m.state_dict().items()]


def main():
    outer = Outer()
    doc = {
        "outer_state_dict": keys(outer),
        "outer_named_buffers": [k for k, _ in outer.named_buffers()],
        "outer_named_parameters": [k for k, _ in outer.named_parameters()],
        "outer_double_dtypes": {k: str(v.dtype).replace("torch.", "") for k, v in outer.double().state_dict().items()},
        "apply_order": [],
        "cell_state_dict": keys(Cell()),
        "cell_repr": repr(Cell()),
        "outer_repr": repr(Outer()),
    }
    outer2 = Outer()
    outer2.apply(lambda m: doc["apply_order"].append(type(m).__name__))
    write_compact(fixture_path("Nn.Tests", "modules", "buffers.json"), doc)


if __name__ == "__main__":
    main()
