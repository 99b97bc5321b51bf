#!/usr/bin/env python3
"""Times float32 matrix products in PyTorch, as a reference for MatMulBenchmarks.

Run with the system interpreter (torch with OpenBLAS): /usr/bin/python3 tools/bench_torch.py
Reports the median wall time and GFLOP/s of C = A @ B for square sizes, on 2 threads by default.
"""
import argparse
import statistics
import time

import torch


def bench(n: int, threads: int, min_seconds: float, min_reps: int) -> tuple[float, float]:
    torch.set_num_threads(threads)
    gen = torch.Generator().manual_seed(0)
    a = torch.rand(n, n, generator=gen, dtype=torch.float32)
    b = torch.rand(n, n, generator=gen, dtype=torch.float32)
    out = torch.empty(n, n, dtype=torch.float32)
    for _ in range(5):  # warm-up
        torch.mm(a, b, out=out)
    times = []
    start = time.perf_counter()
    while len(times) < min_reps or time.perf_counter() - start < min_seconds:
        t0 = time.perf_counter()
        torch.mm(a, b, out=out)
        times.append(time.perf_counter() - t0)
    median = statistics.median(times)
    return median, 2.0 * n * n * n / median / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 1024])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=3.0, help="minimum timing per size")
    parser.add_argument("--reps", type=int, default=20, help="minimum repetitions per size")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, threads={args.threads}")
    for n in args.sizes:
        median, gflops = bench(n, args.threads, args.seconds, args.reps)
        print(f"matmul float32 {n}x{n}x{n}: median {median * 1e3:.3f} ms, {gflops:.1f} GFLOP/s")


if __name__ == "__main__":
    main()
