"""PyTorch's tutorial "What is torch.nn really?" (Jeremy Howard), run on the 8x8 digits.

https://pytorch.org/tutorials/beginner/nn_tutorial.html, stage by stage, up to and including
"Wrapping DataLoader" (the CNN, nn.Sequential with Lambda, AdaptiveAvgPool2d); only "Using your
GPU" is left out. docs/nn-really.md ports each stage to C#.

Changes from the tutorial, and why:
- the data is samples/data/digits.csv.gz (1797 images of 8x8 pixels, values 0..16, and a label)
  instead of MNIST: x is scaled by 1/16, the first 1500 rows train, the other 297 validate, and
  the model has 64 inputs instead of 784;
- torch.manual_seed(0) makes the run deterministic;
- each stage's initial parameters are recorded, because the C# port draws other numbers than
  PyTorch's generator: it copies these in before training, so both train the same model;
- the order in which the shuffled DataLoader (shuffle=True) visits the rows is recorded for every
  epoch (RandomSampler.__iter__ is wrapped: the same draws, also written down), and the C# port
  replays it; nothing else in the tutorial's code changes;
- the CNN: the tutorial's three stride-2 convolutions take 28x28 images to 14x14, 7x7 and 4x4,
  then average the 4x4; on 8x8 images they would leave 1x1, so only the first convolution has
  stride 2 (8x8 to 4x4) and the other two stride 1, which keeps the tutorial's 4x4 average.

Writes tests/Samples.Tests/Fixtures/nn_really.json: "init" (the initial parameters by name),
"shuffle" (the recorded orders by stage), "printed" (every number the tutorial prints, line by
line, in order) and the data's checksum. Run with PyTorch 1.13: /usr/bin/python3 tools/tutorial_nn_really.py
"""

import gzip
import math
import os

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn, optim
from torch.utils.data import DataLoader, RandomSampler, TensorDataset

from fixtures import REPO, fixture_path, num, tensor_json, write_compact

torch.manual_seed(0)

init = {}      # name -> tensor_json of a stage's initial parameter
shuffle = {}   # stage -> list of epochs' row orders
printed = []   # {"line": what, "values": [...]} in the order the tutorial prints them


def record_init(name, t):
    init[name] = tensor_json(t.detach().clone())


def show(line, *values):
    """print() as the tutorial does, and record the numbers."""
    flat = []
    for v in values:
        if isinstance(v, torch.Tensor):
            flat.extend(v.detach().reshape(-1).tolist())
        elif isinstance(v, (tuple, list, torch.Size)):
            flat.extend(v)
        else:
            flat.append(v)
    print(line, *values)
    printed.append({"line": line, "values": [num(v) for v in flat]})


# Recording the shuffled order: the sampler draws exactly what it would draw, and it is written down.
current_stage = None
_sampler_iter = RandomSampler.__iter__


def _recording_iter(self):
    order = list(_sampler_iter(self))
    shuffle.setdefault(current_stage, []).append(order)
    yield from order


RandomSampler.__iter__ = _recording_iter

# ---- The data (the tutorial's "MNIST data setup") -------------------------------------------
with gzip.open(os.path.join(REPO, "samples", "data", "digits.csv.gz"), "rt") as f:
    rows = np.array([[int(v) for v in line.split(",")] for line in f if line.strip()], dtype=np.int64)
assert rows.shape == (1797, 65), rows.shape
x = torch.tensor(rows[:, :64], dtype=torch.float32) / 16
y = torch.tensor(rows[:, 64])
x_train, y_train, x_valid, y_valid = x[:1500], y[:1500], x[1500:], y[1500:]
n, c = x_train.shape
show("x_train.shape, y_train.min(), y_train.max()", x_train.shape, y_train.min(), y_train.max())

# ---- Neural net from scratch (no torch.nn) --------------------------------------------------
weights = torch.randn(64, 10) / math.sqrt(64)
weights.requires_grad_()
bias = torch.zeros(10, requires_grad=True)
record_init("scratch.weights", weights)
record_init("scratch.bias", bias)


def log_softmax(x):
    return x - x.exp().sum(-1).log().unsqueeze(-1)


def model(xb):
    return log_softmax(xb @ weights + bias)


bs = 64
xb = x_train[0:bs]
preds = model(xb)
show("preds[0], preds.shape", preds[0], preds.shape)


def nll(input, target):
    return -input[range(target.shape[0]), target].mean()


loss_func = nll
yb = y_train[0:bs]
show("loss_func(preds, yb)", loss_func(preds, yb))


def accuracy(out, yb):
    preds = torch.argmax(out, dim=1)
    return (preds == yb).float().mean()


show("accuracy(preds, yb)", accuracy(preds, yb))

lr = 0.5
epochs = 2

