"""Writes a safetensors file for `frond eval --inputs`.

    write_inputs.py OUT NAME:DTYPE:SHAPE:VALUES ...

DTYPE is I64, F32 or F64; SHAPE like 2x16; VALUES a comma list, repeated
cyclically to fill the shape, or `ids<N>`: the ids 0..N-1 in turn.
"""
import json
import struct
import sys

FORMATS = {"I64": "q", "F32": "f", "F64": "d"}
header, blobs, offset = {}, [], 0
for arg in sys.argv[2:]:
    name, dtype, shape_text, values_text = arg.split(":")
    shape = [int(s) for s in shape_text.split("x")] if shape_text else []
    n = 1
    for s in shape:
        n *= s
    if values_text.startswith("ids"):
        values = [i % int(values_text[3:]) for i in range(n)]
    else:
        cycle = [float(v) if dtype != "I64" else int(v) for v in values_text.split(",")]
        values = [cycle[i % len(cycle)] for i in range(n)]
    blob = struct.pack("<%d%s" % (n, FORMATS[dtype]), *values)
    header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(blob)]}
    blobs.append(blob)
    offset += len(blob)
text = json.dumps(header).encode()
text += b" " * (-len(text) % 8)
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
