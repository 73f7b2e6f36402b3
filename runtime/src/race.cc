#include "race.h"

#include "scheduler.h"

namespace weft::internal {

namespace {
thread_local Scheduler* tTimerContext = nullptr;
}  // namespace

TimerContextScope::TimerContextScope(Scheduler& s) { tTimerContext = &s; }
TimerContextScope::~TimerContextScope() { tTimerContext = nullptr; }

void hbSlow(G* onBehalfOf, const void* sync, bool acquire, bool release) {
  G* cur = currentG();
  Scheduler* sim = cur != nullptr ? (cur->sched->interceptsOps() ? cur->sched : nullptr)
                                  : tTimerContext;
  if (sim != nullptr) {
    const sim::GoroutineId who =
        onBehalfOf != nullptr ? onBehalfOf->id : (cur != nullptr ? cur->id : 0);
    if (sim::Observer* obs = sim->observer()) {
      if (acquire) obs->onAcquire(who, sync);
      if (release) obs->onRelease(who, sync);
    }
    return;
  }
  // ThreadSanitizer (production mode): it can only act for the running fiber.
  if (onBehalfOf == nullptr) {
    if (acquire) sanitizer::tsanAcquire(const_cast<void*>(sync));
    if (release) sanitizer::tsanRelease(const_cast<void*>(sync));
  }
}

void accessSlow(const void* addr, bool write, const std::source_location* objectSite,
                const char* name, const std::source_location& where) {
  G* cur = currentG();
  if (cur == nullptr || !cur->sched->interceptsOps()) return;
  if (sim::Observer* obs = cur->sched->observer()) {
    obs->onAccess(cur->id, addr, write, objectSite, name, where);
  }
}

}  // namespace weft::internal
