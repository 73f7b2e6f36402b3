// The scheduling point behind weft::Shared<T> (shared.h).
#include "park.h"
#include "race.h"
#include "weft/shared.h"

namespace weft::internal {

void cellAccess(const void* cell, bool write, const std::source_location* site, const char* name,
                const std::source_location& where) {
  RuntimeScope runtime;
  schedulePoint(write ? OpKind::kCellWrite : OpKind::kCellRead, cell, site, name);
  raceAccess(cell, write, site, name, where);
}

#if WEFT_TSAN
namespace {
// A cell access never switches fibers: per thread is enough. Uninstrumented, like every
// thread-local the goroutines of a thread share (runtimeDepth in sanitizer_fiber.h).
thread_local int tCellIgnored = 0;
[[gnu::no_sanitize_thread, gnu::noinline]] void setCellIgnored(int v) { tCellIgnored = v; }
[[gnu::no_sanitize_thread, gnu::noinline]] int cellIgnored() { return tCellIgnored; }
}  // namespace
void cellValueBegin() {
  G* g = currentG();
  const bool ignore = g != nullptr && g->sched->interceptsOps();
  setCellIgnored(ignore ? 1 : 0);
  if (ignore) sanitizer::enterRuntime();
}
void cellValueEnd() {
  if (cellIgnored() != 0) sanitizer::leaveRuntime();
  setCellIgnored(0);
}
#endif

}  // namespace weft::internal
