#!/usr/bin/python3
"""Writes the teaching notebooks of docs/notebooks (C#, .NET Interactive / Polyglot Notebooks).

Each notebook is a list of cells; a code cell's "output" is the text it prints, which
tests/Samples.Tests/Notebooks/NotebookTests runs through the C# kernel and compares. To change a
notebook: edit this script, run it (`python3 tools/make_notebooks.py`: the outputs are emptied), then
store what the cells print with `NOTEBOOKS_RECORD=1 dotnet test tests/Samples.Tests --filter NotebookTests`,
and commit; without NOTEBOOKS_RECORD the test fails whenever a cell prints or displays something
else than its stored output.

PyTorch's numbers are not typed in by hand: a `pytorch(...)` cell holds a Python program, which this
script runs with PyTorch 1.13 (/usr/bin/python3 has it) and stores beside it with what it printed.
NotebookTests then checks that every number PyTorch printed is, in order and to the digits printed,
a number the C# cell before it printed, so a student finds each number again in PyTorch's output.
The script also reruns the PyTorch program of docs/teaching.md and stores its output there
(TeachingDocExamples checks it against the C# trace the same way).
"""
import contextlib
import io
import json
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "docs", "notebooks")

SETUP = """// Build the repository once (dotnet build), then reference its libraries:
#r "../../src/Interactive/bin/Debug/net10.0/Autograd.dll"
#r "../../src/Interactive/bin/Debug/net10.0/Autograd.Interactive.dll"
#r "../../src/Nn/bin/Debug/net10.0/Autograd.Nn.dll"
#r "../../src/Nn/bin/Debug/net10.0/Autograd.Optim.dll"
#r "nuget: System.Numerics.Tensors, 11.0.0\""""


def md(text):
    return {"cell_type": "markdown", "metadata": {}, "source": text.strip("\n").splitlines(True)}


def code(text, output=""):
    cell = {"cell_type": "code", "execution_count": None, "metadata": {"dotnet_interactive": {"language": "csharp"}},
            "source": text.strip("\n").splitlines(True), "outputs": []}
    if output:
        cell["outputs"] = [{"name": "stdout", "output_type": "stream", "text": output.strip("\n").splitlines(True)}]
    return cell


PYTORCH_HEADER = "PyTorch 1.13, for the same program"


def run_pytorch(program):
    """What a PyTorch program prints (run here, with PyTorch 1.13)."""
    assert torch.__version__.startswith("1.13"), torch.__version__
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(program, {"__name__": "__pytorch_cell__"})
    return out.getvalue().rstrip("\n")


def pytorch(program, intro=PYTORCH_HEADER):
    """A markdown cell: a PyTorch program and what it prints, run here (the numbers the tests compare with the C# cell above)."""
    printed = run_pytorch(program.strip("\n"))
    return md(f"""{intro}:

```python
{program.strip(chr(10))}
```

prints

```text
{printed}
```""")


MLP_TORCH = """
import torch
import torch.nn.functional as F
x = torch.tensor([[1.0, -2.0]], dtype=torch.float64)
W1 = torch.tensor([[0.5, -0.3], [0.8, 0.2], [-0.6, 0.1]], dtype=torch.float64, requires_grad=True)
b1 = torch.tensor([0.1, 0.0, -0.1], dtype=torch.float64, requires_grad=True)
W2 = torch.tensor([[1.0, -1.5, 0.7]], dtype=torch.float64, requires_grad=True)
b2 = torch.tensor([0.2], dtype=torch.float64, requires_grad=True)
z1 = F.linear(x, W1, b1)
h = torch.tanh(z1)
z2 = F.linear(h, W2, b2)
p = torch.sigmoid(z2)
loss = F.binary_cross_entropy(p, torch.ones(1, 1, dtype=torch.float64))
"""


def notebook(cells):
    return {"cells": cells, "metadata": {
        "kernelspec": {"display_name": ".NET (C#)", "language": "C#", "name": ".net-csharp"},
        "language_info": {"name": "polyglot-notebook"},
        "polyglot_notebook": {"kernelInfo": {"defaultKernelName": "csharp", "items": [{"name": "csharp"}]}}},
        "nbformat": 4, "nbformat_minor": 5}


