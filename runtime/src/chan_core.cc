// Channel send, receive and close (Go: runtime/chan.go), on park/ready.
#include "chan_core.h"

#include <limits>
#include <new>

#include "debug.h"
#include "mutants.h"
#include "park.h"
#include "race.h"

namespace weft::internal {

namespace {
// Go: maxAlloc for the buffer; we also cap so that cap * size cannot overflow.
constexpr std::uint64_t kMaxBufferBytes = std::uint64_t{1} << 40;

bool parkCommitUnlock(G&, void* lock) {
  static_cast<SpinLock*>(lock)->unlock();
  return true;
}

// Small channels (header and buffer within kCachedBytes: an unbuffered channel, or a capacity-1
// channel of a word, such as time.After's) are recycled through a per-thread cache of blocks,
// as Go's allocator serves an hchan from its per-P size-class cache: glibc's malloc and free
// were a third of the instructions of a make + send + receive + release. A block goes back to
// the cache of the thread that releases the channel and only that thread reuses it. Not under
// AddressSanitizer, which must see every channel freed to catch a use after the last release,
// nor under ThreadSanitizer, which would check a cached block's final free at thread exit
// against the goroutines' accesses, ordered only by the runtime's hidden synchronization.
constexpr std::size_t kCachedBytes = 192;
constexpr int kCachedBlocks = 64;  // per thread; beyond that a block goes back to malloc
struct ChanBlockCache {
  struct Block {
    Block* next;
  };
  Block* top = nullptr;
  int count = 0;
  ~ChanBlockCache() {
    while (top != nullptr) {
      Block* b = top;
      top = b->next;
      ::operator delete(static_cast<void*>(b));
    }
  }
};
// Out of line: a goroutine may run on another thread after any switch (g.h, currentG).
[[gnu::noinline]] ChanBlockCache& chanBlockCache() {
  thread_local ChanBlockCache cache;
  return cache;
}
bool cacheable(std::size_t bytes, std::size_t align) {
  return !sanitizer::kAsan && !sanitizer::kTsan && bytes <= kCachedBytes &&
         align <= __STDCPP_DEFAULT_NEW_ALIGNMENT__;
}
}  // namespace

Waiter* WaitQueue::dequeue() {
  for (;;) {
    Waiter* w = first;
    if (w == nullptr) return nullptr;
    remove(w);
    // A select waiter may already have been won through another of its cases; only the
    // dequeuer that wins this CAS completes it (Go: sudog.isSelect + g.selectDone).
    if (w->isSelect) {
      std::uint32_t expected = 0;
      if (!w->g->selectDone.compare_exchange_strong(expected, 1, std::memory_order_acq_rel)) {
        continue;
      }
    }
    return w;
  }
}

ChanCore::ChanCore(const ElemOps& ops, std::size_t capacity, unsigned char* buf,
                   std::source_location s)
    : ops_(ops), cap_(capacity), buf_(buf), site_(s) {}

// Channels of elements that need no more than the allocator's own alignment (nearly all) take
// plain operator new: the aligned one goes through aligned_alloc, about twice the cost of the
// whole rest of a make, send, receive and release of a small channel.
void* ChanCore::allocate(std::size_t bytes, std::size_t elemAlign) {
  const std::size_t align = std::max(alignof(ChanCore), elemAlign);
  if (cacheable(bytes, align)) {
    ChanBlockCache& cache = chanBlockCache();
    if (ChanBlockCache::Block* b = cache.top) {
      cache.top = b->next;
      --cache.count;
      return b;
    }
    return ::operator new(kCachedBytes);
  }
  if (align <= __STDCPP_DEFAULT_NEW_ALIGNMENT__) return ::operator new(bytes);
  return ::operator new(bytes, std::align_val_t(align));
}

void ChanCore::deallocate(ChanCore* c, std::size_t bytes, std::size_t elemAlign) noexcept {
  const std::size_t align = std::max(alignof(ChanCore), elemAlign);
  if (cacheable(bytes, align)) {
    ChanBlockCache& cache = chanBlockCache();
    if (cache.count < kCachedBlocks) {
      auto* b = ::new (static_cast<void*>(c)) ChanBlockCache::Block{cache.top};
      cache.top = b;
      ++cache.count;
      return;
    }
    ::operator delete(static_cast<void*>(c));
    return;
  }
  if (align <= __STDCPP_DEFAULT_NEW_ALIGNMENT__) {
    ::operator delete(static_cast<void*>(c));
  } else {
    ::operator delete(static_cast<void*>(c), std::align_val_t(align));
  }
}

ChanCore* ChanCore::make(const ElemOps& ops, std::int64_t capacity, std::source_location site) {
  RuntimeScope runtime;
  if (capacity < 0 ||
      static_cast<std::uint64_t>(capacity) > kMaxBufferBytes / std::max<std::size_t>(ops.size, 1)) {
    panicWith("makechan: size out of range");
  }
  void* mem = allocate(allocationBytes(ops, static_cast<std::size_t>(capacity)), ops.align);
  auto* buf = static_cast<unsigned char*>(mem) + headerBytes(ops);
  auto* c = ::new (mem) ChanCore(ops, static_cast<std::size_t>(capacity), buf, site);
  schedulePoint(OpKind::kChanMake, c, &c->site_);
  return c;
}

void ChanCore::release() noexcept {
  RuntimeScope runtime;
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  // Last reference: no goroutine can be queued (a queued goroutine holds a reference through
  // its Chan handle), so only buffered values remain.
  for (std::size_t i = 0, n = count_.load(std::memory_order_relaxed); i < n; ++i) {
    ops_.destroy(slot((recvx_ + i) % cap_));
  }
  const std::size_t align = ops_.align;
  const std::size_t bytes = allocationBytes(ops_, cap_);
  this->~ChanCore();
  deallocate(this, bytes, align);
}

// Memory ordering (Go's racenotify): every pass through a buffer slot is an acquire-release of
// that slot, so a send happens before the receive that takes its value, and the k-th receive
// happens before the (k+C)-th send completes.
void ChanCore::putInBuffer(void* elem) {
  hbAcquireRelease(slotSync(sendx_));
  ops_.moveConstruct(slot(sendx_), elem);
  if (++sendx_ == cap_) sendx_ = 0;
  count_.store(count_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

void ChanCore::takeFromBuffer(void* elem) {
  if (WEFT_MUTANT(kLifoBuffer)) {  // mutant: the newest value leaves first
    sendx_ = (sendx_ + cap_ - 1) % cap_;
    if (elem != nullptr) ops_.moveConstruct(elem, slot(sendx_));
    ops_.destroy(slot(sendx_));
    count_.store(count_.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
    return;
  }
  hbAcquireRelease(slotSync(recvx_));
  void* s = slot(recvx_);
  if (elem != nullptr) ops_.moveConstruct(elem, s);
  ops_.destroy(s);
  if (++recvx_ == cap_) recvx_ = 0;
  count_.store(count_.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
}

// The edges of a completion with a blocked waiter. Callers test hbEnabled() once for the
// whole group (this is every hand-off's path, and race detection is almost always off):
//  - unbuffered (Go: racesync): the running goroutine and the waiter each release then
//    acquire the rendezvous, so each side's past happens before the other's completion;
//  - buffered, the waiter a receiver on an empty buffer or a sender on a full one: both pass
//    through the head slot, as if the value had gone through the buffer (Go does the same).
void ChanCore::raceHandOff(G& waiter) {
  if (cap_ == 0) {
    hbRelease(slotSync(0));
    hbAcquireFor(waiter, slotSync(0));
    hbReleaseFor(waiter, slotSync(0));
    hbAcquire(slotSync(0));
  } else {
    hbAcquireRelease(slotSync(recvx_));
    hbAcquireReleaseFor(waiter, slotSync(recvx_));
  }
}

// REQUIRES: lock_ held; w was dequeued from recvq_. Unlocks. (Go: send)
void ChanCore::sendToWaiter(Waiter* w, void* elem) {
  if (hbEnabled()) [[unlikely]] raceHandOff(*w->g);
  if (w->elem != nullptr) ops_.moveConstruct(w->elem, elem);
  w->success = true;
  G* g = w->g;
  g->wakeWaiter = w;
  lock_.unlock();
  ready(*g, /*handoff=*/true);
}

// REQUIRES: lock_ held; w was dequeued from sendq_. Unlocks. (Go: recv)
void ChanCore::recvFromWaiter(Waiter* w, void* elem) {
  if (hbEnabled()) [[unlikely]] raceHandOff(*w->g);
  if (cap_ == 0) {
    if (elem != nullptr) ops_.moveConstruct(elem, w->elem);
  } else {
    // The buffer is full: take its head, and the sender's value takes the freed slot, so the
    // channel stays FIFO (Go: "copy data from sender to queue").
    void* s = slot(recvx_);
    if (elem != nullptr) ops_.moveConstruct(elem, s);
    ops_.destroy(s);
    ops_.moveConstruct(s, w->elem);
    if (++recvx_ == cap_) recvx_ = 0;
    sendx_ = recvx_;
  }
  w->success = true;
  G* g = w->g;
  g->wakeWaiter = w;
  lock_.unlock();
  ready(*g, /*handoff=*/true);
}

bool ChanCore::send(ChanCore* c, void* elem, bool block, const std::source_location& where) {
  RuntimeScope runtime;
  schedulePoint(OpKind::kChanSend, c, c != nullptr ? &c->site_ : nullptr);
  if (c == nullptr) {
    if (!block) return false;
    parkForever(requireG("send on a nil channel"), WaitReason::kChanSendNilChan);
  }
  // Fast path: a non-blocking send on a full, open channel fails without the lock. Reading
  // closed_ and then count_ out of order is fine for the same reason as in Go's chansend: the
  // channel was open and full at some single instant in between.
  // A send reads the channel object and close writes it, so a close not ordered before a send
  // is reported as a race (Go: racereadpc(c.raceaddr()) in chansend).
  raceAccess(c->raceAddr(), false, &c->site_, nullptr, where);
  if (!block && !c->closed_.load(std::memory_order_relaxed) && c->fullLockFree()) return false;

  c->lock_.lock();
  if (c->closed_.load(std::memory_order_relaxed)) {
    c->lock_.unlock();
    panicWith("send on closed channel");
  }
  if (Waiter* w = c->recvq_.dequeue()) {
    c->sendToWaiter(w, elem);
    return true;
  }
  if (c->count_.load(std::memory_order_relaxed) < c->cap_) {
    c->putInBuffer(elem);
    c->lock_.unlock();
    return true;
  }
  if (!block) {
    c->lock_.unlock();
    return false;
  }
  G& self = requireG("blocking channel send");
  Waiter w;
  w.g = &self;
  w.elem = elem;
  w.chan = c;
  w.ownerLock = &c->lock_;
  self.waiting = &w;
  self.wakeWaiter = nullptr;
  c->sendq_.pushBack(&w);
  park(self, WaitReason::kChanSend, &parkCommitUnlock, &c->lock_);
  self.waiting = nullptr;
  if (!w.success) panicWith("send on closed channel");  // woken by close
  return true;
}

RecvStatus ChanCore::recv(ChanCore* c, void* elem, bool block) {
  RuntimeScope runtime;
  schedulePoint(OpKind::kChanRecv, c, c != nullptr ? &c->site_ : nullptr);
  if (c == nullptr) {
    if (!block) return RecvStatus::kWouldBlock;
    parkForever(requireG("receive from a nil channel"), WaitReason::kChanReceiveNilChan);
  }
  // Fast path: non-blocking receive on an empty buffered channel (Go's chanrecv: empty, then
  // closed, then empty again, so that "open and empty" or "closed and empty" held at one instant).
  if (!block && c->emptyLockFree()) {
    if (!c->closed_.load(std::memory_order_acquire)) return RecvStatus::kWouldBlock;
    if (c->emptyLockFree()) {
      hbAcquire(c->raceAddr());
      return RecvStatus::kClosed;
    }
  }

  c->lock_.lock();
  if (c->closed_.load(std::memory_order_relaxed) && c->count_.load(std::memory_order_relaxed) == 0) {
    hbAcquire(c->raceAddr());  // close happens before a receive that sees it
    c->lock_.unlock();
    return RecvStatus::kClosed;
  }
  if (Waiter* w = c->sendq_.dequeue()) {
    c->recvFromWaiter(w, elem);
    return RecvStatus::kReceived;
  }
  if (c->count_.load(std::memory_order_relaxed) > 0) {
    c->takeFromBuffer(elem);
    c->lock_.unlock();
    return RecvStatus::kReceived;
  }
  if (!block) {
    c->lock_.unlock();
    return RecvStatus::kWouldBlock;
  }
  G& self = requireG("blocking channel receive");
  Waiter w;
  w.g = &self;
  w.elem = elem;
  w.chan = c;
  w.ownerLock = &c->lock_;
  self.waiting = &w;
  self.wakeWaiter = nullptr;
  c->recvq_.pushBack(&w);
  try {
    park(self, WaitReason::kChanReceive, &parkCommitUnlock, &c->lock_);
  } catch (const GoexitUnwind&) {
    // Forced unwinding after a value was already delivered: destroy it, nobody will.
    if (w.success && elem != nullptr) c->ops_.destroy(elem);
    throw;
  }
  self.waiting = nullptr;
  return w.success ? RecvStatus::kReceived : RecvStatus::kClosed;
}

void ChanCore::close(ChanCore* c, const std::source_location& where) {
  RuntimeScope runtime;
  schedulePoint(OpKind::kChanClose, c, c != nullptr ? &c->site_ : nullptr);
  if (c == nullptr) panicWith("close of nil channel");
  c->lock_.lock();
  if (c->closed_.load(std::memory_order_relaxed)) {
    c->lock_.unlock();
    panicWith("close of closed channel");
  }
  // Memory ordering: close writes the channel object (racing with unordered sends) and
  // releases it; every receive that returns because of the close acquires it.
  raceAccess(c->raceAddr(), true, &c->site_, nullptr, where);
  hbRelease(c->raceAddr());
  c->closed_.store(true, std::memory_order_release);
  // Collect every waiter, then unlock, then ready them (never ready with the lock held).
  G* wake = nullptr;
  auto collect = [&](WaitQueue& q) {
    while (Waiter* w = q.dequeue()) {
      hbAcquireFor(*w->g, c->raceAddr());
      w->success = false;
      w->g->wakeWaiter = w;
      w->g->schedLink = wake;
      wake = w->g;
    }
  };
  if (!WEFT_MUTANT(kCloseDoesNotWake)) collect(c->recvq_);
  collect(c->sendq_);
  c->lock_.unlock();
  // Ready in queue order (the list is reversed; reverse it back).
  G* ordered = nullptr;
  while (wake != nullptr) {
    G* next = wake->schedLink;
    wake->schedLink = ordered;
    ordered = wake;
    wake = next;
  }
  while (ordered != nullptr) {
    G* next = ordered->schedLink;
    ordered->schedLink = nullptr;
    ready(*ordered);
    ordered = next;
  }
}

// ---- the type-erased entry points used by chan.h -------------------------------------------

ChanCore* chanMake(const ElemOps& ops, std::int64_t capacity, std::source_location site) {
  return ChanCore::make(ops, capacity, site);
}
void chanRetain(ChanCore* c) noexcept { c->retain(); }
void chanRelease(ChanCore* c) noexcept { c->release(); }
bool chanSend(ChanCore* c, void* elem, bool block, const std::source_location& where) {
  return ChanCore::send(c, elem, block, where);
}
RecvStatus chanRecv(ChanCore* c, void* elem, bool block) { return ChanCore::recv(c, elem, block); }
void chanClose(ChanCore* c, const std::source_location& where) { ChanCore::close(c, where); }
std::size_t chanLen(const ChanCore* c) noexcept {
  RuntimeScope runtime;
  return c == nullptr ? 0 : c->len();
}
std::size_t chanCap(const ChanCore* c) noexcept {
  RuntimeScope runtime;
  return c == nullptr ? 0 : c->cap();
}

}  // namespace weft::internal
