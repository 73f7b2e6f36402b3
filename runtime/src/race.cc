#include "race.h"

#include "scheduler.h"

namespace weft::internal {

void hbSlow(G* onBehalfOf, const void* sync, bool acquire, bool release) {
  G* cur = currentG();
  if (cur != nullptr && cur->sched->interceptsOps()) {
    G& who = onBehalfOf != nullptr ? *onBehalfOf : *cur;
    if (sim::Observer* obs = cur->sched->observer()) {
      if (acquire) obs->onAcquire(who.id, sync);
      if (release) obs->onRelease(who.id, sync);
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
