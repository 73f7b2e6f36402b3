// select (Go: runtime/select.go selectgo), split into its passes:
//   pollOrder()   a uniformly random permutation of the non-nil cases (randomness from the
//                 scheduler, so deterministic mode records it)
//   lockOrder()   the cases sorted by channel address, so that concurrent selects lock
//                 channels in one global order (no lock inversion)
//   pass1TryReady()  with all channels locked, take the first ready case in poll order
//   pass2Enqueue()   none ready: enqueue a waiter on every channel, park
//   pass3Dequeue()   woken by one case: dequeue the waiters of all the others
#include <algorithm>

#include "chan_core.h"
#include "debug.h"
#include "mutants.h"
#include "park.h"
#include "race.h"

namespace weft::internal {

struct SelectImpl {
  SelectCase* cases;
  std::size_t n;
  std::uint16_t* pollOrder;  // n entries (only the first nPoll used)
  std::uint16_t* lockOrder;  // n entries (only the first nPoll used)
  std::size_t nPoll = 0;

  void buildPollOrder() {
    // Inside-out Fisher-Yates over the non-nil cases; nil cases are never ready, and never
    // enqueued on (Go omits them the same way).
    for (std::size_t i = 0; i < n; ++i) {
      if (cases[i].chan == nullptr) continue;
      std::size_t j = nPoll == 0 ? 0 : static_cast<std::size_t>(runtimeRandomU64() % (nPoll + 1));
      if (WEFT_MUTANT(kSelectFirstReady)) j = nPoll;  // mutant: keep argument order
      pollOrder[nPoll] = pollOrder[j];
      pollOrder[j] = static_cast<std::uint16_t>(i);
      ++nPoll;
    }
  }

  void buildLockOrder() {
    std::copy(pollOrder, pollOrder + nPoll, lockOrder);
    std::sort(lockOrder, lockOrder + nPoll, [&](std::uint16_t a, std::uint16_t b) {
      return std::less<const ChanCore*>()(cases[a].chan, cases[b].chan);
    });
  }

  void lockAll() {
    for (std::size_t i = 0; i < nPoll; ++i) {
      ChanCore* c = cases[lockOrder[i]].chan;
      if (i > 0 && c == cases[lockOrder[i - 1]].chan) continue;  // same channel twice
      c->lock_.lock();
    }
  }
  void unlockAll() {
    // Order is important here: unlock in reverse lock order, and never touch a case after its
    // channel's unlock (Go: selunlock) — once the last lock drops, a waker may resume us.
    for (std::size_t i = nPoll; i-- > 0;) {
      ChanCore* c = cases[lockOrder[i]].chan;
      if (i > 0 && c == cases[lockOrder[i - 1]].chan) continue;
      c->lock_.unlock();
    }
  }
  // Unlocks all but `keep`'s channel (used when a case completes via sendToWaiter /
  // recvFromWaiter, which unlock that channel themselves).
  void unlockAllBut(ChanCore* keep) {
    for (std::size_t i = nPoll; i-- > 0;) {
      ChanCore* c = cases[lockOrder[i]].chan;
      if (i > 0 && c == cases[lockOrder[i - 1]].chan) continue;
      if (c != keep) c->lock_.unlock();
    }
  }

