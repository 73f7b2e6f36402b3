// Go's sync package: Mutex, RWMutex, Cond, Once, WaitGroup. Defines:
//   Mutex      lock / unlock / try_lock (BasicLockable: works with std::lock_guard, std::unique_lock)
//   RWMutex    lock / unlock / try_lock and lock_shared / unlock_shared / try_lock_shared
//              (SharedLockable: works with std::shared_lock); rlocker() is Go's RLocker()
//   Cond       wait / signal / broadcast on any Locker (Go: sync.NewCond(l))
//   Once       call(f): Go's once.Do(f)
//   WaitGroup  add(n) / done() / wait()
//
//   weft::Mutex mu;            weft::WaitGroup wg;
//   wg.add(2);
//   for (int i = 0; i < 2; ++i) weft::go([&] { std::lock_guard l(mu); ++n; wg.done(); });
//   wg.wait();
//
// The algorithms are Go 1.19's (sync/mutex.go, rwmutex.go, waitgroup.go, once.go, cond.go with
// runtime/sema.go): a Mutex spins briefly, then parks FIFO, and switches to starvation mode
// (direct hand-off) after a waiter has waited 1 ms; an RWMutex prefers writers (a blocked Lock
// stops new readers); Cond wakes waiters in FIFO order. Blocking parks the goroutine, never the
// OS thread. Every operation is a visible operation: a scheduling point in deterministic mode.
//
// Misuse ends the run the way it ends a Go program:
//   fatal error (weft::FatalError): "sync: unlock of unlocked mutex",
//     "sync: RUnlock of unlocked RWMutex", "sync: Unlock of unlocked RWMutex"
//   panic (weft::Panic): "sync: negative WaitGroup counter",
//     "sync: WaitGroup misuse: Add called concurrently with Wait",
//     "sync: WaitGroup is reused before previous Wait has returned"
// A Mutex is not tied to a goroutine: one goroutine may lock it and another unlock it, as in Go.
// Objects are neither copyable nor movable (Go's vet "copylocks" check, made a compile error).
// Lifetime: C++ has no garbage collector to keep an object alive for a goroutine that still
// uses it. An object must outlive every operation on it; in particular a goroutine that calls
// wg.done() while still holding a lock guard on a Mutex owned by the waiter lets the waiter
// return and destroy that Mutex before the guard unlocks it: release locks before done().
// The last done() never touches the WaitGroup after waking its waiters, so a single waiter
// may destroy it as soon as wait() returns (with several waiters, each reads it after waking
// for Go's reuse check: only the last to return may destroy it).
//
// Each object records where it was constructed (and an optional name) for traces and reports:
//   weft::Mutex accounts{"accounts"};
#pragma once

#include <atomic>
#include <concepts>
#include <cstdint>
#include <source_location>
#include <utility>

#include "weft/internal/sync_abi.h"

namespace weft {

// Locker: Go's sync.Locker.
template <class L>
concept Locker = requires(L& l) {
  l.lock();
  l.unlock();
};

namespace internal {
class SyncObject {
 public:
  explicit SyncObject(const char* name, std::source_location site) : id_{site, name} {}
  SyncObject(const SyncObject&) = delete;
  SyncObject& operator=(const SyncObject&) = delete;
  const char* name() const { return id_.name; }
  const std::source_location& site() const { return id_.site; }

 protected:
  ObjectId id_;
};
}  // namespace internal

// Mutex: Go's sync.Mutex.
//
// Memory ordering: the n-th unlock() happens before the m-th lock() returns, for n < m (and a
// successful try_lock() counts as a lock()).
class Mutex : public internal::SyncObject {
 public:
  explicit Mutex(const char* name = nullptr,
                 std::source_location site = std::source_location::current())
      : SyncObject(name, site) {}

  // The uncontended paths are inline: one atomic read-modify-write and a test of the hooks
  // flag (deterministic mode, race detection).
  void lock() {
    std::int32_t unlocked = 0;
    if (!internal::hooksActive() &&
        state_.compare_exchange_strong(unlocked, 1, std::memory_order_acquire)) [[likely]] {
      return;
    }
    lockAnnounced();
  }
  void unlock() {
    if (!internal::hooksActive()) [[likely]] {
      const std::int32_t next = state_.fetch_sub(1, std::memory_order_release) - 1;
      if (next != 0) unlockSlow(next);
      return;
    }
    unlockAnnounced();
  }
  bool try_lock();

 private:
  friend class RWMutex;
  void lockAnnounced();
  void unlockAnnounced();
  // Without the scheduling point: RWMutex's writer lock is part of the RWMutex operation.
  void lockUnannounced();
  void unlockUnannounced();
  bool tryLockUnannounced();
  void lockSlow();
  void unlockSlow(std::int32_t next);

  std::atomic<std::int32_t> state_{0};
  internal::Sema sema_;
};

// RWMutex: Go's sync.RWMutex.
//
// Memory ordering: as for Mutex between unlock() and a later lock(); additionally the n-th
// unlock() happens before every lock_shared() that returns after it, and every unlock_shared()
// happens before the next lock() returns.
class RWMutex : public internal::SyncObject {
 public:
  explicit RWMutex(const char* name = nullptr,
                   std::source_location site = std::source_location::current())
      : SyncObject(name, site), w_(name, site) {}

  void lock();
  void unlock();
  bool try_lock();
  void lock_shared();
  void unlock_shared();
  bool try_lock_shared();

