// The go statement, yield, ids and user randomness: thin entries into the scheduler.
#include "weft/go.h"

#include <exception>

#include "debug.h"
#include "park.h"
#include "race.h"

namespace weft {

namespace internal {
GoroutineId spawnGoroutine(Task&& body, std::string&& name, std::source_location site) {
  RuntimeScope runtime;
  G& self = requireG("weft::go");
  schedulePoint(OpKind::kGo, nullptr);
  // Checked after the scheduling point: a goroutine preempted there may be resumed only to be
  // unwound at the end of the run. A new goroutine would never run and never be unwound, so
  // stop here (or, inside a destructor already unwinding, just don't spawn).
  if (self.unwinding) [[unlikely]] {
    if (std::uncaught_exceptions() == 0) throw GoexitUnwind{};
    return 0;
  }
  G* g = self.rt->newG(std::move(body), std::move(name), site);
  g->sched = self.sched;
  self.sched->spawn(*g);
  return g->id;
}
}  // namespace internal

void yield() {
  internal::RuntimeScope runtime;
  internal::G& self = internal::requireG("weft::yield");
  internal::schedulePoint(internal::OpKind::kYield, nullptr);
  internal::yieldCurrent(self);
}

GoroutineId currentGoroutineId() {
  internal::G* g = internal::currentG();
  return g == nullptr ? 0 : g->id;
}

std::uint64_t randomU64() {
  internal::RuntimeScope runtime;
  return internal::runtimeRandomU64();
}

}  // namespace weft
