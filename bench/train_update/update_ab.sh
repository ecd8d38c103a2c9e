#!/usr/bin/env bash
# The optimizer's update on the host (runtime::Optimizer after each
# gradient) against the update compiled into the training step
# (--optimizer-step compiled), side by side: RUNS alternating pairs of
# `frond train` runs of the same experiment, each timed by its own summary
# ("... in X s of training steps": the steps alone, not compile,
# validation or checkpoints). Prints every pair's times and the median
# ratio host / compiled (> 1: the compiled update is faster).
#
#   bench/train_update/update_ab.sh [FROND] [SPEC] [RUNS] [-- frond train flags]
#
# Defaults: build/bin/frond, experiments/baseline.spec, 5 pairs, and
# --steps 20 --batch 8 --seq-len 64 --eval-every 0. Add --device cuda on a
# GPU machine. The first pair compiles (the JIT caches it); it is not counted.
set -uo pipefail
cd "$(dirname "$0")/../.."
frond=${1:-build/bin/frond}
spec=${2:-experiments/baseline.spec}
runs=${3:-5}
shift $(( $# < 3 ? $# : 3 ))
[ "${1:-}" = "--" ] && shift
flags=("$@")
[ ${#flags[@]} -eq 0 ] && flags=(--steps 20 --batch 8 --seq-len 64 --eval-every 0)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

seconds() { sed -n 's/.* in \([0-9.]*\) s of training steps.*/\1/p' "$1"; }
run() { # mode, index
  rm -rf "$out/run"
  "$frond" train "$spec" "${flags[@]}" --optimizer-step "$1" --out "$out/run" \
    >"$out/$1.$2.log" 2>&1 || { echo "frond train --optimizer-step $1 failed:" >&2; tail -3 "$out/$1.$2.log" >&2; exit 1; }
  seconds "$out/$1.$2.log"
}

echo "frond train $spec ${flags[*]}"
echo "pair  host s  compiled s  host/compiled"
ratios=()
for i in $(seq 0 "$runs"); do
  h=$(run host "$i")
  c=$(run compiled "$i")
  r=$(awk -v h="$h" -v c="$c" 'BEGIN { printf "%.3f", h / c }')
  [ "$i" -eq 0 ] && { echo "warm-up: $h  $c  (not counted)"; continue; }
  echo "$i     $h   $c   $r"
  ratios+=("$r")
done
median=$(printf '%s\n' "${ratios[@]}" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
echo "median host/compiled: $median"
