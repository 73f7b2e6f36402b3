// The go statement, yield, ids and user randomness: thin entries into the scheduler.
#include "weft/go.h"

#include "debug.h"
#include "park.h"

namespace weft {

namespace internal {
GoroutineId spawnGoroutine(Task body, std::string name, std::source_location site) {
  G& self = requireG("weft::go");
  schedulePoint(OpKind::kGo, nullptr);
  G* g = self.rt->newG(std::move(body), std::move(name), site);
  g->sched = self.sched;
  self.sched->spawn(*g);
  return g->id;
}
}  // namespace internal

void yield() {
  internal::G& self = internal::requireG("weft::yield");
  internal::schedulePoint(internal::OpKind::kYield, nullptr);
  internal::yieldCurrent(self);
}

GoroutineId currentGoroutineId() {
  internal::G* g = internal::currentG();
  return g == nullptr ? 0 : g->id;
}

std::uint64_t randomU64() { return internal::runtimeRandomU64(); }

}  // namespace weft
