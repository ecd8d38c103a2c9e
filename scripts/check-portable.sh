#!/usr/bin/env bash
# scripts/check-portable.sh [BUILD-PORTABLE]: checks what `make portable`
# made: frond.xz is under 60 MB; the binary needs no shared library but
# glibc's; unpacked alone in an empty directory (no stdlib beside it, no
# MLIR runtime library loaded) it checks and evaluates an experiment, and
# says plainly whether there is a GPU.
set -euo pipefail

dir=${1:-build-portable}
src=$(cd "$(dirname "$0")/.." && pwd)
limit=$((60 * 1000 * 1000))

size=$(stat -c %s "$dir/frond.xz")
awk -v x="$size" -v u="$(stat -c %s "$dir/frond")" \
  'BEGIN { printf "frond.xz: %d bytes (%.1f MB; unpacked %.1f MB)\n", x, x / 1e6, u / 1e6 }'
if [ "$size" -ge "$limit" ]; then
  echo "frond: error: $dir/frond.xz is $size bytes, over the 60 MB limit" >&2
  exit 1
fi

# Only glibc (and the kernel's vDSO) may remain shared.
allowed='^(linux-vdso\.so\.1|libc\.so\.6|libm\.so\.6|libdl\.so\.2|libpthread\.so\.0|librt\.so\.1|/lib64/ld-linux-x86-64\.so\.2)$'
libs=$(ldd "$dir/frond" | awk '{print $1}')
echo "shared libraries:" $libs
for lib in $libs; do
  if ! [[ $lib =~ $allowed ]]; then
    echo "frond: error: the portable frond needs $lib (only glibc's libraries may remain)" >&2
    exit 1
  fi
done

# Smoke test: the compressed binary, unpacked alone into an empty directory.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
xz -dc "$dir/frond.xz" > "$tmp/frond"
chmod +x "$tmp/frond"
cd "$tmp"
export FROND_CACHE_DIR="$tmp/cache"
unset FROND_STDLIB
./frond devices
./frond check "$src/experiments/baseline.spec"
# Where strace is installed, also check that no MLIR, LLVM, ANTLR, libstdc++
# or libtorch file is opened at run time.
trace=()
if command -v strace >/dev/null; then trace=(strace -f -qq -e trace=openat -o "$tmp/opens"); fi
"${trace[@]}" ./frond eval "$src/experiments/baseline.spec" --variant small --batch 2 --seq-len 32
if [ -f "$tmp/opens" ] && grep -E 'llvm-|mlir|antlr|libstdc\+\+|libtorch' "$tmp/opens" | grep -v ENOENT; then
  echo "frond: error: the portable frond opened the files above at run time" >&2
  exit 1
fi
if ./frond check --numerics "$src/experiments/baseline.spec" 2>&1; then
  echo "frond: error: check --numerics should say the portable frond has no reference" >&2
  exit 1
fi
echo "portable frond: ok"
