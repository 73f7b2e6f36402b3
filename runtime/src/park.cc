#include "park.h"

#include <exception>

#include "debug.h"
#include "race.h"
#include "weft/errors.h"

namespace weft::internal {

std::atomic<int> gInterceptingSchedulers{0};
std::atomic<int> gEdgeObservingSchedulers{0};

namespace {
// Runs on the goroutine right after every switch back into it.
void afterSwitchIn(G& self) {
  if (self.unwinding) [[unlikely]] {
    // Shutdown wants this goroutine gone. Throwing while another exception is already in
    // flight would terminate, so a goroutine that blocks inside a destructor during unwinding
    // is left parked and abandoned instead (RuntimeCore::unwindLeaked).
    if (std::uncaught_exceptions() == 0) {
      cancelWaits(self);
      throw GoexitUnwind{};
    }
  }
}
}  // namespace

void cancelWaits(G& self) {
  for (Waiter* w = self.waiting; w != nullptr; w = w->waitLink) {
    if (w->ownerLock == nullptr) continue;
    w->ownerLock->lock();
    if (w->queue != nullptr) w->queue->remove(w);
    w->ownerLock->unlock();
  }
  self.waiting = nullptr;
}

void park(G& self, WaitReason reason, ParkCommit commit, void* arg) {
  RuntimeScope runtime;
  if (self.unwinding && std::uncaught_exceptions() == 0) [[unlikely]] {
    // Shutdown resumed this goroutine inside a scheduling point (it had been preempted there,
    // not parked), so it reached this park without unwinding. Parking now would get it
    // abandoned with its destructors never run (leaking what they own); instead do what a
    // forced resume of the parked goroutine would: commit, cancel its waits, unwind.
    if (commit != nullptr && !commit(self, arg)) return;  // the park was cancelled
    cancelWaits(self);
    throw GoexitUnwind{};
  }
  self.waitReason = reason;
  self.commit = commit;
  self.commitArg = arg;
  self.switchReason = SwitchReason::kPark;
  if (!self.sched->parkDirect(self)) FiberContext::switchTo(self.ctx, *self.returnTo);
  completeDirectSwitch(self);
  self.waitReason = WaitReason::kNone;
  afterSwitchIn(self);
}

void unwindingPoint(G& self, OpKind kind) {
  RuntimeScope runtime;
  bool mayBlock = false;
  switch (kind) {
    case OpKind::kChanSend:
    case OpKind::kChanRecv:
    case OpKind::kSelect:
    case OpKind::kMutexLock:
    case OpKind::kRLock:
    case OpKind::kCondWait:
    case OpKind::kWaitGroupWait:
    case OpKind::kSleep:
      mayBlock = true;
      break;
    default:
      break;
  }
  if (mayBlock && std::uncaught_exceptions() == 0) throw GoexitUnwind{};
  self.switchReason = SwitchReason::kYield;
  FiberContext::switchTo(self.ctx, *self.returnTo);
}

void drainPoint(G& self) { yieldCurrent(self); }

void parkForever(G& self, WaitReason reason) {
  park(self, reason, nullptr, nullptr);
  // Only forced unwinding resumes a goroutine parked forever, and that throws above; a resume
  // during an unwinding already in flight lands here.
  for (;;) park(self, reason, nullptr, nullptr);
}

void yieldCurrent(G& self) {
  RuntimeScope runtime;
  self.switchReason = SwitchReason::kYield;
  if (!self.sched->yieldDirect(self)) FiberContext::switchTo(self.ctx, *self.returnTo);
  completeDirectSwitch(self);
  afterSwitchIn(self);
}

std::uint64_t runtimeRandomU64() {
  if (G* g = currentG()) return g->sched->randomU64();
  // splitmix64 over a thread-local counter: only reached outside any goroutine.
  thread_local std::uint64_t state = reinterpret_cast<std::uintptr_t>(&state);
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

namespace {
[[noreturn, gnu::cold, gnu::noinline]] void calledOutsideGoroutine(const char* what) {
  usageError(std::string("weft: ") + what +
             " called outside a goroutine; call it from the function given to "
             "weft::Runtime::run or from a goroutine started with weft::go");
}
}  // namespace

G& requireG(const char* what) {
  G* g = currentG();
  if (g == nullptr) [[unlikely]] calledOutsideGoroutine(what);
  return *g;
}

}  // namespace weft::internal
