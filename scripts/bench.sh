#!/usr/bin/env bash
# bench.sh: weft's production workloads beside the same workloads in Go 1.19 and on Boost.Fiber,
# plus the explorer's throughput. Installs what it needs (only what is missing), builds the
# bench preset (Release) into build/bench, runs the three suites BENCH_REPS times (default 5),
# alternating weft / Go / Boost.Fiber within each repetition so that machine drift hits all of
# them alike, then prints a side-by-side table of medians (min-max) and ratios and writes
# build/bench/results.csv, results.json and results.svg (raw outputs: build/bench/raw/).
#   scripts/bench.sh                  full run (about 20 minutes on 2 cores)
#   BENCH_REPS=3 scripts/bench.sh     fewer repetitions
#   BENCH_QUICK=1 scripts/bench.sh    one short repetition, to check that everything runs
#   BENCH_TIMEOUT=120                 seconds one benchmark process may take before it is
#                                     killed as hung (default 120)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

"$root/scripts/install-deps.sh" go  # libbenchmark-dev, libboost-fiber-dev, golang-1.19-go, ...
if ! command -v python3 >/dev/null; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends python3 >/dev/null
fi
"$root/scripts/build.sh" bench

reps=${BENCH_REPS:-5}
min_time=0.5   # seconds per Google Benchmark case
go_time=0.5s   # -benchtime per Go case
if [ "${BENCH_QUICK:-0}" = 1 ]; then reps=1; min_time=0.05; go_time=0.05s; fi

build="$root/build/bench"
bin="$build/bench"
raw="$build/raw"
rm -rf "$raw" && mkdir -p "$raw"

go=/usr/lib/go-1.19/bin/go
export GOCACHE="$build/gocache" GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local
(cd "$root/bench/go" && $go test -c -o "$bin/go_bench.test" .)
cxx=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt")
cat >"$raw/meta.json" <<EOF
{"date": "$(date +%F)", "cores": $(nproc),
 "cpu": "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)",
 "go": "$($go env GOVERSION | sed 's/^go/Go /')",
 "boost": "$(sed -n 's/^#define BOOST_LIB_VERSION "\(.*\)"/\1/p' /usr/include/boost/version.hpp | tr _ .)",
 "compiler": "$("${cxx:-c++}" --version | head -1)",
 "commit": "$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$root" diff --quiet HEAD -- runtime harness 2>/dev/null || echo +local-changes)",
 "reps": $reps, "quick": ${BENCH_QUICK:-0}}
EOF
echo "weft: $bin/weft_bench   Go: $bin/go_bench.test   Boost.Fiber: $bin/fiber_bench"

# Each benchmark family runs in a process of its own, under a time limit: a hang or a crash
# costs that family one repetition (listed in raw/failures.txt and in the report), not the run.
# The 100k-goroutine families measure memory, so they get a fresh process per worker count:
# a process that already grew and freed stacks under-reports.
limit=${BENCH_TIMEOUT:-120}
memory=" SpawnJoin100k Parked100k "
: >"$raw/failures.txt"
run() {  # run OUT COMMAND...
  local out=$1 rc=0
  shift
  timeout "$limit" "$@" >"$out" 2>>"$raw/stderr.log" || rc=$?
  if [ "$rc" -ne 0 ]; then
    local why="exit status $rc"
    if [ "$rc" -eq 124 ]; then why="hung: killed after ${limit} s"; fi
    echo "  FAILED ($why): $(basename "$1") ${*:2}" | tee -a "$raw/failures.txt"
  fi
}
families() {  # families BINARY: the first name components, in registration order
  "$1" --benchmark_list_tests | cut -d/ -f1 | awk '!seen[$0]++'
}
gbench_suite() {  # gbench_suite NAME BINARY REP
  local name=$1 binary=$2 r=$3 f w
  for f in $(families "$binary"); do
    if [[ "$memory" == *" $f "* ]]; then
      for w in 1 2; do
        run "$raw/${name}_${r}_${f}_$w.json" "$binary" --benchmark_format=json \
          --benchmark_min_time="$min_time" --benchmark_filter="^$f/workers:$w/"
      done
    else
      run "$raw/${name}_${r}_$f.json" "$binary" --benchmark_format=json \
        --benchmark_min_time="$min_time" --benchmark_filter="^$f/"
    fi
  done
}
go_suite() {  # go_suite REP
  local r=$1 f w
  for f in $("$bin/go_bench.test" -test.list '^Benchmark' | sed 's/^Benchmark//'); do
    if [[ "$memory" == *" $f "* ]]; then
      # One run of 100k goroutines (Parked100k) or three (SpawnJoin100k), as in weft_bench.
      local times=3x
      if [ "$f" = Parked100k ]; then times=1x; fi
      for w in 1 2; do
        run "$raw/go_${r}_${f}_$w.txt" "$bin/go_bench.test" -test.run '^$' \
          -test.bench "^Benchmark$f\$/^workers=$w\$" -test.benchtime "$times"
      done
    else
      run "$raw/go_${r}_$f.txt" "$bin/go_bench.test" -test.run '^$' \
        -test.bench "^Benchmark$f\$" -test.benchtime "$go_time"
    fi
  done
}

start=$(date +%s)
for r in $(seq 1 "$reps"); do
  echo "=== repetition $r/$reps: weft ($(($(date +%s) - start)) s)"
  gbench_suite weft "$bin/weft_bench" "$r"
  echo "=== repetition $r/$reps: Go"
  go_suite "$r"
  echo "=== repetition $r/$reps: Boost.Fiber"
  gbench_suite fiber "$bin/fiber_bench" "$r"
done
echo "=== explorer ($(($(date +%s) - start)) s)"
run "$raw/explorer.json" "$bin/explorer_bench" --benchmark_min_time="$min_time" \
  --benchmark_format=json
echo "=== done in $(($(date +%s) - start)) s"
python3 "$root/bench/report.py" "$raw" "$build"
