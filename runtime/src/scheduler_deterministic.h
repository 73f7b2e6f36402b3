// DeterministicScheduler: the second implementation of Scheduler. Everything runs on the
// thread that called Runtime::run, one goroutine at a time; at every visible operation the
// running goroutine stops at a scheduling point and a sim::Strategy chooses who runs next.
// Time is virtual: when no goroutine can run, the clock jumps to the next timer.
//
// The same strategy answers therefore give the same execution: the engine itself consults no
// clock, no thread and no unseeded randomness. Every choice goes through the strategy: who
// runs at each scheduling point (next), and every random number (nextU64: select's choice among
// ready cases, the firing order of timers due at the same instant, user randomness).
//
// Invariants:
//  - runnable_ is sorted by goroutine id and holds exactly the kRunnable goroutines that are not
//    running; at most one goroutine is kRunning (current_).
//  - now_ only moves forward, and only when runnable_ is empty.
//  - steps_ counts scheduling points; preemptions_ those where the strategy switched away from
//    a goroutine that could have continued.
#pragma once

#include <cstdint>
#include <vector>

#include "runtime_core.h"
#include "scheduler.h"
#include "timer_heap.h"
#include "weft/sim/events.h"
#include "weft/sim/strategy.h"

namespace weft::internal {

class DeterministicScheduler final : public Scheduler {
 public:
  // The virtual clock starts here (an arbitrary, fixed instant; never zero).
  static constexpr Nanos kEpoch = 1'000'000'000;

  DeterministicScheduler(RuntimeCore& rt, sim::Strategy& strategy, sim::Observer* observer,
                         std::uint64_t maxSteps);
  ~DeterministicScheduler() override;

  void run(G& main) override;
  void spawn(G& g) override;
  void ready(G& g, bool handoff) override;
  void schedulePoint(G& self, const Op& op) override;
  Nanos now() override { return now_; }
  void addTimer(TimerNode& t) override;
  bool removeTimer(TimerNode& t) override;
  std::uint64_t randomU64() override { return strategy_.nextU64(); }
  int workers() const override { return 1; }

 private:
  void makeRunnable(G& g);
  G* choose(G* current);
  bool fireDueTimers();
  void runUntilSwitch(G& g);

  RuntimeCore& rt_;
  sim::Strategy& strategy_;
  sim::Observer* observer_;
  const std::uint64_t maxSteps_;
  FiberContext ctx_;
  G* main_ = nullptr;
  G* current_ = nullptr;
  std::vector<G*> runnable_;
  std::vector<sim::GoroutineId> ids_;  // scratch for the strategy
  std::vector<TimerNode*> due_;        // scratch for fireDueTimers
  G* forcedNext_ = nullptr;  // chosen at a scheduling point, to run after the preempted one
  TimerHeap timers_;
  Nanos now_ = kEpoch;
  std::uint64_t steps_ = 0;  // scheduling points, for maxSteps
  std::uint64_t ops_ = 0;    // operations reported to the observer
  bool mainExited_ = false;
  std::uint64_t drainResumes_ = 0;
};

}  // namespace weft::internal
