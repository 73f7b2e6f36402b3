// Semaphores and notify lists on park/ready (Go: runtime/sema.go). The sync primitives are
// built from these two and atomics only.
#include "debug.h"
#include "mutants.h"
#include "park.h"
#include "waiter.h"

namespace weft::internal {

namespace {
bool canAcquire(Sema& s) {
  std::uint32_t v = s.count.load(std::memory_order_acquire);
  while (v != 0) {
    if (s.count.compare_exchange_weak(v, v - 1, std::memory_order_acq_rel)) return true;
  }
  return false;
}

bool unlockAfterPark(G&, void* lock) {
  static_cast<SpinLock*>(lock)->unlock();
  return true;
}

WaitReason reasonFor(SemaWait why) {
  switch (why) {
    case SemaWait::kMutex: return WaitReason::kMutexLock;
    case SemaWait::kRWMutexRLock: return WaitReason::kRWMutexRLock;
    case SemaWait::kRWMutexLock: return WaitReason::kRWMutexLock;
    case SemaWait::kWaitGroup: return WaitReason::kWaitGroupWait;
    case SemaWait::kOther: return WaitReason::kSemacquire;
  }
  return WaitReason::kSemacquire;
}
}  // namespace

void semacquire(Sema& s, bool lifo, SemaWait why) {
  if (canAcquire(s)) return;
  G& self = requireG("a blocking sync operation");
  Waiter w;
  w.g = &self;
  w.ownerLock = &s.lock;
  for (;;) {
    s.lock.lock();
    // Count ourselves as a waiter before rechecking, so a release that increments count after
    // our check sees nwait > 0 and takes the lock to look for us (Go: semacquire1).
    s.nwait.fetch_add(1, std::memory_order_seq_cst);
    if (canAcquire(s)) {
      s.nwait.fetch_sub(1, std::memory_order_seq_cst);
      s.lock.unlock();
      return;
    }
    w.ticket = 0;
    if (lifo) {
      s.waiters.pushFront(&w);
    } else {
      s.waiters.pushBack(&w);
    }
    self.waiting = &w;
    park(self, reasonFor(why), &unlockAfterPark, &s.lock);
    self.waiting = nullptr;
    // ticket == 1: the releaser handed its count straight to us.
    if (w.ticket != 0 || canAcquire(s)) return;
    lifo = true;  // woken but beaten to the count: wait at the head this time
  }
}

void semrelease(Sema& s, bool handoff) {
  s.count.fetch_add(1, std::memory_order_seq_cst);
  if (s.nwait.load(std::memory_order_seq_cst) == 0) return;  // nobody to wake
  s.lock.lock();
  if (s.nwait.load(std::memory_order_relaxed) == 0) {
    s.lock.unlock();
    return;
  }
  Waiter* w = s.waiters.dequeue();
  if (w == nullptr) {  // counted in but not queued yet; it will see the count itself
    s.lock.unlock();
    return;
  }
  s.nwait.fetch_sub(1, std::memory_order_seq_cst);
  if (handoff && canAcquire(s)) w->ticket = 1;
  const bool yieldToIt = w->ticket == 1;
  G* g = w->g;
  s.lock.unlock();
  ready(*g, yieldToIt);
  // Starvation mode: the woken waiter owns the mutex now; let it run at once (Go: goyield).
  if (yieldToIt) {
    if (G* self = currentG()) yieldCurrent(*self);
  }
}

void semreleaseAll(Sema& s, std::uint32_t n) {
  if (n == 0) return;
  s.count.fetch_add(n, std::memory_order_seq_cst);
  if (s.nwait.load(std::memory_order_seq_cst) == 0) return;
  G* wake = nullptr;
  G** tail = &wake;
  s.lock.lock();
  for (std::uint32_t i = 0; i < n && s.nwait.load(std::memory_order_relaxed) != 0; ++i) {
    Waiter* w = s.waiters.dequeue();
    if (w == nullptr) break;
    s.nwait.fetch_sub(1, std::memory_order_seq_cst);
    // Hand the count over, so the woken goroutine need not touch `s` again.
    if (canAcquire(s)) w->ticket = 1;
    *tail = w->g;
    w->g->schedLink = nullptr;
    tail = &w->g->schedLink;
  }
  s.lock.unlock();
  // From here on, `s` may already be gone.
  while (wake != nullptr) {
    G* next = wake->schedLink;
    wake->schedLink = nullptr;
    ready(*wake);
    wake = next;
  }
}

std::uint32_t notifyListAdd(NotifyList& l) {
  return l.wait.fetch_add(1, std::memory_order_seq_cst);
}

namespace {
// Ticket order with wrap-around (Go: less(a, b)).
bool ticketBefore(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(a - b) < 0; }
}  // namespace

void notifyListWait(NotifyList& l, std::uint32_t ticket) {
  l.lock.lock();
  // Already notified (a signal came between notifyListAdd and here): do not sleep.
  if (ticketBefore(ticket, l.notify.load(std::memory_order_relaxed))) {
    l.lock.unlock();
    return;
  }
  G& self = requireG("sync.Cond.Wait");
  Waiter w;
  w.g = &self;
  w.ticket = ticket;
  w.ownerLock = &l.lock;
  l.waiters.pushBack(&w);
  self.waiting = &w;
  park(self, WaitReason::kCondWait, &unlockAfterPark, &l.lock);
  self.waiting = nullptr;
}

void notifyListNotifyAll(NotifyList& l) {
  if (l.wait.load(std::memory_order_seq_cst) == l.notify.load(std::memory_order_seq_cst)) return;
  l.lock.lock();
  Waiter* w = l.waiters.first;
  l.waiters.first = l.waiters.last = nullptr;
  // Unlink while holding the lock; the goroutines are readied after unlocking.
  G* wake = nullptr;
  G** tail = &wake;
  for (Waiter* next; w != nullptr; w = next) {
    next = w->next;
    w->next = w->prev = nullptr;
    w->queue = nullptr;
    *tail = w->g;
    w->g->schedLink = nullptr;
    tail = &w->g->schedLink;
  }
  l.notify.store(l.wait.load(std::memory_order_seq_cst), std::memory_order_seq_cst);
  l.lock.unlock();
  while (wake != nullptr) {
    G* next = wake->schedLink;
    wake->schedLink = nullptr;
    ready(*wake);
    wake = next;
  }
}

void notifyListNotifyOne(NotifyList& l) {
  if (l.wait.load(std::memory_order_seq_cst) == l.notify.load(std::memory_order_seq_cst)) return;
  l.lock.lock();
  const std::uint32_t t = l.notify.load(std::memory_order_relaxed);
  if (t == l.wait.load(std::memory_order_seq_cst)) {
    l.lock.unlock();
    return;
  }
  l.notify.store(t + 1, std::memory_order_seq_cst);
  // The waiter holding ticket t may not have queued itself yet; then it will find its ticket
  // already notified and not sleep at all.
  if (WEFT_MUTANT(kCondSignalNewest)) {
    if (Waiter* w = l.waiters.last) {
      l.waiters.remove(w);
      G* g = w->g;
      l.lock.unlock();
      ready(*g);
      return;
    }
  }
  for (Waiter* w = l.waiters.first; w != nullptr; w = w->next) {
    if (w->ticket == t) {
      l.waiters.remove(w);
      G* g = w->g;
      l.lock.unlock();
      ready(*g);
      return;
    }
  }
  l.lock.unlock();
}

}  // namespace weft::internal
