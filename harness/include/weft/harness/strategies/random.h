// RandomStrategy: a uniform random walk. At every scheduling point each runnable goroutine is
// equally likely to run next. Seeded; the same seed replays the same schedule.
#pragma once

#include <cstdint>

#include "weft/harness/strategy.h"

namespace weft::harness {

class RandomStrategy : public Strategy {
 public:
  explicit RandomStrategy(std::uint64_t seed = 0) { reseed(seed); }

  bool beginExecution(std::uint64_t seed, std::uint64_t) override {
    reseed(seed);
    return true;
  }
  sim::GoroutineId next(std::span<const sim::GoroutineId> runnable,
                        sim::GoroutineId, bool) override {
    return runnable[static_cast<std::size_t>(
        (static_cast<unsigned __int128>(draw()) * runnable.size()) >> 64)];
  }
  std::uint64_t nextU64() override { return draw(); }
  std::string describe() const override { return "WEFT_STRATEGY=random"; }

 private:
  // The draws are splitmix64's outputs in order, as splitmix64Below would take them; each is
  // mixed one call ahead, so that a decision waits for a multiply and a load rather than the
  // whole mixing chain (a random walk draws at nearly every scheduling point).
  void reseed(std::uint64_t seed) {
    state_ = seed;
    ahead_ = splitmix64(state_);
  }
  std::uint64_t draw() {
    const std::uint64_t v = ahead_;
    ahead_ = splitmix64(state_);
    return v;
  }

  std::uint64_t state_ = 0;
  std::uint64_t ahead_ = 0;
};

}  // namespace weft::harness
