#!/usr/bin/env python3
"""exit-code.py CMD ARGS...: runs CMD, prints its stdout then its stderr,
then `exit code: N` (N < 0 means killed by signal -N). Exits 0, so FileCheck
sees everything and the RUN line checks the exact status."""
import subprocess
import sys

r = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
sys.stdout.buffer.write(r.stdout)
sys.stdout.buffer.write(r.stderr)
sys.stdout.write("exit code: %d\n" % r.returncode)
