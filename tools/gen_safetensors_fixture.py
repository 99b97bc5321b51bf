#!/usr/bin/env python3
"""Generate the safetensors reference fixtures used by SafeTensorsTests.

Writes tests/Nn.Tests/Fixtures/safetensors/reference.json: a list of cases, each
holding the exact bytes of a .safetensors file (base64) together with the
expected decoded tensors and metadata.

Also writes dtypes.json: one file holding a tensor of every integer dtype
(I64, I32, I16, I8, U8, U16, U32, BOOL) and of F16 and BF16, with the values
SafeTensors.Load must give (Int64 values; for F16/BF16 the float32 bit
patterns of PyTorch 1.13's `.float()`, plus a SHA-256 of its conversion of
all 65536 patterns).

The bytes come from `reference_serialize` below, a line-for-line port of
`prepare`/`serialize` in the Rust crate behind huggingface's `safetensors`
package (safetensors/src/tensor.rs):

* tensors are laid out sorted by dtype DEScending in the order of the Rust
  `Dtype` enum (BOOL < F4 < ... < F32 < C64 < F64 < I64 < U64), then by name
  (Rust `String` order, i.e. UTF-8 bytes);
* the header is the compact serde_json of a map whose keys are
  "__metadata__" (only when metadata is given) followed by the tensors in
  that same data order (NOT alphabetical);
* serde_json escapes only '"', '\\' and control characters (\\b \\f \\n \\r \\t,
  the rest as lowercase \\u00xx) and emits other characters as raw UTF-8,
  which is exactly json.dumps(..., ensure_ascii=False) with compact separators;
* the header is padded with spaces to a multiple of 8 bytes and prefixed by
  its length as a little-endian u64.

When the real library is importable (python3-safetensors / pip safetensors),
every case is also written with `safetensors.torch.save_file` and the script
asserts both byte strings are identical. Note the real library keeps
`__metadata__` in a Rust HashMap, so with two or more metadata keys its key
order is random per process; the cases therefore use at most one metadata key.

Run: /usr/bin/python3 tools/gen_safetensors_fixture.py
"""

import base64
import json
import math
import os
import struct
import sys
import tempfile

from fixtures import f32, fixture_path

# Rust `Dtype` enum order (safetensors >= 0.5); older releases lack some
# variants but agree on the relative order of the others.
DTYPE_ORDER = ["BOOL", "F4", "F6_E2M3", "F6_E3M2", "U8", "I8", "F8_E5M2", "F8_E4M3",
               "F8_E8M0", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "C64",
               "F64", "I64", "U64"]
FORMATS = {"F32": "<f", "F64": "<d", "I64": "<q"}

OUT = fixture_path("Nn.Tests", "safetensors", "reference.json")
DTYPES_OUT = fixture_path("Nn.Tests", "safetensors", "dtypes.json")

# The element layout of every dtype SafeTensors.Load reads: a struct format for the raw
# little-endian bytes (the writer's input), and what the loaded tensor holds.
RAW_FORMATS = {"I64": "<q", "I32": "<i", "I16": "<h", "I8": "<b", "U8": "<B", "U16": "<H",
               "U32": "<I", "BOOL": "<?", "F16": "<H", "BF16": "<H"}


def reference_serialize(tensors, metadata=None):
    """tensors: dict name -> (dtype, shape, raw little-endian bytes)."""
    order = sorted(tensors, key=lambda n: (-DTYPE_ORDER.index(tensors[n][0]), n.encode("utf-8")))
    header, offset = {}, 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name in order:
        dtype, shape, data = tensors[name]
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    raw = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw + b"".join(tensors[n][2] for n in order)


