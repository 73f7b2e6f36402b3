// ReplayStrategy: answers every question from a recorded Schedule, so an execution replays
// exactly. It never crashes on a schedule that does not fit: it notes the first divergence
// (a decision of the wrong kind, or a goroutine that is not runnable) for the report and goes
// on without preempting. Past the end of the schedule it also goes on without preempting (the
// current goroutine continues, else the lowest id runs; random numbers are 0), which is what
// the shrinker relies on: a prefix of a schedule is a schedule.
#pragma once

#include <optional>
#include <string>

#include "weft/harness/schedule.h"
#include "weft/harness/strategy.h"

namespace weft::harness {

class ReplayStrategy : public Strategy {
 public:
  explicit ReplayStrategy(Schedule s) : schedule_(std::move(s)) {}

  bool beginExecution(std::uint64_t, std::uint64_t) override {
    pos_ = 0;
    divergence_.reset();
    return true;
  }
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

// RecordingStrategy: a decorator that records every answer of the strategy it wraps.
class RecordingStrategy : public Strategy {
 public:
  explicit RecordingStrategy(Strategy& inner) : inner_(inner) {}
  bool beginExecution(std::uint64_t seed, std::uint64_t index) override {
    schedule_.decisions.clear();
    return inner_.beginExecution(seed, index);
  }
  void endExecution(std::uint64_t decisions) override { inner_.endExecution(decisions); }
  sim::GoroutineId next(std::span<const sim::GoroutineId> runnable,
                        std::optional<sim::GoroutineId> current, bool yielding) override {
    sim::GoroutineId g = inner_.next(runnable, current, yielding);
    schedule_.decisions.push_back({Decision::Kind::kRun, g});
    return g;
  }
  std::uint64_t nextU64() override {
    std::uint64_t v = inner_.nextU64();
    schedule_.decisions.push_back({Decision::Kind::kRandom, v});
    return v;
  }
  std::string describe() const override { return inner_.describe(); }
  const Schedule& schedule() const { return schedule_; }

 private:
  Strategy& inner_;
  Schedule schedule_;
};

}  // namespace weft::harness
