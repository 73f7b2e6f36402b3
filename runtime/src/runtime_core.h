// RuntimeCore: what both schedulers share. It owns goroutine records and stacks (pooled across
// runs, apart: a goroutine holds a stack only from its first run to its exit), the registry of
// live goroutines (for dumps and leak reports), the run's failure state (first panic or fatal
// error wins), and the end-of-run protocol: stop the scheduler, list the goroutines still
// alive, unwind them so their destructors run, recycle their stacks.
//
// Invariants:
//  - Every G record this runtime made is on the all-records list (allMu_) until the runtime
//    is destroyed; the live goroutines are the records whose state is not kIdle. An idle
//    record is either on the shared free list (freeMu_) or in exactly one worker's
//    GFreeCache, never both; a spawn and an exit take no shared lock while the worker's cache
//    has room (Go: p.gFree beside sched.gFree, and allgs). Workers give their cache back when
//    they stop; the deterministic scheduler, the only one a deterministic runtime ever has,
//    keeps its cache across runs.
//  - A record holds a stack exactly while it is started and not yet released (startG to
//    releaseG); every other stack is in the pool (stacks_) or in exactly one GFreeCache.
//  - After the scheduler's run() returns, no worker thread touches any G: shutdown unwinding is
//    single-threaded on the thread that called Runtime::run.
#pragma once

#include <algorithm>
#include <atomic>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <source_location>
#include <string>
#include <vector>

#include "context/fiber_context.h"
#include "context/stack.h"
#include "g.h"
#include "weft/internal/spin_lock.h"
#include "weft/runtime.h"

namespace weft::internal {

class Scheduler;

// The top of one LIFO of free items (records or stacks) kept by a worker, most recently freed
// on top; the rest of the LIFO is shared (RuntimeCore's list or pool), kBatch at a time.
template <class T>
struct FreeStackTop {
  static constexpr int kCapacity = 64;
  static constexpr int kBatch = 32;
  T items[kCapacity];
  int n = 0;

  bool empty() const { return n == 0; }
  bool full() const { return n == kCapacity; }
  T pop() { return items[--n]; }
  void push(const T& item) { items[n++] = item; }
  // spillColdest() hands the kBatch least recently freed items to toShared(items, kBatch),
  // oldest first, and keeps the rest in order.
  template <class Sink>
  void spillColdest(Sink&& toShared) {
    toShared(static_cast<const T*>(items), kBatch);
    std::copy(items + kBatch, items + n, items);
    n -= kBatch;
  }
};

// A worker's free goroutine records (Go: p.gFree) and free goroutine stacks (Go: the per-P
// stack cache).
//
// Records and stacks are kept apart because a goroutine needs a stack only once it runs:
// goroutines spawned faster than they run (a loop of `go`, on one worker, spawns them all
// before any runs) hold a record each and no stack, and a burst of short-lived ones runs on
// the few stacks at the top of this cache, warm in cache and TLB. Paired, each of 100k such
// goroutines touched a stack page of its own, a TLB and cache miss that was half the cost of
// its spawn and exit, and held 4 KiB of memory until it exited.
struct GFreeCache {
  FreeStackTop<G*> gs;
  FreeStackTop<Stack> stacks;
};

class RuntimeCore {
 public:
  explicit RuntimeCore(const Config& config);
  ~RuntimeCore();

  RunResult run(Task&& main, std::source_location where);
  void* raceRunEnd() { return &raceRunEnd_; }

  // newG() takes a goroutine record from the pool and prepares it to run `body`. The caller
  // hands it to Scheduler::spawn.
  G* newG(Task&& body, std::string&& name, std::source_location spawnSite);
  // startG() is for a scheduler about to switch to a goroutine that has not run yet
  // (!g.started()): it gives it a stack (the calling worker's warmest) and its first frame.
  // A scheduler that releases an exiting goroutine before switching away from its stack must
  // start the next one first, or the next one could be given the stack it is leaving from.
  void startG(G& g);

