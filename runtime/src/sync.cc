// Go's sync package (sync/mutex.go, rwmutex.go, waitgroup.go, once.go, cond.go, Go 1.19) on
// the runtime's semaphores. Each primitive reports its happens-before edges at the points where
// Go's sync package calls its race hooks; sync.h states the edges in words.
#include "weft/sync.h"

#include <thread>

#include "debug.h"
#include "mutants.h"
#include "park.h"
#include "race.h"

namespace weft::internal {

// ---- hooks ----------------------------------------------------------------------------------

void syncPoint(sim::OpKind kind, const void* object, const ObjectId& id) {
  schedulePoint(kind, object, &id.site, id.name);
}
void syncRelease(const void* sync) { hbRelease(sync); }
void syncAcquire(const void* sync) { hbAcquire(sync); }
void syncAccess(const void* addr, bool write, const ObjectId& id,
                const std::source_location& where) {
  raceAccess(addr, write, &id.site, id.name, where);
}
void syncFatal(const char* goText) { fatal(goText); }
bool syncUnwinding() {
  G* g = currentG();
  return g != nullptr && g->unwinding;
}
void syncPanic(const char* goText) { panicWith(goText); }

bool syncCanSpin(int iteration) {
  // Go's sync_runtime_canSpin: a few rounds, and only when the scheduler says it may pay.
  if (iteration >= 4) return false;
  G* g = currentG();
  return g != nullptr && g->sched->spinMayPay();
}
void syncSpin() {
  for (int i = 0; i < 30; ++i) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
  }
}
std::int64_t syncNanotime() {
  if (G* g = currentG()) return g->sched->now();
  return 0;
}

}  // namespace weft::internal

