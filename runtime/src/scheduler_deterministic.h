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
// Switching is direct: being single-threaded, a goroutine that is preempted or parks commits
// on its own stack and switches straight to the goroutine the strategy chose (Go's direct
// hand-off), so a decision costs one context switch. The scheduler's own context (the loop in
// run()) is entered only to start, when nobody can run (timers, deadlock), and on exit.
//
// Invariants:
//  - answerer_ and log_ are strategy_.delegation() of the current run: every answer comes from
//    answerer_ and, when log_ is set, is appended to it in the order the answers were given.
//  - cands_[0, count_) holds exactly the goroutines that are kRunnable or kRunning, sorted by
//    id; ids_[0, count_) holds their ids in the same order (what strategies see). At most one
//    is kRunning (current_). Both arrays keep their size across runs (elements past count_ are
//    stale), so a warm scheduler allocates nothing per decision.
//  - opObserver_, lifecycleObserver_, scheduleObserver_ and edgeObserver_ are the configured
//    observer's receiver of that group of events, or null when it did not declare an interest
//    in the group at the start of the run; each event is reported exactly when its pointer is
//    set.
//  - now_ only moves forward, and only when cands_ is empty.
//  - steps_ counts scheduling points (for maxSteps); ops_ the operations reported.
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
  bool parkDirect(G& self) override;
  bool yieldDirect(G& self) override;
  void exitDirect(G& self) override;
  Nanos now() override { return now_; }
  void addTimer(TimerNode& t) override;
  bool removeTimer(TimerNode& t) override;
  std::uint64_t randomU64() override {
    const std::uint64_t v = answerer_->nextU64();
    if (log_ != nullptr) log_->recordRandom(v);
    return v;
  }
  bool spinMayPay() override { return false; }  // spinning there only wastes steps
  // The race hooks (race.cc) report edges and accesses here: null when nobody listens.
  sim::Observer* observer() override { return edgeObserver_; }

 private:
  void addCandidate(G& g);
  void removeCandidate(G& g);
  void growCandidates();
  void selectObservers();
  // choose() picks who runs after a goroutine blocked or exited (nobody is current).
  G* choose() { return count_ == 1 ? cands_[0] : chooseAmong(); }
  [[gnu::noinline]] G* chooseAmong();
  inline sim::GoroutineId ask(sim::GoroutineId current, bool yielding);
  // find() is the candidate the strategy named; `running` is the goroutine that asked, if it
  // is still a candidate.
  inline G& find(sim::GoroutineId pick, const G* running);
  [[gnu::cold, gnu::noinline]] G& unrunnablePick(sim::GoroutineId pick, const G* running);
  [[gnu::noinline]] void stopAtStepLimit(G& self);
  [[gnu::noinline]] void preempt(G& self, sim::GoroutineId pick, bool yielding);
  [[gnu::noinline]] void reportOp(G& self, const Op& op);
  bool fireDueTimers();
  void enter(G& g);
  void switchDirect(G& from, G& to);
  void switchToLoop(G& from);
  void removeExited(G& g);
  void finishExit(G& g);
  bool drainExhausted() const { return mainExited_ && drainResumes_ > kDrainBudget; }

  RuntimeCore& rt_;
  sim::Strategy& strategy_;  // as configured; the two below are its delegation for this run
  sim::Strategy* answerer_ = nullptr;
  sim::DecisionLog* log_ = nullptr;
  sim::Observer* const observer_;  // as configured; the four below are set per run
  sim::Observer* opObserver_ = nullptr;
  sim::Observer* lifecycleObserver_ = nullptr;
  sim::Observer* scheduleObserver_ = nullptr;
  sim::Observer* edgeObserver_ = nullptr;
  const std::uint64_t maxSteps_;
  FiberContext ctx_;
  G* main_ = nullptr;
  G* current_ = nullptr;
  std::vector<G*> cands_;
  std::vector<sim::GoroutineId> ids_;
  std::size_t count_ = 0;
  std::vector<TimerNode*> due_;  // scratch for fireDueTimers
  GFreeCache gFree_;
  TimerHeap timers_;
  Nanos now_ = kEpoch;
  std::uint64_t steps_ = 0;
  std::uint64_t ops_ = 0;
  bool mainExited_ = false;
  std::uint64_t drainResumes_ = 0;
};

}  // namespace weft::internal
