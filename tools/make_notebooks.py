#!/usr/bin/python3
"""Writes the teaching notebooks of docs/notebooks (C#, .NET Interactive / Polyglot Notebooks).

Each notebook is a list of cells; a code cell's "output" is the text it prints, which
tests/Samples.Tests/Notebooks/NotebookTests runs through the C# kernel and compares. To change a
notebook: edit this script, run it (`python3 tools/make_notebooks.py`: the outputs are emptied), then
store what the cells print with `NOTEBOOKS_RECORD=1 dotnet test tests/Samples.Tests --filter NotebookTests`,
check the numbers (against PyTorch where a cell says so), and commit; without NOTEBOOKS_RECORD the
test fails whenever a cell prints something else than its stored output.
"""
import json
import os

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
PyTorch prints the same numbers for the same program:

```python
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
w = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
y = (x * w).sigmoid().sum(); y.backward()
print(y, x.grad, w.grad)
```"""),
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
Console.WriteLine(w.Grad);""", """tensor(1.7392, shape=(), grad_fn=<SumBackward>)
tensor([ 0.1175, -0.1050,  0.0049], shape=(3,))
tensor([0.2350, 0.2100, 0.0074], shape=(3,))"""),
        md("""The record itself: `Tape.TraceBackward` runs the same backward pass and returns each step,
with the gradient that reached it, its rule, and what it sent on. (In a notebook, ending a cell
with `trace` shows it as a table.)"""),
        code("""x.Grad = null;
w.Grad = null;
var trace = Tape.TraceBackward((x * w).Sigmoid().Sum());
Console.Write(trace);""", None),
    ],
    "02-chain-rule-mlp.ipynb": [
        md("""# The chain rule through a two-layer MLP

A 2-3-1 network on one example: h = tanh(x W1ᵀ + b1), p = σ(h W2ᵀ + b2), ℓ = BCE(p, 1). The
trace shows every step of backpropagation with its numbers; `Draw` shows the graph with each
tensor's value and gradient."""),
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
Console.WriteLine($"loss {loss.Item():F6}");
foreach (var (leaf, g) in trace.Leaves) Console.WriteLine($"{leaf.Name}: {string.Join(", ", g.ToArray<double>().Select(v => v.ToString("F6")))}");""", None),
        md("""The steps as a table, and the graph with values and gradients:"""),
        code("""trace"""),
        code("""loss.Draw(trace)"""),
        md("""PyTorch, for the same numbers:

```python
x = torch.tensor([[1.0, -2.0]], dtype=torch.float64)
W1 = torch.tensor([[0.5, -0.3], [0.8, 0.2], [-0.6, 0.1]], dtype=torch.float64, requires_grad=True)
b1 = torch.tensor([0.1, 0.0, -0.1], dtype=torch.float64, requires_grad=True)
W2 = torch.tensor([[1.0, -1.5, 0.7]], dtype=torch.float64, requires_grad=True)
b2 = torch.tensor([0.2], dtype=torch.float64, requires_grad=True)
p = torch.sigmoid(F.linear(torch.tanh(F.linear(x, W1, b1)), W2, b2))
loss = F.binary_cross_entropy(p, torch.ones(1, 1, dtype=torch.float64)); loss.backward()
```

PyTorch 1.13 prints, formatted as above: loss 0.712163; W2 -0.424679, -0.193553, 0.364895;
b2 -0.509418; W1 -0.155383, 0.310765, 0.653817, -1.307634, -0.173631, 0.347262;
b1 -0.155383, 0.653817, -0.173631. The same numbers as the cell above."""),
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

Each line below prints the library's loss and gradient; the comment under it is what PyTorch 1.13
prints for the same inputs (Float32)."""),
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
// PyTorch: 0.36354804, [-0.41666666, 0.47619048, -0.55555552]

var z = Leaf(1.2f, -0.4f, 0.3f);
Show("BCEWithLogitsLoss(pos_weight=3)", new BCEWithLogitsLoss(posWeight: Tensor.FromArray([3f])).Forward(z, y), z);
// PyTorch: 0.98864287, [-0.23147519, 0.13377078, -0.42555749]

var c = Tensor.FromArray(new float[,] { { 4, 8, 3 } });
c.RequiresGrad = true;
Show("CrossEntropyLoss", new CrossEntropyLoss().Forward(c, Tensor.FromArray([1L])), c);
// PyTorch: 0.024744924, [0.017867981, -0.024441302, 0.0065732626]

var lp = Tensor.FromArray(new float[,] { { -0.5f, -1.2f, -2.0f }, { -1.5f, -0.3f, -2.5f } });
lp.RequiresGrad = true;
Show("NLLLoss", new NLLLoss().Forward(lp, Tensor.FromArray([0L, 1L])), lp);
// PyTorch: 0.40000001, [-0.5, 0, 0, 0, -0.5, 0]

var m = Leaf(2.5f, 0.0f, 2.0f);
Show("MSELoss", new MSELoss().Forward(m, Tensor.FromArray([3f, -0.5f, 2f])), m);
// PyTorch: 0.16666667, [-0.33333334, 0.33333334, 0]""", None),
    ],
    "04-bptt.ipynb": [
        md("""# Backpropagation through time

An RNN cell applied in a loop records one small graph per step; `Backward` walks back through all
of them. The gradient that the last step's loss sends to earlier inputs shrinks step by step: the
vanishing gradient."""),
        code(SETUP),
        code("""using Autograd;
using Autograd.Nn;

var cell = new RNNCell(1, 8, generator: new Generator(3));
var xs = Enumerable.Range(0, 12).Select(t => { var x = Tensor.Full([1, 1], t % 2 == 0 ? 1.0 : -1.0); x.RequiresGrad = true; return x; }).ToArray();
Tensor? h = null;
foreach (var x in xs) h = cell.Forward(x, h);
h!.Sum().Backward();
for (int t = xs.Length - 1; t >= 0; t -= 2)
    Console.WriteLine($"t = {t,2}: |dloss/dx_t| = {Math.Abs(xs[t].Grad!.Item()):0.0E+0}");""", None),
    ],
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, cells in NOTEBOOKS.items():
        with open(os.path.join(OUT, name), "w", encoding="utf-8") as f:
            json.dump(notebook(cells), f, indent=1, ensure_ascii=False)
            f.write("\n")
        print("wrote", name)


if __name__ == "__main__":
    main()
