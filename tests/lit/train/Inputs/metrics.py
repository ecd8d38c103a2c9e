"""Reads frond train's metrics.jsonl files for the lit tests.

  metrics.py summary FILE      row counts, first and last validation loss
  metrics.py same-losses A B   exit 1 unless the training losses (step, loss)
                               of A and B are identical (compared as written,
                               17 significant digits: bit-identical f32)
  metrics.py same-val-losses A B
                               the same for the validation losses
  metrics.py loss-difference A B
                               the largest relative difference between the
                               training losses of A and B (same steps)
"""
import json
import sys


def rows(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def losses(path, key="loss"):
    return [(r["step"], r[key]) for r in rows(path) if key in r]


def main():
    cmd = sys.argv[1]
    if cmd == "summary":
        rs = rows(sys.argv[2])
        train = [r for r in rs if "loss" in r]
        val = [r for r in rs if "val_loss" in r]
        events = [r for r in rs if "event" in r]
        keys = sorted(train[0].keys()) if train else []
        print(f"train rows {len(train)}, steps {train[0]['step']}..{train[-1]['step']}")
        print(f"train keys {' '.join(keys)}")
        print(f"val rows {len(val)} at steps {' '.join(str(r['step']) for r in val)}")
        print(f"events {len(events)}")
        first, last = val[0]["val_loss"], val[-1]["val_loss"]
        print(f"val loss {'falls' if last < first - 1.0 else 'does not fall'}: "
              f"{first:.4f} -> {last:.4f}")
        return 0
    if cmd in ("same-losses", "same-val-losses"):
        key = "loss" if cmd == "same-losses" else "val_loss"
        a, b = losses(sys.argv[2], key), losses(sys.argv[3], key)
        if a == b:
            print(f"identical: {len(a)} losses")
            return 0
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                print(f"differ at row {i}: {x} vs {y}")
                break
        else:
            print(f"differ in length: {len(a)} vs {len(b)}")
        return 1
    if cmd == "loss-difference":
        try:
            a, b = losses(sys.argv[2]), losses(sys.argv[3])
        except OSError:
            a = b = []
        if not a or not b:
            print("no losses")
            return 1
        if [s for s, _ in a] != [s for s, _ in b]:
            print("different steps")
            return 1
        print("%.3g" % max([abs(x - y) / max(abs(x), 1e-30) for (_, x), (_, y) in zip(a, b)] + [0]))
        return 0
    print("unknown command " + cmd)
    return 2


if __name__ == "__main__":
    sys.exit(main())
