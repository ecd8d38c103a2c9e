"""Peak resident memory of `frond eval SPEC` at a short and a long length.

usage: memory-growth.py FROND SPEC SHORT LONG LIMIT_MIB

Compiles once (so both measured runs load the same object from the JIT
cache), then runs the forward at SHORT and LONG tokens, each in its own
process, and prints both peaks (ru_maxrss) and their difference. Fails when
the long run needs LIMIT_MIB more than the short one.
"""
import os
import resource
import subprocess
import sys

frond, spec, short, long_, limit = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])


def peak_mib(seq_len):
    # A fresh interpreter per run: RUSAGE_CHILDREN keeps the largest child.
    code = ("import resource, subprocess, sys; "
            "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code, frond, "eval", spec, "--batch", "1",
                          "--seq-len", str(seq_len)], check=True, capture_output=True, text=True)
    return int(out.stdout.split()[-1]) // 1024


peak_mib(short)  # compile and cache
a, b = peak_mib(short), peak_mib(long_)
print(f"peak rss: {a} MiB at {short} tokens, {b} MiB at {long_} tokens, growth {b - a} MiB (limit {limit} MiB)")
sys.exit(0 if b - a < limit else 1)
