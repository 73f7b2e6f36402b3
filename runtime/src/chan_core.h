// ChanCore: a channel, type-erased (Go: hchan). Chan<T> is a thin typed shell over it; the
// element type enters only through ElemOps (size, move-construct, destroy).
//
// Invariants (Go's chan.go, restated):
//  - At least one of sendq_ and recvq_ is empty, except for an unbuffered channel with a single
//    goroutine blocked in select on both send and receive of it (select's own cases never
//    match each other).
//  - For a buffered channel: count_ > 0 implies recvq_ is empty; count_ < cap_ implies sendq_
//    is empty.
//  - Buffer slots [recvx_, recvx_ + count_) (mod cap_) hold constructed elements; the rest are
//    raw storage.
//  - Every field except the atomics is guarded by lock_. count_ and closed_ are atomic only so
//    that the lock-free non-blocking fast paths and len() may read them.
//  - A value is moved exactly once: from the sender's storage into either the buffer or a
//    blocked receiver's storage, and from the buffer into a receiver. Nothing is copied,
//    dropped or duplicated under any interleaving.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <source_location>

#include "weft/internal/spin_lock.h"
#include "waiter.h"
#include "weft/internal/chan_abi.h"

namespace weft::internal {

class ChanCore {
 public:
  // make() allocates a channel (Go: makechan). Panics "makechan: size out of range" for a
  // negative capacity or one whose buffer cannot be allocated.
  static ChanCore* make(const ElemOps& ops, std::int64_t capacity, std::source_location site);

  void retain() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  void release() noexcept;

  // send() moves *elem into the channel (Go: chansend). c == nullptr is the nil channel.
  // block=false: returns false instead of blocking. Panics on a closed channel.
  static bool send(ChanCore* c, void* elem, bool block,
                   const std::source_location& where = std::source_location::current());
  // recv() constructs the received value into the raw storage *elem (Go: chanrecv); elem may
  // be null to discard. block=false: returns kWouldBlock instead of blocking.
  static RecvStatus recv(ChanCore* c, void* elem, bool block);
  // close() wakes every blocked receiver (zero value, ok=false) and sender (they panic).
  static void close(ChanCore* c,
                    const std::source_location& where = std::source_location::current());

  std::size_t len() const noexcept { return count_.load(std::memory_order_relaxed); }
  std::size_t cap() const noexcept { return cap_; }
  const std::source_location& site() const noexcept { return site_; }

  // select (select.cc): cases[i] over channels; returns the chosen case index, or -1 for
  // default when !block. Receive cases report `received` through cases[i].received.
  static int select(SelectCase* cases, std::size_t n, bool block, std::uint16_t* scratch);

 private:
  ChanCore(const ElemOps& ops, std::size_t capacity, unsigned char* buf, std::source_location s);
  ~ChanCore() = default;

  // One allocation holds the header and the buffer, the buffer aligned for the element.
  static std::size_t headerBytes(const ElemOps& ops) {
    return (sizeof(ChanCore) + ops.align - 1) / ops.align * ops.align;
  }
  static std::size_t allocationBytes(const ElemOps& ops, std::size_t capacity) {
    return headerBytes(ops) + capacity * ops.size;
  }
  static void* allocate(std::size_t bytes, std::size_t elemAlign);
  static void deallocate(ChanCore* c, std::size_t bytes, std::size_t elemAlign) noexcept;

  void* slot(std::size_t i) const noexcept { return buf_ + i * ops_.size; }
  // Race-detector addresses (Go: c.raceaddr() and chanbuf(c, i)): the channel itself stands for
  // "the channel object" (close writes it, send reads it), each buffer slot for the element
  // passing through it, and slotSync(0) of an unbuffered channel for its rendezvous.
  const void* raceAddr() const noexcept { return this; }
  const void* slotSync(std::size_t i) const noexcept {
    return cap_ == 0 ? static_cast<const void*>(&recvq_) : slot(i);
  }
  void raceHandOff(G& waiter);
  bool fullLockFree() const noexcept {
    return cap_ > 0 && count_.load(std::memory_order_relaxed) == cap_;
  }
  bool emptyLockFree() const noexcept {
    return cap_ > 0 && count_.load(std::memory_order_relaxed) == 0;
  }

  // The shared "complete with a waiter" steps of chansend/chanrecv; called with lock_ held,
  // they unlock before readying the waiter.
  void sendToWaiter(Waiter* w, void* elem);
  void recvFromWaiter(Waiter* w, void* elem);
  void putInBuffer(void* elem);
  void takeFromBuffer(void* elem);

  friend struct SelectImpl;

  SpinLock lock_;
  const ElemOps ops_;
  const std::size_t cap_;
  unsigned char* const buf_;
  std::atomic<std::size_t> count_{0};
  std::size_t sendx_ = 0;
  std::size_t recvx_ = 0;
  std::atomic<bool> closed_{false};
  WaitQueue recvq_;
  WaitQueue sendq_;
  std::atomic<std::int64_t> refs_{1};
  const std::source_location site_;
};

}  // namespace weft::internal
