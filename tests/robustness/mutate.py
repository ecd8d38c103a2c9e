#!/usr/bin/env python3
"""Robustness test for `frond check`: mutated and hostile inputs.

  mutate.py [--frond PATH] [--stdlib DIR] [--out DIR] [--count N]
            [--seed S] [--jobs J] [--timeout SEC] [--no-special] FOLDER...

Every .spec file below the FOLDERs (the standard library and the
experiments) is a seed. From them, with a fixed random seed, --count mutants
are made (byte flips, random bytes including binary ones, truncations,
deleted and duplicated ranges, inserted brackets, plus token-level changes:
numbers replaced by extreme values, identifiers swapped, lines spliced in
from other files, keywords and operators inserted). Some standard-library
mutants are also checked the way they are used: through an experiment that
imports them, with FROND_STDLIB pointing at a copy of the library holding
the mutant. Special inputs are added: an empty file, 10 MB of random bytes
(with and without NUL bytes), 10 MB (over the size cap) and 3.5 MB of
valid-looking declarations, 5,000 nested parentheses, a 100,000-term expression, a 100,000-element list, a
1 MB single line, and a few deep-but-legal nestings.

`frond check` runs on each input (--jobs in parallel, --timeout seconds
each). An input fails when frond
  - exits with anything but 0 or 1 (a negative status is a signal: a crash),
  - runs past the timeout, or
  - prints a line containing "internal" on stderr (outside quoted source).
Each failing input is saved under OUT/failures/NAME/ with a repro.sh.
Prints a summary; exits 1 when anything failed.
"""
import argparse
import concurrent.futures
import os
import random
import re
import shutil
import subprocess
import tempfile
import sys
import time

# ---------------------------------------------------------------------------
# Mutators. Each takes (rng, data: bytes, ctx) and returns new bytes.
# ---------------------------------------------------------------------------

INTERESTING_NUMBERS = [
    b"0", b"1", b"-1", b"2", b"3", b"7", b"10000", b"10001", b"65536",
    b"2147483648", b"4294967296", b"9223372036854775807",
    b"9223372036854775808", b"99999999999999999999999", b"-9223372036854775808",
    b"0.0", b"-0.0", b"0.5", b"1e308", b"1e-308", b"1e999", b".0", b"3.",
]
TOKENS = [
    b"(", b")", b"[", b"]", b"{", b"}", b",", b";", b":", b"...", b".", b"=",
    b"+=", b"-=", b"*=", b"**", b"//", b"%", b"not ", b" and ", b" or ",
    b" as x", b"as", b"repeat 2 {", b"recur 2 {", b"if true {", b"else",
    b"head h = ", b"loss = ", b"loss l = ", b"cache kv", b"cache g",
    b"return ", b"input q[b, t]", b"param p[4] = zeros()", b" tied tok",
    b" init from tok", b"adapter a at x = ", b"variant v {", b"sweep d in ",
    b"group g(\"*\") {", b"experiment e {", b"model m() {", b"block b(x) {",
    b"mask mm(b, h, q, k) = ", b"score ss(s, b, h, q, k) = ", b"let z = ",
    b"import std.masks", b"import std.", b"parallel {", b"none", b"true",
    b"\"", b"\"unterminated", b"#", b"\\", b"$", b"@", b"\t", b"\r", b"\n",
    b"\xff", b"\xc3\xa9", b"\xe2\x80\x8b", b"x[..., 0]", b"[:, 1:]", b"[-1]",
]
BRACKETS = [b"(", b")", b"[", b"]", b"{", b"}"]
IDENT = re.compile(rb"[A-Za-z_][A-Za-z_0-9]*")
NUMBER = re.compile(rb"(?<![A-Za-z_0-9.])[0-9]+(\.[0-9]*)?([eE][+-]?[0-9]+)?")


def pos(rng, data, end=False):
    return rng.randint(0, len(data)) if end else rng.randint(0, max(0, len(data) - 1))


def m_flip(rng, data, ctx):
    if not data:
        return bytes([rng.randrange(256)])
    b = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        i = pos(rng, b)
        b[i] = b[i] ^ (1 << rng.randrange(8)) if rng.random() < 0.5 else rng.randrange(256)
    return bytes(b)


