// Runtime: starts worker threads, runs a main goroutine, and reports how the run ended.
//
//   weft::Runtime rt({.workers = 4});
//   weft::RunResult r = rt.run([] { ... goroutines, channels, select ... });
//
// run() returns when main's body returns (Go's main returning). Goroutines still alive then are
// leaked: they are listed in RunResult::leaked, unwound (their destructors run) and their
// stacks reclaimed. A panic escaping any goroutine ends the run and is rethrown from run() as
// weft::Panic; a Go fatal error (deadlock, unlock of unlocked mutex, ...) as weft::FatalError.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <source_location>
#include <string>
#include <vector>

#include "weft/errors.h"

namespace weft {

namespace internal {
class RuntimeCore;
class Task;
}  // namespace internal

namespace sim {
class Strategy;
class Observer;
}  // namespace sim

using GoroutineId = std::uint64_t;

struct Config {
  // Worker threads for the production scheduler; 0 means one per hardware thread.
  // Overridable with WEFT_WORKERS.
  int workers = 0;
  // Usable bytes per goroutine stack (plus one guard page). Stacks do not grow, so size it for
  // the deepest goroutine; untouched pages cost no memory. Overridable with WEFT_STACK_SIZE.
  std::size_t stackSize = 256 * 1024;
  // Deterministic mode: when set, the run happens on the calling thread under a seeded
  // scheduler that asks this strategy at every visible operation (see weft/sim/strategy.h).
  sim::Strategy* strategy = nullptr;
  // Deterministic mode only: told every scheduling point, block, wake, spawn and exit.
  sim::Observer* observer = nullptr;
  // Deterministic mode only: an execution that takes more scheduling points than this ends
  // with weft::StepLimitExceeded (a livelock, or a body too big for exploration).
  std::uint64_t maxSteps = 100000;
};

// A goroutine as seen in reports and dumps.
struct GoroutineInfo {
  GoroutineId id = 0;
  std::string name;
  std::string state;  // Go's wait reason ("chan receive", "sync.Mutex.Lock", ...) or "runnable"
  std::source_location spawnSite;
};

struct RunResult {
  // Goroutines still alive when main returned (Go would drop them; goleak would report them).
  std::vector<GoroutineInfo> leaked;
  bool ok() const { return leaked.empty(); }
  // Go-style dump of the leaked goroutines ("goroutine 7 [chan receive]:\n\tcreated at ...").
  std::string leakReport() const;
};

class Runtime {
 public:
  explicit Runtime(Config config = {});
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // run() executes `main` as goroutine 1 and blocks the calling thread until it returns.
  // A Runtime may run() again after a run ends; stacks are reused across runs.
  template <class F>
  RunResult run(F&& main, std::source_location where = std::source_location::current());

  const Config& config() const { return config_; }
  // Goroutine stacks currently mapped (pooled or in use), and those held by live goroutines;
  // stacksInUse() is 0 between runs (leak checks in tests).
  std::size_t mappedStacks() const;
  std::size_t stacksInUse() const;

 private:
  RunResult runTask(internal::Task&& main, std::source_location where);

  Config config_;
  std::unique_ptr<internal::RuntimeCore> core_;
};

// run() is Runtime(config).run(main).
template <class F>
RunResult run(F&& main, Config config = {},
              std::source_location where = std::source_location::current());

}  // namespace weft

#include "weft/runtime_inl.h"
