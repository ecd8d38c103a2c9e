#!/usr/bin/env bash
# Installs the Debian packages Frond needs, only those that are missing.
# Run as root on Debian 12 (bookworm); used by `make run` and `make test`.
set -euo pipefail

PACKAGES=(
  cmake ninja-build ccache g++ python3 git
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools clang-22
  libantlr4-runtime-dev antlr4 libtomlplusplus-dev libgtest-dev
  libtorch-dev
  # frond serve: HTTP server and JSON
  libcpp-httplib-dev nlohmann-json3-dev pkg-config
  # make portable: static zlib, xz
  zlib1g-dev xz-utils
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "frond: installing missing packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO=sudo; else
    echo "frond: error: need root to install ${missing[*]} (run as root or install them)" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
