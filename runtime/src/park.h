// park/ready: the only way anything in weft blocks and wakes (Go: gopark/goready).
//
// park(self, reason, commit, arg) marks the current goroutine kWaiting and switches to its
// scheduler, which THEN runs commit(self, arg) on its own context, typically to unlock the
// object the goroutine is queued on. Order is important here: the goroutine's context is saved
// before the unlock, so a waker on another worker that takes the lock and readies it can never
// resume a goroutine that is still running (the lost-wakeup / double-run hazard of unlocking
// before switching). If commit returns false the park is cancelled and park() returns at once.
//
// ready(g) makes a parked goroutine runnable. Never call it with a channel or semaphore lock
// held: collect the goroutines, unlock, then ready them.
#pragma once

#include <atomic>

#include "context/sanitizer_fiber.h"
#include "g.h"
#include "runtime_core.h"
#include "scheduler.h"

namespace weft::internal {

void park(G& self, WaitReason reason, ParkCommit commit, void* arg);

// park() with a callable commit (a lambda taking G&; returns bool or void).
template <class F>
void parkWith(G& self, WaitReason reason, F& commit) {
  park(
      self, reason,
      [](G& g, void* f) -> bool {
        if constexpr (std::is_void_v<decltype((*static_cast<F*>(f))(g))>) {
          (*static_cast<F*>(f))(g);
          return true;
        } else {
          return (*static_cast<F*>(f))(g);
        }
      },
      &commit);
}

// parkForever() blocks the current goroutine with no way to wake it (nil channel operations,
// empty select). Deadlock detection and leak reports see it with `reason`.
[[noreturn]] void parkForever(G& self, WaitReason reason);

inline void ready(G& g, bool handoff = false) {
  if (g.rt->stopping()) [[unlikely]] {
    g.rt->readyWhileStopping(g);
    return;
  }
  g.sched->ready(g, handoff);
}

// completeDirectSwitch() is the first thing a goroutine does when resumed: if it was resumed
// by a direct switch (G::directFrom), it finishes the other goroutine's park or yield.
inline void completeDirectSwitch(G& self) {
  if (G* from = self.directFrom) [[unlikely]] {
    self.directFrom = nullptr;
    self.sched->finishDirectSwitch(*from);
  }
}

// cancelWaits() unlinks every waiter on self.waiting from its queue (forced unwinding).
void cancelWaits(G& self);

// yield() puts the current goroutine at the back of the run queue (Go: runtime.Gosched).
void yieldCurrent(G& self);

// Number of runtimes anywhere in the process whose operations must reach schedulePoint(): the
// deterministic schedulers that exist (one per Runtime configured with a strategy, for its
// whole lifetime), production runtimes draining after main returned, and runtimes unwinding
// leaked goroutines at shutdown (RuntimeCore::unwindLeaked). Production code reads it once per
// visible operation (one relaxed load) to skip schedulePoint() entirely.
extern std::atomic<int> gInterceptingSchedulers;
// Of those, the ones whose observer wants happens-before edges and checked accesses (a race
// detector): the primitives' race hooks test this, so exploring without race detection does
// not pay a call per hook.
extern std::atomic<int> gEdgeObservingSchedulers;

// unwindingPoint(): a goroutine being unwound at shutdown reached an operation (it was
// resumed somewhere other than a park, or its operations never block): an operation that may
// block throws GoexitUnwind, as its park would, unless an exception is already in flight;
// any other hands control back to the unwinder, which gives up on the goroutine after a
// budget of such returns.
[[gnu::cold]] void unwindingPoint(G& self, OpKind kind);

// drainPoint(): in production, after main returned, a goroutine reaching an operation yields
// to its scheduler first, so that one whose operations never block is still bounded by the
// drain's budget (and then unwound) instead of holding its worker for ever.
[[gnu::cold]] void drainPoint(G& self);

// schedulePoint() announces a visible operation by the current goroutine (if any).
inline void schedulePoint(OpKind kind, const void* object,
                          const std::source_location* site = nullptr,
                          const char* name = nullptr) {
  if (gInterceptingSchedulers.load(std::memory_order_relaxed) == 0) [[likely]] return;
  G* g = currentG();
  if (g == nullptr) return;
  if (g->sched->interceptsOps()) {
    // (The deterministic scheduler hands an unwinding goroutine to unwindingPoint itself.)
    sanitizer::RuntimeScope runtime;
    g->sched->schedulePoint(*g, Op{kind, object, site, name});
  } else if (g->unwinding) [[unlikely]] {
    unwindingPoint(*g, kind);
  } else if (g->rt->mainDone()) [[unlikely]] {
    drainPoint(*g);
  }
}

// runtimeRandomU64(): the current goroutine's scheduler's randomness, or a thread-local
// generator outside any goroutine.
std::uint64_t runtimeRandomU64();

// requireG() is the current goroutine, or a fatal usage error naming `what` when a blocking
// operation is called outside any goroutine.
G& requireG(const char* what);

}  // namespace weft::internal
