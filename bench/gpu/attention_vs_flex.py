#!/usr/bin/env python3
"""Frond's attention kernels side by side with FlexAttention and SDPA (issue 6).

On a GPU machine with PyTorch (flex_attention: 2.5 or later):

    python3 bench/gpu/attention_vs_flex.py --frond ./frond --out OUT
        [--forms causal,prefix_lm,sliding_window,document,alibi,softcap]
        [--dims 64,128] [--seq 1024,4096,16384] [--tokens 16384]
        [--hidden 1024] [--tiles bf16,f32] [--repeat 10]

For every form (mask or score modifier), head dimension D and sequence
length T it builds one batch (B = tokens / T sequences, H = hidden / D
heads): token ids and, for the forms that need them, per-sample source
lengths (prefix_lm, PALM) or document ids (contiguous documents of random
lengths). Frond reads the batch from a safetensors file (`frond eval
--inputs`) and runs the spec bench/gpu/attention/<form>.spec forward and
gradient on the GPU, `--repeat` times after a warm-up, with
`--profile-kernels`: the forward time is the mean of the attention forward
kernel (<model>_forward_attention_N), the backward time the sum of the means
of the dQ and dK/dV kernels (<model>_grad_attention_N_dq, _dkv). PyTorch
runs torch.compile'd flex_attention with the same mask as a block mask (and
the same score modifier), and SDPA (is_causal, or an explicit mask or bias
where that fits in memory), on bf16 q, k, v of the same shapes; each timed
with CUDA events, median of `--repeat` after a warm-up.

FLOPs count only the (query, key) pairs the mask allows, counted exactly
for the batch: forward 4 * pairs * H * D, backward 2.5 x the forward (the
FlexAttention convention). Writes OUT/attention.md (the table, with the
ratios Frond / FlexAttention) and OUT/attention.json (every raw number and
command).

Without a GPU or PyTorch, --self-test checks the parts that need neither:
the inputs file `frond eval --inputs` reads (run on the CPU), the pair
counts against brute force, and the parser of the kernel table.
"""
import argparse
import datetime
import json
import os
import random
import re
import statistics
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SPECS = os.path.join(HERE, "attention")
VOCAB = 64
WINDOW = 1024  # sliding_window.spec's window
SOFTCAP = 20.0  # softcap.spec's cap
FORMS = ["causal", "prefix_lm", "sliding_window", "document", "alibi", "softcap"]


# --- the batch -------------------------------------------------------------

def make_batch(form, batch, seq, seed):
    """Token ids and the form's extra inputs, as lists of ints."""
    rng = random.Random(f"{form}:{batch}:{seq}:{seed}")
    inputs = {"tokens": ([batch, seq], [rng.randrange(VOCAB) for _ in range(batch * seq)])}
    if form == "prefix_lm":
        inputs["src_len"] = ([batch], [rng.randint(1, seq - 1) for _ in range(batch)])
    if form == "document":
        doc = []
        for _ in range(batch):
            row, d = [], 0
            while len(row) < seq:  # documents of 64 to 2048 tokens
                row += [d] * rng.randint(64, 2048)
                d += 1
            doc += row[:seq]
        inputs["doc"] = ([batch, seq], doc)
    return inputs