for epoch in range(epochs):
    for i in range((n - 1) // bs + 1):
        start_i = i * bs
        end_i = start_i + bs
        xb = x_train[start_i:end_i]
        yb = y_train[start_i:end_i]
        pred = model(xb)
        loss = loss_func(pred, yb)

        loss.backward()
        with torch.no_grad():
            weights -= weights.grad * lr
            bias -= bias.grad * lr
            weights.grad.zero_()
            bias.grad.zero_()

show("scratch: loss, accuracy after training", loss_func(model(xb), yb), accuracy(model(xb), yb))

# ---- Using torch.nn.functional ---------------------------------------------------------------
loss_func = F.cross_entropy


def model(xb):
    return xb @ weights + bias


show("F.cross_entropy: loss, accuracy", loss_func(model(xb), yb), accuracy(model(xb), yb))

# ---- Refactor using nn.Module ----------------------------------------------------------------


class Mnist_Logistic(nn.Module):
    def __init__(self):
        super().__init__()
        self.weights = nn.Parameter(torch.randn(64, 10) / math.sqrt(64))
        self.bias = nn.Parameter(torch.zeros(10))

    def forward(self, xb):
        return xb @ self.weights + self.bias


model = Mnist_Logistic()
record_init("module.weights", model.weights)
record_init("module.bias", model.bias)
show("nn.Module: loss before fit()", loss_func(model(xb), yb))


def fit():
    for epoch in range(epochs):
        for i in range((n - 1) // bs + 1):
            start_i = i * bs
            end_i = start_i + bs
            xb = x_train[start_i:end_i]
            yb = y_train[start_i:end_i]
            pred = model(xb)
            loss = loss_func(pred, yb)

            loss.backward()
            with torch.no_grad():
                for p in model.parameters():
                    p -= p.grad * lr
                model.zero_grad()


fit()
show("nn.Module: loss after fit()", loss_func(model(xb), yb))

# ---- Refactor using nn.Linear ----------------------------------------------------------------


class Mnist_Logistic(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(64, 10)

    def forward(self, xb):
        return self.lin(xb)


model = Mnist_Logistic()
record_init("linear.lin.weight", model.lin.weight)
record_init("linear.lin.bias", model.lin.bias)
show("nn.Linear: loss before fit()", loss_func(model(xb), yb))
fit()
show("nn.Linear: loss after fit()", loss_func(model(xb), yb))

# ---- Refactor using optim --------------------------------------------------------------------


def get_model():
    model = Mnist_Logistic()
    return model, optim.SGD(model.parameters(), lr=lr)


model, opt = get_model()
record_init("optim.lin.weight", model.lin.weight)
record_init("optim.lin.bias", model.lin.bias)
show("optim: loss before training", loss_func(model(xb), yb))

for epoch in range(epochs):
    for i in range((n - 1) // bs + 1):
        start_i = i * bs
        end_i = start_i + bs
        xb = x_train[start_i:end_i]
        yb = y_train[start_i:end_i]
        pred = model(xb)
        loss = loss_func(pred, yb)

        loss.backward()
        opt.step()
        opt.zero_grad()

show("optim: loss after training", loss_func(model(xb), yb))

# ---- Refactor using Dataset ------------------------------------------------------------------
train_ds = TensorDataset(x_train, y_train)

model, opt = get_model()
record_init("dataset.lin.weight", model.lin.weight)
record_init("dataset.lin.bias", model.lin.bias)

for epoch in range(epochs):
    for i in range((n - 1) // bs + 1):
        xb, yb = train_ds[i * bs: i * bs + bs]
        pred = model(xb)
        loss = loss_func(pred, yb)

        loss.backward()
        opt.step()
        opt.zero_grad()

show("Dataset: loss after training", loss_func(model(xb), yb))

# ---- Refactor using DataLoader ---------------------------------------------------------------
train_dl = DataLoader(train_ds, batch_size=bs)

model, opt = get_model()
record_init("dataloader.lin.weight", model.lin.weight)
record_init("dataloader.lin.bias", model.lin.bias)

for epoch in range(epochs):
    for xb, yb in train_dl:
        pred = model(xb)
        loss = loss_func(pred, yb)

        loss.backward()
        opt.step()
        opt.zero_grad()

show("DataLoader: loss after training", loss_func(model(xb), yb))

# ---- Add validation --------------------------------------------------------------------------
current_stage = "validation"
train_ds = TensorDataset(x_train, y_train)
train_dl = DataLoader(train_ds, batch_size=bs, shuffle=True)

valid_ds = TensorDataset(x_valid, y_valid)
valid_dl = DataLoader(valid_ds, batch_size=bs * 2)

model, opt = get_model()
record_init("validation.lin.weight", model.lin.weight)
record_init("validation.lin.bias", model.lin.bias)

for epoch in range(epochs):
    model.train()
    for xb, yb in train_dl:
        pred = model(xb)
        loss = loss_func(pred, yb)

        loss.backward()
        opt.step()
        opt.zero_grad()

    model.eval()
    with torch.no_grad():
        valid_loss = sum(loss_func(model(xb), yb) for xb, yb in valid_dl)

    show("validation: epoch, valid_loss / len(valid_dl)", epoch, valid_loss / len(valid_dl))

# ---- Create fit() and get_data() -------------------------------------------------------------
current_stage = "fit"


def loss_batch(model, loss_func, xb, yb, opt=None):
    loss = loss_func(model(xb), yb)

    if opt is not None:
        loss.backward()
        opt.step()
        opt.zero_grad()

    return loss.item(), len(xb)


def fit(epochs, model, loss_func, opt, train_dl, valid_dl):
    for epoch in range(epochs):
        model.train()
        for xb, yb in train_dl:
            loss_batch(model, loss_func, xb, yb, opt)

        model.eval()
        with torch.no_grad():
            losses, nums = zip(
                *[loss_batch(model, loss_func, xb, yb) for xb, yb in valid_dl]
            )
        val_loss = np.sum(np.multiply(losses, nums)) / np.sum(nums)

        show("fit: epoch, val_loss", epoch, val_loss)


def get_data(train_ds, valid_ds, bs):
    return (
        DataLoader(train_ds, batch_size=bs, shuffle=True),
        DataLoader(valid_ds, batch_size=bs * 2),
    )


train_dl, valid_dl = get_data(train_ds, valid_ds, bs)
model, opt = get_model()
record_init("fit.lin.weight", model.lin.weight)
record_init("fit.lin.bias", model.lin.bias)
fit(epochs, model, loss_func, opt, train_dl, valid_dl)

# ---- Switch to CNN ---------------------------------------------------------------------------
current_stage = "cnn"


class Mnist_CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(16, 16, kernel_size=3, stride=1, padding=1)
        self.conv3 = nn.Conv2d(16, 10, kernel_size=3, stride=1, padding=1)

    def forward(self, xb):
        xb = xb.view(-1, 1, 8, 8)
        xb = F.relu(self.conv1(xb))
        xb = F.relu(self.conv2(xb))
        xb = F.relu(self.conv3(xb))
        xb = F.avg_pool2d(xb, 4)
        return xb.view(-1, xb.size(1))


lr = 0.1

model = Mnist_CNN()
for name, p in model.state_dict().items():
    record_init("cnn." + name, p)
opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)

fit(epochs, model, loss_func, opt, train_dl, valid_dl)

# ---- Using nn.Sequential ---------------------------------------------------------------------
current_stage = "sequential"


class Lambda(nn.Module):
    def __init__(self, func):
        super().__init__()
        self.func = func

    def forward(self, x):
        return self.func(x)


def preprocess(x):
    return x.view(-1, 1, 8, 8)


model = nn.Sequential(
    Lambda(preprocess),
    nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1),
    nn.ReLU(),
    nn.Conv2d(16, 16, kernel_size=3, stride=1, padding=1),
    nn.ReLU(),
    nn.Conv2d(16, 10, kernel_size=3, stride=1, padding=1),
    nn.ReLU(),
    nn.AvgPool2d(4),
    Lambda(lambda x: x.view(x.size(0), -1)),
)
for name, p in model.state_dict().items():
    record_init("sequential." + name, p)

opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)

fit(epochs, model, loss_func, opt, train_dl, valid_dl)

# ---- Wrapping DataLoader ---------------------------------------------------------------------
current_stage = "wrapped"


def preprocess(x, y):
    return x.view(-1, 1, 8, 8), y


class WrappedDataLoader:
    def __init__(self, dl, func):
        self.dl = dl
        self.func = func

    def __len__(self):
        return len(self.dl)

    def __iter__(self):
        for b in self.dl:
            yield (self.func(*b))


train_dl, valid_dl = get_data(train_ds, valid_ds, bs)
train_dl = WrappedDataLoader(train_dl, preprocess)
valid_dl = WrappedDataLoader(valid_dl, preprocess)

model = nn.Sequential(
    nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1),
    nn.ReLU(),
    nn.Conv2d(16, 16, kernel_size=3, stride=1, padding=1),
    nn.ReLU(),
    nn.Conv2d(16, 10, kernel_size=3, stride=1, padding=1),
    nn.ReLU(),
    nn.AdaptiveAvgPool2d(1),
    Lambda(lambda x: x.view(x.size(0), -1)),
)
for name, p in model.state_dict().items():
    record_init("wrapped." + name, p)

opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
fit(epochs, model, loss_func, opt, train_dl, valid_dl)

# ---- The fixture -----------------------------------------------------------------------------
assert all(len(v) == epochs for v in shuffle.values()), {k: len(v) for k, v in shuffle.items()}
path = write_compact(fixture_path("Samples.Tests", "nn_really.json"), {
    "torch": torch.__version__,
    "data": {"rows": int(rows.shape[0]), "train": int(n), "pixelSum": int(rows[:, :64].sum()), "labelSum": int(rows[:, 64].sum())},
    "init": init,
    "shuffle": shuffle,
    "printed": printed,
})
print("wrote", os.path.relpath(path, REPO))
