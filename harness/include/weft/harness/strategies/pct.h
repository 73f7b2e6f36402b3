// PctStrategy: Probabilistic Concurrency Testing (Burckhardt, Kothari, Musuvathi, Nagarakatte,
// "A Randomized Scheduler with Probabilistic Guarantees of Finding Bugs", ASPLOS 2010).
//
// Each goroutine gets a distinct random priority when it first appears (a random position in
// the priority order); the highest-priority runnable goroutine always runs. d-1 change points
// are drawn uniformly from [1, k]; at the i-th, the goroutine about to run drops below every
// initial priority (later change points drop lower). A bug of depth d among n goroutines and k
// steps is found with probability at least 1/(n * k^(d-1)) per execution. k counts only
// decisions with at least two runnable goroutines, estimated as the largest such count seen in
// earlier executions (shuttle's pct.rs does the same). A goroutine that yields drops to the
// lowest priority, so spin loops make progress.
#pragma once

#include <cstdint>
#include <vector>

#include "weft/harness/strategy.h"

namespace weft::harness {

class PctStrategy : public Strategy {
 public:
  // initialSteps: k for the first execution. learn: afterwards, k is the largest number of
  // decisions seen in any execution so far (otherwise k stays initialSteps).
  explicit PctStrategy(int depth = 3, std::uint64_t initialSteps = 16, bool learn = true);

  bool beginExecution(std::uint64_t seed, std::uint64_t index) override;
  void endExecution(std::uint64_t decisions) override;
  sim::GoroutineId next(std::span<const sim::GoroutineId> runnable,
                        sim::GoroutineId current, bool yielding) override;
  std::uint64_t nextU64() override { return splitmix64(state_); }
  // Includes the current k estimate, so a failing execution reproduces from its seed alone.
  std::string describe() const override;

  int depth() const { return depth_; }
  std::uint64_t stepsEstimate() const { return k_; }

 private:
  const int depth_;
  std::uint64_t k_;
  const bool learn_;
  bool learned_ = false;
  std::uint64_t state_ = 0;
  std::uint64_t step_ = 0;
  std::vector<std::uint64_t> changePoints_;  // sorted, size depth-1
  std::size_t nextChange_ = 0;
  std::vector<sim::GoroutineId> order_;  // highest priority first
  std::size_t initialCount_ = 0;         // order_[0, initialCount_) hold initial priorities
};

}  // namespace weft::harness