def m_insert_bytes(rng, data, ctx):
    n = rng.randint(1, 16)
    if rng.random() < 0.5:
        junk = bytes(rng.randrange(256) for _ in range(n))
    else:  # printable junk
        junk = bytes(rng.randrange(32, 127) for _ in range(n))
    i = pos(rng, data, end=True)
    return data[:i] + junk + data[i:]


def m_truncate(rng, data, ctx):
    return data[:pos(rng, data, end=True)]


def m_delete_range(rng, data, ctx):
    if not data:
        return data
    i = pos(rng, data)
    j = min(len(data), i + rng.choice([1, 2, 5, 20, 100, 1000]))
    return data[:i] + data[j:]


def m_duplicate_range(rng, data, ctx):
    if not data:
        return data
    i = pos(rng, data)
    j = min(len(data), i + rng.choice([1, 5, 30, 200, 2000]))
    k = pos(rng, data, end=True)
    times = rng.choice([1, 1, 2, 10])
    return data[:k] + data[i:j] * times + data[k:]


def m_brackets(rng, data, ctx):
    for _ in range(rng.randint(1, 3)):
        i = pos(rng, data, end=True)
        tok = rng.choice(BRACKETS) * rng.choice([1, 1, 2, 3, 50])
        data = data[:i] + tok + data[i:]
    return data


def m_number(rng, data, ctx):
    nums = list(NUMBER.finditer(data))
    if not nums:
        return m_flip(rng, data, ctx)
    m = rng.choice(nums)
    return data[:m.start()] + rng.choice(INTERESTING_NUMBERS) + data[m.end():]


def m_ident(rng, data, ctx):
    ids = list(IDENT.finditer(data))
    if not ids:
        return m_flip(rng, data, ctx)
    m = rng.choice(ids)
    return data[:m.start()] + rng.choice(ctx["idents"]) + data[m.end():]


def m_token(rng, data, ctx):
    i = pos(rng, data, end=True)
    return data[:i] + rng.choice(TOKENS) + data[i:]


def m_splice_line(rng, data, ctx):
    lines = data.split(b"\n")
    donor = rng.choice(ctx["lines"])
    lines.insert(rng.randint(0, len(lines)), donor)
    return b"\n".join(lines)


def m_swap_lines(rng, data, ctx):
    lines = data.split(b"\n")
    if len(lines) < 2:
        return data
    a, b = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[a], lines[b] = lines[b], lines[a]
    return b"\n".join(lines)


def m_drop_line(rng, data, ctx):
    lines = data.split(b"\n")
    if len(lines) < 2:
        return data
    del lines[rng.randrange(len(lines))]
    return b"\n".join(lines)


MUTATORS = [
    (m_flip, 3), (m_insert_bytes, 3), (m_truncate, 2), (m_delete_range, 3),
    (m_duplicate_range, 3), (m_brackets, 3), (m_number, 4), (m_ident, 4),
    (m_token, 4), (m_splice_line, 3), (m_swap_lines, 2), (m_drop_line, 3),
]


def mutate(rng, data, ctx):
    names = []
    funcs, weights = zip(*MUTATORS)
    for _ in range(rng.choice([1, 1, 1, 2, 2, 3])):
        f = rng.choices(funcs, weights)[0]
        data = f(rng, data, ctx)
        names.append(f.__name__[2:])
    return data, "+".join(names)


# ---------------------------------------------------------------------------
# Special inputs.
# ---------------------------------------------------------------------------

MB = 1 << 20


