// select (Go: runtime/select.go selectgo), split into its passes:
//   pollOrder()   a uniformly random permutation of the non-nil cases (randomness from the
//                 scheduler, so deterministic mode records it)
//   tryEachReady()   production only: the first ready case in poll order, one channel locked
//                 at a time (most selects find one; the passes below run only if none did)
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
#include "weft/internal/sync_abi.h"

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

  // tryCase() completes case i if it can proceed, its channel locked by the caller, and
  // perhaps others: releaseOthers() unlocks every held lock but that channel's. On success (and
  // before the panic of a send on a closed channel) every lock is released; otherwise all are
  // still held.
  template <class ReleaseOthers>
  bool tryCase(std::uint16_t i, ReleaseOthers releaseOthers) {
    SelectCase& cs = cases[i];
    ChanCore* c = cs.chan;
    if (cs.isSend) {
      raceAccess(c->raceAddr(), false, &c->site_);
      if (c->closed_.load(std::memory_order_relaxed)) {
        releaseOthers();
        c->lock_.unlock();
        panicWith("send on closed channel");
      }
      if (Waiter* w = c->recvq_.dequeue()) {
        releaseOthers();
        c->sendToWaiter(w, cs.elem);
        return true;
      }
      if (c->count_.load(std::memory_order_relaxed) < c->cap_) {
        c->putInBuffer(cs.elem);
        releaseOthers();
        c->lock_.unlock();
        return true;
      }
      return false;
    }
    if (Waiter* w = c->sendq_.dequeue()) {
      releaseOthers();
      c->recvFromWaiter(w, cs.elem);
      cs.received = true;
      return true;
    }
    if (c->count_.load(std::memory_order_relaxed) > 0) {
      c->takeFromBuffer(cs.elem);
      cs.received = true;
    } else if (c->closed_.load(std::memory_order_relaxed)) {
      hbAcquire(c->raceAddr());
      cs.received = false;
    } else {
      return false;
    }
    releaseOthers();
    c->lock_.unlock();
    return true;
  }

  // pass1TryReady(): with every channel locked, the first case in poll order that can proceed
  // (Go's pass 1); -1, all locks still held, if none can.
  int pass1TryReady() {
    for (std::size_t k = 0; k < nPoll; ++k) {
      const std::uint16_t i = pollOrder[k];
      ChanCore* c = cases[i].chan;
      if (tryCase(i, [&] { unlockAllBut(c); })) return i;
    }
    return -1;
  }

  // tryEachReady(): the first case in poll order that can proceed, locking one channel at a
  // time; -1, with nothing held, if none could. A case taken this way could proceed when it
  // was taken, and those before it in poll order could not when they were looked at: every
  // outcome is one Go's all-locked pass could give (with another poll order, if a case became
  // ready meanwhile). Finding none proves nothing (a case may have become ready after it was
  // looked at while a later one stopped being ready), so the all-locked passes follow.
  int tryEachReady() {
    for (std::size_t k = 0; k < nPoll; ++k) {
      const std::uint16_t i = pollOrder[k];
      ChanCore* c = cases[i].chan;
      c->lock_.lock();
      if (tryCase(i, [] {})) return i;
      c->lock_.unlock();
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
  // Without hooks (production, no race detection), first try the cases one channel at a
  // time: a select that finds a case ready skips sorting and locking every channel. Hooked
  // runs keep Go's passes alone, so that deterministic mode reports exactly Go's accesses.
  if (!hooksActive()) {
    if (int chosen = s.tryEachReady(); chosen >= 0) return chosen;
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
