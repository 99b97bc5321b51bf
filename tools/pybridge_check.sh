#!/usr/bin/env bash
# Safetensors files between this library and TorchSharp.PyBridge 1.4.4 (TorchSharp-cpu 0.107.0,
# libtorch 2.10 for CPU), both directions: builds tools/PyBridgeCheck (not part of Autograd.sln:
# nothing else depends on TorchSharp) into a temporary folder and runs it.
#
#   bash tools/pybridge_check.sh                 # the checks: one line each, "ok" or "FAIL"
#   bash tools/pybridge_check.sh --fixture tests/Nn.Tests/Fixtures/safetensors/pybridge.json
#                                                # also rewrites the test fixture of PyBridge-written files
#
# Exits non-zero if the build fails or a check fails (the program exits 2). The first restore of
# TorchSharp-cpu downloads ~270 MB; the build output (~1.5 GB: libtorch for every platform) is
# removed at exit. The library code takes ~1 minute to build, the checks a few seconds.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
out=$(mktemp -d)
trap 'rm -rf "$out" "$out.log"' EXIT
echo "# building tools/PyBridgeCheck at $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo "$root")" >&2
if ! dotnet build "$root/tools/PyBridgeCheck/PyBridgeCheck.csproj" -c Release -o "$out" -nologo -v q >"$out.log" 2>&1; then
  echo "PyBridgeCheck does not build:" >&2
  grep -E 'error' "$out.log" | sort -u | head -20 >&2
  exit 1
fi

# TorchSharp 0.107's native wrapper, libLibTorchSharp.so, was built with GCC 13 and names
# libstdc++'s version GLIBCXX_3.4.32 (GCC 13) for one symbol, std::ios_base_library_init(), which
# <iostream> of GCC 13 references only to pull the stream initialisation into the link: nothing
# calls it, no relocation uses it. On a system with an older libstdc++ (Debian 12 has GCC 12's,
# up to GLIBCXX_3.4.30) the loader refuses the library for that version alone. So, only there,
# mark that one version requirement weak in the build output's copy (the vna_flags of its Vernaux
# entry, VER_FLG_WEAK = 2; the NuGet cache is left alone). The same step as
# ../shared/bench/torchsharp.sh, copied so that this check stands on its own.
weaken_glibcxx_3_4_32() {
  local so=$1 deps dynsyms relocs versions sec rel users
  deps=$(ldd "$so" 2>&1 || true)
  grep -q "version \`GLIBCXX_3.4.32' not found" <<<"$deps" || return 0
  dynsyms=$(readelf -W --dyn-syms "$so") && relocs=$(readelf -rW "$so") && versions=$(readelf -VW "$so") || return 1
  users=$(grep '@GLIBCXX_3.4.32' <<<"$dynsyms" | awk '{print $8}' | sed 's/@.*//' | sort -u)
  if [ "$users" != "_ZSt21ios_base_library_initv" ]; then
    echo "libLibTorchSharp.so needs GLIBCXX_3.4.32 for more than std::ios_base_library_init ($users); this system's libstdc++ is too old" >&2
    return 1
  fi
  if grep -q '_ZSt21ios_base_library_initv' <<<"$relocs"; then
    echo "libLibTorchSharp.so relocates std::ios_base_library_init: it would really be called; this system's libstdc++ is too old" >&2
    return 1
  fi
  sec=$(readelf -SW "$so" | awk '{for (i = 1; i <= NF; i++) if ($i == ".gnu.version_r") {print $(i + 3); exit}}')
  rel=$(awk '/Name: GLIBCXX_3.4.32 / {sub(":", "", $1); print $1; exit}' <<<"$versions")
  [ -n "$sec" ] && [ -n "$rel" ] || { echo "could not find GLIBCXX_3.4.32 in $so's version needs" >&2; return 1; }
  printf '\x02' | dd of="$so" bs=1 seek=$((0x$sec + rel + 4)) conv=notrunc status=none
  versions=$(readelf -VW "$so")
  grep -q 'Name: GLIBCXX_3.4.32 *Flags: WEAK' <<<"$versions" || { echo "marking GLIBCXX_3.4.32 weak in $so failed" >&2; return 1; }
  echo "# this libstdc++ predates GLIBCXX_3.4.32: marked that unused version requirement of libLibTorchSharp.so weak (see the script)" >&2
}
native="$out/runtimes/linux-x64/native/libLibTorchSharp.so"
if [ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] && [ -f "$native" ]; then
  weaken_glibcxx_3_4_32 "$native" || exit 1
fi

# Relative --fixture paths are taken from the directory the script was called from.
dotnet "$out/PyBridgeCheck.dll" "$@"
