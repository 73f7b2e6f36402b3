// The runtime pieces that weft's sync primitives (sync.h, atomic.h) embed and call: a
// semaphore (Go: runtime/sema.go semacquire/semrelease), a notify list (Go: notifyList, for
// Cond) and the hook every visible sync operation passes through. Not for users.
//
// Unlike Go, which keys semaphores by address in a global table because sync.Mutex must stay
// 8 bytes, each primitive here embeds its own wait queue: no table, no hashing, no contention
// between unrelated objects.
#pragma once

#include <atomic>
#include <cstdint>
#include <source_location>

#include "weft/internal/sanitizers.h"
#include "weft/internal/spin_lock.h"
#include "weft/sim/events.h"

namespace weft::internal {

struct Waiter;  // runtime/src/waiter.h

// An intrusive FIFO of parked goroutines' Waiters; guarded by the owner's SpinLock.
struct WaitQueue {
  Waiter* first = nullptr;
  Waiter* last = nullptr;

  bool empty() const { return first == nullptr; }
  void pushBack(Waiter* w);
  void pushFront(Waiter* w);
  void remove(Waiter* w);
  // dequeue() pops the first waiter that may still be completed (see waiter.h).
  Waiter* dequeue();
};

// Which sync wait a goroutine is parked in (its wait reason in dumps and reports).
enum class SemaWait : std::uint8_t { kMutex, kRWMutexRLock, kRWMutexLock, kWaitGroup, kOther };

// Sema: a counting semaphore on which goroutines park (Go: the uint32 behind runtime_Semacquire).
// Invariants: count changes only under `lock`, and a release's last access to the Sema is its
// unlock. Go's semaphore lives in a global table and Go's memory is collected, so Go may touch
// the word after publishing the count; here the Sema is embedded in the Mutex or WaitGroup,
// which the goroutine that takes the count may destroy at once (a WaitGroup on the stack of
// the waiter, a Mutex in an object freed after its last unlock).
struct Sema {
  std::atomic<std::uint32_t> count{0};
  SpinLock lock;
  WaitQueue waiters;
};

// semacquire() waits until count > 0, then decrements it. lifo: queue at the head (a waiter
// that has already waited once, Go's Mutex starvation hand-off).
void semacquire(Sema& s, bool lifo, SemaWait why);
// semrelease() increments count and wakes the first waiter. handoff: give the count directly to
// the woken waiter and yield to it (Go: semrelease1 with handoff, Mutex starvation mode).
// semreleaseAll() increments count by n and wakes up to n waiters. Both touch `s` only before
// anyone can take the count: the goroutine that does may destroy the object that embeds `s` at
// once (the last WaitGroup.Wait returning and its owner going out of scope).
void semrelease(Sema& s, bool handoff);
void semreleaseAll(Sema& s, std::uint32_t n);

// NotifyList: ticket-based FIFO wake-ups for Cond (Go: runtime.notifyList). A waiter takes a
// ticket before unlocking the Cond's locker, so a signal between that unlock and its park is
// never lost.
struct NotifyList {
  std::atomic<std::uint32_t> wait{0};    // next ticket to hand out
  std::atomic<std::uint32_t> notify{0};  // next ticket to notify
  SpinLock lock;
  WaitQueue waiters;
};
std::uint32_t notifyListAdd(NotifyList& l);
void notifyListWait(NotifyList& l, std::uint32_t ticket);
void notifyListNotifyOne(NotifyList& l);
void notifyListNotifyAll(NotifyList& l);

// Identity of a sync object for traces and race reports: where it was constructed and an
// optional user-given name.
struct ObjectId {
  std::source_location site;
  const char* name = nullptr;
};

// syncPoint(): the hook of a visible sync operation (a scheduling point in deterministic mode;
// nearly free in production).
void syncPoint(sim::OpKind kind, const void* object, const ObjectId& id);
// Happens-before edges and checked accesses for sync objects (see race.h in the runtime).
void syncRelease(const void* sync);
void syncAcquire(const void* sync);
void syncAccess(const void* addr, bool write, const ObjectId& id,
                const std::source_location& where);

// Go's failure texts for sync misuse.
[[noreturn]] void syncFatal(const char* goText);
[[noreturn]] void syncPanic(const char* goText);

// Whether the current goroutine is being unwound at the end of a run (forced unwinding of a
// leaked goroutine): a Cond::wait it was parked in returns without its lock, so the unlock in
// a lock guard's destructor is a consequence of the shutdown, not misuse.
bool syncUnwinding();

// Whether active spinning may pay off (several workers, production mode).
bool syncCanSpin(int iteration);
void syncSpin();
std::int64_t syncNanotime();

}  // namespace weft::internal

namespace weft::internal {
// Number of runtimes whose operations must reach the runtime's hooks: deterministic schedulers
// in existence, production runtimes draining or unwinding at the end of a run (defined and
// described in park.cc/park.h). Inline fast paths test it with one relaxed load so production
// pays nothing else for the hooks.
extern std::atomic<int> gInterceptingSchedulers;
// Under ThreadSanitizer the inline paths are never taken: their atomics would order
// goroutines beyond what Go's memory model promises (RLock after RLock, say), hiding races;
// the out-of-line paths report exactly the model's edges.
inline bool hooksActive() {
#if WEFT_TSAN
  return true;
#else
  return gInterceptingSchedulers.load(std::memory_order_relaxed) != 0;
#endif
}
// atomicHook(): the scheduling point and happens-before edges of one atomic operation.
void atomicHook(sim::OpKind kind, const void* object, const ObjectId& id);
}  // namespace weft::internal
