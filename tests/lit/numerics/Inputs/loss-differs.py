"""Runs `frond eval` on each spec (as its numerics test does: batch 2,
length 150, init std 0.5) and checks that every pair of losses differs by
at least 10x the numerics tolerance, so a lowering that confused two forms
would fail its test."""
import itertools
import re
import subprocess
import sys

losses = {}
for spec in sys.argv[1:]:
    out = subprocess.run(["frond", "eval", spec, "--batch", "2", "--seq-len", "150",
                          "--init-std", "0.5"], capture_output=True, text=True, check=True).stdout
    losses[spec] = float(re.search(r"loss:lm\s+=\s+(\S+)", out).group(1))
bad = 0
for a, b in itertools.combinations(losses, 2):
    tol = 1e-5 + 1e-4 * abs(losses[a])
    if abs(losses[a] - losses[b]) < 10 * tol:
        print(f"too close: {a} {losses[a]:.6f} and {b} {losses[b]:.6f}")
        bad += 1
print(f"all {len(losses)} forms differ" if not bad else f"{bad} pairs too close")
sys.exit(1 if bad else 0)
