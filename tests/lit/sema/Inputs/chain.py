#!/usr/bin/env python3
"""chain.py lets|blocks N: prints a spec with a chain of N definitions, each
defined by the previous one, and a model using the last."""
import sys

kind, n = sys.argv[1], int(sys.argv[2])
out = []
if kind == "lets":
    out.append("let a0 = 1")
    out += ["let a%d = a%d + 1" % (i, i - 1) for i in range(1, n)]
    out.append("model m(d = a%d) {\n  input tokens[b, t]\n"
               "  loss = mean(embed(tokens, 3, 2)) + 0 * d\n}" % (n - 1))
else:
    out.append("block b0(x) {\n  return x\n}")
    out += ["block b%d(x) {\n  return b%d(x)\n}" % (i, i - 1) for i in range(1, n)]
    out.append("model m(d = 4) {\n  input tokens[b, t]\n"
               "  x = b%d(embed(tokens, 3, d))\n  loss = mean(x)\n}" % (n - 1))
sys.stdout.write("\n".join(out) + "\n")
