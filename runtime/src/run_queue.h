// RunQueue: a worker's local queue of runnable goroutines (Go: p.runq + p.runnext).
//
// A fixed ring of 256 slots. Only the owning worker pushes (writes tail_); the owner and
// thieves pop by CAS on head_. runnext_ holds the goroutine that should run next (woken by a
// hand-off from the running goroutine), so a ping-pong pair keeps running on one worker with
// its caches warm, inheriting the time slice. Algorithm: Go's runqput/runqget/runqgrab
// (runtime/proc.go), with the slots as relaxed atomics so that a thief's speculative read of a
// slot the owner is overwriting is not a data race in C++ terms (its CAS on head_ then fails).
//
// Invariants:
//  - 0 <= tail_ - head_ <= kSize (unsigned wrap-around arithmetic).
//  - slots [head_, tail_) hold valid Gs; a G is in at most one queue slot or runnext_.
#pragma once

#include <atomic>
#include <cstdint>

#include "g.h"

namespace weft::internal {

class RunQueue {
 public:
  static constexpr std::uint32_t kSize = 256;

  // pushBack() appends g (owner only). Returns false when full.
  bool pushBack(G* g) {
    std::uint32_t h = head_.load(std::memory_order_acquire);
    std::uint32_t t = tail_.load(std::memory_order_relaxed);
    if (t - h >= kSize) return false;
    slots_[t % kSize].store(g, std::memory_order_relaxed);
    tail_.store(t + 1, std::memory_order_release);
    return true;
  }

  // setNext() puts g in runnext and returns the G it displaced (null if none); the caller must
  // queue the displaced one (owner only).
  G* setNext(G* g) { return runnext_.exchange(g, std::memory_order_acq_rel); }

  // takeNext() takes runnext, or returns null (owner only; a thief may take it first).
  G* takeNext() {
    G* next = runnext_.load(std::memory_order_relaxed);
    if (next != nullptr &&
        runnext_.compare_exchange_strong(next, nullptr, std::memory_order_acquire)) {
      return next;
    }
    return nullptr;
  }

  // pop() takes runnext first, then the head (owner only).
  G* pop() {
    if (G* next = takeNext()) return next;
    return popHead();
  }

  // popHead() takes the head of the queue, passing over runnext (owner only).
  G* popHead() {
    for (;;) {
      std::uint32_t h = head_.load(std::memory_order_acquire);
      std::uint32_t t = tail_.load(std::memory_order_relaxed);
      if (t == h) return nullptr;
      G* g = slots_[h % kSize].load(std::memory_order_relaxed);
      if (head_.compare_exchange_weak(h, h + 1, std::memory_order_release,
                                      std::memory_order_relaxed)) {
        return g;
      }
    }
  }

  // popHalfForOverflow() removes half of the queue for moving to the global queue (owner only;
  // Go: runqputslow). Writes up to kSize/2 Gs to out; returns how many.
  std::uint32_t popHalfForOverflow(G** out) {
    for (;;) {
      std::uint32_t h = head_.load(std::memory_order_acquire);
      std::uint32_t t = tail_.load(std::memory_order_relaxed);
      std::uint32_t n = (t - h) / 2;
      if (n == 0) return 0;
      for (std::uint32_t i = 0; i < n; ++i) {
        out[i] = slots_[(h + i) % kSize].load(std::memory_order_relaxed);
      }
      if (head_.compare_exchange_weak(h, h + n, std::memory_order_release,
                                      std::memory_order_relaxed)) {
        return n;
      }
    }
  }

  // stealInto() moves about half of this queue to `dst` (which must be the thief's own, empty
  // queue) and returns one G to run, or null. Never takes runnext (see stealNext()).
  G* stealInto(RunQueue& dst) {
    std::uint32_t dt = dst.tail_.load(std::memory_order_relaxed);
    for (;;) {
      std::uint32_t h = head_.load(std::memory_order_acquire);
      std::uint32_t t = tail_.load(std::memory_order_acquire);
      std::uint32_t n = t - h;
      n = n - n / 2;
      if (n == 0) return nullptr;
      if (n > kSize / 2) continue;  // inconsistent h and t: retry
      for (std::uint32_t i = 0; i < n; ++i) {
        G* g = slots_[(h + i) % kSize].load(std::memory_order_relaxed);
        dst.slots_[(dt + i) % kSize].store(g, std::memory_order_relaxed);
      }
      if (head_.compare_exchange_weak(h, h + n, std::memory_order_acq_rel,
                                      std::memory_order_relaxed)) {
        // Keep the last one to run now; publish the rest in dst.
        --n;
        G* run = dst.slots_[(dt + n) % kSize].load(std::memory_order_relaxed);
        if (n > 0) dst.tail_.store(dt + n, std::memory_order_release);
        return run;
      }
    }
  }

  // A thief takes runnext in two steps, with a back-off between them: peekNext() sees what is
  // there, stealNext(seen) takes it only if it is still there (the owner may have run it, and
  // put another there, meanwhile: then the CAS fails and the thief leaves that one too).
  G* peekNext() const { return runnext_.load(std::memory_order_relaxed); }
  bool stealNext(G* seen) {
    return runnext_.compare_exchange_strong(seen, nullptr, std::memory_order_acquire);
  }

  bool empty() const {
    return head_.load(std::memory_order_acquire) == tail_.load(std::memory_order_acquire) &&
           runnext_.load(std::memory_order_acquire) == nullptr;
  }
  std::uint32_t size() const {
    return tail_.load(std::memory_order_acquire) - head_.load(std::memory_order_acquire);
  }

 private:
  alignas(64) std::atomic<std::uint32_t> head_{0};
  alignas(64) std::atomic<std::uint32_t> tail_{0};
  std::atomic<G*> runnext_{nullptr};
  std::atomic<G*> slots_[kSize] = {};
};

}  // namespace weft::internal
