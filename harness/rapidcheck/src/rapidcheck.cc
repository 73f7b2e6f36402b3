#include "weft/harness/rapidcheck.h"

namespace weft::harness {

sim::GoroutineId ChoiceStrategy::next(std::span<const sim::GoroutineId> runnable,
                                      sim::GoroutineId current, bool yielding) {
  const std::uint32_t c = take();
  // Preference order as in DfsStrategy: the current goroutine first (unless it yields), then
  // the others by id; so 0 never preempts.
  std::size_t n = runnable.size();
  const bool currentFirst = current != sim::kNoGoroutine && !yielding;
  if (currentFirst && c % n == 0) return current;
  std::size_t k = c % n;
  if (currentFirst) --k;  // k-th of the others
  for (auto g : runnable) {
    if (g == current) continue;
    if (k-- == 0) return g;
  }
  return current != sim::kNoGoroutine ? current : runnable.front();
}

ExploreResult simulate(const RcSchedule& schedule, const std::function<void()>& body,
                       ExploreOptions options) {
  ChoiceStrategy strategy(schedule);
  return runWith(body, strategy, options);
}

}  // namespace weft::harness
