// FiberContext: a suspended execution context, either a goroutine's fiber on its own stack or
// an OS thread's native stack. This class, jump.h and stack.h are the only machine-dependent
// code in weft; the switch itself is jump.h's (weft's own on x86-64 Linux, ~2.8 ns here;
// Boost.Context's fcontext elsewhere), wrapped so that no other file sees assembly, context
// handles or sanitizer calls.
//
// Invariants:
//  - A FiberContext is either running (exactly one per OS thread at any instant) or suspended
//    with a valid saved handle. switchTo() saves the running one into `from` and resumes `to`.
//  - A fiber's entry function never returns: a finished fiber leaves with switchToFinal().
#pragma once

#include <cstddef>

#include "context/jump.h"

namespace weft::internal {

class FiberContext {
 public:
  using Entry = void (*)(void* arg);

  FiberContext() = default;
  FiberContext(const FiberContext&) = delete;
  FiberContext& operator=(const FiberContext&) = delete;
  ~FiberContext();

  // initForThread() makes this the context of the calling OS thread's native stack, so that a
  // fiber can switch back to it. Call once per thread before the first switchTo from it.
  void initForThread();

  // prepare() sets this context up to run entry(arg) on [stackLow, stackLow + size) the next
  // time it is switched to. May be called again on a context whose fiber has finished.
  void prepare(void* stackLow, std::size_t size, Entry entry, void* arg);

  // switchTo() suspends the running context into `from` and resumes `to`; it returns when some
  // other context switches back to `from`. `from` must be the running context.
  static void switchTo(FiberContext& from, FiberContext& to);

  // switchToFinal() is switchTo for a fiber that will never be resumed again (it may be
  // prepare()d anew): sanitizers release what they kept for it.
  [[noreturn]] static void switchToFinal(FiberContext& from, FiberContext& to);

  // ThreadSanitizer's fiber for this context (null in other builds); see race.cc.
  void* tsanFiber() const { return tsanFiber_; }

 private:
  struct Transfer;
  static void trampoline(jump::Transfer t);
  void afterResume(FiberContext* resumedFrom);

  void* handle_ = nullptr;  // jump handle of the suspended context; null while running
  Entry entry_ = nullptr;   // set by prepare(), consumed on first entry
  void* arg_ = nullptr;
  // Sanitizer bookkeeping; unused (and free) in normal builds.
  void* tsanFiber_ = nullptr;
  bool ownsTsanFiber_ = false;
  void* asanFakeStack_ = nullptr;
  const void* stackBottom_ = nullptr;
  std::size_t stackSize_ = 0;
};

}  // namespace weft::internal
