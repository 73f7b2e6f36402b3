#!/usr/bin/env bash
# Installs what weft needs to build and test, from Debian's packages. Idempotent: installs only
# what is missing, and runs apt-get update only when something is.
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config
  libboost-context-dev libboost-fiber-dev
  libgtest-dev libgmock-dev librapidcheck-dev libbenchmark-dev libfmt-dev
)
# Extra groups, requested by the caller: "clang" (clang 19 and its sanitizer runtimes), "go"
# (Go 1.19 for the side-by-side benchmarks).
for extra in "$@"; do
  case "$extra" in
    clang) packages+=(clang-19 libclang-rt-19-dev) ;;
    go) packages+=(golang-1.19-go) ;;
    *) echo "install-deps.sh: unknown group '$extra' (expected: clang, go)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "install-deps.sh: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
