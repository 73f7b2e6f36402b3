// DeterministicScheduler: the second implementation of Scheduler. Everything runs on the
// thread that called Runtime::run, one goroutine at a time; at every visible operation the
// running goroutine stops at a scheduling point and a sim::Strategy chooses who runs next.
// Time is virtual: when no goroutine can run, the clock jumps to the next timer.
//
// The same seed therefore gives the same schedule: the engine itself consults no clock, no
// thread and no unseeded randomness. Goroutine ids restart at 1 each run.
//
// Invariants:
//  - runnable_ is sorted by goroutine id and holds exactly the kRunnable goroutines that are not
//    running; at most one goroutine is kRunning (current_).
//  - now_ only moves forward, and only when runnable_ is empty.
#pragma once

#include <cstdint>
#include <vector>

#include "runtime_core.h"
#include "scheduler.h"
#include "timer_heap.h"
#include "weft/sim/strategy.h"

namespace weft::internal {

class DeterministicScheduler final : public Scheduler {
 public:
  // The virtual clock starts here (an arbitrary, fixed instant; never zero).
  static constexpr Nanos kEpoch = 1'000'000'000;

  DeterministicScheduler(RuntimeCore& rt, sim::Strategy& strategy);
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

  std::uint64_t steps() const { return steps_; }

 private:
  void makeRunnable(G& g);
  G* choose(G* current);
  bool fireDueTimers();

  RuntimeCore& rt_;
  sim::Strategy& strategy_;
  FiberContext ctx_;
  G* main_ = nullptr;
  std::vector<G*> runnable_;
  std::vector<sim::GoroutineId> ids_;  // scratch for the strategy
  G* forcedNext_ = nullptr;  // chosen at a scheduling point, to run after the preempted one
  TimerHeap timers_;
  Nanos now_ = kEpoch;
  std::uint64_t steps_ = 0;
  bool stop_ = false;
  bool mainExited_ = false;
  std::uint64_t drainResumes_ = 0;
};

}  // namespace weft::internal