def special_inputs(rng):
    out = {}
    out["empty"] = b""
    out["random-10mb"] = rng.randbytes(10 * MB)
    out["random-10mb-no-nul"] = bytes(b or 1 for b in rng.randbytes(10 * MB))
    out["random-printable-1mb"] = bytes(rng.randrange(32, 127) for _ in range(MB))
    decl = ("let width_{i} = {i} * 2 + 1\n"
            "mask window_{i}(b, h, q, k) = k <= q and q - k < width_{i}\n"
            "block mlp_{i}(x, hidden = 8) {{\n"
            "  return linear(gelu(linear(x, hidden)), x.shape[-1])\n"
            "}}\n")
    def declarations(limit):
        parts, size, i = [], 0, 0
        while size < limit:
            s = decl.format(i=i)
            parts.append(s)
            size += len(s)
            i += 1
        return "".join(parts).encode()
    out["declarations-10mb"] = declarations(10 * MB)
    # Just under the 4 MiB cap on spec files: parsed and checked in full.
    out["declarations-3.5mb"] = declarations(int(3.5 * MB))
    out["nested-parens-5000"] = b"let a = " + b"(" * 5000 + b"1" + b")" * 5000 + b"\n"
    out["nested-parens-199"] = b"let a = " + b"(" * 199 + b"1" + b")" * 199 + b"\n"
    out["nested-brackets-5000-unclosed"] = b"let a = " + b"[" * 5000 + b"\n"
    out["expression-100000-terms"] = b"let a = " + b" + ".join([b"1"] * 100000) + b"\n"
    out["list-100000-elements"] = b"let a = [" + b", ".join([b"1"] * 100000) + b"]\n"
    out["call-100000-arguments"] = (b"model m() {\n  input t[b, s]\n  x = linear("
                                    + b", ".join([b"t"] * 100000) + b")\n  loss = 0.0\n}\n")
    out["not-chain-5000"] = b"let a = " + b"not " * 5000 + b"true\n"
    out["minus-chain-5000"] = b"let a = " + b"- " * 5000 + b"1\n"
    out["member-chain-5000"] = b"let a = x" + b".y" * 5000 + b"\n"
    line, i = [], 0
    while sum(map(len, line)) < MB:
        line.append(b"let v%d = %d; " % (i, i))
        i += 1
    out["single-line-1mb"] = b"".join(line)
    out["single-line-comment-1mb"] = b"# " + b"x" * MB
    out["string-1mb"] = b'let s = "' + b"y" * MB + b'"\n'
    out["identifier-1mb"] = b"let " + b"n" * MB + b" = 1\n"
    out["number-1mb"] = b"let n = " + b"9" * MB + b"\n"
    nested_if = (b"model m(d = 16) {\n  input tokens[b, t]\n  x = embed(tokens, 32, d)\n"
                 + b"  if true {\n" * 150 + b"  x = x\n" + b"  }\n" * 150
                 + b"  loss = cross_entropy(linear(x, 32), tokens)\n}\n")
    out["nested-if-150"] = nested_if
    nested_rep = (b"model m(d = 16) {\n  input tokens[b, t]\n  x = embed(tokens, 32, d)\n"
                  + b"  repeat 1 {\n" * 150 + b"  x += linear(x, 16)\n" + b"  }\n" * 150
                  + b"  loss = cross_entropy(linear(x, 32), tokens)\n}\n")
    out["nested-repeat-150"] = nested_rep
    many_errors = b"".join(b"let e%d = 1 $ 2\n" % i for i in range(10000))
    out["many-syntax-errors"] = many_errors
    crlf = b"model m(d = 16) {\r\n  input tokens[b, t]\r\n  x = embed(tokens, 32, d)\r\n  loss = cross_entropy(linear(x, 32), tokens)\r\n}\r\n"
    out["crlf"] = crlf
    out["bom"] = b"\xef\xbb\xbf" + crlf
    out["only-newlines"] = b"\n" * MB
    return out


# ---------------------------------------------------------------------------
# Running.
# ---------------------------------------------------------------------------

SOURCE_ECHO = re.compile(r"^\s*\d*\s*\| ")
QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


def internal_lines(stderr):
    bad = []
    for line in stderr.splitlines():
        if SOURCE_ECHO.match(line):
            continue  # the user's own source text
        if "internal" in QUOTED.sub("", line).lower():
            bad.append(line)
    return bad


class Job:
    def __init__(self, name, path, argv, env, files, kind):
        self.name, self.path, self.argv, self.env = name, path, argv, env
        self.files = files  # paths to save on failure
        self.kind = kind


