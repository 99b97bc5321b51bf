"""What the fixture generators (tools/gen_*.py) share.

Each generator runs PyTorch 1.13 and writes a JSON file that the C# tests read. This module
holds what they have in common: where the fixtures go, one seed per case, how a number and a
tensor are written to JSON, and the bit patterns the kernel fixtures compare exactly.

A generator imports it by name (Python puts the script's folder, tools/, on the path):

    from fixtures import fixture_path, seeded, num, flat, tensor_json, bits32, bits64, f32, write_compact

Changing a helper changes every fixture written with it: after a change, run the generators
and check that `git diff --stat tests/` shows no change.
"""

import json
import math
import os
import struct
import zlib

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def fixture_path(project, *parts):
    """tests/<project>/Fixtures/<parts>, absolute: fixture_path("Nn.Tests", "losses", "binary_losses.json")."""
    return os.path.join(REPO, "tests", project, "Fixtures", *parts)


def seeded(name):
    """A torch.Generator seeded from the CRC32 of a case's name, so that adding or removing a
    case never changes the data of the others."""
    import torch

    return torch.Generator().manual_seed(zlib.crc32(name.encode("utf-8")))


def num(v):
    """A number for JSON: NaN and the infinities, which JSON cannot spell, become the strings
    "nan", "inf" and "-inf" (the C# readers parse them back)."""
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def dtype_name(t):
    """"float32", "float64" or "int64": a tensor's dtype as the fixtures spell it."""
    return str(t.dtype).replace("torch.", "")


def flat(t):
    """A tensor's elements in row-major order (ints for int64, else num()); None stays None."""
    if t is None:
        return None
    t = t.detach().reshape(-1)
    if dtype_name(t) == "int64":
        return [int(v) for v in t.tolist()]
    return [num(v) for v in t.tolist()]


def tensor_json(t, with_dtype=False, values="data", finite=False):
    """A tensor as {"shape": [...], "data": [...]}; None stays None.

    with_dtype puts "dtype" first; values names the list of elements; finite refuses NaN and
    infinities, for readers that take plain numbers only.
    """
    if t is None:
        return None
    t = t.detach()
    doc = {"dtype": dtype_name(t)} if with_dtype else {}
    doc["shape"] = list(t.shape)
    doc[values] = flat(t)
    if finite and any(isinstance(v, str) for v in doc[values]):
        raise ValueError("non-finite value in fixture")
    return doc


def bits64(v):
    """A double's bits as "0x" and 16 hex digits, for fixtures that compare bit for bit."""
    return "0x%016x" % struct.unpack("<Q", struct.pack("<d", v))[0]


def bits32(v):
    """A float32's bits (v rounded to float32 first) as "0x" and 8 hex digits."""
    return "0x%08x" % struct.unpack("<I", struct.pack("<f", v))[0]


def f32(v):
    """v rounded to the nearest float32 (as a Python float), so that expected values are exact."""
    return struct.unpack("<f", struct.pack("<f", v))[0]


def next_up32(x):
    """The float32 just above the float32 x (from either zero: the smallest subnormal)."""
    if x == 0:
        return 1e-45
    b = struct.unpack("<I", struct.pack("<f", x))[0]
    return struct.unpack("<f", struct.pack("<I", b + 1 if x > 0 else b - 1))[0]


def next_down32(x):
    """The float32 just below the float32 x (from either zero: minus the smallest subnormal)."""
    if x == 0:
        return -1e-45
    b = struct.unpack("<I", struct.pack("<f", x))[0]
    return struct.unpack("<f", struct.pack("<I", b - 1 if x > 0 else b + 1))[0]


def write_compact(path, doc):
    """Writes doc as compact JSON and a newline to path (relative to the repository root, or
    absolute); returns the absolute path."""
    path = os.path.join(REPO, path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    return path