  // resume() switches from the scheduler context `here` into `g` and returns the goroutine
  // that switches back to `here` (with its switchReason saying why): g, or one that g (or a
  // successor) handed the CPU to directly (Scheduler::parkDirect, yieldDirect). Sets the thread's current
  // G around the switch.
  G& resume(G& g, FiberContext& here);
  // finishExit() recycles a goroutine that switched out with SwitchReason::kExit.
  void finishExit(G& g);
  // flushGFreeCache() gives a worker's cached records and stacks back to the shared list and
  // the pool (a work-stealing worker does it when it stops; see the invariants above).
  void flushGFreeCache(GFreeCache& cache);
  // commitPark() completes a park on the scheduler side: kWaiting, then the commit. Returns
  // false if the commit cancelled the park (g is kRunning again and must be resumed).
  static bool commitPark(G& g);

  // Failure recording; the first failure wins and ends the run.
  void recordPanic(G& g, std::exception_ptr e);
  void recordFatal(const FatalError& e);
  // recordFailure() records any other run-ending failure (e.g. StepLimitExceeded).
  void recordFailure(std::exception_ptr e);
  bool failed() const { return failed_.load(std::memory_order_acquire); }
  // onFailure is called once when the first failure is recorded (the scheduler stops).
  void setFailureHook(void (*hook)(void*), void* arg) {
    failureHook_ = hook;
    failureHookArg_ = arg;
  }

  // Main's body returned: the drain has begun (Scheduler::run). mainReturned() is called once,
  // by main, right after its body; from then on to the end of the run, production operations
  // reach schedulePoint() (see drainPoint in park.h).
  bool mainDone() const { return mainDone_.load(std::memory_order_acquire); }
  void mainReturned();

  // True once the scheduler has stopped; ready() then only marks goroutines runnable.
  bool stopping() const { return stopping_.load(std::memory_order_relaxed); }
  void readyWhileStopping(G& g);

  // Go-style dump of every live goroutine ("goroutine 1 [chan receive]:\n\tcreated at ...").
  std::string goroutineDump();
  std::vector<GoroutineInfo> liveGoroutines(bool includeMain);
  std::size_t liveCount() const { return liveCount_.load(std::memory_order_relaxed); }

  Scheduler* scheduler() const { return sched_; }
  G* mainG() const { return main_; }
  const Config& config() const { return config_; }
  std::size_t mappedStacks() const { return stacks_.mappedCount(); }
  std::size_t stacksInUse();

  // The goroutine entry: runs the body, turns an escaping exception into a recorded panic,
  // and leaves with SwitchReason::kExit.
  static void goroutineEntry(void* g);

 private:
  std::unique_ptr<Scheduler> makeScheduler();
  void unwindLeaked();
  void releaseG(G& g);
  void recycle(G& g);
  G* takeFreeG();
  void putFreeG(G& g);
  [[gnu::noinline]] G* takeFreeGShared(GFreeCache* cache);
  [[gnu::noinline]] void putFreeGShared(G& g, GFreeCache* cache);
  void releaseFreeGs(G* const* gs, int count);
  Stack takeStack();
  void putStack(const Stack& s);
  [[gnu::noinline]] Stack takeStackShared(GFreeCache* cache);
  [[noreturn, gnu::cold]] void fatalNoStack();
  [[gnu::noinline]] void putStackShared(const Stack& s, GFreeCache* cache);

  Config config_;
  StackPool stacks_;
  std::unique_ptr<Scheduler> simScheduler_;  // deterministic mode: reused across runs
  Scheduler* sched_ = nullptr;  // valid during run()
  G* main_ = nullptr;
  // Deterministic mode runs everything on one thread: there the two counters below change by
  // a plain load and store (see addTo in runtime_core.cc).
  const bool oneThread_;
  std::atomic<std::uint64_t> nextId_{1};
  std::atomic<std::size_t> liveCount_{0};

  // SpinLocks, not std::mutex: taken from every worker, for a few pointer moves; a contended
  // pthread mutex sent spawns to futex waits and wakes.
  SpinLock allMu_;
  G* allFirst_ = nullptr;  // guarded by allMu_
  SpinLock freeMu_;
  std::vector<G*> freeGs_;  // guarded by freeMu_

  std::atomic<bool> mainDone_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> failed_{false};
  std::mutex failMu_;
  std::exception_ptr failure_;  // guarded by failMu_ (a Panic or a FatalError)
  char raceRunEnd_ = 0;         // ThreadSanitizer: every goroutine's end happens before run returns
  void (*failureHook_)(void*) = nullptr;
  void* failureHookArg_ = nullptr;
};

}  // namespace weft::internal
