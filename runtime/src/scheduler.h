// Scheduler: the seam between the runtime's primitives and whoever decides which goroutine runs.
// Two implementations, chosen at run time in the same binary:
//   - WorkStealScheduler: production M:N scheduler over OS worker threads.
//   - DeterministicScheduler: one OS thread; every visible operation is a scheduling point
//     decided by a sim::Strategy, time is virtual, randomness is recorded.
// A goroutine leaves the CPU by switching to the context that resumed it (G::returnTo) with
// G::switchReason set; the scheduler then acts on it (park: RuntimeCore::commitPark; yield:
// requeue; exit: RuntimeCore::finishExit). That part is common code (park.cc), not virtual.
// Primitives never touch run queues, threads or contexts: they block with park() and wake
// with ready() (park.h), announce visible operations with schedulePoint(), and take every
// random number and every timestamp from here.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string_view>

#include "g.h"
#include "weft/sim/events.h"

namespace weft::internal {

struct GFreeCache;

using Nanos = std::int64_t;  // nanoseconds on the scheduler's clock (virtual in sim mode)

// A visible operation, announced before it takes effect (deterministic mode may switch
// goroutines there) and used by tracing and race detection. The kinds are public (sim/events.h)
// because traces and strategies name them.
using OpKind = sim::OpKind;
using sim::toString;


struct Op {
  OpKind kind;
  const void* object;
  const std::source_location* site = nullptr;  // the object's creation site, when known
  const char* name = nullptr;                   // the object's user-given name, if any
};

// A pending timer (Go: runtime.timer). Owned by its creator; the scheduler only links it.
struct TimerNode {
  Nanos when = 0;
  Nanos period = 0;  // > 0: re-armed `period` after each firing (Ticker)
  // Runs on a scheduler thread with no runtime lock held, outside any goroutine. It must not
  // block; it may ready goroutines and do non-blocking channel sends.
  void (*fire)(TimerNode& t, Nanos now) = nullptr;
  void* arg = nullptr;
  // Called by the scheduler once it is done with a timer that will not fire again (after a
  // one-shot firing, or when the run ends with the timer pending); may free the node.
  void (*drop)(TimerNode& t) = nullptr;
  // The scheduler the timer is armed on; null once it can no longer fire (set by addTimer,
  // cleared after a one-shot firing and when the run ends). An owner's stop() calls
  // owner->removeTimer, or waits for `firing` to clear when owner is null.
  std::atomic<Scheduler*> owner{nullptr};
  // Scheduler-private: position in the heap (-1 when not pending), insertion order, and
  // whether fire() is running right now (removeTimer waits for it to finish).
  std::int64_t heapIndex = -1;
  std::uint64_t seq = 0;
  std::atomic<bool> firing{false};
  bool stopWhileFiring = false;  // removeTimer() during a periodic firing: do not re-arm
};

// The end of a one-shot firing, and the end of a run for a pending timer: the scheduler lets
// go of t. Must be the scheduler's last access to t (drop may free it).
inline void releaseTimer(TimerNode& t) {
  t.owner.store(nullptr, std::memory_order_release);
  if (t.drop != nullptr) {
    t.drop(t);
    return;
  }
  t.firing.store(false, std::memory_order_release);
}

class Scheduler {
 public:
  static constexpr std::uint64_t kDrainBudget = 100000;

  virtual ~Scheduler() = default;

  // run() executes `main` (already created) and every goroutine it spawns until main's body has
  // returned and every other goroutine has exited or blocked (the drain: a goroutine that sent
  // its last result and is about to return is not a leak), or until the runtime records a
  // failure; then stops all workers. The drain resumes goroutines at most kDrainBudget times,
  // so a goroutine that never blocks cannot hang the end of a run. Called once.
  virtual void run(G& main) = 0;

  // spawn() makes a new goroutine runnable. Called from a goroutine (the go statement).
  virtual void spawn(G& g) = 0;

  // ready() moves a kWaiting goroutine to kRunnable. Callable from any thread, inside or
  // outside a goroutine, but never with a channel or semaphore lock held. `handoff`: the
  // caller just handed it a value and is likely to block soon, so that g will run next on
  // this worker without anybody else being woken for it.
  virtual void ready(G& g, bool handoff) = 0;

  // parkDirect()/yieldDirect(): a scheduler may take over a park (self.commit and
  // self.waitReason already set) or a yield itself, to hand the CPU straight to the next
  // goroutine (one switch instead of two, and no pass through the scheduler's loop). Return
  // false to get the common path (switch to self.returnTo). A scheduler that runs everything
  // on one thread may commit the park on the goroutine's own stack before switching; one whose
  // goroutines can be readied or stolen from other threads must not (another worker could
  // resume the goroutine before its context is saved): it switches with next.directFrom =
  // &self, and the resumed goroutine calls finishDirectSwitch(self) first thing (in park(),
  // yieldCurrent() or, for a first run, the goroutine entry), which commits self's park or
  // requeues the yielder, as self.switchReason says.
  virtual bool parkDirect(G& /*self*/) { return false; }
  virtual bool yieldDirect(G& /*self*/) { return false; }
  virtual void finishDirectSwitch(G& /*from*/) {}
  // exitDirect(): the same for a goroutine whose body has finished (self.state kDead,
  // self.switchReason kExit). A scheduler that takes it over finishes the exit and switches
  // straight to the next goroutine, never returning; returning declines (the goroutine then
  // switches to self.returnTo, and the scheduler's context finishes the exit).
  virtual void exitDirect(G& /*self*/) {}

  // schedulePoint() announces a visible operation by the current goroutine. Only called when
  // interceptsOps() (the production scheduler ignores them, so primitives test the flag inline).
  virtual void schedulePoint(G& self, const Op& op) = 0;
  bool interceptsOps() const { return interceptsOps_; }
  // The deterministic scheduler's observer (race detection, traces); null in production.
  virtual sim::Observer* observer() { return nullptr; }

  // The clock (monotonic; virtual in deterministic mode) and the timers that run on it.
  virtual Nanos now() = 0;
  virtual void addTimer(TimerNode& t) = 0;
  // removeTimer() returns true iff `t` was pending and will now not fire; false means it already
  // fired. Either way, when it returns t.fire is not running, so the owner may free t (for a
  // periodic timer: after a true return). Must not be called from t.fire itself.
  virtual bool removeTimer(TimerNode& t) = 0;

  // All randomness the runtime uses (select's choice, steal victims) comes from here, so that
  // deterministic mode can record and replay it.
  virtual std::uint64_t randomU64() = 0;

  // spinMayPay(): whether a goroutine that finds a lock held should spin a little before it
  // parks (Go: sync_runtime_canSpin). Only when the holder may be running on another worker
  // and nothing else waits to run on this one; never in deterministic mode.
  virtual bool spinMayPay() = 0;

  // The calling thread's private cache of free goroutine records, if this scheduler keeps
  // one per worker and the caller is one of its workers; null otherwise. A scheduler with one
  // cache for every caller names it in fixedGFreeCache_ and spares every spawn and exit the
  // virtual call.
  GFreeCache* gFreeCache() {
    return fixedGFreeCache_ != nullptr ? fixedGFreeCache_ : workerGFreeCache();
  }

 protected:
  virtual GFreeCache* workerGFreeCache() { return nullptr; }

  bool interceptsOps_ = false;
  GFreeCache* fixedGFreeCache_ = nullptr;
};

}  // namespace weft::internal
