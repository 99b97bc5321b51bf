#!/usr/bin/env python3
"""Generate the safetensors reference fixtures used by SafeTensorsTests.

Writes tests/Nn.Tests/Fixtures/safetensors/reference.json: a list of cases, each
holding the exact bytes of a .safetensors file (base64) together with the
expected decoded tensors and metadata.

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


def main():
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
