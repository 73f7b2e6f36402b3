// RoundRobinStrategy: the deterministic baseline. At every scheduling point the next goroutine
// in id order after the current one runs (wrapping around), so every step is a preemption when
// there is anyone else to run. Random numbers come from a fixed-seed generator.
#pragma once

#include <algorithm>

#include "weft/harness/strategy.h"

namespace weft::harness {

class RoundRobinStrategy : public Strategy {
 public:
  bool beginExecution(std::uint64_t seed, std::uint64_t) override {
    state_ = seed;
    return true;
  }
  sim::GoroutineId next(std::span<const sim::GoroutineId> runnable,
                        sim::GoroutineId current, bool /*yielding*/) override {
    if (current == sim::kNoGoroutine) return runnable.front();
    auto it = std::upper_bound(runnable.begin(), runnable.end(), current);
    return it == runnable.end() ? runnable.front() : *it;
  }
  std::uint64_t nextU64() override { return splitmix64(state_); }
  std::string describe() const override { return "WEFT_STRATEGY=roundrobin"; }

 private:
  std::uint64_t state_ = 0;
};

}  // namespace weft::harness