def write_safetensors(path, inputs):
    """Every input as I64 (the format frond's runtime reads)."""
    header, blobs, offset = {}, [], 0
    for name in sorted(inputs):
        shape, values = inputs[name]
        blob = struct.pack(f"<{len(values)}q", *values)
        header[name] = {"dtype": "I64", "shape": shape, "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def allowed_pairs(form, inputs):
    """(query, key) pairs the form's mask allows, summed over the batch."""
    (batch, seq), _ = inputs["tokens"]
    causal = seq * (seq + 1) // 2
    if form in ("causal", "alibi", "softcap"):
        return batch * causal
    if form == "sliding_window":
        w = min(WINDOW, seq)
        return batch * (w * (w + 1) // 2 + (seq - w) * w)
    if form == "prefix_lm":
        return sum(s * s + (seq * (seq + 1) - s * (s + 1)) // 2 for s in inputs["src_len"][1])
    if form == "document":
        doc, total = inputs["doc"][1], 0
        for b in range(batch):
            row = doc[b * seq:(b + 1) * seq]
            for d in set(row):
                n = row.count(d)
                total += n * (n + 1) // 2
        return total
    raise ValueError(form)


def allowed_brute_force(form, inputs):
    (batch, seq), _ = inputs["tokens"]
    total = 0
    for b in range(batch):
        for q in range(seq):
            for k in range(seq):
                if form in ("causal", "alibi", "softcap"):
                    ok = k <= q
                elif form == "sliding_window":
                    ok = k <= q and q - k < WINDOW
                elif form == "prefix_lm":
                    ok = k <= q or k < inputs["src_len"][1][b]
                else:
                    row = inputs["doc"][1][b * seq:(b + 1) * seq]
                    ok = k <= q and row[q] == row[k]
                total += ok
    return total


# --- Frond -----------------------------------------------------------------

KERNEL_ROW = re.compile(r"^\s+([0-9.]+)\s+([0-9.]+)%\s+(\d+)\s+([0-9.]+)\s+(\S+)$")


def kernel_means(stdout):
    """{kernel: mean microseconds} from --profile-kernels' table."""
    means = {}
    for line in stdout.splitlines():
        m = KERNEL_ROW.match(line)
        if m:
            means[m.group(5)] = float(m.group(4))
    return means


def attention_times(means):
    """(forward ms, backward ms) of the first attention: its forward kernel,
    and its dQ + dK/dV kernels; None where absent."""
    fwd = [v for k, v in sorted(means.items()) if re.search(r"_forward_attention_\d+$", k)]
    dq = [v for k, v in sorted(means.items()) if re.search(r"_grad_attention_\d+_dq$", k)]
    dkv = [v for k, v in sorted(means.items()) if re.search(r"_grad_attention_\d+_dkv$", k)]
    forward = fwd[0] / 1e3 if fwd else None
    backward = (dq[0] + dkv[0]) / 1e3 if dq and dkv else None
    return forward, backward


def frond_command(frond, form, heads, dim, inputs_file, tiles, repeat, device):
    cmd = [frond, "eval", os.path.join(SPECS, form + ".spec"), "--inputs", inputs_file,
           "--set", f"model.d={heads * dim}", "--set", f"model.heads={heads}",
           "--gradient", "--repeat", str(repeat), "--device", device]
    if device == "cuda":
        cmd += ["--profile-kernels", "--attention-tiles", tiles]
    return cmd


def run_frond(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    row = {"command": " ".join(cmd), "exit": p.returncode}
    if p.returncode != 0:
        row["error"] = (p.stderr or p.stdout).strip().splitlines()[-1:] or ["failed"]
        return row
    row["forward_ms"], row["backward_ms"] = attention_times(kernel_means(p.stdout))
    compile_s = re.findall(r"compile: ([0-9.]+) s", p.stdout)
    row["compile_s"] = [float(c) for c in compile_s]
    return row


# --- PyTorch ---------------------------------------------------------------

def cuda_median_ms(fn, repeat):
    """The median GPU time of `fn` (CUDA events), ms, over `repeat` calls
    after 3 warm-up calls."""
    import torch
    for _ in range(3):
        fn()
    times = []
    for _ in range(repeat):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)


def torch_rows(form, inputs, heads, dim, repeat):
    import torch
    from torch.nn.attention.flex_attention import create_block_mask, flex_attention

    dev = "cuda"
    (batch, seq), _ = inputs["tokens"]
    src_len = torch.tensor(inputs["src_len"][1], device=dev) if form == "prefix_lm" else None
    doc = (torch.tensor(inputs["doc"][1], device=dev).view(batch, seq)
           if form == "document" else None)
    slopes = torch.tensor([2.0 ** (-8.0 * (h + 1) / heads) for h in range(heads)], device=dev)

    def mask_mod(b, h, q, k):
        if form == "sliding_window":
            return (k <= q) & (q - k < WINDOW)
        if form == "prefix_lm":
            return (k <= q) | (k < src_len[b])
        if form == "document":
            return (k <= q) & (doc[b, q] == doc[b, k])
        return k <= q

    score_mod = None
    if form == "alibi":
        def score_mod(s, b, h, q, k):
            return s - slopes[h] * (q - k)
    elif form == "softcap":
        def score_mod(s, b, h, q, k):
            return SOFTCAP * torch.tanh(s / SOFTCAP)

    per_sample = form in ("prefix_lm", "document")
    block_mask = create_block_mask(mask_mod, batch if per_sample else None, None, seq, seq, device=dev)
    flex = torch.compile(flex_attention, dynamic=False)
    q, k, v = (torch.randn(batch, heads, seq, dim, device=dev, dtype=torch.bfloat16,
                           requires_grad=True) for _ in range(3))
    dout = torch.randn(batch, heads, seq, dim, device=dev, dtype=torch.bfloat16)

    def measure(forward):
        out = forward()
        fwd = cuda_median_ms(lambda: forward(), repeat)
        bwd = cuda_median_ms(lambda: out.backward(dout, retain_graph=True), repeat)
        return fwd, bwd

    rows = {}
    rows["flex"] = measure(lambda: flex(q, k, v, score_mod=score_mod, block_mask=block_mask))

    # SDPA: is_causal, or the mask (bool) / ALiBi bias materialised when
    # it fits in 2 GiB; soft-capping has no SDPA form.
    F = torch.nn.functional
    if form in ("causal",):
        rows["sdpa"] = measure(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True))
    elif form != "softcap" and batch * seq * seq * 2 <= 2 ** 31:
        qi = torch.arange(seq, device=dev)[:, None]
        ki = torch.arange(seq, device=dev)[None, :]
        if form == "alibi":
            bias = (-(slopes[:, None, None] * (qi - ki)[None]).to(torch.bfloat16)
                    .masked_fill(~(ki <= qi)[None], float("-inf")))[None]
        else:
            bias = torch.stack([mask_mod(b, 0, qi, ki) for b in range(batch)])[:, None]
        rows["sdpa"] = measure(lambda: F.scaled_dot_product_attention(q, k, v, attn_mask=bias))
    return rows


# --- the table -------------------------------------------------------------

def tflops(flops, ms):
    return flops / (ms * 1e-3) / 1e12 if ms else None


def fmt(x, digits=1):
    return "—" if x is None else f"{x:.{digits}f}"


def ratio(a, b):
    return f"{a / b:.2f}×" if a and b else "—"


def table(rows, tiles):
    lines = ["| form | D | T | B×H | density | flex fwd | frond fwd | frond/flex fwd | sdpa fwd "
             "| flex bwd | frond bwd | frond/flex bwd | sdpa bwd |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        fl = r.get("torch", {}).get("flex") or (None, None)
        sd = r.get("torch", {}).get("sdpa") or (None, None)
        fr = r["frond"].get(tiles, {})
        f_fwd, f_bwd = tflops(r["flops_fwd"], fl[0]), tflops(r["flops_bwd"], fl[1])
        s_fwd, s_bwd = tflops(r["flops_fwd"], sd[0]), tflops(r["flops_bwd"], sd[1])
        n_fwd = tflops(r["flops_fwd"], fr.get("forward_ms"))
        n_bwd = tflops(r["flops_bwd"], fr.get("backward_ms"))
        lines.append(f"| {r['form']} | {r['dim']} | {r['seq']} | {r['batch']}×{r['heads']} "
                     f"| {r['density']:.3f} | {fmt(f_fwd)} | {fmt(n_fwd)} | {ratio(n_fwd, f_fwd)} "
                     f"| {fmt(s_fwd)} | {fmt(f_bwd)} | {fmt(n_bwd)} | {ratio(n_bwd, f_bwd)} "
                     f"| {fmt(s_bwd)} |")
    return "\n".join(lines)


def bench(args):
    import torch
    device = torch.cuda.get_device_name(0)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for form in args.forms:
            for dim in args.dims:
                heads = args.hidden // dim
                for seq in args.seq:
                    batch = max(1, args.tokens // seq)
                    inputs = make_batch(form, batch, seq, args.seed)
                    path = os.path.join(tmp, f"{form}-{seq}.safetensors")
                    write_safetensors(path, inputs)
                    pairs = allowed_pairs(form, inputs)
                    row = {"form": form, "dim": dim, "seq": seq, "batch": batch, "heads": heads,
                           "density": pairs / (batch * seq * seq),
                           "flops_fwd": 4.0 * pairs * heads * dim,
                           "flops_bwd": 2.5 * 4.0 * pairs * heads * dim, "frond": {}}
                    print(f"== {form} D={dim} T={seq} B={batch} H={heads}", file=sys.stderr)
                    for tiles in args.tiles:
                        row["frond"][tiles] = run_frond(frond_command(
                            args.frond, form, heads, dim, path, tiles, args.repeat, "cuda"))
                    try:
                        row["torch"] = torch_rows(form, inputs, heads, dim, args.repeat)
                    except Exception as e:  # recorded, the others go on
                        row["torch"] = {"error": repr(e)}
                    torch.cuda.empty_cache()
                    rows.append(row)
    os.makedirs(args.out, exist_ok=True)
    about = {"device": device, "date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
             "torch": torch.__version__, "command": " ".join(sys.argv)}
    with open(os.path.join(args.out, "attention.json"), "w") as f:
        json.dump({"about": about, "rows": rows}, f, indent=1)
    with open(os.path.join(args.out, "attention.md"), "w") as f:
        f.write(f"# Attention: Frond vs FlexAttention and SDPA\n\n{device}, {about['date']}, "
                f"torch {torch.__version__}\n\n`{about['command']}`\n\nTFLOP/s (bf16 q, k, v for "
                "PyTorch); FLOPs of the allowed pairs only.\n")
        for tiles in args.tiles:
            f.write(f"\n## Frond with {tiles} attention tiles\n\n{table(rows, tiles)}\n")
    print(open(os.path.join(args.out, "attention.md")).read())


# --- self-test (no GPU, no PyTorch) ----------------------------------------

def self_test(args):
    failures = 0

    def expect(ok, what):
        nonlocal failures
        print(("ok   " if ok else "FAIL ") + what)
        failures += not ok

    for form in FORMS:
        for seq in (7, 40):
            inputs = make_batch(form, 3, seq, 0)
            expect(allowed_pairs(form, inputs) == allowed_brute_force(form, inputs),
                   f"pairs {form} T={seq}")
    sample = ("GPU kernels: 3 launches, 3.000 ms on the GPU\n"
              "    total ms   share  launches     mean us  kernel\n"
              "       2.000   66.7%         2      1000.0  bench_forward_attention_0\n"
              "       0.600   20.0%         1       600.0  bench_grad_attention_2_dq\n"
              "       0.400   13.3%         1       400.0  bench_grad_attention_2_dkv\n")
    expect(attention_times(kernel_means(sample)) == (1.0, 1.0), "kernel table parsed")
    with tempfile.TemporaryDirectory() as tmp:
        for form in ("prefix_lm", "document"):
            inputs = make_batch(form, 2, 24, 0)
            path = os.path.join(tmp, form + ".safetensors")
            write_safetensors(path, inputs)
            cmd = frond_command(args.frond, form, 2, 8, path, "f32", 1, "cpu")
            p = subprocess.run(cmd, capture_output=True, text=True)
            names = ", ".join(sorted(inputs))
            expect(p.returncode == 0 and f"{names} from {path}" in p.stdout
                   and "gradient: " in p.stdout, f"frond eval --inputs ({form})")
            if p.returncode != 0:
                print(p.stderr)
    return 1 if failures else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ints = lambda s: [int(x) for x in s.split(",")]
    ap.add_argument("--frond", default="build/bin/frond")
    ap.add_argument("--out", default="bench-attention")
    ap.add_argument("--forms", type=lambda s: s.split(","), default=FORMS)
    ap.add_argument("--dims", type=ints, default=[64, 128])
    ap.add_argument("--seq", type=ints, default=[1024, 4096, 16384])
    ap.add_argument("--tokens", type=int, default=16384, help="B x T of each batch")
    ap.add_argument("--hidden", type=int, default=1024, help="H x D")
    ap.add_argument("--tiles", type=lambda s: s.split(","), default=["bf16", "f32"])
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--self-test", action="store_true")
    args = ap.parse_args()
    for form in args.forms:
        if form not in FORMS:
            ap.error(f"unknown form {form!r}: one of {', '.join(FORMS)}")
    sys.exit(self_test(args) if args.self_test else bench(args))


if __name__ == "__main__":
    main()