def run_job(job, timeout):
    t0 = time.monotonic()
    try:
        r = subprocess.run(job.argv, env=job.env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, timeout=timeout)
        rc, err = r.returncode, r.stderr.decode("utf-8", "replace")
    except subprocess.TimeoutExpired as e:
        rc, err = None, (e.stderr or b"").decode("utf-8", "replace")
    except OSError as e:  # e.g. the binary is being relinked
        return job, 2, 0.0, ["could not run %s: %s" % (job.argv[0], e)], ""
    dt = time.monotonic() - t0
    problems = []
    if rc is None:
        problems.append("timed out after %d s" % timeout)
    elif rc < 0:
        problems.append("killed by signal %d (crash)" % -rc)
    elif rc not in (0, 1):
        problems.append("exit status %d (expected 0 or 1)" % rc)
    bad = internal_lines(err)
    if bad:
        problems.append("stderr mentions 'internal': " + bad[0][:200])
    return job, rc, dt, problems, err


frond_original = "frond"


def save_failure(out, job, problems, err):
    d = os.path.join(out, "failures", job.name)
    os.makedirs(d, exist_ok=True)
    saved = []
    for p in job.files:
        dst = os.path.join(d, os.path.basename(p))
        try:
            shutil.copy(p, dst)
        except OSError as e:
            problems.append("could not save %s: %s" % (p, e))
        saved.append(dst)
    with open(os.path.join(d, "stderr.txt"), "w") as f:
        f.write(err[-20000:])
    env = " ".join("%s=%s" % (k, job.env[k]) for k in ("FROND_STDLIB",) if k in job.env)
    with open(os.path.join(d, "repro.sh"), "w") as f:
        argv = [frond_original] + job.argv[1:]
        f.write("#!/bin/sh\n# %s\n%s %s\n" % ("; ".join(problems), env, " ".join(argv)))
    return d


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--frond", default=shutil.which("frond") or "frond")
    ap.add_argument("--stdlib", help="standard library (default: the FOLDER named stdlib)")
    ap.add_argument("--out", default=os.path.join("build", "tests", "robustness"))
    ap.add_argument("--count", type=int, default=1200)
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=20)
    ap.add_argument("--no-special", action="store_true")
    ap.add_argument("folders", nargs="+")
    o = ap.parse_args()

    start = time.monotonic()
    o.frond = os.path.abspath(o.frond) if os.sep in o.frond else o.frond
    rng = random.Random(o.seed)
    folders = [os.path.abspath(f) for f in o.folders]
    stdlib = os.path.abspath(o.stdlib) if o.stdlib else next(
        (f for f in folders if os.path.basename(f) == "stdlib"), None)
    out = os.path.abspath(o.out)
    shutil.rmtree(os.path.join(out, "failures"), ignore_errors=True)
    os.makedirs(out, exist_ok=True)
    # A private work folder: another run sharing OUT cannot delete it.
    work = tempfile.mkdtemp(prefix="work-", dir=out)
    # Run a copy of the binary: a rebuild relinking it mid-run must not
    # turn into failures (a failure's repro.sh names the original).
    frond_path = shutil.which(o.frond) or o.frond
    global frond_original
    frond_original = os.path.abspath(frond_path)
    snapshot = os.path.join(work, "frond")
    shutil.copy2(frond_path, snapshot)

    # Seeds, and a mirror of each folder for the mutants (local imports and
    # data files resolve next to them).
    seeds = []  # (folder, path, bytes)
    mirrors = {}
    for folder in folders:
        mirror = os.path.join(work, os.path.basename(folder))
        shutil.copytree(folder, mirror)
        mirrors[folder] = mirror
        for d, _, fs in os.walk(folder):
            for f in sorted(fs):
                if f.endswith(".spec"):
                    p = os.path.join(d, f)
                    seeds.append((folder, p, open(p, "rb").read()))
    seeds.sort(key=lambda s: s[1])
    if not seeds:
        print("error: no .spec files under %s" % ", ".join(o.folders))
        return 2

    idents = sorted({m.group(0) for _, _, t in seeds for m in IDENT.finditer(t)})
    lines = [l for _, _, t in seeds for l in t.split(b"\n") if l.strip()]
    ctx = {"idents": idents, "lines": lines}

    owner = {p: folder for folder, p, _ in seeds}
    # Experiments that import each std module, for library-mode mutants.
    importers = {}
    for folder, p, t in seeds:
        if stdlib and folder != stdlib:
            for m in re.finditer(rb"import std\.([A-Za-z_0-9]+)", t):
                importers.setdefault(m.group(1).decode(), []).append(p)

    base_env = dict(os.environ)
    if stdlib:
        base_env["FROND_STDLIB"] = stdlib
    jobs = []
    for n in range(o.count):
        folder, path, text = seeds[n % len(seeds)]
        if n % 2:
            # Half the mutants start from the code alone, so that fewer
            # mutations land in comments.
            text = b"\n".join(l for l in text.split(b"\n") if not l.lstrip().startswith(b"#"))
        data, how = mutate(rng, text, ctx)
        stem = os.path.splitext(os.path.basename(path))[0]
        name = "m%04d-%s-%s" % (n, stem, how)
        rel = os.path.relpath(os.path.dirname(path), folder)
        module = stem
        users = importers.get(module, [])
        if folder == stdlib and users and rng.random() < 0.3:
            # Library mode: a copy of the stdlib holding the mutant, used by
            # an experiment that imports it.
            lib = os.path.join(work, "lib-%04d" % n)
            shutil.copytree(stdlib, lib)
            mpath = os.path.join(lib, os.path.relpath(path, stdlib))
            with open(mpath, "wb") as f:
                f.write(data)
            user = users[rng.randrange(len(users))]
            user_copy = os.path.join(mirrors[owner[user]], os.path.relpath(user, owner[user]))
            env = dict(base_env, FROND_STDLIB=lib)
            jobs.append(Job(name + "-via-" + os.path.basename(user), mpath,
                            [snapshot, "check", user_copy], env, [mpath, user_copy], "library"))
            continue
        mpath = os.path.join(mirrors[folder], rel, "%s.spec" % name[:60])
        with open(mpath, "wb") as f:
            f.write(data)
        jobs.append(Job(name, mpath, [snapshot, "check", mpath], base_env, [mpath], "mutant"))

    if not o.no_special:
        sdir = os.path.join(work, "special")
        os.makedirs(sdir)
        for name, data in special_inputs(random.Random(o.seed + 1)).items():
            p = os.path.join(sdir, name + ".spec")
            with open(p, "wb") as f:
                f.write(data)
            jobs.append(Job("special-" + name, p, [snapshot, "check", p], base_env, [p], "special"))

    # Biggest first, so the slow ones overlap with the many small ones.
    jobs.sort(key=lambda j: -os.path.getsize(j.path))
    failures, counts, slowest = [], {}, []
    with concurrent.futures.ThreadPoolExecutor(max_workers=o.jobs) as pool:
        for job, rc, dt, problems, err in pool.map(lambda j: run_job(j, o.timeout), jobs):
            counts[rc] = counts.get(rc, 0) + 1
            slowest.append((dt, job.name))
            if problems:
                d = save_failure(out, job, problems, err)
                failures.append((job, problems, d))

    slowest.sort(reverse=True)
    kinds = {}
    for j in jobs:
        kinds[j.kind] = kinds.get(j.kind, 0) + 1
    print("robustness: %d inputs (%s) from %d seed files, seed %d" % (
        len(jobs), ", ".join("%d %s" % (v, k) for k, v in sorted(kinds.items())),
        len(seeds), o.seed))
    print("exit status: %s" % ", ".join(
        "%s: %d" % ("timeout" if k is None else k, v)
        for k, v in sorted(counts.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))))
    print("slowest: %s" % ", ".join("%s %.1fs" % (n, t) for t, n in slowest[:3]))
    print("time: %.0f s" % (time.monotonic() - start))
    if failures:
        print("FAILED: %d inputs" % len(failures))
        for job, problems, d in failures:
            print("  %s: %s\n    reproducer: %s/repro.sh" % (job.name, "; ".join(problems), d))
        return 1
    print("robustness: 0 failures")
    shutil.rmtree(work, ignore_errors=True)  # only failures are kept
    return 0


if __name__ == "__main__":
    sys.exit(main())
