#!/usr/bin/env bash
# test.sh: everything CI runs, from a fresh machine. Installs dependencies, builds and runs the
# whole ctest suite in the normal build, then builds the runtime and its tests under
# ThreadSanitizer and runs them again there.
#   scripts/test.sh            all of it
#   scripts/test.sh release    one preset only (release, tsan, asan, ubsan, debug)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"

presets=("$@")
[ ${#presets[@]} -gt 0 ] || presets=(release tsan)

for preset in "${presets[@]}"; do
  echo "=== weft: $preset build ==="
  "$root/scripts/build.sh" "$preset"
  echo "=== weft: $preset tests ==="
  env_args=()
  case "$preset" in
    tsan) env_args=(TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1") ;;
    asan) env_args=(ASAN_OPTIONS="detect_leaks=1") ;;
  esac
  env "${env_args[@]}" ctest --test-dir "$root/build/$preset" --output-on-failure -j "$(nproc)" \
    --timeout 600
done
