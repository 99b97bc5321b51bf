#!/usr/bin/env python3
"""Runs the performance comparison and prints the side-by-side table (ours vs PyTorch).

    python3 tools/bench_compare.py            # everything, a few minutes
    python3 tools/bench_compare.py --quick    # Stopwatch medians instead of BenchmarkDotNet (seconds)

1. BenchmarkDotNet (benchmarks/Autograd.Benchmarks, Release, short jobs, JSON export) times one
   training step of each small model, the 1M-element sigmoid (result kept, and result disposed) and
   the float32 matrix products.
2. tools/bench_torch.py times the same workloads in PyTorch (/usr/bin/python3: torch with OpenBLAS),
   with the same thread count (2 by default).
3. The allocation report of the benchmark program (-- --alloc): managed bytes per steady-state
   step and the GC collections over 1,000 steps.
Prints a Markdown table: median times, the ratio PyTorch time / ours (GFLOP/s ratio for the matrix
products, which is the same number), each workload's goal, plus the machine, its load average
before and after, and the versions. The machine is shared: quote ratios from one run.
"""
import argparse
import glob
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROJECT = os.path.join(ROOT, "benchmarks", "Autograd.Benchmarks")
TORCH_PYTHON = "/usr/bin/python3"

# name: (BenchmarkDotNet method, parameter N or None, goal ratio, description)
WORKLOADS = {
    "logreg": ("TrainingBenchmarks.LogisticRegressionStep", None, 4.0, "logistic regression step, 569x30, BCEWithLogits + SGD"),
    "softmax": ("TrainingBenchmarks.SoftmaxRegressionStep", None, 4.0, "softmax regression step, 1797x64 -> 10, CrossEntropy + SGD"),
    "mlp": ("TrainingBenchmarks.MlpStep", None, 1.5, "MLP 784-512-512-10 step, batch 1024, CrossEntropy + Adam"),
    "matmul1024": ("MatMulBenchmarks.Sgemm", "1024", 0.9, "float32 matmul 1024^3"),
    "matmul256": ("MatMulBenchmarks.Sgemm", "256", 0.9, "float32 matmul 256^3"),
    "sigmoid": ("SigmoidBenchmarks.Sigmoid", None, 1.0, "sigmoid over 1M float32"),
    "sigmoid_disposed": ("SigmoidBenchmarks.SigmoidDisposed", None, 1.0, "sigmoid over 1M float32, result disposed (using)"),
    "lstm": ("TrainingBenchmarks.LstmStep", None, 2.0, "LSTM(32, 128) step, L 50, batch 16, Linear head, SGD (issue 14)"),
    "lenet": ("TrainingBenchmarks.LeNetStep", None, 2.0, "LeNet-style CNN step, batch 64 of 1x28x28, SGD momentum (issue 15)"),
}
# Rows timed against another row's PyTorch workload (bench_torch.py has no such name).
TORCH_WORKLOAD = {"sigmoid_disposed": "sigmoid"}
FLOPS = {"matmul1024": 2.0 * 1024 ** 3, "matmul256": 2.0 * 256 ** 3}


def load_average() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def run(cmd, attempts: int = 1) -> str:
    """Runs a command in the repository root and returns its stdout; shows its output if it fails."""
    for attempt in range(attempts):
        print("$ " + " ".join(cmd), file=sys.stderr, flush=True)
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        if done.returncode == 0:
            return done.stdout
        print(done.stdout[-4000:] + done.stderr[-4000:], file=sys.stderr)
        if attempt + 1 < attempts:
            time.sleep(30)  # another engineer's build may hold the tree for a moment
    raise SystemExit(f"failed: {' '.join(cmd)}")


def bdn(filters, extra) -> dict:
    """Runs BenchmarkDotNet on the filters; returns {(method, N or None): (median_seconds, allocated_bytes)}."""
    artifacts = os.path.join(ROOT, "BenchmarkDotNet.Artifacts", "compare")
    shutil.rmtree(artifacts, ignore_errors=True)
    run(["dotnet", "run", "-c", "Release", "--project", PROJECT, "--", "--filter", *filters,
         "--exporters", "json", "--artifacts", artifacts, *extra])
    results = {}
    for path in glob.glob(os.path.join(artifacts, "results", "*.json")):
        with open(path) as f:
            report = json.load(f)
        for b in report["Benchmarks"]:
            method = f"{b['Type']}.{b['Method']}"
            n = re.search(r"N=(\d+)", b.get("Parameters") or "")
            stats = b.get("Statistics") or {}
            if "Median" not in stats:
                continue
            memory = b.get("Memory") or {}
            results[(method, n.group(1) if n else None)] = (stats["Median"] / 1e9, memory.get("BytesAllocatedPerOperation"))
    return results


