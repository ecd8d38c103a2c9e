"""Compares two frond train checkpoints (model.safetensors and
optimizer.safetensors) tensor by tensor, for the lit tests.

  checkpoints.py close A B TOL   exit 1 unless both hold the same tensors
                                 (names, dtypes, shapes) and every element
                                 agrees within TOL relative to the larger
                                 magnitude of the two tensors (max |x|)
"""
import json
import struct
import sys

FORMATS = {"F32": "f", "F64": "d", "I64": "q"}


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        begin, end = t["data_offsets"]
        fmt = FORMATS[t["dtype"]]
        count = (end - begin) // struct.calcsize(fmt)
        out[name] = (t["dtype"], t["shape"], struct.unpack("<%d%s" % (count, fmt), body[begin:end]))
    return out


def main():
    if sys.argv[1] != "close":
        print("unknown command " + sys.argv[1])
        return 2
    a_dir, b_dir, tol = sys.argv[2], sys.argv[3], float(sys.argv[4])
    checked, worst = 0, 0.0
    for file in ("model.safetensors", "optimizer.safetensors"):
        a, b = read(a_dir + "/" + file), read(b_dir + "/" + file)
        if sorted(a) != sorted(b):
            print(f"{file}: different tensors: {sorted(set(a) ^ set(b))[:5]}")
            return 1
        for name in sorted(a):
            (da, sa, xa), (db, sb, xb) = a[name], b[name]
            if (da, sa) != (db, sb):
                print(f"{name}: {da}{sa} vs {db}{sb}")
                return 1
            scale = max([abs(v) for v in xa + xb] + [1e-30])
            err = max([abs(x - y) for x, y in zip(xa, xb)] + [0.0]) / scale
            worst = max(worst, err)
            checked += 1
            if err > tol:
                print(f"{name}: relative difference {err:.3g} > {tol:g}")
                return 1
    print(f"close: {checked} tensors within {tol:g} (largest difference {worst:.3g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
