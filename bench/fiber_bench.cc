// The runtime workloads of bench/runtime_bench.cc on Boost.Fiber, for comparison, with the same
// names so that bench/report.py can put them side by side:
//   workers:1  one thread, round_robin (each benchmark on a fresh thread, since a thread's
//              scheduling algorithm can be installed only once)
//   workers:2  two threads, algo::work_stealing: the benchmark thread and one helper thread.
//              work_stealing keeps its schedulers in static members, so it can be set up once
//              per process: the pool is created on first use and lives until exit, and its idle
//              thread spins (work_stealing's default, suspend = false). Every workers:1
//              benchmark is registered, and so runs, before any workers:2 one, so the spinning
//              helper never shares the machine with a one-thread measurement.
// The timed loop runs on the thread's main context, which work_stealing never migrates.
//
// Boost.Fiber has no select, RWMutex, WaitGroup, Once or timer channel: SelectUncontended,
// SelectProdCons, RWMutexReadMostly, WaitGroupUncontended, OnceFast and After0 have no Fiber
// column. buffered_channel needs a power-of-two capacity of at least 2, so cap:10 and cap:100
// use 16 and 128; cap:0 is an unbuffered_channel. Fibers get a 64 KiB fixedsize_stack, like
// the weft benchmarks' goroutines.
#include <benchmark/benchmark.h>

#include <boost/fiber/all.hpp>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace {

namespace fibers = boost::fibers;
constexpr std::size_t kStackSize = 64 * 1024;

template <class Fn>
fibers::fiber spawn(Fn&& fn) {
  return fibers::fiber(std::allocator_arg, fibers::fixedsize_stack(kStackSize),
                       std::forward<Fn>(fn));
}

long rssKiB(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(std::string(field).size()));
  }
  return 0;
}

// The two-thread work_stealing pool: this (the benchmark) thread is one scheduler, a helper
// thread the other. The helper's main context waits on a fiber condition variable forever, so
// its dispatcher keeps stealing ready fibers from this thread.
bool poolStarted = false;
void joinStealingPool() {
  if (poolStarted) return;
  poolStarted = true;
  std::thread([] {
    fibers::use_scheduling_algorithm<fibers::algo::work_stealing>(2);
    fibers::mutex mu;
    fibers::condition_variable cv;
    std::unique_lock l(mu);
    cv.wait(l, [] { return false; });
  }).detach();
  // Returns once both threads have registered (work_stealing's constructor is a barrier).
  fibers::use_scheduling_algorithm<fibers::algo::work_stealing>(2);
}

// Runs body(state) on the main context of a scheduler with state.range(0) threads.
template <class Body>
void onFibers(benchmark::State& state, Body body) {
  if (state.range(0) == 1) {
    std::thread([&] {
      fibers::use_scheduling_algorithm<fibers::algo::round_robin>();
      body(state);
    }).join();
  } else {
    joinStealingPool();
    body(state);
  }
}

void ChanSync(benchmark::State& state) {
  onFibers(state, [](benchmark::State& st) {
    fibers::unbuffered_channel<int> ping, pong;
    fibers::fiber echo = spawn([&] {
      int v = 0;
      while (ping.pop(v) == fibers::channel_op_status::success) pong.push(v);
    });
    for (auto _ : st) {
      ping.push(1);
      int v = 0;
      pong.pop(v);
      benchmark::DoNotOptimize(v);
    }
    ping.close();
    echo.join();
  });
}

template <class Channel>
void prodCons(benchmark::State& st, Channel& c) {
  fibers::fiber consumer = spawn([&] {
    long sum = 0;
    int v = 0;
    while (c.pop(v) == fibers::channel_op_status::success) sum += v;
    benchmark::DoNotOptimize(sum);
  });
  for (auto _ : st) c.push(1);
  c.close();
  consumer.join();
}

void ChanProdCons(benchmark::State& state) {
  const auto capacity = state.range(1);
  onFibers(state, [capacity](benchmark::State& st) {
    if (capacity == 0) {
      fibers::unbuffered_channel<int> c;
      prodCons(st, c);
    } else {
      std::size_t cap = 2;
      while (cap < static_cast<std::size_t>(capacity)) cap *= 2;
      fibers::buffered_channel<int> c(cap);
      prodCons(st, c);
    }
  });
  state.SetItemsProcessed(state.iterations());
}

void ChanCreation(benchmark::State& state) {
  onFibers(state, [](benchmark::State& st) {
    for (auto _ : st) {
      fibers::buffered_channel<int> c(2);
      c.push(0);
      int v = 0;
      c.pop(v);
      benchmark::DoNotOptimize(v);
    }
  });
}

void Gosched(benchmark::State& state) {
  onFibers(state, [](benchmark::State& st) {
    std::atomic<bool> stop{false};
    fibers::fiber other = spawn([&] {
      while (!stop.load()) boost::this_fiber::yield();
    });
    for (auto _ : st) boost::this_fiber::yield();
    stop.store(true);
    other.join();
  });
}

// Counts down from n; wait() blocks the calling fiber until the count reaches zero. A waiter
// that returns may destroy the latch at once, so it waits for `released_`, which the last
// done() sets under the mutex, rather than for the count: that done() is then finished with
// the latch. (The other done()s only decrement, as the count's purpose is a cheap join.)
class Latch {
 public:
  explicit Latch(int n) : left_(n) {}
  void done() {
    if (left_.fetch_sub(1) == 1) {
      std::lock_guard l(mu_);
      released_ = true;
      cv_.notify_all();
    }
  }
  void wait() {
    std::unique_lock l(mu_);
    cv_.wait(l, [&] { return released_; });
  }

