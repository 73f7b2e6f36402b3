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
                        sim::GoroutineId current, bool yielding) override;
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
    log_.clear();
    currents_.clear();
    return inner_.beginExecution(seed, index);
  }
  void endExecution(std::uint64_t decisions) override { inner_.endExecution(decisions); }
  // Unless it must note who each decision preempted, the recorder lets the engine ask the
  // inner strategy directly and append to the log itself.
  Delegation delegation() override {
    const Delegation inner = inner_.delegation();
    if (recordPreempted_ || inner.log != nullptr) return {this, nullptr};
    return {inner.answerer, &log_};
  }
  sim::GoroutineId next(std::span<const sim::GoroutineId> runnable, sim::GoroutineId current,
                        bool yielding) override {
    const sim::GoroutineId g = inner_.next(runnable, current, yielding);
    const std::uint64_t preemptionsBefore = log_.preemptions;
    log_.recordRun(g, current, yielding);
    if (recordPreempted_) {
      currents_.push_back(log_.preemptions != preemptionsBefore ? current : sim::kNoGoroutine);
    }
    return g;
  }
  std::uint64_t nextU64() override {
    const std::uint64_t v = inner_.nextU64();
    log_.recordRandom(v);
    if (recordPreempted_) currents_.push_back(sim::kNoGoroutine);
    return v;
  }
  std::string describe() const override { return inner_.describe(); }
  Schedule schedule() const { return Schedule{log_.decisions}; }
  std::uint64_t preemptions() const { return log_.preemptions; }
  // The recorded decisions of kind kRun (scheduling decisions with >= 2 candidates).
  std::uint64_t runDecisions() const { return log_.runDecisions; }
  // Only with Preempted::kRecord: for each decision, the goroutine it preempted (which could
  // have continued), or 0 if it was not a preemption.
  const std::vector<std::uint64_t>& preemptedAll() const { return currents_; }

 private:
  Strategy& inner_;
  const bool recordPreempted_;
  sim::DecisionLog log_;
  std::vector<std::uint64_t> currents_;
};

}  // namespace weft::harness
