// RandomStrategy: a uniform random walk. At every scheduling point each runnable goroutine is
// equally likely to run next. Seeded; the same seed replays the same schedule.
#pragma once

#include <cstdint>

#include "weft/harness/strategy.h"

namespace weft::harness {

class RandomStrategy : public Strategy {
 public:
  explicit RandomStrategy(std::uint64_t seed = 0) : state_(seed) {}

  bool beginExecution(std::uint64_t seed, std::uint64_t) override {
    state_ = seed;
    return true;
  }
  sim::GoroutineId next(std::span<const sim::GoroutineId> runnable,
                        sim::GoroutineId, bool) override {
    return runnable[splitmix64Below(state_, runnable.size())];
  }
  std::uint64_t nextU64() override { return splitmix64(state_); }
  std::string describe() const override { return "WEFT_STRATEGY=random"; }

 private:
  std::uint64_t state_;
};

}  // namespace weft::harness
