// DfsStrategy: exhaustive, preemption-bounded exploration (stateless model checking, as in
// CHESS: Musuvathi & Qadeer, "Iterative Context Bounding for Systematic Testing of
// Multithreaded Programs", PLDI 2007). Each execution follows the decisions of the previous
// one up to the deepest decision point with an untried alternative, takes that alternative,
// and from there prefers "the current goroutine continues". Executions are enumerated until
// every schedule with at most `preemptionBound` preemptions has been run once; then
// beginExecution() returns false.
//
// A preemption is choosing someone else at a scheduling point where the current goroutine
// could continue and is not yielding; choosing after a block, an exit or a yield is free.
// Random numbers (select's pick among ready cases, timer order) are NOT enumerated: they come
// from a fixed-seed generator, the same in every execution, so the search is exhaustive over
// interleavings for the given random choices.
#pragma once

#include <cstdint>
#include <vector>

#include "weft/harness/strategy.h"

namespace weft::harness {

class DfsStrategy : public Strategy {
 public:
  // preemptionBound < 0: unbounded.
  explicit DfsStrategy(int preemptionBound = 2) : bound_(preemptionBound) {}

  bool beginExecution(std::uint64_t seed, std::uint64_t index) override;
  void endExecution(std::uint64_t decisions) override;
  sim::GoroutineId next(std::span<const sim::GoroutineId> runnable,
                        sim::GoroutineId current, bool yielding) override;
  std::uint64_t nextU64() override { return splitmix64(rng_); }
  std::string describe() const override;

  bool exhausted() const { return done_; }
  // True when an execution did not retrace the previous one's decisions (the body itself is
  // nondeterministic, so the enumeration is not exhaustive).
  bool divergent() const { return divergent_; }

 private:
  struct Point {
    std::vector<sim::GoroutineId> options;  // in preference order
    std::vector<std::uint8_t> costs;        // 1 if choosing options[i] is a preemption
    std::size_t chosen = 0;
    std::uint64_t costBefore = 0;  // preemptions on the path before this point
  };
  bool within(std::uint64_t cost) const {
    return bound_ < 0 || cost <= static_cast<std::uint64_t>(bound_);
  }

  int bound_;
  std::vector<Point> stack_;
  std::size_t pos_ = 0;
  std::uint64_t cost_ = 0;
  std::uint64_t rng_ = 0;
  bool started_ = false;
  bool done_ = false;
  bool divergent_ = false;
};

}  // namespace weft::harness
