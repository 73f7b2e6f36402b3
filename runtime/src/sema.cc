// Semaphores and notify lists on park/ready (Go: runtime/sema.go). The sync primitives are
// built from these two and atomics only.
#include "debug.h"
#include "mutants.h"
#include "park.h"
#include "waiter.h"

namespace weft::internal {

namespace {
// REQUIRES: s.lock held.
bool canAcquire(Sema& s) {
  const std::uint32_t v = s.count.load(std::memory_order_relaxed);
  if (v == 0) return false;
  s.count.store(v - 1, std::memory_order_relaxed);
  return true;
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
  G& self = requireG("a blocking sync operation");
  Waiter w;
  w.g = &self;
  w.ownerLock = &s.lock;
  for (;;) {
    s.lock.lock();
    if (canAcquire(s)) {
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
    // ticket == 1: the releaser handed its count straight to us, and will not touch s again.
    if (w.ticket != 0) return;
    lifo = true;  // woken but beaten to the count: wait at the head this time
  }
}

void semrelease(Sema& s, bool handoff) {
  s.lock.lock();
  s.count.store(s.count.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  Waiter* w = s.waiters.dequeue();
  if (w == nullptr) {
    s.lock.unlock();  // last access to s
    return;
  }
  if (handoff && canAcquire(s)) w->ticket = 1;
  const bool yieldToIt = w->ticket == 1;
  G* g = w->g;
  s.lock.unlock();  // last access to s
  ready(*g, yieldToIt);
  // Starvation mode: the woken waiter owns the mutex now; let it run at once (Go: goyield).
  if (yieldToIt) {
    if (G* self = currentG()) yieldCurrent(*self);
  }
}

void semreleaseAll(Sema& s, std::uint32_t n) {
  if (n == 0) return;
  G* wake = nullptr;
  G** tail = &wake;
  s.lock.lock();
  s.count.store(s.count.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  for (std::uint32_t i = 0; i < n; ++i) {
    Waiter* w = s.waiters.dequeue();
    if (w == nullptr) break;
    // Hand the count over, so the woken goroutine need not touch `s` again.
    if (canAcquire(s)) w->ticket = 1;
    *tail = w->g;
    w->g->schedLink = nullptr;
    tail = &w->g->schedLink;
  }
  s.lock.unlock();  // last access to s: from here on it may already be gone
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
