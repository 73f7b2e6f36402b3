// The ONE place that tells AddressSanitizer and ThreadSanitizer about fiber switches.
//
// Neither sanitizer can see a user-space context switch on its own: ASan would treat the new
// stack as a stack-buffer overflow of the old one, and TSan would mix the shadow state of two
// goroutines. Every switch in weft goes through FiberContext::switchTo, which calls these hooks
// immediately before and after the jump, as both sanitizers' interface headers require.
#pragma once

#include <cstddef>

#if defined(__SANITIZE_ADDRESS__)
#define WEFT_ASAN_FIBERS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WEFT_ASAN_FIBERS 1
#endif
#endif

#if defined(__SANITIZE_THREAD__)
#define WEFT_TSAN_FIBERS 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define WEFT_TSAN_FIBERS 1
#endif
#endif

#if WEFT_ASAN_FIBERS
#include <sanitizer/asan_interface.h>
#endif
#if WEFT_TSAN_FIBERS
#include <sanitizer/tsan_interface.h>
#endif

#include <atomic>

namespace weft::internal::sanitizer {

// fullFence(): std::atomic_thread_fence(seq_cst), which TSan does not model. Under TSan it is a
// seq_cst read-modify-write of one shared atomic instead: every fence then synchronizes with
// every other, which is stronger than a fence and keeps the Dekker-style idle/wake protocol
// visible to TSan as ordered.
#if WEFT_TSAN_FIBERS
inline std::atomic<unsigned> gFenceWord{0};
inline void fullFence() { gFenceWord.fetch_add(0, std::memory_order_seq_cst); }
#else
inline void fullFence() { std::atomic_thread_fence(std::memory_order_seq_cst); }
#endif

#if WEFT_TSAN_FIBERS
inline constexpr bool kTsan = true;
inline void* currentTsanFiber() { return __tsan_get_current_fiber(); }
inline void* createTsanFiber() { return __tsan_create_fiber(0); }
inline void destroyTsanFiber(void* f) { __tsan_destroy_fiber(f); }
// Switches are synchronizing for now: TSan orders everything a goroutine did before it
// switched out before everything the next fiber on that thread does. That keeps the runtime's
// own hand-offs (park actions written by a goroutine, read by its worker) race-free in TSan's
// eyes. It can hide a race between two goroutines that happen to share a worker thread; the
// race-detector issue (#4) replaces this with non-synchronizing switches plus explicit edges.
inline void switchToTsanFiber(void* f) { __tsan_switch_to_fiber(f, 0); }
inline void tsanAcquire(void* addr) { __tsan_acquire(addr); }
inline void tsanRelease(void* addr) { __tsan_release(addr); }
#else
inline constexpr bool kTsan = false;
inline void* currentTsanFiber() { return nullptr; }
inline void* createTsanFiber() { return nullptr; }
inline void destroyTsanFiber(void*) {}
inline void switchToTsanFiber(void*) {}
inline void tsanAcquire(void*) {}
inline void tsanRelease(void*) {}
#endif

#if WEFT_ASAN_FIBERS
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
