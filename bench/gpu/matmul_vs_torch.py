#!/usr/bin/env python3
"""Frond's matmul kernels side by side with torch.matmul (cuBLAS) (issue 6).

On a GPU machine with PyTorch:

    python3 bench/gpu/matmul_vs_torch.py --frond ./frond --out OUT
        [--dims 1024,2048] [--tokens 16384] [--tiles f32,tf32,bf16] [--repeat 10]

For every model width d it runs bench/gpu/matmul/mlp.spec (an MLP block
d -> 4d -> d and a 64-way head on B x T = tokens) forward and gradient on
the GPU with each --matmul-tiles type, `--repeat` times after a warm-up,
with `--profile-kernels`, and adds up the GPU time of its matmul kernels
per run: forward = <model>_forward_matmul_N, gradient = <model>_grad_matmul_N
plus the split-K sums (<model>_grad_splitk_sum_N). PyTorch runs the same
products (x W1^T, h W2^T, y Wh^T; in the gradient also dX and dW of each)
with torch.matmul in f32 (TF32 off), f32 with TF32 on, and bf16, timed with
CUDA events, median of `--repeat` after a warm-up.

FLOPs: forward 2 * tokens * (d*4d + 4d*d + d*64); the gradient function
computes the forward again and dX and dW of each product: 3 x forward.
Writes OUT/matmul.md (TFLOP/s and the ratios Frond / cuBLAS of the same
type) and OUT/matmul.json (every raw number and command).

Without a GPU or PyTorch, --self-test checks the kernel-table parser and
the batch file `frond eval --inputs` reads (run on the CPU).
"""
import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from attention_vs_flex import (KERNEL_ROW, cuda_median_ms, fmt, ratio, tflops,  # noqa: E402
                               write_safetensors)

SPEC = os.path.join(HERE, "matmul", "mlp.spec")
VOCAB = 64
SEQ = 1024
TORCH_TYPE = {"f32": "float32", "tf32": "float32", "bf16": "bfloat16", "f16": "float16"}


def kernel_totals(stdout):
    """{kernel: total ms} from --profile-kernels' table, and the share of
    the kernels it left out ("(N other kernels)")."""
    totals, other = {}, 0.0
    for line in stdout.splitlines():
        m = KERNEL_ROW.match(line)
        if m:
            totals[m.group(5)] = float(m.group(1))
        elif "other kernels)" in line:
            other = float(line.split()[1].rstrip("%"))
    return totals, other


def matmul_times(totals, runs):
    """(forward ms, gradient ms) per run: the matmul kernels' totals."""
    def total(pattern):
        hits = [v for k, v in totals.items() if re.search(pattern, k)]
        return sum(hits) / runs if hits else None
    return total(r"_forward_matmul_\d+$"), total(r"_grad_(matmul|splitk_sum)_\d+$")


def flops(tokens, d):
    forward = 2.0 * tokens * (d * 4 * d + 4 * d * d + d * VOCAB)
    return forward, 3 * forward


def frond_command(frond, d, inputs_file, tiles, repeat, device):
    cmd = [frond, "eval", SPEC, "--inputs", inputs_file, "--set", f"model.d={d}",
           "--gradient", "--repeat", str(repeat), "--device", device]
    if device == "cuda":
        cmd += ["--profile-kernels", "--matmul-tiles", tiles]
    return cmd


def run_frond(cmd, repeat):
    p = subprocess.run(cmd, capture_output=True, text=True)
    row = {"command": " ".join(cmd), "exit": p.returncode}
    if p.returncode != 0:
        row["error"] = (p.stderr or p.stdout).strip().splitlines()[-1:] or ["failed"]
        return row
    totals, row["other_kernels_share"] = kernel_totals(p.stdout)
    row["forward_ms"], row["gradient_ms"] = matmul_times(totals, repeat)
    row["compile_s"] = [float(c) for c in re.findall(r"compile: ([0-9.]+) s", p.stdout)]
    return row


def torch_times(tokens, d, tiles, repeat):
    """(forward ms, gradient ms) of the same products with torch.matmul."""
    import torch
    torch.backends.cuda.matmul.allow_tf32 = tiles == "tf32"
    dt = getattr(torch, TORCH_TYPE[tiles])
    dev = "cuda"
    x = torch.randn(tokens, d, device=dev, dtype=dt)
    ws = [torch.randn(4 * d, d, device=dev, dtype=dt), torch.randn(d, 4 * d, device=dev, dtype=dt),
          torch.randn(VOCAB, d, device=dev, dtype=dt)]
    ins = [x, torch.randn(tokens, 4 * d, device=dev, dtype=dt), x]
    outs = [torch.randn(tokens, w.shape[0], device=dev, dtype=dt) for w in ws]

    def forward():
        for a, w in zip(ins, ws):
            torch.matmul(a, w.t())

    def gradient():
        for a, w, g in zip(ins, ws, outs):
            torch.matmul(a, w.t())
            torch.matmul(g, w)     # dX
            torch.matmul(g.t(), a)  # dW

    return cuda_median_ms(forward, repeat), cuda_median_ms(gradient, repeat)