  // rlocker(): a Locker whose lock()/unlock() are lock_shared()/unlock_shared() (Go: RLocker).
  class ReadLocker {
   public:
    void lock() { rw_->lock_shared(); }
    void unlock() { rw_->unlock_shared(); }

   private:
    friend class RWMutex;
    explicit ReadLocker(RWMutex* rw) : rw_(rw) {}
    RWMutex* rw_;
  };
  ReadLocker rlocker() { return ReadLocker(this); }

 private:
  void rUnlockSlow(std::int32_t r);

  static constexpr std::int32_t kMaxReaders = 1 << 30;
  Mutex w_;                                  // held by a writer while it waits and writes
  internal::Sema writerSem_;                 // a writer waits here for departing readers
  internal::Sema readerSem_;                 // readers wait here for the writer
  std::atomic<std::int32_t> readerCount_{0};  // pending readers (minus kMaxReaders if a writer)
  std::atomic<std::int32_t> readerWait_{0};   // departing readers the writer still waits for
};

// Cond: Go's sync.Cond over a Locker given at construction (Go: sync.NewCond(l)).
//
//   std::lock_guard g(mu);                      // or mu.lock()
//   while (!ready) cond.wait();                 // unlocks, waits, re-locks
//
// wait() must be called with the locker held; signal() wakes the longest-waiting goroutine,
// broadcast() wakes all of them. Memory ordering comes from the locker, as in Go.
class Cond : public internal::SyncObject {
 public:
  template <Locker L>
  explicit Cond(L& locker, const char* name = nullptr,
                std::source_location site = std::source_location::current())
      : SyncObject(name, site),
        locker_(&locker),
        lock_([](void* l) { static_cast<L*>(l)->lock(); }),
        unlock_([](void* l) { static_cast<L*>(l)->unlock(); }) {}

  void wait();
  void signal();
  void broadcast();

 private:
  void* locker_;
  void (*lock_)(void*);
  void (*unlock_)(void*);
  internal::NotifyList notify_;
};

// Once: Go's sync.Once. call(f) runs f only on the first call; every call returns only after
// that first f has returned. If f throws (Go: panics), the Once still counts as done and the
// exception propagates from that first call only.
//
// Memory ordering: the return of the one f() happens before every call(f) returns.
class Once : public internal::SyncObject {
 public:
  explicit Once(const char* name = nullptr,
                std::source_location site = std::source_location::current())
      : SyncObject(name, site), m_(name, site) {}

  template <class F>
  void call(F&& f) {
    if (!internal::hooksActive()) [[likely]] {
      if (done_.load(std::memory_order_acquire) != 0) return;  // the fast path: one load
    } else if (fastDone()) {
      return;
    }
    callSlow(std::forward<F>(f));
  }

 private:
  bool fastDone();
  void markDone();
  void enterSlow();
  void exitSlow();
  template <class F>
  void callSlow(F&& f) {
    struct Slow {
      Once* o;
      explicit Slow(Once* once) : o(once) { o->enterSlow(); }
      ~Slow() { o->exitSlow(); }
    } slow{this};
    if (done_.load(std::memory_order_relaxed) == 0) {
      struct MarkDone {
        Once* o;
        ~MarkDone() { o->markDone(); }  // Go: defer o.done.Store(1), so a panic counts
      } mark{this};
      std::forward<F>(f)();
    }
  }

  std::atomic<std::uint32_t> done_{0};
  Mutex m_;
};

// WaitGroup: Go's sync.WaitGroup.
//
// Memory ordering: every done() (an add() with a negative delta) happens before the wait() it
// unblocks returns. An add() with a positive delta that starts from zero must happen before
// wait(); otherwise the race detector reports the misuse, as Go's does.
class WaitGroup : public internal::SyncObject {
 public:
  explicit WaitGroup(const char* name = nullptr,
                     std::source_location site = std::source_location::current())
      : SyncObject(name, site) {}

  // The common paths are inline, as for Mutex: with no hooks active (deterministic mode, race
  // detection), an add that leaves no waiter to wake is one atomic add and a test, and a wait
  // on a zero counter one load.
  void add(int delta, std::source_location where = std::source_location::current()) {
    if (!internal::hooksActive()) [[likely]] {
      const std::uint64_t d = static_cast<std::uint64_t>(static_cast<std::int64_t>(delta)) << 32;
      const std::uint64_t state = state_.fetch_add(d, std::memory_order_acq_rel) + d;
      // No waiters, and the counter did not go negative: nothing to report or wake.
      if (static_cast<std::uint32_t>(state) == 0 && static_cast<std::int32_t>(state >> 32) >= 0) {
        return;
      }
      settle(state, delta);
      return;
    }
    addAnnounced(delta, where);
  }
  void done(std::source_location where = std::source_location::current()) { add(-1, where); }
  void wait(std::source_location where = std::source_location::current()) {
    if (!internal::hooksActive() && (state_.load(std::memory_order_acquire) >> 32) == 0)
        [[likely]] {
      return;
    }
    waitAnnounced(where);
  }

 private:
  void addAnnounced(int delta, std::source_location where);
  // The rest of an add once the counter moved to `state`: misuse panics, or waking the waiters.
  void settle(std::uint64_t state, int delta);
  void waitAnnounced(std::source_location where);

  std::atomic<std::uint64_t> state_{0};  // high 32 bits: counter; low 32 bits: waiters
  internal::Sema sema_;
};

}  // namespace weft
