// SpinLock: the runtime's internal lock (Go: runtime.mutex) for channel and semaphore state.
//
// Why not std::mutex: the unlock of a lock taken by a goroutine runs in its park commit, on the
// worker's scheduler context rather than on the goroutine (Go's chanparkcommit), which a pthread
// mutex forbids. Critical sections are a few dozen instructions and never block, so spinning
// (with a yield to the OS after a while, for oversubscribed machines) is the right trade.
#pragma once

#include <atomic>
#include <thread>

namespace weft::internal {

class SpinLock {
 public:
  void lock() noexcept {
    if (!locked_.exchange(true, std::memory_order_acquire)) return;
    lockSlow();
  }
  bool try_lock() noexcept {
    return !locked_.load(std::memory_order_relaxed) &&
           !locked_.exchange(true, std::memory_order_acquire);
  }
  void unlock() noexcept { locked_.store(false, std::memory_order_release); }

 private:
  static void pause() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
  }
  void lockSlow() noexcept {
    for (int spins = 0;; ++spins) {
      // Test-and-test-and-set: wait on a plain load so waiters don't bounce the cache line.
      while (locked_.load(std::memory_order_relaxed)) {
        if (spins++ < 64) {
          pause();
        } else {
          std::this_thread::yield();
        }
      }
      if (!locked_.exchange(true, std::memory_order_acquire)) return;
    }
  }

  std::atomic<bool> locked_{false};
};

}  // namespace weft::internal
