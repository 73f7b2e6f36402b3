// The production runtime's workloads, named after Go's own runtime and sync benchmarks, each at
// 1 and 2 workers ("/workers:N"). The timed loop runs inside one Runtime::run, so runtime start
// and stop are not measured. bench/go has the same workloads in Go, bench/fiber_bench.cc on
// Boost.Fiber; scripts/bench.sh runs all three and prints them side by side.
#include <benchmark/benchmark.h>

#include <fstream>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>

#include "weft/weft.h"

namespace {

using namespace weft;

// Runs body(state) as the main goroutine of a runtime with state.range(0) workers.
template <class Body>
void inRuntime(benchmark::State& state, Body body) {
  Runtime rt({.workers = static_cast<int>(state.range(0)), .stackSize = 64 * 1024});
  RunResult r = rt.run([&] { body(state); });
  if (!r.ok()) state.SkipWithError("goroutines leaked");
}

long rssKiB(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(std::string(field).size()));
  }
  return 0;
}

// What goroutines share in the contended workloads lives on the heap, a cache line per object,
// as in Go, where it escapes to the heap (each object in a span of its size class): on main's
// stack it would share lines with the frames main pushes at every call of its timed loop, and
// the other worker's reads of it would bounce them (Gosched on two workers: 163 -> 72 ns).
template <class T>
struct alignas(64) OwnLine {
  OwnLine() : value() {}
  T value;
};
template <class T>
std::unique_ptr<OwnLine<T>> onOwnLine() {
  return std::make_unique<OwnLine<T>>();
}

// Go: BenchmarkChanSync, as an unbuffered ping-pong: one round trip per iteration.
void ChanSync(benchmark::State& state) {
  inRuntime(state, [](benchmark::State& st) {
    auto ping = makeChan<int>(), pong = makeChan<int>();
    go([=] {
      for (int v : ping) pong.send(v);
    });
    for (auto _ : st) {
      ping.send(1);
      benchmark::DoNotOptimize(pong.recv());
    }
    ping.close();
  });
}

// Go: BenchmarkChanProdCons0/10/100 (one producer, one consumer, no local work): per item.
void ChanProdCons(benchmark::State& state) {
  const auto capacity = state.range(1);
  inRuntime(state, [capacity](benchmark::State& st) {
    auto c = makeChan<int>(capacity);
    auto done = makeChan<Unit>();
    go([=] {
      long sum = 0;
      for (int v : c) sum += v;
      benchmark::DoNotOptimize(sum);
      done.send({});
    });
    for (auto _ : st) c.send(1);
    c.close();
    done.recv();
  });
  state.SetItemsProcessed(state.iterations());
}

// Go: BenchmarkSelectUncontended: a select over two capacity-1 channels that is always ready.
void SelectUncontended(benchmark::State& state) {
  inRuntime(state, [](benchmark::State& st) {
    auto c1 = makeChan<int>(1), c2 = makeChan<int>(1);
    c1.send(0);
    for (auto _ : st) {
      select(recv(c1, [&](int) { c2.send(0); }), recv(c2, [&](int) { c1.send(0); }));
    }
  });
}

// Go: BenchmarkSelectProdCons: producer and consumer both select against a done channel.
void SelectProdCons(benchmark::State& state) {
  inRuntime(state, [](benchmark::State& st) {
    auto c = makeChan<int>(1);
    auto quit = makeChan<Unit>();
    auto done = makeChan<Unit>();
    go([=] {
      for (bool running = true; running;) {
        select(recv(c, [](int v) { benchmark::DoNotOptimize(v); }),
               recv(quit, [&](Unit) { running = false; }));
      }
      done.send({});
    });
    for (auto _ : st) select(send(c, 1), recv(quit));
    quit.close();
    done.recv();
  });
}

// Go: BenchmarkChanCreation: make, send, receive.
void ChanCreation(benchmark::State& state) {
  inRuntime(state, [](benchmark::State& st) {
    for (auto _ : st) {
      auto c = makeChan<int>(1);
      c.send(0);
      benchmark::DoNotOptimize(c.recv());
    }
  });
}

