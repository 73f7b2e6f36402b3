// ReplayStrategy: answers every question from a recorded Schedule, so an execution replays
// exactly. It never crashes on a schedule that does not fit: it notes the first divergence
// (a decision of the wrong kind, or a goroutine that is not runnable) for the report and goes
// on without preempting. Past the end of the schedule it also goes on without preempting (the
// current goroutine continues, else the lowest id runs; random numbers are 0), which is what
// the shrinker relies on: a prefix of a schedule is a schedule.
#pragma once

#include <optional>
#include <vector>
#include <string>

#include "weft/harness/schedule.h"
#include "weft/harness/strategy.h"

namespace weft::harness {

class ReplayStrategy : public Strategy {
 public:
  explicit ReplayStrategy(Schedule s) : schedule_(std::move(s)) {}

  // Out of line: inlined into explore.cc, GCC 12 with -fsanitize=address reports a false
  // -Wmaybe-uninitialized on divergence_.reset().
  bool beginExecution(std::uint64_t, std::uint64_t) override;
  sim::GoroutineId next(std::span<const sim::GoroutineId> runnable,
                        std::optional<sim::GoroutineId> current, bool yielding) override;
  std::uint64_t nextU64() override;
  std::string describe() const override { return "WEFT_REPLAY"; }

  // The first place where the schedule did not fit the execution, if any.
  const std::optional<std::string>& divergence() const { return divergence_; }
  bool exhausted() const { return pos_ >= schedule_.decisions.size(); }
  // noteUnconsumed() records, as a divergence, that the execution ended before using the whole
  // schedule (the token came from a longer execution: another test, or another version).
  void noteUnconsumed();
  std::size_t consumed() const { return pos_; }

 private:
  Schedule schedule_;
  std::size_t pos_ = 0;
  std::optional<std::string> divergence_;
};

// RecordingStrategy: a decorator that records every answer of the strategy it wraps, counts
// its scheduling decisions that were preemptions (the goroutine that could have continued was
// switched away from, and it was not yielding) and, when asked to (the shrinker needs it; the
// exploration loop, which records every decision of thousands of executions, does not), which
// goroutine each of them preempted.
class RecordingStrategy final : public Strategy {
 public:
  enum class Preempted { kCount, kRecord };
  explicit RecordingStrategy(Strategy& inner, Preempted preempted = Preempted::kCount)
      : inner_(inner), recordPreempted_(preempted == Preempted::kRecord) {}
  bool beginExecution(std::uint64_t seed, std::uint64_t index) override {
    schedule_.decisions.clear();
    currents_.clear();
    preemptions_ = 0;
    runDecisions_ = 0;
    return inner_.beginExecution(seed, index);
  }
  void endExecution(std::uint64_t decisions) override { inner_.endExecution(decisions); }
  sim::GoroutineId next(std::span<const sim::GoroutineId> runnable,
                        std::optional<sim::GoroutineId> current, bool yielding) override {
    sim::GoroutineId g = inner_.next(runnable, current, yielding);
    schedule_.decisions.push_back({Decision::Kind::kRun, g});
    const bool preempts = current && *current != g && !yielding;
    if (recordPreempted_) currents_.push_back(preempts ? *current : 0);
    preemptions_ += preempts ? 1 : 0;
    ++runDecisions_;
    return g;
  }
  std::uint64_t nextU64() override {
    std::uint64_t v = inner_.nextU64();
    schedule_.decisions.push_back({Decision::Kind::kRandom, v});
    if (recordPreempted_) currents_.push_back(0);
    return v;
  }
  std::string describe() const override { return inner_.describe(); }
  const Schedule& schedule() const { return schedule_; }
  std::uint64_t preemptions() const { return preemptions_; }
  // The recorded decisions of kind kRun (scheduling decisions with >= 2 candidates).
  std::uint64_t runDecisions() const { return runDecisions_; }
  // Only with Preempted::kRecord: for each decision, the goroutine it preempted (which could
  // have continued), or 0 if it was not a preemption.
  const std::vector<std::uint64_t>& preemptedAll() const { return currents_; }

 private:
  Strategy& inner_;
  const bool recordPreempted_;
  Schedule schedule_;
  std::vector<std::uint64_t> currents_;
  std::uint64_t preemptions_ = 0;
  std::uint64_t runDecisions_ = 0;
};

}  // namespace weft::harness
