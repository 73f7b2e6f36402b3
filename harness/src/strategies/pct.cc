#include "weft/harness/strategies/pct.h"

#include <fmt/format.h>

#include <algorithm>

#include "weft/errors.h"

namespace weft::harness {

PctStrategy::PctStrategy(int depth, std::uint64_t initialSteps, bool learn)
    : depth_(depth), k_(std::max<std::uint64_t>(initialSteps, 1)), learn_(learn) {
  if (depth < 1) {
    throw UsageError(fmt::format("weft: PCT depth {} is invalid: expected an integer >= 1 "
                                 "(WEFT_PCT_DEPTH)",
                                 depth));
  }
}

std::string PctStrategy::describe() const {
  return fmt::format("WEFT_STRATEGY=pct WEFT_PCT_DEPTH={} WEFT_PCT_STEPS={}", depth_, k_);
}

bool PctStrategy::beginExecution(std::uint64_t seed, std::uint64_t) {
  state_ = seed;
  step_ = 0;
  order_.clear();
  initialCount_ = 0;
  changePoints_.clear();
  nextChange_ = 0;
  // d-1 change points, uniformly in [1, k] (distinct when k allows).
  for (int i = 1; i < depth_; ++i) {
    std::uint64_t p = 1 + splitmix64(state_) % k_;
    for (int tries = 0; tries < 8 && std::count(changePoints_.begin(), changePoints_.end(), p);
         ++tries) {
      p = 1 + splitmix64(state_) % k_;
    }
    changePoints_.push_back(p);
  }
  std::sort(changePoints_.begin(), changePoints_.end());
  return true;
}

void PctStrategy::endExecution(std::uint64_t decisions) {
  if (!learn_) return;
  decisions = std::max<std::uint64_t>(decisions, 1);
  k_ = learned_ ? std::max(k_, decisions) : decisions;  // the first guess is replaced outright
  learned_ = true;
}

sim::GoroutineId PctStrategy::next(std::span<const sim::GoroutineId> runnable,
                                   sim::GoroutineId current, bool yielding) {
  // New goroutines take a random position among the initial priorities.
  for (sim::GoroutineId g : runnable) {
    if (std::find(order_.begin(), order_.end(), g) != order_.end()) continue;
    std::size_t pos = static_cast<std::size_t>(splitmix64(state_) % (initialCount_ + 1));
    order_.insert(order_.begin() + static_cast<std::ptrdiff_t>(pos), g);
    ++initialCount_;
  }
  // A goroutine spinning on yield() drops to the lowest priority, or the highest-priority spinner
  // would run forever (shuttle's PCT does the same).
  if (yielding && current != sim::kNoGoroutine) {
    auto it = std::find(order_.begin(), order_.end(), current);
    if (it != order_.end()) {
      if (static_cast<std::size_t>(it - order_.begin()) < initialCount_) --initialCount_;
      order_.erase(it);
      order_.push_back(current);
    }
  }
  auto highest = [&]() {
    for (sim::GoroutineId g : order_) {
      if (std::binary_search(runnable.begin(), runnable.end(), g)) return g;
    }
    return runnable.front();
  };
  ++step_;
  sim::GoroutineId pick = highest();
  while (nextChange_ < changePoints_.size() && changePoints_[nextChange_] == step_) {
    // Change point: the goroutine about to run drops below everyone seen so far.
    auto it = std::find(order_.begin(), order_.end(), pick);
    if (static_cast<std::size_t>(it - order_.begin()) < initialCount_) --initialCount_;
    order_.erase(it);
    order_.push_back(pick);
    ++nextChange_;
    pick = highest();
  }
  return pick;
}

}  // namespace weft::harness
