#include "weft/harness/strategies/replay.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace weft::harness {

sim::GoroutineId ReplayStrategy::next(std::span<const sim::GoroutineId> runnable,
                                      sim::GoroutineId current, bool /*yielding*/) {
  auto fallback = [&] { return current != sim::kNoGoroutine ? current : runnable.front(); };
  if (pos_ >= schedule_.decisions.size()) return fallback();
  const Decision& d = schedule_.decisions[pos_];
  if (d.kind != Decision::Kind::kRun) {
    if (!divergence_) {
      divergence_ = fmt::format(
          "decision {}: the schedule holds a random number, but the execution asked which "
          "goroutine runs next (runnable: {})",
          pos_ + 1, fmt::join(runnable, ", "));
    }
    return fallback();
  }
  ++pos_;
  if (!std::binary_search(runnable.begin(), runnable.end(), d.value)) {
    if (!divergence_) {
      divergence_ = fmt::format(
          "decision {}: the schedule runs goroutine {}, but only {} {} runnable", pos_, d.value,
          fmt::join(runnable, ", "), runnable.size() == 1 ? "is" : "are");
    }
    return fallback();
  }
  return d.value;
}

bool ReplayStrategy::beginExecution(std::uint64_t, std::uint64_t) {
  pos_ = 0;
  divergence_.reset();
  return true;
}

void ReplayStrategy::noteUnconsumed() {
  if (divergence_ || exhausted()) return;
  divergence_ = fmt::format("the execution ended after {} of the schedule's {} decisions", pos_,
                            schedule_.decisions.size());
}

std::uint64_t ReplayStrategy::nextU64() {
  if (pos_ >= schedule_.decisions.size()) return 0;
  const Decision& d = schedule_.decisions[pos_];
  if (d.kind != Decision::Kind::kRandom) {
    if (!divergence_) {
      divergence_ = fmt::format(
          "decision {}: the schedule runs goroutine {}, but the execution asked for a random "
          "number",
          pos_ + 1, d.value);
    }
    return 0;
  }
  ++pos_;
  return d.value;
}

}  // namespace weft::harness
