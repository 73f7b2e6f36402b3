// Happens-before edges and checked accesses, reported by the primitives for race detection
// (Go: runtime/race.go's raceacquire/racerelease/racereadpc/racewritepc).
//
// Where they go: in deterministic mode to the scheduler's sim::Observer (the harness's
// vector-clock detector); in a ThreadSanitizer build to TSan's __tsan_acquire/__tsan_release;
// otherwise nowhere, at the cost of one relaxed load (the same test as schedulePoint).
//
// Each call site mirrors a Go race hook; the primitive's "Memory ordering" paragraph in its
// public header states the edges in words, and these calls must match it one for one.
#pragma once

#include <source_location>

#include "context/sanitizer_fiber.h"
#include "park.h"

namespace weft::internal {

void hbSlow(G* onBehalfOf, const void* sync, bool acquire, bool release);
void accessSlow(const void* addr, bool write, const std::source_location* objectSite,
                const char* name, const std::source_location& where);

// While a deterministic scheduler runs timer callbacks (outside any goroutine), their edges
// belong to Go's timer context: race-detector pseudo-goroutine 0.
class TimerContextScope {
 public:
  explicit TimerContextScope(Scheduler& s);
  ~TimerContextScope();
  TimerContextScope(const TimerContextScope&) = delete;
  TimerContextScope& operator=(const TimerContextScope&) = delete;
};

// RuntimeScope / UserCodeScope (context/sanitizer_fiber.h): the runtime's own code, hidden
// from ThreadSanitizer as Go's runtime is from Go's race detector.
using sanitizer::RuntimeScope;
using sanitizer::UserCodeScope;

// ThreadSanitizer's view of a goroutine's life (no-ops outside TSan builds): the go statement
// (or Runtime::run) happens before the goroutine starts; everything a goroutine did happens
// before the run returns.
void raceGoStart(G& g);      // by the spawner, once g's record is filled in
void raceGoBegin(G& g);      // by g, first thing on its own fiber
void raceGoEnd(G& g);        // by g, last thing before it leaves its fiber
void raceForget(G& g);       // when g's record goes back to the pool

inline bool hbEnabled() {
  return sanitizer::kTsan || gEdgeObservingSchedulers.load(std::memory_order_relaxed) != 0;
}
// The current goroutine releases / acquires `sync`.
inline void hbRelease(const void* sync) {
  if (hbEnabled()) [[unlikely]] hbSlow(nullptr, sync, false, true);
}
inline void hbAcquire(const void* sync) {
  if (hbEnabled()) [[unlikely]] hbSlow(nullptr, sync, true, false);
}
// Acquire then release (Go: racereleaseacquire): the sync object ends up with exactly the
// caller's clock. Used per buffer slot so that the k-th receive happens before the (k+C)-th
// send completes, without accumulating older history.
inline void hbAcquireRelease(const void* sync) {
  if (hbEnabled()) [[unlikely]] hbSlow(nullptr, sync, true, true);
}
// On behalf of a parked goroutine that the caller is completing (Go: raceacquireg/racereleaseg).
inline void hbAcquireFor(G& g, const void* sync) {
  if (hbEnabled()) [[unlikely]] hbSlow(&g, sync, true, false);
}
inline void hbReleaseFor(G& g, const void* sync) {
  if (hbEnabled()) [[unlikely]] hbSlow(&g, sync, false, true);
}
inline void hbAcquireReleaseFor(G& g, const void* sync) {
  if (hbEnabled()) [[unlikely]] hbSlow(&g, sync, true, true);
}
// A checked access (Go: racereadpc/racewritepc).
inline void raceAccess(const void* addr, bool write, const std::source_location* objectSite,
                       const char* name = nullptr,
                       const std::source_location& where = std::source_location::current()) {
  if (hbEnabled()) [[unlikely]] {
    accessSlow(addr, write, objectSite, name, where);
  }
}

}  // namespace weft::internal
