#!/usr/bin/env python3
"""Runs every Frond test suite (lit + FileCheck, GoogleTest via ctest) and
ends with one summary line: `N passed, N failed` (plus skipped).

Exit status is non-zero when any test failed or a suite could not run."""
import argparse
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

LLVM_BIN = "/usr/lib/llvm-22/bin"


def run_suite(name, cmd, out):
    """Runs one suite writing results to `out`; returns the parsed file's
    path, or None (after saying why) when the suite produced none."""
    if os.path.exists(out):
        os.remove(out)
    print("==> " + " ".join(cmd), flush=True)
    rc = subprocess.call(cmd)
    if not os.path.exists(out):
        print("frond: error: %s produced no results (exit %d)" % (name, rc))
        return None
    return out


def run_lit(build):
    out = run_suite("lit", [os.path.join(LLVM_BIN, "lit"), "-sv", "--order=lexical", "-o",
                            os.path.join(build, "lit-results.json"),
                            os.path.join(build, "tests", "lit")],
                    os.path.join(build, "lit-results.json"))
    if out is None:
        return 0, 1, 0
    passed = failed = skipped = 0
    for t in json.load(open(out))["tests"]:
        code = t["code"]
        if code in ("PASS", "XFAIL"):
            passed += 1
        elif code in ("UNSUPPORTED", "SKIPPED"):
            skipped += 1
        else:
            failed += 1
    return passed, failed, skipped


def run_ctest(build):
    junit = os.path.abspath(os.path.join(build, "ctest-results.xml"))
    out = run_suite("ctest", ["ctest", "--test-dir", build, "--output-on-failure", "-j2",
                              "--output-junit", junit], junit)
    if out is None:
        return 0, 1, 0
    passed = failed = skipped = 0
    for case in ET.parse(out).getroot().iter("testcase"):
        status = case.get("status", "run")
        if case.find("failure") is not None or status == "fail":
            failed += 1
        elif case.find("skipped") is not None or status in ("disabled", "notrun"):
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    args = ap.parse_args()
    totals = [0, 0, 0]
    for suite in (run_lit, run_ctest):
        for i, n in enumerate(suite(args.build)):
            totals[i] += n
    passed, failed, skipped = totals
    line = "%d passed, %d failed" % (passed, failed)
    if skipped:
        line += ", %d skipped" % skipped
    print(line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