// Go: BenchmarkGosched-like: yield() while another goroutine also yields, so it switches.
void Gosched(benchmark::State& state) {
  inRuntime(state, [](benchmark::State& st) {
    auto stop = onOwnLine<Atomic<bool>>();
    auto done = makeChan<Unit>();
    go([&, done] {
      while (!stop->value.load()) yield();
      done.send({});
    });
    for (auto _ : st) yield();
    stop->value.store(true);
    done.recv();
  });
}

// Spawn and join 100k goroutines per iteration; reports time per goroutine and peak RSS per
// goroutine.
void SpawnJoin100k(benchmark::State& state) {
  constexpr int kN = 100000;
  long peakGrowth = 0;
  inRuntime(state, [&](benchmark::State& st) {
    const long before = rssKiB("VmRSS:");
    auto round = [] {
      WaitGroup wg;
      wg.add(kN);
      for (int i = 0; i < kN; ++i) go([&wg] { wg.done(); });
      wg.wait();
    };
    // One untimed round first: `go test -bench` runs every benchmark once with b.N=1 in the same
    // process before timing it, so Go measures spawning with a warm heap; so do weft and
    // Boost.Fiber (goroutine records and stacks reused, no first-touch page faults). The peak
    // RSS still counts from before this round.
    round();
    for (auto _ : st) round();
    peakGrowth = rssKiB("VmHWM:") - before;
  });
  state.SetItemsProcessed(state.iterations() * kN);
  state.counters["peakRSS_KiB_per_g"] = static_cast<double>(peakGrowth) / kN;
}

// 100k goroutines parked on a channel: RSS per parked goroutine.
void Parked100k(benchmark::State& state) {
  constexpr int kN = 100000;
  double perG = 0;
  inRuntime(state, [&](benchmark::State& st) {
    for (auto _ : st) {
      const long before = rssKiB("VmRSS:");
      auto gate = makeChan<Unit>();
      WaitGroup parked, exited;
      parked.add(kN);
      exited.add(kN);
      for (int i = 0; i < kN; ++i) {
        go([&, gate] {
          parked.done();
          gate.recv();
          exited.done();
        });
      }
      parked.wait();
      yield();
      perG = static_cast<double>(rssKiB("VmRSS:") - before) / kN;
      gate.close();
      exited.wait();
    }
  });
  state.SetItemsProcessed(state.iterations() * kN);
  state.counters["RSS_KiB_per_parked_g"] = perG;
}

// Go: BenchmarkMutexUncontended.
void MutexUncontended(benchmark::State& state) {
  inRuntime(state, [](benchmark::State& st) {
    Mutex mu;
    for (auto _ : st) {
      mu.lock();
      mu.unlock();
    }
  });
}

// The contended workloads share their iterations among `goroutines` goroutines, main one of
// them, like Go's b.RunParallel: each does an equal share, released together by a gate, and the
// time is the wall time of all of them over the total. (Counting only main's iterations, while
// the others ran uncounted, measured how much of the CPU main got, not the primitive: a
// cooperative scheduler running main alone looked 30x faster than Go on one worker.)
template <class Op>
void sharedAmong(benchmark::State& st, int goroutines, Op op) {
  const benchmark::IterationCount total = st.max_iterations;
  const benchmark::IterationCount share = total / goroutines;
  auto gate = makeChan<Unit>();
  auto wg = onOwnLine<WaitGroup>();
  wg->value.add(goroutines - 1);
  for (int g = 1; g < goroutines; ++g) {
    go([&, gate] {
      gate.recv();
      for (benchmark::IterationCount i = 0; i < share; ++i) op(i);
      wg->value.done();
    });
  }
  while (st.KeepRunningBatch(total)) {
    gate.close();
    for (benchmark::IterationCount i = 0; i < total - (goroutines - 1) * share; ++i) op(i);
    wg->value.wait();
  }
}

