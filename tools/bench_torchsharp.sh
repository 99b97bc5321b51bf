#!/usr/bin/env bash
# The project beside TorchSharp-cpu 0.107.0 with the project's own copy of the benchmark program
# (benchmarks/TorchSharpBench: the shared program plus the LSTM and LeNet steps). It runs
# ../shared/bench/torchsharp.sh on a temporary copy of ../shared/bench whose program is replaced
# by the project's, so the shared script's build and libstdc++ handling are reused unchanged.
#
#   bash tools/bench_torchsharp.sh [PROGRAM ARGS...]    # e.g. --only lstm_bptt,lenet
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
shared=${SHARED_BENCH:-$root/../shared/bench}
[ -f "$shared/torchsharp.sh" ] || { echo "no $shared/torchsharp.sh: set SHARED_BENCH to the shared bench folder" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r "$shared/." "$tmp/"
cp "$root/benchmarks/TorchSharpBench/Program.cs" "$root/benchmarks/TorchSharpBench/TorchSharpBench.csproj" "$tmp/TorchSharpBench/"
bash "$tmp/torchsharp.sh" "$root" "$@"
