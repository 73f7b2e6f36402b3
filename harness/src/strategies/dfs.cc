#include "weft/harness/strategies/dfs.h"

#include <fmt/format.h>

#include <algorithm>

namespace weft::harness {

std::string DfsStrategy::describe() const {
  return fmt::format("WEFT_STRATEGY=dfs WEFT_PREEMPTION_BOUND={}", bound_);
}

bool DfsStrategy::beginExecution(std::uint64_t, std::uint64_t) {
  if (done_) return false;
  started_ = true;
  pos_ = 0;
  cost_ = 0;
  rng_ = 0x5eed;  // the same random numbers in every execution (see the header)
  return true;
}

sim::GoroutineId DfsStrategy::next(std::span<const sim::GoroutineId> runnable,
                                   sim::GoroutineId current, bool yielding) {
  Point fresh;
  const bool hasCurrent = current != sim::kNoGoroutine;
  const bool canPreempt = hasCurrent && !yielding;
  // Preference: the current goroutine continues (free); a yielder goes last (also free).
  if (canPreempt) fresh.options.push_back(current);
  for (auto g : runnable) {
    if (g != current) fresh.options.push_back(g);
  }
  if (hasCurrent && yielding) fresh.options.push_back(current);
  for (auto g : fresh.options) fresh.costs.push_back(canPreempt && g != current ? 1 : 0);

  if (pos_ < stack_.size()) {
    Point& p = stack_[pos_];
    if (p.options != fresh.options) {
      // The body did not retrace the previous execution: continue from here as a new point.
      divergent_ = true;
      stack_.resize(pos_);
    } else {
      ++pos_;
      cost_ = p.costBefore + p.costs[p.chosen];
      return p.options[p.chosen];
    }
  }
  fresh.costBefore = cost_;
  fresh.chosen = 0;  // costs[0] is always 0
  stack_.push_back(std::move(fresh));
  ++pos_;
  return stack_.back().options[0];
}

void DfsStrategy::endExecution(std::uint64_t) {
  if (!started_) return;
  stack_.resize(std::min(stack_.size(), pos_));
  // Backtrack: the deepest point with an alternative that stays within the bound.
  while (!stack_.empty()) {
    Point& p = stack_.back();
    std::size_t i = p.chosen + 1;
    while (i < p.options.size() && !within(p.costBefore + p.costs[i])) ++i;
    if (i < p.options.size()) {
      p.chosen = i;
      return;
    }
    stack_.pop_back();
  }
  done_ = true;
}

}  // namespace weft::harness