  // Returns the chosen case, or -1. On a ready case all locks are released on return; on
  // "closed channel send" it panics after unlocking.
  int pass1TryReady() {
    for (std::size_t k = 0; k < nPoll; ++k) {
      const std::uint16_t i = pollOrder[k];
      SelectCase& cs = cases[i];
      ChanCore* c = cs.chan;
      if (cs.isSend) {
        raceAccess(c->raceAddr(), false, &c->site_);
        if (c->closed_.load(std::memory_order_relaxed)) {
          unlockAll();
          panicWith("send on closed channel");
        }
        if (Waiter* w = c->recvq_.dequeue()) {
          unlockAllBut(c);
          c->sendToWaiter(w, cs.elem);
          return i;
        }
        if (c->count_.load(std::memory_order_relaxed) < c->cap_) {
          c->putInBuffer(cs.elem);
          unlockAll();
          return i;
        }
      } else {
        if (Waiter* w = c->sendq_.dequeue()) {
          unlockAllBut(c);
          c->recvFromWaiter(w, cs.elem);
          cs.received = true;
          return i;
        }
        if (c->count_.load(std::memory_order_relaxed) > 0) {
          c->takeFromBuffer(cs.elem);
          cs.received = true;
          unlockAll();
          return i;
        }
        if (c->closed_.load(std::memory_order_relaxed)) {
          hbAcquire(c->raceAddr());
          cs.received = false;
          unlockAll();
          return i;
        }
      }
    }
    return -1;
  }
};

namespace {
bool selectParkCommit(G&, void* impl) {
  static_cast<SelectImpl*>(impl)->unlockAll();
  return true;
}
}  // namespace

int ChanCore::select(SelectCase* cases, std::size_t n, bool block, std::uint16_t* scratch) {
  RuntimeScope runtime;
  schedulePoint(OpKind::kSelect, cases);
  if (n > 65535) usageError("weft::select: more than 65535 cases");
  SelectImpl s{cases, n, scratch, scratch + n};
  s.buildPollOrder();
  if (s.nPoll == 0) {
    if (!block) return -1;
    parkForever(requireG("select with no ready case"), WaitReason::kSelectNoCases);
  }
  s.buildLockOrder();
  s.lockAll();
  if (int chosen = s.pass1TryReady(); chosen >= 0) return chosen;
  if (!block) {
    s.unlockAll();
    return -1;
  }
  G& g = requireG("blocking select");

  // pass 2: enqueue on every channel, in lock order. The waiters live on this stack frame.
  constexpr std::size_t kInline = 8;
  Waiter inlineWaiters[kInline];
  std::unique_ptr<Waiter[]> heapWaiters;
  Waiter* waiters = inlineWaiters;
  if (s.nPoll > kInline) {
    heapWaiters.reset(new Waiter[s.nPoll]);
    waiters = heapWaiters.get();
  }
  g.selectDone.store(0, std::memory_order_relaxed);
  g.wakeWaiter = nullptr;
  Waiter** link = &g.waiting;
  for (std::size_t k = 0; k < s.nPoll; ++k) {
    const std::uint16_t i = s.lockOrder[k];
    Waiter& w = waiters[k];
    w.g = &g;
    w.isSelect = true;
    w.elem = cases[i].elem;
    w.chan = cases[i].chan;
    w.caseIndex = i;
    w.ownerLock = &cases[i].chan->lock_;
    *link = &w;
    link = &w.waitLink;
    if (cases[i].isSend) {
      cases[i].chan->sendq_.pushBack(&w);
    } else {
      cases[i].chan->recvq_.pushBack(&w);
    }
  }
  *link = nullptr;

  try {
    park(g, WaitReason::kSelect, &selectParkCommit, &s);
  } catch (const GoexitUnwind&) {
    if (Waiter* won = g.wakeWaiter; won != nullptr && won->success && !cases[won->caseIndex].isSend &&
                                    won->elem != nullptr) {
      cases[won->caseIndex].chan->ops_.destroy(won->elem);
    }
    throw;
  }

  // pass 3: the waker set g.wakeWaiter (Go: gp.param) to the winning waiter; remove the others.
  Waiter* won = g.wakeWaiter;
  WEFT_CHECK(won != nullptr);
  s.lockAll();
  for (std::size_t k = 0; k < s.nPoll; ++k) {
    Waiter& w = waiters[k];
    if (&w != won && w.queue != nullptr) w.queue->remove(&w);
  }
  s.unlockAll();
  g.waiting = nullptr;
  g.selectDone.store(0, std::memory_order_relaxed);

  const int chosen = static_cast<int>(won->caseIndex);
  if (cases[chosen].isSend) {
    if (!won->success) panicWith("send on closed channel");
  } else {
    cases[chosen].received = won->success;
  }
  return chosen;
}

int selectGo(SelectCase* cases, std::size_t n, bool block, std::uint16_t* scratch) {
  return ChanCore::select(cases, n, block, scratch);
}

}  // namespace weft::internal
