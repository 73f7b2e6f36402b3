#include "race.h"

#include <cstdint>
#include <iterator>

#include "debug.h"
#include "runtime_core.h"
#include "scheduler.h"
#include "weft/race.h"

namespace weft::internal {

namespace {
thread_local Scheduler* tTimerContext = nullptr;
}  // namespace

TimerContextScope::TimerContextScope(Scheduler& s) { tTimerContext = &s; }
TimerContextScope::~TimerContextScope() { tTimerContext = nullptr; }

namespace {
// An edge for a parked goroutine g (Go: raceacquireg/racereleaseg), taken by the goroutine
// completing g's operation. ThreadSanitizer acts for its current fiber only, so the caller
// briefly makes g's fiber current (without switching stacks or synchronizing), exactly as Go's
// runtime passes g's race context. Safe because g is parked: every caller runs before it
// readies g, with g's wait already dequeued, so no thread runs g's fiber meanwhile. Like every
// parked goroutine, g is inside runtime code, with TSan's sync ignore on, which tsanAcquire/
// tsanRelease lift for the one call as they do for the caller.
void tsanEdge(G* cur, G* onBehalfOf, const void* sync, bool acquire, bool release) {
  void* s = const_cast<void*>(sync);
  void* self = nullptr;
  if (onBehalfOf != nullptr && onBehalfOf != cur) {
    self = sanitizer::currentTsanFiber();
    sanitizer::actAsTsanFiber(onBehalfOf->ctx.tsanFiber());
  }
  if (acquire) sanitizer::tsanAcquire(s);
  if (release) sanitizer::tsanRelease(s);
  if (self != nullptr) sanitizer::actAsTsanFiber(self);
}
}  // namespace

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
  }
  // Under ThreadSanitizer in both modes: TSan watches all memory, weft's detector (above)
  // only watched cells and annotated ranges.
  if (sanitizer::kTsan) tsanEdge(cur, onBehalfOf, sync, acquire, release);
}

void accessSlow(const void* addr, bool write, const std::source_location* objectSite,
                const char* name, const std::source_location& where) {
  G* cur = currentG();
  if (cur != nullptr && cur->sched->interceptsOps()) {
    if (sim::Observer* obs = cur->sched->observer()) {
      obs->onAccess(cur->id, addr, write, objectSite, name, where);
    }
    return;  // deterministic mode: weft's detector owns these accesses
  }
  // Production under ThreadSanitizer: the same checked access (Go: racereadpc/racewritepc),
  // e.g. a close concurrent with a send on the channel.
  if (sanitizer::kTsan && cur != nullptr) sanitizer::tsanAccess(addr, 1, write);
}

// ---- ThreadSanitizer goroutine lifecycle --------------------------------------------------

void raceGoStart(G& g) {
  if (!sanitizer::kTsan) return;
  // A token per goroutine, never per G record: records are reused, and a reused address
  // would carry the previous goroutine's clock into the next one.
  g.raceToken = new char;
  sanitizer::tsanRelease(g.raceToken);
}
void raceGoBegin(G& g) {
  if (sanitizer::kTsan) sanitizer::tsanAcquire(g.raceToken);
}
void raceGoEnd(G& g) {
  if (sanitizer::kTsan) sanitizer::tsanRelease(g.rt->raceRunEnd());
}
void raceForget(G& g) {
  if (!sanitizer::kTsan) return;
  delete static_cast<char*>(g.raceToken);  // TSan drops the sync state of freed memory
  g.raceToken = nullptr;
}

}  // namespace weft::internal

// ---- user annotations (weft/race.h) ---------------------------------------------------------

namespace weft {
namespace {
void annotateAccess(const void* addr, std::size_t size, bool write, const char* name,
                    const std::source_location& where) {
  using namespace internal;
  if (size == 0) return;
  G* g = currentG();
  if (g != nullptr && g->sched->interceptsOps()) {
    RuntimeScope runtime;
    schedulePoint(write ? OpKind::kCellWrite : OpKind::kCellRead, addr, nullptr, name);
    // Checked in 8-byte words, like Go's race detector: the detector keys variables by address.
    const auto begin = reinterpret_cast<std::uintptr_t>(addr);
    for (std::uintptr_t w = begin & ~std::uintptr_t{7}; w < begin + size; w += 8) {
      raceAccess(reinterpret_cast<const void*>(w), write, nullptr, name, where);
    }
    return;
  }
  if (sanitizer::kTsan) sanitizer::tsanAccess(addr, size, write);
}
}  // namespace

void raceRead(const void* addr, std::size_t size, const char* name, std::source_location where) {
  annotateAccess(addr, size, false, name, where);
}
void raceWrite(const void* addr, std::size_t size, const char* name, std::source_location where) {
  annotateAccess(addr, size, true, name, where);
}
void raceRelease(const void* sync) {
  internal::RuntimeScope runtime;
  internal::hbRelease(sync);
}
void raceAcquire(const void* sync) {
  internal::RuntimeScope runtime;
  internal::hbAcquire(sync);
}

RaceIgnored::RaceIgnored() { internal::sanitizer::ignoreAccessesBegin(); }
RaceIgnored::~RaceIgnored() { internal::sanitizer::ignoreAccessesEnd(); }

}  // namespace weft
