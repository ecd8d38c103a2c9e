#!/usr/bin/env python3
"""Round-trip check of every .spec file under the given folders.

  roundtrip.py --stdlib DIR --out TMP FOLDER...

For every *.spec below each FOLDER (found now, so new files are covered):
  1. `frond check FILE` passes;
  2. `frond print FILE` succeeds, and printing that output again gives the
     same bytes (print is a fixed point);
  3. the printed copies, in a mirror of the folders under TMP (with the
     non-spec files, e.g. data, copied as they are), pass `frond check`
     against the printed standard library;
  4. where `frond explain FILE` succeeds, the printed copy explains the same.
Prints one line per file and a summary; exits 1 listing every failure.
"""
import argparse
import os
import shutil
import subprocess
import sys

TIMEOUT = 60


def run(args, stdlib):
    env = dict(os.environ, FROND_STDLIB=stdlib)
    try:
        r = subprocess.run(["frond"] + args, capture_output=True, env=env,
                           timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return 124, b"", b"timed out after %d s" % TIMEOUT
    return r.returncode, r.stdout, r.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stdlib", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("folders", nargs="+")
    o = ap.parse_args()

    stdlib = os.path.abspath(o.stdlib)
    out = os.path.abspath(o.out)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)

    # Mirror each folder; the stdlib's mirror serves the printed copies.
    mirrors, files = {}, []
    for folder in o.folders:
        folder = os.path.abspath(folder)
        mirror = os.path.join(out, os.path.basename(folder))
        shutil.copytree(folder, mirror)
        mirrors[folder] = mirror
        found = sorted(
            os.path.join(d, f)
            for d, _, fs in os.walk(folder) for f in fs if f.endswith(".spec"))
        if not found:
            print("error: no .spec files under %s" % folder)
            return 1
        files += [(folder, f) for f in found]
    printed_stdlib = mirrors.get(stdlib, stdlib)

    failures = []

    def fail(path, what, rc, err):
        failures.append("%s: %s (exit %d)\n%s" % (path, what, rc,
                                                   err.decode(errors="replace")))

    # Steps 1 and 2, writing the printed copies.
    for folder, path in files:
        copy = os.path.join(mirrors[folder], os.path.relpath(path, folder))
        rc, _, err = run(["check", path], stdlib)
        if rc != 0:
            fail(path, "frond check failed", rc, err)
        rc, first, err = run(["print", path], stdlib)
        if rc != 0:
            fail(path, "frond print failed", rc, err)
            continue
        with open(copy, "wb") as f:
            f.write(first)
        rc, second, err = run(["print", copy], stdlib)
        if rc != 0:
            fail(path, "printed output does not parse", rc, err)
        elif second != first:
            fail(path, "print is not idempotent (printing the output again "
                 "gives other text)", 0, b"")

    # Steps 3 and 4 on the printed tree.
    for folder, path in files:
        copy = os.path.join(mirrors[folder], os.path.relpath(path, folder))
        rc, _, err = run(["check", copy], printed_stdlib)
        if rc != 0:
            fail(path, "printed copy fails frond check", rc, err)
        rc, original, _ = run(["explain", path], stdlib)
        if rc == 0:
            rc2, again, err = run(["explain", copy], printed_stdlib)
            if rc2 != 0 or again != original:
                fail(path, "printed copy explains differently", rc2, err)
        if not any(f.startswith(path + ":") for f in failures):
            print("ok %s" % path)

    if failures:
        print("\n".join(failures))
        print("roundtrip: %d of %d files FAILED" % (
            len({f.split(":")[0] for f in failures}), len(files)))
        return 1
    print("roundtrip: %d files ok" % len(files))
    return 0


if __name__ == "__main__":
    sys.exit(main())