namespace weft {

using internal::OpKind;

// ---- Mutex ----------------------------------------------------------------------------------

namespace {
constexpr std::int32_t kLocked = 1;
constexpr std::int32_t kWoken = 2;
constexpr std::int32_t kStarving = 4;
constexpr int kWaiterShift = 3;
// A waiter that has waited this long switches the mutex to starvation mode (Go: 1 ms).
constexpr std::int64_t kStarvationThresholdNs = 1'000'000;
}  // namespace

void Mutex::lockAnnounced() {
  internal::RuntimeScope runtime;
  internal::syncPoint(OpKind::kMutexLock, this, id_);
  lockUnannounced();
}

void Mutex::lockUnannounced() {
  std::int32_t unlocked = 0;
  if (!state_.compare_exchange_strong(unlocked, kLocked, std::memory_order_acquire)) lockSlow();
  internal::syncAcquire(this);
}

bool Mutex::try_lock() {
  internal::RuntimeScope runtime;
  internal::syncPoint(OpKind::kMutexLock, this, id_);
  return tryLockUnannounced();
}

bool Mutex::tryLockUnannounced() {
  std::int32_t old = state_.load(std::memory_order_relaxed);
  if ((old & (kLocked | kStarving)) != 0) return false;
  // There may be a goroutine waiting; taking the lock here is the same opportunism Lock's fast
  // path allows (Go: TryLock).
  if (!state_.compare_exchange_strong(old, old | kLocked, std::memory_order_acquire)) return false;
  internal::syncAcquire(this);
  return true;
}

void Mutex::lockSlow() {
  std::int64_t waitStart = 0;
  bool starving = false;
  bool awoke = false;
  int iter = 0;
  std::int32_t old = state_.load(std::memory_order_relaxed);
  for (;;) {
    // Spin while the owner may release soon, unless the mutex is starving (then ownership is
    // handed to waiters and spinning cannot win it).
    if ((old & (kLocked | kStarving)) == kLocked && internal::syncCanSpin(iter)) {
      // Set the woken flag so that unlock does not wake a parked waiter while we spin.
      if (!awoke && (old & kWoken) == 0 && (old >> kWaiterShift) != 0 &&
          state_.compare_exchange_strong(old, old | kWoken, std::memory_order_relaxed)) {
        awoke = true;
      }
      internal::syncSpin();
      ++iter;
      old = state_.load(std::memory_order_relaxed);
      continue;
    }
    std::int32_t next = old;
    if ((old & kStarving) == 0) next |= kLocked;  // don't try to take a starving mutex
    if ((old & (kLocked | kStarving)) != 0) next += 1 << kWaiterShift;
    // Switch to starvation mode, but only if the mutex is still locked (an unlock expects
    // waiters in starvation mode).
    if (starving && (old & kLocked) != 0) next |= kStarving;
    if (awoke) {
      WEFT_CHECK((next & kWoken) != 0);  // Go: "sync: inconsistent mutex state"
      next &= ~kWoken;
    }
    if (state_.compare_exchange_strong(old, next, std::memory_order_acquire)) {
      if ((old & (kLocked | kStarving)) == 0) break;  // locked it with a CAS
      // A goroutine that already waited queues at the head (LIFO) to keep its turn.
      const bool queueLifo = waitStart != 0;
      if (waitStart == 0) waitStart = internal::syncNanotime();
      internal::semacquire(sema_, queueLifo, internal::SemaWait::kMutex);
      starving = starving || internal::syncNanotime() - waitStart > kStarvationThresholdNs;
      old = state_.load(std::memory_order_relaxed);
      if ((old & kStarving) != 0) {
        // Ownership was handed to us, but the state still says unlocked with us as a waiter.
        WEFT_CHECK((old & (kLocked | kWoken)) == 0 && (old >> kWaiterShift) != 0);
        std::int32_t delta = kLocked - (1 << kWaiterShift);
        // Leave starvation mode if we are the last waiter or did not wait long: staying in it
        // would turn every later lock into a hand-off (lock convoys).
        if (!starving || (old >> kWaiterShift) == 1) delta -= kStarving;
        state_.fetch_add(delta, std::memory_order_acquire);
        break;
      }
      awoke = true;
      iter = 0;
    } else {
      old = state_.load(std::memory_order_relaxed);
    }
  }
}

void Mutex::unlockAnnounced() {
  internal::RuntimeScope runtime;
  internal::syncPoint(OpKind::kMutexUnlock, this, id_);
  unlockUnannounced();
}

void Mutex::unlockUnannounced() {
  internal::syncRelease(this);
  const std::int32_t next = state_.fetch_sub(kLocked, std::memory_order_release) - kLocked;
  if (next != 0) unlockSlow(next);
}

void Mutex::unlockSlow(std::int32_t next) {
  internal::RuntimeScope runtime;
  if (((next + kLocked) & kLocked) == 0) {
    if (internal::syncUnwinding()) {
      state_.fetch_add(kLocked, std::memory_order_relaxed);  // undo; see syncUnwinding()
      return;
    }
    internal::syncFatal("sync: unlock of unlocked mutex");
  }
  if ((next & kStarving) != 0) {
    // Starvation mode: hand ownership to the first waiter and yield to it.
    internal::semrelease(sema_, true);
    return;
  }
  std::int32_t old = next;
  for (;;) {
    // Nobody to wake, or a goroutine already woke / locked / starved it: nothing to do.
    if ((old >> kWaiterShift) == 0 || (old & (kLocked | kWoken | kStarving)) != 0) return;
    const std::int32_t woken = (old - (1 << kWaiterShift)) | kWoken;
    if (state_.compare_exchange_strong(old, woken, std::memory_order_release)) {
      internal::semrelease(sema_, false);
      return;
    }
  }
}

// ---- RWMutex --------------------------------------------------------------------------------

void RWMutex::lock_shared() {
  internal::RuntimeScope runtime;
  internal::syncPoint(OpKind::kRLock, this, id_);
  if (readerCount_.fetch_add(1, std::memory_order_acquire) + 1 < 0) {
    // A writer is pending: wait for it.
    internal::semacquire(readerSem_, false, internal::SemaWait::kRWMutexRLock);
  }
  internal::syncAcquire(&readerSem_);
}

bool RWMutex::try_lock_shared() {
  internal::RuntimeScope runtime;
  internal::syncPoint(OpKind::kRLock, this, id_);
  std::int32_t c = readerCount_.load(std::memory_order_relaxed);
  for (;;) {
    if (c < 0) return false;
    if (readerCount_.compare_exchange_weak(c, c + 1, std::memory_order_acquire)) {
      internal::syncAcquire(&readerSem_);
      return true;
    }
  }
}

void RWMutex::unlock_shared() {
  internal::RuntimeScope runtime;
  internal::syncPoint(OpKind::kRUnlock, this, id_);
  internal::syncRelease(&writerSem_);  // merges: every reader's release reaches the writer
  const std::int32_t r = readerCount_.fetch_sub(1, std::memory_order_release) - 1;
  if (r < 0) rUnlockSlow(r);
}

void RWMutex::rUnlockSlow(std::int32_t r) {
  if (r + 1 == 0 || r + 1 == -kMaxReaders) {
    if (internal::syncUnwinding()) {
      readerCount_.fetch_add(1, std::memory_order_relaxed);  // undo; see syncUnwinding()
      return;
    }
    internal::syncFatal("sync: RUnlock of unlocked RWMutex");
  }
  // A writer is pending; the last departing reader wakes it.
  if (readerWait_.fetch_sub(1, std::memory_order_acq_rel) - 1 == 0) {
    internal::semrelease(writerSem_, false);
  }
}

void RWMutex::lock() {
  internal::RuntimeScope runtime;
  internal::syncPoint(OpKind::kMutexLock, this, id_);
  w_.lockUnannounced();  // first, resolve competition with other writers
  // Announce the pending writer to readers (readerCount goes negative); r is the number of
  // readers still active, which the writer waits for.
  const std::int32_t r = readerCount_.fetch_sub(kMaxReaders, std::memory_order_acq_rel);
  if (r != 0 && readerWait_.fetch_add(r, std::memory_order_acq_rel) + r != 0) {
    internal::semacquire(writerSem_, false, internal::SemaWait::kRWMutexLock);
  }
  internal::syncAcquire(&readerSem_);
  internal::syncAcquire(&writerSem_);
}

bool RWMutex::try_lock() {
  internal::RuntimeScope runtime;
  internal::syncPoint(OpKind::kMutexLock, this, id_);
  if (!w_.tryLockUnannounced()) return false;
  std::int32_t zero = 0;
  if (!readerCount_.compare_exchange_strong(zero, -kMaxReaders, std::memory_order_acq_rel)) {
    w_.unlockUnannounced();
    return false;
  }
  internal::syncAcquire(&readerSem_);
  internal::syncAcquire(&writerSem_);
  return true;
}

void RWMutex::unlock() {
  internal::RuntimeScope runtime;
  internal::syncPoint(OpKind::kMutexUnlock, this, id_);
  internal::syncRelease(&readerSem_);
  // Announce to readers that there is no active writer.
  const std::int32_t r = readerCount_.fetch_add(kMaxReaders, std::memory_order_release) + kMaxReaders;
  if (r >= kMaxReaders) {
    if (internal::syncUnwinding()) {
      readerCount_.fetch_sub(kMaxReaders, std::memory_order_relaxed);  // undo
      return;
    }
    internal::syncFatal("sync: Unlock of unlocked RWMutex");
  }
  // Unblock the readers that arrived while the writer held the lock.
  internal::semreleaseAll(readerSem_, static_cast<std::uint32_t>(r));
  w_.unlockUnannounced();  // allow other writers
}

// ---- Cond -----------------------------------------------------------------------------------

void Cond::wait() {
  internal::RuntimeScope runtime;
  internal::syncPoint(OpKind::kCondWait, this, id_);
  // Take a ticket while still holding the locker: a signal after the unlock cannot be lost.
  const std::uint32_t ticket = internal::notifyListAdd(notify_);
  unlock_(locker_);
  internal::notifyListWait(notify_, ticket);
  lock_(locker_);
}

void Cond::signal() {
  internal::RuntimeScope runtime;
  internal::syncPoint(OpKind::kCondSignal, this, id_);
  internal::notifyListNotifyOne(notify_);
}

void Cond::broadcast() {
  internal::RuntimeScope runtime;
  internal::syncPoint(OpKind::kCondBroadcast, this, id_);
  internal::notifyListNotifyAll(notify_);
}

// ---- Once -----------------------------------------------------------------------------------

bool Once::fastDone() {
  internal::RuntimeScope runtime;
  internal::syncPoint(OpKind::kOnce, this, id_);
  if (done_.load(std::memory_order_acquire) == 0) return false;
  internal::syncAcquire(&done_);
  return true;
}

void Once::markDone() {
  internal::RuntimeScope runtime;
  internal::syncRelease(&done_);
  done_.store(1, std::memory_order_release);
}

// The slow path runs f under the Once's own mutex, so concurrent first callers wait for it.
void Once::enterSlow() {
  internal::RuntimeScope runtime;
  if (WEFT_MUTANT(kOnceUnsynchronized)) return;  // mutant: check-then-run without the lock
  m_.lock();
}
void Once::exitSlow() {
  internal::RuntimeScope runtime;
  if (WEFT_MUTANT(kOnceUnsynchronized)) return;
  m_.unlock();
}

// ---- WaitGroup ------------------------------------------------------------------------------

void WaitGroup::addAnnounced(int delta, std::source_location where) {
  internal::RuntimeScope runtime;
  internal::syncPoint(OpKind::kWaitGroupAdd, this, id_);
  // Every Done happens before the Wait it releases.
  if (delta < 0) internal::syncRelease(this);
  const std::uint64_t state =
      state_.fetch_add(static_cast<std::uint64_t>(static_cast<std::int64_t>(delta)) << 32,
                       std::memory_order_acq_rel) +
      (static_cast<std::uint64_t>(static_cast<std::int64_t>(delta)) << 32);
  // The first increment must be synchronized with Wait: model it as a read of the semaphore,
  // which a Wait with no waiters yet "writes" (Go: race.Read(&wg.sema)).
  if (delta > 0 && static_cast<std::int32_t>(state >> 32) == delta) {
    internal::syncAccess(&sema_, false, id_, where);
  }
  settle(state, delta);
}

void WaitGroup::settle(std::uint64_t state, int delta) {
  internal::RuntimeScope runtime;  // reached from the inline add() too
  const auto v = static_cast<std::int32_t>(state >> 32);
  const auto w = static_cast<std::uint32_t>(state);
  if (v < 0) internal::syncPanic("sync: negative WaitGroup counter");
  if (w != 0 && delta > 0 && v == delta) {
    internal::syncPanic("sync: WaitGroup misuse: Add called concurrently with Wait");
  }
  if (v > 0 || w == 0) return;
  // The counter reached zero with waiters: nobody may touch the state until they are woken.
  if (state_.load(std::memory_order_acquire) != state) {
    internal::syncPanic("sync: WaitGroup misuse: Add called concurrently with Wait");
  }
  state_.store(0, std::memory_order_release);
  if (WEFT_MUTANT(kWaitGroupMissesWakeup)) return;
  internal::semreleaseAll(sema_, w);  // last access: a waiter may destroy the WaitGroup
}

void WaitGroup::waitAnnounced(std::source_location where) {
  internal::RuntimeScope runtime;
  internal::syncPoint(OpKind::kWaitGroupWait, this, id_);
  std::uint64_t state = state_.load(std::memory_order_acquire);
  for (;;) {
    const auto v = static_cast<std::int32_t>(state >> 32);
    const auto w = static_cast<std::uint32_t>(state);
    if (v == 0) {
      internal::syncAcquire(this);
      return;  // counter is zero: no need to wait
    }
    if (state_.compare_exchange_weak(state, state + 1, std::memory_order_acq_rel)) {
      // The first waiter "writes" the semaphore, racing with an unsynchronized first Add.
      if (w == 0) internal::syncAccess(&sema_, true, id_, where);
      internal::semacquire(sema_, false, internal::SemaWait::kWaitGroup);
      if (state_.load(std::memory_order_acquire) != 0) {
        internal::syncPanic("sync: WaitGroup is reused before previous Wait has returned");
      }
      internal::syncAcquire(this);
      return;
    }
  }
}

}  // namespace weft

namespace weft::internal {

void atomicHook(sim::OpKind kind, const void* object, const ObjectId& id) {
  RuntimeScope runtime;
  syncPoint(kind, object, id);
  // Sequentially consistent: a load acquires what every earlier store released.
  switch (kind) {
    case OpKind::kAtomicLoad: hbAcquire(object); break;
    case OpKind::kAtomicStore: hbRelease(object); break;
    default: hbAcquire(object); hbRelease(object); break;
  }
}

}  // namespace weft::internal