// Go: BenchmarkMutex: N goroutines hammering one mutex; per lock/unlock pair.
void MutexContended(benchmark::State& state) {
  const auto goroutines = static_cast<int>(state.range(1));
  inRuntime(state, [goroutines](benchmark::State& st) {
    // Go's mu and counter are both 8-byte objects: neighbours in one span, so one line here.
    struct Locked {
      Mutex mu;
      long counter = 0;
    };
    auto locked = onOwnLine<Locked>();
    Mutex& mu = locked->value.mu;
    long& counter = locked->value.counter;
    sharedAmong(st, goroutines, [&](benchmark::IterationCount) {
      std::lock_guard l(mu);
      ++counter;
    });
    benchmark::DoNotOptimize(counter);
  });
}

// Go: BenchmarkRWMutexWrite100: 4 goroutines, one write per 100 operations, the rest reads.
void RWMutexReadMostly(benchmark::State& state) {
  inRuntime(state, [](benchmark::State& st) {
    auto rwLine = onOwnLine<RWMutex>();
    auto valueLine = onOwnLine<long>();
    RWMutex& rw = rwLine->value;
    long& value = valueLine->value;
    sharedAmong(st, 4, [&](benchmark::IterationCount i) {
      if (i % 100 == 0) {
        std::lock_guard l(rw);
        ++value;
      } else {
        std::shared_lock l(rw);
        benchmark::DoNotOptimize(value);
      }
    });
  });
}

// Go: BenchmarkWaitGroupUncontended: Add, Done, Wait.
void WaitGroupUncontended(benchmark::State& state) {
  inRuntime(state, [](benchmark::State& st) {
    WaitGroup wg;
    for (auto _ : st) {
      wg.add(1);
      wg.done();
      wg.wait();
    }
  });
}

// Go: BenchmarkOnce: the fast path.
void OnceFast(benchmark::State& state) {
  inRuntime(state, [](benchmark::State& st) {
    Once once;
    int n = 0;
    for (auto _ : st) once.call([&] { ++n; });
    benchmark::DoNotOptimize(n);
  });
}

// time.After(0) and time.Sleep(0).
void After0(benchmark::State& state) {
  inRuntime(state, [](benchmark::State& st) {
    for (auto _ : st) benchmark::DoNotOptimize(after(Duration(0)).recv());
  });
}
void Sleep0(benchmark::State& state) {
  inRuntime(state, [](benchmark::State& st) {
    for (auto _ : st) sleep(Duration(0));
  });
}

void workers(benchmark::internal::Benchmark* b) { b->ArgName("workers")->Arg(1)->Arg(2); }
void workersCap(benchmark::internal::Benchmark* b) {
  b->ArgNames({"workers", "cap"});
  for (int w : {1, 2}) {
    for (int c : {0, 10, 100, 128}) b->Args({w, c});
  }
}
void workersGoroutines(benchmark::internal::Benchmark* b) {
  b->ArgNames({"workers", "goroutines"});
  for (int w : {1, 2}) {
    for (int g : {2, 4, 8}) b->Args({w, g});
  }
}

BENCHMARK(ChanSync)->Apply(workers)->UseRealTime();
BENCHMARK(ChanProdCons)->Apply(workersCap)->UseRealTime();
BENCHMARK(SelectUncontended)->Apply(workers)->UseRealTime();
BENCHMARK(SelectProdCons)->Apply(workers)->UseRealTime();
BENCHMARK(ChanCreation)->Apply(workers)->UseRealTime();
BENCHMARK(Gosched)->Apply(workers)->UseRealTime();
BENCHMARK(SpawnJoin100k)->Apply(workers)->UseRealTime()->Iterations(3);
BENCHMARK(Parked100k)->Apply(workers)->UseRealTime()->Iterations(1);
BENCHMARK(MutexUncontended)->Apply(workers)->UseRealTime();
BENCHMARK(MutexContended)->Apply(workersGoroutines)->UseRealTime();
BENCHMARK(RWMutexReadMostly)->Apply(workers)->UseRealTime();
BENCHMARK(WaitGroupUncontended)->Apply(workers)->UseRealTime();
BENCHMARK(OnceFast)->Apply(workers)->UseRealTime();
BENCHMARK(After0)->Apply(workers)->UseRealTime();
BENCHMARK(Sleep0)->Apply(workers)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
