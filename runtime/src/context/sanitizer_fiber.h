// The ONE place that tells AddressSanitizer and ThreadSanitizer about fiber switches.
//
// Neither sanitizer can see a user-space context switch on its own: ASan would treat the new
// stack as a stack-buffer overflow of the old one, and TSan would mix the shadow state of two
// goroutines. Every switch in weft goes through FiberContext::switchTo, which calls these hooks
// immediately before and after the jump, as both sanitizers' interface headers require.
#pragma once

#include <cstddef>

#include "weft/internal/sanitizers.h"

#if WEFT_ASAN
#include <sanitizer/asan_interface.h>
#endif
#if WEFT_TSAN
#include <sanitizer/tsan_interface.h>
#endif

#include <atomic>
#include <cstdint>
#if WEFT_TSAN
#include <sys/mman.h>

#include <thread>
#endif

namespace weft::internal::sanitizer {

// fullFence(): std::atomic_thread_fence(seq_cst), which TSan does not model. Under TSan it is a
// seq_cst read-modify-write of one shared atomic instead: every fence then synchronizes with
// every other, which is stronger than a fence and keeps the Dekker-style idle/wake protocol
// visible to TSan as ordered.
#if WEFT_TSAN
inline std::atomic<unsigned> gFenceWord{0};
inline void fullFence() { gFenceWord.fetch_add(0, std::memory_order_seq_cst); }
#else
inline void fullFence() { std::atomic_thread_fence(std::memory_order_seq_cst); }
#endif

#if WEFT_TSAN
}  // namespace weft::internal::sanitizer
// Not declared by <sanitizer/tsan_interface.h>, exported by every TSan runtime since 2012:
// per-thread (per-fiber, once fibers exist) ignore counters for memory accesses and for
// synchronization.
extern "C" void __tsan_ignore_thread_begin();
extern "C" void __tsan_ignore_thread_end();
extern "C" void AnnotateIgnoreSyncBegin(const char* file, int line);
extern "C" void AnnotateIgnoreSyncEnd(const char* file, int line);
extern "C" void __tsan_read_range(void* addr, unsigned long size);   // NOLINT(runtime/int)
extern "C" void __tsan_write_range(void* addr, unsigned long size);  // NOLINT(runtime/int)
namespace weft::internal::sanitizer {

inline constexpr bool kTsan = true;
inline void* currentTsanFiber() { return __tsan_get_current_fiber(); }
inline void* createTsanFiber() { return __tsan_create_fiber(0); }
inline void destroyTsanFiber(void* f) { __tsan_destroy_fiber(f); }
// Switches are non-synchronizing: two goroutines that share a worker thread are as unordered
// for TSan as two threads, so a race between them is reported. What orders them is only what
// orders them in Go: the edges the primitives report (race.h), with the runtime's own code
// hidden from TSan (RuntimeScope below).
inline void switchToTsanFiber(void* f) { __tsan_switch_to_fiber(f, __tsan_switch_to_fiber_no_sync); }
// TSan's notion of the running fiber alone, stacks untouched: to take an edge on behalf of a
// parked goroutine (race.cc). Same call, named for what it is used for.
inline void actAsTsanFiber(void* f) { switchToTsanFiber(f); }

// Runtime code, as TSan sees it. Go's race detector never instruments Go's runtime; weft's
// runtime is compiled with -fsanitize=thread like everything else, so it marks its own code
// instead: inside a RuntimeScope the running fiber's memory accesses are not recorded and its
// synchronization (the runtime's locks and atomics) creates no happens-before edges. Each
// fiber has its own TSan ignore counters; tRuntimeDepth mirrors them for the running fiber
// (FiberContext::switchTo saves and restores it around every switch).
// Never instrumented (the accessors below are no_sanitize): the fibers running on a thread are
// unordered for TSan, so even the thread's own TLS initialization would race with them.
inline thread_local int tRuntimeDepth = 0;
[[gnu::no_sanitize_thread, gnu::noinline]] inline int runtimeDepth() { return tRuntimeDepth; }
[[gnu::no_sanitize_thread, gnu::noinline]] inline void setRuntimeDepth(int d) {
  tRuntimeDepth = d;
}
inline void enterRuntime() {
  const int depth = runtimeDepth();
  setRuntimeDepth(depth + 1);
  if (depth == 0) {
    __tsan_ignore_thread_begin();
    AnnotateIgnoreSyncBegin(__FILE__, __LINE__);
  }
}
inline void leaveRuntime() {
  const int depth = runtimeDepth();
  setRuntimeDepth(depth - 1);
  if (depth == 1) {
    AnnotateIgnoreSyncEnd(__FILE__, __LINE__);
    __tsan_ignore_thread_end();
  }
}
// The running fiber's plain accesses alone, for weft::RaceIgnored (per fiber, like all TSan
// ignores; independent of the runtime depth).
inline void ignoreAccessesBegin() { __tsan_ignore_thread_begin(); }
inline void ignoreAccessesEnd() { __tsan_ignore_thread_end(); }
inline void leaveRuntimeEntirely() {
  while (runtimeDepth() > 0) leaveRuntime();
}
// The edges and checked accesses the primitives report must reach TSan even from inside
// runtime code: these lift the ignore for the one call.
inline void tsanAcquire(void* addr) {
  if (runtimeDepth() > 0) AnnotateIgnoreSyncEnd(__FILE__, __LINE__);
  __tsan_acquire(addr);
  if (runtimeDepth() > 0) AnnotateIgnoreSyncBegin(__FILE__, __LINE__);
}
inline void tsanRelease(void* addr) {
  if (runtimeDepth() > 0) AnnotateIgnoreSyncEnd(__FILE__, __LINE__);
  __tsan_release(addr);
  if (runtimeDepth() > 0) AnnotateIgnoreSyncBegin(__FILE__, __LINE__);
}
inline void tsanAccess(const void* addr, std::size_t size, bool write) {
  if (runtimeDepth() > 0) __tsan_ignore_thread_end();
  void* a = const_cast<void*>(addr);
  write ? __tsan_write_range(a, size) : __tsan_read_range(a, size);
  if (runtimeDepth() > 0) __tsan_ignore_thread_begin();
}
// An OS thread and the goroutines it hosts. They share the thread's thread-locals (C++ code
// has them even where Go has none: errno, GoogleTest's per-thread state, caches), and the
// thread initializes them before any goroutine runs there and destroys them after the last
// one left. Two sync objects per thread order exactly that, and never one goroutine before
// another (no goroutine releases what goroutines acquire):
//  - the thread releases tHostStart when it starts hosting; every fiber acquires it on entry;
//  - every fiber releases tHostEnd when it switches out; the thread acquires it when it stops.
inline thread_local char tHostStart;
inline thread_local char tHostEnd;
inline void threadStartsHosting() { tsanRelease(&tHostStart); }
inline void threadStopsHosting() { tsanAcquire(&tHostEnd); }
inline void fiberEnteredThread() { tsanAcquire(&tHostStart); }
inline void fiberLeavingThread() { tsanRelease(&tHostEnd); }
// A pooled stack is about to carry a new goroutine: TSan must forget what the previous one
// did there (no edge orders the two; they merely reuse memory, as two threads reuse a freed
// stack). TSan resets its shadow for memory re-mapped while accesses are ignored; the lowest
// word (an unguarded stack's canary) is preserved.
inline void forgetStack(void* low, std::size_t size) {
  const std::uint64_t lowest = *static_cast<std::uint64_t*>(low);
  enterRuntime();
  void* p = ::mmap(low, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
  if (p != MAP_FAILED) *static_cast<std::uint64_t*>(low) = lowest;
  leaveRuntime();
}
// libstdc++ updates shared_ptr (and other) reference counts with plain, non-atomic operations
// while glibc says the process is single-threaded (__libc_single_threaded), which it is with
// one worker or in deterministic mode. Correct on one thread, but goroutines sharing a thread
// are as unordered for TSan as threads, so those plain updates would be reported as races.
// Starting one thread once makes the process multi-threaded for good (glibc never resets it).
inline void leaveSingleThreadedMode() {
  static const bool once = [] {
    std::thread([] {}).join();
    return true;
  }();
  (void)once;
}
#else
inline constexpr bool kTsan = false;
inline void leaveSingleThreadedMode() {}
inline void* currentTsanFiber() { return nullptr; }
inline void* createTsanFiber() { return nullptr; }
inline void destroyTsanFiber(void*) {}
inline void switchToTsanFiber(void*) {}
inline void actAsTsanFiber(void*) {}
inline void enterRuntime() {}
inline void leaveRuntime() {}
inline int runtimeDepth() { return 0; }
inline void leaveRuntimeEntirely() {}
inline void ignoreAccessesBegin() {}
inline void ignoreAccessesEnd() {}
inline void setRuntimeDepth(int) {}
inline void tsanAcquire(void*) {}
inline void tsanRelease(void*) {}
inline void tsanAccess(const void*, std::size_t, bool) {}
inline void forgetStack(void*, std::size_t) {}
inline void threadStartsHosting() {}
inline void threadStopsHosting() {}
inline void fiberEnteredThread() {}
inline void fiberLeavingThread() {}
#endif

// RuntimeScope marks the runtime's own code for ThreadSanitizer (enterRuntime):
// inside it TSan neither records the running fiber's accesses nor sees its synchronization,
// as Go's race detector never sees Go's runtime. Every entry from user code into the runtime
// that touches scheduler or primitive state opens one; they nest. Free outside TSan builds.
class RuntimeScope {
 public:
  RuntimeScope() { enterRuntime(); }
  ~RuntimeScope() { leaveRuntime(); }
  RuntimeScope(const RuntimeScope&) = delete;
  RuntimeScope& operator=(const RuntimeScope&) = delete;
};

// UserCodeScope: user code called from inside the runtime (a goroutine's body), fully visible
// to TSan again until the scope ends.
class UserCodeScope {
 public:
  UserCodeScope() : saved_(runtimeDepth()) {
    for (int i = 0; i < saved_; ++i) leaveRuntime();
  }
  ~UserCodeScope() {
    for (int i = 0; i < saved_; ++i) enterRuntime();
  }
  UserCodeScope(const UserCodeScope&) = delete;
  UserCodeScope& operator=(const UserCodeScope&) = delete;

 private:
  int saved_;
};

#if WEFT_ASAN
inline constexpr bool kAsan = true;
// `fakeStack` is null for the last switch out of a fiber that will never resume: ASan then
// frees that fiber's fake stack.
inline void startSwitch(void** fakeStack, const void* bottom, std::size_t size) {
  __sanitizer_start_switch_fiber(fakeStack, bottom, size);
}
// `fakeStack` is what startSwitch saved when this fiber last switched out; null on a fiber's
// first entry (a reused FiberContext must not pass its previous fiber's, which ASan freed).
inline void finishSwitch(void* fakeStack, const void** oldBottom, std::size_t* oldSize) {
  __sanitizer_finish_switch_fiber(fakeStack, oldBottom, oldSize);
}
// A fiber that ended with its last switch never returned from its frames, so their redzones
// stay poisoned; a new fiber on the same (pooled) stack must start from clean shadow memory.
inline void unpoisonStack(const void* low, std::size_t size) {
  __asan_unpoison_memory_region(low, size);
}
#else
inline constexpr bool kAsan = false;
inline void startSwitch(void**, const void*, std::size_t) {}
inline void finishSwitch(void*, const void**, std::size_t*) {}
inline void unpoisonStack(const void*, std::size_t) {}
#endif

}  // namespace weft::internal::sanitizer