def table(rows):
    lines = ["| d | tiles | frond fwd | cuBLAS fwd | frond/cuBLAS fwd | frond grad | cuBLAS grad "
             "| frond/cuBLAS grad | other kernels |",
             "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        fr, tc = r["frond"], r.get("torch") or (None, None)
        n_f, n_g = tflops(r["flops_fwd"], fr.get("forward_ms")), tflops(r["flops_grad"], fr.get("gradient_ms"))
        t_f, t_g = tflops(r["flops_fwd"], tc[0]), tflops(r["flops_grad"], tc[1])
        lines.append(f"| {r['d']} | {r['tiles']} | {fmt(n_f)} | {fmt(t_f)} | {ratio(n_f, t_f)} "
                     f"| {fmt(n_g)} | {fmt(t_g)} | {ratio(n_g, t_g)} "
                     f"| {fr.get('other_kernels_share', '—')}% |")
    return "\n".join(lines)


def batch(tokens):
    import random
    rng = random.Random(0)
    b = max(1, tokens // SEQ)
    return {"tokens": ([b, SEQ], [rng.randrange(VOCAB) for _ in range(b * SEQ)])}


def bench(args):
    import torch
    device = torch.cuda.get_device_name(0)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "tokens.safetensors")
        write_safetensors(path, batch(args.tokens))
        tokens = max(1, args.tokens // SEQ) * SEQ
        for d in args.dims:
            f_fwd, f_grad = flops(tokens, d)
            for tiles in args.tiles:
                print(f"== d={d} tiles={tiles}", file=sys.stderr)
                row = {"d": d, "tiles": tiles, "tokens": tokens, "flops_fwd": f_fwd,
                       "flops_grad": f_grad,
                       "frond": run_frond(frond_command(args.frond, d, path, tiles, args.repeat,
                                                        "cuda"), args.repeat)}
                try:
                    row["torch"] = torch_times(tokens, d, tiles, args.repeat)
                except Exception as e:  # recorded, the others go on
                    row["torch_error"] = repr(e)
                torch.cuda.empty_cache()
                rows.append(row)
    os.makedirs(args.out, exist_ok=True)
    about = {"device": device, "date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
             "torch": torch.__version__, "command": " ".join(sys.argv)}
    with open(os.path.join(args.out, "matmul.json"), "w") as f:
        json.dump({"about": about, "rows": rows}, f, indent=1)
    with open(os.path.join(args.out, "matmul.md"), "w") as f:
        f.write(f"# Matmuls: Frond vs cuBLAS (torch.matmul)\n\n{device}, {about['date']}, "
                f"torch {torch.__version__}\n\n`{about['command']}`\n\nTFLOP/s of the MLP "
                "block's products (tokens x d -> 4d -> d, head 64); cuBLAS in the tile type "
                "(tf32: f32 with TF32 on).\n\n" + table(rows) + "\n")
    print(open(os.path.join(args.out, "matmul.md")).read())


def self_test(args):
    failures = 0

    def expect(ok, what):
        nonlocal failures
        print(("ok   " if ok else "FAIL ") + what)
        failures += not ok

    sample = ("GPU kernels: 9 launches, 10.000 ms on the GPU\n"
              "    total ms   share  launches     mean us  kernel\n"
              "       4.000   40.0%         4      1000.0  bench_grad_matmul_3\n"
              "       2.000   20.0%         2      1000.0  bench_forward_matmul_0\n"
              "       1.000   10.0%         1      1000.0  bench_grad_splitk_sum_4\n"
              "       2.000   20.0%         1      2000.0  bench_grad_layer_norm_1\n"
              "       1.000   10.0%         1      1000.0  (3 other kernels)\n")
    totals, other = kernel_totals(sample)
    expect(matmul_times(totals, 2) == (1.0, 2.5), "kernel table parsed")
    expect(other == 10.0, "other kernels' share read")
    expect(flops(2, 8) == (2.0 * 2 * (8 * 32 * 2 + 8 * 64), 3 * 2.0 * 2 * (8 * 32 * 2 + 8 * 64)),
           "flops")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "tokens.safetensors")
        b = {"tokens": ([2, 24], [i % VOCAB for i in range(48)])}
        write_safetensors(path, b)
        cmd = frond_command(args.frond, 16, path, "f32", 1, "cpu")
        p = subprocess.run(cmd, capture_output=True, text=True)
        expect(p.returncode == 0 and f"tokens from {path}" in p.stdout and "gradient: " in p.stdout,
               "frond eval --inputs (mlp.spec)")
        if p.returncode != 0:
            print(p.stderr)
    return 1 if failures else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ints = lambda s: [int(x) for x in s.split(",")]
    ap.add_argument("--frond", default="build/bin/frond")
    ap.add_argument("--out", default="bench-matmul")
    ap.add_argument("--dims", type=ints, default=[1024, 2048])
    ap.add_argument("--tokens", type=int, default=16384, help="B x T (T = 1024)")
    ap.add_argument("--tiles", type=lambda s: s.split(","), default=["f32", "tf32", "bf16"])
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--self-test", action="store_true")
    args = ap.parse_args()
    for t in args.tiles:
        if t not in TORCH_TYPE:
            ap.error(f"unknown tiles {t!r}: one of {', '.join(TORCH_TYPE)}")
    sys.exit(self_test(args) if args.self_test else bench(args))


if __name__ == "__main__":
    main()
