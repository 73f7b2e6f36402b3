// RandomStrategy: a uniform random walk. At every scheduling point any runnable goroutine is
// equally likely to run next. Seeded; the same seed replays the same schedule.
#pragma once

#include <cstdint>

#include "weft/sim/strategy.h"

namespace weft::harness {

class RandomStrategy : public sim::Strategy {
 public:
  explicit RandomStrategy(std::uint64_t seed) : state_(seed) {}

  sim::GoroutineId next(std::span<const sim::GoroutineId> runnable,
                        std::optional<sim::GoroutineId> current) override;
  std::uint64_t nextU64() override;

 private:
  std::uint64_t state_;
};

}  // namespace weft::harness
