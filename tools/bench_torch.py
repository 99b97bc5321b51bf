#!/usr/bin/env python3
"""Times the performance-comparison workloads in PyTorch (the reference for benchmarks/Autograd.Benchmarks).

Run with the system interpreter (torch 1.13 with OpenBLAS): /usr/bin/python3 tools/bench_torch.py
Each workload is warmed up, then timed call by call for at least --seconds and --reps; the median
is reported. The workloads mirror benchmarks/Autograd.Benchmarks/Workloads.cs:
  matmul256, matmul1024  float32 C = A @ B (square), also as GFLOP/s
  logreg                 569x30 full batch, Linear(30, 1), BCEWithLogitsLoss, SGD(lr=0.1)
  softmax                1797x64 full batch, Linear(64, 10), CrossEntropyLoss, SGD(lr=0.1)
  mlp                    784-512-512-10 ReLU MLP, batch 1024, CrossEntropyLoss, Adam(lr=1e-3)
  sigmoid                torch.sigmoid over 1M float32 elements (a new result each call)
  lenet                  Conv2d(1,6,5) ReLU MaxPool2d(2) Conv2d(6,16,5) ReLU MaxPool2d(2) Linear 256-120-84-10,
                         batch 64 of 1x28x28, CrossEntropyLoss, SGD(lr=0.01, momentum=0.9)
  lstm                   nn.LSTM(32, 128) over a (50, 16, 32) sequence, Linear(128, 10) on the last
                         output, CrossEntropyLoss, SGD(lr=0.1)
A training step is forward, loss, zero_grad, backward, step on the same batch every time.
--json prints one JSON object {workload: median_seconds} on the last line (for bench_compare.py).
"""
import argparse
import json
import statistics
import time

import torch


def median_time(fn, min_seconds: float, min_reps: int, warmup: int) -> float:
    for _ in range(warmup):
        fn()
    times = []
    start = time.perf_counter()
    while len(times) < min_reps or time.perf_counter() - start < min_seconds:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def matmul(n: int):
    gen = torch.Generator().manual_seed(0)
    a = torch.rand(n, n, generator=gen, dtype=torch.float32)
    b = torch.rand(n, n, generator=gen, dtype=torch.float32)
    out = torch.empty(n, n, dtype=torch.float32)
    return lambda: torch.mm(a, b, out=out)


def training_step(model, loss_fn, optimizer, x, y):
    def step():
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()
    return step


def logreg():
    torch.manual_seed(1)
    x = torch.randn(569, 30)
    y = torch.randint(0, 2, (569, 1)).float()
    model = torch.nn.Linear(30, 1)
    return training_step(model, torch.nn.BCEWithLogitsLoss(), torch.optim.SGD(model.parameters(), lr=0.1), x, y)


def softmax():
    torch.manual_seed(2)
    x = torch.randn(1797, 64)
    y = torch.randint(0, 10, (1797,))
    model = torch.nn.Linear(64, 10)
    return training_step(model, torch.nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.1), x, y)


def mlp():
    torch.manual_seed(3)
    x = torch.randn(1024, 784)
    y = torch.randint(0, 10, (1024,))
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 512), torch.nn.ReLU(),
        torch.nn.Linear(512, 512), torch.nn.ReLU(),
        torch.nn.Linear(512, 10))
    return training_step(model, torch.nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters(), lr=1e-3), x, y)


def sigmoid():
    torch.manual_seed(4)
    x = torch.randn(1 << 20)
    return lambda: torch.sigmoid(x)


class LstmClassifier(torch.nn.Module):
    """nn.LSTM(32, 128) and a Linear head on the last time step's output."""

    def __init__(self):
        super().__init__()
        self.lstm = torch.nn.LSTM(32, 128)
        self.head = torch.nn.Linear(128, 10)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[-1])


def lstm():
    torch.manual_seed(6)
    x = torch.randn(50, 16, 32)
    y = torch.randint(0, 10, (16,))
    model = LstmClassifier()
    return training_step(model, torch.nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.1), x, y)


def lenet():
    torch.manual_seed(7)
    x = torch.randn(64, 1, 28, 28)
    y = torch.randint(0, 10, (64,))
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 6, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(6, 16, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(256, 120), torch.nn.ReLU(),
        torch.nn.Linear(120, 84), torch.nn.ReLU(),
        torch.nn.Linear(84, 10))
    return training_step(model, torch.nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9), x, y)


WORKLOADS = {
    "matmul256": lambda: matmul(256),
    "matmul1024": lambda: matmul(1024),
    "logreg": logreg,
    "softmax": softmax,
    "mlp": mlp,
    "sigmoid": sigmoid,
    "lstm": lstm,
    "lenet": lenet,
}
FLOPS = {"matmul256": 2.0 * 256 ** 3, "matmul1024": 2.0 * 1024 ** 3}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workloads", nargs="*", default=list(WORKLOADS), help=f"any of {', '.join(WORKLOADS)} (default: all)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=3.0, help="minimum timing per workload")
    parser.add_argument("--reps", type=int, default=20, help="minimum repetitions per workload")
    parser.add_argument("--warmup", type=int, default=10, help="untimed calls before timing")
    parser.add_argument("--json", action="store_true", help="also print the medians as JSON (seconds)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, threads={torch.get_num_threads()}")
    results = {}
    for name in args.workloads:
        median = median_time(WORKLOADS[name](), args.seconds, args.reps, args.warmup)
        results[name] = median
        extra = f", {FLOPS[name] / median / 1e9:.1f} GFLOP/s" if name in FLOPS else ""
        print(f"{name:<11} median {median * 1e6:12.1f} us{extra}")
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
