#!/usr/bin/env bash
# GPU compile time per experiment (issue 6's goal: under 2 s).
#
# Times `frond compile --target=cuda --emit=ptx` for every experiment: the
# forward, and with --gradient the loss's gradient function as training
# compiles it (MLIRGen, the CUDA pipeline, LLVM's NVPTX backend for every
# kernel). No GPU is needed: the PTX is made on the host, as `--device cuda`
# does before loading it. Prints a markdown table of the median of RUNS runs
# (default 3) and the kernel count; the raw runs go to stderr.
#
# usage: bench/gpu/compile_time.sh [FROND] [RUNS] [TILES]
#   FROND: build/bin/frond; TILES: the attention tiles, f32 (default), bf16
#   or f16 (the tensor-core kernels, forward and backward)
set -euo pipefail
cd "$(dirname "$0")/../.."
frond=${1:-build/bin/frond}
runs=${2:-3}
tiles=${3:-f32}
[ -x "$frond" ] || { echo "compile_time.sh: no frond at $frond; build it first (make build)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# One configuration: prints "median-seconds kernels modules" (the outlined
# kernels share one PTX module, each attention kernel has its own).
measure() {
  local spec=$1; shift
  local times=()
  for ((i = 0; i < runs; i++)); do
    local t0 t1
    t0=$(date +%s.%N)
    if ! "$frond" compile "$spec" --target=cuda --emit=ptx --attention-tiles="$tiles" "$@" >"$tmp/out.ptx" 2>"$tmp/err"; then
      echo "n/a $(head -c 200 "$tmp/err" | tr '\n' ' ')"
      return
    fi
    t1=$(date +%s.%N)
    times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')")
    echo "  $spec $* run $i: ${times[-1]} s" >&2
  done
  echo "$(printf '%s\n' "${times[@]}" | median) $(grep -c '^\.visible \.entry' "$tmp/out.ptx") $(grep -c '^// gpu.binary' "$tmp/out.ptx")"
}

echo "attention tiles: $tiles"
echo
echo "| experiment | forward: s | kernels (modules) | gradient: s | kernels (modules) |"
echo "| --- | ---: | ---: | ---: | ---: |"
for spec in experiments/*.spec; do
  read -r fs fk fm <<<"$(measure "$spec")"
  read -r gs gk gm <<<"$(measure "$spec" --gradient)"
  printf '| %s | %s | %s (%s) | %s | %s (%s) |\n' "$(basename "$spec" .spec)" "$fs" "$fk" "$fm" "$gs" "$gk" "$gm"
done
