#include "context/fiber_context.h"

#include "context/jump.h"
#include "context/sanitizer_fiber.h"

namespace weft::internal {

// What a jump carries: the context being suspended (so the resumed side can record its
// handle) and the one being resumed (so a fiber's first entry knows which context it is).
struct FiberContext::Transfer {
  FiberContext* from;
  FiberContext* to;
};

FiberContext::~FiberContext() {
  if (ownsTsanFiber_) sanitizer::destroyTsanFiber(tsanFiber_);
}

void FiberContext::initForThread() {
  tsanFiber_ = sanitizer::currentTsanFiber();
  ownsTsanFiber_ = false;
}

void FiberContext::prepare(void* stackLow, std::size_t size, Entry entry, void* arg) {
  if (sanitizer::kTsan) {
    // A fresh TSan fiber for every goroutine, even on a pooled stack: the previous goroutine
    // left through switchToFinal() without unwinding its frames, and a fiber whose shadow call
    // stack only grows makes every later allocation's stack trace unique (TSan's stack depot
    // then grows by kilobytes per allocation, without bound).
    // The stack's previous goroutine (any record's: stacks and records are pooled apart) left
    // frames there; they are forgotten before the new fiber's first one is written.
    if (ownsTsanFiber_) sanitizer::destroyTsanFiber(tsanFiber_);
    sanitizer::forgetStack(stackLow, size);
    tsanFiber_ = sanitizer::createTsanFiber();
    ownsTsanFiber_ = true;
  }
  // The context is laid at the high end of the stack (it grows down on every supported ABI).
  handle_ = jump::make(static_cast<char*>(stackLow) + size, size, &trampoline);
  entry_ = entry;
  arg_ = arg;
  stackBottom_ = stackLow;
  stackSize_ = size;
  // ASan: the previous fiber on this context (and stack) is gone; its fake stack was freed by
  // its last switch, and its frames' redzones are still poisoned.
  asanFakeStack_ = nullptr;
  sanitizer::unpoisonStack(stackLow, size);
}

// Runs on the resumed side of every jump: record the suspended side's handle (only now known)
// and finish the ASan switch, learning the bounds of the stack we came from.
void FiberContext::afterResume(FiberContext* resumedFrom) {
  const void* oldBottom = nullptr;
  std::size_t oldSize = 0;
  sanitizer::finishSwitch(asanFakeStack_, &oldBottom, &oldSize);
  if (sanitizer::kAsan && resumedFrom != nullptr && resumedFrom->stackBottom_ == nullptr) {
    resumedFrom->stackBottom_ = oldBottom;  // a thread's native stack, learned on first switch
    resumedFrom->stackSize_ = oldSize;
  }
}

// First entry into a prepared fiber. Never returns: the entry function leaves through
// switchToFinal().
void FiberContext::trampoline(jump::Transfer t) {
  // Every switch happens inside runtime code, and a new fiber starts there too (its entry
  // leaves the runtime scope for the goroutine's body).
  sanitizer::setRuntimeDepth(0);
  sanitizer::enterRuntime();
  sanitizer::fiberEnteredThread();
  auto* in = static_cast<Transfer*>(t.data);
  in->from->handle_ = t.from;
  FiberContext* self = in->to;
  self->afterResume(in->from);
  Entry entry = self->entry_;
  self->entry_ = nullptr;
  entry(self->arg_);
  __builtin_trap();  // unreachable: entries end with switchToFinal()
}

// Never inlined: every suspended context waits at the one call to jump() below, which keeps
// the return-stack predictor right across switches (see jump_x86_64_sysv.cc).
[[gnu::noinline]] void FiberContext::switchTo(FiberContext& from, FiberContext& to) {
  Transfer tr{&from, &to};
  const int runtimeDepth = sanitizer::runtimeDepth();  // this fiber's, restored on resume
  // Taken before the sanitizer switch, while this fiber's (runtime) view of memory is current.
  void* target = to.handle_;
  to.handle_ = nullptr;
  sanitizer::fiberLeavingThread();
  sanitizer::startSwitch(&from.asanFakeStack_, to.stackBottom_, to.stackSize_);
  sanitizer::switchToTsanFiber(to.tsanFiber_);
  const jump::Transfer back = jump::jump(target, &tr);
  // We are `from` again, resumed by whoever jumped here.
  auto* in = static_cast<Transfer*>(back.data);
  sanitizer::setRuntimeDepth(runtimeDepth);
  sanitizer::fiberEnteredThread();  // possibly another thread than the one it left
  in->from->handle_ = back.from;
  from.afterResume(in->from);
}

void FiberContext::switchToFinal(FiberContext& from, FiberContext& to) {
  Transfer tr{&from, &to};
  void* target = to.handle_;
  to.handle_ = nullptr;
  void* tsanTarget = to.tsanFiber_;
  const void* bottom = to.stackBottom_;
  const std::size_t size = to.stackSize_;
  sanitizer::fiberLeavingThread();
  // The dying fiber leaves the runtime for good: TSan requires a fiber to end with its ignores
  // off. Nothing after this line touches shared memory before the switch.
  sanitizer::leaveRuntimeEntirely();
  sanitizer::startSwitch(nullptr, bottom, size);
  sanitizer::switchToTsanFiber(tsanTarget);
  jump::jump(target, &tr);
  __builtin_unreachable();
}

}  // namespace weft::internal
