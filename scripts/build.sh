#!/usr/bin/env bash
# build.sh PRESET: configure and build one preset into build/PRESET.
#   release  optimised, with tests        debug  -O0 with assertions
#   tsan     ThreadSanitizer              asan   AddressSanitizer + LeakSanitizer
#   ubsan    UndefinedBehaviorSanitizer   bench  release + benchmarks
set -euo pipefail
preset=${1:-release}
root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/build/$preset"
args=(-G Ninja -S "$root" -B "$dir" -DWEFT_WARNINGS_AS_ERRORS=ON)
case "$preset" in
  release) args+=(-DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
  debug) args+=(-DCMAKE_BUILD_TYPE=Debug) ;;
  # The mutation test is a deterministic, single-threaded second build of the runtime: the
  # normal build runs it; TSan would only double the CI's compile time.
  tsan) args+=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DWEFT_TSAN=ON -DWEFT_BUILD_MUTANTS=OFF) ;;
  asan) args+=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DWEFT_ASAN=ON) ;;
  ubsan) args+=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DWEFT_UBSAN=ON) ;;
  bench) args+=(-DCMAKE_BUILD_TYPE=Release -DWEFT_BUILD_BENCHMARKS=ON -DWEFT_BUILD_TESTS=OFF) ;;
  *) echo "build.sh: unknown preset '$preset' (release debug tsan asan ubsan bench)" >&2; exit 2 ;;
esac
cmake "${args[@]}" >/dev/null
cmake --build "$dir" -j "$(nproc)"
