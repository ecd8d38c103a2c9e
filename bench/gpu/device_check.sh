#!/usr/bin/env bash
# Issue 6's checks on a GPU machine, in one command, so a session that is
# lent a GPU spends its device time running them rather than typing them.
#
#   bench/gpu/device_check.sh references DIR
#       Here (libtorch present): saves each experiment's libtorch results
#       (`frond check --numerics --save-reference`) as DIR/<name>.ref, and
#       with eager bf16 attention and bf16 matmul operands (the yardstick
#       of bf16 tiles, checked here through the emulated kernels) as
#       DIR/<name>.bf16.ref.
#   bench/gpu/device_check.sh run FROND DIR OUT
#       There (no MLIR, no libtorch: the portable frond): `frond devices`,
#       then per experiment `check --numerics --device cuda --reference`
#       with f32 and with bf16 attention and matmul tiles,
#       `train --device cuda` for STEPS steps (default 20), with f32 tiles
#       and with bf16 ones (the tensor-core forward and backward), and with
#       the optimizer's update on the host instead of compiled into the
#       step (the largest relative difference of their losses), and
#       `generate --device cuda` (24 greedy tokens: recall's positions end
#       at 32), with the decode step replayed as a CUDA graph and with
#       FROND_NO_CUDA_GRAPHS=1 (tokens/s of each; the texts must agree),
#       and the GPU compile times; every command's output goes to
#       OUT/<name>.<step>.log and a summary table to OUT/summary.md.
#       A failing step is recorded and the script goes on.
#
# The sizes match between the two modes: --batch 2 --seq-len 16, seed 0.
# Experiments: all of experiments/*.spec, or those named in EXPERIMENTS.
set -uo pipefail
cd "$(dirname "$0")/../.."

sizes=(--batch 2 --seq-len 16)
experiments=${EXPERIMENTS:-$(ls experiments/*.spec | xargs -n1 basename | sed 's/\.spec$//')}
usage() { sed -n '5,21p' "$0" >&2; exit 2; }

case "${1:-}" in
references)
  [ $# -eq 2 ] || usage
  dir=$2
  mkdir -p "$dir"
  for e in $experiments; do
    echo "== $e: saving the libtorch reference"
    build/bin/frond check "experiments/$e.spec" --numerics "${sizes[@]}" \
      --save-reference "$dir/$e.ref" | tail -2 || echo "   (failed: $e)"
    build/bin/frond check "experiments/$e.spec" --numerics "${sizes[@]}" --emulate-gpu-attention \
      --attention-tiles bf16 --matmul-tiles bf16 --save-reference "$dir/$e.bf16.ref" | tail -2 ||
      echo "   (failed: $e, bf16)"
  done
  ;;
run)
  [ $# -eq 4 ] || usage
  frond=$2 dir=$3 out=$4
  steps=${STEPS:-20}
  mkdir -p "$out"
  summary="$out/summary.md"
  {
    echo "# GPU checks, $(date -u +%Y-%m-%dT%H:%MZ)"
    echo
    "$frond" devices 2>&1 | sed 's/^/    /'
    echo
    echo "bf16 tiles: attention and matmuls on tensor cores (--attention-tiles bf16 --matmul-tiles bf16)."
    echo
    echo "| experiment | numerics f32 | numerics bf16 tiles | train ($steps steps) | train bf16 tiles | update compiled vs host (loss diff) | generate | tokens/s graph / launches | compile s (gradient) |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- | ---: |"
  } >"$summary"
  "$frond" devices >"$out/devices.log" 2>&1 || { echo "no GPU: see $out/devices.log" >&2; exit 1; }
  verdict() { [ "$1" -eq 0 ] && echo ok || echo "FAILED ($1)"; }
  for e in $experiments; do
    spec="experiments/$e.spec"
    echo "== $e" >&2
    "$frond" check "$spec" --numerics --device cuda "${sizes[@]}" --reference "$dir/$e.ref" \
      >"$out/$e.numerics.log" 2>&1
    numerics=$(verdict $?)
    "$frond" check "$spec" --numerics --device cuda --attention-tiles bf16 --matmul-tiles bf16 "${sizes[@]}" \
      --reference "$dir/$e.bf16.ref" >"$out/$e.numerics-bf16.log" 2>&1
    numerics16=$(verdict $?)
    "$frond" train "$spec" --device cuda --steps "$steps" "${sizes[@]}" --out "$out/run-$e" \
      >"$out/$e.train.log" 2>&1
    train=$(verdict $?)
    "$frond" train "$spec" --device cuda --attention-tiles bf16 --matmul-tiles bf16 --steps "$steps" "${sizes[@]}" \
      --out "$out/run-$e-bf16" >"$out/$e.train-bf16.log" 2>&1
    train16=$(verdict $?)
    "$frond" train "$spec" --device cuda --optimizer-step host --steps "$steps" "${sizes[@]}" \
      --out "$out/run-$e-host" >"$out/$e.train-host.log" 2>&1
    update="$(verdict $?) ($(python3 tests/lit/train/Inputs/metrics.py loss-difference \
      "$out/run-$e/metrics.jsonl" "$out/run-$e-host/metrics.jsonl" 2>&1 | tail -1))"
    prompt="1 2 3" # token ids for synthetic tasks, bytes for text data
    grep -q 'text(' "$spec" && prompt="The "
    "$frond" generate "$spec" --device cuda --checkpoint "$out/run-$e" --prompt "$prompt" \
      --max-tokens 24 --greedy >"$out/$e.generate.txt" 2>"$out/$e.generate.log"
    generate=$(verdict $?)
    FROND_NO_CUDA_GRAPHS=1 "$frond" generate "$spec" --device cuda --checkpoint "$out/run-$e" \
      --prompt "$prompt" --max-tokens 24 --greedy >"$out/$e.generate-launches.txt" \
      2>"$out/$e.generate-launches.log"
    cmp -s "$out/$e.generate.txt" "$out/$e.generate-launches.txt" ||
      generate="$generate (texts differ without graphs)"
    rate() { sed -n 's/.*(\([0-9.]*\) tokens\/s.*/\1/p' "$1" | tail -1; }
    rates="$(rate "$out/$e.generate.log") / $(rate "$out/$e.generate-launches.log")"
    t0=$(date +%s.%N)
    "$frond" compile "$spec" --target=cuda --emit=ptx --gradient >/dev/null 2>"$out/$e.compile.log"
    compile=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
    echo "| $e | $numerics | $numerics16 | $train | $train16 | $update | $generate | $rates | $compile |" >>"$summary"
  done
  cat "$summary"
  ;;
*)
  usage
  ;;
esac