def reference_deserialize(buf):
    """Minimal reader with the checks of the Rust `read_metadata`/`validate`."""
    (n,) = struct.unpack_from("<Q", buf, 0)
    assert n <= 100_000_000 and 8 + n <= len(buf)
    header = json.loads(buf[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", None)
    entries = sorted(header.items(), key=lambda kv: kv[1]["data_offsets"])
    data, start, out = buf[8 + n:], 0, []
    for name, info in entries:
        begin, end = info["data_offsets"]
        assert begin == start and end >= begin, name
        count = math.prod(info["shape"])
        assert end - begin == count * struct.calcsize(FORMATS[info["dtype"]]), name
        out.append((name, info["dtype"], info["shape"], data[begin:end]))
        start = end
    assert start == len(data), "incomplete buffer"
    return out, metadata


def encode(dtype, values):
    return b"".join(struct.pack(FORMATS[dtype], v) for v in values)


def decode(dtype, raw):
    size = struct.calcsize(FORMATS[dtype])
    return [struct.unpack_from(FORMATS[dtype], raw, i)[0] for i in range(0, len(raw), size)]


def cases():
    model = {
        "weight": ("F32", [2, 3], [f32(v) for v in (1.0, -2.5, 3.25, 0.1, -0.0, 1e-45)]),
        "bias": ("F64", [3], [0.1, -1e300, 2.5]),
        "labels": ("I64", [4], [0, 3, -1, 9007199254740993]),
        "temperature": ("F64", [], [0.5]),
        "empty": ("F32", [0], []),
    }
    escaping = {
        # Names/metadata that System.Text.Json would escape by default but
        # serde_json writes raw (non-ASCII, '<', '&', '+', '\''), plus ones it
        # must escape ('"', '\\', control characters).
        "caf\u00e9.w<&>+'": ("F32", [1], [f32(1.5)]),
        'q"\\\t\u0001': ("I64", [2], [7, -7]),
        "\U0001F600": ("F64", [1], [-2.0]),
        "\uff21": ("F64", [1], [3.0]),
    }
    yield "model_with_metadata", model, {"format": "pt"}
    yield "model_without_metadata", model, None
    yield "escaping", escaping, {"note": "line1\nline2 \"q\" <tag> & caf\u00e9 \U0001F600"}
    yield "no_tensors", {}, None
    # These two reproduce byte for byte the vectors asserted by the Rust
    # crate's own unit tests (test_serialization, test_empty).
    yield "single_f32", {"attn.0": ("F32", [1, 2, 3], [0.0, 1.0, 2.0, 3.0, 4.0, 5.0])}, None
    yield "no_tensors_with_metadata", {}, {"framework": "pt"}


def real_library_bytes(tensors, metadata):
    try:
        import torch
        from safetensors.torch import save_file
    except ImportError:
        return None
    dt = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64}
    ts = {n: torch.tensor(v, dtype=dt[d]).reshape(s) for n, (d, s, v) in tensors.items()}
    with tempfile.TemporaryDirectory() as tmp:
        p = os.path.join(tmp, "x.safetensors")
        save_file(ts, p, metadata=metadata)
        with open(p, "rb") as fh:
            return fh.read()


def dtype_cases():
    """One tensor per integer dtype, its values at the dtype's edges; F16 and BF16 given as
    bit patterns (zeros, subnormals, normals, infinities, quiet and signaling NaNs)."""
    return {
        "i64": ("I64", [5], [0, 1, -1, 2**63 - 1, -2**63]),
        "i32": ("I32", [5], [0, 1, -1, 2**31 - 1, -2**31]),
        "i16": ("I16", [5], [0, 1, -1, 2**15 - 1, -2**15]),
        "i8": ("I8", [5], [0, 1, -1, 127, -128]),
        "u8": ("U8", [2, 3], [0, 1, 127, 128, 254, 255]),
        "u16": ("U16", [3], [0, 1, 2**16 - 1]),
        "u32": ("U32", [3], [0, 1, 2**32 - 1]),
        "mask": ("BOOL", [2, 2], [True, False, False, True]),
        "flag": ("BOOL", [], [True]),
        "none": ("I8", [0, 3], []),
        "half": ("F16", [4, 4], [0x0000, 0x8000, 0x0001, 0x8001, 0x03FF, 0x0400, 0x7BFF, 0xFBFF,
                                 0x3C00, 0x2E66, 0xC100, 0x7C00, 0xFC00, 0x7E00, 0x7C01, 0xFD55]),
        "brain": ("BF16", [16], [0x0000, 0x8000, 0x0001, 0x8001, 0x007F, 0x0080, 0x7F7F, 0xFF7F,
                                 0x3F80, 0x3DCD, 0xC020, 0x7F80, 0xFF80, 0x7FC0, 0x7F81, 0xFFD5]),
    }


def torch_float32_bits(dtype, patterns):
    """PyTorch 1.13's `.float()` of 16-bit float patterns, as float32 bit patterns (uint32)."""
    import torch

    raw = bytearray(struct.pack(f"<{len(patterns)}H", *patterns))
    t = torch.frombuffer(raw, dtype={"F16": torch.float16, "BF16": torch.bfloat16}[dtype]).float()
    return [v & 0xFFFFFFFF for v in t.view(torch.int32).tolist()]


def all_patterns_sha256(dtype):
    """SHA-256 of PyTorch's float32 conversion of all 65536 patterns 0x0000..0xFFFF, in order,
    as little-endian float32 bytes: the test converts the same file and compares the digest."""
    import hashlib

    bits = torch_float32_bits(dtype, list(range(65536)))
    return hashlib.sha256(struct.pack(f"<{len(bits)}I", *bits)).hexdigest(), bits


def write_dtypes():
    spec = dtype_cases()
    tensors = {n: (d, s, b"".join(struct.pack(RAW_FORMATS[d], v) for v in vals))
               for n, (d, s, vals) in spec.items()}
    blob = reference_serialize(tensors, {"format": "pt"})
    digests = {}
    for dtype in ("F16", "BF16"):
        digest, bits = all_patterns_sha256(dtype)
        digests[dtype] = digest
        # The few patterns below must convert as in the exhaustive pass (scalar vs vector paths).
        for n, (d, _, vals) in spec.items():
            if d == dtype:
                assert torch_float32_bits(d, vals) == [bits[v] for v in vals], n
    out = []
    for n, (d, s, vals) in spec.items():
        if d in ("F16", "BF16"):
            entry = {"name": n, "dtype": d, "shape": s, "patterns": vals,
                     "float32_bits": torch_float32_bits(d, vals)}
        else:
            entry = {"name": n, "dtype": d, "shape": s, "values": [int(v) for v in vals]}
        out.append(entry)
    doc = {
        "generator": "tools/gen_safetensors_fixture.py",
        "note": "file_base64 holds every tensor below in one file, laid out as the reference "
                "writer does; float32_bits are PyTorch 1.13's .float() of the F16/BF16 patterns; "
                "all_patterns_sha256 digests its float32 bits of all 65536 patterns in order.",
        "file_base64": base64.b64encode(blob).decode("ascii"),
        "metadata": {"format": "pt"},
        "tensors": out,
        "all_patterns_sha256": digests,
    }
    with open(DTYPES_OUT, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, ensure_ascii=True, indent=1)
        fh.write("\n")
    print(f"wrote {os.path.normpath(DTYPES_OUT)}", file=sys.stderr)


def main():
    write_dtypes()
    out_cases, checked_real = [], False
    for case_name, spec, metadata in cases():
        tensors = {n: (d, s, encode(d, v)) for n, (d, s, v) in spec.items()}
        blob = reference_serialize(tensors, metadata)
        real = real_library_bytes(spec, metadata)
        if real is not None:
            assert real == blob, f"{case_name}: reimplementation differs from safetensors.save_file"
            checked_real = True
        decoded, meta = reference_deserialize(blob)
        assert meta == metadata
        out_cases.append({
            "name": case_name,
            "file_base64": base64.b64encode(blob).decode("ascii"),
            "metadata": meta,
            # In file (data offset) order.
            "tensors": [{"name": n, "dtype": d, "shape": s, "values": decode(d, raw)}
                        for n, d, s, raw in decoded],
        })
    doc = {
        "generator": "tools/gen_safetensors_fixture.py",
        "checked_against_real_library": checked_real,
        "cases": out_cases,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, ensure_ascii=True, indent=1)
        fh.write("\n")
    print(f"wrote {os.path.normpath(OUT)} (checked against real library: {checked_real})",
          file=sys.stderr)


if __name__ == "__main__":
    main()
