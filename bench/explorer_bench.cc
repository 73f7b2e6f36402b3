// Explorer throughput: executions/s and scheduling decisions/s of deterministic mode on small
// bodies, with and without the race detector (its overhead is the ratio of the two).
//
// The Mutex bodies come in two forms:
//  - "Mutex": g goroutines x n increments of a plain int under a Mutex. This is the body behind
//    the anchors measured on this machine (awslabs/shuttle ~225k executions/s for 2x5 and ~200k
//    for 3x3, its benches/lock.rs `*lock.lock().unwrap() += 1`; tokio-rs/loom ~6k): the lock
//    and unlock are the scheduling points.
//  - "MutexShared": the counter is a weft::Shared<int>, so its load and its store are
//    scheduling points too (four per increment instead of two) and the race detector checks
//    every access.
#include <benchmark/benchmark.h>

#include <mutex>

#include "weft/harness/explore.h"
#include "weft/harness/strategies/random.h"
#include "weft/weft.h"

namespace {

using namespace weft;

// The counter the Mutex bodies increment: a plain int, or a watched cell.
struct PlainCounter {
  int value = 0;
  void increment() { ++value; }
  int get() const { return value; }
};
struct WatchedCounter {
  Shared<int> value{0, "counter"};
  void increment() { value.store(value.load() + 1); }
  int get() const { return value.load(); }
};

// g goroutines x n increments of a counter under a Mutex.
template <int G, int N, class Counter>
void lockedIncrements() {
  Mutex mu;
  Counter counter;
  WaitGroup wg;
  wg.add(G);
  for (int g = 0; g < G; ++g) {
    go([&] {
      for (int i = 0; i < N; ++i) {
        std::lock_guard l(mu);
        counter.increment();
      }
      wg.done();
    });
  }
  wg.wait();
  std::lock_guard l(mu);
  if (counter.get() != G * N) harness::fail("lost update");
}

// 2 goroutines x 5 channel operations: a producer and a consumer over an unbuffered channel.
void channelOps() {
  auto c = makeChan<int>();
  auto done = makeChan<Unit>();
  go([c, done] {
    for (int i = 0; i < 5; ++i) c.recv();
    done.send({});
  });
  for (int i = 0; i < 5; ++i) c.send(i);
  done.recv();
}

// Counts the strategy's decisions (scheduling points with a choice) of one execution.
class CountingStrategy : public sim::Strategy {
 public:
  sim::GoroutineId next(std::span<const sim::GoroutineId> runnable,
                        sim::GoroutineId current, bool yielding) override {
    ++decisions;
    return inner.next(runnable, current, yielding);
  }
  std::uint64_t nextU64() override {
    ++decisions;
    return inner.nextU64();
  }
  harness::RandomStrategy inner{1};
  std::uint64_t decisions = 0;
};

double decisionsPerExecution(void (*body)()) {
  CountingStrategy s;
  Runtime rt({.strategy = &s});
  constexpr int kRuns = 1000;
  for (int i = 0; i < kRuns; ++i) {
    s.inner.beginExecution(static_cast<std::uint64_t>(i) + 1, 0);
    rt.run(body);
  }
  return static_cast<double>(s.decisions) / kRuns;
}

void exploreBody(benchmark::State& state, void (*body)()) {
  const bool races = state.range(0) != 0;
  const double perExecution = decisionsPerExecution(body);
  std::uint64_t executions = 0;
  for (auto _ : state) {
    harness::ExploreOptions o;
    o.iterations = 2000;
    o.seed = 1;
    o.detectRaces = races;
    o.determinismCheckEvery = 0;
    harness::ExploreResult r = harness::explore(body, o);
    if (!r.ok()) state.SkipWithError("the body failed");
    executions += r.executions;
  }
  state.counters["executions_per_s"] =
      benchmark::Counter(static_cast<double>(executions), benchmark::Counter::kIsRate);
  state.counters["decisions_per_s"] = benchmark::Counter(
      static_cast<double>(executions) * perExecution, benchmark::Counter::kIsRate);
  state.counters["decisions_per_execution"] = perExecution;
}

void Explore2x5Mutex(benchmark::State& state) {
  exploreBody(state, lockedIncrements<2, 5, PlainCounter>);
}
void Explore3x3Mutex(benchmark::State& state) {
  exploreBody(state, lockedIncrements<3, 3, PlainCounter>);
}
void Explore2x5MutexShared(benchmark::State& state) {
  exploreBody(state, lockedIncrements<2, 5, WatchedCounter>);
}
void Explore3x3MutexShared(benchmark::State& state) {
  exploreBody(state, lockedIncrements<3, 3, WatchedCounter>);
}
void Explore2x5Chan(benchmark::State& state) { exploreBody(state, channelOps); }

#define WEFT_EXPLORER_BENCHMARK(name)                                            \
  BENCHMARK(name)->ArgName("races")->Arg(0)->Arg(1)->UseRealTime()->Unit( \
      benchmark::kMillisecond)
WEFT_EXPLORER_BENCHMARK(Explore2x5Mutex);
WEFT_EXPLORER_BENCHMARK(Explore3x3Mutex);
WEFT_EXPLORER_BENCHMARK(Explore2x5MutexShared);
WEFT_EXPLORER_BENCHMARK(Explore3x3MutexShared);
WEFT_EXPLORER_BENCHMARK(Explore2x5Chan);

}  // namespace

BENCHMARK_MAIN();