def quick() -> dict:
    """Stopwatch medians from the benchmark program's --quick mode (no BenchmarkDotNet)."""
    out = run(["dotnet", "run", "-c", "Release", "--project", PROJECT, "--", "--quick"])
    results = {}
    for line in out.splitlines():
        m = re.match(r"(\w+)\s+median\s+([\d.]+) us", line)
        if m:
            results[m.group(1)] = (float(m.group(2)) / 1e6, None)
    return results


def fmt_time(seconds: float) -> str:
    if seconds is None:
        return "n/a"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} us"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2, help="PyTorch threads (ours use Threading.NumThreads = cores)")
    parser.add_argument("--quick", action="store_true", help="Stopwatch medians instead of BenchmarkDotNet (no matmul)")
    parser.add_argument("--torch-seconds", type=float, default=3.0)
    args = parser.parse_args()

    load_before = load_average()
    started = time.time()
    run(["dotnet", "build", "-c", "Release", PROJECT], attempts=3)
    ours = {}
    if args.quick:
        q = quick()
        for name in WORKLOADS:
            if name in q:
                ours[name] = q[name]
    else:
        # The training steps and sigmoid carry a 15-iteration job; the matrix products get the same here.
        found = bdn(["*TrainingBenchmarks*", "*SigmoidBenchmarks*"], [])
        found.update(bdn(["*MatMulBenchmarks.Sgemm"], ["--launchCount", "1", "--warmupCount", "5", "--iterationCount", "15"]))
        for name, (method, n, _, _) in WORKLOADS.items():
            if (method, n) in found:
                ours[name] = found[(method, n)]
    load_middle = load_average()

    torch_out = run([TORCH_PYTHON, os.path.join(ROOT, "tools", "bench_torch.py"), "--json", "--threads", str(args.threads),
                     "--seconds", str(args.torch_seconds), *dict.fromkeys(TORCH_WORKLOAD.get(n, n) for n in WORKLOADS)])
    torch_version = torch_out.splitlines()[0]
    theirs = json.loads(torch_out.strip().splitlines()[-1])
    load_after_torch = load_average()

    alloc = run(["dotnet", "run", "-c", "Release", "--no-build", "--project", PROJECT, "--", "--alloc"])
    load_after = load_average()
    dotnet_version = run(["dotnet", "--version"]).strip()
    machine = run(["dotnet", "run", "-c", "Release", "--no-build", "--project", PROJECT, "--", "--machine"]).strip()

    print(f"Machine: {cpu_model()}, {os.cpu_count()} cores; load average (1, 5, 15 min) before {load_before}, "
          f"after ours {load_middle}, after PyTorch {load_after_torch}, at the end {load_after}")
    print(f"Ours: {machine}")
    print(f".NET SDK {dotnet_version}; {torch_version}; {'Stopwatch medians' if args.quick else 'BenchmarkDotNet medians (15 iterations)'}; "
          f"run took {time.time() - started:.0f} s")
    print()
    print("| workload | ours | PyTorch | ratio (PyTorch / ours) | goal | met |")
    print("|---|---:|---:|---:|---:|:---:|")
    for name, (_, _, goal, description) in WORKLOADS.items():
        mine = ours.get(name, (None, None))[0]
        ref = theirs.get(TORCH_WORKLOAD.get(name, name))
        if mine is None or ref is None:
            print(f"| {description} | {fmt_time(mine)} | {fmt_time(ref)} | n/a | >= {goal:g} | |")
            continue
        ratio = ref / mine
        extra_ours = f" ({FLOPS[name] / mine / 1e9:.1f} GFLOP/s)" if name in FLOPS else ""
        extra_ref = f" ({FLOPS[name] / ref / 1e9:.1f} GFLOP/s)" if name in FLOPS else ""
        print(f"| {description} | {fmt_time(mine)}{extra_ours} | {fmt_time(ref)}{extra_ref} | {ratio:.2f} | >= {goal:g} | "
              f"{'yes' if ratio >= goal else 'no'} |")
    print()
    if not args.quick:
        print("BenchmarkDotNet allocated bytes per operation: " + ", ".join(
            f"{name} {ours[name][1]:,}" for name in WORKLOADS if name in ours and ours[name][1] is not None))
        print()
    print("Allocation report (steady state, `-- --alloc`):")
    print()
    print("```")
    print(alloc.rstrip())
    print("```")


if __name__ == "__main__":
    main()