NOTEBOOKS = {
    "01-tensors-and-the-tape.ipynb": [
        md("""# Tensors and the tape

Every op on a tensor that requires grad is recorded; `Backward()` replays the record backwards.
PyTorch prints the same numbers for the same program (its program and output are under each C# cell)."""),
        code(SETUP),
        code("""using Autograd;
Autograd.Interactive.AutogradFormatters.Register();

var x = Tensor.FromArray([1.0f, 2.0f, 3.0f]);
x.RequiresGrad = true;
x.Name = "x";
var w = Tensor.FromArray([0.5f, -1.0f, 2.0f]);
w.RequiresGrad = true;
w.Name = "w";
var y = (x * w).Sigmoid().Sum();
y.Backward();
Console.WriteLine(y);
Console.WriteLine(x.Grad);
Console.WriteLine(w.Grad);"""),
        pytorch("""
import torch
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
w = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
y = (x * w).sigmoid().sum()
y.backward()
print(y)
print(x.grad)
print(w.grad)
"""),
        md("""The record itself: `Tape.TraceBackward` runs the same backward pass and returns each step,
with the gradient that reached it, its rule, and what it sent on. (In a notebook, ending a cell
with `trace` shows it as a table.)"""),
        code("""x.Grad = null;
w.Grad = null;
var trace = Tape.TraceBackward((x * w).Sigmoid().Sum());
Console.Write(trace);"""),
        pytorch("""
import torch
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
w = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
m = x * w
s = m.sigmoid()
m.retain_grad()
s.retain_grad()
s.sum().backward()
print("Sum sends to the Sigmoid output:", s.grad)
print("Sigmoid sends to the Mul output:", m.grad)
print("Mul sends to x:", x.grad)
print("Mul sends to w:", w.grad)
print("x.grad:", x.grad)
print("w.grad:", w.grad)
""", intro="PyTorch keeps the gradient of an intermediate tensor when asked (`retain_grad`): the same steps"),
    ],
    "02-chain-rule-mlp.ipynb": [
        md("""# The chain rule through a two-layer MLP

A 2-3-1 network on one example: h = tanh(x W1ᵀ + b1), p = σ(h W2ᵀ + b2), ℓ = BCE(p, 1). The
trace shows every step of backpropagation with its numbers; `Draw` shows the graph with each
tensor's value and gradient. Under each C# cell, the same program in PyTorch and what it prints."""),
        code(SETUP),
        code("""using Autograd;
using Autograd.Nn;
using Autograd.Interactive;
AutogradFormatters.Register();

Tensor Param(string name, double[] values, params int[] shape)
{
    var t = Tensor.FromArray(values, shape);
    t.RequiresGrad = true;
    t.Name = name;
    return t;
}
var x = Tensor.FromArray(new double[,] { { 1.0, -2.0 } });
var W1 = Param("W1", [0.5, -0.3, 0.8, 0.2, -0.6, 0.1], 3, 2);
var b1 = Param("b1", [0.1, 0.0, -0.1], 3);
var W2 = Param("W2", [1.0, -1.5, 0.7], 1, 3);
var b2 = Param("b2", [0.2], 1);

var h = Functional.Linear(x, W1, b1).Tanh();
var p = Functional.Linear(h, W2, b2).Sigmoid();
var loss = Functional.BinaryCrossEntropy(p, Tensor.FromArray(new double[,] { { 1.0 } }));
var trace = Tape.TraceBackward(loss, retainGraph: true);
string Values(Tensor t) => string.Join(", ", t.ToArray<double>().Select(v => v.ToString("F6")));
Console.WriteLine($"loss {loss.Item():F6}");
foreach (var (leaf, g) in trace.Leaves) Console.WriteLine($"{leaf.Name}: {Values(g)}");"""),
        pytorch(MLP_TORCH + """
loss.backward()
print(f"loss {loss.item():.6f}")
for name, t in [("W2", W2), ("b2", b2), ("W1", W1), ("b1", b1)]:
    print(f"{name}: " + ", ".join(f"{v:.6f}" for v in t.grad.flatten().tolist()))
"""),
        md("""Each step of the reverse pass, from the loss down: the gradient g that reached the op's output.
The output of one step's op is the input of the step before it, so each g is the previous step's
"sent to its input" (the trace below shows both)."""),
        code("""foreach (var step in trace.Steps)
    Console.WriteLine($"step {step.Index} {step.Op}: g = {Values(step.Gradient)}");"""),
        pytorch(MLP_TORCH + """
for t in (loss, p, z2, h, z1):
    t.retain_grad()
loss.backward()
for name, t in [("loss", loss), ("p = sigmoid(z2)", p), ("z2 = linear(h)", z2), ("h = tanh(z1)", h), ("z1 = linear(x)", z1)]:
    print(f"{name}: g = " + ", ".join(f"{v:.6f}" for v in t.grad.flatten().tolist()))
""", intro=PYTORCH_HEADER + ", keeping each intermediate gradient (`retain_grad`)"),
        md("""The steps as a table, and the graph with values and gradients:"""),
        code("""trace"""),
        code("""loss.Draw(trace)"""),
    ],
    "03-loss-gradients.ipynb": [
        md("""# Loss gradients, derived and checked against PyTorch's printed numbers

The derivatives, for one element (the mean over N elements divides each by N):

- **BCELoss** on a probability p with target y: ℓ = −[y log p + (1 − y) log(1 − p)], so
  ∂ℓ/∂p = −y/p + (1 − y)/(1 − p) = (p − y) / (p(1 − p)).
- **BCEWithLogitsLoss** on a logit x, with `pos_weight` w: ℓ = −[w y log σ(x) + (1 − y) log(1 − σ(x))];
  with σ'(x) = σ(x)(1 − σ(x)), ∂ℓ/∂x = w y (σ(x) − 1) + (1 − y) σ(x), which is σ(x) − y when w = 1.
- **CrossEntropyLoss** on logits x with target class t: ℓ = −x_t + log Σ_j e^{x_j}, so
  ∂ℓ/∂x_j = softmax(x)_j − [j = t]. For [[4, 8, 3]] and t = 1: softmax = [0.0179, 0.9756, 0.0066].
- **NLLLoss** on log-probabilities: ℓ = −x_t, so ∂ℓ/∂x_j = −[j = t] (divided by N for the mean).
- **MSELoss**: ℓ = (x − y)², so ∂ℓ/∂x = 2(x − y) (divided by N).

Each line below prints the library's loss and gradient (Float32); under the cell, the same losses
in PyTorch 1.13 and what it prints."""),
        code(SETUP),
        code("""using Autograd;
using Autograd.Nn;

void Show(string name, Tensor loss, Tensor input)
{
    loss.Backward();
    Console.WriteLine($"{name}: loss {loss.Item():G7}, grad [{string.Join(", ", input.Grad!.ToArray<float>().Select(v => v.ToString("G7")))}]");
}
Tensor Leaf(params float[] v) { var t = Tensor.FromArray(v); t.RequiresGrad = true; return t; }
var y = Tensor.FromArray([1f, 0f, 1f]);

var p = Leaf(0.8f, 0.3f, 0.6f);
Show("BCELoss", new BCELoss().Forward(p, y), p);

var z = Leaf(1.2f, -0.4f, 0.3f);
Show("BCEWithLogitsLoss(pos_weight=3)", new BCEWithLogitsLoss(posWeight: Tensor.FromArray([3f])).Forward(z, y), z);

var c = Tensor.FromArray(new float[,] { { 4, 8, 3 } });
c.RequiresGrad = true;
Show("CrossEntropyLoss", new CrossEntropyLoss().Forward(c, Tensor.FromArray([1L])), c);

var lp = Tensor.FromArray(new float[,] { { -0.5f, -1.2f, -2.0f }, { -1.5f, -0.3f, -2.5f } });
lp.RequiresGrad = true;
Show("NLLLoss", new NLLLoss().Forward(lp, Tensor.FromArray([0L, 1L])), lp);

var m = Leaf(2.5f, 0.0f, 2.0f);
Show("MSELoss", new MSELoss().Forward(m, Tensor.FromArray([3f, -0.5f, 2f])), m);"""),
        pytorch("""
import torch
from torch import nn

def show(name, loss, input):
    loss.backward()
    print(f"{name}: loss {loss.item():.7g}, grad [{', '.join(f'{v:.7g}' for v in input.grad.flatten().tolist())}]")

def leaf(*v):
    return torch.tensor(v, requires_grad=True)

y = torch.tensor([1.0, 0.0, 1.0])
p = leaf(0.8, 0.3, 0.6)
show("BCELoss", nn.BCELoss()(p, y), p)
z = leaf(1.2, -0.4, 0.3)
show("BCEWithLogitsLoss(pos_weight=3)", nn.BCEWithLogitsLoss(pos_weight=torch.tensor([3.0]))(z, y), z)
c = torch.tensor([[4.0, 8.0, 3.0]], requires_grad=True)
show("CrossEntropyLoss", nn.CrossEntropyLoss()(c, torch.tensor([1])), c)
lp = torch.tensor([[-0.5, -1.2, -2.0], [-1.5, -0.3, -2.5]], requires_grad=True)
show("NLLLoss", nn.NLLLoss()(lp, torch.tensor([0, 1])), lp)
m = leaf(2.5, 0.0, 2.0)
show("MSELoss", nn.MSELoss()(m, torch.tensor([3.0, -0.5, 2.0])), m)
"""),
    ],
    "04-bptt.ipynb": [
        md("""# Backpropagation through time

An RNN cell applied in a loop records one small graph per step; `Backward` walks back through all
of them. The gradient that the last step's loss sends to earlier inputs shrinks step by step: the
vanishing gradient. The weights are written by a formula, so that PyTorch's program under the
cell builds the same cell and prints the same gradients."""),
        code(SETUP),
        code("""using Autograd;
using Autograd.Nn;

var cell = new RNNCell(1, 8);
using (Tape.NoGrad())
{
    // w_ih[i] = 0.5·cos(i), w_hh[i, j] = 0.3·sin(i + 2j + 1), biases 0.
    cell.WeightIh.CopyFrom(Tensor.FromArray(Enumerable.Range(0, 8).Select(i => (float)(0.5 * Math.Cos(i))).ToArray(), 8, 1));
    cell.WeightHh.CopyFrom(Tensor.FromArray(Enumerable.Range(0, 64).Select(k => (float)(0.3 * Math.Sin(k / 8 + 2 * (k % 8) + 1))).ToArray(), 8, 8));
    cell.BiasIh!.FillInPlace(0);
    cell.BiasHh!.FillInPlace(0);
}
var xs = Enumerable.Range(0, 12).Select(t => { var x = Tensor.Full([1, 1], t % 2 == 0 ? 1.0 : -1.0); x.RequiresGrad = true; return x; }).ToArray();
Tensor? h = null;
foreach (var x in xs) h = cell.Forward(x, h);
h!.Sum().Backward();
for (int t = xs.Length - 1; t >= 0; t -= 2)
    Console.WriteLine($"t = {t,2}: |dloss/dx_t| = {Math.Abs(xs[t].Grad!.Item()):0.0000E+00}");"""),
        pytorch("""
import math
import torch
cell = torch.nn.RNNCell(1, 8)
with torch.no_grad():
    cell.weight_ih.copy_(torch.tensor([[0.5 * math.cos(i)] for i in range(8)]))
    cell.weight_hh.copy_(torch.tensor([[0.3 * math.sin(i + 2 * j + 1) for j in range(8)] for i in range(8)]))
    cell.bias_ih.zero_()
    cell.bias_hh.zero_()
xs = [torch.full((1, 1), 1.0 if t % 2 == 0 else -1.0, requires_grad=True) for t in range(12)]
h = None
for x in xs:
    h = cell(x, h)
h.sum().backward()
for t in range(len(xs) - 1, -1, -2):
    print(f"t = {t:2}: |dloss/dx_t| = {abs(xs[t].grad.item()):.4E}")
"""),
    ],
}


def update_teaching_md():
    """docs/teaching.md shows a PyTorch program and its output beside the C# MLP: rerun the program, store its output."""
    path = os.path.join(HERE, "..", "docs", "teaching.md")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    start = text.index("```python\nimport torch\n") + len("```python\n")
    end = text.index("```", start)
    out_start = text.index("```text\n", end) + len("```text\n")
    out_end = text.index("```", out_start)
    text = text[:out_start] + run_pytorch(text[start:end]) + "\n" + text[out_end:]
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    print("wrote teaching.md's PyTorch output")


def main():
    update_teaching_md()
    os.makedirs(OUT, exist_ok=True)
    for name, cells in NOTEBOOKS.items():
        with open(os.path.join(OUT, name), "w", encoding="utf-8") as f:
            json.dump(notebook(cells), f, indent=1, ensure_ascii=False)
            f.write("\n")
        print("wrote", name)


if __name__ == "__main__":
    main()
