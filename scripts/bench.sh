#!/usr/bin/env bash
# bench.sh: weft's production workloads beside the same workloads in Go 1.19 and on
# Boost.Fiber, plus the explorer's throughput. Installs what it needs, builds the bench preset
# (Release), runs the three suites BENCH_REPS times (default 5), alternating so that machine
# drift hits all of them alike, then prints a side-by-side table of medians (min-max) and
# ratios, and writes build/bench/results/{results.csv,results.json,results.svg}.
#   scripts/bench.sh                 full run (~10 minutes on 2 cores)
#   BENCH_QUICK=1 scripts/bench.sh   one short repetition, to check that everything runs
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh" go
command -v python3 >/dev/null || { apt-get update -qq && apt-get install -y -qq python3 >/dev/null; }
"$root/scripts/build.sh" bench

reps=${BENCH_REPS:-5}
min_time=0.5
go_time=0.5s
if [ "${BENCH_QUICK:-0}" = 1 ]; then reps=1; min_time=0.05; go_time=0.05s; fi
out="$root/build/bench/results"
rm -rf "$out" && mkdir -p "$out"
bin="$root/build/bench/bench"
go=/usr/lib/go-1.19/bin/go
export GOCACHE="$root/build/bench/gocache" GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local

for r in $(seq 1 "$reps"); do
  echo "=== repetition $r/$reps: weft"
  "$bin/weft_bench" --benchmark_min_time="$min_time" --benchmark_format=json >"$out/weft_$r.json"
  echo "=== repetition $r/$reps: Go $($go env GOVERSION)"
  (cd "$root/bench/go" && $go test -run '^$' -bench . -benchtime="$go_time") >"$out/go_$r.txt"
  echo "=== repetition $r/$reps: Boost.Fiber"
  "$bin/fiber_bench" --benchmark_min_time="$min_time" --benchmark_format=json >"$out/fiber_$r.json"
done
echo "=== explorer"
"$bin/explorer_bench" --benchmark_format=json >"$out/explorer.json"
python3 "$root/bench/report.py" "$out"