 private:
  std::atomic<int> left_;
  bool released_ = false;  // guarded by mu_
  fibers::mutex mu_;
  fibers::condition_variable cv_;
};

void SpawnJoin100k(benchmark::State& state) {
  constexpr int kN = 100000;
  long peakGrowth = 0;
  onFibers(state, [&](benchmark::State& st) {
    const long before = rssKiB("VmRSS:");
    auto round = [] {
      Latch left(kN);
      for (int i = 0; i < kN; ++i) spawn([&left] { left.done(); }).detach();
      left.wait();
    };
    round();  // untimed, like Go's b.N=1 run (see runtime_bench.cc)
    for (auto _ : st) round();
    peakGrowth = rssKiB("VmHWM:") - before;
  });
  state.SetItemsProcessed(state.iterations() * kN);
  state.counters["peakRSS_KiB_per_g"] = static_cast<double>(peakGrowth) / kN;
}

void Parked100k(benchmark::State& state) {
  constexpr int kN = 100000;
  double perG = 0;
  onFibers(state, [&](benchmark::State& st) {
    for (auto _ : st) {
      const long before = rssKiB("VmRSS:");
      auto gate = std::make_unique<fibers::buffered_channel<int>>(2);
      Latch parked(kN), exited(kN);
      for (int i = 0; i < kN; ++i) {
        spawn([&] {
          parked.done();
          int v = 0;
          gate->pop(v);  // parks until the gate is closed
          exited.done();
        }).detach();
      }
      parked.wait();
      boost::this_fiber::yield();
      perG = static_cast<double>(rssKiB("VmRSS:") - before) / kN;
      gate->close();
      exited.wait();
    }
  });
  state.SetItemsProcessed(state.iterations() * kN);
  state.counters["RSS_KiB_per_parked_g"] = perG;
}

void MutexUncontended(benchmark::State& state) {
  onFibers(state, [](benchmark::State& st) {
    fibers::mutex mu;
    for (auto _ : st) {
      mu.lock();
      mu.unlock();
    }
  });
}

// The iterations shared among `goroutines` fibers, main one of them, as in runtime_bench.cc's
// sharedAmong (Go's b.RunParallel): equal shares released together by a gate.
template <class Op>
void sharedAmong(benchmark::State& st, int goroutines, Op op) {
  const benchmark::IterationCount total = st.max_iterations;
  const benchmark::IterationCount share = total / goroutines;
  fibers::mutex gateMu;
  fibers::condition_variable gateCv;
  bool open = false;
  Latch exited(goroutines - 1);
  for (int g = 1; g < goroutines; ++g) {
    spawn([&] {
      {
        std::unique_lock l(gateMu);
        gateCv.wait(l, [&] { return open; });
      }
      for (benchmark::IterationCount i = 0; i < share; ++i) op(i);
      exited.done();
    }).detach();
  }
  while (st.KeepRunningBatch(total)) {
    {
      std::lock_guard l(gateMu);
      open = true;
    }
    gateCv.notify_all();
    for (benchmark::IterationCount i = 0; i < total - (goroutines - 1) * share; ++i) op(i);
    exited.wait();
  }
}

void MutexContended(benchmark::State& state) {
  const auto goroutines = static_cast<int>(state.range(1));
  onFibers(state, [goroutines](benchmark::State& st) {
    fibers::mutex mu;
    long counter = 0;
    sharedAmong(st, goroutines, [&](benchmark::IterationCount) {
      std::lock_guard l(mu);
      ++counter;
    });
    benchmark::DoNotOptimize(counter);
  });
}

void Sleep0(benchmark::State& state) {
  onFibers(state, [](benchmark::State& st) {
    for (auto _ : st) boost::this_fiber::sleep_for(std::chrono::nanoseconds(0));
  });
}

// All workers:1 benchmarks are registered (and so run) before any workers:2 one: the
// work_stealing pool, once started, spins until exit.
void registerAll() {
  using Fn = void (*)(benchmark::State&);
  for (int w : {1, 2}) {
    auto add = [w](const char* name, Fn fn) {
      return benchmark::RegisterBenchmark(name, fn)->ArgName("workers")->Arg(w)->UseRealTime();
    };
    add("ChanSync", ChanSync);
    benchmark::RegisterBenchmark("ChanProdCons", ChanProdCons)
        ->ArgNames({"workers", "cap"})
        ->Args({w, 0})->Args({w, 10})->Args({w, 100})->Args({w, 128})
        ->UseRealTime();
    add("ChanCreation", ChanCreation);
    add("Gosched", Gosched);
    add("SpawnJoin100k", SpawnJoin100k)->Iterations(3);
    add("Parked100k", Parked100k)->Iterations(1);
    add("MutexUncontended", MutexUncontended);
    benchmark::RegisterBenchmark("MutexContended", MutexContended)
        ->ArgNames({"workers", "goroutines"})
        ->Args({w, 2})->Args({w, 4})->Args({w, 8})
        ->UseRealTime();
    add("Sleep0", Sleep0);
  }
}

}  // namespace

int main(int argc, char** argv) {
  registerAll();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (poolStarted) {
    // The work_stealing helper thread never returns (its scheduler cannot be torn down while
    // this thread's still refers to it): flush and leave without running destructors.
    std::cout.flush();
    std::fflush(nullptr);
    std::_Exit(0);
  }
  return 0;
}
