// Waiter (Go: sudog) and WaitQueue (Go: waitq): a goroutine waiting on a channel or a
// semaphore, linked into that object's queue. A Waiter lives on the waiting goroutine's own
// stack for exactly the duration of the blocking operation, so blocking never allocates.
//
// Invariants:
//  - Every field except `g` is guarded by `*ownerLock` (the lock of the object whose queue
//    holds the waiter) while the waiter is linked; `queue` is non-null exactly while linked.
//  - A waiter with isSelect set belongs to a select; only the dequeuer that wins the CAS on
//    g->selectDone may complete it (Go: sudog.isSelect + g.selectDone).
//  - The waker writes `success`, `elem`'s contents and g->wakeWaiter under the lock, then
//    unlocks, then calls ready(g): never ready() with an owner lock held.
#pragma once

#include <cstdint>

#include "weft/internal/spin_lock.h"
#include "weft/internal/sync_abi.h"

namespace weft::internal {

struct G;
class ChanCore;

struct Waiter {
  G* g = nullptr;
  void* elem = nullptr;  // send: the value to move from; recv: storage to construct into
  ChanCore* chan = nullptr;
  Waiter* next = nullptr;  // queue links, guarded by *ownerLock
  Waiter* prev = nullptr;
  WaitQueue* queue = nullptr;   // non-null while linked
  SpinLock* ownerLock = nullptr;  // lock guarding `queue`
  Waiter* waitLink = nullptr;     // g->waiting list: all waiters of one blocking operation
  std::uint64_t ticket = 0;       // sema/notify-list ordering
  std::uint32_t caseIndex = 0;    // select: which case this waiter stands for
  bool isSelect = false;
  bool success = false;  // true: completed by a value hand-off; false: woken by close
};

// WaitQueue's inline members (declared in weft/internal/sync_abi.h, where primitives embed it).
inline void WaitQueue::pushBack(Waiter* w) {
  w->next = nullptr;
  w->prev = last;
  if (last != nullptr) {
    last->next = w;
  } else {
    first = w;
  }
  last = w;
  w->queue = this;
}
inline void WaitQueue::pushFront(Waiter* w) {
  w->prev = nullptr;
  w->next = first;
  if (first != nullptr) {
    first->prev = w;
  } else {
    last = w;
  }
  first = w;
  w->queue = this;
}
inline void WaitQueue::remove(Waiter* w) {
  if (w->prev != nullptr) {
    w->prev->next = w->next;
  } else {
    first = w->next;
  }
  if (w->next != nullptr) {
    w->next->prev = w->prev;
  } else {
    last = w->prev;
  }
  w->next = w->prev = nullptr;
  w->queue = nullptr;
}

}  // namespace weft::internal
